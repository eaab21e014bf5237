#pragma once
// Loads plugin libraries from a directory, checks each against the C ABI contract and keeps the ones
// that pass. Every file considered gets a PluginLoadRecord (GET /api/plugins); a refused file is
// logged once (logger "plugin-loader") with its path and the reason, and unloaded. A bad plugin never
// makes loadDirectory throw.
//
// Plugins dropped into the directory later are picked up by rescan(): new files are loaded, changed
// ones loaded again (the caller drains the old version's instances), removed ones dropped. Each file
// is loaded from a private copy (then unlinked), so a file overwritten in place while the host runs
// can never change the code already mapped, and a replaced file reloads under its own path.
//
// Threading: every member may be called from any thread; loads and rescans are serialised.
#include "plugin/LoadedPlugin.h"
#include "plugin/PluginInstance.h" // callers of the registry create instances with it
#include "plugin/PluginStatus.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace mc::host {

class PluginRegistry {
public:
    PluginRegistry();
    ~PluginRegistry(); // removes the private copies' directory
    PluginRegistry(const PluginRegistry&) = delete;
    PluginRegistry& operator=(const PluginRegistry&) = delete;

    // Every regular `*.so` file in `dir` (not recursive), in file-name order. A missing or unreadable
    // directory becomes one refused record naming it.
    void loadDirectory(const std::string& dir);
    // One library; returns true when it was loaded.
    bool loadFile(const std::string& path);

    // What a rescan changed. The registry no longer lists `removed` plugins nor the old half of
    // `replaced`; the caller stops their instances (a library stays mapped while anything holds it).
    struct Changes {
        std::vector<std::shared_ptr<const LoadedPlugin>> added;
        std::vector<std::shared_ptr<const LoadedPlugin>> removed;
        std::vector<std::pair<std::shared_ptr<const LoadedPlugin>, std::shared_ptr<const LoadedPlugin>>> replaced; // old, new
        std::vector<std::pair<std::string, std::string>> refused; // path, reason (a replacement refused: the old one runs on)
        bool empty() const { return added.empty() && removed.empty() && replaced.empty() && refused.empty(); }
        // {"added":[id...],"removed":[id...],"replaced":[id...],"refused":[{"file","reason"}...]}
        std::string json() const;
    };
    // Compares `dir` with what was loaded from it before (by path, and by device, inode, size and
    // modification time): loads new files, loads changed ones again, drops removed ones. A file that
    // was refused is tried again once it changes.
    Changes rescan(const std::string& dir);

    std::vector<PluginLoadRecord> report() const;
    std::shared_ptr<const LoadedPlugin> find(const std::string& id) const; // nullptr when unknown
    std::vector<std::shared_ptr<const LoadedPlugin>> ofKind(mc_plugin_kind kind) const; // load order
    std::vector<std::shared_ptr<const LoadedPlugin>> plugins() const;

    // {"plugins":[{"file","status","reason","id","version","kind","abi","description","config_prefix",
    //   "transports","config_keys":[{"name","type","default","required","secret","min","max","choices",
    //   "description"}],"instances":[InstanceStatus::json()...]}],"loaded":N,"refused":M}
    std::string reportJson() const;

    // The status of every instance of every plugin (HostContext reports into it).
    PluginStatusTable& statuses() { return statuses_; }
    const PluginStatusTable& statuses() const { return statuses_; }

    std::size_t loadedCount() const;
    std::size_t refusedCount() const;

private:
    struct FileIdentity {
        std::uint64_t device = 0, inode = 0, size = 0;
        std::int64_t modifiedNs = 0;
        bool operator==(const FileIdentity& o) const {
            return device == o.device && inode == o.inode && size == o.size && modifiedNs == o.modifiedNs;
        }
    };
    static bool identify(const std::string& path, FileIdentity& out);
    std::vector<std::string> pluginFiles(const std::string& dir); // sorted; a refused record when unreadable
    // Loads `path` (from a private copy). `replacing`: the plugin this file replaces, exempt from the
    // duplicate id/prefix checks. On success `*loaded` is the plugin, not yet listed; on failure
    // `reason` says why (also logged).
    bool loadLocked(const std::string& path, const LoadedPlugin* replacing, PluginLoadRecord& record,
                    std::shared_ptr<LoadedPlugin>& loaded);
    void refuse(PluginLoadRecord& record, const std::string& reason);
    void list(PluginLoadRecord record, std::shared_ptr<LoadedPlugin> plugin); // appends a record (and plugin)
    std::string shadowCopy(const std::string& path, std::string& error);

    mutable std::mutex mutex_;
    std::string shadowDir_;           // created on first load
    std::uint64_t shadowCount_ = 0;
    std::map<std::string, FileIdentity> seen_; // path -> identity when last loaded or refused
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
