#pragma once
// The named queries every store answers, as data: their names, parameters (type, meaning, range) and
// how each list is sorted and paginated. One definition for both stores (each turns a ParsedList into
// its dialect's SQL) and for the host (which derives its routes' query-parameter tables, and so the
// OpenAPI document, from the same specs).
//
// Lists paginate by keyset on (sort key, id): a page asks for rows strictly after the cursor's
// (key, id) in the requested order, so rows inserted between pages are neither repeated nor shift
// others out. The cursor is opaque to callers: base64url of the query name, order, key and id,
// checked on the way back in.
#include "mc/records/QueryParams.h"
#include "mc/sdk.hpp"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mc::records {

struct KindSpec;

enum class ParamKind { Text, Integer, Boolean, Timestamp, Enum, EnumList };

// How a filter parameter constrains its column.
enum class FilterOp {
    Equals,    // column = value
    AtLeast,   // column >= value (time ranges: "from")
    Before,    // column < value  (time ranges: "to", exclusive)
    MinLevel,  // log level at or above the value (DEBUG < INFO < WARN < ERROR)
    Contains,  // case-insensitive substring of the column (ASCII)
    JsonMember // one of the named members of the column's JSON object equals the value (FilterSpec::jsonMembers)
};

struct QueryParamSpec {
    std::string name;
    ParamKind kind = ParamKind::Text;
    std::string description;
    std::vector<std::string> values; // Enum / EnumList
    std::int64_t minimum = 0, maximum = 0; // Integer
    bool required = false;
    std::string defaultValue; // documentation
};

struct FilterSpec {
    QueryParamSpec param;
    std::string column;
    FilterOp op = FilterOp::Equals;
    std::vector<std::string> jsonMembers = {}; // JsonMember: top-level member names, plain (letters, digits, '.', '_')
};

struct ListQuerySpec {
    std::string name;       // "logs.list"
    std::string kind;       // the record kind of each row ("log")
    std::string sortColumn; // keyset: (sortColumn, id)
    bool sortIsInteger = false;
    bool defaultDescending = true;
    bool hasOrder = true;   // "order" parameter accepted
    bool paginated = true;  // "limit" + "cursor" (false: an export, every row)
    // A required "id" (the path's thread) constrains `scopeColumn`; the thread must exist (else not found).
    std::string scopeColumn;
    std::vector<FilterSpec> filters;
};

constexpr std::int64_t kExportPageSize = 1000;

const std::vector<ListQuerySpec>& listQueries();
const ListQuerySpec* findListQuery(std::string_view name);

// Every parameter a named query accepts, in documentation order (list queries: filters, order, limit,
// cursor; the scoping "id" included). Also answers "threads.get", "graph" and "search".
std::vector<QueryParamSpec> queryParameters(std::string_view name);

// Every query name a store must answer, for error messages: "audit.list, graph, logs.export, ...".
std::string knownQueries();

// A parameter or cursor the caller got wrong; stores answer MC_ERR_INVALID_ARGUMENT with what().
class QueryError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

struct Condition {
    std::string column;
    FilterOp op = FilterOp::Equals;
    std::vector<std::string> values; // MinLevel: the accepted levels; else one value
    bool isBoolean = false;          // values[0] is "1" / "0"
    bool isTimestamp = false;
    std::vector<std::string> jsonMembers = {}; // JsonMember
};

struct Cursor {
    std::string key; // the sort key as text (normalized timestamp, or a decimal integer)
    std::string id;
};

struct ParsedList {
    const ListQuerySpec* spec = nullptr;
    std::vector<Condition> where;
    bool descending = true;
    std::int64_t limit = kDefaultListLimit;
    std::optional<Cursor> after;
    std::optional<std::string> scopeId; // the thread of a scoped list
};

// Validates `paramsJson` against the spec: unknown parameters (naming the known ones), wrong types,
// out-of-range limits, bad timestamps, garbled or foreign cursors all throw QueryError.
ParsedList parseList(const ListQuerySpec& spec, std::string_view paramsJson);

// How a store reads one page of a list: up to `limit` rows after list.after, each row's JSON object
// pushed onto `rows` (cleared first, so a retried read is safe); `checkScope`: fail with
// MC_ERR_NOT_FOUND first when the list's thread does not exist. Returns the last row's (key, id) when
// more rows follow.
using PageReader = std::function<std::optional<Cursor>(const ParsedList& list, std::int64_t limit, bool checkScope,
                                                       std::vector<std::string>& rows)>;
// Runs a list query for a store: one page as {"items":[...],"next_cursor":...}, or (an export) every
// page in turn as NDJSON, each page one sink write made after the reader returned (the store holds no
// connection or lock while the sink writes). Throws QueryError for bad parameters.
void runList(const ListQuerySpec& spec, std::string_view paramsJson, mc::sdk::Sink& sink, const PageReader& read);

// The opaque cursor that resumes after (key, id) for this query and order.
std::string encodeCursor(const ParsedList& list, const std::string& key, const std::string& id);

// The params object of any named query: unknown names refused (mc/records/QueryParams.h), required ones
// checked (QueryError).
Poco::JSON::Object::Ptr parseParams(std::string_view queryName, std::string_view paramsJson,
                                    const std::vector<QueryParamSpec>& allowed);

// Levels at or above `level` (upper-cased); throws QueryError for an unknown level.
std::vector<std::string> levelsFrom(const std::string& level);

// ---- search -----------------------------------------------------------------------------------------
struct SearchRequest {
    std::vector<std::string> terms; // words of q (letters/digits/_), lower-cased, each matched as a prefix-free word
    std::vector<std::string> kinds; // subset of log, transcript, thread
    std::int64_t limit = 20;
};
// Throws QueryError; a q with no searchable word is a QueryError too.
SearchRequest parseSearch(std::string_view paramsJson);

// ---- graph ------------------------------------------------------------------------------------------
struct GraphRequest {
    std::optional<std::string> rootThreadId;
    std::optional<std::string> from, to; // normalized timestamps (threads started in [from, to))
    std::int64_t limit = 500;            // most threads in the graph
};
GraphRequest parseGraph(std::string_view paramsJson);

// ---- usage -----------------------------------------------------------------------------------------
// Tokens and cost added up from the metric points that carry a `usage` (receiver-otlp marks them), per
// thread or per agent.
struct UsageRequest {
    bool byThread = true; // else per service (the agent)
    std::optional<std::string> threadId, service;
    std::optional<std::string> from, to; // normalized timestamps (points in [from, to))
    std::int64_t limit = 100;
};
UsageRequest parseUsage(std::string_view paramsJson);
// What a store reads: SUM(increment) and COUNT(*) of metric_points with a usage, grouped by (the
// thread or service, usage), NULL keys left out. usageJson() builds the answer the same way for every
// store: {"items":[{"thread_id"|"service", input_tokens, output_tokens, cache_read_tokens,
// cache_creation_tokens, total_tokens, cost_usd, points}...], "truncated": bool}, the costliest first.
struct UsageSum {
    std::string key, usage;
    double total = 0;
    std::int64_t points = 0;
};
std::string usageJson(const UsageRequest& request, const std::vector<UsageSum>& sums);

// ---- tools ----------------------------------------------------------------------------------------
// Per-tool figures from the tool_call steps: calls, errors, denials and latency percentiles per (MCP
// server, tool), or per (server, tool, calling agent), over a time range, with an optional series of
// equal time buckets for a chart. The calling agent is the mcp_id of the step's thread (the agent's
// service name for an OpenTelemetry thread, the client of a /mcp session).
struct ToolsRequest {
    bool byAgent = false;
    std::optional<std::string> mcpId, tool, agent;
    std::optional<std::string> from, to; // normalized timestamps (steps in [from, to))
    std::int64_t buckets = 0;            // 0: no series
    std::int64_t limit = 100;
};
ToolsRequest parseTools(std::string_view paramsJson);
// The newest calls a store reads for one answer; an older remainder is left out ("truncated").
constexpr std::int64_t kToolCallsRead = 200000;
// What a store reads: tool_call steps matching the request, newest first, at most kToolCallsRead + 1.
struct ToolCall {
    std::string mcpId, tool, agent, status; // "" for NULL
    std::optional<double> durationMs;
    std::int64_t atMs = 0; // the step's timestamp in ms since the epoch
};
// {"items":[{"mcp_id","tool"[,"agent"],"calls","errors","denied","error_rate","p50_ms","p95_ms","p99_ms",
// "max_ms","last_call"}...] busiest first, "series":{"from_ms","bucket_ms","points":[{"calls","errors",
// "p50_ms","p95_ms"}...]} (with buckets), "calls_read", "truncated"}. errors: status error or timeout;
// denied: refused by the permission policy (no latency); percentiles are nearest-rank over the calls
// with a duration, null when there is none.
std::string toolsJson(const ToolsRequest& request, std::vector<ToolCall> calls);

// What a store reads for a graph; graphJson() builds the answer the same way for every store.
struct GraphThread {
    std::string id, parentId, mcpId, status, startedAt, userInput;
};
struct GraphCall {
    std::string threadId, mcpId, tool; // mcpId: the step's own, else its thread's
    std::int64_t count = 0;
};
// {"nodes":[threads..., mcps..., tools...],"edges":[parent-of..., ran-on..., called...],"truncated":bool}
std::string graphJson(const std::vector<GraphThread>& threads, const std::vector<GraphCall>& calls, bool truncated);

// Where each search kind lives: its table and columns (the stores add their full-text index).
struct SearchSource {
    std::string kind, table, textColumn, timestampColumn, threadIdColumn, mcpIdColumn; // mcpIdColumn "" : none
};
const std::vector<SearchSource>& searchSources();
// Each kind ranks at most this many of its newest matches (bounded cost for common words).
constexpr int kSearchCandidates = 1000;

struct SearchHit {
    std::string kind, id, timestamp;
    std::optional<std::string> threadId, mcpId;
    std::string snippet; // the match in <mark>...</mark>
    double score = 0;    // higher is better
};
// {"items":[best `limit` hits, best first],"next_cursor":null}
std::string searchJson(std::vector<SearchHit> hits, std::int64_t limit);

// A store's side of the catalog: the SQL of each query shape. runCatalogQuery() parses, dispatches and
// maps errors the same way for every store.
class CatalogBackend {
public:
    virtual ~CatalogBackend() = default;
    virtual std::optional<Cursor> readPage(const ParsedList& list, std::int64_t limit, bool checkScope,
                                           std::vector<std::string>& rows) = 0; // a PageReader
    virtual void threadDetail(const std::string& threadId, mc::sdk::Sink& rows) = 0; // threads.get
    virtual void graph(const GraphRequest& request, mc::sdk::Sink& rows) = 0;
    virtual void search(const SearchRequest& request, mc::sdk::Sink& rows) = 0;
    virtual void usage(const UsageRequest& request, mc::sdk::Sink& rows) = 0;
    virtual void tools(const ToolsRequest& request, mc::sdk::Sink& rows) = 0;
};
// Answers any catalog query with `backend`. Throws mc::sdk::Error: MC_ERR_INVALID_ARGUMENT (bad
// parameters or cursor), MC_ERR_UNSUPPORTED (not a catalog query), or what the backend throws.
void runCatalogQuery(CatalogBackend& backend, std::string_view name, std::string_view paramsJson, mc::sdk::Sink& rows);

} // namespace mc::records
