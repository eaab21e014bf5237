// store-sqlite's read queries: the query catalog (mc/records/QueryCatalog.h) in SqliteQueries, plus
// the store's own threads.state (the ingest path) and schema_migrations.list (the migration runner).
#include "SqliteQueries.h"
#include "SqliteStore.h"
#include "SqliteSupport.h"

#include "mc/records/QueryCatalog.h"
#include "mc/records/QueryParams.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

namespace mc::store_sqlite {


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

namespace {


// The WHERE clause of a parsed list (without the cursor), its binds appended to `binds`.
std::string whereClause(const ParsedList& list, std::vector<ColumnValue>& binds) {
    std::string where;
    for (const auto& c : list.where) {
        where += where.empty() ? " WHERE " : " AND ";
        const std::string column = quoted(c.column);
        switch (c.op) {
        case FilterOp::Equals:
            where += column + " = ?";
            if (c.isBoolean) binds.emplace_back(std::int64_t(c.values.front() == "1"));
            else binds.emplace_back(c.values.front());
            break;
        case FilterOp::AtLeast:
            where += column + " >= ?";
            binds.emplace_back(c.values.front());
            break;
        case FilterOp::Before:
            where += column + " < ?";
            binds.emplace_back(c.values.front());
            break;
        case FilterOp::MinLevel: {
            where += column + " IN (";
            for (std::size_t i = 0; i < c.values.size(); ++i) {
                where += i ? ", ?" : "?";
                binds.emplace_back(c.values[i]);
            }
            where += ")";
            break;
        }
        case FilterOp::JsonMember: {
            where += "(";
            for (std::size_t i = 0; i < c.jsonMembers.size(); ++i) {
                where += std::string(i ? " OR " : "") + "json_extract(" + column + ", '$.\"" + c.jsonMembers[i] + "\"') = ?";
                binds.emplace_back(c.values.front());
            }
            where += ")";
            break;
        }
        case FilterOp::Contains: {
            std::string pattern = "%";
            for (char ch : c.values.front()) {
                if (ch == '%' || ch == '_' || ch == '\\') pattern += '\\';
                pattern += ch;
            }
            where += column + " LIKE ? ESCAPE '\\'";
            binds.emplace_back(pattern + "%");
            break;
        }
        }
    }
    return where;
}

ColumnValue sortValue(const ParsedList& list, const std::string& key) {
    if (list.spec->sortIsInteger) return ColumnValue(std::int64_t(std::stoll(key)));
    return ColumnValue(key);
}

// One page of a list on this connection.
std::optional<Cursor> pageOf(sqlite3* db, const ParsedList& list, std::int64_t limit, std::vector<std::string>& rows) {
    rows.clear();
    const KindSpec& spec = *findKind(list.spec->kind);
    std::vector<ColumnValue> binds;
    std::string sql = "SELECT " + selectColumns(spec) + ", " + quoted(list.spec->sortColumn) + " FROM " + spec.table;
    std::string where = whereClause(list, binds);
    const char* dir = list.descending ? "DESC" : "ASC";
    if (list.after) {
        where += where.empty() ? " WHERE " : " AND ";
        where += "(" + quoted(list.spec->sortColumn) + ", id) " + (list.descending ? "<" : ">") + " (?, ?)";
        binds.push_back(sortValue(list, list.after->key));
        binds.emplace_back(list.after->id);
    }
    sql += where + " ORDER BY " + quoted(list.spec->sortColumn) + " " + dir + ", id " + dir + " LIMIT ?";
    binds.emplace_back(limit + 1);
    Prepared select(db, sql);
    for (std::size_t i = 0; i < binds.size(); ++i) select.bind(static_cast<int>(i + 1), binds[i]);
    std::int64_t count = 0;
    std::string lastKey, lastId;
    const int keyColumn = static_cast<int>(spec.fields.size()) + 2;
    while (select.step()) {
        if (count == limit) return Cursor{lastKey, lastId};
        appendRow(rows.emplace_back(), select.get(), spec);
        lastKey = columnText(select.get(), keyColumn);
        lastId = columnText(select.get(), 0);
        ++count;
    }
    return std::nullopt;
}

void requireThread(sqlite3* db, const std::string& id) {
    Prepared exists(db, "SELECT 1 FROM threads WHERE id = ?");
    exists.bind(1, id);
    if (!exists.step()) throw Error(MC_ERR_NOT_FOUND, "thread '" + id + "' not found");
}

void appendRows(std::string& out, Prepared& select, const KindSpec& spec) {
    bool first = true;
    while (select.step()) {
        if (!first) out += ',';
        first = false;
        appendRow(out, select.get(), spec);
    }
}


} // namespace

void SqliteQueries::run(std::string_view name, std::string_view paramsJson, mc::sdk::Sink& rows) {
    runCatalogQuery(*this, name, paramsJson, rows);
}

std::optional<Cursor> SqliteQueries::readPage(const ParsedList& list, std::int64_t limit, bool checkScope,
                                              std::vector<std::string>& rows) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (checkScope) requireThread(handle_(), *list.scopeId);
    return pageOf(handle_(), list, limit, rows);
}

void SqliteQueries::threadDetail(const std::string& id, mc::sdk::Sink& rows) {
    const KindSpec& thread = *findKind("thread");
    const KindSpec& step = *findKind("step");
    const KindSpec& transcript = *findKind("transcript");

    std::string out = "{\"items\":[";
    {
        std::lock_guard<std::mutex> lock(mutex_);
        sqlite3* db = handle_();
        Prepared select(db, "SELECT " + selectColumns(thread) + " FROM threads WHERE id = ?");
        select.bind(1, id);
        if (!select.step()) throw Error(MC_ERR_NOT_FOUND, "thread '" + id + "' not found");
        appendRow(out, select.get(), thread);
        out.pop_back(); // reopen the thread object for its timeline and transcript
        out += ",\"timeline\":[";
        Prepared steps(db, "SELECT " + selectColumns(step) + " FROM execution_steps WHERE thread_id = ? ORDER BY sequence, id");
        steps.bind(1, id);
        appendRows(out, steps, step);
        out += "],\"transcript\":[";
        Prepared messages(db, "SELECT " + selectColumns(transcript) +
                                  " FROM transcripts WHERE thread_id = ? ORDER BY sequence, id");
        messages.bind(1, id);
        appendRows(out, messages, transcript);
    }
    rows.write(out + "]}]}");
}

void SqliteQueries::graph(const GraphRequest& request, mc::sdk::Sink& rows) {
    std::vector<GraphThread> threads;
    std::vector<GraphCall> calls;
    bool truncated = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        sqlite3* db = handle_();
        std::string sql;
        std::vector<ColumnValue> binds;
        const std::string cols = "id, parent_id, mcp_id, status, started_at, user_input";
        if (request.rootThreadId) {
            requireThread(db, *request.rootThreadId);
            sql = "WITH RECURSIVE tree(id) AS (SELECT id FROM threads WHERE id = ? UNION "
                  "SELECT t.id FROM threads t JOIN tree ON t.parent_id = tree.id) SELECT " + cols +
                  " FROM threads WHERE id IN tree ORDER BY started_at, id LIMIT ?";
            binds.emplace_back(*request.rootThreadId);
        } else {
            std::string where;
            if (request.from) {
                where += " WHERE started_at >= ?";
                binds.emplace_back(*request.from);
            }
            if (request.to) {
                where += where.empty() ? " WHERE started_at < ?" : " AND started_at < ?";
                binds.emplace_back(*request.to);
            }
            sql = "SELECT " + cols + " FROM threads" + where + " ORDER BY started_at DESC, id DESC LIMIT ?";
        }
        binds.emplace_back(request.limit + 1);
        Prepared select(db, sql);
        for (std::size_t i = 0; i < binds.size(); ++i) select.bind(static_cast<int>(i + 1), binds[i]);
        while (select.step()) {
            if (static_cast<std::int64_t>(threads.size()) == request.limit) {
                truncated = true;
                break;
            }
            auto* s = select.get();
            threads.push_back(GraphThread{columnText(s, 0), columnText(s, 1), columnText(s, 2), columnText(s, 3),
                                          columnText(s, 4), columnText(s, 5)});
        }
        std::string ids = "[";
        for (std::size_t i = 0; i < threads.size(); ++i) ids += (i ? "," : "") + jsonString(threads[i].id);
        Prepared steps(db, "SELECT s.thread_id, COALESCE(s.mcp_id, t.mcp_id), s.tool, count(*) FROM execution_steps s "
                             "JOIN threads t ON t.id = s.thread_id WHERE s.tool IS NOT NULL AND s.thread_id IN "
                             "(SELECT value FROM json_each(?)) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3");
        steps.bind(1, ids + "]");
        while (steps.step())
            calls.push_back(GraphCall{columnText(steps.get(), 0), columnText(steps.get(), 1),
                                      columnText(steps.get(), 2), sqlite3_column_int64(steps.get(), 3)});
    }
    rows.write(graphJson(threads, calls, truncated));
}

void SqliteQueries::usage(const UsageRequest& request, mc::sdk::Sink& rows) {
    const std::string key = request.byThread ? "thread_id" : "service";
    std::string sql = "SELECT " + key + ", usage, SUM(increment), COUNT(*) FROM metric_points WHERE usage IS NOT NULL AND " + key +
                      " IS NOT NULL";
    std::vector<ColumnValue> binds;
    const auto where = [&](const char* condition, const std::optional<std::string>& value) {
        if (!value) return;
        sql += condition;
        binds.emplace_back(*value);
    };
    where(" AND thread_id = ?", request.threadId);
    where(" AND service = ?", request.service);
    where(" AND timestamp >= ?", request.from);
    where(" AND timestamp < ?", request.to);
    sql += " GROUP BY 1, 2";
    std::vector<UsageSum> sums;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        Prepared select(handle_(), sql);
        for (std::size_t i = 0; i < binds.size(); ++i) select.bind(static_cast<int>(i + 1), binds[i]);
        while (select.step())
            sums.push_back(UsageSum{columnText(select.get(), 0), columnText(select.get(), 1), sqlite3_column_double(select.get(), 2),
                                    sqlite3_column_int64(select.get(), 3)});
    }
    rows.write(usageJson(request, sums));
}

void SqliteQueries::tools(const ToolsRequest& request, mc::sdk::Sink& rows) {
    // The calling agent is the thread's mcp_id; idx_execution_steps_type_time reads the range newest first.
    std::string sql = "SELECT s.mcp_id, s.tool, t.mcp_id, s.status, s.duration_ms, s.timestamp FROM execution_steps s "
                      "LEFT JOIN threads t ON t.id = s.thread_id WHERE s.type = 'tool_call' AND s.tool IS NOT NULL";
    std::vector<ColumnValue> binds;
    const auto where = [&](const char* condition, const std::optional<std::string>& value) {
        if (!value) return;
        sql += condition;
        binds.emplace_back(*value);
    };
    where(" AND s.mcp_id = ?", request.mcpId);
    where(" AND s.tool = ?", request.tool);
    where(" AND t.mcp_id = ?", request.agent);
    where(" AND s.timestamp >= ?", request.from);
    where(" AND s.timestamp < ?", request.to);
    sql += " ORDER BY s.timestamp DESC LIMIT " + std::to_string(kToolCallsRead + 1);
    std::vector<ToolCall> calls;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        Prepared select(handle_(), sql);
        for (std::size_t i = 0; i < binds.size(); ++i) select.bind(static_cast<int>(i + 1), binds[i]);
        while (select.step()) {
            sqlite3_stmt* row = select.get();
            ToolCall call{columnText(row, 0), columnText(row, 1), columnText(row, 2), columnText(row, 3), std::nullopt,
                          unixMicrosOfStored(columnText(row, 5)) / 1000};
            if (sqlite3_column_type(row, 4) != SQLITE_NULL) call.durationMs = sqlite3_column_double(row, 4);
            calls.push_back(std::move(call));
        }
    }
    rows.write(toolsJson(request, std::move(calls)));
}

void SqliteQueries::search(const SearchRequest& request, mc::sdk::Sink& rows) {
    std::string match;
    for (const auto& term : request.terms) match += (match.empty() ? "\"" : " \"") + term + "\"";
    std::vector<SearchHit> hits;
    std::lock_guard<std::mutex> lock(mutex_);
    sqlite3* db = handle_();
    for (const auto& source : searchSources()) {
        if (std::find(request.kinds.begin(), request.kinds.end(), source.kind) == request.kinds.end()) continue;
        const std::string fts = source.table + "_fts";
        // Rank only the newest kSearchCandidates matches (rowid order is arrival order; FTS5 answers a
        // rowid range from its index), so a common word costs the same on 1M rows as on 10k. One
        // statement: snippet() needs the MATCH cursor, and a second MATCH per hit would re-read doclists.
        Prepared select(db, "SELECT c.id, c." + source.timestampColumn + ", c." + source.threadIdColumn + ", " +
                                (source.mcpIdColumn.empty() ? "NULL" : "c." + source.mcpIdColumn) + ", snippet(" + fts +
                                ", 0, '<mark>', '</mark>', '…', 16), bm25(" + fts + ") AS rank FROM " + fts + " JOIN " +
                                source.table + " c ON c.rowid = " + fts + ".rowid WHERE " + fts + " MATCH ?1 AND " + fts +
                                ".rowid >= (SELECT min(rowid) FROM (SELECT rowid FROM " + fts + " WHERE " + fts +
                                " MATCH ?1 ORDER BY rowid DESC LIMIT " + std::to_string(kSearchCandidates) +
                                ")) ORDER BY rank LIMIT ?2");
        select.bind(1, match);
        select.bind(2, request.limit);
        while (select.step()) {
            auto* s = select.get();
            const auto optional = [s](int col) {
                return sqlite3_column_type(s, col) == SQLITE_NULL ? std::nullopt : std::optional<std::string>(columnText(s, col));
            };
            hits.push_back(SearchHit{source.kind, columnText(s, 0), columnText(s, 1), optional(2), optional(3),
                                     columnText(s, 4), -sqlite3_column_double(s, 5)}); // bm25: lower is better
        }
    }
    rows.write(searchJson(std::move(hits), request.limit));
}

} // namespace mc::store_sqlite
