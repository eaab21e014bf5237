#include "PgPool.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>

namespace mc::store_postgres {
namespace {

using mc::sdk::Error;

std::string trimmed(std::string text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    return text;
}

std::string percentDecoded(const std::string& text, const std::string& part) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
            !std::isxdigit(static_cast<unsigned char>(text[i + 2])))
            throw Error(MC_ERR_CONFIG, "configuration key 'url': bad percent-escape in the " + part + " of the URL");
        out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
        i += 2;
    }
    return out;
}

// A conninfo value in single quotes, backslash-escaping quotes and backslashes.
std::string quotedValue(const std::string& value) {
    std::string out = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

// keyword -> value of a conninfo; throws MC_ERR_CONFIG with libpq's reason.
std::vector<std::pair<std::string, std::string>> parseConninfo(const std::string& conninfo) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    if (!options) {
        std::string reason = error ? trimmed(error) : "out of memory";
        PQfreemem(error);
        throw Error(MC_ERR_CONFIG, "configuration key 'url' is not a valid libpq conninfo: " + reason);
    }
    std::vector<std::pair<std::string, std::string>> out;
    for (PQconninfoOption* o = options; o->keyword; ++o)
        if (o->val) out.emplace_back(o->keyword, o->val);
    PQconninfoFree(options);
    return out;
}

bool isUnavailableState(const std::string& sqlState) {
    // 08 connection exception, 57 operator intervention (shutdown, statement timeout), 53 insufficient
    // resources, 40 transaction rollback (serialization, deadlock), 55P03 lock not available.
    for (const char* prefix : {"08", "57", "53", "40"})
        if (sqlState.rfind(prefix, 0) == 0) return true;
    return sqlState == "55P03";
}

} // namespace

std::string toConninfo(const std::string& url) {
    if (trimmed(url).empty()) throw Error(MC_ERR_CONFIG, "configuration key 'url' is required (a libpq conninfo or a postgresql:// URL)");
    const auto scheme = url.find("://");
    if (scheme == std::string::npos) {
        parseConninfo(url); // validates
        return url;
    }
    const std::string name = url.substr(0, scheme);
    if (name != "postgresql" && name != "postgres")
        throw Error(MC_ERR_CONFIG, "configuration key 'url': scheme '" + name +
                                       "://' is not supported (use postgresql://user:pass@host:port/db or a conninfo such as "
                                       "'host=127.0.0.1 port=5432 dbname=mc user=mc')");
    std::string rest = url.substr(scheme + 3);
    std::string query;
    if (auto q = rest.find('?'); q != std::string::npos) {
        query = rest.substr(q + 1);
        rest.erase(q);
    }
    std::string path;
    if (auto slash = rest.find('/'); slash != std::string::npos) {
        path = rest.substr(slash + 1);
        rest.erase(slash);
    }
    std::vector<std::pair<std::string, std::string>> params;
    if (auto at = rest.rfind('@'); at != std::string::npos) {
        const std::string userinfo = rest.substr(0, at);
        rest.erase(0, at + 1);
        const auto colon = userinfo.find(':');
        params.emplace_back("user", percentDecoded(userinfo.substr(0, colon), "user"));
        if (colon != std::string::npos) params.emplace_back("password", percentDecoded(userinfo.substr(colon + 1), "password"));
    }
    std::string host = rest, port;
    if (!host.empty() && host.front() == '[') { // [::1]:5432
        const auto close = host.find(']');
        if (close == std::string::npos) throw Error(MC_ERR_CONFIG, "configuration key 'url': unclosed '[' in the host");
        if (close + 1 < host.size()) {
            if (host[close + 1] != ':') throw Error(MC_ERR_CONFIG, "configuration key 'url': expected ':port' after ']'");
            port = host.substr(close + 2);
        }
        host = host.substr(1, close - 1);
    } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
        port = host.substr(colon + 1);
        host.erase(colon);
    }
    if (!port.empty() && (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); })))
        throw Error(MC_ERR_CONFIG, "configuration key 'url': port '" + port + "' is not a number");
    if (!host.empty()) params.emplace_back("host", percentDecoded(host, "host"));
    if (!port.empty()) params.emplace_back("port", port);
    if (!path.empty()) params.emplace_back("dbname", percentDecoded(path, "database name"));
    std::size_t start = 0;
    while (start < query.size()) {
        auto end = query.find('&', start);
        if (end == std::string::npos) end = query.size();
        const std::string pair = query.substr(start, end - start);
        start = end + 1;
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        if (eq == std::string::npos)
            throw Error(MC_ERR_CONFIG, "configuration key 'url': query parameter '" + pair + "' has no value");
        params.emplace_back(percentDecoded(pair.substr(0, eq), "query"), percentDecoded(pair.substr(eq + 1), "query"));
    }
    std::string conninfo;
    for (const auto& [key, value] : params) conninfo += (conninfo.empty() ? "" : " ") + key + "=" + quotedValue(value);
    parseConninfo(conninfo); // unknown query parameters are refused here, by libpq's own list
    return conninfo;
}

std::string describeConninfo(const std::string& conninfo) {
    const auto options = parseConninfo(conninfo);
    std::string out;
    for (const char* key : {"host", "hostaddr", "port", "dbname", "user"})
        for (const auto& [k, value] : options)
            if (k == key) out += (out.empty() ? "" : " ") + k + "=" + value;
    return out;
}

std::string textArrayLiteral(const std::vector<std::string>& items) {
    std::string out = "{";
    for (const auto& item : items) {
        if (out.size() > 1) out += ',';
        out += '"';
        for (char c : item) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

PgResult execute(PGconn* conn, const std::string& sql, const std::vector<PgParam>& params) {
    PGresult* raw;
    if (params.empty()) {
        raw = PQexec(conn, sql.c_str());
    } else {
        std::vector<const char*> values;
        values.reserve(params.size());
        for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
        raw = PQexecParams(conn, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(), nullptr, nullptr, 0);
    }
    PgResult result(raw);
    const ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlState = state ? state : "";
    std::string message = trimmed(raw && *PQresultErrorMessage(raw) ? PQresultErrorMessage(raw) : PQerrorMessage(conn));
    const bool lost = PQstatus(conn) == CONNECTION_BAD;
    if (lost && sqlState.empty()) sqlState = "08006"; // connection failure
    throw PgError(lost || isUnavailableState(sqlState) ? MC_ERR_UNAVAILABLE : MC_ERR_IO, "PostgreSQL: " + message, sqlState);
}

PgPool::PgPool(PoolSettings settings) : settings_(std::move(settings)) {}

PgPool::~PgPool() {
    close();
}

PGconn* PgPool::connect() const {
    // The user's conninfo, with our timeouts: libpq counts connect_timeout in whole seconds (at least 2).
    auto options = parseConninfo(settings_.conninfo);
    const auto seconds = std::max<long long>(2, (settings_.connectTimeout.count() + 999) / 1000);
    std::map<std::string, std::string> merged(options.begin(), options.end());
    merged["connect_timeout"] = std::to_string(seconds);
    // Timestamps are stored as UTC TIMESTAMP; the session zone makes NOW() defaults UTC as well.
    merged["options"] = (merged.count("options") ? merged["options"] + " " : std::string()) +
                        "-c statement_timeout=" + std::to_string(settings_.statementTimeout.count()) + " -c TimeZone=UTC" +
                        " -c synchronous_commit=" + settings_.synchronousCommit;
    if (!merged.count("application_name")) merged["application_name"] = "mission-control";
    std::vector<const char*> keys, values;
    for (const auto& [k, v] : merged) {
        keys.push_back(k.c_str());
        values.push_back(v.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 0);
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        const std::string reason = conn ? trimmed(PQerrorMessage(conn)) : "out of memory";
        PQfinish(conn);
        throw Error(MC_ERR_UNAVAILABLE, "cannot connect to PostgreSQL (" + describeConninfo(settings_.conninfo) + "): " + reason);
    }
    // libpq prints server notices ("relation ... already exists, skipping") to stderr by default.
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    return conn;
}

void PgPool::open() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        closed_ = false;
    }
    std::vector<PGconn*> opened;
    try {
        while (openConnections() + opened.size() < std::max<std::size_t>(1, settings_.minConnections)) opened.push_back(connect());
    } catch (...) {
        for (PGconn* c : opened) PQfinish(c);
        throw;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    open_ += opened.size();
    idle_.insert(idle_.end(), opened.begin(), opened.end());
}

void PgPool::close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    for (PGconn* c : idle_) PQfinish(c);
    open_ -= idle_.size();
    idle_.clear();
    returned_.notify_all();
}

void PgPool::dropIdle() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (PGconn* c : idle_) PQfinish(c);
    open_ -= idle_.size();
    idle_.clear();
}

PGconn* PgPool::acquire(bool& reused) {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + settings_.connectTimeout;
    for (;;) {
        if (closed_) throw Error(MC_ERR_UNAVAILABLE, "the store is not started");
        if (!idle_.empty()) {
            PGconn* conn = idle_.back();
            idle_.pop_back();
            reused = true;
            return conn;
        }
        if (open_ < settings_.maxConnections) {
            ++open_;
            lock.unlock();
            try {
                reused = false;
                return connect();
            } catch (...) {
                lock.lock();
                --open_;
                returned_.notify_one();
                throw;
            }
        }
        if (returned_.wait_until(lock, deadline) == std::cv_status::timeout)
            throw Error(MC_ERR_UNAVAILABLE, "all " + std::to_string(settings_.maxConnections) +
                                                " PostgreSQL connections stayed busy for connect_timeout_ms (" +
                                                std::to_string(settings_.connectTimeout.count()) + " ms)");
    }
}

void PgPool::release(PGconn* conn) {
    // A connection goes back only clean: no open transaction, still connected.
    if (PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE) PQclear(PQexec(conn, "ROLLBACK"));
    const bool usable = PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) == PQTRANS_IDLE;
    std::lock_guard<std::mutex> lock(mutex_);
    if (usable && !closed_) {
        idle_.push_back(conn);
    } else {
        PQfinish(conn);
        --open_;
    }
    returned_.notify_one();
}

void PgPool::run(const std::function<void(PGconn*)>& work) {
    for (int attempt = 0;; ++attempt) {
        bool reused = false;
        PGconn* conn = acquire(reused);
        try {
            work(conn);
            release(conn);
            return;
        } catch (const mc::sdk::Error& e) {
            const bool lost = PQstatus(conn) == CONNECTION_BAD;
            release(conn);
            if (lost && reused && attempt == 0) {
                dropIdle(); // they were opened before the same outage
                continue;
            }
            throw;
        } catch (...) {
            release(conn);
            throw;
        }
    }
}

std::size_t PgPool::openConnections() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return open_;
}

std::size_t PgPool::idleConnections() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return idle_.size();
}

} // namespace mc::store_postgres
