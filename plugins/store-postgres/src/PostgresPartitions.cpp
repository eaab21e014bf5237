#include "PostgresPartitions.h"

#include "PostgresStore.h"

#include "mc/records/JsonText.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

namespace mc::store_postgres {
namespace {

using mc::records::jsonString;

// Creating partitions: one host at a time (the migration lock is another key).
constexpr const char* kPartitionLock = "SELECT pg_try_advisory_xact_lock(7412930032)";
// A partition is created or dropped only if its table's lock comes within this; else later.
constexpr const char* kLockTimeout = "SET LOCAL lock_timeout = '2s'";
// Most partitions dropped by one expiry call (the sweep calls again while there are more).
constexpr int kMaxDropsPerCall = 32;
// Above this many rows (the planner's estimate), a dropped partition's rows are counted by that
// estimate rather than by reading the whole day.
constexpr double kExactCountBelow = 1e6;

std::string compactDay(const std::string& day) { // "2026-12-04" -> "20261204"
    std::string out;
    for (char c : day)
        if (c != '-') out += c;
    return out;
}

// The connection (or the server) is gone: the caller's pool must hear it. Anything else (a lock not
// granted, rows that came meanwhile) only postpones the work.
bool connectionLost(const PgError& e) { return e.sqlState().rfind("08", 0) == 0 || e.sqlState().rfind("57P", 0) == 0; }

void rollbackQuietly(PGconn* conn) {
    try {
        execute(conn, "ROLLBACK");
    } catch (const mc::sdk::Error&) {
    }
}

} // namespace

std::string utcDay(long long unixMicros, int days) {
    const std::time_t seconds = static_cast<std::time_t>(unixMicros / 1000000) + static_cast<std::time_t>(days) * 86400;
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[16];
    std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
    return text;
}

void PostgresPartitions::refresh(PGconn* conn) {
    const auto rows = execute(conn, "SELECT c.relname, a.attname FROM pg_partitioned_table p "
                                    "JOIN pg_class c ON c.oid = p.partrelid "
                                    "JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] "
                                    "WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
                                    "AND p.partstrat = 'r'");
    std::lock_guard lock(mutex_);
    tables_.clear();
    for (int r = 0; r < rows.rows(); ++r) tables_[rows.text(r, 0)] = rows.text(r, 1);
    known_ = true;
    preparedDay_.clear(); // new tables get their days at the next write
}

bool PostgresPartitions::known() const {
    std::lock_guard lock(mutex_);
    return known_;
}

bool PostgresPartitions::partitioned(const std::string& table) const {
    std::lock_guard lock(mutex_);
    return tables_.count(table) != 0;
}

void PostgresPartitions::prepare(PGconn* conn, const std::string& today, bool force) {
    std::map<std::string, std::string> tables;
    {
        std::lock_guard lock(mutex_);
        if (!force && preparedDay_ == today) return;
        preparedDay_ = today;
        tables = tables_;
    }
    // "today" as a time: the days around it by the same calendar arithmetic as utcDay.
    std::tm tm{};
    std::sscanf(today.c_str(), "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    const long long midnightUs = static_cast<long long>(timegm(&tm)) * 1000000;
    for (const auto& [table, column] : tables) {
        for (int offset = -1; offset <= kDaysAhead; ++offset) {
            const std::string day = utcDay(midnightUs, offset), next = utcDay(midnightUs, offset + 1);
            const std::string partition = table + "_p" + compactDay(day);
            try {
                execute(conn, "BEGIN");
                if (execute(conn, kPartitionLock).text(0, 0) != "t") { // another host is at it: the next write looks again
                    execute(conn, "ROLLBACK");
                    std::lock_guard lock(mutex_);
                    preparedDay_.clear();
                    return;
                }
                execute(conn, kLockTimeout);
                const bool exists = execute(conn, "SELECT to_regclass($1) IS NOT NULL", {partition}).text(0, 0) == "t";
                // PostgreSQL refuses a partition for a range the default partition has rows in.
                const bool inDefault = !exists && execute(conn, "SELECT EXISTS (SELECT 1 FROM " + quoted(table + "_default") + " WHERE " +
                                                                    quoted(column) + " >= $1::timestamp AND " + quoted(column) +
                                                                    " < $2::timestamp)",
                                                          {day, next})
                                                          .text(0, 0) == "t";
                if (!exists && !inDefault) {
                    // Created apart, then attached: attaching does not lock out the table's readers.
                    execute(conn, "CREATE TABLE " + quoted(partition) + " (LIKE " + quoted(table) + " INCLUDING DEFAULTS INCLUDING GENERATED)");
                    execute(conn, "ALTER TABLE " + quoted(table) + " ATTACH PARTITION " + quoted(partition) + " FOR VALUES FROM ('" + day +
                                      "') TO ('" + next + "')");
                }
                execute(conn, "COMMIT");
            } catch (const PgError& e) {
                rollbackQuietly(conn);
                if (connectionLost(e)) throw;
                // A lock not granted, rows that came meanwhile: this day stays with the default partition.
                std::lock_guard lock(mutex_);
                preparedDay_.clear(); // tried again at the next write
            }
        }
    }
}

PostgresPartitions::Expired PostgresPartitions::expire(PGconn* conn, const std::string& table, const std::string& before,
                                                       std::size_t maxRows) {
    std::string column;
    {
        std::lock_guard lock(mutex_);
        column = tables_.at(table);
    }
    Expired out;
    // Partitions whose whole day ends at or before the cut-off; and those a crash left detached.
    const auto due = execute(conn,
                             "SELECT c.relname, c.reltuples, c.relispartition FROM pg_class c "
                             "WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
                             "AND c.relkind = 'r' AND c.relname ~ ('^' || $1 || '_p[0-9]{8}$') "
                             "AND (NOT c.relispartition OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass($1))) "
                             "AND to_date(right(c.relname, 8), 'YYYYMMDD') + 1 <= $2::timestamp ORDER BY c.relname LIMIT " +
                                 std::to_string(kMaxDropsPerCall + 1),
                             {table, before});
    out.more = due.rows() > kMaxDropsPerCall;
    for (int r = 0; r < std::min(due.rows(), kMaxDropsPerCall); ++r) {
        const std::string partition = due.text(r, 0);
        const double estimate = std::stod(due.text(r, 1));
        try {
            const std::uint64_t rows = estimate >= 0 && estimate >= kExactCountBelow
                                           ? static_cast<std::uint64_t>(estimate)
                                           : std::stoull(execute(conn, "SELECT count(*) FROM " + quoted(partition)).text(0, 0));
            if (due.text(r, 2) == "t") {
                execute(conn, "BEGIN");
                execute(conn, kLockTimeout);
                execute(conn, "ALTER TABLE " + quoted(table) + " DETACH PARTITION " + quoted(partition));
                execute(conn, "COMMIT");
            }
            execute(conn, "DROP TABLE " + quoted(partition));
            out.rows += rows;
        } catch (const PgError& e) {
            rollbackQuietly(conn);
            if (connectionLost(e)) throw;
            out.more = true; // its table is busy: the next sweep
            break;
        }
    }
    // Rows of days without a partition (very old, far ahead) are in the default partition.
    const std::string fallback = quoted(table + "_default"), time = quoted(column);
    out.rows += execute(conn, "DELETE FROM " + fallback + " WHERE (id, " + time + ") IN (SELECT id, " + time + " FROM " + fallback +
                                  " WHERE " + time + " < $1::timestamp ORDER BY " + time + " LIMIT " + std::to_string(maxRows) + ")",
                        {before})
                    .affected();
    return out;
}

std::string PostgresPartitions::countsJson(PGconn* conn) const {
    std::vector<std::string> tables;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [table, column] : tables_) tables.push_back(table);
    }
    std::string out;
    for (const auto& table : tables) {
        const auto n = execute(conn, "SELECT count(*) FROM pg_inherits WHERE inhparent = to_regclass($1)", {table}).text(0, 0);
        out += (out.empty() ? "" : ",") + jsonString(table) + ":" + n;
    }
    return "{" + out + "}";
}

} // namespace mc::store_postgres
