#pragma once
// The host as an MCP server: agents point their MCP configuration at it and see one server whose
// tools are those of every MCP server the gateway is connected to, named "<server>__<tool>". Each call
// goes through the gateway (permission policy, timeouts, metrics, exported spans) and is recorded as
// a step of the MCP session's thread, or of the agent's own thread when its telemetry reports the same
// call (CallJoiner.h).
//
// Besides tools, it aggregates the servers' resources, resource templates and prompts, and passes
// resources/read, prompts/get and completion/complete on to the server that offers what they name
// (McpNames.h: how names and URIs are made unique and mapped back). A profile (/mcp/<profile>,
// McpProfiles.h) offers a subset.
//
// This is the protocol core, independent of HTTP (api/McpEndpointApi.cpp binds it to /mcp), in both
// eras of the specification, chosen per request:
// - 2025 (2025-11-25, 2025-06-18, 2025-03-26): initialize and its session, ping, the lists, the calls,
//   notifications; each session's stream of messages to the client (SessionStreams.h): list_changed
//   when what its servers offer changes, their log messages at the level the session set.
// - 2026-07-28 (McpServerFaceModern.cpp): no session; each request says who and what in its _meta
//   (ModernRequest.h); server/discover; subscriptions/listen streams; a server's question to the agent
//   comes back as an input_required result the agent answers by retrying (MRTR).
// One JSON-RPC message in, one reply out (and messages about the request before it, on its stream).
#include "gateway/McpGateway.h"
#include "ingest/IngestService.h"
#include "mcpserver/CallJoiner.h"
#include "mcpserver/McpNames.h"
#include "mcpserver/McpProfiles.h"
#include "mcpserver/ModernRequest.h"
#include "mcpserver/SessionStreams.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mc::host {

// Who is calling, as the web layer authenticated them.
struct McpCaller {
    std::string user;
    std::string role;
};

// What the web layer read of a request besides its body: the headers MCP defines, and who is calling.
struct McpRequestContext {
    std::string sessionId;       // Mcp-Session-Id ("" when absent)
    std::string protocolVersion; // MCP-Protocol-Version ("" when absent)
    std::string traceparent;     // W3C trace context (Claude Code sends it as this header, not in _meta)
    std::string profile;         // /mcp/<profile>; "" for /mcp
    ModernHeaders modern;        // MCP-Protocol-Version, Mcp-Method, Mcp-Name as sent (2026-07-28 checks them)
    McpCaller caller;
    std::shared_ptr<CancelSignal> cancel; // fired when the client goes away before its answer: its call is cancelled upstream
    // The request's own stream: a JSON-RPC message about it (progress) to send before its answer, from
    // any thread; empty when the client takes no event stream.
    std::function<void(const std::string& message)> notify;
    // Keeps the request's stream open through quiet time (an SSE comment); empty when notify is.
    std::function<void()> keepAlive;
    // Set by the face for a request of the new era: the log level its _meta asked for ("": none).
    std::string logLevel;
};

struct McpFaceReply {
    enum class Outcome {
        Answer,         // `json` is the JSON-RPC response
        Accepted,       // a notification or a client's response: nothing to answer
        Malformed,      // `json` is a JSON-RPC error (parse error, invalid request) with a null id
        MissingSession, // a request other than initialize without the session id (`message` says)
        UnknownSession, // a session id this host does not know (ended, expired or never issued), or of another profile
        BadVersion,     // an MCP-Protocol-Version this host does not speak
        UnknownProfile, // /mcp/<profile> names no configured profile
        Rejected,       // 2026-07-28: `json` is the JSON-RPC error of a request refused as sent (headers, _meta, version)
        NoSuchMethod    // 2026-07-28: `json` is the JSON-RPC error of a method this era does not have
    };
    Outcome outcome = Outcome::Answer;
    std::string json;
    std::string sessionId; // initialize: the new session's id
    std::string message;
};

class McpServerFace {
public:
    static constexpr const char* kSeparator = McpNames::kSeparator;
    McpServerFace(McpGateway& gateway, IngestService& ingest, std::size_t maxSessions, std::string version);

    // Set before the first request: the profiles (readMcpProfiles; "" is /mcp). Without it, /mcp alone,
    // every name prefixed.
    void setProfiles(std::map<std::string, McpProfile> profiles) {
        profiles_ = std::move(profiles);
        std::lock_guard lock(toolNamesMutex_);
        toolNames_.clear();
    }
    bool hasProfile(const std::string& name) const { return profiles_.count(name) > 0; }
    // Set before the first request: items per page of the lists (0: one page).
    void setPageSize(std::size_t items) { pageSize_ = items; }
    // Set before the first request: how long a client of the new era may keep a list (its ttlMs).
    void setListTtl(std::chrono::milliseconds ttl) { listTtl_ = ttl; }
    // A client of the new era that sends nothing for this long starts a new thread with its next request.
    static constexpr std::chrono::minutes kConversationIdle{30};
    // How long a call whose server asked the agent something waits for the agent's retry (MRTR).
    static constexpr std::chrono::minutes kInputWait{5};

    // One message (the body of a POST) with its request's headers. `done` runs once, at once or when a
    // tool call completes (on a gateway thread).
    void handle(const std::string& body, McpRequestContext request, std::function<void(McpFaceReply)> done);
    // DELETE: the client ends its session. False when it is not known (under this profile).
    bool endSession(const std::string& sessionId, const std::string& profile = "");

    // The session's stream (GET): nullopt when `context` names a session of `context.profile` in a
    // version this server speaks, else the refusal to answer with.
    std::optional<McpFaceReply> streamRefusal(const McpRequestContext& context) const;
    // Attaches the stream the web layer opened to the session; 0 when the session ended meanwhile
    // (the stream is not kept). `lastEventId`: the Last-Event-ID header ("" when absent).
    std::uint64_t attachStream(const std::string& sessionId, SessionStreams::Stream stream, const std::string& lastEventId);
    // The stream's client went away.
    void detachStream(const std::string& sessionId, std::uint64_t token) { streams_.detach(sessionId, token); }
    // The host stops: every stream ends (and none opens after), subscriptions/listen ones with their result.
    void endStreams();
    // Keeps idle streams alive (SessionStreams::keepAlive) every kKeepAliveInterval, on the gateway's
    // timer, from now until the gateway stops.
    void keepStreamsAlive();
    static constexpr std::chrono::seconds kKeepAliveInterval{30};
    std::size_t streamCount() const;
    // For the gateway (McpGateway::setServerListener): what servers change and log reaches the sessions.
    McpServerListener serverListener();
    std::size_t sessionCount() const;
    // How long an HTTP reply may wait for handle(): the longest tool call, and a margin.
    std::chrono::milliseconds replyDeadline() const { return gateway_.settings().maxToolTimeout + std::chrono::seconds(10); }

    // Set before the first request, when a receiver takes agents' telemetry: calls that carry the
    // agent's id of the call join the agent's own record of them (CallJoiner.h).
    void setJoiner(CallJoiner* joiner) { joiner_ = joiner; }
    // The joiner's verdict on a session thread: its agent does not report its calls, so they are
    // recorded in the session's thread at once from now on.
    void stopJoining(const std::string& threadId);
    static constexpr const char* kThreadPrefix = "T-mcp-";

    // The protocol versions answered, newest first.
    static const std::vector<std::string>& versions();
    // A tool's name as /mcp<profile> offers it -> (server, tool) among the connected servers' tools;
    // nullopt when none has it.
    std::optional<std::pair<std::string, std::string>> resolve(const std::string& exposed, const std::string& profile = "") const;

private:
    // Who answers the server's questions during an agent's request; empty when the agent answers none.
    using Asker = std::function<void(const std::string& method, const std::string& paramsJson, std::function<void(const std::string&)> answer)>;
    // What the connected servers a profile includes offer, of one kind, with the names it offers them by.
    enum class What { Tools, Resources, ResourceTemplates, Prompts };
    struct Offer {
        std::shared_ptr<McpConnection> connection;
        Poco::JSON::Object::Ptr item; // the server's object, shared: copy before changing (null when only names were asked for)
    };
    struct Offers {
        std::vector<Offer> offers;
        std::shared_ptr<const McpNames> names; // names->exposed(i) for offers[i]; "" when not offered
    };
    Offers offers(const McpProfile& profile, What what, bool withItems) const;
    // One page of a list: from `cursor` ("" the first), nextCursor when more follow.
    std::string list(const McpProfile& profile, What what, const std::string& id, const Poco::JSON::Object::Ptr& params) const;
    // The server and original URI a resources/read names (wrapped, listed, or matching a template).
    std::optional<std::pair<std::shared_ptr<McpConnection>, std::string>> resolveUri(const McpProfile& profile, const std::string& uri) const;

    struct Session {
        std::string profile;
        std::string protocolVersion;
        std::string client;   // clientInfo.name as a thread's mcp_id
        std::string clientName, clientVersion; // clientInfo as sent
        std::string user;     // who initialized it (the API's principal)
        std::string threadId; // the thread its calls are steps of (written with its first step)
        bool joins = true;    // its calls wait to join the agent's telemetry (until one finds none)
        std::string logLevel; // logging/setLevel: the servers' messages from this level up ("": none)
        bool sampling = false, elicitation = false; // the client's capabilities: it answers the servers' requests
        long long lastUsedUs = 0;
        bool modern = false; // a client of the new era's run of requests (no session of its own: not usable as one)
    };
    // Admits a session (the least recently used one goes when there are too many).
    void admit(const std::string& sessionId, const Session& session);
    // The initialize result's and server/discover's capabilities.
    static std::string capabilitiesJson();
    // clientInfo.name as a thread's mcp_id: what the record model accepts.
    static std::string agentName(std::string name);
    static std::string instructions();

    // The new era (McpServerFaceModern.cpp).
    void handleModern(const std::string& method, const std::string& id, const Poco::JSON::Object::Ptr& params, const McpProfile& profile,
                      McpRequestContext context, std::function<void(McpFaceReply)> done);
    // The thread a client of the new era's requests are steps of: one per profile, user and client
    // (name and version), until it is idle for kConversationIdle.
    Session conversation(const std::string& profile, const std::string& user, const ModernMeta& meta);
    std::map<std::string, std::string> conversations_; // key -> session id
    std::chrono::milliseconds listTtl_{10000};
    // subscriptions/listen: the stream stays open with the notifications it opted in to.
    struct Listener;
    void listen(const Poco::JSON::Object::Ptr& params, const std::string& id, const McpProfile& profile, const McpRequestContext& context,
                std::function<void(McpFaceReply)> done);
    // Ends a listen stream with its result (the client went away: it reads nothing, nothing is lost).
    void endListener(const std::string& key);
    // One notification to a listen stream, stamped with its subscription id; `members` go in its params.
    void notifyListener(const Listener& listener, const std::string& method, const std::string& members);
    // Notifications to the listeners of a server's changes.
    void tellListeners(const std::string& mcpId, const std::vector<const char*>& lists);
    std::map<std::string, std::shared_ptr<Listener>> listeners_; // by key "listen-<n>" (its key in subscriptions_ too)
    std::uint64_t nextListener_ = 0;
    // A server's log messages while a request of the new era that asked for them waits for it.
    struct LogWatch {
        std::string mcpId;
        std::string level;
        std::function<void(const std::string&)> notify;
    };
    std::map<std::uint64_t, LogWatch> logWatches_;
    std::uint64_t nextLogWatch_ = 0;
    // Watches `mcpId`'s log messages for the request (0: it asked for none); unwatch when it is answered.
    std::uint64_t watchLogs(const std::string& mcpId, const McpRequestContext& context);
    void unwatchLogs(std::uint64_t token);
    // A request of the new era whose server asked the agent something (MRTR): it goes on upstream
    // while the agent answers and retries with the requestState it was given.
    struct Relay;
    std::map<std::string, std::shared_ptr<Relay>> relays_; // by requestState
    // Under mutex_: the input_required result asking what the relay's agent has not answered.
    std::string inputRequired(const std::shared_ptr<Relay>& relay);
    // A relay whose agent did not retry within kInputWait of round `round`: its questions fail, its call is cancelled.
    void expire(const std::string& state, std::uint64_t round);
    void keepListenersAlive();
    // A retry carrying a requestState: its answers go to the server, and it waits for what comes next.
    void continueCall(const std::string& method, const Poco::JSON::Object::Ptr& params, const std::string& id,
                      const McpRequestContext& context, std::function<void(McpFaceReply)> done);
    std::string initialize(const Poco::JSON::Object& params, const std::string& id, McpFaceReply& reply);
    // False with `reply` filled when the request's version or session is not acceptable here.
    bool sessionAccepted(const McpRequestContext& context, McpFaceReply& reply) const;
    void serverChanged(const std::string& mcpId, const std::string& change);
    void serverLogged(const std::string& mcpId, const std::string& level, const std::string& paramsJson);
    void resourceUpdated(const std::string& mcpId, const std::string& uri);
    // resources/subscribe and resources/unsubscribe: passed on to the server the URI is of; the session
    // hears notifications/resources/updated on its stream, by the URI it subscribed with.
    void subscription(bool subscribe, const Poco::JSON::Object::Ptr& params, const std::string& id, const std::string& sessionId,
                      const Session& session, const McpCaller& caller, std::function<void(McpFaceReply)> done);
    // Tells the server (un)subscribe of one of its URIs; nobody waits for the answer.
    void tellServer(const std::shared_ptr<McpConnection>& connection, bool subscribe, const std::string& uri);
    // The session's subscriptions end with it; a URI nobody subscribes to any more is unsubscribed upstream.
    void dropSubscriptions(const std::string& sessionId);
    // The sessions whose profile offers `mcpId`, with their log levels.
    std::vector<std::pair<std::string, std::string>> sessionsOffering(const std::string& mcpId) const;
    void toolsCall(const Poco::JSON::Object::Ptr& params, const std::string& id, const Session& session,
                   const McpRequestContext& context, std::function<void(McpFaceReply)> done);
    // New era: tools/call, prompts/get or resources/read, whose server's questions become input_required
    // results (MRTR); its final answer is the answer to the agent's last retry.
    void relayed(const std::string& method, const Poco::JSON::Object::Ptr& params, const std::string& id, const Session& session,
                 const McpRequestContext& context, std::function<void(McpFaceReply)> done);
    void toolsCall(const Poco::JSON::Object::Ptr& params, const std::string& id, const Session& session,
                   const McpRequestContext& context, Asker asker, std::function<void(McpFaceReply)> done);
    // The session thread's execution_context: the client, the user, the endpoint and the protocol version.
    static std::string threadContext(const Session& session);
    // The session's thread opened (with the agent's name and context) unless it is known already.
    void openSessionThread(const Session& session);
    // resources/read, prompts/get, completion/complete: passed on to the server what they name is of.
    void passOn(const std::string& method, const Poco::JSON::Object::Ptr& params, const std::string& id, const Session& session,
                const McpRequestContext& context, std::function<void(McpFaceReply)> done);
    void passOn(const std::string& method, const Poco::JSON::Object::Ptr& params, const std::string& id, const Session& session,
                const McpRequestContext& context, Asker asker, std::function<void(McpFaceReply)> done);
    // The 2025 era's asker: the server's question on the request's own stream, with an id of the host's.
    Asker streamAsker(const McpRequestContext& context, const Session& session);
    // `asker` behind the check that the agent declared the capability a question needs; or why the
    // agent cannot be asked anything (the server hears it when no other agent could be).
    struct Questions {
        ToolCallRequest::ServerRequestHandler handler;
        std::string cannotAnswer;
    };
    static Questions serverRequests(const Session& session, Asker asker);
    // The server's progress to the agent under its own _meta.progressToken (empty when it asked for none).
    static std::function<void(const std::string&)> progressTo(const McpRequestContext& context, const Poco::JSON::Object::Ptr& params);

    McpGateway& gateway_;
    IngestService& ingest_;
    const std::size_t maxSessions_;
    const std::string version_;
    const std::string serverInfoJson_; // the new era's _meta serverInfo, on every result: {"name":"mission-control","version":…}
    CallJoiner* joiner_ = nullptr;
    std::size_t pageSize_ = 0;
    std::map<std::string, McpProfile> profiles_{{"", McpProfile{}}};
    // The exposed tool names of a profile, made again only when a server it offers comes, goes or lists
    // other tools (a tools/call resolves its name here: naming every tool for each call cost a fifth
    // of the host's time on the call's way in).
    // The tool lists of the connected servers a profile includes, in the gateway's order: one snapshot
    // that a list's items and their names are both made from.
    struct ToolBasis {
        std::vector<std::shared_ptr<McpConnection>> connections;
        std::vector<McpConnection::Offerings> tools; // immutable snapshots, one per connection
    };
    ToolBasis toolBasis(const McpProfile& profile) const;
    struct ToolNames {
        std::vector<McpConnection::Offerings> basis; // the tool lists named
        std::shared_ptr<const McpNames> names;
    };
    // The names of the tools in `basis` the profile offers, in order (cached by profile while the basis holds).
    std::shared_ptr<const McpNames> toolNames(const McpProfile& profile, const ToolBasis& basis) const;
    mutable std::mutex toolNamesMutex_;
    mutable std::map<std::string, ToolNames> toolNames_; // by profile
    mutable std::mutex mutex_;
    std::map<std::string, Session> sessions_;
    std::map<std::string, bool> offering_; // by server: whether it was connected (offered) when last heard of
    // Requests waiting for their server, by session and JSON-RPC id (as echoed): notifications/cancelled names them.
    std::map<std::string, std::map<std::string, std::shared_ptr<CancelSignal>>> inFlight_;
    // `done` wrapped so that the request is in flight until it answers.
    std::function<void(McpFaceReply)> inFlight(const std::string& sessionId, const std::string& id,
                                               const std::shared_ptr<CancelSignal>& cancel, std::function<void(McpFaceReply)> done);
    void cancelled(const std::string& sessionId, const Poco::JSON::Object::Ptr& params);
    // A server's request (sampling, elicitation) asked of the agent, until it answers: by the id the host gave it.
    struct Ask {
        std::string sessionId;
        std::function<void(const std::string&)> answer; // the response's "result"/"error" member, to the server
    };
    std::map<std::string, Ask> asks_;
    // Subscribed resources by server and its URI: the sessions that subscribed, each with the URI it used.
    std::map<std::pair<std::string, std::string>, std::map<std::string, std::string>> subscriptions_;
    std::uint64_t nextAsk_ = 0;
    // The client's response to an Ask (a message with an id, without a method): to the server. False
    // when it answers nothing this session was asked.
    bool answered(const std::string& sessionId, const Poco::JSON::Object::Ptr& message);
    SessionStreams streams_;
};

} // namespace mc::host
