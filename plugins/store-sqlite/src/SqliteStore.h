#pragma once
// The embedded store: one SQLite file (WAL, foreign keys on, synchronous=NORMAL) behind one
// connection. A mutex serializes the host's threads on it: SQLite has a single writer anyway and the
// batches are short, so a pool would only add lock contention inside SQLite.
#include "mc/sdk.hpp"

#include <Poco/Data/Session.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

struct sqlite3;

namespace mc::records {
struct KindSpec;
}

namespace mc::store_sqlite {

using mc::records::KindSpec;

struct BatchedFtsIndex; // SqliteStore.cpp

class SqliteStore : public mc::sdk::StorePlugin {
public:
    SqliteStore(mc::sdk::Host host, std::string_view configJson);
    ~SqliteStore() override;

    void start() override;
    void stop() override;

    std::string dialect() const override { return "sqlite"; }
    std::int64_t schemaVersion() override;
    void applyMigration(std::int64_t version, std::string_view name, std::string_view sql) override;
    void write(std::string_view kind, std::string_view recordsJson, mc::sdk::Sink& result) override;
    void query(std::string_view name, std::string_view paramsJson, mc::sdk::Sink& rows) override;
    void health(mc::sdk::Sink& statusJson) override;

private:
    // The store's own queries, in SqliteQueries.cpp (the catalog is SqliteQueries).
    std::string queryThreadStates(const std::string& paramsJson);
    std::string queryMigrations();

    void open();
    sqlite3* handle(); // the open connection; throws MC_ERR_UNAVAILABLE when not started
    void ensureMigrationTable();
    std::string nowTimestamp() const;

    std::string path_;
    std::int64_t busyTimeoutMs_;
    std::string synchronous_;
    // Full-text indexes the store fills once per write batch (migration 004 dropped their per-row
    // insert triggers): which of them this database has, looked up at the first write after open or
    // a migration.
    std::vector<const BatchedFtsIndex*> batchedFts_;
    bool batchedFtsKnown_ = false;
    std::mutex mutex_; // guards session_ and every statement on it
    std::unique_ptr<Poco::Data::Session> session_;
};

} // namespace mc::store_sqlite
