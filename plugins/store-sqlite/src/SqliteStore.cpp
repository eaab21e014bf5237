#include "SqliteStore.h"
#include "SqliteQueries.h"
#include "SqliteSupport.h"

#include "mc/records/BatchWrite.h"
#include "mc/records/JsonText.h"
#include "mc/records/RecordAbi.h"
#include "mc/records/QueryParams.h"

#include <Poco/AutoPtr.h>
#include <Poco/Data/SQLite/SessionImpl.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>

#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <vector>

namespace mc::store_sqlite {

// Logs and transcripts are indexed for full-text search once per batch, by one INSERT ... SELECT of
// the rows the batch added, instead of by a trigger per row: FTS5 flushes its pending index at every
// statement savepoint, and a row trigger that writes a virtual table makes each INSERT open one, so
// per-row triggers cost more than everything else in a write (callgrind, docs/storage.md#write-path).
// Threads keep their triggers (few rows, and updated in place).
struct BatchedFtsIndex {
    const char* table;
    const char* fts;
    const char* column;
    const char* droppedTrigger; // present: the database predates migration 004 and indexes per row
};

namespace {

// The WAL's size in pages past which it is copied back into the database: SQLite's own default.
constexpr int kCheckpointPages = 1000;

const BatchedFtsIndex kBatchedFtsIndexes[] = {
    {"logs", "logs_fts", "message", "logs_fts_insert"},
    {"transcripts", "transcripts_fts", "content", "transcripts_fts_insert"},
};

using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;

bool schemaHas(sqlite3* db, const char* type, const char* name) {
    Prepared select(db, "SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?");
    select.bind(1, std::string(type));
    select.bind(2, std::string(name));
    return select.step();
}

// The write rules (mc/records/BatchWrite.h) on one open transaction: row by row, since SQLite runs
// in-process and a prepared statement per row costs no round trip. Its statements are the store's,
// kept across batches.
class SqliteWriteTarget : public WriteTarget {
public:
    SqliteWriteTarget(sqlite3* db, StatementCache& statements) : db_(db), statements_(statements) {}

    std::optional<NormalizedRecord> findThread(const std::string& id) override {
        const KindSpec& spec = *findKind("thread");
        auto select = statements_.use(db_, "find thread", [&] { return "SELECT " + selectColumns(spec) + " FROM threads WHERE id = ?"; });
        select->bind(1, id);
        if (!select->step()) return std::nullopt;
        return readRecord(select->get(), spec);
    }
    std::optional<std::string> insertThread(const NormalizedRecord& thread) override {
        const KindSpec& spec = *findKind("thread");
        auto insert = statements_.use(db_, "insert thread", [&] { return insertSql(spec, ""); });
        return runRow(*insert, thread, true);
    }
    std::optional<std::string> updateThread(const NormalizedRecord& thread) override {
        const KindSpec& spec = *findKind("thread");
        auto update = statements_.use(db_, "update thread", [&] { return updateSql(spec); });
        return runRow(*update, thread, false);
    }
    std::vector<InsertResult> insertOnce(const KindSpec& spec, const std::vector<const NormalizedRecord*>& run) override {
        // No conflict target: a taken id and a taken (thread_id, sequence) are both "not inserted".
        auto insert = statements_.use(db_, "insert " + spec.kind, [&] { return insertSql(spec, " ON CONFLICT DO NOTHING"); });
        std::vector<InsertResult> out;
        for (const NormalizedRecord* record : run) {
            InsertResult r;
            if (auto failure = runRow(*insert, *record, true)) {
                const bool foreignKey = failure->find("FOREIGN KEY") != std::string::npos;
                r = {foreignKey ? InsertOutcome::MissingThread : InsertOutcome::Failed, *failure};
            } else if (sqlite3_changes(db_) == 0) {
                r.outcome = InsertOutcome::NotInserted;
            }
            out.push_back(std::move(r));
        }
        return out;
    }
    std::set<std::string> existing(const KindSpec& spec, const std::vector<std::string>& ids) override {
        auto select = statements_.use(db_, "exists " + spec.kind, [&] { return "SELECT 1 FROM " + spec.table + " WHERE id = ?"; });
        std::set<std::string> found;
        for (const auto& id : ids) {
            select->bind(1, id);
            if (select->step()) found.insert(id);
            select->reset();
        }
        return found;
    }
    std::optional<std::string> sequenceOwner(const KindSpec& spec, const std::string& threadId,
                                             std::int64_t sequence) override {
        auto select = statements_.use(db_, "sequence owner " + spec.kind,
                                      [&] { return "SELECT id FROM " + spec.table + " WHERE thread_id = ? AND sequence = ?"; });
        select->bind(1, threadId);
        select->bind(2, sequence);
        if (!select->step()) return std::nullopt;
        return columnText(select->get(), 0);
    }

private:
    // Binds id + fields (insert) or fields + id (update) and runs it; a constraint failure aborts only
    // this statement and comes back as its reason, a locked or failing database throws.
    std::optional<std::string> runRow(Prepared& stmt, const NormalizedRecord& record, bool idFirst) {
        // Reset (bindings cleared) after each row however it ends: the values are bound borrowed, and
        // the next row of a run reuses the statement.
        StatementCache::Use resetAfter(stmt);
        int n = 1;
        const ColumnValue id = record.id; // a ColumnValue of its own: bound borrowed like the rest
        if (idFirst) stmt.bind(n++, id, true);
        for (const auto& value : record.values) stmt.bind(n++, value, true);
        if (!idFirst) stmt.bind(n, id, true);
        std::optional<std::string> failure;
        try {
            stmt.step();
        } catch (const Error& e) {
            if (e.status() == MC_ERR_UNAVAILABLE || (sqlite3_errcode(db_) & 0xff) != SQLITE_CONSTRAINT) throw;
            failure = e.what();
        }
        return failure;
    }

    sqlite3* db_;
    StatementCache& statements_;
};

} // namespace

SqliteStore::SqliteStore(mc::sdk::Host host, const Settings& settings)
    : StorePlugin(host), path_(settings.path), busyTimeoutMs_(settings.busyTimeoutMs), synchronous_(settings.synchronous),
      statements_(std::make_unique<StatementCache>()) {
    if (path_.empty()) throw Error(MC_ERR_CONFIG, "configuration key 'path' must not be empty");
    std::transform(synchronous_.begin(), synchronous_.end(), synchronous_.begin(),
                   [](unsigned char c) { return std::toupper(c); });
}

SqliteStore::~SqliteStore() {
    try {
        stop();
    } catch (...) {
    }
}

void SqliteStore::start() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!session_) open();
    reportOnce(MC_COMPONENT_OK, "SQLite database '" + path_ + "' open");
}

void SqliteStore::reportOnce(mc_component_status status, const std::string& message) {
    std::lock_guard<std::mutex> lock(statusMutex_);
    if (status == reported_ && message == reportedMessage_) return;
    reported_ = status;
    reportedMessage_ = message;
    host().reportStatus(status, message);
}

void SqliteStore::stop() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (checkpointer_) {
        checkpointer_->stop();
        checkpointer_.reset();
    }
    statements_->clear(); // finalized before the connection closes
    if (session_) {
        session_->close();
        session_.reset();
    }
}

void SqliteStore::open() {
    const std::string where = "cannot open SQLite database '" + path_ + "': ";
    // SQLite's own message for these is only "unable to open database file"; say which it is.
    Poco::Path path(path_);
    Poco::Path directory = Poco::Path(path).makeAbsolute().makeParent();
    if (!Poco::File(directory).exists())
        throw Error(MC_ERR_IO, where + "directory '" + directory.toString() + "' does not exist");
    Poco::File file(path_);
    if (file.exists()) {
        if (file.isDirectory()) throw Error(MC_ERR_IO, where + "it is a directory");
        if (!file.canRead() || !file.canWrite()) throw Error(MC_ERR_IO, where + "no permission to read and write it");
    } else if (!Poco::File(directory).canWrite()) {
        throw Error(MC_ERR_IO, where + "no permission to create a file in '" + directory.toString() + "'");
    }
    try {
        const std::size_t loginTimeoutSeconds = static_cast<std::size_t>(std::max<std::int64_t>(1, busyTimeoutMs_ / 1000));
        session_ = std::make_unique<Poco::Data::Session>(
            Poco::AutoPtr<Poco::Data::SessionImpl>(new Poco::Data::SQLite::SessionImpl(path_, loginTimeoutSeconds)));
        auto& session = *session_;
        session << "PRAGMA busy_timeout = " + std::to_string(busyTimeoutMs_), now;
        std::string journalMode;
        session << "PRAGMA journal_mode = WAL", into(journalMode), now;
        if (journalMode != "wal")
            throw Error(MC_ERR_IO, where + "WAL mode is not available (journal_mode is '" + journalMode + "')");
        session << "PRAGMA foreign_keys = ON", now;
        session << "PRAGMA synchronous = " + synchronous_, now;
        int tables = 0;
        session << "SELECT count(*) FROM sqlite_master", into(tables), now; // proves it is a database
    } catch (const Error&) {
        session_.reset();
        throw;
    } catch (const Poco::Exception& e) {
        session_.reset();
        throw Error(MC_ERR_IO, where + e.displayText());
    }
    // A file the host writes a lot to: its checkpoints on a thread of their own. Should the second
    // connection not open, SQLite's own (in the commit) stay: slower, not wrong.
    try {
        checkpointer_ = std::make_unique<WalCheckpointer>(path_, kCheckpointPages, [this](const std::string& why) { host().warn(why); });
        checkpointer_->attach(handle());
    } catch (const std::exception& e) {
        checkpointer_.reset();
        host().warn(std::string("WAL checkpoints stay in the writer's commits: ") + e.what());
    }
    host().info("opened SQLite database '" + path_ + "' (WAL, synchronous=" + synchronous_ +
                ", busy_timeout=" + std::to_string(busyTimeoutMs_) + " ms)");
}

sqlite3* SqliteStore::handle() {
    if (!session_) throw Error(MC_ERR_UNAVAILABLE, "the store is not started");
    return Poco::Data::SQLite::Utility::dbHandle(*session_);
}

void SqliteStore::ensureMigrationTable() {
    exec(handle(), "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL, "
                   "checksum TEXT NOT NULL)");
}

std::string SqliteStore::nowTimestamp() const { return timestampFromHostClock(host().nowUnixUs()); }

std::int64_t SqliteStore::schemaVersion() {
    std::lock_guard<std::mutex> lock(mutex_);
    ensureMigrationTable();
    Prepared select(handle(), "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    select.step();
    return sqlite3_column_int64(select.get(), 0);
}

void SqliteStore::applyMigration(std::int64_t version, std::string_view name, std::string_view sql) {
    const std::string label = "migration " + std::to_string(version) + " (" + std::string(name) + ")";
    if (version < 1) throw Error(MC_ERR_INVALID_ARGUMENT, label + ": version must be at least 1");
    std::lock_guard<std::mutex> lock(mutex_);
    sqlite3* db = handle();
    ensureMigrationTable();
    {
        Prepared existing(db, "SELECT 1 FROM schema_migrations WHERE version = ?");
        existing.bind(1, static_cast<std::int64_t>(version));
        if (existing.step()) throw Error(MC_ERR_CONFLICT, label + " is already applied");
    }
    Transaction tx(db);
    try {
        exec(db, std::string(sql));
    } catch (const Error& e) {
        throw Error(MC_ERR_IO, label + " failed: " + e.what());
    }
    Prepared record(db, "INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (?, ?, ?, ?)");
    record.bind(1, static_cast<std::int64_t>(version));
    record.bind(2, std::string(name));
    record.bind(3, nowTimestamp());
    record.bind(4, sha256Hex(sql));
    record.step();
    tx.commit();
    batchedFtsKnown_ = false;
    statements_->clear(); // SQLite would prepare a stale one again itself; this keeps that path out of the writes
    host().info("applied " + label);
}

void SqliteStore::write(std::string_view kind, std::string_view recordsJson, mc::sdk::Sink& result) {
    writeBatch(parseBatch(kind, recordsJson, [this] { return nowTimestamp(); }), result); // parsed without the lock
}

void SqliteStore::writeRecords(const mc_record* records, std::size_t count, std::size_t recordSize,
                               mc::sdk::Sink& result) {
    writeBatch(mc::records::fromAbi(records, count, recordSize), result);
}

void SqliteStore::writeBatch(ParsedBatch batch, mc::sdk::Sink& result) {
    const auto now = [this] { return nowTimestamp(); };
    WriteResult written;
    if (batch.entries.empty()) {
        written.rejected = std::move(batch.rejected); // nothing to write: no need to wait for the lock
    } else {
        std::lock_guard<std::mutex> lock(mutex_);
        sqlite3* db = handle();
        if (!batchedFtsKnown_) {
            batchedFts_.clear();
            for (const auto& index : kBatchedFtsIndexes)
                if (schemaHas(db, "table", index.fts) && !schemaHas(db, "trigger", index.droppedTrigger))
                    batchedFts_.push_back(&index);
            batchedFtsKnown_ = true;
        }
        Transaction tx(db);
        std::vector<std::int64_t> lastRowids;
        for (const auto* index : batchedFts_) {
            auto last = statements_->use(db, std::string("last rowid ") + index->table,
                                        [&] { return std::string("SELECT coalesce(max(rowid), 0) FROM ") + index->table; });
            last->step();
            lastRowids.push_back(sqlite3_column_int64(last->get(), 0));
        }
        SqliteWriteTarget target(db, *statements_);
        written = applyBatch(std::move(batch), target, now);
        for (std::size_t i = 0; i < batchedFts_.size(); ++i) {
            const auto& index = *batchedFts_[i];
            auto fill = statements_->use(db, std::string("fill ") + index.fts, [&] {
                return std::string("INSERT INTO ") + index.fts + "(rowid, " + index.column + ") SELECT rowid, " +
                       index.column + " FROM " + index.table + " WHERE rowid > ?";
            });
            fill->bind(1, lastRowids[i]);
            fill->step();
        }
        tx.commit();
    }
    result.write(toJson(written));
}

std::uint64_t SqliteStore::expire(std::string_view kind, std::string_view before, std::size_t maxRows) {
    const auto* spec = mc::records::findKind(kind);
    const auto* field = spec ? mc::records::retentionField(*spec) : nullptr;
    if (!field) throw Error(MC_ERR_INVALID_ARGUMENT, "records of kind '" + std::string(kind) + "' are not expired one by one");
    std::lock_guard<std::mutex> lock(mutex_);
    sqlite3* db = handle();
    if (!schemaHas(db, "table", spec->table.c_str())) return 0; // an older schema: nothing of the kind yet
    // Oldest first through the time index, a bounded batch: one short write transaction.
    Prepared sweep(db, "DELETE FROM " + spec->table + " WHERE rowid IN (SELECT rowid FROM " + spec->table + " WHERE " +
                           field->column + " < ? ORDER BY " + field->column + " LIMIT " + std::to_string(maxRows) + ")");
    sweep.bind(1, std::string(before));
    sweep.step();
    return static_cast<std::uint64_t>(sqlite3_changes(db));
}

SqliteStore::Lease SqliteStore::lease(mc_lease_op op, std::string_view name, std::string_view holder, std::int64_t ttlMs) {
    const std::int64_t now = mc::records::unixMicrosFromHostClock(host().nowUnixUs()) / 1000;
    std::lock_guard<std::mutex> lock(mutex_);
    sqlite3* db = handle();
    if (op == MC_LEASE_ACQUIRE) {
        // Free, expired or already the holder's: taken (renewed); else left as it is.
        Prepared take(db, "INSERT INTO leases (name, holder, expires_at_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                          "holder = excluded.holder, expires_at_ms = excluded.expires_at_ms "
                          "WHERE leases.holder = excluded.holder OR leases.expires_at_ms < ?");
        take.bind(1, std::string(name));
        take.bind(2, std::string(holder));
        take.bind(3, std::int64_t(now + ttlMs));
        take.bind(4, std::int64_t(now));
        take.step();
    } else if (op == MC_LEASE_RELEASE) {
        Prepared drop(db, "DELETE FROM leases WHERE name = ? AND holder = ?");
        drop.bind(1, std::string(name));
        drop.bind(2, std::string(holder));
        drop.step();
    }
    Prepared read(db, "SELECT holder, expires_at_ms - ? FROM leases WHERE name = ? AND expires_at_ms >= ?");
    read.bind(1, std::int64_t(now));
    read.bind(2, std::string(name));
    read.bind(3, std::int64_t(now));
    Lease out;
    if (read.step()) {
        const auto* text = sqlite3_column_text(read.get(), 0);
        out.holder = text ? reinterpret_cast<const char*>(text) : "";
        out.expiresInMs = sqlite3_column_int64(read.get(), 1);
    }
    return out;
}

void SqliteStore::query(std::string_view name, std::string_view paramsJson, mc::sdk::Sink& rows) {
    if (name == "schema_migrations.list") {
        rows.write(queryMigrations());
    } else if (name == "threads.state") {
        rows.write(queryThreadStates(std::string(paramsJson)));
    } else {
        SqliteQueries queries(mutex_, [this] { return handle(); });
        queries.run(name, paramsJson, rows);
    }
}

void SqliteStore::describe(mc::sdk::Sink& details) {
    std::string out = "{\"backend\":\"sqlite\",\"path\":" + jsonString(path_);
    const auto fail = [&](const std::string& reason, mc_component_status status) {
        details.write("{\"ok\":false,\"reason\":" + jsonString(reason) + "," + out.substr(1) + "}");
        if (status != MC_COMPONENT_INVALID) reportOnce(status, reason);
    };
    std::unique_lock<std::mutex> lock(mutex_);
    // Not started (or stopped): the host's own status says so; nothing to report.
    if (!session_) return fail("the store is not started", MC_COMPONENT_INVALID);
    // SQLite keeps writing to an unlinked file without complaint; data there would be lost on restart.
    if (!Poco::File(path_).exists())
        return fail("database file '" + path_ + "' no longer exists", MC_COMPONENT_PERMANENT_ERROR);
    try {
        sqlite3* db = handle();
        Prepared mode(db, "PRAGMA journal_mode");
        mode.step();
        const std::string journalMode = columnText(mode.get(), 0);
        Prepared pages(db, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()");
        pages.step();
        const auto sizeBytes = sqlite3_column_int64(pages.get(), 0);
        Prepared fk(db, "PRAGMA foreign_keys");
        fk.step();
        const bool foreignKeys = sqlite3_column_int64(fk.get(), 0) != 0;
        out += ",\"wal\":" + std::string(journalMode == "wal" ? "true" : "false");
        out += ",\"journal_mode\":" + jsonString(journalMode);
        out += ",\"foreign_keys\":" + std::string(foreignKeys ? "true" : "false");
        out += ",\"synchronous\":" + jsonString(synchronous_);
        out += ",\"busy_timeout_ms\":" + std::to_string(busyTimeoutMs_);
        out += ",\"size_bytes\":" + std::to_string(sizeBytes);
        // Checkpoints the checkpoint thread completed, and those the writer had to finish in a commit
        // (null: SQLite checkpoints inside the commits).
        out += ",\"wal_checkpoints\":" + (checkpointer_ ? std::to_string(checkpointer_->checkpoints()) : std::string("null"));
        out += ",\"wal_catch_ups\":" + (checkpointer_ ? std::to_string(checkpointer_->catchUps()) : std::string("null"));
        // What retention keeps: the oldest record of each kind it expires (through the time index).
        std::string oldest;
        for (const auto& spec : mc::records::allKinds()) {
            const auto* field = mc::records::retentionField(spec);
            if (!field || !schemaHas(db, "table", spec.table.c_str())) continue;
            Prepared first(db, "SELECT min(" + field->column + ") FROM " + spec.table);
            first.step();
            const char* at = reinterpret_cast<const char*>(sqlite3_column_text(first.get(), 0));
            oldest += (oldest.empty() ? "" : ",") + jsonString(spec.kind) + ":" + (at ? jsonString(at) : std::string("null"));
        }
        out += ",\"oldest\":{" + oldest + "}";
    } catch (const Error& e) {
        return fail(e.what(), MC_COMPONENT_RECOVERABLE_ERROR);
    }
    lock.unlock();
    details.write("{\"ok\":true," + out.substr(1) + "}");
    reportOnce(MC_COMPONENT_OK, "SQLite database '" + path_ + "' open");
}

} // namespace mc::store_sqlite
