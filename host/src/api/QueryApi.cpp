#include "api/QueryApi.h"
#include "api/QueryRouteParams.h"

#include "log/Logging.h"
#include "mc/records/QueryCatalog.h"
#include "mc/records/RecordSchema.h"
#include "plugin/HostContext.h"
#include "store/StoreService.h"
#include "util/Json.h"
#include "web/HttpUtil.h"
#include "web/Router.h"

#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <cctype>
#include <ostream>
#include <sstream>

namespace mc::host {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;
using mc::records::ParamKind;
using mc::records::QueryParamSpec;

// The store's params object: validated query values typed as the catalog declares them, plus the path's id.
std::string paramsJson(const std::string& queryName, const RequestContext& ctx, const std::string& pathParam,
                       const std::vector<std::string>& skip = {}) {
    std::string out = "{";
    auto add = [&out](const std::string& name, const std::string& valueJson) {
        out += (out.size() > 1 ? "," : "") + json::quote(name) + ":" + valueJson;
    };
    if (!pathParam.empty()) add(pathParam, json::quote(ctx.pathParams.at("id")));
    for (const auto& p : mc::records::queryParameters(queryName)) {
        auto it = ctx.query.find(p.name);
        if (it == ctx.query.end() || std::find(skip.begin(), skip.end(), p.name) != skip.end()) continue;
        if (p.kind == ParamKind::Integer || p.kind == ParamKind::Boolean) add(p.name, it->second);
        else add(p.name, json::quote(it->second));
    }
    return out + "}";
}

// Well-formed requests the API cannot answer: 422 naming the parameters.
void checkProcessable(const RequestContext& ctx, bool rootOrRange = false) {
    auto from = ctx.query.find("from"), to = ctx.query.find("to");
    if (from != ctx.query.end() && to != ctx.query.end() && from->second > to->second)
        throw HttpError(422, "unprocessable", "query parameter 'from' (" + from->second + ") is after 'to' (" + to->second + ")",
                        "{\"parameter\":\"from\"}");
    auto thread = ctx.query.find("thread_id");
    if (rootOrRange && thread != ctx.query.end() &&
        (from != ctx.query.end() || to != ctx.query.end()))
        throw HttpError(422, "unprocessable",
                        "give either 'thread_id' (one thread tree) or 'from'/'to' (a time range), not both",
                        "{\"parameter\":\"thread_id\"}");
    auto q = ctx.query.find("q");
    if (q != ctx.query.end() &&
        std::none_of(q->second.begin(), q->second.end(), [](unsigned char c) { return std::isalnum(c) || c >= 0x80; }))
        throw HttpError(422, "unprocessable", "query parameter 'q' has no word to search for (letters or digits)",
                        "{\"parameter\":\"q\"}");
}

// A store failure as the HTTP answer: 400 / 404 / 503 / 501, else 500 (the reason is logged).
[[noreturn]] void storeFailed(const std::string& queryName, mc_status status, const std::string& reason) {
    switch (status) {
    case MC_ERR_INVALID_ARGUMENT: throw HttpError(400, "invalid_parameter", reason);
    case MC_ERR_NOT_FOUND: throw HttpError(404, "not_found", reason);
    case MC_ERR_UNAVAILABLE:
    case MC_ERR_IO:
    case MC_ERR_TIMEOUT:
        throw HttpError(503, "store_unavailable", "the store cannot answer now: " + reason,
                        "{\"query\":" + json::quote(queryName) + "}");
    case MC_ERR_UNSUPPORTED:
        throw HttpError(501, "not_implemented", "the store does not answer query '" + queryName + "': " + reason);
    default:
        logging::get("api")->error("query {} failed ({}): {}", queryName, statusName(status), reason);
        throw HttpError(500, "internal_error", "the store failed on query '" + queryName + "'; the log has the details");
    }
}

StoreService& requireStore(StoreService* store) {
    if (!store) throw HttpError(503, "store_unavailable", "no store is open");
    return *store;
}

// ---- export formats -----------------------------------------------------------------------------------

void appendCsvField(std::string& out, const std::string& value) {
    if (value.find_first_of(",\"\r\n") == std::string::npos) {
        out += value;
        return;
    }
    out += '"';
    for (char c : value) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

std::vector<std::string> logColumns() {
    std::vector<std::string> columns{"id"};
    for (const auto& f : mc::records::findKind("log")->fields) columns.push_back(f.jsonName);
    columns.push_back("created_at");
    return columns;
}

// One NDJSON row of the store as a CSV line in `columns` order (JSON values as their JSON text).
void appendCsvRow(std::string& out, const std::string& row, const std::vector<std::string>& columns) {
    auto object = json::parse(row).extract<Poco::JSON::Object::Ptr>();
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i) out += ',';
        if (!object->has(columns[i]) || object->isNull(columns[i])) continue;
        const auto v = object->get(columns[i]);
        if (v.isString()) appendCsvField(out, v.extract<std::string>());
        else if (v.type() == typeid(Poco::JSON::Object::Ptr) || v.type() == typeid(Poco::JSON::Array::Ptr)) {
            std::ostringstream text;
            Poco::JSON::Stringifier::stringify(v, text);
            appendCsvField(out, text.str());
        } else appendCsvField(out, v.convert<std::string>());
    }
    out += "\r\n";
}

// Streams logs.export to the client as it comes from the store: chunked, one page of rows in memory.
void streamExport(RequestContext& ctx, StoreService& store) {
    checkProcessable(ctx);
    const std::string format = ctx.query.count("format") ? ctx.query.at("format") : "ndjson";
    const std::string params = paramsJson("logs.export", ctx, "");
    const auto columns = logColumns();
    std::ostream* out = nullptr;
    std::string pending; // a row split across chunks (the store writes whole lines; this is defensive)
    bool firstRow = true;
    auto begin = [&] {
        if (out) return;
        auto& response = ctx.response;
        response.setStatus(Status::HTTP_OK);
        response.setChunkedTransferEncoding(true);
        response.set("Cache-Control", "no-store");
        response.set("Content-Disposition", "attachment; filename=\"logs." + format + "\"");
        response.setContentType(format == "csv" ? "text/csv; charset=utf-8"
                                : format == "json" ? "application/json"
                                                   : "application/x-ndjson");
        out = &response.send();
        if (format == "json") *out << '[';
        if (format == "csv") {
            std::string header;
            for (std::size_t i = 0; i < columns.size(); ++i) header += (i ? "," : "") + columns[i];
            *out << header << "\r\n";
        }
    };
    std::string buffer;
    const auto write = [&](std::string_view chunk) {
        begin();
        if (format == "ndjson") {
            out->write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
            return out->good();
        }
        pending.append(chunk);
        buffer.clear();
        std::size_t start = 0;
        for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
            if (nl == start) continue;
            const std::string row = pending.substr(start, nl - start);
            if (format == "json") {
                if (!firstRow) buffer += ',';
                buffer += row;
            } else {
                appendCsvRow(buffer, row, columns);
            }
            firstRow = false;
        }
        pending.erase(0, start);
        out->write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        return out->good();
    };
    std::string error;
    const mc_status status = store.queryStream("logs.export", params, write, error);
    if (status != MC_OK) {
        if (!out) storeFailed("logs.export", status, error);
        // Rows already went out with 200: end the body early; the client sees a short export.
        logging::get("api")->error("log export ended early ({}): {}", statusName(status), error);
        throw std::runtime_error("log export ended early: " + error);
    }
    begin();
    if (format == "json") *out << ']';
}

struct QueryRoute {
    std::string pattern;
    std::string queryName;
    std::string pathParam; // the store parameter the path's {id} fills ("" for none)
    std::string summary;
    // Viewers see everything the store holds but captured protocol messages, which carry tool
    // arguments and results (as the live inspector, operators and admins only).
    Role role = Role::Viewer;
};

} // namespace

void registerQueryRoutes(Router& router, StoreService* store) {
    const std::vector<QueryRoute> routes = {
        {"/api/threads", "threads.list", "", "Threads, newest first: filter by status, MCP server, parent, start time."},
        {"/api/threads/{id}", "threads.get", "id", "One thread with its timeline (execution steps) and transcript."},
        {"/api/threads/{id}/timeline", "threads.timeline", "id", "A thread's execution steps in sequence order."},
        {"/api/threads/{id}/transcript", "threads.transcript", "id", "A thread's conversation messages in sequence order."},
        {"/api/threads/{id}/children", "threads.children", "id", "Threads started by this thread, oldest first."},
        {"/api/logs", "logs.list", "",
         "Logs, newest first: filter by thread, MCP server, minimum level, service, time range, message text."},
        {"/api/mcps/{id}/history", "mcps.history", "mcp_id", "Status changes of one MCP server, newest first."},
        {"/api/graph", "graph", "",
         "The execution graph of a time range or one thread tree: thread, MCP and tool nodes; parent-of, ran-on, "
         "called edges."},
        {"/api/permissions", "permissions.list", "",
         "Permission requests and decisions: filter by user, resource, action, granted, thread, MCP server, time."},
        {"/api/traces/{id}", "traces.get", "trace_id",
         "One trace's spans as received over OTLP, oldest first (with parent_span_id: the tree of a waterfall)."},
        {"/api/spans", "spans.list", "",
         "OpenTelemetry spans, newest first: filter by thread, service, MCP server, name, status, start time."},
        {"/api/metrics", "metrics.list", "",
         "OpenTelemetry metric points as received, newest first: filter by metric name, thread, agent (service), MCP server, "
         "usage, time."},
        {"/api/protocol-messages", "protocol.list", "",
         "The protocol inspector's captures (gateway.capture), newest first: filter by MCP server, method, direction, kind, "
         "time. Operators and admins.",
         Role::Operator},
        {"/api/usage", "usage", "",
         "Tokens (input, output, cache read, cache creation) and cost in USD added up per thread or per agent from the "
         "agents' OTLP metrics, the costliest first."},
        {"/api/steps", "steps.list", "",
         "Execution steps of every thread, newest first: filter by type, MCP server, tool, status, thread, time (a tool's calls)."},
        {"/api/tools", "tools", "",
         "Per MCP server and tool (and calling agent with by=agent): calls, errors, denials, p50/p95/p99 latency over a "
         "time range, the busiest first; with buckets, a series over time for a chart."},
        {"/api/audit", "audit.list", "",
         "Administrative actions (MCP registered/removed, plugin refused, configuration reloaded) and who did them."},
        {"/api/search", "search", "",
         "Full-text search over log messages, transcripts and thread inputs: ranked, the match highlighted with <mark>."},
    };
    for (const auto& r : routes) {
        router.add(Route{"GET", r.pattern, r.role,
                         [store, r](RequestContext& ctx) {
                             checkProcessable(ctx, r.queryName == "graph");
                             std::string body, error;
                             const mc_status status =
                                 requireStore(store).query(r.queryName, paramsJson(r.queryName, ctx, r.pathParam), body, error);
                             if (status != MC_OK) storeFailed(r.queryName, status, error);
                             http::sendJson(ctx.response, Status::HTTP_OK, body);
                         },
                         r.summary, routeParams(r.queryName, r.pathParam)});
    }
    auto exportParams = routeParams("logs.export", "");
    exportParams.push_back(QueryParam{"format", ParamType::Enum, "the body's format: one JSON object per line, CSV "
                                                                 "with a header row, or one JSON array",
                                      {"ndjson", "csv", "json"}, 0, 0, false, "ndjson"});
    router.add(Route{"GET", "/api/logs/export", Role::Viewer,
                     [store](RequestContext& ctx) { streamExport(ctx, requireStore(store)); },
                     "Every log matching the /api/logs filters, streamed (chunked) as NDJSON, CSV or a JSON array.",
                     exportParams, "application/x-ndjson"});
}

} // namespace mc::host
