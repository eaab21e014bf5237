#include "api/GatewayApi.h"

#include "core/Audit.h"
#include "gateway/McpGateway.h"
#include "util/Json.h"
#include "util/JsonObject.h"
#include "web/HttpUtil.h"
#include "web/Router.h"
#include "web/WebSocketHub.h"

#include <Poco/JSON/Stringifier.h>

#include <set>
#include <sstream>

namespace mc::host {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

using json::stringify;

Poco::JSON::Object::Ptr parseBodyObject(const std::string& body, bool emptyIsObject) {
    if (body.empty() && emptyIsObject) return new Poco::JSON::Object;
    Poco::Dynamic::Var parsed;
    try {
        parsed = json::parse(body);
    } catch (const Poco::Exception& e) {
        throw HttpError(400, "invalid_json", "the request body is not valid JSON: " + e.displayText());
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
        throw HttpError(400, "bad_request", "the request body must be a JSON object");
    return parsed.extract<Poco::JSON::Object::Ptr>();
}

// The parts of a tool call both surfaces accept: arguments, thread_id, timeout_ms.
// Throws HttpError 400 naming the field.
ToolCallRequest readToolCallFields(const Poco::JSON::Object& body, const GatewaySettings& settings,
                                   const std::set<std::string>& allowed) {
    for (const auto& [key, value] : body)
        if (!allowed.count(key)) throw HttpError(400, "bad_request", "unknown field \"" + key + "\"", "{\"field\":" + json::quote(key) + "}");
    ToolCallRequest request;
    request.timeout = settings.toolTimeout;
    if (body.has("arguments") && !body.get("arguments").isEmpty()) {
        const auto a = body.get("arguments");
        if (a.type() != typeid(Poco::JSON::Object::Ptr))
            throw HttpError(400, "bad_request", "\"arguments\" must be a JSON object", "{\"field\":\"arguments\"}");
        request.argumentsJson = stringify(a);
        request.arguments = a.extract<Poco::JSON::Object::Ptr>();
    }
    if (body.has("thread_id") && !body.get("thread_id").isEmpty()) {
        const auto t = body.get("thread_id");
        if (!t.isString()) throw HttpError(400, "bad_request", "\"thread_id\" must be a string", "{\"field\":\"thread_id\"}");
        request.threadId = t.extract<std::string>();
    }
    if (body.has("timeout_ms") && !body.get("timeout_ms").isEmpty()) {
        const auto t = body.get("timeout_ms");
        const long long max = settings.maxToolTimeout.count();
        const auto ms = json::integerValue(t);
        if (!ms || *ms < 1 || *ms > max)
            throw HttpError(400, "bad_request", "\"timeout_ms\" must be an integer in 1.." + std::to_string(max),
                               "{\"field\":\"timeout_ms\"}");
        request.timeout = std::chrono::milliseconds(*ms);
    }
    return request;
}

std::string successBody(const std::string& mcpId, const std::string& tool, const ToolCallOutcome& o) {
    std::string out = "{\"mcp_id\":" + json::quote(mcpId) + ",\"tool\":" + json::quote(tool) +
                      ",\"duration_ms\":" + std::to_string(o.durationMs) + ",";
    out.append(o.resultJson, 1, std::string::npos); // the result object's members
    return out;
}

} // namespace

void registerGatewayRoutes(Router& router, McpGateway& gateway) {
    McpGateway* gw = &gateway;
    router.add(Route{"GET", "/api/mcps", Role::Viewer,
                     [gw](RequestContext& ctx) { http::sendJson(ctx.response, Status::HTTP_OK, gw->listJson()); },
                     "MCP servers: status, last_seen, tool names, server version."});
    router.add(Route{"GET", "/api/mcps/{id}", Role::Viewer,
                     [gw](RequestContext& ctx) {
                         const std::string& id = ctx.pathParams.at("id");
                         auto c = gw->find(id);
                         if (!c) throw HttpError(404, "unknown_mcp", "no MCP server with id '" + id + "'");
                         http::sendJson(ctx.response, Status::HTTP_OK, c->detailJson());
                     },
                     "One MCP server: status, tools with input schemas, serverInfo, capabilities, protocol version."});
    // The protocol inspector: payloads hold tool arguments and results, so operators (who may call tools) read it.
    router.add(Route{"GET", "/api/mcps/{id}/messages", Role::Operator,
                     [gw](RequestContext& ctx) {
                         const std::string& id = ctx.pathParams.at("id");
                         auto c = gw->find(id);
                         if (!c) throw HttpError(404, "unknown_mcp", "no MCP server with id '" + id + "'");
                         WireLog::Query query;
                         if (auto it = ctx.query.find("direction"); it != ctx.query.end()) query.direction = WireLog::parseDirection(it->second);
                         if (auto it = ctx.query.find("method"); it != ctx.query.end()) query.method = it->second;
                         if (auto it = ctx.query.find("limit"); it != ctx.query.end()) query.limit = std::stoul(it->second);
                         if (auto it = ctx.query.find("cursor"); it != ctx.query.end()) query.before = std::stoull(it->second);
                         const auto entries = c->messages(query);
                         std::string body = "{\"items\":[";
                         for (std::size_t i = 0; i < entries.size(); ++i) body += (i ? "," : "") + WireLog::toJson(entries[i], id);
                         // More may be older than the last one given: its seq is where the next page starts.
                         const bool more = entries.size() == query.limit && entries.back().seq > 1;
                         body += "],\"next_cursor\":" + (more ? json::quote(std::to_string(entries.back().seq)) : std::string("null")) + "}";
                         http::sendJson(ctx.response, Status::HTTP_OK, body);
                     },
                     "The protocol inspector: the JSON-RPC messages to and from one MCP server still in its ring "
                     "(gateway.inspector.messages), newest first, each response paired with its request.",
                     {QueryParam{"direction", ParamType::Enum, "out (to the server) or in (from it)", {"out", "in"}},
                      QueryParam{"method", ParamType::String, "only messages of this method (a response: of its request)"},
                      QueryParam{"limit", ParamType::Integer, "messages per page", {}, 1, 1000, false, "100"},
                      QueryParam{"cursor", ParamType::Integer, "the next_cursor of the previous page", {}, 1, 9007199254740991LL}}});
    router.add(Route{"POST", "/api/mcps", Role::Admin,
                     [gw](RequestContext& ctx) {
                         auto body = parseBodyObject(ctx.readBody(), false);
                         McpServerConfig config;
                         try {
                             config = parseMcpServerConfig(*body);
                         } catch (const McpConfigError& e) {
                             throw HttpError(400, "invalid_config", e.what(), "{\"field\":" + json::quote(e.field) + "}");
                         }
                         if (config.startsProcess() && !gw->settings().allowApiStdio)
                             throw HttpError(403, "stdio_not_allowed",
                                             "registering stdio MCP servers over the API is disabled: a stdio server runs a "
                                             "command on the host; set gateway.allow_api_stdio = true to allow it for admins");
                         try {
                             auto c = gw->add(std::move(config), "api");
                             recordAudit(gw->events(), ctx.principal.subject, "mcp.register", c->id(), "ok",
                                         "{\"transport\":" + json::quote(c->config().transport) +
                                             ",\"endpoint\":" + json::quote(c->config().endpoint()) + "}");
                             ctx.response.set("Location", "/api/mcps/" + c->id());
                             http::sendJson(ctx.response, Status::HTTP_CREATED, c->detailJson());
                         } catch (const GatewayError& e) {
                             throw HttpError(e.refusal, e.code, e.what(), e.detailsJson);
                         }
                     },
                     "Register an MCP server at run time (admin); stdio only when gateway.allow_api_stdio = true."});
    router.add(Route{"DELETE", "/api/mcps/{id}", Role::Admin,
                     [gw](RequestContext& ctx) {
                         const std::string& id = ctx.pathParams.at("id");
                         if (!gw->remove(id)) throw HttpError(404, "unknown_mcp", "no MCP server with id '" + id + "'");
                         recordAudit(gw->events(), ctx.principal.subject, "mcp.remove", id, "ok");
                         ctx.response.setStatus(Status::HTTP_NO_CONTENT);
                         ctx.response.setContentLength(0);
                         ctx.response.send();
                     },
                     "Close an MCP server's transport and forget it (admin)."});
    router.add(Route{"POST", "/api/mcps/{id}/tools/{tool}/call", Role::Operator,
                     [gw](RequestContext& ctx) {
                         const std::string id = ctx.pathParams.at("id");
                         const std::string tool = ctx.pathParams.at("tool");
                         auto body = parseBodyObject(ctx.readBody(), true);
                         ToolCallRequest request = readToolCallFields(*body, gw->settings(), {"arguments", "thread_id", "timeout_ms"});
                         request.tool = tool;
                         request.user = ctx.principal.subject;
                         request.role = roleName(ctx.principal.role);
                         // The call's own deadline answers first; this bound only guards against a lost completion.
                         const auto guard = request.timeout + std::chrono::seconds(10);
                         auto reply = ctx.defer(guard, [](Poco::Net::HTTPServerResponse&) {
                             throw HttpError(504, "timeout", "the tool call did not complete");
                         });
                         // No worker waits for the server: the reply is written when the call completes.
                         gw->callTool(id, std::move(request), [reply, id, tool](ToolCallOutcome o) {
                             reply->complete([&](Poco::Net::HTTPServerResponse& response) {
                                 if (o.refusal) throw HttpError(*o.refusal, o.errorCode, o.message, o.detailsJson);
                                 http::sendJson(response, Status::HTTP_OK, successBody(id, tool, o));
                             });
                         });
                     },
                     "Call a tool on an MCP server (operator): {arguments, thread_id, timeout_ms} -> {content, isError, structuredContent}."});
}

void registerGatewayMessages(WebSocketHub& hub, McpGateway& gateway) {
    McpGateway* gw = &gateway;
    hub.registerHandler("call_tool", Role::Operator, [gw](const std::shared_ptr<ClientSession>& session, const ClientMessage& message) {
        const std::string requestId = message.requestIdJson.empty() ? "null" : message.requestIdJson;
        auto reply = [session, requestId](const std::string& mcpId, const std::string& tool, const ToolCallOutcome& o) {
            std::string out = "{\"type\":\"tool_result\",\"request_id\":" + requestId + ",\"mcp_id\":" + json::quote(mcpId) +
                              ",\"tool\":" + json::quote(tool) + ",\"ok\":" + (o.refusal ? "false" : "true") +
                              ",\"status\":" + std::to_string(o.refusal ? httpStatusOf(*o.refusal) : 200) +
                              ",\"duration_ms\":" + std::to_string(o.durationMs);
            if (!o.refusal)
                out += ",\"result\":" + o.resultJson;
            else
                out += ",\"error\":{\"code\":" + json::quote(o.errorCode) + ",\"message\":" + json::quote(o.message) +
                       ",\"details\":" + o.detailsJson + "}";
            out += '}';
            session->send(out);
        };
        const auto& body = *message.body;
        auto stringField = [&body](const char* name) {
            return body.has(name) && body.get(name).isString() ? body.get(name).extract<std::string>() : std::string();
        };
        const std::string mcpId = stringField("mcp_id");
        const std::string tool = stringField("tool");
        ToolCallOutcome refused;
        refused.refusal = Refusal::InvalidInput;
        refused.errorCode = "bad_request";
        if (mcpId.empty() || tool.empty()) {
            refused.message = "call_tool needs non-empty string fields \"mcp_id\" and \"tool\"";
            refused.detailsJson = std::string("{\"field\":\"") + (mcpId.empty() ? "mcp_id" : "tool") + "\"}";
            reply(mcpId, tool, refused);
            return;
        }
        ToolCallRequest request;
        try {
            request = readToolCallFields(body, gw->settings(),
                                         {"type", "request_id", "mcp_id", "tool", "arguments", "thread_id", "timeout_ms"});
        } catch (const HttpError& e) {
            refused.message = e.what();
            refused.detailsJson = e.detailsJson;
            reply(mcpId, tool, refused);
            return;
        }
        request.tool = tool;
        request.user = session->principal().subject;
        request.role = roleName(session->principal().role);
        // Never blocks the I/O thread: the reply is sent from whichever thread completes the call.
        gw->callTool(mcpId, std::move(request), [reply, mcpId, tool](ToolCallOutcome o) { reply(mcpId, tool, o); });
    });
}

} // namespace mc::host
