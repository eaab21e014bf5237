#include "plugin/PluginRegistry.h"

#include "log/Logging.h"
#include "plugin/PluginConfig.h"
#include "util/Json.h"

#include "mc/sdk.hpp"

#include <boost/dll/shared_library.hpp>
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <system_error>
#include <utility>

// AddressSanitizer, as g++ (__SANITIZE_ADDRESS__) and clang (__has_feature) say it.
#if defined(__SANITIZE_ADDRESS__)
#define MC_KEEP_PLUGINS_MAPPED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MC_KEEP_PLUGINS_MAPPED 1
#endif
#endif

namespace mc::host {
namespace {

namespace fs = std::filesystem;

// Where a struct field ends: a struct whose struct_size reaches this far has the field.
#define MC_FIELD_END(TYPE, FIELD) (offsetof(TYPE, FIELD) + sizeof(TYPE::FIELD))

// ABI 2.0's descriptor, whole: every field up to config_prefix is read.
constexpr std::size_t kDescriptorRequiredSize = sizeof(mc_plugin_descriptor);
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

struct RequiredFunction {
    const char* name;
    std::size_t offset;
};

// Every function a kind's vtable must provide, in declaration order.
std::vector<RequiredFunction> requiredFunctions(mc_plugin_kind kind) {
#define MC_REQUIRED(TYPE, FIELD) RequiredFunction{#FIELD, offsetof(TYPE, FIELD)}
    switch (kind) {
    case MC_KIND_STORE:
        return {MC_REQUIRED(mc_store_vtable, create),          MC_REQUIRED(mc_store_vtable, destroy),
                MC_REQUIRED(mc_store_vtable, dialect),         MC_REQUIRED(mc_store_vtable, schema_version),
                MC_REQUIRED(mc_store_vtable, apply_migration), MC_REQUIRED(mc_store_vtable, write),
                MC_REQUIRED(mc_store_vtable, query)};
    case MC_KIND_TRANSPORT:
        return {MC_REQUIRED(mc_transport_vtable, create),          MC_REQUIRED(mc_transport_vtable, destroy),
                MC_REQUIRED(mc_transport_vtable, transports),      MC_REQUIRED(mc_transport_vtable, validate),
                MC_REQUIRED(mc_transport_vtable, open_connection), MC_REQUIRED(mc_transport_vtable, send),
                MC_REQUIRED(mc_transport_vtable, close_connection)};
    case MC_KIND_DISCOVERY:
        return {MC_REQUIRED(mc_discovery_vtable, create), MC_REQUIRED(mc_discovery_vtable, destroy)};
    case MC_KIND_RECEIVER:
        return {MC_REQUIRED(mc_receiver_vtable, create), MC_REQUIRED(mc_receiver_vtable, destroy),
                MC_REQUIRED(mc_receiver_vtable, routes), MC_REQUIRED(mc_receiver_vtable, handle)};
    case MC_KIND_BUS:
        return {MC_REQUIRED(mc_bus_vtable, create),  MC_REQUIRED(mc_bus_vtable, destroy),
                MC_REQUIRED(mc_bus_vtable, append),  MC_REQUIRED(mc_bus_vtable, follow),
                MC_REQUIRED(mc_bus_vtable, publish), MC_REQUIRED(mc_bus_vtable, subscribe),
                MC_REQUIRED(mc_bus_vtable, unsubscribe)};
    default: break;
    }
#undef MC_REQUIRED
    return {};
}

// The bytes of a kind's vtable the host reads: all of ABI 2.0's (its last fields are hooks it calls).
std::size_t requiredVtableSize(mc_plugin_kind kind) {
    switch (kind) {
    case MC_KIND_STORE: return sizeof(mc_store_vtable);
    case MC_KIND_TRANSPORT: return sizeof(mc_transport_vtable);
    case MC_KIND_DISCOVERY: return sizeof(mc_discovery_vtable);
    case MC_KIND_RECEIVER: return sizeof(mc_receiver_vtable);
    case MC_KIND_BUS: return sizeof(mc_bus_vtable);
    default: break;
    }
    return 0;
}

std::size_t knownVtableSize(mc_plugin_kind kind) { return requiredVtableSize(kind); }

mc_status appendToString(void* ctx, mc_str chunk) {
    try {
        if (chunk.len && !chunk.ptr) return MC_ERR_INVALID_ARGUMENT;
        auto* out = static_cast<std::string*>(ctx);
        if (out->size() + chunk.len > kMaxTextLength) return MC_ERR_INVALID_ARGUMENT;
        out->append(chunk.ptr ? chunk.ptr : "", chunk.len);
        return MC_OK;
    } catch (...) {
        return MC_ERR_INTERNAL;
    }
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

bool isValidPluginId(const std::string& id) { return mc::sdk::detail::validId(id); }

bool isValidConfigPrefix(const std::string& prefix) { return mc::sdk::detail::validPrefix(prefix); }

PluginRegistry::PluginRegistry() = default;

PluginRegistry::~PluginRegistry() {
    if (shadowDir_.empty()) return;
    std::error_code ec;
    fs::remove_all(shadowDir_, ec);
}

void PluginRegistry::refuse(PluginLoadRecord& record, const std::string& reason) {
    record.loaded = false;
    record.reason = reason;
    loaderLog()->warn("refused plugin '{}': {}", record.path, reason);
}

void PluginRegistry::list(PluginLoadRecord record, std::shared_ptr<LoadedPlugin> plugin) {
    if (plugin) {
        plugins_.push_back(plugin);
        byId_[plugin->info.id] = plugin;
    }
    records_.push_back(std::move(record));
}

bool PluginRegistry::identify(const std::string& path, FileIdentity& out) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return false;
    out.device = static_cast<std::uint64_t>(st.st_dev);
    out.inode = static_cast<std::uint64_t>(st.st_ino);
    out.size = static_cast<std::uint64_t>(st.st_size);
    out.modifiedNs = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    return true;
}

// The file copied into a directory of the registry's own (0700), under a name used once, so dlopen
// maps bytes nobody else writes and never returns a library loaded before from the same path.
std::string PluginRegistry::shadowCopy(const std::string& path, std::string& error) {
    std::error_code ec;
    if (shadowDir_.empty()) {
        std::string pattern = (fs::temp_directory_path(ec) / "mission-control-plugins-XXXXXX").string();
        if (ec || !::mkdtemp(pattern.data())) {
            error = "cannot create a directory for plugin copies under the temporary directory: " +
                    std::string(std::strerror(errno));
            return {};
        }
        shadowDir_ = pattern;
    }
    const std::string copy =
        (fs::path(shadowDir_) / (std::to_string(++shadowCount_) + "-" + fs::path(path).filename().string())).string();
    if (!fs::copy_file(path, copy, fs::copy_options::overwrite_existing, ec)) {
        error = "cannot copy it for loading: " + ec.message();
        return {};
    }
    return copy;
}

std::vector<PluginLoadRecord> PluginRegistry::report() const {
    std::lock_guard lock(mutex_);
    return records_;
}

std::vector<std::shared_ptr<const LoadedPlugin>> PluginRegistry::plugins() const {
    std::lock_guard lock(mutex_);
    return plugins_;
}

std::size_t PluginRegistry::loadedCount() const {
    std::lock_guard lock(mutex_);
    return plugins_.size();
}

std::size_t PluginRegistry::refusedCount() const {
    std::lock_guard lock(mutex_);
    return records_.size() - plugins_.size();
}

std::vector<std::string> PluginRegistry::pluginFiles(const std::string& dir) {
    std::vector<std::string> files;
    std::error_code ec;
    const auto unreadable = [&](const std::string& reason) {
        PluginLoadRecord record;
        record.path = dir;
        refuse(record, reason);
        list(std::move(record), nullptr);
    };
    if (!fs::is_directory(dir, ec)) {
        unreadable(fs::exists(dir, ec) ? "plugins directory '" + dir + "' is not a directory"
                                       : "plugins directory '" + dir + "' does not exist");
        return files;
    }
    fs::directory_iterator it(dir, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        std::error_code fileEc;
        if (it->path().extension() == ".so" && it->is_regular_file(fileEc)) files.push_back(it->path().string());
    }
    if (ec) {
        unreadable("cannot list plugins directory '" + dir + "': " + ec.message());
        return {};
    }
    std::sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
        return fs::path(a).filename().string() < fs::path(b).filename().string();
    });
    return files;
}

void PluginRegistry::loadDirectory(const std::string& dir) {
    std::lock_guard lock(mutex_);
    const auto files = pluginFiles(dir);
    loaderLog()->info("loading {} plugin file(s) from '{}'", files.size(), dir);
    for (const auto& file : files) {
        PluginLoadRecord record;
        std::shared_ptr<LoadedPlugin> plugin;
        FileIdentity identity;
        if (identify(file, identity)) seen_[file] = identity;
        loadLocked(file, nullptr, record, plugin);
        list(std::move(record), std::move(plugin));
    }
}

bool PluginRegistry::loadFile(const std::string& path) {
    std::lock_guard lock(mutex_);
    PluginLoadRecord record;
    std::shared_ptr<LoadedPlugin> plugin;
    FileIdentity identity;
    if (identify(path, identity)) seen_[path] = identity;
    const bool ok = loadLocked(path, nullptr, record, plugin);
    list(std::move(record), std::move(plugin));
    return ok;
}

PluginRegistry::Changes PluginRegistry::rescan(const std::string& dir) {
    std::lock_guard lock(mutex_);
    Changes changes;
    // A directory that was unreadable before is judged again.
    records_.erase(std::remove_if(records_.begin(), records_.end(), [&](const PluginLoadRecord& r) { return r.path == dir; }),
                   records_.end());
    const std::size_t recordsBefore = records_.size();
    const auto files = pluginFiles(dir);
    if (records_.size() > recordsBefore) {
        // The directory cannot be read (gone, not a directory): nothing loaded is dropped for that.
        changes.refused.emplace_back(dir, records_.back().reason);
        return changes;
    }
    const std::set<std::string> present(files.begin(), files.end());
    const auto inDir = [norm = [](fs::path p) {
        p = p.lexically_normal();
        return p.has_filename() ? p : p.parent_path();
    }, &dir](const std::string& path) { return norm(fs::path(path).parent_path()) == norm(fs::path(dir)); };
    const auto recordOf = [&](const std::string& path) {
        return std::find_if(records_.begin(), records_.end(), [&](const PluginLoadRecord& r) { return r.path == path; });
    };
    const auto pluginOf = [&](const std::string& path) -> std::shared_ptr<LoadedPlugin> {
        for (const auto& p : plugins_)
            if (p->info.path == path) return std::const_pointer_cast<LoadedPlugin>(p);
        return nullptr;
    };
    const auto unlist = [&](const std::shared_ptr<LoadedPlugin>& plugin) {
        plugins_.erase(std::remove(plugins_.begin(), plugins_.end(), plugin), plugins_.end());
        if (auto it = byId_.find(plugin->info.id); it != byId_.end() && it->second == plugin) byId_.erase(it);
    };
    // Removed files first, so a plugin moved to another file name keeps its id.
    for (auto it = seen_.begin(); it != seen_.end();) {
        const std::string path = it->first;
        if (!inDir(path) || present.count(path)) {
            ++it;
            continue;
        }
        if (auto plugin = pluginOf(path)) {
            unlist(plugin);
            changes.removed.push_back(plugin);
            loaderLog()->info("plugin '{}' removed: '{}' is gone", plugin->info.id, path);
        }
        if (auto record = recordOf(path); record != records_.end()) records_.erase(record);
        it = seen_.erase(it);
    }
    for (const auto& file : files) {
        FileIdentity identity;
        if (!identify(file, identity)) continue; // gone since the listing: the next rescan sees it
        auto known = seen_.find(file);
        if (known != seen_.end() && known->second == identity) continue;
        seen_[file] = identity;
        const auto old = pluginOf(file);
        PluginLoadRecord record;
        std::shared_ptr<LoadedPlugin> plugin;
        if (!loadLocked(file, old.get(), record, plugin)) {
            if (old) {
                // The running version stays: a bad replacement must not take a working plugin away.
                auto kept = recordOf(file);
                kept->reason = "the file was replaced by one that was refused (" + record.reason +
                               "); the version loaded before keeps running";
                changes.refused.emplace_back(file, record.reason);
                continue;
            }
            if (auto previous = recordOf(file); previous != records_.end()) records_.erase(previous);
            changes.refused.emplace_back(file, record.reason);
            list(std::move(record), nullptr);
            continue;
        }
        if (old) {
            unlist(old);
            auto previous = recordOf(file);
            *previous = record;
            plugins_.push_back(plugin);
            byId_[plugin->info.id] = plugin;
            changes.replaced.emplace_back(old, plugin);
        } else {
            if (auto previous = recordOf(file); previous != records_.end()) records_.erase(previous);
            changes.added.push_back(plugin);
            list(std::move(record), plugin);
        }
    }
    return changes;
}

std::string PluginRegistry::Changes::json() const {
    const auto ids = [](const std::vector<std::shared_ptr<const LoadedPlugin>>& plugins) {
        std::string out = "[";
        for (std::size_t i = 0; i < plugins.size(); ++i) out += (i ? "," : "") + json::quote(plugins[i]->info.id);
        return out + "]";
    };
    std::string out = "{\"added\":" + ids(added) + ",\"removed\":" + ids(removed) + ",\"replaced\":[";
    for (std::size_t i = 0; i < replaced.size(); ++i) out += (i ? "," : "") + json::quote(replaced[i].second->info.id);
    out += "],\"refused\":[";
    for (std::size_t i = 0; i < refused.size(); ++i)
        out += std::string(i ? "," : "") + "{\"file\":" + json::quote(refused[i].first) + ",\"reason\":" +
               json::quote(refused[i].second) + "}";
    return out + "]}";
}

bool PluginRegistry::loadLocked(const std::string& path, const LoadedPlugin* replacing, PluginLoadRecord& record,
                                std::shared_ptr<LoadedPlugin>& loaded) {
    record = PluginLoadRecord{};
    record.path = path;
    record.info.path = path;
    try {
        std::string copyError;
        const std::string shadow = shadowCopy(path, copyError);
        if (shadow.empty()) {
            refuse(record, copyError);
            return false;
        }
        // The copy is unlinked once loaded (or refused): the mapping outlives the name.
        struct Unlink {
            std::string path;
            ~Unlink() { ::unlink(path.c_str()); }
        } unlinkCopy{shadow};
        auto library = std::make_shared<boost::dll::shared_library>();
        boost::dll::fs::error_code loadError;
        library->load(shadow, loadError, boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
        if (loadError || !library->is_loaded()) {
            std::string text = dlopenErrorText(shadow);
            for (auto at = text.find(shadow); at != std::string::npos; at = text.find(shadow, at + path.size()))
                text.replace(at, shadow.size(), path);
            refuse(record, "not a loadable shared library: " + text);
            return false;
        }
#if defined(MC_KEEP_PLUGINS_MAPPED)
        // Sanitizer builds keep plugins (and the libraries they brought) mapped after unloading: what
        // those keep for the life of the process stays reachable, and a leak report can name their code.
        ::dlopen(shadow.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
#endif
        if (!library->has(MC_PLUGIN_ENTRY_SYMBOL)) {
            refuse(record, "missing entry symbol '" MC_PLUGIN_ENTRY_SYMBOL "'");
            return false;
        }
        auto entry = library->get<const mc_plugin_descriptor*()>(MC_PLUGIN_ENTRY_SYMBOL);
        const mc_plugin_descriptor* raw = nullptr;
        try {
            raw = entry();
        } catch (...) {
            refuse(record, "entry symbol '" MC_PLUGIN_ENTRY_SYMBOL "' threw an exception");
            return false;
        }
        if (!raw) {
            refuse(record, "entry symbol '" MC_PLUGIN_ENTRY_SYMBOL "' returned NULL");
            return false;
        }

        const std::size_t declaredSize = raw->struct_size;
        const std::string tooSmall = "descriptor struct_size " + std::to_string(declaredSize) +
                                     " is smaller than the " + std::to_string(kDescriptorRequiredSize) +
                                     " bytes of ABI " + abiText(MC_ABI_MAJOR, MC_ABI_MINOR) + "'s descriptor";
        if (declaredSize < kDescriptorVersionSize) {
            refuse(record, tooSmall);
            return false;
        }
        // Only the version fields are read before the major is known to match.
        const auto version = copyPrefix<mc_plugin_descriptor>(raw, kDescriptorVersionSize);
        record.info.abiMajor = version.abi_major;
        record.info.abiMinor = version.abi_minor;
        const std::string pluginAbi = abiText(version.abi_major, version.abi_minor);
        const std::string hostAbi = abiText(MC_ABI_MAJOR, MC_ABI_MINOR);
        if (version.abi_major != MC_ABI_MAJOR) {
            refuse(record, "plugin ABI " + pluginAbi + " is incompatible with host ABI " + hostAbi +
                                          ": different major version");
            return false;
        }
        if (version.abi_minor > MC_ABI_MINOR) {
            refuse(record, "plugin built for ABI " + pluginAbi + ", host supports up to " + hostAbi +
                                          ": newer minor version");
            return false;
        }
        if (declaredSize < kDescriptorRequiredSize) {
            refuse(record, tooSmall);
            return false;
        }
        const auto descriptor = copyPrefix<mc_plugin_descriptor>(raw, declaredSize);

        std::string error;
        PluginInfo& info = record.info;
        if (!readText(descriptor.id, "id", kMaxTextLength, info.id, error) ||
            !readText(descriptor.version, "version", kMaxTextLength, info.version, error) ||
            !readText(descriptor.description, "description", kMaxTextLength, info.description, error) ||
            !readText(descriptor.config_prefix, "config_prefix", kMaxTextLength, info.configPrefix, error)) {
            refuse(record, error);
            return false;
        }
        if (descriptor.kind != MC_KIND_TRANSPORT && descriptor.kind != MC_KIND_DISCOVERY &&
            descriptor.kind != MC_KIND_STORE && descriptor.kind != MC_KIND_RECEIVER && descriptor.kind != MC_KIND_BUS) {
            refuse(record, "invalid plugin kind " + std::to_string(static_cast<int>(descriptor.kind)) +
                                          ": expected 1 (transport), 2 (discovery), 3 (store), 4 (receiver) or 5 (bus)");
            return false;
        }
        info.kind = descriptor.kind;
        if (!isValidPluginId(info.id)) {
            refuse(record, "invalid plugin id '" + info.id + "': must match [a-z0-9][a-z0-9-]*" +
                                          (info.id.size() > kMaxIdLength ? " and be at most 64 characters" : ""));
            return false;
        }
        if (info.version.empty()) {
            refuse(record, "descriptor has no version");
            return false;
        }
        if (!isValidConfigPrefix(info.configPrefix)) {
            refuse(record, "invalid config_prefix '" + info.configPrefix +
                                          "': must be dot-separated [a-z0-9][a-z0-9_-]* parts, e.g. \"discovery.files\"");
            return false;
        }
        if (auto first = byId_.find(info.id); first != byId_.end() && first->second.get() != replacing) {
            refuse(record, "duplicate plugin id '" + info.id + "': '" + path + "' conflicts with '" +
                                          first->second->info.path + "', which was loaded first");
            return false;
        }
        for (const auto& other : plugins_) {
            if (other.get() != replacing && other->info.configPrefix == info.configPrefix) {
                refuse(record, "config_prefix '" + info.configPrefix + "' is already the prefix of '" +
                                              other->info.id + "' (" + other->info.path + "), which was loaded first");
                return false;
            }
        }

        // Declared keys, read through the plugin's stride (config_key_size): a newer minor's longer
        // mc_config_key still reads right, a shorter one is refused.
        if (descriptor.config_key_count > 0) {
            const std::size_t count = descriptor.config_key_count;
            if (!descriptor.config_keys) {
                refuse(record, "descriptor declares " + std::to_string(count) +
                                              " config keys but config_keys is NULL");
                return false;
            }
            if (count > kMaxConfigKeys) {
                refuse(record, "descriptor declares " + std::to_string(count) + " config keys (at most " +
                                              std::to_string(kMaxConfigKeys) + ")");
                return false;
            }
            if (descriptor.config_key_size < sizeof(mc_config_key)) {
                refuse(record, "config_key_size (the key stride) " + std::to_string(descriptor.config_key_size) +
                                              " is smaller than the " + std::to_string(sizeof(mc_config_key)) +
                                              " bytes of ABI " + hostAbi + "'s mc_config_key");
                return false;
            }
            const char* base = reinterpret_cast<const char*>(descriptor.config_keys);
            for (std::size_t i = 0; i < count; ++i) {
                const char* at = base + i * descriptor.config_key_size;
                std::size_t keySize = 0;
                std::memcpy(&keySize, at, sizeof keySize);
                if (keySize < sizeof(mc_config_key)) {
                    refuse(record, "config key #" + std::to_string(i) + ": struct_size " + std::to_string(keySize) +
                                                  " is smaller than the " + std::to_string(sizeof(mc_config_key)) +
                                                  " bytes of ABI " + hostAbi + "'s mc_config_key");
                    return false;
                }
                const auto key = copyPrefix<mc_config_key>(at, sizeof(mc_config_key));
                ConfigKeyInfo keyInfo;
                if (!readText(key.name, "config_keys[].name", kMaxTextLength, keyInfo.name, error) ||
                    !readText(key.default_value, "config_keys[].default_value", kMaxTextLength,
                              keyInfo.defaultValue, error) ||
                    !readText(key.choices, "config_keys[].choices", kMaxTextLength, keyInfo.choices, error) ||
                    !readText(key.description, "config_keys[].description", kMaxTextLength, keyInfo.description,
                              error) ||
                    !readText(key.example, "config_keys[].example", kMaxTextLength, keyInfo.example, error)) {
                    refuse(record, error);
                    return false;
                }
                keyInfo.type = key.type;
                keyInfo.hasDefault = !keyInfo.defaultValue.empty();
                keyInfo.required = (key.flags & MC_CONFIG_REQUIRED) != 0;
                keyInfo.secret = (key.flags & MC_CONFIG_SECRET) != 0;
                keyInfo.hasRange = (key.flags & MC_CONFIG_HAS_RANGE) != 0;
                keyInfo.min = key.min;
                keyInfo.max = key.max;
                // The SDK's rules (names, types, flags, defaults that parse and fit): the same the
                // settings tables are checked by at compile time and the fake host at run time.
                const mc_config_key copy = keyInfo.abi();
                if (const auto problem = mc::sdk::detail::keyProblem(copy); problem != mc::sdk::detail::KeyProblem::None) {
                    refuse(record, "config key '" + keyInfo.name + "' (#" + std::to_string(i) +
                                                  "): " + mc::sdk::detail::describe(problem));
                    return false;
                }
                for (const auto& earlier : info.configKeys) {
                    if (earlier.name == keyInfo.name) {
                        refuse(record, "config key '" + keyInfo.name + "' is declared twice");
                        return false;
                    }
                }
                info.configKeys.push_back(std::move(keyInfo));
            }
        }

        const char* kind = kindName(info.kind);
        if (!descriptor.vtable) {
            refuse(record, std::string("descriptor has a NULL ") + kind + " vtable");
            return false;
        }
        // The vtable's own struct_size and the descriptor's vtable_size must both cover every field.
        std::size_t vtableSize = descriptor.vtable_size;
        if (vtableSize >= sizeof(std::size_t))
            vtableSize = std::min(vtableSize, *static_cast<const std::size_t*>(descriptor.vtable));
        if (vtableSize < requiredVtableSize(info.kind)) {
            refuse(record, std::string(kind) + " vtable is too small: " + std::to_string(vtableSize) +
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
        case MC_KIND_RECEIVER: plugin->receiver = copyPrefix<mc_receiver_vtable>(descriptor.vtable, vtableSize); copy = &plugin->receiver; break;
        case MC_KIND_BUS: plugin->bus = copyPrefix<mc_bus_vtable>(descriptor.vtable, vtableSize); copy = &plugin->bus; break;
        default: break;
        }
        // The host's copy says how much of it is real.
        const std::size_t trusted = std::min(vtableSize, knownVtableSize(info.kind));
        std::memcpy(copy, &trusted, sizeof(trusted));
        for (const auto& fn : requiredFunctions(info.kind)) {
            if (!isFunctionSet(copy, fn.offset)) {
                refuse(record, std::string("required function '") + fn.name + "' of the " + kind +
                                              " vtable is missing");
                return false;
            }
        }
        if (info.kind == MC_KIND_TRANSPORT) {
            std::string names;
            mc_sink sink{&names, &appendToString};
            mc_status status = MC_ERR_INTERNAL;
            try {
                status = plugin->transport.transports(&sink);
            } catch (...) {
                status = MC_ERR_INTERNAL;
            }
            if (status != MC_OK) {
                refuse(record, std::string("transports() failed (") + statusName(status) + ")");
                return false;
            }
            std::string_view rest = names, item;
            while (mc::sdk::detail::nextItem(rest, item)) info.transports.emplace_back(item);
            if (info.transports.empty()) {
                refuse(record, "transports() names no transport");
                return false;
            }
        }

        plugin->info = info;
        plugin->library = library;
        record.loaded = true;
        loaded = plugin;
        loaderLog()->info("{} plugin '{}' {} ({}, ABI {}) from '{}'", replacing ? "reloaded" : "loaded", info.id,
                          info.version, kind, pluginAbi, path);
        return true;
    } catch (const std::exception& e) {
        refuse(record, std::string("unexpected error while loading: ") + e.what());
    } catch (...) {
        refuse(record, "unexpected error while loading");
    }
    return false;
}

std::shared_ptr<const LoadedPlugin> PluginRegistry::find(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = byId_.find(id);
    return it == byId_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const LoadedPlugin>> PluginRegistry::ofKind(mc_plugin_kind kind) const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<const LoadedPlugin>> out;
    for (const auto& plugin : plugins_)
        if (plugin->info.kind == kind) out.push_back(plugin);
    return out;
}

std::string PluginRegistry::reportJson() const {
    const auto records = report();
    std::string out = "{\"plugins\":[";
    bool firstRecord = true;
    std::size_t loaded = 0;
    for (const auto& record : records) {
        loaded += record.loaded ? 1 : 0;
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
        out += ",\"config_prefix\":";
        appendNullableString(out, info.configPrefix);
        out += ",\"transports\":[";
        for (std::size_t i = 0; i < info.transports.size(); ++i) out += (i ? "," : "") + json::quote(info.transports[i]);
        out += "],\"config_keys\":[";
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
            out += ",\"secret\":";
            out += key.secret ? "true" : "false";
            out += ",\"min\":";
            out += key.hasRange ? mc::sdk::detail::formatNumber(key.min) : "null";
            out += ",\"max\":";
            out += key.hasRange ? mc::sdk::detail::formatNumber(key.max) : "null";
            out += ",\"choices\":";
            if (key.type == MC_CONFIG_ENUM) {
                out += '[';
                std::string_view rest = key.choices, item;
                bool firstChoice = true;
                while (mc::sdk::detail::nextItem(rest, item)) {
                    out += (firstChoice ? "" : ",") + json::quote(std::string(item));
                    firstChoice = false;
                }
                out += ']';
            } else {
                out += "null";
            }
            out += ",\"expected\":" + json::quote(expectedValue(key));
            out += ",\"description\":" + json::quote(key.description) + "}";
        }
        out += "],\"instances\":[";
        if (record.loaded) {
            bool firstInstance = true;
            for (const auto& row : statuses_.ofPlugin(info.id)) {
                out += (firstInstance ? "" : ",") + row.json();
                firstInstance = false;
            }
        }
        out += "]}";
    }
    out += "],\"loaded\":" + std::to_string(loaded) + ",\"refused\":" + std::to_string(records.size() - loaded) + "}";
    return out;
}

std::string pluginKeysText(const PluginRegistry& registry) {
    std::string out;
    for (const auto& plugin : registry.plugins()) {
        const PluginInfo& info = plugin->info;
        out += info.id + " " + info.version + " (" + kindName(info.kind) + "): " + info.description + "\n";
        if (info.configKeys.empty()) out += "  (no keys)\n";
        for (const auto& key : info.configKeys) {
            out += "  " + info.configPrefix + "." + key.name + (key.type == MC_CONFIG_OBJECT ? ".<name>" : "") + " = " +
                   key.defaultValue + "  (" + expectedValue(key) + (key.required ? ", required" : "") +
                   (key.secret ? ", secret: ${env:NAME} or ${file:/path}" : "") + ")\n      " + key.description + "\n";
        }
    }
    for (const auto& record : registry.report())
        if (!record.loaded) out += "refused: " + record.path + ": " + record.reason + "\n";
    return out;
}

} // namespace mc::host
