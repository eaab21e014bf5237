#pragma once
// The server store: PostgreSQL through libpq (see PgPool.h for why not Poco's connector), a pool of
// connections so concurrent writers and readers do not wait on each other, one transaction per batch.
#include "PgPool.h"
#include "PostgresPartitions.h"

#include "mc/records/BatchWrite.h"
#include "mc/records/RecordSchema.h"
#include "mc/sdk.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace mc::store_postgres {

using mc::records::KindSpec;
using mc::records::NormalizedRecord;

struct Settings {
    std::string url;
    std::int64_t poolMin = 0;
    std::int64_t poolMax = 0;
    std::int64_t connectTimeoutMs = 0;
    std::int64_t statementTimeoutMs = 0;
    std::string synchronousCommit;
};

// The keys under store.postgres., declared once (types, defaults, ranges, choices, help).
constexpr mc::sdk::Key<Settings> kSettings[] = {
    mc::sdk::key("url", &Settings::url).required().secret().example("host=127.0.0.1 port=5432 dbname=mc user=mc")
        .help("libpq conninfo ('host=127.0.0.1 port=5432 dbname=mc user=mc') or "
              "postgresql://user:pass@host:port/db?sslmode=... URL; may be given as ${env:NAME} or ${file:/path}"),
    mc::sdk::key("pool_min", &Settings::poolMin).byDefault("1").range(1, 256)
        .help("Connections opened at start and kept (at most pool_max)"),
    mc::sdk::key("pool_max", &Settings::poolMax).byDefault("8").range(1, 256)
        .help("Most connections open at once"),
    mc::sdk::key("connect_timeout_ms", &Settings::connectTimeoutMs).byDefault("5000").range(100, 600000)
        .help("Longest wait for a connection: connecting (libpq rounds up to whole seconds, at least 2) "
              "or a free pooled one"),
    mc::sdk::key("statement_timeout_ms", &Settings::statementTimeoutMs).byDefault("30000").range(100, 3600000)
        .help("PostgreSQL statement_timeout of every connection"),
    mc::sdk::key("synchronous_commit", &Settings::synchronousCommit)
        .choices("on,off,local,remote_write,remote_apply").byDefault("on")
        .help("PostgreSQL synchronous_commit of every connection: on (an acknowledged event survives a server "
              "crash), off (faster; the last commits may be lost), local, remote_write or remote_apply"),
};

class PostgresStore : public mc::sdk::StorePlugin {
public:
    PostgresStore(mc::sdk::Host host, const Settings& settings);
    ~PostgresStore() override;

    void start() override;
    void stop() override;

    std::string dialect() const override { return "postgres"; }
    std::int64_t schemaVersion() override;
    void applyMigration(std::int64_t version, std::string_view name, std::string_view sql) override;
    void write(std::string_view kind, std::string_view recordsJson, mc::sdk::Sink& result) override;
    // The host's records as they are (no JSON between): the same batch rules and result as write.
    void writeRecords(const mc_record* records, std::size_t count, std::size_t recordSize, mc::sdk::Sink& result) override;
    void query(std::string_view name, std::string_view paramsJson, mc::sdk::Sink& rows) override;
    // Retention: one DELETE of the oldest rows, on a pooled connection; of a partitioned table, its
    // partitions wholly before `before` dropped and the oldest rows of its default partition deleted.
    std::uint64_t expire(std::string_view kind, std::string_view before, std::size_t maxRows) override;
    Lease lease(mc_lease_op op, std::string_view name, std::string_view holder, std::int64_t ttlMs) override;
    // Details (backend, server, server_version, synchronous_commit, size_bytes, oldest, partitions, pool_open,
    // pool_idle, pool_max, statement_timeout_ms, and ok/reason of the check); reports the status the check finds (OK, or
    // RECOVERABLE_ERROR while the server cannot be reached: the pool reconnects by itself).
    void describe(mc::sdk::Sink& details) override;

private:
    void writeBatch(mc::records::ParsedBatch batch, mc::sdk::Sink& result);
    std::string nowTimestamp() const;
    // The partitioned tables known, and the days around today (by the host's clock) prepared.
    void preparePartitions(PGconn* conn);
    void reportOnce(mc_component_status status, const std::string& message);
    // The store's own queries, in PostgresQueries.cpp (the catalog is PostgresCatalog).
    std::string queryThreadStates(const std::string& paramsJson);
    std::string queryMigrations();

    PoolSettings settings_;
    std::string target_; // conninfo without the password, for messages
    std::unique_ptr<PgPool> pool_;
    PostgresPartitions partitions_;
    std::mutex statusMutex_;
    mc_component_status reported_ = MC_COMPONENT_INVALID; // last status reported (repeat only on change)
    std::string reportedMessage_;
};

// ---- Shared by the writes and PostgresQueries.cpp ------------------------------------------------
std::string quoted(const std::string& identifier);
// An error of the pool that means the server cannot be reached (not a statement's failure).
bool isUnreachable(const mc::sdk::Error& e);
// "id, <each field as text: timestamps as RFC 3339 UTC>, created_at" for SELECTs of `spec`'s table.
std::string selectColumns(const KindSpec& spec, const std::string& tableAlias = "");
// A row selected with selectColumns(spec) starting at `col` as the record it stores.
NormalizedRecord readRecord(const PgResult& result, int row, const KindSpec& spec, int col = 0);
// Appends that row as the record's canonical JSON plus created_at.
void appendRow(std::string& out, const PgResult& result, int row, const KindSpec& spec);
// A parameter for `value` of a field of `type`.
PgParam toParam(mc::records::FieldType type, const mc::records::ColumnValue& value);
void ensureMigrationTable(PGconn* conn);

} // namespace mc::store_postgres
