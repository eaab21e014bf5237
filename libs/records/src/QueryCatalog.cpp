#include "mc/records/QueryCatalog.h"

#include "mc/records/JsonText.h"
#include "mc/records/QueryParams.h"
#include "mc/records/RecordSchema.h"

#include <Poco/Exception.h>
#include <Poco/String.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

namespace mc::records {
namespace {

QueryParamSpec text(std::string name, std::string description) {
    QueryParamSpec p;
    p.name = std::move(name);
    p.description = std::move(description);
    return p;
}

QueryParamSpec timestamp(std::string name, std::string description) {
    QueryParamSpec p = text(std::move(name), std::move(description));
    p.kind = ParamKind::Timestamp;
    return p;
}

QueryParamSpec oneOf(std::string name, std::vector<std::string> values, std::string description) {
    QueryParamSpec p = text(std::move(name), std::move(description));
    p.kind = ParamKind::Enum;
    p.values = std::move(values);
    return p;
}

FilterSpec eq(std::string name, std::string description, std::string column = {}) {
    FilterSpec f{text(name, std::move(description)), column.empty() ? name : column, FilterOp::Equals};
    return f;
}

FilterSpec status(std::string description) {
    const auto* thread = findKind("thread");
    std::vector<std::string> values;
    for (const auto& f : thread->fields)
        if (f.jsonName == "status") values = f.allowed;
    return FilterSpec{oneOf("status", values, std::move(description)), "status", FilterOp::Equals};
}

std::vector<FilterSpec> timeRange(const std::string& column, const std::string& what) {
    return {FilterSpec{timestamp("from", what + " at or after this time (RFC 3339)"), column, FilterOp::AtLeast},
            FilterSpec{timestamp("to", what + " before this time (RFC 3339, exclusive)"), column, FilterOp::Before}};
}

std::vector<FilterSpec> concat(std::vector<FilterSpec> a, const std::vector<FilterSpec>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

const std::vector<std::string>& levelOrder() {
    static const std::vector<std::string> levels{"DEBUG", "INFO", "WARN", "ERROR"};
    return levels;
}

std::vector<FilterSpec> logFilters() {
    FilterSpec minLevel{oneOf("min_level", levelOrder(), "only logs at this level or above"), "level", FilterOp::MinLevel};
    FilterSpec contains{text("contains", "only logs whose message contains this text (case-insensitive)"), "message",
                        FilterOp::Contains};
    return concat({eq("thread_id", "only logs of this thread"), eq("mcp_id", "only logs of this MCP server"), minLevel,
                   eq("service", "only logs of this service"), contains},
                  timeRange("timestamp", "logs"));
}

ListQuerySpec list(std::string name, std::string kind, std::string sortColumn, bool descending,
                   std::vector<FilterSpec> filters) {
    ListQuerySpec q;
    q.name = std::move(name);
    q.kind = std::move(kind);
    q.sortColumn = std::move(sortColumn);
    q.defaultDescending = descending;
    q.filters = std::move(filters);
    return q;
}

ListQuerySpec scoped(std::string name, std::string kind, std::string sortColumn, std::string scopeColumn,
                     bool sortIsInteger) {
    ListQuerySpec q = list(std::move(name), std::move(kind), std::move(sortColumn), false, {});
    q.scopeColumn = std::move(scopeColumn);
    q.sortIsInteger = sortIsInteger;
    return q;
}

std::vector<ListQuerySpec> buildCatalog() {
    std::vector<ListQuerySpec> all;
    // A thread's user: the /mcp session's authenticated user ("user"), or what an agent's telemetry said
    // ("user.id", "user.email"), in its execution_context.
    FilterSpec user{text("user", "only threads of this user (execution_context user, user.id or user.email)"), "execution_context",
                    FilterOp::JsonMember, {"user", "user.id", "user.email"}};
    all.push_back(list("threads.list", "thread", "started_at", true,
                       concat({status("only threads in this status"), eq("mcp_id", "only threads on this MCP server"),
                               eq("parent_id", "only direct children of this thread"), user},
                              timeRange("started_at", "threads started"))));
    all.push_back(scoped("threads.timeline", "step", "sequence", "thread_id", true));
    all.push_back(list("steps.list", "step", "timestamp", true,
                       concat({eq("step_type", "only steps of this type (tool_call, llm_call, ...)", "type"),
                               eq("mcp_id", "only steps on this MCP server"), eq("tool", "only calls of this tool"),
                               eq("status", "only steps in this status (ok, error, timeout, denied, ...)"),
                               eq("thread_id", "only steps of this thread")},
                              timeRange("timestamp", "steps"))));
    all.push_back(scoped("threads.transcript", "transcript", "sequence", "thread_id", true));
    all.push_back(scoped("threads.children", "thread", "started_at", "parent_id", false));
    all.push_back(list("logs.list", "log", "timestamp", true, logFilters()));
    ListQuerySpec exportAll = list("logs.export", "log", "timestamp", true, logFilters());
    exportAll.paginated = false;
    all.push_back(exportAll);
    ListQuerySpec history = list("mcps.history", "mcp_status", "timestamp", true,
                                 timeRange("timestamp", "status changes"));
    history.scopeColumn = "mcp_id";
    all.push_back(history);
    FilterSpec granted{text("granted", "only granted (true) or denied (false) requests"), "granted", FilterOp::Equals};
    granted.param.kind = ParamKind::Boolean;
    all.push_back(list("permissions.list", "permission", "timestamp", true,
                       concat({eq("user_id", "only requests of this user"), eq("resource", "only requests for this resource"),
                               eq("action", "only this action"), granted, eq("thread_id", "only requests of this thread"),
                               eq("mcp_id", "only requests on this MCP server")},
                              timeRange("timestamp", "requests"))));
    all.push_back(scoped("traces.get", "span", "start_time", "trace_id", false));
    all.push_back(list("spans.list", "span", "start_time", true,
                       concat({eq("thread_id", "only spans of this thread"), eq("service", "only spans of this service"),
                               eq("mcp_id", "only spans of this MCP server's own telemetry"),
                               eq("name", "only spans of this name"), eq("status", "only spans in this status (unset, ok, error)")},
                              timeRange("start_time", "spans started"))));
    all.push_back(list("metrics.list", "metric", "timestamp", true,
                       concat({eq("name", "only points of this metric"), eq("thread_id", "only points of this thread"),
                               eq("service", "only points of this agent or service"),
                               eq("mcp_id", "only points of this MCP server's own telemetry"),
                               eq("usage", "only token or cost points of this usage (input_tokens, output_tokens, "
                                           "cache_read_tokens, cache_creation_tokens, cost_usd)")},
                              timeRange("timestamp", "points"))));
    all.push_back(list("protocol.list", "protocol_message", "timestamp", true,
                       concat({eq("mcp_id", "only messages of this MCP server"), eq("method", "only messages of this method"),
                               eq("direction", "only messages this way (out: to the server, in: from it)"),
                               eq("kind", "only this kind (request, response, error, notification, http)")},
                              timeRange("timestamp", "messages"))));
    all.push_back(list("audit.list", "audit", "timestamp", true,
                       concat({eq("actor", "only actions by this actor"), eq("action", "only this action"),
                               eq("target", "only actions on this target")},
                              timeRange("timestamp", "actions"))));
    return all;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

[[noreturn]] void bad(std::string_view query, const std::string& param, const std::string& why) {
    throw QueryError(std::string(query) + ": parameter '" + param + "' " + why);
}

// ---- base64url (RFC 4648 §5, no padding) -----------------------------------------------------------------
const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(const std::string& in) {
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char c : in) {
        buffer = (buffer << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += kAlphabet[(buffer >> bits) & 0x3f];
        }
    }
    if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 0x3f];
    return out;
}

bool unbase64url(const std::string& in, std::string& out) {
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : in) {
        const char* at = std::strchr(kAlphabet, c);
        if (!c || !at) return false;
        buffer = (buffer << 6) | static_cast<std::uint32_t>(at - kAlphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    return true;
}

std::optional<std::string> textValue(const Poco::JSON::Object& params, std::string_view query, const std::string& name) {
    if (!params.has(name) || params.isNull(name)) return std::nullopt;
    const auto v = params.get(name);
    if (!v.isString()) bad(query, name, "must be a string");
    auto s = v.extract<std::string>();
    if (s.empty()) bad(query, name, "must not be empty");
    return s;
}

std::optional<std::int64_t> integerValue(const Poco::JSON::Object& params, std::string_view query,
                                         const QueryParamSpec& p) {
    if (!params.has(p.name) || params.isNull(p.name)) return std::nullopt;
    const auto v = params.get(p.name);
    std::int64_t n = 0;
    bool ok = false;
    // JSON numbers only: the host converts query strings; a store caller passes typed JSON.
    if (v.isInteger() && !v.isBoolean()) {
        try {
            n = v.convert<std::int64_t>();
            ok = true;
        } catch (const Poco::RangeException&) { // beyond 64 bits: out of any range too
        }
    }
    if (!ok || n < p.minimum || n > p.maximum)
        bad(query, p.name, "must be an integer from " + std::to_string(p.minimum) + " to " + std::to_string(p.maximum));
    return n;
}

std::optional<bool> booleanValue(const Poco::JSON::Object& params, std::string_view query, const std::string& name) {
    if (!params.has(name) || params.isNull(name)) return std::nullopt;
    const auto v = params.get(name);
    if (v.isBoolean()) return v.convert<bool>();
    bad(query, name, "must be true or false (a JSON boolean)");
}

std::string checkedValue(const Poco::JSON::Object& params, std::string_view query, const QueryParamSpec& p) {
    switch (p.kind) {
    case ParamKind::Integer: return std::to_string(*integerValue(params, query, p));
    case ParamKind::Boolean: return *booleanValue(params, query, p.name) ? "1" : "0";
    case ParamKind::Timestamp: {
        std::string normalized;
        if (!normalizeTimestamp(*textValue(params, query, p.name), normalized))
            bad(query, p.name, "must be an RFC 3339 timestamp such as 2026-01-02T03:04:05Z");
        return normalized;
    }
    case ParamKind::Enum: {
        // Any letter case is accepted, as at the host's router; the declared spelling is used.
        const auto value = *textValue(params, query, p.name);
        const auto match = std::find_if(p.values.begin(), p.values.end(),
                                        [&](const std::string& v) { return Poco::icompare(v, value) == 0; });
        if (match == p.values.end())
            bad(query, p.name, "must be one of " + joined(p.values) + " (got '" + value + "')");
        return *match;
    }
    default: return *textValue(params, query, p.name);
    }
}

QueryParamSpec limitSpec(std::int64_t defaultLimit, std::int64_t maximum) {
    QueryParamSpec p = text("limit", "most items in one page");
    p.kind = ParamKind::Integer;
    p.minimum = 1;
    p.maximum = maximum;
    p.defaultValue = std::to_string(defaultLimit);
    return p;
}

} // namespace

const std::vector<ListQuerySpec>& listQueries() {
    static const std::vector<ListQuerySpec> all = buildCatalog();
    return all;
}

const ListQuerySpec* findListQuery(std::string_view name) {
    for (const auto& q : listQueries())
        if (q.name == name) return &q;
    return nullptr;
}

std::vector<QueryParamSpec> queryParameters(std::string_view name) {
    std::vector<QueryParamSpec> out;
    if (const auto* q = findListQuery(name)) {
        if (!q->scopeColumn.empty()) {
            // A thread's lists take its "id"; other scopes are named by their column.
            const bool thread = q->scopeColumn == "thread_id" || q->scopeColumn == "parent_id";
            QueryParamSpec id = text(thread ? "id" : q->scopeColumn,
                                     q->scopeColumn == "mcp_id" ? "the MCP server" : thread ? "the thread" : "the trace");
            id.required = true;
            out.push_back(id);
        }
        for (const auto& f : q->filters) out.push_back(f.param);
        if (q->hasOrder) {
            auto order = oneOf("order", {"asc", "desc"}, std::string("sort by ") + q->sortColumn + " then id");
            order.defaultValue = q->defaultDescending ? "desc" : "asc";
            out.push_back(order);
        }
        if (q->paginated) {
            out.push_back(limitSpec(kDefaultListLimit, kMaxListLimit));
            out.push_back(text("cursor", "next_cursor of the previous page (opaque)"));
        }
    } else if (name == "threads.get") {
        auto id = text("id", "the thread");
        id.required = true;
        out.push_back(id);
    } else if (name == "graph") {
        out.push_back(text("thread_id", "the root of one thread tree (instead of a time range)"));
        out.push_back(timestamp("from", "threads started at or after this time (RFC 3339)"));
        out.push_back(timestamp("to", "threads started before this time (RFC 3339, exclusive)"));
        auto limit = limitSpec(500, 5000);
        limit.description = "most threads in the graph (the newest; \"truncated\" says when more matched)";
        out.push_back(limit);
    } else if (name == "usage") {
        auto by = oneOf("by", {"thread", "service"}, "add up per thread or per agent (service.name)");
        by.defaultValue = "thread";
        out.push_back(by);
        out.push_back(text("thread_id", "only this thread"));
        out.push_back(text("service", "only this agent or service"));
        out.push_back(timestamp("from", "points at or after this time (RFC 3339)"));
        out.push_back(timestamp("to", "points before this time (RFC 3339, exclusive)"));
        auto limit = limitSpec(100, 1000);
        limit.description = "most threads or agents (the costliest first)";
        out.push_back(limit);
    } else if (name == "tools") {
        auto by = oneOf("by", {"tool", "agent"}, "one row per MCP server and tool, or per server, tool and calling agent");
        by.defaultValue = "tool";
        out.push_back(by);
        out.push_back(text("mcp_id", "only this MCP server's tools"));
        out.push_back(text("tool", "only this tool"));
        out.push_back(text("agent", "only calls by this agent (the mcp_id of the calling thread)"));
        out.push_back(timestamp("from", "calls at or after this time (RFC 3339)"));
        out.push_back(timestamp("to", "calls before this time (RFC 3339, exclusive)"));
        auto buckets = text("buckets", "also a series of this many equal time buckets over the range (0: none)");
        buckets.kind = ParamKind::Integer;
        buckets.minimum = 0;
        buckets.maximum = 500;
        buckets.defaultValue = "0";
        out.push_back(buckets);
        auto limit = limitSpec(100, 1000);
        limit.description = "most rows (the busiest first)";
        out.push_back(limit);
    } else if (name == "search") {
        auto q = text("q", "words to find (all of them, any order); ranked, with the match highlighted");
        q.required = true;
        out.push_back(q);
        auto kinds = text("kinds", "comma-separated subset of log, transcript, thread");
        kinds.kind = ParamKind::EnumList;
        kinds.values = {"log", "transcript", "thread"};
        kinds.defaultValue = "log,transcript,thread";
        out.push_back(kinds);
        auto limit = limitSpec(20, 200);
        limit.description = "most results";
        out.push_back(limit);
    }
    return out;
}

std::string knownQueries() {
    std::vector<std::string> names{"threads.get", "threads.state", "graph", "search", "usage", "tools", "schema_migrations.list"};
    for (const auto& q : listQueries()) names.push_back(q.name);
    std::sort(names.begin(), names.end());
    return joined(names);
}

Poco::JSON::Object::Ptr parseParams(std::string_view queryName, std::string_view paramsJson,
                                    const std::vector<QueryParamSpec>& allowed) {
    const std::string query(queryName);
    std::set<std::string> names;
    for (const auto& p : allowed) names.insert(p.name);
    auto params = parseQueryParams(std::string(paramsJson), query, names);
    for (const auto& p : allowed)
        if (p.required && (!params->has(p.name) || params->isNull(p.name))) bad(query, p.name, "is required");
    return params;
}

std::vector<std::string> levelsFrom(const std::string& level) {
    const auto& order = levelOrder();
    auto at = std::find(order.begin(), order.end(), level);
    if (at == order.end()) throw QueryError("unknown log level '" + level + "' (known: " + joined(order) + ")");
    return std::vector<std::string>(at, order.end());
}

ParsedList parseList(const ListQuerySpec& spec, std::string_view paramsJson) {
    const auto allowed = queryParameters(spec.name);
    auto params = parseParams(spec.name, paramsJson, allowed);
    ParsedList out;
    out.spec = &spec;
    out.descending = spec.defaultDescending;
    if (!spec.scopeColumn.empty()) {
        const std::string idName = allowed.front().name;
        out.scopeId = textValue(*params, spec.name, idName);
        out.where.push_back(Condition{spec.scopeColumn, FilterOp::Equals, {*out.scopeId}});
    }
    for (const auto& f : spec.filters) {
        if (!params->has(f.param.name) || params->isNull(f.param.name)) continue;
        Condition c{f.column, f.op, {checkedValue(*params, spec.name, f.param)}};
        c.isBoolean = f.param.kind == ParamKind::Boolean;
        c.isTimestamp = f.param.kind == ParamKind::Timestamp;
        c.jsonMembers = f.jsonMembers;
        if (f.op == FilterOp::MinLevel) c.values = levelsFrom(c.values.front());
        out.where.push_back(std::move(c));
    }
    std::optional<std::string> from, to;
    for (const auto& c : out.where) {
        if (c.op == FilterOp::AtLeast) from = c.values.front();
        if (c.op == FilterOp::Before) to = c.values.front();
    }
    if (from && to && *from > *to) throw QueryError(spec.name + ": parameter 'from' is after 'to'");
    if (auto order = textValue(*params, spec.name, "order")) {
        if (*order != "asc" && *order != "desc") bad(spec.name, "order", "must be asc or desc (got '" + *order + "')");
        out.descending = *order == "desc";
    }
    if (spec.paginated) {
        out.limit = integerValue(*params, spec.name, limitSpec(kDefaultListLimit, kMaxListLimit)).value_or(kDefaultListLimit);
        if (auto cursor = textValue(*params, spec.name, "cursor")) {
            std::string decoded;
            const std::string why = "is not a cursor this query issued (pass next_cursor unchanged)";
            if (!unbase64url(*cursor, decoded)) bad(spec.name, "cursor", why);
            // name \n order \n key \n id
            std::vector<std::string> parts;
            std::size_t start = 0;
            for (std::size_t at; (at = decoded.find('\n', start)) != std::string::npos; start = at + 1)
                parts.push_back(decoded.substr(start, at - start));
            parts.push_back(decoded.substr(start));
            if (parts.size() != 4 || parts[0] != spec.name || parts[3].empty()) bad(spec.name, "cursor", why);
            if (parts[1] != (out.descending ? "desc" : "asc"))
                bad(spec.name, "cursor", "was issued for order=" + parts[1] + "; keep the order while paging");
            // The key in the form the stores compare: a 64-bit integer, or a normalized timestamp.
            std::string key;
            if (spec.sortIsInteger) {
                std::int64_t n = 0;
                const std::string& text = parts[2];
                const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
                if (text.empty() || error != std::errc() || end != text.data() + text.size()) bad(spec.name, "cursor", why);
                key = std::to_string(n);
            } else if (!normalizeTimestamp(parts[2], key)) {
                bad(spec.name, "cursor", why);
            }
            out.after = Cursor{key, parts[3]};
        }
    }
    return out;
}

void runList(const ListQuerySpec& spec, std::string_view paramsJson, mc::sdk::Sink& sink, const PageReader& read) {
    ParsedList list = parseList(spec, paramsJson);
    const bool threadScoped = list.scopeId && (spec.scopeColumn == "thread_id" || spec.scopeColumn == "parent_id");
    std::vector<std::string> rows;
    if (!spec.paginated) {
        std::string page;
        for (bool firstPage = true;; firstPage = false) {
            const auto next = read(list, kExportPageSize, threadScoped && firstPage, rows);
            page.clear();
            for (const auto& row : rows) (page += row) += '\n';
            if (!page.empty() && !sink.write(page)) return; // the reader went away
            if (!next) return;
            list.after = next;
        }
    }
    const auto next = read(list, list.limit, threadScoped, rows);
    std::string out = "{\"items\":[";
    for (std::size_t i = 0; i < rows.size(); ++i) (out += i ? "," : "") += rows[i];
    out += "],\"next_cursor\":" + (next ? jsonString(encodeCursor(list, next->key, next->id)) : std::string("null")) + "}";
    sink.write(out);
}

void runCatalogQuery(CatalogBackend& backend, std::string_view name, std::string_view paramsJson, mc::sdk::Sink& rows) {
    try {
        if (const auto* spec = findListQuery(name))
            return runList(*spec, paramsJson, rows,
                           [&backend](const ParsedList& list, std::int64_t limit, bool checkScope, std::vector<std::string>& page) {
                               return backend.readPage(list, limit, checkScope, page);
                           });
        if (name == "threads.get") {
            auto params = parseParams(name, paramsJson, queryParameters(name));
            return backend.threadDetail(requiredStringParam(*params, "threads.get", "id"), rows);
        }
        if (name == "graph") return backend.graph(parseGraph(paramsJson), rows);
        if (name == "search") return backend.search(parseSearch(paramsJson), rows);
        if (name == "usage") return backend.usage(parseUsage(paramsJson), rows);
        if (name == "tools") return backend.tools(parseTools(paramsJson), rows);
    } catch (const QueryError& e) {
        throw mc::sdk::Error(MC_ERR_INVALID_ARGUMENT, e.what());
    }
    throw mc::sdk::Error(MC_ERR_UNSUPPORTED, "unknown query '" + std::string(name) + "' (known: " + knownQueries() + ")");
}

std::string encodeCursor(const ParsedList& list, const std::string& key, const std::string& id) {
    return base64url(list.spec->name + "\n" + (list.descending ? "desc" : "asc") + "\n" + key + "\n" + id);
}

SearchRequest parseSearch(std::string_view paramsJson) {
    const auto allowed = queryParameters("search");
    auto params = parseParams("search", paramsJson, allowed);
    SearchRequest out;
    const std::string q = *textValue(*params, "search", "q");
    std::string word;
    auto flush = [&] {
        if (!word.empty() && out.terms.size() < 16) out.terms.push_back(word);
        word.clear();
    };
    for (unsigned char c : q) {
        if (std::isalnum(c) || c == '_' || c >= 0x80) word += static_cast<char>(std::tolower(c));
        else flush();
    }
    flush();
    if (out.terms.empty()) bad("search", "q", "has no word to search for (letters or digits)");
    out.kinds = {"log", "transcript", "thread"};
    if (auto kinds = textValue(*params, "search", "kinds")) {
        out.kinds.clear();
        std::size_t start = 0;
        while (start <= kinds->size()) {
            auto end = kinds->find(',', start);
            if (end == std::string::npos) end = kinds->size();
            std::string k = kinds->substr(start, end - start);
            if (k != "log" && k != "transcript" && k != "thread")
                bad("search", "kinds", "takes a comma-separated list of log, transcript, thread (got '" + k + "')");
            if (std::find(out.kinds.begin(), out.kinds.end(), k) == out.kinds.end()) out.kinds.push_back(k);
            start = end + 1;
        }
    }
    out.limit = integerValue(*params, "search", allowed.back()).value_or(20);
    return out;
}

GraphRequest parseGraph(std::string_view paramsJson) {
    const auto allowed = queryParameters("graph");
    auto params = parseParams("graph", paramsJson, allowed);
    GraphRequest out;
    out.rootThreadId = textValue(*params, "graph", "thread_id");
    if (params->has("from") && !params->isNull("from")) out.from = checkedValue(*params, "graph", allowed[1]);
    if (params->has("to") && !params->isNull("to")) out.to = checkedValue(*params, "graph", allowed[2]);
    if (out.from && out.to && *out.from > *out.to) throw QueryError("graph: parameter 'from' is after 'to'");
    if (out.rootThreadId && (out.from || out.to))
        throw QueryError("graph: give either 'thread_id' (one thread tree) or 'from'/'to' (a time range), not both");
    out.limit = integerValue(*params, "graph", allowed.back()).value_or(500);
    return out;
}

UsageRequest parseUsage(std::string_view paramsJson) {
    const auto allowed = queryParameters("usage");
    auto params = parseParams("usage", paramsJson, allowed);
    UsageRequest out;
    if (auto by = textValue(*params, "usage", "by")) {
        if (*by != "thread" && *by != "service") bad("usage", "by", "must be one of thread, service (got '" + *by + "')");
        out.byThread = *by == "thread";
    }
    out.threadId = textValue(*params, "usage", "thread_id");
    out.service = textValue(*params, "usage", "service");
    if (params->has("from") && !params->isNull("from")) out.from = checkedValue(*params, "usage", allowed[3]);
    if (params->has("to") && !params->isNull("to")) out.to = checkedValue(*params, "usage", allowed[4]);
    if (out.from && out.to && *out.from > *out.to) throw QueryError("usage: parameter 'from' is after 'to'");
    out.limit = integerValue(*params, "usage", allowed.back()).value_or(100);
    return out;
}

ToolsRequest parseTools(std::string_view paramsJson) {
    const auto allowed = queryParameters("tools");
    auto params = parseParams("tools", paramsJson, allowed);
    ToolsRequest out;
    if (auto by = textValue(*params, "tools", "by")) {
        if (*by != "tool" && *by != "agent") bad("tools", "by", "must be one of tool, agent (got '" + *by + "')");
        out.byAgent = *by == "agent";
    }
    out.mcpId = textValue(*params, "tools", "mcp_id");
    out.tool = textValue(*params, "tools", "tool");
    out.agent = textValue(*params, "tools", "agent");
    if (params->has("from") && !params->isNull("from")) out.from = checkedValue(*params, "tools", allowed[4]);
    if (params->has("to") && !params->isNull("to")) out.to = checkedValue(*params, "tools", allowed[5]);
    if (out.from && out.to && *out.from > *out.to) throw QueryError("tools: parameter 'from' is after 'to'");
    out.buckets = integerValue(*params, "tools", allowed[6]).value_or(0);
    out.limit = integerValue(*params, "tools", allowed.back()).value_or(100);
    return out;
}

namespace {

// Nearest-rank percentile of sorted values.
double rankPercentile(const std::vector<double>& sorted, double q) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
    return sorted[std::min(sorted.size(), std::max<std::size_t>(rank, 1)) - 1];
}

std::string number(double value) {
    return Poco::Dynamic::Var(std::round(value * 1000.0) / 1000.0).convert<std::string>();
}

std::string nullableText(const std::string& value) {
    return value.empty() ? std::string("null") : jsonString(value);
}

struct Latencies {
    std::int64_t calls = 0, errors = 0, denied = 0;
    std::vector<double> durations;

    void add(const ToolCall& call) {
        ++calls;
        if (call.status == "error" || call.status == "timeout") ++errors;
        if (call.status == "denied") ++denied;
        else if (call.durationMs) durations.push_back(*call.durationMs);
    }
    // ,"p50_ms":…,"p95_ms":… for `quantiles` (sorts the durations)
    std::string percentiles(std::initializer_list<std::pair<const char*, double>> quantiles) {
        std::sort(durations.begin(), durations.end());
        std::string out;
        for (const auto& [name, q] : quantiles)
            out += std::string(",\"") + name + "\":" + (durations.empty() ? std::string("null") : number(rankPercentile(durations, q)));
        return out;
    }
};

} // namespace

std::string toolsJson(const ToolsRequest& request, std::vector<ToolCall> calls) {
    const bool truncated = static_cast<std::int64_t>(calls.size()) > kToolCallsRead;
    if (truncated) calls.resize(static_cast<std::size_t>(kToolCallsRead));
    struct Row {
        Latencies latencies;
        std::int64_t lastMs = 0;
    };
    std::map<std::tuple<std::string, std::string, std::string>, Row> rows;
    for (const auto& call : calls) {
        Row& row = rows[{call.mcpId, call.tool, request.byAgent ? call.agent : std::string()}];
        row.latencies.add(call);
        row.lastMs = std::max(row.lastMs, call.atMs);
    }
    std::vector<std::pair<std::tuple<std::string, std::string, std::string>, Row>> ordered(
        std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
    // The busiest first; equal ones in (server, tool, agent) order.
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const auto& a, const auto& b) { return a.second.latencies.calls > b.second.latencies.calls; });
    const bool moreRows = static_cast<std::int64_t>(ordered.size()) > request.limit;
    if (moreRows) ordered.resize(static_cast<std::size_t>(request.limit));
    std::string out = "{\"items\":[";
    for (std::size_t i = 0; i < ordered.size(); ++i) {
        auto& [key, row] = ordered[i];
        auto& l = row.latencies;
        out += std::string(i ? "," : "") + "{\"mcp_id\":" + nullableText(std::get<0>(key)) + ",\"tool\":" + jsonString(std::get<1>(key));
        if (request.byAgent) out += ",\"agent\":" + nullableText(std::get<2>(key));
        out += ",\"calls\":" + std::to_string(l.calls) + ",\"errors\":" + std::to_string(l.errors) +
               ",\"denied\":" + std::to_string(l.denied) +
               ",\"error_rate\":" + number(static_cast<double>(l.errors) / static_cast<double>(l.calls));
        out += l.percentiles({{"p50_ms", 0.50}, {"p95_ms", 0.95}, {"p99_ms", 0.99}, {"max_ms", 1.0}});
        out += ",\"last_call\":" + jsonString(formatTimestamp(row.lastMs * 1000)) + "}";
    }
    out += "]";
    if (request.buckets > 0) {
        std::int64_t fromMs = 0, toMs = 0;
        const auto ms = [](const std::string& stored) { return unixMicrosOfStored(stored) / 1000; };
        if (request.from) fromMs = ms(*request.from);
        if (request.to) toMs = ms(*request.to);
        if (!request.from || !request.to) {
            std::int64_t lo = INT64_MAX, hi = INT64_MIN;
            for (const auto& call : calls) {
                lo = std::min(lo, call.atMs);
                hi = std::max(hi, call.atMs);
            }
            if (calls.empty()) lo = hi = 0;
            if (!request.from) fromMs = lo;
            if (!request.to) toMs = hi + 1;
        }
        const std::int64_t bucketMs = std::max<std::int64_t>(1, (toMs - fromMs + request.buckets - 1) / request.buckets);
        std::vector<Latencies> buckets(static_cast<std::size_t>(request.buckets));
        for (const auto& call : calls) {
            if (call.atMs < fromMs || call.atMs >= toMs) continue;
            const auto index = static_cast<std::size_t>((call.atMs - fromMs) / bucketMs);
            if (index < buckets.size()) buckets[index].add(call);
        }
        out += ",\"series\":{\"from_ms\":" + std::to_string(fromMs) + ",\"bucket_ms\":" + std::to_string(bucketMs) + ",\"points\":[";
        for (std::size_t i = 0; i < buckets.size(); ++i)
            out += std::string(i ? "," : "") + "{\"calls\":" + std::to_string(buckets[i].calls) + ",\"errors\":" +
                   std::to_string(buckets[i].errors) + buckets[i].percentiles({{"p50_ms", 0.50}, {"p95_ms", 0.95}}) + "}";
        out += "]}";
    }
    return out + ",\"calls_read\":" + std::to_string(calls.size()) + ",\"truncated\":" + (truncated || moreRows ? "true" : "false") + "}";
}

std::string usageJson(const UsageRequest& request, const std::vector<UsageSum>& sums) {
    struct Totals {
        double tokens[4] = {0, 0, 0, 0};
        double allTokens = 0; // their sum, once the rows are added up
        double cost = 0;
        std::int64_t points = 0;
    };
    static const char* const kTokenUsages[] = {"input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens"};
    std::map<std::string, Totals> byKey;
    for (const auto& sum : sums) {
        Totals& t = byKey[sum.key];
        t.points += sum.points;
        if (sum.usage == "cost_usd") t.cost += sum.total;
        for (int i = 0; i < 4; ++i)
            if (sum.usage == kTokenUsages[i]) t.tokens[i] += sum.total;
    }
    std::vector<std::pair<std::string, Totals>> rows(byKey.begin(), byKey.end());
    for (auto& [key, t] : rows) t.allTokens = t.tokens[0] + t.tokens[1] + t.tokens[2] + t.tokens[3];
    // The costliest first, then the most tokens, then by key: a stable order for equal rows.
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        if (a.second.cost != b.second.cost) return a.second.cost > b.second.cost;
        return a.second.allTokens > b.second.allTokens;
    });
    const bool truncated = static_cast<std::int64_t>(rows.size()) > request.limit;
    if (truncated) rows.resize(static_cast<std::size_t>(request.limit));
    const auto integral = [](double d) { return std::to_string(static_cast<long long>(std::llround(d))); };
    std::string out = "{\"items\":[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& [key, t] = rows[i];
        out += std::string(i ? "," : "") + "{\"" + (request.byThread ? "thread_id" : "service") + "\":" + jsonString(key);
        for (int u = 0; u < 4; ++u) out += std::string(",\"") + kTokenUsages[u] + "\":" + integral(t.tokens[u]);
        out += ",\"total_tokens\":" + integral(t.allTokens);
        out += ",\"cost_usd\":" + Poco::Dynamic::Var(t.cost).convert<std::string>();
        out += ",\"points\":" + std::to_string(t.points) + "}";
    }
    return out + "],\"truncated\":" + (truncated ? "true" : "false") + "}";
}

std::string graphJson(const std::vector<GraphThread>& threads, const std::vector<GraphCall>& calls, bool truncated) {
    const auto nodeId = [](const std::string& type, const std::string& id) { return jsonString(type + ":" + id); };
    std::set<std::string> present, mcps;
    std::set<std::pair<std::string, std::string>> tools; // (mcp, tool)
    for (const auto& t : threads) present.insert(t.id);
    std::string nodes, edges, callEdges;
    for (const auto& t : threads) {
        mcps.insert(t.mcpId);
        nodes += ",{\"id\":" + nodeId("thread", t.id) + ",\"type\":\"thread\",\"thread_id\":" + jsonString(t.id) +
                 ",\"status\":" + jsonString(t.status) + ",\"mcp_id\":" + jsonString(t.mcpId) +
                 ",\"started_at\":" + jsonString(t.startedAt) + ",\"label\":" + jsonString(t.userInput.substr(0, 80)) + "}";
        if (!t.parentId.empty() && present.count(t.parentId))
            edges += ",{\"type\":\"parent-of\",\"from\":" + nodeId("thread", t.parentId) + ",\"to\":" +
                     nodeId("thread", t.id) + "}";
        edges += ",{\"type\":\"ran-on\",\"from\":" + nodeId("thread", t.id) + ",\"to\":" + nodeId("mcp", t.mcpId) + "}";
    }
    for (const auto& c : calls) {
        tools.insert({c.mcpId, c.tool});
        mcps.insert(c.mcpId);
        callEdges += ",{\"type\":\"called\",\"from\":" + nodeId("thread", c.threadId) + ",\"to\":" +
                     nodeId("tool", c.mcpId + "/" + c.tool) + ",\"count\":" + std::to_string(c.count) + "}";
    }
    for (const auto& m : mcps)
        nodes += ",{\"id\":" + nodeId("mcp", m) + ",\"type\":\"mcp\",\"mcp_id\":" + jsonString(m) + ",\"label\":" +
                 jsonString(m) + "}";
    for (const auto& [mcp, tool] : tools)
        nodes += ",{\"id\":" + nodeId("tool", mcp + "/" + tool) + ",\"type\":\"tool\",\"mcp_id\":" + jsonString(mcp) +
                 ",\"tool\":" + jsonString(tool) + ",\"label\":" + jsonString(tool) + "}";
    edges += callEdges;
    return "{\"nodes\":[" + (nodes.empty() ? "" : nodes.substr(1)) + "],\"edges\":[" + (edges.empty() ? "" : edges.substr(1)) +
           "],\"truncated\":" + (truncated ? "true" : "false") + "}";
}

const std::vector<SearchSource>& searchSources() {
    static const std::vector<SearchSource> sources = {
        {"log", "logs", "message", "timestamp", "thread_id", "mcp_id"},
        {"transcript", "transcripts", "content", "timestamp", "thread_id", ""},
        {"thread", "threads", "user_input", "started_at", "id", "mcp_id"},
    };
    return sources;
}

std::string searchJson(std::vector<SearchHit> hits, std::int64_t limit) {
    std::stable_sort(hits.begin(), hits.end(), [](const SearchHit& a, const SearchHit& b) { return a.score > b.score; });
    if (static_cast<std::int64_t>(hits.size()) > limit) hits.resize(static_cast<std::size_t>(limit));
    const auto optional = [](const std::optional<std::string>& v) { return v ? jsonString(*v) : std::string("null"); };
    std::string out = "{\"items\":[";
    for (std::size_t i = 0; i < hits.size(); ++i) {
        const auto& h = hits[i];
        out += std::string(i ? "," : "") + "{\"kind\":" + jsonString(h.kind) + ",\"id\":" + jsonString(h.id) +
               ",\"timestamp\":" + jsonString(h.timestamp) + ",\"thread_id\":" + optional(h.threadId) +
               ",\"mcp_id\":" + optional(h.mcpId) + ",\"snippet\":" + jsonString(h.snippet) + ",\"score\":" +
               Poco::Dynamic::Var(h.score).convert<std::string>() + "}";
    }
    return out + "],\"next_cursor\":null}";
}

} // namespace mc::records
