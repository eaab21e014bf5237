#pragma once
// Owns the one active store instance: creates and starts it from a loaded plugin, brings its schema up
// to date, forwards writes and queries, stops and destroys it. Thread-safe as far as the store is
// (the store ABI requires stores to be).
//
// A new version of the store plugin (its file replaced in plugins.dir) is taken by reload(): the new
// instance starts and migrates beside the old one, then takes every call from then on; the old one
// stops when the calls it was serving have ended (each call holds the version it began on), and its
// library goes with it.
#include "plugin/HostContext.h"
#include "plugin/LoadedPlugin.h"
#include "plugin/PluginInstance.h"
#include "plugin/PluginStatus.h"
#include "store/MigrationRunner.h"

#include "mc/records/RecordSchema.h"

#include <functional>
#include <mutex>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mc::host {

class StoreService {
public:
    // Creates + starts the instance (the context holds its config: prefix stripped, defaults applied),
    // then migrates. Throws StoreError with a message naming the instance and the reason, e.g.
    // "store-sqlite/default: start failed (io): cannot open SQLite database 'x.db': ...".
    // `statuses`: the table `context` reports into (it outlives the service).
    StoreService(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context,
                 const std::string& migrationsDir, const PluginStatusTable& statuses);
    ~StoreService(); // stop + destroy
    StoreService(const StoreService&) = delete;
    StoreService& operator=(const StoreService&) = delete;

    // Starts `plugin` (a new version of the store in use) with `context`, migrates, and switches every
    // later call to it. Throws StoreError as the constructor does; the old version then keeps serving.
    void reload(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context);

    MigrationReport migration() const;
    std::string dialect() const;
    std::string pluginId() const;
    std::string version() const; // the plugin version serving now

    // The instance's status row (InstanceStatus::json members) plus "dialect", "schema_version" and
    // "details" (what describe() wrote, {} without it).
    std::string healthJson();
    mc_component_status status() const;
    bool healthy(); // status() == OK
    // The host's own observation of the store (the writer's failing writes), in the same vocabulary.
    void reportStatus(mc_component_status status, const std::string& message);

    // The store's status; on failure `error` holds its reason. `resultJson` is what the store wrote.
    mc_status write(std::string_view kind, std::string_view recordsJson, std::string& resultJson, std::string& error);
    // The writer's batch as records (write_records), or as the JSON of write("events") for a store
    // without that hook (or that refused it once with MC_ERR_UNSUPPORTED). THREAD: the writer's.
    mc_status writeRecords(const std::vector<const mc::records::TypedRecord*>& records, std::string& resultJson,
                           std::string& error);
    mc_status query(std::string_view name, std::string_view paramsJson, std::string& resultJson, std::string& error);
    // Retention (the store's expire hook): deletes at most `maxRows` records of `kind` older than
    // `before`; *deleted says how many. MC_ERR_UNSUPPORTED when the store has no expire hook.
    // THREAD: the store writer thread, between writes (StoreWriter::between).
    mc_status expire(std::string_view kind, std::string_view before, std::size_t maxRows, std::uint64_t& deleted,
                     std::string& error);
    // A lease of the cluster (the store ABI's lease hook): `holder` is who holds it after the
    // operation ("" when free). MC_ERR_UNSUPPORTED when the store keeps no leases. THREAD: any.
    mc_status lease(mc_lease_op op, std::string_view name, std::string_view holder, std::int64_t ttlMs,
                    std::string& currentHolder, std::string& error);
    bool keepsLeases();
    // The same, handing each chunk to `write` as the store produces it (nothing is buffered here);
    // `write` returning false asks the store to stop (the client went away).
    using ChunkWriter = std::function<bool(std::string_view)>;
    mc_status queryStream(std::string_view name, std::string_view paramsJson, const ChunkWriter& write, std::string& error);

    // Highest applied schema version as the store reports it now.
    int64_t schemaVersion();

private:
    class Target;
    struct Active; // one started, migrated version of the store
    std::shared_ptr<Active> active() const;
    static std::shared_ptr<Active> open(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context,
                                        const std::string& migrationsDir);
    static mc_status queryOn(Active& active, std::string_view name, std::string_view paramsJson, const ChunkWriter& write,
                             std::string& error);

    const PluginStatusTable* statuses_;
    const std::string migrationsDir_;
    mutable std::mutex mutex_;      // guards active_ (the pointer; a version itself is shared)
    std::shared_ptr<Active> active_; // what new calls use
};

} // namespace mc::host
