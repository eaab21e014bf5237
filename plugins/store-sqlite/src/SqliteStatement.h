#pragma once
// Small RAII and row helpers over raw sqlite3, shared by the write path (SqliteStore.cpp) and the
// query catalog (SqliteQueries.cpp).
#include "mc/records/JsonText.h"
#include "mc/records/RecordSchema.h"
#include "mc/sdk.hpp"

#include <Poco/Dynamic/Var.h>

#include <sqlite3.h>

#include <string>

namespace mc::store_sqlite {

using mc::records::ColumnValue;
using mc::records::FieldType;
using mc::records::KindSpec;
using mc::records::appendJsonString;
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

    void bind(int index, const ColumnValue& value) {
        int rc = SQLITE_OK;
        if (std::holds_alternative<std::monostate>(value)) rc = sqlite3_bind_null(stmt_, index);
        else if (auto* i = std::get_if<std::int64_t>(&value)) rc = sqlite3_bind_int64(stmt_, index, *i);
        else if (auto* d = std::get_if<double>(&value)) rc = sqlite3_bind_double(stmt_, index, *d);
        else {
            const auto& s = std::get<std::string>(value);
            rc = sqlite3_bind_text(stmt_, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
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

inline void exec(sqlite3* db, const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string text = message ? message : sqlite3_errmsg(db);
        sqlite3_free(message);
        throw Error(rc == SQLITE_BUSY ? MC_ERR_UNAVAILABLE : MC_ERR_IO, text);
    }
}

inline std::string quoted(const std::string& identifier) { return "\"" + identifier + "\""; }

inline std::string selectColumns(const KindSpec& spec) {
    std::string cols = "id";
    for (const auto& f : spec.fields) cols += ", " + quoted(f.column);
    return cols + ", created_at";
}

inline std::string columnText(sqlite3_stmt* stmt, int col) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
    return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, col))) : std::string();
}

// Appends a row selected with selectColumns(spec) as a JSON object keyed by the record field names.
inline void appendRow(std::string& out, sqlite3_stmt* stmt, const KindSpec& spec) {
    out += "{\"id\":";
    appendJsonString(out, columnText(stmt, 0));
    int col = 1;
    for (const auto& f : spec.fields) {
        out += ',';
        appendJsonString(out, f.jsonName);
        out += ':';
        const int type = sqlite3_column_type(stmt, col);
        if (type == SQLITE_NULL) {
            out += "null";
        } else if (f.type == FieldType::Json) {
            out += columnText(stmt, col); // valid JSON: the schema CHECKs json_valid
        } else if (f.type == FieldType::Boolean) {
            out += sqlite3_column_int64(stmt, col) ? "true" : "false";
        } else if (f.type == FieldType::Integer) {
            out += std::to_string(sqlite3_column_int64(stmt, col));
        } else if (f.type == FieldType::Real) {
            Poco::Dynamic::Var v(sqlite3_column_double(stmt, col));
            out += v.convert<std::string>();
        } else {
            appendJsonString(out, columnText(stmt, col));
        }
        ++col;
    }
    out += ",\"created_at\":";
    appendJsonString(out, columnText(stmt, col));
    out += '}';
}

} // namespace mc::store_sqlite
