#pragma once
// Owns the one active store instance: creates and starts it from a loaded plugin, brings its schema up
// to date, forwards writes and queries, stops and destroys it. Thread-safe as far as the store is
// (the store ABI requires stores to be).
#include "plugin/HostContext.h"
#include "plugin/LoadedPlugin.h"
#include "plugin/PluginInstance.h"
#include "plugin/PluginStatus.h"
#include "store/MigrationRunner.h"

#include "mc/records/RecordSchema.h"

#include <functional>
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

    const MigrationReport& migration() const { return migration_; }
    std::string dialect() const { return dialect_; }
    const std::string& pluginId() const;

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
    // The same, handing each chunk to `write` as the store produces it (nothing is buffered here);
    // `write` returning false asks the store to stop (the client went away).
    using ChunkWriter = std::function<bool(std::string_view)>;
    mc_status queryStream(std::string_view name, std::string_view paramsJson, const ChunkWriter& write, std::string& error);

    // Highest applied schema version as the store reports it now.
    int64_t schemaVersion();

private:
    class Target;
    [[noreturn]] void fail(const std::string& step, mc_status status, const std::string& reason) const;

    std::shared_ptr<const LoadedPlugin> plugin_;
    const PluginStatusTable* statuses_;
    std::unique_ptr<PluginInstance> instance_; // stops (if started) and destroys on destruction
    bool jsonOnly_ = false; // the store refused write_records once (writer thread only)
    std::string name_;                         // "<plugin-id>/<instance>", the prefix of every error
    std::string dialect_;
    MigrationReport migration_;
};

} // namespace mc::host
