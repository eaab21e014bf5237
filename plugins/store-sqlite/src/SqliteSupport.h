#pragma once
// What SqliteStore's writes and SqliteQueries.cpp share: RAII statements and transactions on the raw
// sqlite3 handle, and rows -> JSON by the record schema.
#include "mc/records/JsonText.h"
#include "mc/records/RecordSchema.h"
#include "mc/sdk.hpp"

#include <sqlite3.h>

#include <map>
#include <memory>
#include <string>

namespace mc::store_sqlite {
using namespace mc::records;
using mc::sdk::Error;

// One prepared sqlite3 statement; finalized on scope exit so no error path leaks it.
class Prepared {
public:
    Prepared(sqlite3* db, const std::string& sql) : db_(db) {
        const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr);
        if (rc != SQLITE_OK) // busy/locked: reading the schema waited out the busy timeout
            throw Error(rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? MC_ERR_UNAVAILABLE : MC_ERR_INTERNAL,
                        "cannot prepare statement: " + std::string(sqlite3_errmsg(db)));
    }
    ~Prepared() { sqlite3_finalize(stmt_); }
    Prepared(const Prepared&) = delete;
    Prepared& operator=(const Prepared&) = delete;

    // Text is copied by SQLite; with `borrowed`, it is not: the caller keeps `value` alive until the
    // statement is stepped and reset (a write's row, bound and run at once).
    void bind(int index, const ColumnValue& value, bool borrowed = false) {
        int rc = SQLITE_OK;
        if (std::holds_alternative<std::monostate>(value)) rc = sqlite3_bind_null(stmt_, index);
        else if (auto* i = std::get_if<std::int64_t>(&value)) rc = sqlite3_bind_int64(stmt_, index, *i);
        else if (auto* d = std::get_if<double>(&value)) rc = sqlite3_bind_double(stmt_, index, *d);
        else {
            const auto& s = std::get<std::string>(value);
            rc = sqlite3_bind_text(stmt_, index, s.data(), static_cast<int>(s.size()), borrowed ? SQLITE_STATIC : SQLITE_TRANSIENT);
        }
        if (rc != SQLITE_OK) throw Error(MC_ERR_INTERNAL, "cannot bind parameter: " + std::string(sqlite3_errmsg(db_)));
    }
    // true: a row is ready; false: done. Throws with SQLite's message otherwise.
    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw Error(rc == SQLITE_BUSY ? MC_ERR_UNAVAILABLE : MC_ERR_IO, sqlite3_errmsg(db_));
    }
    void reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    sqlite3_stmt* get() const { return stmt_; }

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

// Statements kept prepared on the connection across calls, by name: preparing the same statements for
// every batch was 13 % of the store writer's CPU (bench/README.md). A statement is reset (bindings
// cleared) when its use ends, so a kept one neither holds a read open between batches nor points into a
// record that is gone. Cleared before the connection closes and when a migration changes the schema.
class StatementCache {
public:
    // A statement on loan: reset when the loan ends, however it ends.
    class Use {
    public:
        explicit Use(Prepared& statement) : statement_(statement) {}
        ~Use() { statement_.reset(); }
        Use(const Use&) = delete;
        Use& operator=(const Use&) = delete;
        Prepared& operator*() const { return statement_; }
        Prepared* operator->() const { return &statement_; }

    private:
        Prepared& statement_;
    };

    // `makeSql` runs only the first time `name` is asked for on this connection.
    template <typename MakeSql>
    Use use(sqlite3* db, const std::string& name, MakeSql makeSql) {
        auto& slot = statements_[name];
        if (!slot) slot = std::make_unique<Prepared>(db, makeSql());
        return Use(*slot);
    }
    void clear() { statements_.clear(); }

private:
    std::map<std::string, std::unique_ptr<Prepared>> statements_;
};

inline void exec(sqlite3* db, const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string text = message ? message : sqlite3_errmsg(db);
        sqlite3_free(message);
        throw Error(rc == SQLITE_BUSY ? MC_ERR_UNAVAILABLE : MC_ERR_IO, text);
    }
}

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

inline std::string quoted(const std::string& identifier) { return "\"" + identifier + "\""; }

inline std::string selectColumns(const KindSpec& spec) {
    std::string cols = "id";
    for (const auto& f : spec.fields) cols += ", " + quoted(f.column);
    return cols + ", created_at";
}

inline std::string insertSql(const KindSpec& spec, const std::string& suffix) {
    std::string cols = "id", marks = "?";
    for (const auto& f : spec.fields) {
        cols += ", " + quoted(f.column);
        marks += ", ?";
    }
    return "INSERT INTO " + spec.table + " (" + cols + ") VALUES (" + marks + ")" + suffix;
}

inline std::string updateSql(const KindSpec& spec) {
    std::string sets;
    for (const auto& f : spec.fields) sets += (sets.empty() ? "" : ", ") + quoted(f.column) + " = ?";
    return "UPDATE " + spec.table + " SET " + sets + " WHERE id = ?";
}

inline std::string columnText(sqlite3_stmt* stmt, int col) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
    return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, col))) : std::string();
}

// A row selected with selectColumns(spec) as the record it stores (values typed by the schema).
inline NormalizedRecord readRecord(sqlite3_stmt* stmt, const KindSpec& spec) {
    NormalizedRecord record;
    record.id = columnText(stmt, 0);
    int col = 1;
    for (const auto& f : spec.fields) {
        if (sqlite3_column_type(stmt, col) == SQLITE_NULL) record.values.emplace_back(std::monostate{});
        else if (f.type == FieldType::Integer || f.type == FieldType::Boolean)
            record.values.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, col)));
        else if (f.type == FieldType::Real) record.values.emplace_back(sqlite3_column_double(stmt, col));
        else record.values.emplace_back(columnText(stmt, col));
        record.present.push_back(true);
        ++col;
    }
    return record;
}

// Appends a row selected with selectColumns(spec): the record's canonical JSON plus created_at.
inline void appendRow(std::string& out, sqlite3_stmt* stmt, const KindSpec& spec) {
    appendJson(out, spec, readRecord(stmt, spec));
    out.pop_back();
    out += ",\"created_at\":";
    appendJsonString(out, columnText(stmt, static_cast<int>(spec.fields.size()) + 1));
    out += '}';
}

} // namespace mc::store_sqlite
