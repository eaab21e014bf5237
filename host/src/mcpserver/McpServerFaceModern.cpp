// The /mcp face in the 2026-07-28 era: no session; every request says who and what in its _meta, and
// its HTTP headers mirror its method and name. What a 2025 session keeps (the client, its level, its
// stream) a modern request carries or opens itself: server/discover, subscriptions/listen, a log level
// per request, and a server's questions to the agent returned as input_required results (MRTR).
#include "mcpserver/McpServerFace.h"
#include "mcpserver/RpcText.h"

#include "log/Logging.h"
#include "mc/records/RandomId.h"
#include "util/Clock.h"
#include "util/Json.h"

namespace mc::host {
namespace {

using namespace rpc;

constexpr const char* kSubscriptionId = mc::mcp::modern::kMetaSubscriptionId;
constexpr const char* kServerInfo = mc::mcp::modern::kMetaServerInfo;

// Whether `text` names a member "resultType", "ttlMs" or "_meta" anywhere (one pass over its quotes).
bool namesEraMember(std::string_view text) {
    for (auto at = text.find('"'); at != std::string_view::npos; at = text.find('"', at + 1)) {
        const auto rest = text.substr(at + 1);
        for (std::string_view name : {"resultType\"", "ttlMs\"", "_meta\""})
            if (rest.compare(0, name.size(), name) == 0) return true;
    }
    return false;
}

// `message` (a response as rpc::result builds it) with resultType "complete", `extra` members
// (",\"ttlMs\":…") and _meta's serverInfo (`serverInfo`, a JSON object) in its result, unless the
// result has them: an upstream's own result is kept as it is. An error is returned as it is.
std::string completed(std::string message, const std::string& extra, const std::string& serverInfo) {
    constexpr std::string_view marker = ",\"result\":{";
    const auto at = message.find(marker.data(), 0, marker.size()); // a quoted id cannot hold it (its quotes are escaped)
    if (at == std::string::npos) return message;
    const auto body = at + marker.size() - 1;
    if (namesEraMember(std::string_view(message).substr(body))) {
        // Named somewhere in the result: add only what its top level lacks.
        try {
            auto parsed = json::parse(message).extract<Poco::JSON::Object::Ptr>();
            auto resultObject = parsed->getObject("result");
            if (!resultObject) return message;
            if (!resultObject->has("resultType")) resultObject->set("resultType", "complete");
            auto meta = resultObject->getObject("_meta");
            if (!meta && !resultObject->has("_meta")) {
                meta = new Poco::JSON::Object;
                resultObject->set("_meta", meta);
            }
            if (meta && !meta->has(kServerInfo)) meta->set(kServerInfo, json::parse(serverInfo));
            if (!extra.empty()) {
                auto extras = json::parse("{" + extra.substr(1) + "}").extract<Poco::JSON::Object::Ptr>();
                for (const auto& name : extras->getNames())
                    if (!resultObject->has(name)) resultObject->set(name, extras->get(name));
            }
            return json::stringify(parsed);
        } catch (const std::exception&) {
            return message;
        }
    }
    // The members go first in the result, written once into a buffer of the whole reply's size.
    const auto next = message.find_first_not_of(" \t\r\n", body + 1);
    std::string out;
    out.reserve(message.size() + extra.size() + serverInfo.size() + 80);
    out.append(message, 0, body + 1).append("\"resultType\":\"complete\"").append(extra).append(",\"_meta\":{\"").append(kServerInfo);
    out.append("\":").append(serverInfo).append(next != std::string::npos && message[next] == '}' ? "}" : "},");
    out.append(message, body + 1, std::string::npos);
    return out;
}

// A reply built for request `fromId` as the answer to request `toId` (an MRTR retry has an id of its own).
std::string reIdentified(std::string message, const std::string& fromId, const std::string& toId) {
    if (fromId == toId) return message;
    constexpr std::string_view head = "{\"jsonrpc\":\"2.0\",\"id\":";
    if (message.compare(0, head.size(), head.data(), head.size()) != 0 || message.compare(head.size(), fromId.size(), fromId) != 0) return message;
    return message.replace(head.size(), fromId.size(), toId);
}

std::string invalidState(const std::string& id, const std::string& why) {
    return error(id, kInvalidParams, "Invalid or expired requestState: " + why, "{\"reason\":\"invalid_request_state\"}");
}

} // namespace

// A server's questions to the agent during one request of the new era (tools/call, prompts/get,
// resources/read), and the agent's requests that carry it on (the first, then each retry with the answers).
struct McpServerFace::Relay {
    std::string state;               // its requestState (random: it names nothing the agent could guess); "" until asked
    std::string user, method, name;  // who may carry it on, the method, and what it names (a tool, a prompt, a URI)
    std::string firstId;             // the id the call's reply is built with
    std::shared_ptr<CancelSignal> cancel = std::make_shared<CancelSignal>(); // the upstream call's
    struct Question {
        std::string method, paramsJson;
        std::function<void(const std::string&)> answer; // the agent's response's "result"/"error" member, to the server
    };
    std::map<std::string, Question> asked;   // sent in an input_required result, not answered yet
    std::map<std::string, Question> pending; // not sent yet: no request of the agent's was waiting
    std::function<void(McpFaceReply)> waiting; // the agent's request waiting for what comes next (null between rounds)
    std::string waitingId;
    std::optional<McpFaceReply> finished; // the call's reply, when it came while no request waited
    std::uint64_t round = 0;
};

struct McpServerFace::Listener {
    std::string key, idJson, profile;
    bool tools = false, prompts = false, resources = false;
    std::function<void(const std::string&)> notify;
    std::function<void()> keepAlive;
    std::function<void(McpFaceReply)> done;
};

void McpServerFace::handleModern(const std::string& method, const std::string& id, const Poco::JSON::Object::Ptr& params,
                                 const McpProfile& profile, McpRequestContext context, std::function<void(McpFaceReply)> done) {
    McpFaceReply reply;
    auto refuse = [&](const ModernRefusal& refusal) {
        reply.outcome = refusal.kind == ModernRefusal::Kind::NoSuchMethod ? McpFaceReply::Outcome::NoSuchMethod : McpFaceReply::Outcome::Rejected;
        reply.json = error(id, refusal.code, refusal.message, refusal.dataJson);
        done(std::move(reply));
    };
    ModernMeta meta;
    static const std::vector<std::string> all = [] { // both eras' versions, newest first
        auto both = modern::versions();
        both.insert(both.end(), versions().begin(), versions().end());
        return both;
    }();
    if (auto refusal = modern::readMeta(params, all, meta)) return refuse(*refusal);
    if (auto refusal = modern::headersAgree(context.modern, method, params, meta.protocolVersion)) return refuse(*refusal);
    // The protocol's own _meta members are this hop's: what goes upstream carries the gateway's. A
    // tools/call sends only its arguments upstream; the other requests are passed on whole.
    if (method != "tools/call")
        if (auto metaObject = params->getObject("_meta"))
            for (const auto& name : metaObject->getNames())
                if (name.rfind(mc::mcp::modern::kMetaPrefix, 0) == 0) metaObject->remove(name);

    auto ttl = [this] { return ",\"ttlMs\":" + std::to_string(listTtl_.count()) + ",\"cacheScope\":\"private\""; };
    if (method == "server/discover") {
        reply.json = completed(result(id, "{\"supportedVersions\":" + [&] {
                                   std::string list;
                                   for (const auto& v : all) list += (list.empty() ? "[" : ",") + json::quote(v);
                                   return list + "]";
                               }() + ",\"capabilities\":" + capabilitiesJson() + ",\"instructions\":" + json::quote(instructions()) +
                                             "}"),
                               ttl(), serverInfoJson_);
        return done(std::move(reply));
    }
    Session session = conversation(profile.name, context.caller.user, meta);
    // What this request declares, not what earlier ones did.
    session.sampling = meta.sampling;
    session.elicitation = meta.elicitation;
    // What this request asked for (the context is its own, moved here from the endpoint).
    context.logLevel = meta.logLevel;
    if (!meta.traceparent.empty()) context.traceparent = meta.traceparent;
    context.sessionId = session.threadId.substr(std::char_traits<char>::length(kThreadPrefix));
    // `done` after `completed`; taken once, on the one path a request goes.
    auto answer = [this, &done](std::string extra) {
        return [this, done = std::move(done), extra = std::move(extra)](McpFaceReply r) {
            r.json = completed(std::move(r.json), extra, serverInfoJson_);
            done(std::move(r));
        };
    };
    // Cancelled by closing its stream, or by notifications/cancelled naming its id (stdio through the bridge).
    const std::string canceller = "modern/" + context.caller.user;
    if (method == "tools/list" || method == "resources/list" || method == "resources/templates/list" || method == "prompts/list") {
        const What what = method == "tools/list"       ? What::Tools
                          : method == "resources/list" ? What::Resources
                          : method == "prompts/list"   ? What::Prompts
                                                       : What::ResourceTemplates;
        reply.json = list(profile, what, id, params);
        return answer(ttl())(std::move(reply));
    }
    if (method == "tools/call" || method == "prompts/get" || method == "resources/read") { // what may ask the agent (MRTR)
        // A read's result may be kept (not a retry's: it depends on the answers given).
        const bool cacheable = method == "resources/read" && !params->has("requestState") && !params->has("inputResponses");
        auto finish = inFlight(canceller, id, context.cancel, answer(cacheable ? ",\"ttlMs\":0,\"cacheScope\":\"private\"" : ""));
        if (params->has("requestState")) return continueCall(method, params, id, context, std::move(finish));
        return relayed(method, params, id, session, context, std::move(finish));
    }
    if (method == "completion/complete")
        return passOn(method, params, id, session, context, Asker(), inFlight(canceller, id, context.cancel, answer("")));
    if (method == "subscriptions/listen") return listen(params, id, profile, context, inFlight(canceller, id, context.cancel, std::move(done)));
    const bool ofOldEra = method == "ping" || method == "logging/setLevel" || method == "resources/subscribe" ||
                          method == "resources/unsubscribe" || method == "initialize";
    refuse(ModernRefusal{ModernRefusal::Kind::NoSuchMethod, kMethodNotFound,
                         ofOldEra ? "Method not found: " + method + " is not part of " + meta.protocolVersion +
                                        (method == "logging/setLevel" ? " (a request's _meta names its log level)"
                                         : method == "ping"           ? ""
                                         : method == "initialize"     ? " (send it without _meta for a 2025 session)"
                                                                      : " (subscriptions/listen names the resources)")
                                  : "Method not found: '" + method + "' is not offered by this server (it offers tools, resources, prompts, completions, "
                                                                     "server/discover and subscriptions/listen)",
                         ""});
}

McpServerFace::Session McpServerFace::conversation(const std::string& profile, const std::string& user, const ModernMeta& meta) {
    std::string key;
    key.reserve(profile.size() + user.size() + meta.clientName.size() + meta.clientVersion.size() + 3);
    key.append(profile).append(1, '\n').append(user).append(1, '\n').append(meta.clientName).append(1, '\n').append(meta.clientVersion);
    const auto now = nowUnixUs();
    {
        std::lock_guard lock(mutex_);
        auto known = conversations_.find(key);
        if (known != conversations_.end()) {
            auto it = sessions_.find(known->second);
            if (it != sessions_.end() && now - it->second.lastUsedUs < std::chrono::microseconds(kConversationIdle).count()) {
                it->second.lastUsedUs = now;
                return it->second;
            }
            conversations_.erase(known);
        }
    }
    Session session;
    session.modern = true;
    session.profile = profile;
    session.user = user;
    session.protocolVersion = meta.protocolVersion;
    session.client = agentName(meta.clientName);
    session.clientName = meta.clientName;
    session.clientVersion = meta.clientVersion;
    session.lastUsedUs = now;
    const std::string sessionId = records::randomUuid();
    session.threadId = kThreadPrefix + sessionId;
    admit(sessionId, session);
    {
        std::lock_guard lock(mutex_);
        conversations_[key] = sessionId;
    }
    logging::get("mcp")->info("MCP client '{}' {} ({}, no session): its requests are steps of thread {}", session.client, meta.clientVersion,
                              meta.protocolVersion, session.threadId);
    return session;
}

void McpServerFace::relayed(const std::string& method, const Poco::JSON::Object::Ptr& params, const std::string& id, const Session& session,
                            const McpRequestContext& context, std::function<void(McpFaceReply)> done) {
    // An agent that declared neither sampling nor elicitation is asked nothing (the server hears why):
    // no retry carries the call on, so it needs no relay, and the request's own signal cancels it.
    if (!session.sampling && !session.elicitation) {
        if (method == "tools/call") return toolsCall(params, id, session, context, Asker(), std::move(done));
        return passOn(method, params, id, session, context, Asker(), std::move(done));
    }
    auto relay = std::make_shared<Relay>(); // its requestState is made when the server first asks something
    relay->user = context.caller.user;
    relay->method = method;
    relay->name = json::stringMember(params, method == "resources/read" ? "uri" : "name"); // as the agent names it
    relay->firstId = id;
    relay->waiting = std::move(done);
    relay->waitingId = id;
    // This request going away cancels the call upstream (so does each retry's, while it waits). The
    // action names its signal by address: it runs inside that signal's cancel(), and a shared_ptr to
    // itself would keep the signal, the relay and the connection alive for ever.
    if (context.cancel) context.cancel->onCancel([relay, cancel = context.cancel.get()] { relay->cancel->cancel(cancel->reason()); });
    McpRequestContext call = context;
    call.cancel = relay->cancel;
    Asker asker = [this, weak = std::weak_ptr<Relay>(relay)](const std::string& method, const std::string& paramsJson,
                                                             std::function<void(const std::string&)> answer) {
        auto relay = weak.lock();
        if (!relay) return answer("\"error\":{\"code\":" + std::to_string(kInternalError) + ",\"message\":\"the agent's call has ended\"}");
        std::function<void(McpFaceReply)> waiting;
        McpFaceReply reply;
        {
            std::lock_guard lock(mutex_);
            relay->pending["mc-ask-" + std::to_string(++nextAsk_)] = Relay::Question{method, paramsJson, std::move(answer)};
            if (!relay->waiting) return; // sent with the next input_required, when the agent's retry comes
            waiting.swap(relay->waiting);
            reply.json = inputRequired(relay);
        }
        waiting(std::move(reply));
    };
    auto finish = [this, relay](McpFaceReply reply) {
        std::function<void(McpFaceReply)> waiting;
        {
            std::lock_guard lock(mutex_);
            if (!relay->state.empty()) relays_.erase(relay->state);
            if (!relay->waiting) { // the agent has not retried yet: its retry gets it
                relay->finished = std::move(reply);
                relays_[relay->state] = relay;
                return;
            }
            waiting.swap(relay->waiting);
            reply.json = reIdentified(std::move(reply.json), relay->firstId, relay->waitingId);
        }
        waiting(std::move(reply));
    };
    if (method == "tools/call") toolsCall(params, id, session, call, std::move(asker), std::move(finish));
    else passOn(method, params, id, session, call, std::move(asker), std::move(finish));
}

// Under mutex_: the input_required result of what the agent has not answered yet; the relay waits for
// its retry (kInputWait at most).
std::string McpServerFace::inputRequired(const std::shared_ptr<Relay>& relay) {
    if (relay->state.empty()) relay->state = records::randomUuid();
    relay->asked.merge(relay->pending);
    std::string requests;
    for (const auto& [key, question] : relay->asked)
        requests += (requests.empty() ? "" : ",") + json::quote(key) + ":{\"method\":" + json::quote(question.method) +
                    ",\"params\":" + question.paramsJson + "}";
    relays_[relay->state] = relay;
    const auto round = ++relay->round;
    gateway_.schedule(kInputWait, [this, state = relay->state, round] { expire(state, round); });
    return result(relay->waitingId, "{\"resultType\":\"input_required\",\"inputRequests\":{" + requests + "},\"requestState\":" +
                                        json::quote(relay->state) + "}");
}

void McpServerFace::expire(const std::string& state, std::uint64_t round) {
    std::shared_ptr<Relay> relay;
    std::map<std::string, Relay::Question> unanswered; // taken under the lock: the server may still be asking
    {
        std::lock_guard lock(mutex_);
        auto it = relays_.find(state);
        if (it == relays_.end() || it->second->round != round || it->second->waiting) return; // carried on since
        relay = it->second;
        relays_.erase(it);
        unanswered.swap(relay->asked);
        unanswered.merge(relay->pending);
        relay->pending.clear();
    }
    const std::string why = "the agent did not carry the request on within " + std::to_string(kInputWait.count()) + " min";
    for (auto& [key, question] : unanswered)
        question.answer("\"error\":{\"code\":" + std::to_string(kInternalError) + ",\"message\":" + json::quote(why) + "}");
    relay->cancel->cancel(why);
}

void McpServerFace::continueCall(const std::string& method, const Poco::JSON::Object::Ptr& params, const std::string& id,
                                 const McpRequestContext& context, std::function<void(McpFaceReply)> done) {
    McpFaceReply reply;
    const auto stateVar = params->get("requestState");
    if (!stateVar.isString()) {
        reply.json = invalidState(id, "it must be the string the input_required result gave");
        return done(std::move(reply));
    }
    const auto responses = params->getObject("inputResponses");
    std::vector<std::pair<std::function<void(const std::string&)>, std::string>> answers;
    std::shared_ptr<Relay> relay;
    {
        std::lock_guard lock(mutex_);
        auto it = relays_.find(stateVar.extract<std::string>());
        const std::string name = json::stringMember(params, method == "resources/read" ? "uri" : "name");
        if (it == relays_.end() || it->second->user != context.caller.user || it->second->method != method || it->second->name != name) {
            reply.json = invalidState(id, "no " + method + " of '" + name + "' by '" + context.caller.user +
                                              "' waits for it (it ended, expired, or is another's)");
        } else if (it->second->waiting) {
            reply.json = invalidState(id, "another request carries that call on already");
        } else {
            relay = it->second;
            for (auto question = relay->asked.begin(); question != relay->asked.end();) {
                if (!responses || !responses->has(question->first)) { // asked again below
                    ++question;
                    continue;
                }
                answers.emplace_back(std::move(question->second.answer), "\"result\":" + json::stringify(responses->get(question->first)));
                question = relay->asked.erase(question);
            }
            relay->waiting = std::move(done);
            relay->waitingId = id;
            if (relay->finished) { // the call ended meanwhile: this is its answer
                reply = std::move(*relay->finished);
                reply.json = reIdentified(std::move(reply.json), relay->firstId, id);
                relays_.erase(it);
                done = std::move(relay->waiting);
            } else if (!relay->asked.empty() || !relay->pending.empty()) {
                reply.json = inputRequired(relay);
                done = std::move(relay->waiting);
            }
        }
    }
    for (auto& [answer, member] : answers) answer(member);
    if (done) return done(std::move(reply));
    // Waiting for the server's next question or its answer; this request going away cancels the call.
    if (context.cancel) context.cancel->onCancel([relay, cancel = context.cancel.get()] { relay->cancel->cancel(cancel->reason()); });
}

void McpServerFace::listen(const Poco::JSON::Object::Ptr& params, const std::string& id, const McpProfile& profile,
                           const McpRequestContext& context, std::function<void(McpFaceReply)> done) {
    McpFaceReply reply;
    if (!context.notify) {
        reply.outcome = McpFaceReply::Outcome::Rejected;
        reply.json = error(id, kInvalidRequest, "subscriptions/listen answers with an event stream: send Accept: text/event-stream");
        return done(std::move(reply));
    }
    const auto filter = params->getObject("notifications");
    if (!filter) {
        reply.json = error(id, kInvalidParams,
                           "subscriptions/listen needs params.notifications (toolsListChanged, promptsListChanged, resourcesListChanged, "
                           "resourceSubscriptions)");
        return done(std::move(reply));
    }
    auto listener = std::make_shared<Listener>();
    listener->idJson = id;
    listener->profile = profile.name;
    auto flag = [&](const char* name) {
        const auto value = filter->has(name) ? filter->get(name) : Poco::Dynamic::Var();
        return value.isBoolean() && value.extract<bool>();
    };
    listener->tools = flag("toolsListChanged");
    listener->prompts = flag("promptsListChanged");
    listener->resources = flag("resourcesListChanged");
    listener->notify = context.notify;
    listener->keepAlive = context.keepAlive;
    listener->done = std::move(done);
    // Resources by URI as the client names them: those a server here offers and the policy lets it read.
    std::vector<std::pair<std::shared_ptr<McpConnection>, std::pair<std::string, std::string>>> resources; // (server, (original, asked))
    if (const auto uris = filter->getArray("resourceSubscriptions"))
        for (std::size_t i = 0; i < uris->size(); ++i) {
            const auto uri = uris->get(static_cast<unsigned>(i));
            if (!uri.isString()) continue;
            const auto found = resolveUri(profile, uri.extract<std::string>());
            if (!found) continue;
            if (!gateway_.checkRead(context.caller.user, context.caller.role, found->first->id(), "resources/subscribe", "resource:" + found->second, "")
                     .granted)
                continue;
            resources.emplace_back(found->first, std::make_pair(found->second, uri.extract<std::string>()));
        }
    std::vector<std::pair<std::shared_ptr<McpConnection>, std::string>> firstSubscribers;
    {
        std::lock_guard lock(mutex_);
        listener->key = "listen-" + std::to_string(++nextListener_);
        listeners_[listener->key] = listener;
        for (const auto& [connection, uri] : resources) {
            auto& subscribers = subscriptions_[{connection->id(), uri.first}];
            if (subscribers.empty()) firstSubscribers.emplace_back(connection, uri.first);
            subscribers[listener->key] = uri.second;
        }
    }
    for (const auto& [connection, original] : firstSubscribers) tellServer(connection, true, original);
    std::string honored;
    auto honor = [&](bool on, const char* name) {
        if (on) honored += std::string(honored.empty() ? "" : ",") + "\"" + name + "\":true";
    };
    honor(listener->tools, "toolsListChanged");
    honor(listener->prompts, "promptsListChanged");
    honor(listener->resources, "resourcesListChanged");
    if (!resources.empty()) {
        std::string uris;
        for (const auto& [connection, uri] : resources) uris += (uris.empty() ? "" : ",") + json::quote(uri.second);
        honored += std::string(honored.empty() ? "" : ",") + "\"resourceSubscriptions\":[" + uris + "]";
    }
    // The acknowledgement comes first; nothing else precedes it on the stream.
    context.notify("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/subscriptions/acknowledged\",\"params\":{\"notifications\":{" + honored +
                   "},\"_meta\":{\"" + kSubscriptionId + "\":" + id + "}}}");
    if (context.cancel) context.cancel->onCancel([this, key = listener->key] { endListener(key); });
}

void McpServerFace::endListener(const std::string& key) {
    std::shared_ptr<Listener> listener;
    {
        std::lock_guard lock(mutex_);
        auto it = listeners_.find(key);
        if (it == listeners_.end()) return;
        listener = it->second;
        listeners_.erase(it);
    }
    dropSubscriptions(key);
    McpFaceReply reply;
    reply.json = result(listener->idJson, std::string("{\"resultType\":\"complete\",\"_meta\":{\"") + kSubscriptionId + "\":" + listener->idJson + "}}");
    listener->done(std::move(reply));
}

void McpServerFace::notifyListener(const Listener& listener, const std::string& method, const std::string& members) {
    listener.notify("{\"jsonrpc\":\"2.0\",\"method\":" + json::quote(method) + ",\"params\":{" + members + (members.empty() ? "" : ",") +
                    "\"_meta\":{\"" + kSubscriptionId + "\":" + listener.idJson + "}}}");
}

void McpServerFace::tellListeners(const std::string& mcpId, const std::vector<const char*>& lists) {
    std::vector<std::shared_ptr<Listener>> listeners;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [key, listener] : listeners_)
            if (profiles_.at(listener->profile).offersServer(mcpId)) listeners.push_back(listener);
    }
    for (const auto& listener : listeners)
        for (const std::string list : lists)
            if ((list == "tools" && listener->tools) || (list == "prompts" && listener->prompts) || (list == "resources" && listener->resources))
                notifyListener(*listener, "notifications/" + list + "/list_changed", "");
}

void McpServerFace::endStreams() {
    streams_.endAll();
    std::vector<std::string> keys;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [key, listener] : listeners_) keys.push_back(key);
    }
    for (const auto& key : keys) endListener(key);
}

std::size_t McpServerFace::streamCount() const {
    std::lock_guard lock(mutex_);
    return streams_.openCount() + listeners_.size();
}

void McpServerFace::keepListenersAlive() {
    std::vector<std::function<void()>> keepAlives;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [key, listener] : listeners_)
            if (listener->keepAlive) keepAlives.push_back(listener->keepAlive);
    }
    for (const auto& keepAlive : keepAlives) keepAlive();
}

} // namespace mc::host
