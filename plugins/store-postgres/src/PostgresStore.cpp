#include "PostgresStore.h"

#include "PostgresCatalog.h"

#include "mc/records/BatchWrite.h"
#include "mc/records/RecordAbi.h"
#include "mc/records/QueryParams.h"
#include "mc/records/JsonText.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <unordered_map>
#include <vector>

namespace mc::store_postgres {
using namespace mc::records;
namespace {

using mc::sdk::Error;

// PostgreSQL takes at most 65535 parameters per statement; a multi-row INSERT stays well below.
constexpr std::size_t kRowsPerStatement = 500;

const char* castFor(FieldType type) {
    switch (type) {
    case FieldType::Timestamp: return "timestamp";
    case FieldType::Integer: return "bigint";
    case FieldType::Real: return "float8";
    case FieldType::Boolean: return "boolean";
    case FieldType::Json: return "jsonb";
    case FieldType::Text: break;
    }
    return "text";
}

std::string columnList(const KindSpec& spec) {
    std::string cols = "id";
    for (const auto& f : spec.fields) cols += ", " + quoted(f.column);
    return cols;
}

// "($1::text, $2::timestamp, ...)" for the row whose first parameter is `first`.
std::string valuesTuple(const KindSpec& spec, std::size_t first) {
    std::string out = "($" + std::to_string(first) + "::text";
    for (std::size_t i = 0; i < spec.fields.size(); ++i)
        out += ", $" + std::to_string(first + 1 + i) + "::" + castFor(spec.fields[i].type);
    return out + ")";
}

void appendParams(std::vector<PgParam>& params, const KindSpec& spec, const NormalizedRecord& record) {
    params.emplace_back(record.id);
    for (std::size_t i = 0; i < spec.fields.size(); ++i) params.push_back(toParam(spec.fields[i].type, record.values[i]));
}

// A statement inside a SAVEPOINT: a record the database refuses (constraint, data exception) rolls
// back to it and comes back as a PgError the caller turns into a reject; the transaction goes on.
template <typename Work>
std::optional<PgError> guarded(PGconn* conn, Work work) {
    execute(conn, "SAVEPOINT mc_record");
    try {
        work();
    } catch (const PgError& e) {
        if (!e.isRecordError()) throw;
        execute(conn, "ROLLBACK TO SAVEPOINT mc_record");
        execute(conn, "RELEASE SAVEPOINT mc_record");
        return e;
    }
    execute(conn, "RELEASE SAVEPOINT mc_record");
    return std::nullopt;
}

// The write rules (mc/records/BatchWrite.h) on one open transaction. InsertOnce runs go in
// multi-row INSERTs; only when one of those hits a constraint are its rows retried one by one (each
// in a savepoint) to find the record at fault, so one bad record does not cost the others.
// A partitioned table's key holds its time too (migration 010), so there the ids are looked up
// across the partitions first: an id is stored once whatever time a re-send carries.
class PgWriteTarget : public WriteTarget {
public:
    PgWriteTarget(PGconn* conn, const PostgresPartitions& partitions) : conn_(conn), partitions_(partitions), thread_(*findKind("thread")) {}

    std::optional<NormalizedRecord> findThread(const std::string& id) override {
        auto rows = execute(conn_, "SELECT " + selectColumns(thread_) + " FROM threads WHERE id = $1", {id});
        if (rows.rows() == 0) return std::nullopt;
        return readRecord(rows, 0, thread_);
    }
    std::optional<std::string> insertThread(const NormalizedRecord& thread) override {
        std::vector<PgParam> params;
        appendParams(params, thread_, thread);
        const std::string sql = "INSERT INTO threads (" + columnList(thread_) + ") VALUES " + valuesTuple(thread_, 1);
        return reason(guarded(conn_, [&] { execute(conn_, sql, params); }));
    }
    std::optional<std::string> updateThread(const NormalizedRecord& thread) override {
        std::string sets;
        std::vector<PgParam> params{thread.id};
        for (std::size_t i = 0; i < thread_.fields.size(); ++i) {
            const auto& f = thread_.fields[i];
            params.push_back(toParam(f.type, thread.values[i]));
            sets += (sets.empty() ? "" : ", ") + quoted(f.column) + " = $" + std::to_string(i + 2) + "::" + castFor(f.type);
        }
        const std::string sql = "UPDATE threads SET " + sets + " WHERE id = $1";
        return reason(guarded(conn_, [&] { execute(conn_, sql, params); }));
    }
    std::vector<InsertResult> insertOnce(const KindSpec& spec, const std::vector<const NormalizedRecord*>& run) override {
        if (partitions_.partitioned(spec.table)) return insertOnceByIdFirst(spec, run);
        return insertAll(spec, run);
    }
    // Multi-row INSERTs of `run`, row by row when one fails on a record's constraint.
    std::vector<InsertResult> insertAll(const KindSpec& spec, const std::vector<const NormalizedRecord*>& run) {
        std::vector<InsertResult> out;
        for (std::size_t start = 0; start < run.size(); start += kRowsPerStatement) {
            const std::size_t end = std::min(run.size(), start + kRowsPerStatement);
            std::vector<const NormalizedRecord*> chunk(run.begin() + start, run.begin() + end);
            auto results = insertMany(spec, chunk);
            if (!results) { // a constraint failed: find which record, row by row
                results.emplace();
                for (const NormalizedRecord* record : chunk) results->push_back(insertOne(spec, *record));
            }
            out.insert(out.end(), results->begin(), results->end());
        }
        return out;
    }

    // The records whose id is neither stored nor earlier in the run are inserted; the others are
    // "not inserted", which the write rules count as duplicates (their id is stored).
    std::vector<InsertResult> insertOnceByIdFirst(const KindSpec& spec, const std::vector<const NormalizedRecord*>& run) {
        std::vector<std::string> ids;
        for (const NormalizedRecord* record : run) ids.push_back(record->id);
        std::set<std::string> taken = existing(spec, ids);
        std::vector<InsertResult> out(run.size(), InsertResult{InsertOutcome::NotInserted, {}});
        std::vector<const NormalizedRecord*> fresh;
        std::vector<std::size_t> at;
        for (std::size_t i = 0; i < run.size(); ++i) {
            if (!taken.insert(run[i]->id).second) continue;
            fresh.push_back(run[i]);
            at.push_back(i);
        }
        const auto results = insertAll(spec, fresh);
        for (std::size_t k = 0; k < results.size(); ++k) out[at[k]] = results[k];
        return out;
    }
    std::set<std::string> existing(const KindSpec& spec, const std::vector<std::string>& ids) override {
        auto rows = execute(conn_, "SELECT id FROM " + spec.table + " WHERE id = ANY($1::text[])", {textArrayLiteral(ids)});
        std::set<std::string> found;
        for (int r = 0; r < rows.rows(); ++r) found.insert(rows.text(r, 0));
        return found;
    }
    std::optional<std::string> sequenceOwner(const KindSpec& spec, const std::string& threadId,
                                             std::int64_t sequence) override {
        auto rows = execute(conn_, "SELECT id FROM " + spec.table + " WHERE thread_id = $1 AND sequence = $2::bigint",
                            {threadId, std::to_string(sequence)});
        if (rows.rows() == 0) return std::nullopt;
        return rows.text(0, 0);
    }

private:
    static std::optional<std::string> reason(const std::optional<PgError>& error) {
        if (!error) return std::nullopt;
        return std::string(error->what());
    }

    std::string insertSql(const KindSpec& spec, std::size_t rows) const {
        std::string sql = "INSERT INTO " + spec.table + " (" + columnList(spec) + ") VALUES ";
        const std::size_t perRow = spec.fields.size() + 1;
        for (std::size_t r = 0; r < rows; ++r) sql += (r ? ", " : "") + valuesTuple(spec, 1 + r * perRow);
        // No conflict target: a taken id and a taken (thread_id, sequence) are both "not inserted".
        return sql + " ON CONFLICT DO NOTHING RETURNING id";
    }

    // nullopt when the statement failed on a record's constraint (rolled back to its savepoint).
    std::optional<std::vector<InsertResult>> insertMany(const KindSpec& spec, const std::vector<const NormalizedRecord*>& rows) {
        std::vector<PgParam> params;
        for (const NormalizedRecord* record : rows) appendParams(params, spec, *record);
        std::optional<PgResult> inserted;
        if (guarded(conn_, [&] { inserted.emplace(execute(conn_, insertSql(spec, rows.size()), params)); }))
            return std::nullopt;
        // RETURNING names each inserted id once; a second record with that id was not inserted.
        std::unordered_map<std::string, int> insertedIds;
        for (int r = 0; r < inserted->rows(); ++r) ++insertedIds[inserted->text(r, 0)];
        std::vector<InsertResult> out;
        for (const NormalizedRecord* record : rows) {
            auto it = insertedIds.find(record->id);
            const bool wasInserted = it != insertedIds.end() && it->second > 0;
            if (wasInserted) --it->second;
            out.push_back({wasInserted ? InsertOutcome::Inserted : InsertOutcome::NotInserted, {}});
        }
        return out;
    }

    InsertResult insertOne(const KindSpec& spec, const NormalizedRecord& record) {
        std::vector<PgParam> params;
        appendParams(params, spec, record);
        int rows = 0;
        auto error = guarded(conn_, [&] { rows = execute(conn_, insertSql(spec, 1), params).rows(); });
        if (!error) return {rows > 0 ? InsertOutcome::Inserted : InsertOutcome::NotInserted, {}};
        return {error->isForeignKeyViolation() ? InsertOutcome::MissingThread : InsertOutcome::Failed, error->what()};
    }

    PGconn* conn_;
    const PostgresPartitions& partitions_;
    const KindSpec& thread_;
};

} // namespace

std::string quoted(const std::string& identifier) { return "\"" + identifier + "\""; }

bool isUnreachable(const Error& e) {
    return e.status() == MC_ERR_UNAVAILABLE && std::string_view(e.what()).rfind("cannot connect to PostgreSQL", 0) == 0;
}

std::string selectColumns(const KindSpec& spec, const std::string& tableAlias) {
    const std::string prefix = tableAlias.empty() ? "" : tableAlias + ".";
    const auto asText = [&](const std::string& column, bool timestamp) {
        const std::string name = prefix + quoted(column);
        return timestamp ? "to_char(" + name + ", 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')" : name + "::text";
    };
    std::string cols = prefix + "id";
    for (const auto& f : spec.fields) cols += ", " + asText(f.column, f.type == FieldType::Timestamp);
    return cols + ", " + asText("created_at", true);
}

NormalizedRecord readRecord(const PgResult& result, int row, const KindSpec& spec, int col) {
    NormalizedRecord record;
    record.id = result.text(row, col++);
    for (const auto& f : spec.fields) {
        record.present.push_back(true);
        if (result.isNull(row, col)) {
            record.values.emplace_back(std::monostate{});
        } else {
            const std::string text = result.text(row, col);
            switch (f.type) {
            case FieldType::Integer: record.values.emplace_back(static_cast<std::int64_t>(std::stoll(text))); break;
            case FieldType::Boolean: record.values.emplace_back(static_cast<std::int64_t>(text == "true" || text == "t")); break;
            case FieldType::Real: record.values.emplace_back(std::stod(text)); break;
            case FieldType::Json: record.values.emplace_back(canonicalJsonText(text)); break;
            case FieldType::Text:
            case FieldType::Timestamp: record.values.emplace_back(text); break;
            }
        }
        ++col;
    }
    return record;
}

void appendRow(std::string& out, const PgResult& result, int row, const KindSpec& spec) {
    appendJson(out, spec, readRecord(result, row, spec));
    out.pop_back();
    out += ",\"created_at\":";
    const int createdAt = static_cast<int>(spec.fields.size()) + 1;
    out += result.isNull(row, createdAt) ? "null" : jsonString(result.text(row, createdAt));
    out += '}';
}

PgParam toParam(FieldType type, const ColumnValue& value) {
    if (std::holds_alternative<std::monostate>(value)) return std::nullopt;
    if (auto* n = std::get_if<std::int64_t>(&value))
        return type == FieldType::Boolean ? std::string(*n ? "true" : "false") : std::to_string(*n);
    if (auto* d = std::get_if<double>(&value)) {
        char text[32];
        std::snprintf(text, sizeof text, "%.17g", *d); // round-trips exactly
        return std::string(text);
    }
    return std::get<std::string>(value);
}

// Hosts of a cluster share the database and start together: the one that migrates holds this
// transaction-scoped advisory lock, and the others wait for it, then find the work done.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7412930031)";

void ensureMigrationTable(PGconn* conn) {
    // Two hosts creating it at once would collide on the catalog even with IF NOT EXISTS.
    execute(conn, "BEGIN");
    execute(conn, kMigrationLock);
    execute(conn, "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
                  "applied_at TEXT NOT NULL, checksum TEXT NOT NULL)");
    execute(conn, "COMMIT");
}

PostgresStore::PostgresStore(mc::sdk::Host host, const Settings& settings) : StorePlugin(host) {
    settings_.conninfo = toConninfo(settings.url);
    settings_.maxConnections = static_cast<std::size_t>(settings.poolMax);
    if (settings.poolMin > settings.poolMax)
        throw Error(MC_ERR_CONFIG, "configuration key 'pool_min' = " + std::to_string(settings.poolMin) +
                                       " must be between 1 and " + std::to_string(settings.poolMax) + " (pool_max)");
    settings_.minConnections = static_cast<std::size_t>(settings.poolMin);
    settings_.connectTimeout = std::chrono::milliseconds(settings.connectTimeoutMs);
    settings_.statementTimeout = std::chrono::milliseconds(settings.statementTimeoutMs);
    settings_.synchronousCommit = settings.synchronousCommit;
    target_ = describeConninfo(settings_.conninfo);
}

PostgresStore::~PostgresStore() {
    try {
        stop();
    } catch (...) {
    }
}

void PostgresStore::start() {
    if (!pool_) pool_ = std::make_unique<PgPool>(settings_);
    pool_->open();
    host().info("connected to PostgreSQL (" + target_ + "), pool " + std::to_string(settings_.minConnections) + "-" +
                std::to_string(settings_.maxConnections) + ", statement_timeout " +
                std::to_string(settings_.statementTimeout.count()) + " ms");
    reportOnce(MC_COMPONENT_OK, "connected to PostgreSQL (" + target_ + ")");
}

void PostgresStore::reportOnce(mc_component_status status, const std::string& message) {
    std::lock_guard<std::mutex> lock(statusMutex_);
    if (status == reported_ && message == reportedMessage_) return;
    reported_ = status;
    reportedMessage_ = message;
    host().reportStatus(status, message);
}

void PostgresStore::stop() {
    if (pool_) pool_->close();
}

std::string PostgresStore::nowTimestamp() const { return timestampFromHostClock(host().nowUnixUs()); }

void PostgresStore::preparePartitions(PGconn* conn) {
    if (!partitions_.known()) partitions_.refresh(conn);
    partitions_.prepare(conn, utcDay(host().nowUnixUs()));
}

std::int64_t PostgresStore::schemaVersion() {
    if (!pool_) throw Error(MC_ERR_UNAVAILABLE, "the store is not started");
    std::int64_t version = 0;
    pool_->run([&](PGconn* conn) {
        ensureMigrationTable(conn);
        version = std::stoll(execute(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").text(0, 0));
    });
    return version;
}

void PostgresStore::applyMigration(std::int64_t version, std::string_view name, std::string_view sql) {
    const std::string label = "migration " + std::to_string(version) + " (" + std::string(name) + ")";
    bool applied = true;
    if (version < 1) throw Error(MC_ERR_INVALID_ARGUMENT, label + ": version must be at least 1");
    if (!pool_) throw Error(MC_ERR_UNAVAILABLE, "the store is not started");
    pool_->run([&](PGconn* conn) {
        ensureMigrationTable(conn);
        // The migration and its row commit together or not at all (PostgreSQL DDL is transactional).
        execute(conn, "BEGIN");
        execute(conn, kMigrationLock);
        const auto existing =
            execute(conn, "SELECT checksum FROM schema_migrations WHERE version = $1::bigint", {std::to_string(version)});
        if (existing.rows()) {
            // Applied meanwhile by another host on this database: the same migration is done; another is a conflict.
            if (existing.text(0, 0) != sha256Hex(sql)) throw Error(MC_ERR_CONFLICT, label + " is already applied with other content");
            execute(conn, "COMMIT");
            applied = false;
            return;
        }
        try {
            execute(conn, std::string(sql));
        } catch (const PgError& e) {
            throw Error(e.status() == MC_ERR_UNAVAILABLE ? MC_ERR_UNAVAILABLE : MC_ERR_IO, label + " failed: " + e.what());
        }
        execute(conn, "INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES ($1::bigint, $2, $3, $4)",
                {std::to_string(version), std::string(name), nowTimestamp(), sha256Hex(sql)});
        execute(conn, "COMMIT");
    });
    pool_->run([&](PGconn* conn) { partitions_.refresh(conn); }); // a migration may have partitioned a table
    host().info(applied ? "applied " + label : label + " was applied by another host meanwhile");
}

void PostgresStore::write(std::string_view kind, std::string_view recordsJson, mc::sdk::Sink& result) {
    writeBatch(parseBatch(kind, recordsJson, [this] { return nowTimestamp(); }), result);
}

void PostgresStore::writeRecords(const mc_record* records, std::size_t count, std::size_t recordSize,
                                 mc::sdk::Sink& result) {
    writeBatch(mc::records::fromAbi(records, count, recordSize), result);
}

void PostgresStore::writeBatch(ParsedBatch batch, mc::sdk::Sink& result) {
    const auto now = [this] { return nowTimestamp(); };
    WriteResult written;
    if (batch.entries.empty()) {
        written.rejected = batch.rejected; // nothing to write: no connection needed
    } else {
        if (!pool_) throw Error(MC_ERR_UNAVAILABLE, "the store is not started");
        try {
            pool_->run([&](PGconn* conn) {
                preparePartitions(conn);
                execute(conn, "BEGIN");
                PgWriteTarget target(conn, partitions_);
                written = applyBatch(batch, target, now);
                execute(conn, "COMMIT");
            });
        } catch (const Error& e) {
            // The writer finds an unreachable server first: say so at once (the pool retries by itself).
            if (isUnreachable(e)) reportOnce(MC_COMPONENT_RECOVERABLE_ERROR, e.what());
            throw;
        }
        reportOnce(MC_COMPONENT_OK, "connected to PostgreSQL (" + target_ + ")");
    }
    result.write(toJson(written));
}

std::uint64_t PostgresStore::expire(std::string_view kind, std::string_view before, std::size_t maxRows) {
    const auto* spec = mc::records::findKind(kind);
    const auto* field = spec ? mc::records::retentionField(*spec) : nullptr;
    if (!field) throw Error(MC_ERR_INVALID_ARGUMENT, "records of kind '" + std::string(kind) + "' are not expired one by one");
    if (!pool_) throw Error(MC_ERR_UNAVAILABLE, "the store is not started");
    std::uint64_t deleted = 0;
    pool_->run([&](PGconn* conn) {
        if (execute(conn, "SELECT to_regclass($1) IS NULL", {spec->table}).text(0, 0) == "t") return; // an older schema
        preparePartitions(conn);
        if (partitions_.partitioned(spec->table)) {
            // Whole days dropped; a sweep goes on while partitions due remain.
            const auto expired = partitions_.expire(conn, spec->table, std::string(before), maxRows);
            deleted = expired.more ? std::max<std::uint64_t>(expired.rows, maxRows) : expired.rows;
            return;
        }
        // Oldest first through the time index, a bounded batch: one short statement.
        const std::string table = quoted(spec->table), column = quoted(field->column);
        deleted = execute(conn, "DELETE FROM " + table + " WHERE (id, " + column + ") IN (SELECT id, " + column + " FROM " + table +
                                    " WHERE " + column + " < $1::timestamp ORDER BY " + column + " LIMIT " + std::to_string(maxRows) + ")",
                          {std::string(before)})
                      .affected();
    });
    return deleted;
}

PostgresStore::Lease PostgresStore::lease(mc_lease_op op, std::string_view name, std::string_view holder, std::int64_t ttlMs) {
    if (!pool_) throw Error(MC_ERR_UNAVAILABLE, "the store is not started");
    // The database's clock, in milliseconds since the Unix epoch.
    static const std::string kNow = "(extract(epoch from clock_timestamp()) * 1000)::bigint";
    Lease out;
    pool_->run([&](PGconn* conn) {
        if (op == MC_LEASE_ACQUIRE) {
            // Free, expired or already the holder's: taken (renewed); else left as it is.
            execute(conn,
                    "INSERT INTO leases (name, holder, expires_at_ms) VALUES ($1, $2, " + kNow + " + $3::bigint) "
                    "ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at_ms = EXCLUDED.expires_at_ms "
                    "WHERE leases.holder = EXCLUDED.holder OR leases.expires_at_ms < " + kNow,
                    {std::string(name), std::string(holder), std::to_string(ttlMs)});
        } else if (op == MC_LEASE_RELEASE) {
            execute(conn, "DELETE FROM leases WHERE name = $1 AND holder = $2", {std::string(name), std::string(holder)});
        }
        const auto row = execute(conn, "SELECT holder, expires_at_ms - " + kNow + " FROM leases WHERE name = $1 AND expires_at_ms >= " + kNow,
                                 {std::string(name)});
        if (row.rows()) {
            out.holder = row.text(0, 0);
            out.expiresInMs = std::stoll(row.text(0, 1));
        }
    });
    return out;
}

void PostgresStore::query(std::string_view name, std::string_view paramsJson, mc::sdk::Sink& rows) {
    if (!pool_) throw Error(MC_ERR_UNAVAILABLE, "the store is not started");
    if (name == "threads.state") {
        rows.write(queryThreadStates(std::string(paramsJson)));
    } else if (name == "schema_migrations.list") {
        rows.write(queryMigrations());
    } else {
        PostgresCatalog catalog(*pool_);
        catalog.run(name, paramsJson, rows);
    }
}

void PostgresStore::describe(mc::sdk::Sink& details) {
    std::string out = "\"backend\":\"postgres\",\"server\":" + jsonString(target_);
    if (!pool_) {
        // Not started (or stopped): the host's own status says so; nothing to report.
        details.write("{\"ok\":false,\"reason\":\"the store is not started\"," + out + "}");
        return;
    }
    try {
        std::string version, synchronousCommit, sizeBytes, oldest, partitions;
        pool_->run([&](PGconn* conn) {
            version = execute(conn, "SHOW server_version").text(0, 0);
            synchronousCommit = execute(conn, "SHOW synchronous_commit").text(0, 0); // what sessions really run with
            sizeBytes = execute(conn, "SELECT pg_database_size(current_database())").text(0, 0);
            if (!partitions_.known()) partitions_.refresh(conn);
            partitions = partitions_.countsJson(conn); // the days each partitioned table holds (and its default)
            // What retention keeps: the oldest record of each kind it expires (through the time index).
            for (const auto& spec : mc::records::allKinds()) {
                const auto* field = mc::records::retentionField(spec);
                if (!field || execute(conn, "SELECT to_regclass($1) IS NULL", {spec.table}).text(0, 0) == "t") continue;
                const auto first = execute(conn, "SELECT to_char(min(" + quoted(field->column) +
                                                     "), 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM " + quoted(spec.table));
                oldest += (oldest.empty() ? "" : ",") + jsonString(spec.kind) + ":" +
                          (first.isNull(0, 0) ? std::string("null") : jsonString(first.text(0, 0)));
            }
        });
        out += ",\"server_version\":" + jsonString(version) + ",\"synchronous_commit\":" + jsonString(synchronousCommit) +
               ",\"size_bytes\":" + sizeBytes + ",\"oldest\":{" + oldest + "},\"partitions\":" + partitions;
    } catch (const Error& e) {
        details.write("{\"ok\":false,\"reason\":" + jsonString(e.what()) + "," + out + "}");
        reportOnce(MC_COMPONENT_RECOVERABLE_ERROR, e.what());
        return;
    }
    out += ",\"pool_open\":" + std::to_string(pool_->openConnections()) +
           ",\"pool_idle\":" + std::to_string(pool_->idleConnections()) +
           ",\"pool_max\":" + std::to_string(settings_.maxConnections) +
           ",\"statement_timeout_ms\":" + std::to_string(settings_.statementTimeout.count());
    details.write("{\"ok\":true," + out + "}");
    reportOnce(MC_COMPONENT_OK, "connected to PostgreSQL (" + target_ + ")");
}

} // namespace mc::store_postgres
