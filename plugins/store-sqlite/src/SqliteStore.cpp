#include "SqliteStore.h"

#include "SqliteQueries.h"
#include "SqliteStatement.h"

#include "mc/records/JsonText.h"
#include "mc/records/RecordSchema.h"

#include <Poco/AutoPtr.h>
#include <Poco/Data/SQLite/SessionImpl.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>
#include <Poco/UUIDGenerator.h>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <vector>

namespace mc::store_sqlite {
using namespace mc::records;
namespace {

using mc::sdk::Error;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;

// BEGIN IMMEDIATE takes the write lock up front, so a batch never fails half-way on a lock upgrade.
class Transaction {
public:
    explicit Transaction(sqlite3* db) : db_(db) {
        try {
            exec(db_, "BEGIN IMMEDIATE");
        } catch (const Error& e) {
            throw Error(e.status(), std::string("cannot begin a transaction: ") + e.what());
        }
    }
    ~Transaction() {
        if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    void commit() {
        exec(db_, "COMMIT");
        open_ = false;
    }

private:
    sqlite3* db_;
    bool open_ = true;
};

std::string upsertSql(const KindSpec& spec) {
    std::string cols = "id", marks = "?", updates;
    for (const auto& f : spec.fields) {
        cols += ", " + quoted(f.column);
        marks += ", ?";
        if (!updates.empty()) updates += ", ";
        updates += quoted(f.column) + " = excluded." + quoted(f.column);
    }
    return "INSERT INTO " + spec.table + " (" + cols + ") VALUES (" + marks + ") ON CONFLICT(id) DO UPDATE SET " +
           updates;
}

} // namespace

SqliteStore::SqliteStore(mc::sdk::Host host, std::string_view configJson)
    : StorePlugin(host, configJson),
      path_(host.configString("path", "mission-control.db")),
      busyTimeoutMs_(host.configInt("busy_timeout_ms", 5000)),
      synchronous_(host.configString("synchronous", "NORMAL")) {
    if (path_.empty()) throw Error(MC_ERR_CONFIG, "configuration key 'path' must not be empty");
    if (busyTimeoutMs_ < 0 || busyTimeoutMs_ > 600000)
        throw Error(MC_ERR_CONFIG, "configuration key 'busy_timeout_ms' = " + std::to_string(busyTimeoutMs_) +
                                       " must be between 0 and 600000");
    std::transform(synchronous_.begin(), synchronous_.end(), synchronous_.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    static const std::set<std::string> modes{"OFF", "NORMAL", "FULL", "EXTRA"};
    if (!modes.count(synchronous_))
        throw Error(MC_ERR_CONFIG, "configuration key 'synchronous' = '" + synchronous_ +
                                       "' must be one of OFF, NORMAL, FULL, EXTRA");
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
}

void SqliteStore::stop() {
    std::lock_guard<std::mutex> lock(mutex_);
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

std::string SqliteStore::newId(const KindSpec& spec) const {
    return spec.idPrefix + Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}

std::string SqliteStore::nowTimestamp() const {
    long long us = host().nowUnixUs();
    if (us == 0)
        us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
                 .count();
    return formatTimestamp(us);
}

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
    host().info("applied " + label);
}

void SqliteStore::write(std::string_view kind, std::string_view recordsJson, mc::sdk::Sink& result) {
    const KindSpec* spec = findKind(std::string(kind));
    if (!spec)
        throw Error(MC_ERR_INVALID_ARGUMENT, "unknown record kind '" + std::string(kind) + "' (known: " + knownKinds() + ")");
    Poco::JSON::Array::Ptr records;
    try {
        auto parsed = Poco::JSON::Parser().parse(std::string(recordsJson));
        if (parsed.type() != typeid(Poco::JSON::Array::Ptr))
            throw Error(MC_ERR_INVALID_ARGUMENT, "records must be a JSON array");
        records = parsed.extract<Poco::JSON::Array::Ptr>();
    } catch (const Poco::Exception& e) {
        throw Error(MC_ERR_INVALID_ARGUMENT, "records are not valid JSON: " + e.displayText());
    }

    // Validation needs no lock; only the inserts serialize.
    std::vector<std::pair<std::size_t, std::string>> rejected;
    std::vector<std::pair<std::size_t, NormalizedRecord>> valid;
    const auto makeId = [&] { return newId(*spec); };
    const auto makeNow = [&] { return nowTimestamp(); };
    for (std::size_t i = 0; i < records->size(); ++i) {
        auto object = records->getObject(static_cast<unsigned>(i));
        if (!object) {
            rejected.emplace_back(i, "record is not a JSON object");
            continue;
        }
        try {
            valid.emplace_back(i, normalize(*spec, *object, makeId, makeNow));
        } catch (const std::invalid_argument& e) {
            rejected.emplace_back(i, e.what());
        }
    }

    std::size_t accepted = 0;
    if (!valid.empty()) {
        std::lock_guard<std::mutex> lock(mutex_);
        sqlite3* db = handle();
        Transaction tx(db);
        Prepared upsert(db, upsertSql(*spec));
        for (auto& [index, record] : valid) {
            upsert.bind(1, record.id);
            for (std::size_t f = 0; f < record.values.size(); ++f) upsert.bind(static_cast<int>(f + 2), record.values[f]);
            // A constraint failure aborts only this statement; the batch's transaction goes on.
            try {
                upsert.step();
                ++accepted;
            } catch (const Error& e) {
                if (e.status() == MC_ERR_UNAVAILABLE) throw;
                std::string reason = e.what();
                if (reason.find("FOREIGN KEY") != std::string::npos) {
                    for (std::size_t f = 0; f < spec->fields.size(); ++f)
                        if (spec->fields[f].column == "thread_id" && std::holds_alternative<std::string>(record.values[f]))
                            reason = "thread_id '" + std::get<std::string>(record.values[f]) +
                                     "' does not exist (write the thread first)";
                }
                rejected.emplace_back(index, reason);
            }
            upsert.reset();
        }
        tx.commit();
    }

    std::sort(rejected.begin(), rejected.end());
    std::string out = "{\"accepted\":" + std::to_string(accepted) + ",\"rejected\":[";
    for (std::size_t i = 0; i < rejected.size(); ++i) {
        if (i) out += ',';
        out += "{\"index\":" + std::to_string(rejected[i].first) + ",\"reason\":";
        appendJsonString(out, rejected[i].second);
        out += '}';
    }
    out += "]}";
    result.write(out);
}

void SqliteStore::query(std::string_view name, std::string_view paramsJson, mc::sdk::Sink& rows) {
    if (name == "schema_migrations.list") {
        rows.write(queryMigrations());
        return;
    }
    SqliteQueries queries(mutex_, [this] { return handle(); });
    queries.run(name, paramsJson, rows);
}

std::string SqliteStore::queryMigrations() {
    std::lock_guard<std::mutex> lock(mutex_);
    ensureMigrationTable();
    Prepared select(handle(), "SELECT version, name, applied_at, checksum FROM schema_migrations ORDER BY version");
    std::string out = "{\"items\":[";
    bool first = true;
    while (select.step()) {
        if (!first) out += ',';
        first = false;
        out += "{\"version\":" + std::to_string(sqlite3_column_int64(select.get(), 0)) + ",\"name\":";
        appendJsonString(out, columnText(select.get(), 1));
        out += ",\"applied_at\":";
        appendJsonString(out, columnText(select.get(), 2));
        out += ",\"checksum\":";
        appendJsonString(out, columnText(select.get(), 3));
        out += '}';
    }
    return out + "]}";
}

void SqliteStore::health(mc::sdk::Sink& statusJson) {
    std::string out = "{\"backend\":\"sqlite\",\"path\":" + jsonString(path_);
    const auto fail = [&](const std::string& reason) {
        statusJson.write("{\"ok\":false,\"reason\":" + jsonString(reason) + "," + out.substr(1) + "}");
    };
    std::lock_guard<std::mutex> lock(mutex_);
    if (!session_) return fail("the store is not started");
    // SQLite keeps writing to an unlinked file without complaint; data there would be lost on restart.
    if (!Poco::File(path_).exists()) return fail("database file '" + path_ + "' no longer exists");
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
    } catch (const Error& e) {
        return fail(e.what());
    }
    statusJson.write("{\"ok\":true," + out.substr(1) + "}");
}

} // namespace mc::store_sqlite
