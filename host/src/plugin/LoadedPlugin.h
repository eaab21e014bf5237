#pragma once
// What the loader keeps of a plugin library that passed every check (ABI 2.x). The vtables are
// copies, normalized: zero-filled, then min(plugin's vtable_size, host's sizeof) bytes copied, so a
// field the plugin's (older) ABI minor does not have reads as NULL.
#include "mc/plugin_abi.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mc::host {

// One configuration key as the plugin declared it (mc_config_key, copied).
struct ConfigKeyInfo {
    std::string name;
    mc_config_type type = MC_CONFIG_INVALID;
    std::string defaultValue;
    bool hasDefault = false;
    bool required = false;
    bool secret = false;
    bool hasRange = false;
    double min = 0;
    double max = 0;
    std::string choices; // ENUM: comma-separated, lower-case
    std::string description;
    std::string example; // for generated examples; empty: the default

    // The key as the ABI struct, pointing into this object's strings (valid while it lives unchanged).
    mc_config_key abi() const;
};

struct PluginInfo {
    std::string path;           // the file it came from
    std::string id;             // e.g. "store-sqlite"
    std::string version;        // the plugin's own version
    std::string description;
    std::string configPrefix;   // e.g. "store.sqlite", "mcp.stdio", "discovery.files"
    mc_plugin_kind kind = MC_KIND_INVALID;
    uint32_t abiMajor = 0;
    uint32_t abiMinor = 0;
    std::vector<ConfigKeyInfo> configKeys;
    std::vector<std::string> transports; // transport plugins: the names transports() wrote
};

const char* kindName(mc_plugin_kind kind);         // "transport", "discovery", "store", "receiver", "bus", "invalid"
const char* configTypeName(mc_config_type type);   // "string", "int", "bool", "double", "enum", "list", "object"

struct LoadedPlugin {
    PluginInfo info;
    std::shared_ptr<void> library; // keeps the shared object mapped while anything uses the plugin
    mc_store_vtable store{};         // valid when info.kind == MC_KIND_STORE
    mc_transport_vtable transport{}; // valid when info.kind == MC_KIND_TRANSPORT
    mc_discovery_vtable discovery{}; // valid when info.kind == MC_KIND_DISCOVERY
    mc_receiver_vtable receiver{};   // valid when info.kind == MC_KIND_RECEIVER
    mc_bus_vtable bus{};             // valid when info.kind == MC_KIND_BUS
};

// One row of the load report (GET /api/plugins): every file considered, loaded or refused.
struct PluginLoadRecord {
    std::string path;
    bool loaded = false;
    std::string reason;       // why it was refused; empty when loaded
    PluginInfo info;          // as much as could be read (id/version may be empty when refused early)
};

} // namespace mc::host
