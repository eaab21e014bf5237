#pragma once
// The embedded store: one SQLite file (WAL, foreign keys on, synchronous as configured: FULL by
// default) behind one connection. A mutex serializes the host's threads on it: SQLite has a single
// writer anyway and the batches are short, so a pool would only add lock contention inside SQLite.
// WAL checkpoints run on a thread of their own (WalCheckpointer.h), not inside the writer's commits.
#include "mc/records/BatchWrite.h"
#include "mc/sdk.hpp"

#include "WalCheckpointer.h"

#include <Poco/Data/Session.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace mc::records {
struct KindSpec;
}

namespace mc::store_sqlite {

using mc::records::KindSpec;

struct BatchedFtsIndex; // SqliteStore.cpp
class StatementCache;   // SqliteSupport.h

struct Settings {
    std::string path;
    std::int64_t busyTimeoutMs = 0;
    std::string synchronous; // lower-case choice; the store uses it upper-case
};

// The keys under store.sqlite., declared once (types, defaults, ranges, choices, help).
constexpr mc::sdk::Key<Settings> kSettings[] = {
    mc::sdk::key("path", &Settings::path).byDefault("mission-control.db").example("/var/lib/mission-control/mission-control.db")
        .help("SQLite database file; created if missing, its directory must exist"),
    mc::sdk::key("busy_timeout_ms", &Settings::busyTimeoutMs).byDefault("5000").range(0, 600000)
        .help("How long a statement waits for another connection's lock before failing"),
    mc::sdk::key("synchronous", &Settings::synchronous).choices("full,normal,off,extra").byDefault("full")
        .help("PRAGMA synchronous: FULL (an acknowledged event survives power loss), NORMAL (faster; the last "
              "commits may be lost on power loss), OFF or EXTRA"),
};

class SqliteStore : public mc::sdk::StorePlugin {
public:
    SqliteStore(mc::sdk::Host host, const Settings& settings);
    ~SqliteStore() override;

    void start() override;
    void stop() override;

    std::string dialect() const override { return "sqlite"; }
    std::int64_t schemaVersion() override;
    void applyMigration(std::int64_t version, std::string_view name, std::string_view sql) override;
    void write(std::string_view kind, std::string_view recordsJson, mc::sdk::Sink& result) override;
    // The host's records as they are (no JSON between): the same batch rules and result as write.
    void writeRecords(const mc_record* records, std::size_t count, std::size_t recordSize, mc::sdk::Sink& result) override;
    void query(std::string_view name, std::string_view paramsJson, mc::sdk::Sink& rows) override;
    // Retention: one DELETE of the oldest rows (a log's full-text entry goes with it, by trigger).
    std::uint64_t expire(std::string_view kind, std::string_view before, std::size_t maxRows) override;
    Lease lease(mc_lease_op op, std::string_view name, std::string_view holder, std::int64_t ttlMs) override;
    // Details (backend, path, wal, journal_mode, foreign_keys, synchronous, busy_timeout_ms,
    // size_bytes, wal_checkpoints, and ok/reason of the check); reports the status the check finds (OK, or
    // PERMANENT_ERROR when the database file is gone, RECOVERABLE_ERROR when it cannot be read).
    void describe(mc::sdk::Sink& details) override;

private:
    void writeBatch(mc::records::ParsedBatch batch, mc::sdk::Sink& result);
    // The store's own queries, in SqliteQueries.cpp (the catalog is SqliteQueries).
    std::string queryThreadStates(const std::string& paramsJson);
    std::string queryMigrations();

    void open();
    sqlite3* handle(); // the open connection; throws MC_ERR_UNAVAILABLE when not started
    void ensureMigrationTable();
    std::string nowTimestamp() const;
    void reportOnce(mc_component_status status, const std::string& message);

    std::string path_;
    std::int64_t busyTimeoutMs_;
    std::string synchronous_;
    // Full-text indexes the store fills once per write batch (migration 004 dropped their per-row
    // insert triggers): which of them this database has, looked up at the first write after open or
    // a migration.
    std::vector<const BatchedFtsIndex*> batchedFts_;
    bool batchedFtsKnown_ = false;
    std::unique_ptr<StatementCache> statements_; // the writes' statements on session_'s connection, kept across batches
    std::mutex mutex_; // guards session_ and every statement on it
    std::mutex statusMutex_;
    mc_component_status reported_ = MC_COMPONENT_INVALID; // last status reported (repeat only on change)
    std::string reportedMessage_;
    std::unique_ptr<Poco::Data::Session> session_;
    std::unique_ptr<WalCheckpointer> checkpointer_; // with session_; stopped before it closes
};

} // namespace mc::store_sqlite
