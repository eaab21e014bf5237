#pragma once
// Direct access to a test database, independent of the store under test (store tests, the
// migration runner's). No host code: plugin tests use it too.
#include <sqlite3.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace mc::test {

class RawSqlite {
public:
    explicit RawSqlite(const std::string& path) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
            throw std::runtime_error("cannot open " + path + ": " + sqlite3_errmsg(db_));
        sqlite3_busy_timeout(db_, 10000);
    }
    ~RawSqlite() { sqlite3_close(db_); }
    RawSqlite(const RawSqlite&) = delete;
    RawSqlite& operator=(const RawSqlite&) = delete;

    void exec(const std::string& sql) {
        char* message = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
            std::string text = message ? message : "?";
            sqlite3_free(message);
            throw std::runtime_error("sql failed: " + text);
        }
    }
    // The first column of every row, as text ("NULL" for null).
    std::vector<std::string> column(const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
            throw std::runtime_error("prepare failed: " + std::string(sqlite3_errmsg(db_)));
        std::vector<std::string> out;
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            const auto* text = sqlite3_column_text(stmt, 0);
            out.emplace_back(text ? reinterpret_cast<const char*>(text) : "NULL");
        }
        sqlite3_finalize(stmt);
        return out;
    }
    std::string scalar(const std::string& sql) {
        auto rows = column(sql);
        if (rows.empty()) throw std::runtime_error("no row for: " + sql);
        return rows.front();
    }

private:
    sqlite3* db_ = nullptr;
};

} // namespace mc::test
