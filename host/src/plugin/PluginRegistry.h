#pragma once
// Loads plugin libraries from a directory, checks each against the C ABI contract and keeps the ones
// that pass. Every file considered gets a PluginLoadRecord (GET /api/plugins); a refused file is
// logged once (logger "plugin-loader") with its path and the reason, and unloaded. A bad plugin never
// makes loadDirectory throw.
//
// Threading: load first (single thread), then every const member may be called from any thread.
#include "plugin/LoadedPlugin.h"
#include "plugin/PluginInstance.h" // callers of the registry create instances with it
#include "plugin/PluginStatus.h"

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mc::host {

class PluginRegistry {
public:
    PluginRegistry() = default;
    PluginRegistry(const PluginRegistry&) = delete;
    PluginRegistry& operator=(const PluginRegistry&) = delete;

    // Every regular `*.so` file in `dir` (not recursive), in file-name order. A missing or unreadable
    // directory becomes one refused record naming it.
    void loadDirectory(const std::string& dir);
    // One library; returns true when it was loaded.
    bool loadFile(const std::string& path);

    const std::vector<PluginLoadRecord>& report() const { return records_; }
    std::shared_ptr<const LoadedPlugin> find(const std::string& id) const; // nullptr when unknown
    std::vector<std::shared_ptr<const LoadedPlugin>> ofKind(mc_plugin_kind kind) const; // load order
    const std::vector<std::shared_ptr<const LoadedPlugin>>& plugins() const { return plugins_; }

    // {"plugins":[{"file","status","reason","id","version","kind","abi","description","config_prefix",
    //   "transports","config_keys":[{"name","type","default","required","secret","min","max","choices",
    //   "description"}],"instances":[InstanceStatus::json()...]}],"loaded":N,"refused":M}
    std::string reportJson() const;

    // The status of every instance of every plugin (HostContext reports into it).
    PluginStatusTable& statuses() { return statuses_; }
    const PluginStatusTable& statuses() const { return statuses_; }

    std::size_t loadedCount() const { return plugins_.size(); }
    std::size_t refusedCount() const { return records_.size() - plugins_.size(); }

private:
    void refuse(PluginLoadRecord record, const std::string& reason);

    std::vector<PluginLoadRecord> records_;
    std::vector<std::shared_ptr<const LoadedPlugin>> plugins_;
    std::map<std::string, std::shared_ptr<const LoadedPlugin>> byId_;
    PluginStatusTable statuses_;
};

// "[a-z0-9][a-z0-9-]*", at most 64 characters (the SDK's rule).
bool isValidPluginId(const std::string& id);
// Dot-separated [a-z0-9][a-z0-9_-]* parts (the SDK's rule).
bool isValidConfigPrefix(const std::string& prefix);

// An instance's configuration is built by resolvePluginConfig() in plugin/PluginConfig.h.

// The keys every loaded plugin declares, for --help-config: per plugin a heading line, then per key
// "  <prefix>.<name> = <default>  (<what it accepts>[, required][, secret])" and its description.
std::string pluginKeysText(const PluginRegistry& registry);

} // namespace mc::host
