#include "PostgresCatalog.h"

#include "PostgresStore.h"

#include "mc/records/JsonText.h"
#include "mc/records/QueryCatalog.h"

#include <algorithm>

namespace mc::store_postgres {
using namespace mc::records;
using mc::sdk::Error;

namespace {

// Appends `value` as the next parameter and returns its placeholder with `cast` ("$3::timestamp").
std::string param(std::vector<PgParam>& binds, std::string value, const std::string& cast = "") {
    binds.emplace_back(std::move(value));
    return "$" + std::to_string(binds.size()) + cast;
}

std::string whereClause(const ParsedList& list, std::vector<PgParam>& binds) {
    std::string where;
    for (const auto& c : list.where) {
        where += where.empty() ? " WHERE " : " AND ";
        const std::string column = quoted(c.column);
        const std::string& value = c.values.front();
        switch (c.op) {
        case FilterOp::Equals:
            if (c.isBoolean) where += column + " = " + param(binds, value == "1" ? "true" : "false", "::boolean");
            else where += column + " = " + param(binds, value);
            break;
        case FilterOp::AtLeast: where += column + " >= " + param(binds, value, "::timestamp"); break;
        case FilterOp::Before: where += column + " < " + param(binds, value, "::timestamp"); break;
        case FilterOp::MinLevel: where += column + " = ANY(" + param(binds, textArrayLiteral(c.values), "::text[]") + ")"; break;
        case FilterOp::JsonMember: {
            const std::string p = param(binds, value);
            where += "(";
            for (std::size_t i = 0; i < c.jsonMembers.size(); ++i)
                where += std::string(i ? " OR " : "") + column + "->>'" + c.jsonMembers[i] + "' = " + p;
            where += ")";
            break;
        }
        case FilterOp::Contains: {
            std::string pattern = "%";
            for (char ch : value) {
                if (ch == '%' || ch == '_' || ch == '\\') pattern += '\\';
                pattern += ch;
            }
            where += column + " ILIKE " + param(binds, pattern + "%") + " ESCAPE '\\'";
            break;
        }
        }
    }
    return where;
}

// The sort key as text, as the cursor carries it (timestamps in the stored RFC 3339 form).
std::string sortKeyText(const ListQuerySpec& spec) {
    const std::string column = quoted(spec.sortColumn);
    return spec.sortIsInteger ? column + "::text" : "to_char(" + column + ", 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
}

// One page of a list on this connection.
std::optional<Cursor> pageOf(PGconn* conn, const ParsedList& list, std::int64_t limit, std::vector<std::string>& out) {
    out.clear();
    const KindSpec& spec = *findKind(list.spec->kind);
    std::vector<PgParam> binds;
    std::string where = whereClause(list, binds);
    const std::string sort = quoted(list.spec->sortColumn);
    const char* dir = list.descending ? "DESC" : "ASC";
    if (list.after) {
        where += where.empty() ? " WHERE " : " AND ";
        const std::string key = param(binds, list.after->key, list.spec->sortIsInteger ? "::bigint" : "::timestamp");
        where += "(" + sort + ", id) " + (list.descending ? "<" : ">") + " (" + key + ", " + param(binds, list.after->id) + ")";
    }
    const std::string sql = "SELECT " + selectColumns(spec) + ", " + sortKeyText(*list.spec) + " FROM " + spec.table +
                            where + " ORDER BY " + sort + " " + dir + ", id " + dir + " LIMIT " +
                            param(binds, std::to_string(limit + 1), "::bigint");
    auto rows = execute(conn, sql, binds);
    const int keyColumn = static_cast<int>(spec.fields.size()) + 2;
    const int count = std::min<int>(rows.rows(), static_cast<int>(limit));
    for (int r = 0; r < count; ++r) appendRow(out.emplace_back(), rows, r, spec);
    if (rows.rows() <= limit) return std::nullopt;
    return Cursor{rows.text(count - 1, keyColumn), rows.text(count - 1, 0)};
}

void requireThread(PGconn* conn, const std::string& id) {
    if (execute(conn, "SELECT 1 FROM threads WHERE id = $1", {id}).rows() == 0)
        throw Error(MC_ERR_NOT_FOUND, "thread '" + id + "' not found");
}

} // namespace

void PostgresCatalog::run(std::string_view name, std::string_view paramsJson, mc::sdk::Sink& rows) {
    runCatalogQuery(*this, name, paramsJson, rows);
}

std::optional<Cursor> PostgresCatalog::readPage(const ParsedList& list, std::int64_t limit, bool checkScope,
                                                std::vector<std::string>& rows) {
    std::optional<Cursor> next;
    pool_.run([&](PGconn* conn) {
        if (checkScope) requireThread(conn, *list.scopeId);
        next = pageOf(conn, list, limit, rows);
    });
    return next;
}

void PostgresCatalog::threadDetail(const std::string& id, mc::sdk::Sink& rows) {
    const KindSpec& thread = *findKind("thread");
    std::string out;
    pool_.run([&](PGconn* conn) {
        // One snapshot for the thread and its children.
        execute(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        auto row = execute(conn, "SELECT " + selectColumns(thread) + " FROM threads WHERE id = $1", {id});
        if (row.rows() == 0) {
            execute(conn, "ROLLBACK");
            throw Error(MC_ERR_NOT_FOUND, "thread '" + id + "' not found");
        }
        out = "{\"items\":[";
        appendRow(out, row, 0, thread);
        out.pop_back(); // reopen the thread object to add its timeline and transcript
        for (const auto& [field, kind] : {std::pair{"timeline", "step"}, std::pair{"transcript", "transcript"}}) {
            const KindSpec& spec = *findKind(kind);
            auto children = execute(conn, "SELECT " + selectColumns(spec) + " FROM " + spec.table +
                                              " WHERE thread_id = $1 ORDER BY sequence, id", {id});
            out += ",\"" + std::string(field) + "\":[";
            for (int r = 0; r < children.rows(); ++r) {
                if (r) out += ',';
                appendRow(out, children, r, spec);
            }
            out += ']';
        }
        execute(conn, "COMMIT");
        out += "}]}";
    });
    rows.write(out);
}

void PostgresCatalog::graph(const GraphRequest& request, mc::sdk::Sink& rows) {
    std::vector<GraphThread> threads;
    std::vector<GraphCall> calls;
    bool truncated = false;
    pool_.run([&](PGconn* conn) {
        threads.clear();
        calls.clear();
        std::vector<PgParam> binds;
        const std::string cols = "id, COALESCE(parent_id, ''), mcp_id, status, "
                                 "to_char(started_at, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), COALESCE(user_input, '')";
        std::string sql;
        if (request.rootThreadId) {
            requireThread(conn, *request.rootThreadId);
            sql = "WITH RECURSIVE tree(id) AS (SELECT id FROM threads WHERE id = " + param(binds, *request.rootThreadId) +
                  " UNION SELECT t.id FROM threads t JOIN tree ON t.parent_id = tree.id) SELECT " + cols +
                  " FROM threads WHERE id IN (SELECT id FROM tree) ORDER BY started_at, id";
        } else {
            std::string where;
            if (request.from) where += " WHERE started_at >= " + param(binds, *request.from, "::timestamp");
            if (request.to) where += (where.empty() ? " WHERE" : " AND") + std::string(" started_at < ") + param(binds, *request.to, "::timestamp");
            sql = "SELECT " + cols + " FROM threads" + where + " ORDER BY started_at DESC, id DESC";
        }
        sql += " LIMIT " + param(binds, std::to_string(request.limit + 1), "::bigint");
        auto result = execute(conn, sql, binds);
        truncated = result.rows() > request.limit;
        std::vector<std::string> ids;
        for (int r = 0; r < result.rows() && r < request.limit; ++r) {
            threads.push_back(GraphThread{result.text(r, 0), result.text(r, 1), result.text(r, 2), result.text(r, 3),
                                          result.text(r, 4), result.text(r, 5)});
            ids.push_back(result.text(r, 0));
        }
        auto steps = execute(conn,
                             "SELECT s.thread_id, COALESCE(s.mcp_id, t.mcp_id), s.tool, count(*) FROM execution_steps s "
                             "JOIN threads t ON t.id = s.thread_id WHERE s.tool IS NOT NULL AND s.thread_id = ANY($1::text[]) "
                             "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                             {textArrayLiteral(ids)});
        for (int r = 0; r < steps.rows(); ++r)
            calls.push_back(GraphCall{steps.text(r, 0), steps.text(r, 1), steps.text(r, 2), std::stoll(steps.text(r, 3))});
    });
    rows.write(graphJson(threads, calls, truncated));
}

void PostgresCatalog::usage(const UsageRequest& request, mc::sdk::Sink& rows) {
    std::vector<UsageSum> sums;
    pool_.run([&](PGconn* conn) {
        sums.clear();
        const std::string key = request.byThread ? "thread_id" : "service";
        std::vector<PgParam> binds;
        std::string sql = "SELECT " + key + ", usage, COALESCE(SUM(increment), 0), COUNT(*) FROM metric_points WHERE usage IS NOT NULL AND " +
                          key + " IS NOT NULL";
        if (request.threadId) sql += " AND thread_id = " + param(binds, *request.threadId);
        if (request.service) sql += " AND service = " + param(binds, *request.service);
        if (request.from) sql += " AND timestamp >= " + param(binds, *request.from, "::timestamp");
        if (request.to) sql += " AND timestamp < " + param(binds, *request.to, "::timestamp");
        auto result = execute(conn, sql + " GROUP BY 1, 2", binds);
        for (int r = 0; r < result.rows(); ++r)
            sums.push_back(UsageSum{result.text(r, 0), result.text(r, 1), std::stod(result.text(r, 2)), std::stoll(result.text(r, 3))});
    });
    rows.write(usageJson(request, sums));
}

void PostgresCatalog::tools(const ToolsRequest& request, mc::sdk::Sink& rows) {
    std::vector<ToolCall> calls;
    pool_.run([&](PGconn* conn) {
        calls.clear();
        std::vector<PgParam> binds;
        // The calling agent is the thread's mcp_id; idx_execution_steps_type_time reads the range newest first.
        std::string sql = "SELECT s.mcp_id, s.tool, t.mcp_id, s.status, s.duration_ms, "
                          "floor(extract(epoch from s.timestamp) * 1000)::bigint FROM execution_steps s "
                          "LEFT JOIN threads t ON t.id = s.thread_id WHERE s.type = 'tool_call' AND s.tool IS NOT NULL";
        if (request.mcpId) sql += " AND s.mcp_id = " + param(binds, *request.mcpId);
        if (request.tool) sql += " AND s.tool = " + param(binds, *request.tool);
        if (request.agent) sql += " AND t.mcp_id = " + param(binds, *request.agent);
        if (request.from) sql += " AND s.timestamp >= " + param(binds, *request.from, "::timestamp");
        if (request.to) sql += " AND s.timestamp < " + param(binds, *request.to, "::timestamp");
        auto result = execute(conn, sql + " ORDER BY s.timestamp DESC LIMIT " + std::to_string(kToolCallsRead + 1), binds);
        for (int r = 0; r < result.rows(); ++r) {
            ToolCall call{result.text(r, 0), result.text(r, 1), result.text(r, 2), result.text(r, 3), std::nullopt,
                          std::stoll(result.text(r, 5))};
            if (!result.isNull(r, 4)) call.durationMs = std::stod(result.text(r, 4));
            calls.push_back(std::move(call));
        }
    });
    rows.write(toolsJson(request, std::move(calls)));
}

void PostgresCatalog::search(const SearchRequest& request, mc::sdk::Sink& rows) {
    std::string words;
    for (const auto& term : request.terms) words += (words.empty() ? "" : " ") + term;
    std::vector<SearchHit> hits;
    pool_.run([&](PGconn* conn) {
        hits.clear();
        for (const auto& source : searchSources()) {
            if (std::find(request.kinds.begin(), request.kinds.end(), source.kind) == request.kinds.end()) continue;
            const std::string tsv = quoted(source.textColumn + "_tsv");
            // Rank the newest kSearchCandidates matches, then highlight only the best `limit` (ts_headline
            // re-parses the text): a common word costs the same on 1M rows as on 10k. The tsquery is spelled
            // out at each use, not a CTE, so the planner sees it and walks the time index backwards. The
            // candidates carry what the answer needs: a row's ctid names it only within one partition.
            const std::string query = "plainto_tsquery('simple', $1)";
            const std::string timestamp = "c." + quoted(source.timestampColumn);
            const std::string sql =
                "WITH recent AS (SELECT c.id, " + timestamp + " AS at, c." + quoted(source.threadIdColumn) + " AS thread_id, " +
                (source.mcpIdColumn.empty() ? "NULL" : "c." + quoted(source.mcpIdColumn)) + " AS mcp_id, c." + quoted(source.textColumn) +
                " AS body, c." + tsv + " AS tsv FROM " + source.table + " c WHERE c." + tsv + " @@ " + query + " ORDER BY " + timestamp +
                " DESC LIMIT " + std::to_string(kSearchCandidates) + "), best AS (SELECT id, at, thread_id, mcp_id, body, ts_rank(tsv, " +
                query + ") AS rank FROM recent ORDER BY rank DESC LIMIT $2::bigint) SELECT id, to_char(at, "
                "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), thread_id, mcp_id, ts_headline('simple', body, " +
                query + ", 'StartSel=<mark>, StopSel=</mark>, MaxWords=16, MinWords=6, ShortWord=0'), rank FROM best ORDER BY rank DESC";
            auto result = execute(conn, sql, {words, std::to_string(request.limit)});
            for (int r = 0; r < result.rows(); ++r)
                hits.push_back(SearchHit{source.kind, result.text(r, 0), result.text(r, 1), result.optionalText(r, 2),
                                         result.optionalText(r, 3), result.text(r, 4), std::stod(result.text(r, 5))});
        }
    });
    rows.write(searchJson(std::move(hits), request.limit));
}

} // namespace mc::store_postgres
