#pragma once
// The server store: PostgreSQL through libpq (see PgPool.h for why not Poco's connector), a pool of
// connections so concurrent writers and readers do not wait on each other, one transaction per batch.
#include "PgPool.h"

#include "mc/records/RecordSchema.h"
#include "mc/sdk.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace mc::store_postgres {

using mc::records::KindSpec;
using mc::records::NormalizedRecord;

class PostgresStore : public mc::sdk::StorePlugin {
public:
    PostgresStore(mc::sdk::Host host, std::string_view configJson);
    ~PostgresStore() override;

    void start() override;
    void stop() override;

    std::string dialect() const override { return "postgres"; }
    std::int64_t schemaVersion() override;
    void applyMigration(std::int64_t version, std::string_view name, std::string_view sql) override;
    void write(std::string_view kind, std::string_view recordsJson, mc::sdk::Sink& result) override;
    void query(std::string_view name, std::string_view paramsJson, mc::sdk::Sink& rows) override;
    void health(mc::sdk::Sink& statusJson) override;

private:
    std::string nowTimestamp() const;
    // The store's own queries, in PostgresQueries.cpp (the catalog is PostgresCatalog).
    std::string queryThreadStates(const std::string& paramsJson);
    std::string queryMigrations();

    PoolSettings settings_;
    std::string target_; // conninfo without the password, for messages
    std::unique_ptr<PgPool> pool_;
};

// ---- Shared by the writes and PostgresQueries.cpp ------------------------------------------------
std::string quoted(const std::string& identifier);
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
