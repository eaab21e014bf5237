#include "mcpserver/McpServerFace.h"

#include "log/Logging.h"
#include "util/Clock.h"
#include "util/Json.h"
#include "util/JsonObject.h"

#include <Poco/JSON/Parser.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>

namespace mc::host {
namespace {

// JSON-RPC 2.0 error codes the face answers with.
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;

std::string result(const std::string& id, const std::string& resultJson) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + resultJson + "}";
}

std::string error(const std::string& id, int code, const std::string& message) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"error\":{\"code\":" + std::to_string(code) + ",\"message\":" + json::quote(message) +
           "}}";
}

// A tool result that tells the agent what went wrong (the call itself was understood).
std::string toolError(const std::string& message) {
    return "{\"content\":[{\"type\":\"text\",\"text\":" + json::quote(message) + "}],\"isError\":true}";
}

// clientInfo.name as a thread's mcp_id: what the record model accepts (lower-case letters, digits,
// '-', '_'), "mcp-client" when nothing is left.
std::string agentName(std::string name) {
    std::string out;
    for (char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u)) out += static_cast<char>(std::tolower(u));
        else if (c == '-' || c == '_' || c == ' ' || c == '.') out += '-';
        if (out.size() == 64) break;
    }
    return out.empty() ? std::string("mcp-client") : out;
}

} // namespace

McpServerFace::McpServerFace(McpGateway& gateway, IngestService& ingest, std::size_t maxSessions, std::string version)
    : gateway_(gateway), ingest_(ingest), maxSessions_(maxSessions), version_(std::move(version)) {}

const std::vector<std::string>& McpServerFace::versions() {
    static const std::vector<std::string> all = {"2025-11-25", "2025-06-18", "2025-03-26"};
    return all;
}

std::size_t McpServerFace::sessionCount() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

bool McpServerFace::endSession(const std::string& sessionId) {
    std::lock_guard lock(mutex_);
    return sessions_.erase(sessionId) > 0;
}

void McpServerFace::handle(const std::string& body, const McpRequestContext& context, std::function<void(McpFaceReply)> done) {
    const std::string& sessionId = context.sessionId;
    const std::string& protocolVersion = context.protocolVersion;
    McpFaceReply reply;
    Poco::Dynamic::Var parsed;
    try {
        parsed = Poco::JSON::Parser().parse(body);
    } catch (const Poco::Exception& e) {
        reply.outcome = McpFaceReply::Outcome::Malformed;
        reply.json = error("null", kParseError, "the body is not JSON: " + e.displayText());
        return done(std::move(reply));
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
        reply.outcome = McpFaceReply::Outcome::Malformed;
        reply.json = error("null", kInvalidRequest,
                           parsed.type() == typeid(Poco::JSON::Array::Ptr) ? "JSON-RPC batches are not supported: send one message per request"
                                                                           : "a JSON-RPC message is an object");
        return done(std::move(reply));
    }
    const auto message = parsed.extract<Poco::JSON::Object::Ptr>();
    const std::string method = json::stringMember(message, "method");
    const bool hasId = message->has("id") && !message->get("id").isEmpty();
    if (method.empty() || !hasId) { // a notification, or the client's answer to a request of ours
        if (!method.empty() || message->has("result") || message->has("error")) {
            reply.outcome = McpFaceReply::Outcome::Accepted;
        } else {
            reply.outcome = McpFaceReply::Outcome::Malformed;
            reply.json = error("null", kInvalidRequest, "a JSON-RPC message needs a \"method\" (or a \"result\" or \"error\")");
        }
        return done(std::move(reply));
    }
    const auto idVar = message->get("id");
    if (!idVar.isString() && !(idVar.isInteger() && !idVar.isBoolean())) {
        reply.outcome = McpFaceReply::Outcome::Malformed;
        reply.json = error("null", kInvalidRequest, "\"id\" must be a string or an integer");
        return done(std::move(reply));
    }
    const std::string id = idVar.isString() ? json::quote(idVar.extract<std::string>()) : std::to_string(idVar.convert<long long>());
    const auto paramsVar = message->has("params") ? message->get("params") : Poco::Dynamic::Var();
    const Poco::JSON::Object::Ptr params =
        paramsVar.type() == typeid(Poco::JSON::Object::Ptr) ? paramsVar.extract<Poco::JSON::Object::Ptr>() : new Poco::JSON::Object;

    if (method == "initialize") {
        reply.json = initialize(*params, id, reply);
        return done(std::move(reply));
    }
    // A client of both eras probes the 2026-07-28 one first; JSON-RPC's "method not found" is the answer
    // every such client reads as "an older server: initialize" (some read nothing else that way).
    if (method == "server/discover") {
        reply.json = error(id, kMethodNotFound,
                           "server/discover is of the 2026-07-28 revision; this server speaks 2025-11-25, 2025-06-18 and "
                           "2025-03-26: initialize");
        return done(std::move(reply));
    }
    if (!protocolVersion.empty() && std::find(versions().begin(), versions().end(), protocolVersion) == versions().end()) {
        reply.outcome = McpFaceReply::Outcome::BadVersion;
        reply.message = "MCP-Protocol-Version '" + protocolVersion + "' is not one this server speaks (2025-11-25, 2025-06-18, 2025-03-26)";
        return done(std::move(reply));
    }
    if (sessionId.empty()) {
        reply.outcome = McpFaceReply::Outcome::MissingSession;
        reply.message = "send the Mcp-Session-Id header this server gave at initialize";
        return done(std::move(reply));
    }
    Session session;
    {
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(sessionId);
        if (it == sessions_.end()) {
            reply.outcome = McpFaceReply::Outcome::UnknownSession;
            reply.message = "session '" + sessionId + "' is not known here (ended or expired): initialize again";
            return done(std::move(reply));
        }
        it->second.lastUsedUs = nowUnixUs();
        session = it->second;
    }
    if (method == "ping") {
        reply.json = result(id, "{}");
    } else if (method == "tools/list") {
        reply.json = toolsList(id);
    } else if (method == "tools/call") {
        return toolsCall(params, id, session, context, std::move(done));
    } else {
        reply.json = error(id, kMethodNotFound, "method '" + method + "' is not offered by this server (it offers tools)");
    }
    done(std::move(reply));
}

std::string McpServerFace::initialize(const Poco::JSON::Object& params, const std::string& id, McpFaceReply& reply) {
    const std::string asked = params.has("protocolVersion") && params.get("protocolVersion").isString()
                                  ? params.getValue<std::string>("protocolVersion")
                                  : std::string();
    // The client's version when this server speaks it, else the newest it does (the client decides then).
    const std::string version =
        std::find(versions().begin(), versions().end(), asked) != versions().end() ? asked : versions().front();
    const auto clientInfo = params.getObject("clientInfo");
    Session session;
    session.protocolVersion = version;
    session.client = agentName(json::stringMember(clientInfo, "name"));
    session.lastUsedUs = nowUnixUs();
    const std::string sessionId = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    session.threadId = kThreadPrefix + sessionId;
    {
        std::lock_guard lock(mutex_);
        if (sessions_.size() >= maxSessions_) { // the least recently used one goes
            auto oldest = std::min_element(sessions_.begin(), sessions_.end(),
                                           [](const auto& a, const auto& b) { return a.second.lastUsedUs < b.second.lastUsedUs; });
            sessions_.erase(oldest);
        }
        sessions_[sessionId] = session;
    }
    // The session is a thread of the agent, its tool calls its steps; the thread is written with the
    // first step that lands in it (a call joined to the agent's own thread does not).
    logging::get("mcp")->info("MCP client '{}' {} initialized session {} ({})", session.client, json::stringMember(clientInfo, "version"),
                              sessionId, version);
    reply.sessionId = sessionId;
    return result(id, "{\"protocolVersion\":" + json::quote(version) +
                          ",\"capabilities\":{\"tools\":{\"listChanged\":false}},\"serverInfo\":{\"name\":\"mission-control\",\"version\":" +
                          json::quote(version_) + "},\"instructions\":" +
                          json::quote("The tools of the MCP servers Mission Control is connected to, named <server>__<tool>; "
                                      "every call is checked by its permission policy and recorded.") +
                          "}");
}

std::string McpServerFace::toolsList(const std::string& id) const {
    std::string tools;
    for (const auto& connection : gateway_.connections()) {
        if (connection->status() != McpStatus::Connected) continue;
        for (const auto& [name, definition] : connection->toolDefinitions()) {
            Poco::JSON::Object::Ptr tool;
            try {
                tool = Poco::JSON::Parser().parse(definition).extract<Poco::JSON::Object::Ptr>();
            } catch (const std::exception&) {
                continue; // the gateway keeps only objects; nothing to offer otherwise
            }
            tool->set("name", connection->id() + kSeparator + name);
            tools += (tools.empty() ? "" : ",") + json::stringify(tool);
        }
    }
    return result(id, "{\"tools\":[" + tools + "]}");
}

std::optional<std::pair<std::string, std::string>> McpServerFace::resolve(const std::string& qualified) const {
    for (const auto& connection : gateway_.connections()) {
        const std::string prefix = connection->id() + kSeparator;
        if (qualified.size() <= prefix.size() || qualified.compare(0, prefix.size(), prefix) != 0) continue;
        const std::string tool = qualified.substr(prefix.size());
        const auto names = connection->toolNames();
        if (std::find(names.begin(), names.end(), tool) != names.end()) return std::make_pair(connection->id(), tool);
    }
    return std::nullopt;
}

void McpServerFace::toolsCall(const Poco::JSON::Object::Ptr& params, const std::string& id, const Session& session,
                              const McpRequestContext& context, std::function<void(McpFaceReply)> done) {
    const McpCaller& caller = context.caller;
    McpFaceReply reply;
    const std::string name = json::stringMember(params, "name");
    const auto target = name.empty() ? std::nullopt : resolve(name);
    if (!target) {
        reply.json = error(id, kInvalidParams, name.empty() ? "tools/call needs params.name" : "unknown tool '" + name + "'");
        return done(std::move(reply));
    }
    ToolCallRequest request;
    request.tool = target->second;
    if (params->has("arguments") && !params->get("arguments").isEmpty()) {
        const auto arguments = params->get("arguments");
        if (arguments.type() != typeid(Poco::JSON::Object::Ptr)) {
            reply.json = error(id, kInvalidParams, "params.arguments must be an object");
            return done(std::move(reply));
        }
        request.argumentsJson = json::stringify(arguments);
    }
    // The agent's own id of the call, where it says it (Claude Code: _meta "claudecode/toolUseId"; the
    // GenAI conventions' gen_ai.tool.call.id): the recorded step carries it, so the call joins the
    // agent's telemetry of the same call (its tool_result event's tool_use_id).
    if (const auto meta = params->getObject("_meta")) {
        for (const char* key : {"claudecode/toolUseId", "gen_ai.tool.call.id"})
            if (meta->has(key) && meta->get(key).isString()) {
                request.callId = meta->getValue<std::string>(key);
                break;
            }
        // Its W3C trace context (MCP's conventions put it in _meta): the gateway's call is a span of that trace.
        request.traceparent = json::stringMember(meta, "traceparent");
    }
    if (request.traceparent.empty()) request.traceparent = context.traceparent; // Claude Code: the HTTP header
    request.user = caller.user;
    request.role = caller.role;
    request.timeout = gateway_.settings().toolTimeout;
    // A call that may join the agent's telemetry names no thread to the gateway (which would write its
    // step and the policy's verdict there): its step goes to the joiner, built here.
    std::optional<ToolCallRecord> joinable;
    if (joiner_ && session.joins && !request.callId.empty()) {
        joinable.emplace();
        joinable->threadId = session.threadId;
        joinable->mcpId = target->first;
        joinable->tool = request.tool;
        joinable->startedAt = json::isoTimestamp(nowUnixUs());
        joinable->argumentsBytes = request.argumentsJson.size();
        joinable->callId = request.callId;
        joinable->agent = session.client;
    } else {
        // The session's thread is the agent's (the gateway would open it on the upstream server's name).
        ingest_.openThread(session.threadId, session.client, json::isoTimestamp(nowUnixUs()));
        request.threadId = session.threadId;
    }
    gateway_.callTool(target->first, std::move(request), [this, id, joinable, done = std::move(done)](ToolCallOutcome o) mutable {
        if (joinable) { // before the reply: the agent reports the call only once it has the result
            joinable->outcome = o.outcome;
            joinable->status = ToolCallRecord::statusOf(o.outcome);
            joinable->errorCode = o.errorCode;
            joinable->durationMs = o.durationMs;
            joiner_->offer(std::move(*joinable));
        }
        McpFaceReply r;
        if (!o.refusal) {
            r.json = result(id, o.resultJson);
        } else if (o.errorCode == "invalid_arguments" || o.errorCode == "bad_request" || o.errorCode == "unknown_tool" ||
                   o.errorCode == "unknown_mcp") {
            r.json = error(id, kInvalidParams, o.message);
        } else { // understood but not done: denied, timed out, the server gone or failing; the agent reads why
            r.json = result(id, toolError(o.message));
        }
        done(std::move(r));
    });
}

} // namespace mc::host

namespace mc::host {

void McpServerFace::stopJoining(const std::string& threadId) {
    if (threadId.rfind(kThreadPrefix, 0) != 0) return;
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(threadId.substr(std::char_traits<char>::length(kThreadPrefix)));
    if (it == sessions_.end() || !it->second.joins) return;
    it->second.joins = false;
    logging::get("mcp")->info("MCP client '{}': its telemetry did not report a call within {} ms; its calls are recorded in {}",
                              it->second.client, joiner_ ? joiner_->wait().count() : 0, threadId);
}

} // namespace mc::host
