// store-sqlite's read queries (logs.list, threads.get, schema_migrations.list, ...): one function each.
#include "SqliteStore.h"
#include "SqliteSupport.h"

#include "mc/records/QueryParams.h"

#include <algorithm>
#include <vector>

namespace mc::store_sqlite {

std::string SqliteStore::queryLogs(const std::string& paramsJson) {
    const LogsListParams params = logsListParams(paramsJson);
    const KindSpec& spec = *findKind("log");
    std::string sql = "SELECT " + selectColumns(spec) + " FROM logs";
    std::vector<ColumnValue> binds;
    std::string where;
    for (const auto& [column, value] : params.filters) {
        where += where.empty() ? " WHERE " : " AND ";
        where += column + " = ?";
        binds.emplace_back(value);
    }
    sql += where + " ORDER BY timestamp DESC, rowid DESC LIMIT ?";
    binds.emplace_back(params.limit);

    std::lock_guard<std::mutex> lock(mutex_);
    Prepared select(handle(), sql);
    for (std::size_t i = 0; i < binds.size(); ++i) select.bind(static_cast<int>(i + 1), binds[i]);
    std::string out = "{\"items\":[";
    bool first = true;
    while (select.step()) {
        if (!first) out += ',';
        first = false;
        appendRow(out, select.get(), spec);
    }
    return out + "]}";
}

std::string SqliteStore::queryThread(const std::string& paramsJson) {
    const std::string q = "threads.get";
    const std::string id = requiredStringParam(*parseQueryParams(paramsJson, q, {"id"}), q, "id");
    const KindSpec& thread = *findKind("thread");

    std::lock_guard<std::mutex> lock(mutex_);
    Prepared select(handle(), "SELECT " + selectColumns(thread) + " FROM threads WHERE id = ?");
    select.bind(1, id);
    if (!select.step()) throw Error(MC_ERR_NOT_FOUND, "thread '" + id + "' not found");
    std::string out = "{\"items\":[";
    appendRow(out, select.get(), thread);
    out.pop_back(); // reopen the thread object to add its timeline and transcript
    // The thread's steps and transcript, each by sequence whatever order they arrived in.
    const auto appendChildren = [&](const char* name, const KindSpec& spec) {
        out += ",\"" + std::string(name) + "\":[";
        Prepared rows(handle(), "SELECT " + selectColumns(spec) + " FROM " + spec.table +
                                    " WHERE thread_id = ? ORDER BY sequence");
        rows.bind(1, id);
        bool first = true;
        while (rows.step()) {
            if (!first) out += ',';
            first = false;
            appendRow(out, rows.get(), spec);
        }
        out += ']';
    };
    appendChildren("timeline", *findKind("step"));
    appendChildren("transcript", *findKind("transcript"));
    return out + "}]}";
}

std::string SqliteStore::queryThreadStates(const std::string& paramsJson) {
    const std::string q = "threads.state";
    const auto ids = stringListParam(*parseQueryParams(paramsJson, q, {"ids"}), q, "ids", kMaxListLimit);
    std::lock_guard<std::mutex> lock(mutex_);
    Prepared select(handle(), std::string(kThreadStateSql) + " WHERE t.id = ?");
    std::string out = "{\"items\":[";
    bool first = true;
    for (const auto& id : ids) {
        select.bind(1, id);
        if (select.step()) {
            if (!first) out += ',';
            first = false;
            sqlite3_stmt* row = select.get();
            const auto isNull = [row](int col) { return sqlite3_column_type(row, col) == SQLITE_NULL; };
            const auto integer = [&](int col) {
                return isNull(col) ? std::nullopt : std::optional<std::int64_t>(sqlite3_column_int64(row, col));
            };
            appendThreadState(out, columnText(row, 0), columnText(row, 1),
                              isNull(2) ? std::nullopt : std::optional<std::string>(columnText(row, 2)), integer(3),
                              integer(4));
        }
        select.reset();
    }
    return out + "]}";
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

} // namespace mc::store_sqlite
