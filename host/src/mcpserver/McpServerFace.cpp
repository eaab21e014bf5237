#include "mcpserver/McpServerFace.h"

#include "mcpserver/RpcText.h"

#include "log/Logging.h"
#include "mc/records/RandomId.h"
#include "util/Clock.h"
#include "util/Json.h"
#include "util/JsonObject.h"
#include "util/TraceIds.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace mc::host {
namespace {

using namespace rpc;

// A tool result that tells the agent what went wrong (the call itself was understood).
std::string toolError(const std::string& message) {
    return "{\"content\":[{\"type\":\"text\",\"text\":" + json::quote(message) + "}],\"isError\":true}";
}

} // namespace

McpServerFace::McpServerFace(McpGateway& gateway, IngestService& ingest, std::size_t maxSessions, std::string version)
    : gateway_(gateway), ingest_(ingest), maxSessions_(maxSessions), version_(std::move(version)),
      serverInfoJson_("{\"name\":\"mission-control\",\"version\":" + json::quote(version_) + "}") {}

// clientInfo.name as a thread's mcp_id: what the record model accepts (lower-case letters, digits,
// '-', '_'), "mcp-client" when nothing is left.
std::string McpServerFace::agentName(std::string name) {
    std::string out;
    for (char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u)) out += static_cast<char>(std::tolower(u));
        else if (c == '-' || c == '_' || c == ' ' || c == '.') out += '-';
        if (out.size() == 64) break;
    }
    return out.empty() ? std::string("mcp-client") : out;
}

const std::vector<std::string>& McpServerFace::versions() {
    static const std::vector<std::string> all = {"2025-11-25", "2025-06-18", "2025-03-26"};
    return all;
}

std::size_t McpServerFace::sessionCount() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

bool McpServerFace::endSession(const std::string& sessionId, const std::string& profile) {
    std::vector<Ask> unanswered;
    {
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(sessionId);
        if (it == sessions_.end() || it->second.profile != profile || it->second.modern) return false;
        sessions_.erase(it);
        for (auto ask = asks_.begin(); ask != asks_.end();) {
            if (ask->second.sessionId != sessionId) {
                ++ask;
                continue;
            }
            unanswered.push_back(std::move(ask->second));
            ask = asks_.erase(ask);
        }
    }
    for (auto& ask : unanswered) // the server is not left waiting for an agent that left
        ask.answer("\"error\":{\"code\":" + std::to_string(kInternalError) + ",\"message\":\"the agent's session ended before it answered\"}");
    streams_.forget(sessionId);
    dropSubscriptions(sessionId);
    return true;
}

bool McpServerFace::sessionAccepted(const McpRequestContext& context, McpFaceReply& reply) const {
    const std::string& protocolVersion = context.protocolVersion;
    if (!protocolVersion.empty() && std::find(versions().begin(), versions().end(), protocolVersion) == versions().end()) {
        reply.outcome = McpFaceReply::Outcome::BadVersion;
        reply.message = "MCP-Protocol-Version '" + protocolVersion + "' is not one this server speaks (2025-11-25, 2025-06-18, 2025-03-26)";
        return false;
    }
    if (context.sessionId.empty()) {
        reply.outcome = McpFaceReply::Outcome::MissingSession;
        reply.message = "send the Mcp-Session-Id header this server gave at initialize";
        return false;
    }
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(context.sessionId);
    if (it != sessions_.end() && it->second.modern) it = sessions_.end(); // a thread of the new era, not a session
    if (it != sessions_.end() && it->second.profile == context.profile) return true;
    reply.outcome = McpFaceReply::Outcome::UnknownSession;
    reply.message = it == sessions_.end() ? "session '" + context.sessionId + "' is not known here (ended or expired): initialize again"
                                          : "session '" + context.sessionId + "' was opened at another MCP endpoint (" +
                                                (it->second.profile.empty() ? std::string("/mcp") : "/mcp/" + it->second.profile) +
                                                "): initialize here";
    return false;
}

std::optional<McpFaceReply> McpServerFace::streamRefusal(const McpRequestContext& context) const {
    McpFaceReply reply;
    if (!profiles_.count(context.profile)) {
        reply.outcome = McpFaceReply::Outcome::UnknownProfile;
        reply.message = "no MCP profile '" + context.profile + "' here (mcp.profiles.<name>.* in host.properties)";
        return reply;
    }
    if (!sessionAccepted(context, reply)) return reply;
    return std::nullopt;
}

std::uint64_t McpServerFace::attachStream(const std::string& sessionId, SessionStreams::Stream stream, const std::string& lastEventId) {
    // Under the sessions' lock: a session ending meanwhile (endSession) forgets the stream after it.
    std::lock_guard lock(mutex_);
    if (!sessions_.count(sessionId)) return 0;
    return streams_.attach(sessionId, std::move(stream), lastEventId);
}

void McpServerFace::keepStreamsAlive() {
    gateway_.schedule(kKeepAliveInterval, [this] {
        streams_.keepAlive();
        keepListenersAlive();
        keepStreamsAlive();
    });
}

McpServerListener McpServerFace::serverListener() {
    return McpServerListener{[this](const std::string& mcpId, const std::string& change) { serverChanged(mcpId, change); },
                             [this](const std::string& mcpId, const std::string& level, const std::string& paramsJson) {
                                 serverLogged(mcpId, level, paramsJson);
                             },
                             [this](const std::string& mcpId, const std::string& uri) { resourceUpdated(mcpId, uri); }};
}

std::vector<std::pair<std::string, std::string>> McpServerFace::sessionsOffering(const std::string& mcpId) const {
    std::vector<std::pair<std::string, std::string>> out;
    std::lock_guard lock(mutex_);
    for (const auto& [id, session] : sessions_) // the new era's threads have no stream (their listeners do)
        if (!session.modern && profiles_.at(session.profile).offersServer(mcpId)) out.emplace_back(id, session.logLevel);
    return out;
}

void McpServerFace::serverChanged(const std::string& mcpId, const std::string& change) {
    std::vector<const char*> lists;
    if (change == "tools_changed") {
        lists = {"tools"};
    } else if (change == "catalog_changed") {
        lists = {"resources", "prompts"};
    } else if (change == "status" || change == "removed") {
        // Only a server that starts or stops being offered (connected) changes the lists.
        auto connection = change == "removed" ? nullptr : gateway_.find(mcpId);
        const bool offered = connection && connection->offered();
        {
            std::lock_guard lock(mutex_);
            bool& was = offering_[mcpId];
            if (was == offered) return;
            was = offered;
            if (change == "removed") offering_.erase(mcpId);
        }
        lists = {"tools", "resources", "prompts"};
        if (offered) { // a server that came back has forgotten what was subscribed: subscribe again
            std::vector<std::string> uris;
            {
                std::lock_guard lock(mutex_);
                for (const auto& [key, sessions] : subscriptions_)
                    if (key.first == mcpId) uris.push_back(key.second);
            }
            if (auto connection = gateway_.find(mcpId))
                for (const auto& uri : uris) tellServer(connection, true, uri);
        }
    } else {
        return;
    }
    for (const auto& [session, level] : sessionsOffering(mcpId))
        for (const char* list : lists)
            streams_.post(session, std::string("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/") + list + "/list_changed\"}");
    tellListeners(mcpId, lists);
}

std::function<void(McpFaceReply)> McpServerFace::inFlight(const std::string& sessionId, const std::string& id,
                                                           const std::shared_ptr<CancelSignal>& cancel,
                                                           std::function<void(McpFaceReply)> done) {
    if (!cancel) return done;
    {
        std::lock_guard lock(mutex_);
        inFlight_[sessionId][id] = cancel;
    }
    return [this, sessionId, id, cancel, done = std::move(done)](McpFaceReply reply) {
        {
            std::lock_guard lock(mutex_);
            auto session = inFlight_.find(sessionId);
            if (session != inFlight_.end()) {
                auto it = session->second.find(id);
                if (it != session->second.end() && it->second == cancel) session->second.erase(it);
                if (session->second.empty()) inFlight_.erase(session);
            }
        }
        done(std::move(reply));
    };
}

bool McpServerFace::answered(const std::string& sessionId, const Poco::JSON::Object::Ptr& message) {
    const auto id = message->get("id");
    if (!id.isString()) return false; // the host's asks have string ids
    Ask ask;
    {
        std::lock_guard lock(mutex_);
        auto it = asks_.find(id.extract<std::string>());
        if (it == asks_.end() || it->second.sessionId != sessionId) return false;
        ask = std::move(it->second);
        asks_.erase(it);
    }
    if (message->has("result")) ask.answer("\"result\":" + json::stringify(message->get("result")));
    else if (message->has("error")) ask.answer("\"error\":" + json::stringify(message->get("error")));
    else ask.answer("\"error\":{\"code\":" + std::to_string(kInternalError) + ",\"message\":\"the agent answered with neither result nor error\"}");
    return true;
}

void McpServerFace::cancelled(const std::string& sessionId, const Poco::JSON::Object::Ptr& params) {
    // notifications/cancelled {requestId, reason}: that request's upstream call is cancelled with the reason.
    if (!params || !params->has("requestId")) return;
    const auto requestId = params->get("requestId");
    if (!requestId.isString() && !(requestId.isInteger() && !requestId.isBoolean())) return;
    std::shared_ptr<CancelSignal> cancel;
    {
        std::lock_guard lock(mutex_);
        auto session = inFlight_.find(sessionId);
        if (session == inFlight_.end()) return;
        auto it = session->second.find(idText(requestId));
        if (it == session->second.end()) return;
        cancel = it->second;
    }
    const std::string reason = json::stringMember(params, "reason");
    cancel->cancel(reason.empty() ? "the client cancelled it" : "the client cancelled it: " + reason);
}

void McpServerFace::resourceUpdated(const std::string& mcpId, const std::string& uri) {
    std::map<std::string, std::string> sessions;
    {
        std::lock_guard lock(mutex_);
        auto it = subscriptions_.find({mcpId, uri});
        if (it == subscriptions_.end()) return;
        sessions = it->second;
    }
    for (const auto& [session, subscribed] : sessions) {
        if (session.rfind("listen-", 0) == 0) { // a subscriptions/listen stream's: stamped with its id
            std::shared_ptr<Listener> listener;
            {
                std::lock_guard lock(mutex_);
                auto it = listeners_.find(session);
                if (it != listeners_.end()) listener = it->second;
            }
            if (listener) notifyListener(*listener, "notifications/resources/updated", "\"uri\":" + json::quote(subscribed));
            continue;
        }
        streams_.post(session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\",\"params\":{\"uri\":" +
                                   json::quote(subscribed) + "}}");
    }
}

void McpServerFace::tellServer(const std::shared_ptr<McpConnection>& connection, bool subscribe, const std::string& uri) {
    const std::string method = subscribe ? "resources/subscribe" : "resources/unsubscribe";
    connection->subscribeResource(uri, subscribe, [id = connection->id(), method, uri](RpcOutcome o) {
                            if (o.kind != RpcOutcome::Kind::Result)
                                logging::get("mcp")->warn("{} '{}' to '{}' failed: {}", method, uri, id, o.errorMessage);
                        });
}

void McpServerFace::dropSubscriptions(const std::string& sessionId) {
    std::vector<std::pair<std::string, std::string>> abandoned;
    {
        std::lock_guard lock(mutex_);
        for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
            it->second.erase(sessionId);
            if (!it->second.empty()) {
                ++it;
                continue;
            }
            abandoned.push_back(it->first);
            it = subscriptions_.erase(it);
        }
    }
    for (const auto& [server, uri] : abandoned)
        if (auto connection = gateway_.find(server)) tellServer(connection, false, uri);
}

void McpServerFace::subscription(bool subscribe, const Poco::JSON::Object::Ptr& params, const std::string& id, const std::string& sessionId,
                                 const Session& session, const McpCaller& caller, std::function<void(McpFaceReply)> done) {
    const std::string method = subscribe ? "resources/subscribe" : "resources/unsubscribe";
    McpFaceReply reply;
    const std::string uri = json::stringMember(params, "uri");
    if (uri.empty()) {
        reply.json = error(id, kInvalidParams, method + " needs params.uri");
        return done(std::move(reply));
    }
    const auto found = resolveUri(profiles_.at(session.profile), uri);
    if (!found) {
        reply.json = error(id, kResourceNotFound, "Resource not found: no server here offers '" + uri + "'");
        return done(std::move(reply));
    }
    const auto& [connection, original] = *found;
    const std::pair<std::string, std::string> key{connection->id(), original};
    if (subscribe) {
        const auto decision = gateway_.checkRead(session.user, caller.role, connection->id(), method, "resource:" + original, "");
        if (!decision.granted) {
            reply.json = error(id, kPermissionDenied, "'" + session.user + "' (" + caller.role + ") may not " + method + " '" + original +
                                                          "' on '" + connection->id() + "': " + decision.reason);
            return done(std::move(reply));
        }
    }
    if (!subscribe) {
        bool last = false;
        {
            std::lock_guard lock(mutex_);
            auto it = subscriptions_.find(key);
            if (it != subscriptions_.end() && it->second.erase(sessionId) && it->second.empty()) {
                subscriptions_.erase(it);
                last = true;
            }
        }
        if (last) tellServer(connection, false, original); // nobody else listens
        reply.json = result(id, "{}");
        return done(std::move(reply));
    }
    // Passed on each time (subscribing is idempotent): the server's refusal is the agent's answer.
    connection->subscribeResource(original, true,
                        [this, key, sessionId, uri, id, server = connection->id(), done = std::move(done)](RpcOutcome o) {
                            McpFaceReply r;
                            if (o.kind == RpcOutcome::Kind::Result) {
                                std::lock_guard lock(mutex_);
                                if (sessions_.count(sessionId)) subscriptions_[key][sessionId] = uri;
                                r.json = result(id, "{}");
                            } else {
                                r.json = error(id, o.kind == RpcOutcome::Kind::Error ? o.errorCode : kInternalError,
                                               "the MCP server '" + server + "' answered resources/subscribe: " + o.errorMessage);
                            }
                            done(std::move(r));
                        });
}

namespace {
// RFC 5424's severities as MCP names them, least severe first; -1 for another name.
int logRank(const std::string& level) {
    static const char* levels[] = {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"};
    for (int i = 0; i < 8; ++i)
        if (level == levels[i]) return i;
    return -1;
}
} // namespace

void McpServerFace::serverLogged(const std::string& mcpId, const std::string& level, const std::string& paramsJson) {
    const int rank = logRank(level);
    if (rank < 0) return;
    std::string message;
    // The sessions that set a level, and the requests of the new era waiting for this server that asked for one.
    auto audience = sessionsOffering(mcpId);
    std::vector<std::function<void(const std::string&)>> requests;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [token, watch] : logWatches_)
            if (watch.mcpId == mcpId && rank >= logRank(watch.level)) requests.push_back(watch.notify);
    }
    if (!requests.empty()) audience.emplace_back("", level); // stands for them
    for (const auto& [session, wanted] : audience) {
        if (wanted.empty() || rank < logRank(wanted)) continue;
        if (message.empty()) {
            // The server's message as it sent it, its logger naming the server: "<server>[/<logger>]".
            Poco::JSON::Object::Ptr params;
            try {
                params = json::parse(paramsJson).extract<Poco::JSON::Object::Ptr>();
            } catch (const std::exception&) {
                return;
            }
            const std::string logger = json::stringMember(params, "logger");
            params->set("logger", logger.empty() ? mcpId : mcpId + "/" + logger);
            message = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":" + json::stringify(params) + "}";
        }
        if (!session.empty()) streams_.post(session, message);
    }
    for (const auto& notify : requests) notify(message);
}

std::uint64_t McpServerFace::watchLogs(const std::string& mcpId, const McpRequestContext& context) {
    if (context.logLevel.empty() || !context.notify) return 0;
    std::lock_guard lock(mutex_);
    logWatches_[++nextLogWatch_] = LogWatch{mcpId, context.logLevel, context.notify};
    return nextLogWatch_;
}

void McpServerFace::unwatchLogs(std::uint64_t token) {
    if (token == 0) return;
    std::lock_guard lock(mutex_);
    logWatches_.erase(token);
}

void McpServerFace::handle(const std::string& body, McpRequestContext context, std::function<void(McpFaceReply)> done) {
    const std::string& sessionId = context.sessionId;
    McpFaceReply reply;
    const auto profileIt = profiles_.find(context.profile);
    if (profileIt == profiles_.end()) {
        reply.outcome = McpFaceReply::Outcome::UnknownProfile;
        reply.message = "no MCP profile '" + context.profile + "' here (mcp.profiles.<name>.* in host.properties)";
        return done(std::move(reply));
    }
    const McpProfile& profile = profileIt->second;
    Poco::Dynamic::Var parsed;
    try {
        parsed = json::parse(body);
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
        if (method == "notifications/cancelled") {
            const auto cancelParams = message->getObject("params");
            // The new era has no session: a client cancels its own requests (2.4.0 SDKs end a listen so).
            cancelled(modern::isModern(method, cancelParams) ? "modern/" + context.caller.user : sessionId, cancelParams);
        }
        if (method.empty() && hasId) answered(sessionId, message);
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
    const std::string id = idText(idVar);
    const auto paramsVar = message->has("params") ? message->get("params") : Poco::Dynamic::Var();
    const Poco::JSON::Object::Ptr params =
        paramsVar.type() == typeid(Poco::JSON::Object::Ptr) ? paramsVar.extract<Poco::JSON::Object::Ptr>() : new Poco::JSON::Object;

    if (modern::isModern(method, params)) return handleModern(method, id, params, profile, std::move(context), std::move(done));
    if (method == "initialize") {
        reply.json = initialize(*params, id, reply);
        if (!reply.sessionId.empty()) {
            std::lock_guard lock(mutex_);
            auto& opened = sessions_[reply.sessionId];
            opened.profile = profile.name;
            opened.user = context.caller.user;
        }
        return done(std::move(reply));
    }
    if (!sessionAccepted(context, reply)) return done(std::move(reply));
    Session session;
    {
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(sessionId);
        if (it == sessions_.end()) { // ended since
            sessionAccepted(context, reply);
            return done(std::move(reply));
        }
        it->second.lastUsedUs = nowUnixUs();
        session = it->second;
    }
    if (method == "ping") {
        reply.json = result(id, "{}");
    } else if (method == "tools/list") {
        reply.json = list(profile, What::Tools, id, params);
    } else if (method == "resources/list") {
        reply.json = list(profile, What::Resources, id, params);
    } else if (method == "resources/templates/list") {
        reply.json = list(profile, What::ResourceTemplates, id, params);
    } else if (method == "prompts/list") {
        reply.json = list(profile, What::Prompts, id, params);
    } else if (method == "resources/subscribe" || method == "resources/unsubscribe") {
        return subscription(method == "resources/subscribe", params, id, sessionId, session, context.caller, std::move(done));
    } else if (method == "tools/call") {
        return toolsCall(params, id, session, context, inFlight(sessionId, id, context.cancel, std::move(done)));
    } else if (method == "resources/read" || method == "prompts/get" || method == "completion/complete") {
        return passOn(method, params, id, session, context, inFlight(sessionId, id, context.cancel, std::move(done)));
    } else if (method == "logging/setLevel") {
        // The servers' messages from this level up go to the session's stream (they reach the operator whatever it is).
        const std::string level = json::stringMember(params, "level");
        if (logRank(level) < 0) {
            reply.json = error(id, kInvalidParams,
                               "\"level\" must be one of debug, info, notice, warning, error, critical, alert, emergency; got " +
                                   (params->has("level") ? json::stringify(params->get("level")) : std::string("nothing")));
        } else {
            std::lock_guard lock(mutex_);
            if (auto it = sessions_.find(sessionId); it != sessions_.end()) it->second.logLevel = level;
            reply.json = result(id, "{}");
        }
    } else {
        reply.json = error(id, kMethodNotFound,
                           "method '" + method + "' is not offered by this server (it offers tools, resources, prompts and completions)");
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
    session.clientName = json::stringMember(clientInfo, "name");
    session.clientVersion = json::stringMember(clientInfo, "version");
    if (const auto capabilities = params.getObject("capabilities")) {
        session.sampling = capabilities->has("sampling");
        session.elicitation = capabilities->has("elicitation");
    }
    session.lastUsedUs = nowUnixUs();
    const std::string sessionId = records::randomUuid();
    session.threadId = kThreadPrefix + sessionId;
    admit(sessionId, session);
    // The session is a thread of the agent, its tool calls its steps; the thread is written with the
    // first step that lands in it (a call joined to the agent's own thread does not).
    logging::get("mcp")->info("MCP client '{}' {} initialized session {} ({})", session.client, json::stringMember(clientInfo, "version"),
                              sessionId, version);
    reply.sessionId = sessionId;
    return result(id, "{\"protocolVersion\":" + json::quote(version) + ",\"capabilities\":" + capabilitiesJson() +
                          ",\"serverInfo\":{\"name\":\"mission-control\",\"version\":" + json::quote(version_) +
                          "},\"instructions\":" + json::quote(instructions()) + "}");
}

std::string McpServerFace::capabilitiesJson() {
    return "{\"tools\":{\"listChanged\":true},\"resources\":{\"subscribe\":true,\"listChanged\":true},"
           "\"prompts\":{\"listChanged\":true},\"completions\":{},\"logging\":{}}";
}

std::string McpServerFace::instructions() {
    return "The tools, resources and prompts of the MCP servers Mission Control is connected to, named <server>__<name> where needed; "
           "every call is checked by its permission policy and recorded.";
}

void McpServerFace::admit(const std::string& sessionId, const Session& session) {
    std::string evicted;
    {
        std::lock_guard lock(mutex_);
        if (sessions_.size() >= maxSessions_) { // the least recently used one goes
            auto oldest = std::min_element(sessions_.begin(), sessions_.end(),
                                           [](const auto& a, const auto& b) { return a.second.lastUsedUs < b.second.lastUsedUs; });
            streams_.forget(oldest->first);
            evicted = oldest->first;
            sessions_.erase(oldest);
        }
        sessions_[sessionId] = session;
    }
    if (!evicted.empty()) dropSubscriptions(evicted);
}

namespace {

// Per kind: what McpConnection keeps, and the member naming each item.
const char* keyOf(int what) {
    static const char* keys[] = {"name", "uri", "uriTemplate", "name"};
    return keys[what];
}
const char* listMemberOf(int what) {
    static const char* members[] = {"tools", "resources", "resourceTemplates", "prompts"};
    return members[what];
}

} // namespace

McpServerFace::Offers McpServerFace::offers(const McpProfile& profile, What what, bool withItems) const {
    Offers out;
    if (what == What::Tools) {
        const ToolBasis basis = toolBasis(profile);
        for (std::size_t i = 0; i < basis.connections.size(); ++i)
            for (const auto& item : *basis.tools[i])
                if (profile.offersTool(basis.connections[i]->id(), item.key))
                    out.offers.push_back(Offer{basis.connections[i], withItems ? item.object : nullptr});
        out.names = toolNames(profile, basis);
        return out;
    }
    std::vector<NamedItem> named;
    for (const auto& connection : gateway_.connections()) {
        if (!connection->offered() || !profile.offersServer(connection->id())) continue;
        auto add = [&](const std::string& original, Poco::JSON::Object::Ptr item) {
            out.offers.push_back(Offer{connection, std::move(item)});
            named.push_back(NamedItem{connection->id(), original});
        };
        const auto offered = what == What::Resources         ? connection->catalog(McpConnection::Catalog::Resources)
                             : what == What::ResourceTemplates ? connection->catalog(McpConnection::Catalog::ResourceTemplates)
                                                               : connection->catalog(McpConnection::Catalog::Prompts);
        for (const auto& item : *offered) add(item.key, withItems ? item.object : nullptr);
    }
    out.names = std::make_shared<const McpNames>(what == What::Prompts ? McpNames::forNames(named, profile.prefix)
                                                                       : McpNames::forUris(named, profile.prefix));
    return out;
}

std::string McpServerFace::list(const McpProfile& profile, What what, const std::string& id, const Poco::JSON::Object::Ptr& params) const {
    Offers all = offers(profile, what, true);
    const char* key = keyOf(static_cast<int>(what));
    std::vector<std::size_t> offered;
    for (std::size_t i = 0; i < all.offers.size(); ++i)
        if (!all.names->exposed(i).empty()) offered.push_back(i);
    // A page is a range of the list; its cursor names where the next starts and a fingerprint of the
    // list's names, so that a list that changed meanwhile is not paged on as if it had not.
    std::uint64_t fingerprint = 1469598103934665603ull;
    for (const std::size_t i : offered)
        for (const char c : all.names->exposed(i) + '\n') fingerprint = (fingerprint ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    char print[17];
    std::snprintf(print, sizeof print, "%016llx", static_cast<unsigned long long>(fingerprint));
    std::size_t from = 0;
    if (params->has("cursor") && !params->get("cursor").isEmpty()) {
        const std::string cursor = params->get("cursor").isString() ? params->getValue<std::string>("cursor") : std::string("?");
        const auto dot = cursor.find('.');
        unsigned long long start = 0;
        const auto [end, failed] = std::from_chars(cursor.data(), cursor.data() + (dot == std::string::npos ? 0 : dot), start);
        const std::string invalid = "invalid cursor '" + cursor.substr(0, 64) + "': pass on the nextCursor of the previous page";
        if (dot == std::string::npos || failed != std::errc() || end != cursor.data() + dot || dot + 17 != cursor.size())
            return error(id, kInvalidParams, invalid);
        if (cursor.substr(dot + 1) != print)
            return error(id, kInvalidParams, "the list changed since cursor '" + cursor.substr(0, 64) + "' was given: list again from the start");
        if (start == 0 || start >= offered.size()) return error(id, kInvalidParams, invalid);
        from = static_cast<std::size_t>(start);
    }
    const std::size_t to = pageSize_ == 0 ? offered.size() : std::min(offered.size(), from + pageSize_);
    std::string items;
    for (std::size_t n = from; n < to; ++n) {
        const std::size_t i = offered[n];
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object(*all.offers[i].item); // the shared original stays as the server sent it
        item->set(key, all.names->exposed(i));
        items += (items.empty() ? "" : ",") + json::stringify(item);
    }
    const std::string next = to < offered.size() ? ",\"nextCursor\":" + json::quote(std::to_string(to) + "." + print) : std::string();
    return result(id, std::string("{\"") + listMemberOf(static_cast<int>(what)) + "\":[" + items + "]" + next + "}");
}

McpServerFace::ToolBasis McpServerFace::toolBasis(const McpProfile& profile) const {
    ToolBasis basis;
    for (const auto& connection : gateway_.connections()) {
        if (!connection->offered() || !profile.offersServer(connection->id())) continue;
        basis.connections.push_back(connection);
        basis.tools.push_back(connection->tools());
    }
    return basis;
}

std::shared_ptr<const McpNames> McpServerFace::toolNames(const McpProfile& profile, const ToolBasis& basis) const {
    {
        std::lock_guard lock(toolNamesMutex_);
        const auto cached = toolNames_.find(profile.name);
        if (cached != toolNames_.end() && cached->second.basis == basis.tools) return cached->second.names;
    }
    std::vector<NamedItem> named;
    for (std::size_t i = 0; i < basis.connections.size(); ++i)
        for (const auto& item : *basis.tools[i])
            if (profile.offersTool(basis.connections[i]->id(), item.key)) named.push_back(NamedItem{basis.connections[i]->id(), item.key});
    auto names = std::make_shared<const McpNames>(McpNames::forNames(named, profile.prefix));
    std::lock_guard lock(toolNamesMutex_);
    toolNames_[profile.name] = ToolNames{basis.tools, names};
    return names;
}

std::optional<std::pair<std::string, std::string>> McpServerFace::resolve(const std::string& exposed, const std::string& profileName) const {
    const auto profile = profiles_.find(profileName);
    if (profile == profiles_.end()) return std::nullopt;
    const auto found = toolNames(profile->second, toolBasis(profile->second))->resolve(exposed);
    if (!found) return std::nullopt;
    return std::make_pair(found->server, found->original);
}

std::optional<std::pair<std::shared_ptr<McpConnection>, std::string>> McpServerFace::resolveUri(const McpProfile& profile,
                                                                                                 const std::string& uri) const {
    auto connected = [&](const std::string& server) -> std::shared_ptr<McpConnection> {
        auto connection = gateway_.find(server);
        return connection && profile.offersServer(server) ? connection : nullptr;
    };
    if (const auto wrapped = McpNames::unwrapUri(uri)) { // one of ours: the server says it
        if (auto connection = connected(wrapped->server)) return std::make_pair(connection, wrapped->original);
        return std::nullopt;
    }
    // A URI as its server gave it (the bare form, or a link in a tool's result): the server that lists
    // it, else the one whose template it expands most specifically.
    const Offers resources = offers(profile, What::Resources, false);
    for (std::size_t i = 0; i < resources.offers.size(); ++i)
        if (!resources.names->exposed(i).empty() && resources.names->item(i).original == uri)
            return std::make_pair(resources.offers[i].connection, uri);
    const Offers templates = offers(profile, What::ResourceTemplates, false);
    long best = -1;
    std::shared_ptr<McpConnection> chosen;
    for (std::size_t i = 0; i < templates.offers.size(); ++i) {
        if (templates.names->exposed(i).empty()) continue;
        const long score = McpNames::templateMatch(templates.names->item(i).original, uri);
        if (score > best) {
            best = score;
            chosen = templates.offers[i].connection;
        }
    }
    if (chosen) return std::make_pair(chosen, uri);
    return std::nullopt;
}

McpServerFace::Asker McpServerFace::streamAsker(const McpRequestContext& context, const Session& session) {
    // The server's requests while the agent's request runs (sampling, elicitation) go to this agent on
    // the request's own stream, when it declared it answers them; its response comes back as a POST (answered()).
    if (!context.notify || !(session.sampling || session.elicitation)) return {};
    return [this, notify = context.notify, sessionId = context.sessionId](const std::string& method, const std::string& paramsJson,
                                                                          std::function<void(const std::string&)> answer) {
        std::string askId;
        {
            std::lock_guard lock(mutex_);
            askId = "mc-ask-" + std::to_string(++nextAsk_);
            asks_[askId] = Ask{sessionId, std::move(answer)};
        }
        notify("{\"jsonrpc\":\"2.0\",\"id\":" + json::quote(askId) + ",\"method\":" + json::quote(method) + ",\"params\":" + paramsJson + "}");
    };
}

McpServerFace::Questions McpServerFace::serverRequests(const Session& session, Asker asker) {
    Questions out;
    if (!session.sampling && !session.elicitation) {
        out.cannotAnswer = "the agent did not declare the capabilities 'sampling' or 'elicitation'";
        return out;
    }
    if (!asker) { // the 2025 era: the question would go on the request's stream
        out.cannotAnswer = "the agent's request takes no event stream (Accept: text/event-stream) to ask it on";
        return out;
    }
    out.handler = [sampling = session.sampling, elicitation = session.elicitation, asker = std::move(asker)](
                      const std::string& method, const std::string& paramsJson, std::function<void(const std::string&)> answer) {
        if ((method == "sampling/createMessage" && !sampling) || (method == "elicitation/create" && !elicitation))
            return answer("\"error\":{\"code\":" + std::to_string(kMethodNotFound) + ",\"message\":" +
                          json::quote("the agent did not declare the capability '" + method.substr(0, method.find('/')) + "'") + "}");
        asker(method, paramsJson, std::move(answer));
    };
    return out;
}

std::function<void(const std::string&)> McpServerFace::progressTo(const McpRequestContext& context, const Poco::JSON::Object::Ptr& params) {
    // The agent asked for progress (_meta.progressToken): the server's progress reaches it on the
    // request's own stream, under its token.
    const auto meta = params ? params->getObject("_meta") : nullptr;
    if (!context.notify || !meta || !meta->has("progressToken")) return {};
    const auto token = meta->get("progressToken");
    if (!token.isString() && !(token.isInteger() && !token.isBoolean())) return {};
    return [notify = context.notify, token = idText(token)](const std::string& progress) {
        notify("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":" + token +
               (progress.size() > 2 ? "," + progress.substr(1) : std::string("}")) + "}");
    };
}

void McpServerFace::toolsCall(const Poco::JSON::Object::Ptr& params, const std::string& id, const Session& session,
                              const McpRequestContext& context, std::function<void(McpFaceReply)> done) {
    toolsCall(params, id, session, context, streamAsker(context, session), std::move(done));
}

void McpServerFace::toolsCall(const Poco::JSON::Object::Ptr& params, const std::string& id, const Session& session,
                              const McpRequestContext& context, Asker asker, std::function<void(McpFaceReply)> done) {
    const McpCaller& caller = context.caller;
    McpFaceReply reply;
    const std::string name = json::stringMember(params, "name");
    auto target = name.empty() ? std::nullopt : resolve(name, session.profile);
    if (!target) {
        // <server>__<tool> of a server that is configured here but not connected: the gateway answers
        // why (disconnected, its last error) and records the call, instead of "unknown tool".
        const auto separator = name.find(kSeparator);
        if (separator != std::string::npos && separator > 0) {
            const std::string server = name.substr(0, separator), tool = name.substr(separator + 2);
            const auto connection = gateway_.find(server);
            if (connection && !connection->offered() && !tool.empty() &&
                profiles_.at(session.profile).offersTool(server, tool))
                target = std::make_pair(server, tool);
        }
    }
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
        request.arguments = arguments.extract<Poco::JSON::Object::Ptr>();
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
    request.cancel = context.cancel;
    request.timeout = gateway_.settings().toolTimeout;
    // The server's requests while the call runs go to the agent as `asker` says; its progress too.
    auto questions = serverRequests(session, std::move(asker));
    request.onServerRequest = std::move(questions.handler);
    request.cannotAnswer = std::move(questions.cannotAnswer);
    request.asker = session.threadId;
    request.onProgress = progressTo(context, params);
    // A call that may join the agent's telemetry names no thread to the gateway (which would write its
    // step and the policy's verdict there): its step goes to the joiner, built here.
    std::optional<ToolCallRecord> joinable;
    // Its key: the agent's id of the call, else the agent's span it was made from (its traceparent).
    const auto agentSpan = request.callId.empty() ? parseTraceparent(request.traceparent) : std::nullopt;
    if (joiner_ && session.joins && (!request.callId.empty() || agentSpan)) {
        joinable.emplace();
        joinable->threadId = session.threadId;
        joinable->mcpId = target->first;
        joinable->tool = request.tool;
        joinable->startedAt = json::isoTimestamp(nowUnixUs());
        joinable->argumentsBytes = request.argumentsJson.size();
        joinable->callId = request.callId;
        if (agentSpan) joinable->callerSpanId = agentSpan->spanId;
        joinable->agent = session.client;
    } else {
        // The session's thread is the agent's (the gateway would open it on the upstream server's name).
        openSessionThread(session);
        request.threadId = session.threadId;
    }
    const auto logWatch = watchLogs(target->first, context);
    gateway_.callTool(target->first, std::move(request), [this, id, joinable, logWatch, done = std::move(done)](ToolCallOutcome o) mutable {
        unwatchLogs(logWatch);
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

void McpServerFace::openSessionThread(const Session& session) {
    if (ingest_.knowsThread(session.threadId)) return; // its first call opened it: nothing to format again
    ingest_.openThread(session.threadId, session.client, json::isoTimestamp(nowUnixUs()), threadContext(session));
}

std::string McpServerFace::threadContext(const Session& session) {
    return "{\"mcp_client\":{\"name\":" + json::quote(session.clientName) + ",\"version\":" + json::quote(session.clientVersion) +
           "},\"user\":" + json::quote(session.user) + ",\"endpoint\":" +
           json::quote(session.profile.empty() ? std::string("/mcp") : "/mcp/" + session.profile) +
           ",\"protocol_version\":" + json::quote(session.protocolVersion) + "}";
}

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

namespace mc::host {

void McpServerFace::passOn(const std::string& method, const Poco::JSON::Object::Ptr& request, const std::string& id, const Session& session,
                           const McpRequestContext& context, std::function<void(McpFaceReply)> done) {
    passOn(method, request, id, session, context, streamAsker(context, session), std::move(done));
}

void McpServerFace::passOn(const std::string& method, const Poco::JSON::Object::Ptr& request, const std::string& id, const Session& session,
                           const McpRequestContext& context, Asker asker, std::function<void(McpFaceReply)> done) {
    Poco::JSON::Object::Ptr params = request; // what is passed on, with the server's own names set back
    const McpProfile& profile = profiles_.at(session.profile);
    McpFaceReply reply;
    auto refuse = [&](int code, const std::string& message) {
        reply.json = error(id, code, message);
        done(std::move(reply));
    };
    std::shared_ptr<McpConnection> connection;
    std::string target;    // the upstream's name of what is asked for (a URI, a prompt)
    std::string requested; // resources/read: the URI as the agent asked for it
    // A prompt by its exposed name: its server, with the name set back to the server's own.
    auto promptOf = [&](Poco::JSON::Object::Ptr holder) -> bool {
        const std::string name = json::stringMember(holder, "name");
        const auto found = name.empty() ? std::nullopt : offers(profile, What::Prompts, false).names->resolve(name);
        if (!found) return false;
        connection = gateway_.find(found->server);
        target = found->original;
        holder->set("name", target);
        return connection != nullptr;
    };
    if (method == "resources/read") {
        requested = json::stringMember(params, "uri");
        if (requested.empty()) return refuse(kInvalidParams, "resources/read needs params.uri");
        const auto found = resolveUri(profile, requested);
        if (!found) return refuse(kResourceNotFound, "Resource not found: no server here offers '" + requested + "'");
        connection = found->first;
        target = found->second;
        params->set("uri", target);
    } else if (method == "prompts/get") {
        if (!promptOf(params))
            return refuse(kInvalidParams, json::stringMember(params, "name").empty()
                                              ? "prompts/get needs params.name"
                                              : "unknown prompt '" + json::stringMember(params, "name") + "'");
    } else { // completion/complete: of a prompt's argument or a resource template's variable
        Poco::JSON::Object::Ptr ref = params->getObject("ref");
        const std::string type = json::stringMember(ref, "type");
        if (type == "ref/prompt") {
            if (!promptOf(ref)) return refuse(kInvalidParams, "unknown prompt '" + json::stringMember(ref, "name") + "' in params.ref");
        } else if (type == "ref/resource") {
            const std::string uri = json::stringMember(ref, "uri");
            if (const auto wrapped = McpNames::unwrapUri(uri)) {
                connection = profile.offersServer(wrapped->server) ? gateway_.find(wrapped->server) : nullptr;
                target = wrapped->original;
            } else {
                const Offers templates = offers(profile, What::ResourceTemplates, false);
                for (std::size_t i = 0; i < templates.offers.size() && !connection; ++i)
                    if (!templates.names->exposed(i).empty() && templates.names->item(i).original == uri) connection = templates.offers[i].connection;
                target = uri;
            }
            if (!connection) return refuse(kInvalidParams, "unknown resource template '" + uri + "' in params.ref");
            ref->set("uri", target);
        } else {
            return refuse(kInvalidParams, "completion/complete needs params.ref of type ref/prompt or ref/resource");
        }
    }
    std::string traceparent;
    if (const auto meta = params->getObject("_meta")) traceparent = json::stringMember(meta, "traceparent");
    if (traceparent.empty()) traceparent = context.traceparent;
    // Reads of resources and prompts are steps of the session's thread like its tool calls; completions
    // (asked for as the user types) are not.
    const bool recorded = method != "completion/complete";
    std::optional<ToolCallRecord> record;
    // The permission policy decides reads as it does calls (rules naming no tools; the default).
    if (recorded) openSessionThread(session);
    const auto decision = gateway_.checkRead(context.caller.user, context.caller.role, connection->id(), method,
                                             (method == "prompts/get" ? "prompt:" : method == "resources/read" ? "resource:" : "completion:") + target,
                                             recorded ? session.threadId : std::string());
    if (!decision.granted) {
        if (recorded) {
            ToolCallRecord denied;
            denied.method = method;
            denied.threadId = session.threadId;
            denied.mcpId = connection->id();
            denied.tool = target;
            denied.startedAt = json::isoTimestamp(nowUnixUs());
            denied.agent = session.client;
            denied.outcome = "permission_denied";
            denied.status = ToolCallRecord::statusOf(denied.outcome);
            denied.errorCode = denied.outcome;
            ingest_.recordToolCall(denied);
        }
        return refuse(kPermissionDenied, "'" + context.caller.user + "' (" + context.caller.role + ") may not " + method + " '" + target +
                                           "' on '" + connection->id() + "': " + decision.reason);
    }
    if (recorded) {
        record.emplace();
        record->method = method;
        record->threadId = session.threadId;
        record->mcpId = connection->id();
        record->tool = target;
        record->startedAt = json::isoTimestamp(nowUnixUs());
        record->agent = session.client; // its thread was opened before the policy's verdict
    }
    const auto startedUs = nowUnixUs();
    const auto timeout = gateway_.settings().toolTimeout;
    const std::string server = connection->id();
    const auto logWatch = watchLogs(server, context);
    // The server's progress and requests while it works on it reach the agent, as for tools/call
    // (completions are asked for as the user types: neither).
    McpConnection::RequestHooks hooks;
    if (method != "completion/complete") {
        hooks.onProgress = progressTo(context, params);
        auto questions = serverRequests(session, std::move(asker));
        hooks.onServerRequest = std::move(questions.handler);
        hooks.cannotAnswer = std::move(questions.cannotAnswer);
        hooks.asker = session.threadId;
    }
    gateway_.passOn(
        connection, PassedRequest{method, json::stringify(params), target, recorded ? session.threadId : std::string(), traceparent, timeout},
        [this, id, method, server, target, requested, record, startedUs, timeout, logWatch, done = std::move(done)](RpcOutcome o) mutable {
            unwatchLogs(logWatch);
            McpFaceReply r;
            std::string outcome = "ok";
            switch (o.kind) {
            case RpcOutcome::Kind::Result: {
                // The contents of what was read carry the URI the agent asked by, not the server's own
                // (only then is the answer parsed; otherwise it goes on as the server wrote it).
                const auto answer = !requested.empty() && requested != target ? o.resultObject() : nullptr;
                if (const auto contents = answer ? answer->getArray("contents") : nullptr)
                    for (std::size_t i = 0; i < contents->size(); ++i)
                        if (auto content = contents->getObject(static_cast<unsigned>(i)); content && json::stringMember(content, "uri") == target)
                            content->set("uri", requested);
                r.json = result(id, answer ? json::stringify(answer) : o.result ? o.result->json : std::string("{}"));
                break;
            }
            case RpcOutcome::Kind::Error:
                outcome = "mcp_error";
                r.json = error(id, o.errorCode, "the MCP server '" + server + "' answered " + method + ": " + o.errorMessage);
                break;
            case RpcOutcome::Kind::Timeout:
                outcome = "timeout";
                r.json = error(id, kRequestTimeout,
                                                  "the MCP server '" + server + "' did not answer " + method + " within " +
                                                      std::to_string(timeout.count()) + " ms; the request was cancelled");
                break;
            case RpcOutcome::Kind::Disconnected:
                outcome = "disconnected";
                r.json = error(id, kInternalError, o.errorMessage);
                break;
            case RpcOutcome::Kind::Cancelled:
                outcome = "cancelled";
                r.json = error(id, kInternalError, o.errorMessage);
                break;
            }
            if (record) {
                record->outcome = outcome;
                record->status = ToolCallRecord::statusOf(outcome);
                if (outcome != "ok") record->errorCode = outcome;
                record->durationMs = (nowUnixUs() - startedUs) / 1000;
                ingest_.recordToolCall(*record);
            }
            done(std::move(r));
        },
        context.cancel, std::move(hooks));
}

} // namespace mc::host
