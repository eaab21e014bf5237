#include "plugin/PluginRegistry.h"

#include "log/Logging.h"
#include "util/Json.h"

#include <boost/dll/shared_library.hpp>
#include <dlfcn.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace mc::host {
namespace {

namespace fs = std::filesystem;

// Where a struct field ends: a struct whose struct_size reaches this far has the field.
#define MC_FIELD_END(TYPE, FIELD) (offsetof(TYPE, FIELD) + sizeof(TYPE::FIELD))

// Every descriptor field ABI 1.0 requires (config_keys and config_key_count are optional).
constexpr std::size_t kDescriptorRequiredSize = MC_FIELD_END(mc_plugin_descriptor, vtable_size);
// struct_size, abi_major and abi_minor sit at the same offsets in every ABI version, so they can be
// read (and a foreign major named) even when the rest of the layout differs.
constexpr std::size_t kDescriptorVersionSize = MC_FIELD_END(mc_plugin_descriptor, abi_minor);

constexpr std::size_t kMaxIdLength = 64;
constexpr std::size_t kMaxTextLength = 64 * 1024; // guards against a garbage length in an mc_str
constexpr std::size_t kMaxConfigKeys = 1024;

std::shared_ptr<spdlog::logger> loaderLog() { return logging::get("plugin-loader"); }

std::string abiText(uint32_t major, uint32_t minor) { return std::to_string(major) + "." + std::to_string(minor); }

// Boost.DLL resets dlerror() before it returns, so the loader's own message (which names a missing
// dependency) is recovered by asking the system loader once more.
std::string dlopenErrorText(const std::string& path) {
    ::dlerror();
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle) {
        ::dlclose(handle);
        return "the system loader accepted it only on a second attempt";
    }
    const char* text = ::dlerror();
    return text ? text : "unknown dlopen error";
}

// Copies min(size, sizeof(T)) bytes into a zeroed T: fields beyond what the plugin declares read as 0.
template <class T>
T copyPrefix(const void* source, std::size_t size) {
    T out{};
    std::memcpy(&out, source, std::min(size, sizeof(T)));
    return out;
}

// Reads an mc_str the plugin handed over; false (with `error`) when it cannot be trusted.
bool readText(mc_str text, const char* field, std::size_t maxLength, std::string& out, std::string& error) {
    if (text.len == 0) {
        out.clear();
        return true;
    }
    if (!text.ptr) {
        error = std::string("descriptor field '") + field + "' has a NULL pointer with length " + std::to_string(text.len);
        return false;
    }
    if (text.len > maxLength) {
        error = std::string("descriptor field '") + field + "' is " + std::to_string(text.len) +
                " bytes long (at most " + std::to_string(maxLength) + ")";
        return false;
    }
    out.assign(text.ptr, text.len);
    return true;
}

const char* configTypeName(mc_config_type type) {
    switch (type) {
    case MC_CONFIG_STRING: return "string";
    case MC_CONFIG_INT: return "int";
    case MC_CONFIG_BOOL: return "bool";
    case MC_CONFIG_DOUBLE: return "double";
    case MC_CONFIG_INVALID: break;
    }
    return "invalid";
}

struct RequiredFunction {
    const char* name;
    std::size_t offset;
};

// Every function a kind's vtable must provide, in declaration order.
std::vector<RequiredFunction> requiredFunctions(mc_plugin_kind kind) {
#define MC_REQUIRED(TYPE, FIELD) RequiredFunction{#FIELD, offsetof(TYPE, FIELD)}
    switch (kind) {
    case MC_KIND_STORE:
        return {MC_REQUIRED(mc_store_vtable, create),         MC_REQUIRED(mc_store_vtable, destroy),
                MC_REQUIRED(mc_store_vtable, dialect),        MC_REQUIRED(mc_store_vtable, schema_version),
                MC_REQUIRED(mc_store_vtable, apply_migration), MC_REQUIRED(mc_store_vtable, write),
                MC_REQUIRED(mc_store_vtable, query),          MC_REQUIRED(mc_store_vtable, health)};
    case MC_KIND_TRANSPORT:
        return {MC_REQUIRED(mc_transport_vtable, create),     MC_REQUIRED(mc_transport_vtable, destroy),
                MC_REQUIRED(mc_transport_vtable, transports), MC_REQUIRED(mc_transport_vtable, open),
                MC_REQUIRED(mc_transport_vtable, send),       MC_REQUIRED(mc_transport_vtable, close)};
    case MC_KIND_DISCOVERY:
        return {MC_REQUIRED(mc_discovery_vtable, create), MC_REQUIRED(mc_discovery_vtable, destroy)};
    case MC_KIND_INVALID: break;
    }
#undef MC_REQUIRED
    return {};
}

// The bytes of a kind's vtable the host needs: up to the end of its last required function.
std::size_t requiredVtableSize(mc_plugin_kind kind) {
    switch (kind) {
    case MC_KIND_STORE: return MC_FIELD_END(mc_store_vtable, health);
    case MC_KIND_TRANSPORT: return MC_FIELD_END(mc_transport_vtable, close);
    case MC_KIND_DISCOVERY: return MC_FIELD_END(mc_discovery_vtable, destroy);
    case MC_KIND_INVALID: break;
    }
    return 0;
}

std::size_t knownVtableSize(mc_plugin_kind kind) {
    switch (kind) {
    case MC_KIND_STORE: return sizeof(mc_store_vtable);
    case MC_KIND_TRANSPORT: return sizeof(mc_transport_vtable);
    case MC_KIND_DISCOVERY: return sizeof(mc_discovery_vtable);
    case MC_KIND_INVALID: break;
    }
    return 0;
}

bool isFunctionSet(const void* vtable, std::size_t offset) {
    void (*fn)() = nullptr;
    std::memcpy(&fn, static_cast<const char*>(vtable) + offset, sizeof(fn));
    return fn != nullptr;
}

void appendNullableString(std::string& out, const std::string& value) {
    if (value.empty())
        out += "null";
    else
        out += json::quote(value);
}

} // namespace

bool isValidPluginId(const std::string& id) {
    if (id.empty() || id.size() > kMaxIdLength) return false;
    auto lowerOrDigit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!lowerOrDigit(id.front())) return false;
    return std::all_of(id.begin(), id.end(), [&](char c) { return lowerOrDigit(c) || c == '-'; });
}

void PluginRegistry::refuse(PluginLoadRecord record, const std::string& reason) {
    record.loaded = false;
    record.reason = reason;
    loaderLog()->warn("refused plugin '{}': {}", record.path, reason);
    records_.push_back(std::move(record));
}

void PluginRegistry::loadDirectory(const std::string& dir) {
    std::vector<fs::path> files;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        PluginLoadRecord record;
        record.path = dir;
        refuse(std::move(record), fs::exists(dir, ec) ? "plugins directory '" + dir + "' is not a directory"
                                                      : "plugins directory '" + dir + "' does not exist");
        return;
    }
    fs::directory_iterator it(dir, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        std::error_code fileEc;
        if (it->path().extension() == ".so" && it->is_regular_file(fileEc)) files.push_back(it->path());
    }
    if (ec) {
        PluginLoadRecord record;
        record.path = dir;
        refuse(std::move(record), "cannot list plugins directory '" + dir + "': " + ec.message());
        return;
    }
    std::sort(files.begin(), files.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
    loaderLog()->info("loading {} plugin file(s) from '{}'", files.size(), dir);
    for (const auto& file : files) loadFile(file.string());
}

bool PluginRegistry::loadFile(const std::string& path) {
    PluginLoadRecord record;
    record.path = path;
    record.info.path = path;
    try {
        auto library = std::make_shared<boost::dll::shared_library>();
        boost::dll::fs::error_code loadError;
        library->load(path, loadError, boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
        if (loadError || !library->is_loaded()) {
            refuse(std::move(record), "not a loadable shared library: " + dlopenErrorText(path));
            return false;
        }
#if defined(__SANITIZE_ADDRESS__)
        // Sanitizer builds keep plugins mapped after unloading, so a leak report can name their code.
        ::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
#endif
        if (!library->has(MC_PLUGIN_ENTRY_SYMBOL)) {
            refuse(std::move(record), "missing entry symbol '" MC_PLUGIN_ENTRY_SYMBOL "'");
            return false;
        }
        auto entry = library->get<const mc_plugin_descriptor*()>(MC_PLUGIN_ENTRY_SYMBOL);
        const mc_plugin_descriptor* raw = nullptr;
        try {
            raw = entry();
        } catch (...) {
            refuse(std::move(record), "entry symbol '" MC_PLUGIN_ENTRY_SYMBOL "' threw an exception");
            return false;
        }
        if (!raw) {
            refuse(std::move(record), "entry symbol '" MC_PLUGIN_ENTRY_SYMBOL "' returned NULL");
            return false;
        }

        const std::size_t declaredSize = raw->struct_size;
        const std::string tooSmall = "descriptor struct_size " + std::to_string(declaredSize) +
                                     " is smaller than the " + std::to_string(kDescriptorRequiredSize) +
                                     " bytes the host needs";
        if (declaredSize < kDescriptorVersionSize) {
            refuse(std::move(record), tooSmall);
            return false;
        }
        const auto descriptor = copyPrefix<mc_plugin_descriptor>(raw, declaredSize);
        record.info.abiMajor = descriptor.abi_major;
        record.info.abiMinor = descriptor.abi_minor;
        const std::string pluginAbi = abiText(descriptor.abi_major, descriptor.abi_minor);
        const std::string hostAbi = abiText(MC_ABI_MAJOR, MC_ABI_MINOR);
        if (descriptor.abi_major != MC_ABI_MAJOR) {
            refuse(std::move(record), "plugin ABI " + pluginAbi + " is incompatible with host ABI " + hostAbi +
                                          ": different major version");
            return false;
        }
        if (descriptor.abi_minor > MC_ABI_MINOR) {
            refuse(std::move(record), "plugin built for ABI " + pluginAbi + ", host supports up to " + hostAbi +
                                          ": newer minor version");
            return false;
        }
        if (declaredSize < kDescriptorRequiredSize) {
            refuse(std::move(record), tooSmall);
            return false;
        }

        std::string error;
        PluginInfo& info = record.info;
        if (!readText(descriptor.id, "id", kMaxTextLength, info.id, error) ||
            !readText(descriptor.version, "version", kMaxTextLength, info.version, error) ||
            !readText(descriptor.description, "description", kMaxTextLength, info.description, error)) {
            refuse(std::move(record), error);
            return false;
        }
        if (descriptor.kind != MC_KIND_TRANSPORT && descriptor.kind != MC_KIND_DISCOVERY &&
            descriptor.kind != MC_KIND_STORE) {
            refuse(std::move(record), "invalid plugin kind " + std::to_string(static_cast<int>(descriptor.kind)) +
                                          ": expected 1 (transport), 2 (discovery) or 3 (store)");
            return false;
        }
        info.kind = descriptor.kind;
        if (!isValidPluginId(info.id)) {
            refuse(std::move(record), "invalid plugin id '" + info.id + "': must match [a-z0-9][a-z0-9-]*" +
                                          (info.id.size() > kMaxIdLength ? " and be at most 64 characters" : ""));
            return false;
        }
        if (auto first = byId_.find(info.id); first != byId_.end()) {
            refuse(std::move(record), "duplicate plugin id '" + info.id + "': '" + path + "' conflicts with '" +
                                          first->second->info.path + "', which was loaded first");
            return false;
        }

        // Config keys are optional: a descriptor that ends before them declares none.
        if (declaredSize >= MC_FIELD_END(mc_plugin_descriptor, config_key_count) && descriptor.config_key_count > 0) {
            const std::size_t count = descriptor.config_key_count;
            if (!descriptor.config_keys) {
                refuse(std::move(record), "descriptor declares " + std::to_string(count) +
                                              " config keys but config_keys is NULL");
                return false;
            }
            if (count > kMaxConfigKeys) {
                refuse(std::move(record), "descriptor declares " + std::to_string(count) + " config keys (at most " +
                                              std::to_string(kMaxConfigKeys) + ")");
                return false;
            }
            for (std::size_t i = 0; i < count; ++i) {
                const mc_config_key& key = descriptor.config_keys[i];
                ConfigKeyInfo keyInfo;
                if (!readText(key.name, "config_keys[].name", kMaxTextLength, keyInfo.name, error) ||
                    !readText(key.default_value, "config_keys[].default_value", kMaxTextLength,
                              keyInfo.defaultValue, error) ||
                    !readText(key.description, "config_keys[].description", kMaxTextLength, keyInfo.description,
                              error)) {
                    refuse(std::move(record), error);
                    return false;
                }
                if (keyInfo.name.empty()) {
                    refuse(std::move(record), "config key #" + std::to_string(i) + " has an empty name");
                    return false;
                }
                if (key.type < MC_CONFIG_STRING || key.type > MC_CONFIG_DOUBLE) {
                    refuse(std::move(record), "config key '" + keyInfo.name + "' has invalid type " +
                                                  std::to_string(static_cast<int>(key.type)));
                    return false;
                }
                keyInfo.type = key.type;
                keyInfo.hasDefault = key.default_value.len > 0;
                keyInfo.required = key.required != 0;
                info.configKeys.push_back(std::move(keyInfo));
            }
        }

        const char* kind = kindName(info.kind);
        if (!descriptor.vtable) {
            refuse(std::move(record), std::string("descriptor has a NULL ") + kind + " vtable");
            return false;
        }
        // The vtable's own struct_size and the descriptor's vtable_size must both cover a field.
        std::size_t vtableSize = descriptor.vtable_size;
        if (vtableSize >= sizeof(std::size_t))
            vtableSize = std::min(vtableSize, *static_cast<const std::size_t*>(descriptor.vtable));
        if (vtableSize < requiredVtableSize(info.kind)) {
            refuse(std::move(record), std::string(kind) + " vtable is too small: " + std::to_string(vtableSize) +
                                          " bytes, the host needs at least " +
                                          std::to_string(requiredVtableSize(info.kind)));
            return false;
        }
        auto plugin = std::make_shared<LoadedPlugin>();
        void* copy = nullptr;
        switch (info.kind) {
        case MC_KIND_STORE: plugin->store = copyPrefix<mc_store_vtable>(descriptor.vtable, vtableSize); copy = &plugin->store; break;
        case MC_KIND_TRANSPORT: plugin->transport = copyPrefix<mc_transport_vtable>(descriptor.vtable, vtableSize); copy = &plugin->transport; break;
        case MC_KIND_DISCOVERY: plugin->discovery = copyPrefix<mc_discovery_vtable>(descriptor.vtable, vtableSize); copy = &plugin->discovery; break;
        case MC_KIND_INVALID: break;
        }
        // The host's copy says how much of it is real.
        const std::size_t trusted = std::min(vtableSize, knownVtableSize(info.kind));
        std::memcpy(copy, &trusted, sizeof(trusted));
        for (const auto& fn : requiredFunctions(info.kind)) {
            if (!isFunctionSet(copy, fn.offset)) {
                refuse(std::move(record), std::string("required function '") + fn.name + "' of the " + kind +
                                              " vtable is missing");
                return false;
            }
        }

        plugin->info = info;
        plugin->library = library;
        record.loaded = true;
        records_.push_back(record);
        plugins_.push_back(plugin);
        byId_[info.id] = plugin;
        loaderLog()->info("loaded plugin '{}' {} ({}, ABI {}) from '{}'", info.id, info.version, kind, pluginAbi, path);
        return true;
    } catch (const std::exception& e) {
        refuse(std::move(record), std::string("unexpected error while loading: ") + e.what());
    } catch (...) {
        refuse(std::move(record), "unexpected error while loading");
    }
    return false;
}

std::shared_ptr<const LoadedPlugin> PluginRegistry::find(const std::string& id) const {
    auto it = byId_.find(id);
    return it == byId_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const LoadedPlugin>> PluginRegistry::ofKind(mc_plugin_kind kind) const {
    std::vector<std::shared_ptr<const LoadedPlugin>> out;
    for (const auto& plugin : plugins_)
        if (plugin->info.kind == kind) out.push_back(plugin);
    return out;
}

std::string PluginRegistry::reportJson() const {
    std::string out = "{\"plugins\":[";
    bool firstRecord = true;
    for (const auto& record : records_) {
        if (!firstRecord) out += ',';
        firstRecord = false;
        const PluginInfo& info = record.info;
        out += "{\"file\":" + json::quote(record.path);
        out += ",\"status\":";
        out += record.loaded ? "\"loaded\"" : "\"refused\"";
        out += ",\"reason\":";
        appendNullableString(out, record.reason);
        out += ",\"id\":";
        appendNullableString(out, info.id);
        out += ",\"version\":";
        appendNullableString(out, info.version);
        out += ",\"kind\":";
        appendNullableString(out, info.kind == MC_KIND_INVALID ? std::string() : std::string(kindName(info.kind)));
        out += ",\"abi\":";
        appendNullableString(out, info.abiMajor == 0 && info.abiMinor == 0 ? std::string()
                                                                          : abiText(info.abiMajor, info.abiMinor));
        out += ",\"description\":" + json::quote(info.description);
        out += ",\"config_keys\":[";
        bool firstKey = true;
        for (const auto& key : info.configKeys) {
            if (!firstKey) out += ',';
            firstKey = false;
            out += "{\"name\":" + json::quote(key.name);
            out += ",\"type\":" + json::quote(configTypeName(key.type));
            out += ",\"default\":";
            out += key.hasDefault ? json::quote(key.defaultValue) : "null";
            out += ",\"required\":";
            out += key.required ? "true" : "false";
            out += ",\"description\":" + json::quote(key.description) + "}";
        }
        out += "]}";
    }
    out += "],\"loaded\":" + std::to_string(loadedCount()) + ",\"refused\":" + std::to_string(refusedCount()) + "}";
    return out;
}

} // namespace mc::host
