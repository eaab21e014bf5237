#pragma once
// libpq connections for store-postgres: a small pool, RAII results, and SQLSTATE -> mc_status.
//
// Why libpq and not Poco::Data::PostgreSQL's SessionPool: the writes bind a variable number of typed,
// NULL-able parameters per multi-row statement and must tell a record's constraint failure (SQLSTATE
// class 23/22: reject that record) from a lost server (class 08/57: MC_ERR_UNAVAILABLE, retry the
// batch). Poco 1.11's connector hides SQLSTATE behind its exception text and binds by C++ type;
// PQexecParams takes text parameters with explicit casts and reports PG_DIAG_SQLSTATE directly.
#include "mc/sdk.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mc::store_postgres {

// A libpq conninfo from the `url` setting: conninfo text is checked and kept, a
// postgresql://user:pass@host:port/db?param=value URL is converted (percent-decoded, values quoted).
// Throws mc::sdk::Error(MC_ERR_CONFIG) naming what is wrong.
std::string toConninfo(const std::string& url);
// The conninfo without its password, for logs and health.
std::string describeConninfo(const std::string& conninfo);

// A statement failure with the server's SQLSTATE ("23503"), the connection state at the time, and the
// mc_status it maps to: connection/shutdown/timeout/resource classes -> MC_ERR_UNAVAILABLE, the rest MC_ERR_IO.
class PgError : public mc::sdk::Error {
public:
    PgError(mc_status status, const std::string& message, std::string sqlState)
        : Error(status, message), sqlState_(std::move(sqlState)) {}
    const std::string& sqlState() const { return sqlState_; }
    bool isForeignKeyViolation() const { return sqlState_ == "23503"; }
    // The database refused this data (constraint or data exception): reject the record, keep the batch.
    bool isRecordError() const { return sqlState_.rfind("23", 0) == 0 || sqlState_.rfind("22", 0) == 0; }

private:
    std::string sqlState_;
};

class PgResult {
public:
    explicit PgResult(PGresult* result) : result_(result) {}
    ~PgResult() { PQclear(result_); }
    PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
    PgResult(const PgResult&) = delete;
    PgResult& operator=(const PgResult&) = delete;

    int rows() const { return PQntuples(result_); }
    bool isNull(int row, int col) const { return PQgetisnull(result_, row, col) != 0; }
    std::string text(int row, int col) const {
        return std::string(PQgetvalue(result_, row, col), static_cast<std::size_t>(PQgetlength(result_, row, col)));
    }
    // Rows a DELETE, UPDATE or INSERT touched.
    std::uint64_t affected() const { return std::strtoull(PQcmdTuples(result_), nullptr, 10); }
    std::optional<std::string> optionalText(int row, int col) const {
        return isNull(row, col) ? std::nullopt : std::optional<std::string>(text(row, col));
    }

private:
    PGresult* result_;
};

// A parameter in text form; nullopt is SQL NULL.
using PgParam = std::optional<std::string>;

// A text[] parameter: {"a","b"} with quotes and backslashes escaped.
std::string textArrayLiteral(const std::vector<std::string>& items);

// Runs `sql` (with $n parameters, or several statements when there are none). Throws PgError.
PgResult execute(PGconn* conn, const std::string& sql, const std::vector<PgParam>& params = {});

struct PoolSettings {
    std::string conninfo;
    std::size_t minConnections = 1;
    std::size_t maxConnections = 8;
    std::chrono::milliseconds connectTimeout{5000};
    std::chrono::milliseconds statementTimeout{30000};
    // Every session's synchronous_commit: "on" makes a commit wait for its WAL flush, so an
    // acknowledged event survives a crash of the server; a server default of "off" must not weaken that.
    std::string synchronousCommit = "on";
};

// Connections are opened on demand up to maxConnections and handed out one caller at a time. A broken
// connection (server restarted, network gone) is closed when it comes back, so the pool reconnects by
// itself once the server answers again.
class PgPool {
public:
    explicit PgPool(PoolSettings settings);
    ~PgPool();
    PgPool(const PgPool&) = delete;
    PgPool& operator=(const PgPool&) = delete;

    void open();  // opens minConnections; throws MC_ERR_UNAVAILABLE when the server does not answer
    void close(); // closes idle connections; leased ones close when returned

    // Runs `work` on one connection. When it fails because the connection was lost and that
    // connection had been idle in the pool (it may have died with a server restart), all idle
    // connections are dropped and `work` runs once more on a fresh one: `work` must be safe to repeat
    // (a transaction that did not commit).
    void run(const std::function<void(PGconn*)>& work);

    std::size_t openConnections() const;
    std::size_t idleConnections() const;
    const PoolSettings& settings() const { return settings_; }

private:
    PGconn* connect() const;
    PGconn* acquire(bool& reused);
    void release(PGconn* conn);
    void dropIdle();

    PoolSettings settings_;
    std::string fullConninfo_; // conninfo + timeouts and session options
    mutable std::mutex mutex_;
    std::condition_variable returned_;
    std::vector<PGconn*> idle_;
    std::size_t open_ = 0; // idle + leased
    bool closed_ = false;
};

} // namespace mc::store_postgres
