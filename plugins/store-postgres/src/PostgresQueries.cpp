// store-postgres's read queries (logs.list, threads.get, threads.state, schema_migrations.list): one
// function each, answering exactly as store-sqlite does (StoreConformanceTest).
#include "PostgresStore.h"

#include "mc/records/JsonText.h"
#include "mc/records/QueryParams.h"

#include <algorithm>
#include <vector>

namespace mc::store_postgres {
using namespace mc::records;
using mc::sdk::Error;

std::string PostgresStore::queryLogs(const std::string& paramsJson) {
    const LogsListParams params = logsListParams(paramsJson);
    const KindSpec& spec = *findKind("log");
    std::vector<PgParam> binds;
    std::string where;
    for (const auto& [column, value] : params.filters) {
        binds.emplace_back(value);
        where += where.empty() ? " WHERE " : " AND ";
        where += column + " = $" + std::to_string(binds.size());
    }
    binds.emplace_back(std::to_string(params.limit));
    const std::string sql = "SELECT " + selectColumns(spec) + " FROM logs" + where +
                            " ORDER BY timestamp DESC, created_at DESC, id DESC LIMIT $" + std::to_string(binds.size()) +
                            "::bigint";
    std::string out = "{\"items\":[";
    pool_->run([&](PGconn* conn) {
        auto rows = execute(conn, sql, binds);
        for (int r = 0; r < rows.rows(); ++r) {
            if (r) out += ',';
            appendRow(out, rows, r, spec);
        }
    });
    return out + "]}";
}

std::string PostgresStore::queryThread(const std::string& paramsJson) {
    const std::string q = "threads.get";
    const std::string id = requiredStringParam(*parseQueryParams(paramsJson, q, {"id"}), q, "id");
    const KindSpec& thread = *findKind("thread");
    std::string out;
    pool_->run([&](PGconn* conn) {
        // One snapshot for the thread and its children.
        execute(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        auto row = execute(conn, "SELECT " + selectColumns(thread) + " FROM threads WHERE id = $1", {id});
        if (row.rows() == 0) throw Error(MC_ERR_NOT_FOUND, "thread '" + id + "' not found");
        out = "{\"items\":[";
        appendRow(out, row, 0, thread);
        out.pop_back(); // reopen the thread object to add its timeline and transcript
        // The thread's steps and transcript, each by sequence whatever order they arrived in.
        for (const auto& [name, kind] : {std::pair{"timeline", "step"}, std::pair{"transcript", "transcript"}}) {
            const KindSpec& spec = *findKind(kind);
            auto rows = execute(conn, "SELECT " + selectColumns(spec) + " FROM " + spec.table +
                                          " WHERE thread_id = $1 ORDER BY sequence", {id});
            out += ",\"" + std::string(name) + "\":[";
            for (int r = 0; r < rows.rows(); ++r) {
                if (r) out += ',';
                appendRow(out, rows, r, spec);
            }
            out += ']';
        }
        execute(conn, "COMMIT");
        out += "}]}";
    });
    return out;
}

std::string PostgresStore::queryThreadStates(const std::string& paramsJson) {
    const std::string q = "threads.state";
    const auto ids = stringListParam(*parseQueryParams(paramsJson, q, {"ids"}), q, "ids", kMaxListLimit);
    std::string out = "{\"items\":[";
    pool_->run([&](PGconn* conn) {
        auto rows = execute(conn, std::string(kThreadStateSql) + " WHERE t.id = ANY($1::text[])", {textArrayLiteral(ids)});
        // In the order asked for, as store-sqlite answers.
        std::vector<int> order(static_cast<std::size_t>(rows.rows()));
        for (int r = 0; r < rows.rows(); ++r) order[static_cast<std::size_t>(r)] = r;
        const auto position = [&](int r) { return std::find(ids.begin(), ids.end(), rows.text(r, 0)) - ids.begin(); };
        std::sort(order.begin(), order.end(), [&](int a, int b) { return position(a) < position(b); });
        const auto integer = [&](int r, int col) {
            return rows.isNull(r, col) ? std::nullopt : std::optional<std::int64_t>(std::stoll(rows.text(r, col)));
        };
        bool first = true;
        for (int r : order) {
            if (!first) out += ',';
            first = false;
            appendThreadState(out, rows.text(r, 0), rows.text(r, 1), rows.optionalText(r, 2), integer(r, 3), integer(r, 4));
        }
    });
    return out + "]}";
}

std::string PostgresStore::queryMigrations() {
    std::string out = "{\"items\":[";
    pool_->run([&](PGconn* conn) {
        ensureMigrationTable(conn);
        auto rows = execute(conn, "SELECT version, name, applied_at, checksum FROM schema_migrations ORDER BY version");
        for (int r = 0; r < rows.rows(); ++r) {
            if (r) out += ',';
            out += "{\"version\":" + rows.text(r, 0) + ",\"name\":" + jsonString(rows.text(r, 1)) +
                   ",\"applied_at\":" + jsonString(rows.text(r, 2)) + ",\"checksum\":" + jsonString(rows.text(r, 3)) + "}";
        }
    });
    return out + "]}";
}

} // namespace mc::store_postgres
