#pragma once
// Daily partitions of the tables that grow with every agent (migration 010: logs, spans and
// metric_points are RANGE-partitioned by their time column). Which tables are partitioned is read
// from the database, so a table a later migration partitions needs no change here.
//
// - Days ahead: the partitions of yesterday to today + kDaysAhead are created when missing (at start
//   of each UTC day's first write, and at each expiry), one short transaction each, never for a day
//   the default partition already holds rows of (PostgreSQL refuses that; such a day stays there).
// - Expiry drops the partitions wholly before the cut-off (detached, then dropped), and deletes row by
//   row only in the default partition. The day the cut-off falls in is kept whole: a partitioned kind
//   keeps its records `days` to `days + 1` days.
// The store's writer thread calls these (writes and expiry never run at once); the cache is guarded
// all the same, since describe() reads it from another thread.
#include "PgPool.h"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace mc::store_postgres {

class PostgresPartitions {
public:
    static constexpr int kDaysAhead = 3;

    // Reads which of the kinds' tables are partitioned (and by which column). Call after migrations.
    void refresh(PGconn* conn);
    bool known() const;
    bool partitioned(const std::string& table) const;

    // Creates the missing partitions of yesterday .. today + kDaysAhead for every partitioned table,
    // when `today` ("YYYY-MM-DD", UTC) differs from the last call's (or `force`). Failures (a lock not
    // granted within 2 s, rows that reached the default partition meanwhile, another host doing it)
    // leave that day to the default partition and are retried on the next day's call.
    void prepare(PGconn* conn, const std::string& today, bool force = false);

    struct Expired {
        std::uint64_t rows = 0; // rows of the dropped partitions (estimated for very large ones) and deleted rows
        bool more = false;      // partitions due remain (a lock not granted, or too many for one call)
    };
    // Drops the partitions of `table` wholly before `before` (an RFC 3339 UTC time), then deletes at
    // most `maxRows` rows before it from the default partition, oldest first.
    Expired expire(PGconn* conn, const std::string& table, const std::string& before, std::size_t maxRows);

    // {"<table>":<partitions>,...} for describe(); "{}" when none is partitioned.
    std::string countsJson(PGconn* conn) const;

private:
    mutable std::mutex mutex_;
    bool known_ = false;
    std::map<std::string, std::string> tables_; // partitioned table -> its partition column
    std::string preparedDay_;
};

// "YYYY-MM-DD" of a Unix time in microseconds (UTC), and of that day moved by `days`.
std::string utcDay(long long unixMicros, int days = 0);

} // namespace mc::store_postgres
