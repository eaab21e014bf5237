#include "api/McpEndpointApi.h"

#include "mcpserver/McpServerFace.h"
#include "util/CancelSignal.h"
#include "util/Json.h"
#include "web/HttpUtil.h"
#include "web/Router.h"

#include <memory>
#include <mutex>
#include <optional>

namespace mc::host {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

// A JSON-RPC error in the body of an HTTP refusal, so a client reads the reason either way.
std::string rpcError(int code, const std::string& message) {
    return "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":" + std::to_string(code) + ",\"message\":" + json::quote(message) + "}}";
}

void send(Poco::Net::HTTPServerResponse& response, const McpFaceReply& reply) {
    switch (reply.outcome) {
    case McpFaceReply::Outcome::Answer:
        if (!reply.sessionId.empty()) response.set("Mcp-Session-Id", reply.sessionId);
        http::sendJson(response, Status::HTTP_OK, reply.json);
        return;
    case McpFaceReply::Outcome::Accepted:
        response.setStatusAndReason(Status::HTTP_ACCEPTED);
        response.setContentLength(0);
        response.send();
        return;
    case McpFaceReply::Outcome::Malformed: http::sendJson(response, Status::HTTP_BAD_REQUEST, reply.json); return;
    case McpFaceReply::Outcome::MissingSession:
    case McpFaceReply::Outcome::BadVersion: http::sendJson(response, Status::HTTP_BAD_REQUEST, rpcError(-32600, reply.message)); return;
    case McpFaceReply::Outcome::Rejected: http::sendJson(response, Status::HTTP_BAD_REQUEST, reply.json); return;
    case McpFaceReply::Outcome::NoSuchMethod: http::sendJson(response, Status::HTTP_NOT_FOUND, reply.json); return;
    case McpFaceReply::Outcome::UnknownSession:
    case McpFaceReply::Outcome::UnknownProfile: http::sendJson(response, Status::HTTP_NOT_FOUND, rpcError(-32600, reply.message)); return;
    }
}

void eventStreamHead(Poco::Net::HTTPServerResponse& response) {
    response.setContentType("text/event-stream");
    response.set("Cache-Control", "no-cache");
    response.set("X-Accel-Buffering", "no"); // a proxy in between passes events on as they come
}

std::optional<std::string> header(const Poco::Net::HTTPServerRequest& request, const std::string& name) {
    if (!request.has(name)) return std::nullopt;
    return request.get(name);
}

// A POST's answer once it became an event stream (a message about the request came before it).
struct RequestStream {
    std::mutex mutex;
    bool opened = false;
    bool answered = false; // nothing is sent after the response
};

// A POST hands its message to the face, which answers at once or later through the deferred reply:
// it runs on the event loop (one thread hand-off less per call).
Route neverWaiting(Route route) {
    route.neverWaits = true;
    return route;
}

} // namespace

void registerMcpEndpointRoutes(Router& router, McpServerFace& face) {
    McpServerFace* f = &face;
    // /mcp, and /mcp/{profile} for each profile (McpProfiles.h): the same endpoint over a subset.
    for (const bool profiled : {false, true}) {
        const std::string path = profiled ? "/mcp/{profile}" : "/mcp";
        auto profileOf = [profiled, f](RequestContext& ctx) {
            std::string profile = profiled ? ctx.pathParams["profile"] : std::string();
            if (profiled && !f->hasProfile(profile))
                throw HttpError(404, "not_found", "no MCP profile '" + profile + "' here (mcp.profiles.<name>.* in host.properties)");
            return profile;
        };
        router.add(neverWaiting(Route{"POST", path, Role::Operator,
                         [f, profileOf](RequestContext& ctx) {
                             McpRequestContext request;
                             request.profile = profileOf(ctx);
                             const std::string body = ctx.readBody();
                             request.sessionId = ctx.request.get("Mcp-Session-Id", "");
                             request.protocolVersion = ctx.request.get("MCP-Protocol-Version", "");
                             request.traceparent = ctx.request.get("traceparent", "");
                             request.modern = ModernHeaders{header(ctx.request, "MCP-Protocol-Version"), header(ctx.request, "Mcp-Method"),
                                                            header(ctx.request, "Mcp-Name")};
                             request.caller = McpCaller{ctx.principal.subject, roleName(ctx.principal.role)};
                             // A call waits for its server without holding a worker; its own deadline answers first.
                             auto reply = ctx.defer(f->replyDeadline(), [](Poco::Net::HTTPServerResponse& response) {
                                 http::sendJson(response, Status::HTTP_GATEWAY_TIMEOUT, rpcError(-32603, "the request did not complete"));
                             });
                             // A client that goes away before its answer: its call is cancelled upstream.
                             request.cancel = std::make_shared<CancelSignal>();
                             reply->onAbandoned([cancel = request.cancel] { cancel->cancel(); });
                             // A client that takes events gets messages about its request (progress) first: the
                             // answer becomes an event stream that ends with the response.
                             auto stream = std::make_shared<RequestStream>();
                             if (ctx.request.get("Accept", "").find("text/event-stream") != std::string::npos) {
                                 auto write = [reply, stream](const std::string& event) {
                                     std::lock_guard lock(stream->mutex);
                                     if (stream->answered) return;
                                     if (!stream->opened && !(stream->opened = reply->openStream(eventStreamHead))) return;
                                     reply->send(event);
                                 };
                                 request.notify = [write](const std::string& message) { write("data: " + message + "\n\n"); };
                                 request.keepAlive = [write] { write(": keep-alive\n\n"); };
                             }
                             f->handle(body, std::move(request), [reply, stream](McpFaceReply r) {
                                 std::unique_lock lock(stream->mutex);
                                 stream->answered = true;
                                 if (stream->opened) {
                                     reply->send("data: " + r.json + "\n\n");
                                     return reply->end();
                                 }
                                 lock.unlock();
                                 reply->complete([r = std::move(r)](Poco::Net::HTTPServerResponse& response) { send(response, r); });
                             });
                         },
                         profiled ? "MCP (operator) at a profile: the servers and tools mcp.profiles.<profile>.* chooses (docs/mcp-server.md#profiles)."
                                  : "MCP (operator): one JSON-RPC message of either era (2025 sessions; 2026-07-28 without one); the tools, resources, resource templates and prompts "
                                    "of every connected server, named as mcp.endpoint.prefix says (docs/mcp-server.md)."}));
        router.add(Route{"DELETE", path, Role::Operator,
                         [f, profileOf](RequestContext& ctx) {
                             const std::string profile = profileOf(ctx);
                             const std::string session = ctx.request.get("Mcp-Session-Id", "");
                             if (session.empty()) throw HttpError(400, "bad_request", "send the Mcp-Session-Id header of the session to end");
                             if (!f->endSession(session, profile)) throw HttpError(404, "not_found", "session '" + session + "' is not known here");
                             ctx.response.setStatusAndReason(Status::HTTP_NO_CONTENT);
                             ctx.response.setContentLength(0);
                             ctx.response.send();
                         },
                         "End an MCP session (operator): the Mcp-Session-Id header."});
        router.add(Route{"GET", path, Role::Operator,
                         [f, profileOf](RequestContext& ctx) {
                             McpRequestContext request;
                             request.profile = profileOf(ctx);
                             request.sessionId = ctx.request.get("Mcp-Session-Id", "");
                             request.protocolVersion = ctx.request.get("MCP-Protocol-Version", "");
                             if (ctx.request.get("Accept", "").find("text/event-stream") == std::string::npos)
                                 throw HttpError(406, "not_acceptable",
                                                 "the MCP session's stream is server-sent events: send Accept: text/event-stream");
                             if (auto refusal = f->streamRefusal(request)) return send(ctx.response, *refusal);
                             // Held open without a worker; messages are written as they come, never waiting.
                             auto reply = ctx.defer(std::chrono::seconds(10), [](Poco::Net::HTTPServerResponse& response) {
                                 http::sendJson(response, Status::HTTP_GATEWAY_TIMEOUT, rpcError(-32603, "the stream did not open"));
                             });
                             if (!reply->openStream(eventStreamHead)) return;
                             const std::string session = request.sessionId;
                             const auto token =
                                 f->attachStream(session,
                                                 SessionStreams::Stream{[reply](const std::string& event) { return reply->send(event); },
                                                                        [reply] { reply->end(); }},
                                                 ctx.request.get("Last-Event-ID", ""));
                             if (token == 0) return reply->end();
                             reply->onAbandoned([f, session, token] { f->detachStream(session, token); });
                         },
                         "MCP session's stream (operator): server-sent events of list_changed and the servers' log messages "
                         "(logging/setLevel); Last-Event-ID resumes (docs/mcp-server.md#the-sessions-stream)."});
    }
}

} // namespace mc::host
