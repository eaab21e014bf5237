#pragma once
// One MCP server as the gateway sees it: a JSON-RPC 2.0 client over one connection on the transport
// plugin's instance (mc_transport_vtable open_connection/send/close_connection), the MCP lifecycle on
// top, health checks and reconnects with backoff. Both eras of MCP:
// - 2025 (up to 2025-11-25): initialize, notifications/initialized, logging/setLevel, ping.
// - 2026-07-28: no session. server/discover says what the server is; every request carries the
//   client's _meta (version, client, capabilities, log level); health is server/discover when the
//   server has been silent, lists are listed again when their ttlMs ends, and subscriptions/listen
//   carries list changes.
// Which one a server speaks is found per connection (mcp.servers.<id>.protocol, "auto": server/discover
// first, initialize when the answer is not of the new era), as the 2026-07-28 revision asks of clients.
//
// Threading: transport callbacks arrive on plugin threads and never block here (they take one short
// lock and run completions that only send). Opening and closing a transport, which may block, runs
// on the scheduler's workers under lifecycleMutex_, which no callback thread ever takes.
#include "gateway/GatewayScheduler.h"
#include "gateway/GatewaySettings.h"
#include "gateway/LogRateLimiter.h"
#include "gateway/McpCallRecord.h"
#include "gateway/McpServerConfig.h"
#include "gateway/RpcOutcome.h"
#include "gateway/TransportSet.h"
#include "gateway/WireLog.h"
#include "mc/json/Scan.h"
#include "mc/plugin_abi.h"
#include "util/OrderGate.h"
#include "util/CancelSignal.h"
#include "util/ReconnectBackoff.h"
#include "util/Refusal.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <spdlog/logger.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace mc::records {
struct TypedRecord;
} // namespace mc::records

namespace mc::host {

class EventRouter;
class PluginRegistry;

enum class McpStatus { Connecting, Connected, Disconnected };
const char* statusName(McpStatus status);


struct ToolCallRequest {
    std::string tool;
    std::string argumentsJson = "{}"; // a JSON object
    // The same arguments as the caller parsed them, when it did (read only): the call validates them
    // without parsing argumentsJson again. Empty: argumentsJson is parsed.
    Poco::JSON::Object::Ptr arguments;
    std::string threadId;             // optional, for events and logs
    std::string callId;               // the agent's own id of the call (Claude Code's tool_use_id), when it sent one
    std::string traceparent;          // the caller's W3C trace context (an agent's _meta.traceparent), when it sent one
    std::shared_ptr<CancelSignal> cancel; // when the caller may go away: cancelled, the call ends at once (outcome cancelled) and the server is told
    // The server's notifications/progress about this call, for the caller: {"progress"[,"total"][,"message"]}
    // as the server sent them; on a transport thread, must return at once.
    std::function<void(const std::string& progressJson)> onProgress;
    // A request the server makes while this call runs (sampling/createMessage, elicitation/create), for
    // the caller to answer: `answer` takes the response's `"result":{...}` or `"error":{...}` member,
    // once, from any thread. Empty: such requests are refused. `asker` names who answers (an MCP
    // session): a request is passed on only when the calls in flight on the server that can answer
    // are all the same asker's (over stdio nothing says which call a server's request is about).
    using ServerRequestHandler =
        std::function<void(const std::string& method, const std::string& paramsJson, std::function<void(const std::string&)> answer)>;
    ServerRequestHandler onServerRequest;
    std::string asker;
    // Why the caller cannot answer the server's requests (no onServerRequest): what the server is told
    // when this call is the only one in flight that could have been asked.
    std::string cannotAnswer;
    std::string user;                 // the caller (JWT subject, "anonymous" when auth is off)
    std::string role;                 // the caller's role name
    std::chrono::milliseconds timeout{60000};
    // When set: the call's tool_call event waits until the gate opens (`done`, the answer, does not);
    // the gateway opens it once it recorded the call's start, which it does after the call went out.
    std::shared_ptr<OrderGate> recordedStart;
};

// An agent's request other than a tool call, passed on as it is (resources/read, prompts/get,
// completion/complete): what McpConnection::forward takes, and what crosses a cluster to the owner.
struct PassedRequest {
    std::string method;
    std::string paramsJson = "{}"; // a JSON object, without _meta
    std::string target;            // what it is about (a URI, a prompt), for the exported span
    std::string threadId;
    std::string traceparent;
    std::chrono::milliseconds timeout{60000};
};

// What a tool call produced (the REST route and call_tool answer from it).
struct ToolCallOutcome {
    std::optional<Refusal> refusal; // empty when the call completed (a tool error is a completed call)
    std::string errorCode;    // empty when completed
    std::string message;      // the error's message
    std::string detailsJson = "{}";
    std::string resultJson;   // completed: {"content":[...],"isError":bool[,"structuredContent":{...}]}
    std::string outcome;      // ok, tool_error, unknown_mcp, unknown_tool, disconnected, timeout, invalid_arguments, mcp_error
    long long durationMs = 0;
};
using ToolCallCallback = std::function<void(ToolCallOutcome)>;

// A call that ended before a server saw it (no owner, the owner gone, no answer from the owner):
// outcome "timeout" for TimedOut, else "disconnected".
inline ToolCallOutcome refusedCall(Refusal refusal, std::string code, std::string message, std::string detailsJson = "{}") {
    ToolCallOutcome o;
    o.refusal = refusal;
    o.errorCode = std::move(code);
    o.outcome = refusal == Refusal::TimedOut ? "timeout" : "disconnected";
    o.message = std::move(message);
    o.detailsJson = std::move(detailsJson);
    return o;
}

// Who hears, besides the event stream, what servers change and log (the MCP endpoint's sessions).
// Both run on the thread that learnt it and must return at once.
struct McpServerListener {
    // "status" (connected, disconnected, ...), "tools_changed", "catalog_changed" (resources, templates
    // or prompts), "removed".
    std::function<void(const std::string& mcpId, const std::string& change)> changed;
    // A notifications/message of the server: its level and its params as it sent them (a JSON object).
    std::function<void(const std::string& mcpId, const std::string& level, const std::string& paramsJson)> logged;
    // A notifications/resources/updated of the server: the URI as it named it.
    std::function<void(const std::string& mcpId, const std::string& uri)> resourceUpdated;
};

class McpConnection : public std::enable_shared_from_this<McpConnection> {
public:
    struct Services {
        const GatewaySettings& settings;
        GatewayScheduler& scheduler;
        const TransportSet& transports;
        EventRouter& events;
        const McpCallSink& calls; // empty: requests are not reported
        const McpServerListener& listener;
    };
    // `origin`: "config" (host.properties) or "api" (POST /api/mcps).
    McpConnection(McpServerConfig config, std::string origin, Services services);
    ~McpConnection();
    McpConnection(const McpConnection&) = delete;
    McpConnection& operator=(const McpConnection&) = delete;

    void start();    // the first connection attempt, on a worker
    // The transport plugin `pluginId` was replaced or removed: when the current attempt is on its
    // instance, the connection drains (requests in flight end, for at most the request timeout; tool
    // calls and forwarded requests made meanwhile wait) and then reconnects at once, on whatever serves
    // its transport now; what waited runs there. `why` says so in the status history and the log.
    void leaveTransport(const std::string& pluginId, const std::string& why);
    // A transport plugin was added: a disconnected connection tries again now instead of after its backoff.
    void retryNow();
    void shutdown(); // closes the transport and stops every timer; nothing happens after it returns

    const McpServerConfig& config() const { return config_; }
    const std::string& id() const { return config_.id; }
    McpStatus status() const;
    // In a cluster: the host that connects this server ("" unknown); shown as "owner" in the summary.
    void setOwner(std::string hostId);
    std::vector<std::string> toolNames() const;
    // One item the server offers (a tool, resource, resource template or prompt): the member that names
    // it and the whole object as the server sent it, parsed once when listed and never changed after,
    // so that readers on any thread share it (copy it before changing anything).
    struct Offered {
        std::string key;
        Poco::JSON::Object::Ptr object;
    };
    using Offerings = std::shared_ptr<const std::vector<Offered>>;
    Offerings tools() const;

    // {"id","transport","endpoint","origin","status","last_seen","last_error","version","server_info",
    //  "protocol_version","tools":[names],"tool_count","connected_since","reconnect_attempts","next_retry_at"}
    std::string summaryJson() const;
    // The summary plus "tools":[full tool objects with inputSchema], "capabilities", "instructions", "log_level".
    std::string detailJson() const;

    // The protocol inspector: the messages to and from this server the ring still holds, newest first.
    std::vector<WireLog::Entry> messages(const WireLog::Query& query) const;

    // Forwards tools/call; `done` runs exactly once, on some gateway or transport thread.
    void callTool(ToolCallRequest request, ToolCallCallback done);

    // What a server offers besides tools, as it listed them at connect and after each list_changed:
    // each item the whole object it sent (a resource, a resource template, a prompt).
    enum class Catalog { Resources, ResourceTemplates, Prompts };
    Offerings catalog(Catalog which) const;
    // A cluster's view of what a server offers (cluster/ClusterService). On the host that connects it:
    // its lists as one JSON object {"tools":[...],"resources":[...],"resource_templates":[...],
    // "prompts":[...]}, each item as the server sent it, and a stamp that changes whenever a list does
    // ("" while not connected). On the other hosts: a mirror of those lists, offered by /mcp there
    // while this host is not connected to the server (its calls go to the owner).
    std::string catalogStamp() const;
    std::string catalogJson(std::string* stamp = nullptr) const; // `stamp`: the lists' stamp, read with them
    struct Mirror {
        std::string owner; // the host whose lists these are
        std::string stamp;
        std::array<Offerings, 4> lists; // tools, then resources, resource templates, prompts (Catalog + 1)
    };
    // Takes (or replaces) the mirror and tells the listener ("status" when the server starts being
    // offered here, else "tools_changed" and "catalog_changed").
    void mirror(Mirror mirror);
    // Forgets the mirror (only when it came from `owner`, when given) and tells the listener.
    void dropMirror(const std::string& owner = {});
    std::optional<std::pair<std::string, std::string>> mirrored() const; // (owner, stamp)
    // Connected here, or mirrored from the host that connects it: what /mcp offers.
    bool offered() const;
    // Whether the server declared the capability ("resources", "prompts", "completions", ...) at initialize.
    bool hasCapability(const std::string& name) const;
    // Passes one request of an agent's on as it is (resources/read, prompts/get, completion/complete):
    // `paramsJson` a JSON object; `target` names what it is about (a URI, a prompt) for the exported
    // span; `traceparent` the agent's, as for tools/call. `done` runs exactly once; a server that is not
    // connected answers Disconnected at once. `hooks`: what the caller hears while it runs, as a tool
    // call's caller does (ToolCallRequest::onProgress, onServerRequest, asker).
    struct RequestHooks {
        std::function<void(const std::string& progressJson)> onProgress;
        ToolCallRequest::ServerRequestHandler onServerRequest;
        std::string asker;
        std::string cannotAnswer; // as ToolCallRequest's
    };
    // resources/subscribe (or unsubscribe) of `uri`, in the server's era: the request in the 2025 era;
    // in the new era, which removed it, the URI added to (dropped from) the listen stream's
    // resourceSubscriptions and the stream opened again with the new set. `done` gets a result ({})
    // or why not (a server of the new era that does not declare resources.subscribe, not connected).
    void subscribeResource(const std::string& uri, bool subscribe, RpcCallback done);
    void forward(const std::string& method, const std::string& paramsJson, const std::string& target, const std::string& threadId,
                 const std::string& traceparent, std::chrono::milliseconds timeout, RpcCallback done,
                 const std::shared_ptr<CancelSignal>& cancel = nullptr, RequestHooks hooks = {});

    // The StructuredLog-shaped events this connection emits (for tests of the mapping): a log record,
    // built typed (routed without a JSON object or text round trip). The MCP's own level travels in
    // the context (the log record has no column for it). std::invalid_argument when it is not valid.
    static mc::records::TypedRecord logEvent(long long unixMicros, const std::string& level, const std::string& service,
                                             const std::string& mcpId, const std::string& message,
                                             const Poco::JSON::Object::Ptr& context, const std::string& mcpLevel);
    // notifications/message params -> (level, service, message, context JSON); exposed for tests.
    struct MappedLog {
        std::string level;
        std::string service;
        std::string message;
        Poco::JSON::Object::Ptr context; // the data object, when it is one (null otherwise)
        std::string mcpLevel;
    };
    static MappedLog mapLogNotification(const std::string& mcpId, const Poco::Dynamic::Var& params);

    // Checks `argumentsJson` against a tool's inputSchema (top level: required properties and JSON
    // types). Returns "" when acceptable, else the reason; `field` names the offending property.
    static std::string validateArguments(const std::string& inputSchemaJson, const Poco::Dynamic::Var& arguments,
                                         std::string& field);
    static std::string validateArguments(const Poco::JSON::Object::Ptr& inputSchema, const Poco::Dynamic::Var& arguments,
                                         std::string& field);

private:
    // A tool call's end: `done` (the caller's answer), then its tool_call event.
    // Answers the caller now; the call's tool_call event waits for `recordedStart` (its start's records) when given.
    void endToolCall(const std::string& tool, const std::string& threadId, const ToolCallCallback& done, ToolCallOutcome outcome,
                     const std::shared_ptr<OrderGate>& recordedStart);
    struct Link;
    struct Pending {
        std::string method;
        RpcCallback callback;
        std::chrono::steady_clock::time_point deadline;
    };
    // Under mutex_: removes a pending request, and its deadline.
    Pending takePendingLocked(std::map<std::int64_t, Pending>::iterator it);
    // Under mutex_: every pending request, their deadlines forgotten (the connection ends).
    std::map<std::int64_t, Pending> takeAllPendingLocked();
    // Expires the requests of `generation` whose deadline passed, then comes back for the next one:
    // one timer per connection instead of one per request.
    struct Tool {
        std::string name;
        std::string json;            // the whole tool object as the server sent it
        std::string inputSchemaJson; // "" when absent
        Poco::JSON::Object::Ptr object; // the same, parsed (never changed)
    };
    struct ProgressContext {
        std::string tool;
        std::string threadId;
        std::function<void(const std::string&)> onProgress;
        std::function<void(const std::string&, const std::string&, std::function<void(const std::string&)>)> onServerRequest;
        std::string asker;
        std::string cannotAnswer;
    };

    static void onMessageThunk(void* ctx, mc_str message);
    static void onLogThunk(void* ctx, mc_log_level level, mc_str line);
    static void onStatusThunk(void* ctx, mc_component_status status, mc_str message);
    static void onClosedThunk(void* ctx, mc_status reason, mc_str detail);
    static void onExchangeThunk(void* ctx, const mc_http_exchange* exchange);
    void handleExchange(std::uint64_t generation, const mc_http_exchange& exchange);

    void connect(std::uint64_t after = 0); // `after`: a retry of that attempt (ignored once another began)
    void dispose(const std::shared_ptr<Link>& link); // under lifecycleMutex_
    void handleMessage(std::uint64_t generation, const std::string& text);
    // An answer (an object without "method"), read by the scanner alone: its result goes on as text.
    void handleAnswer(std::uint64_t generation, std::string_view text, const mc::json::Scan& scanned);
    // One JSON-RPC message (a whole message, or an element of a batch): an answer or something asked.
    void handleObject(std::uint64_t generation, std::string_view text, const mc::json::Scan& scanned);
    // The server's request or notification (an object with a "method"): only its params are parsed
    // into a tree. False when its method is not a non-empty string or its params cannot be read.
    bool handleAsked(std::uint64_t generation, std::string_view text, const mc::json::Scan& scanned);
    // The pending request `id` answered, taken (false: none such, or of a connection that ended).
    bool takeAnswered(std::uint64_t generation, std::int64_t id, Pending& pending);
    void handleNotification(std::uint64_t generation, const std::string& method, const Poco::Dynamic::Var& params);
    void handleServerRequest(std::uint64_t generation, const std::string& idJson, const std::string& method,
                             const Poco::Dynamic::Var& params);
    void handleTransportLog(std::uint64_t generation, mc_log_level level, const std::string& line);
    void handleClosed(std::uint64_t generation, mc_status reason, const std::string& detail);
    void handleTransportStatus(std::uint64_t generation, mc_component_status status, const std::string& message);

    // JSON-RPC
    // What a request is for, beyond its method (reported to services_.calls).
    struct RequestLabels {
        std::string target;   // tools/call: the tool
        std::string threadId; // the thread the caller named
        std::string spanId;   // chosen by the caller (it sent them as a traceparent), or empty: chosen here
        std::string traceId;
        std::string parentSpanId; // the span of whoever asked for the call (an agent's traceparent), else the thread's
    };
    // `paramsJson`: a JSON object without _meta; `metaMembers`: the members of its _meta (object members
    // without braces, may be empty), to which the new era's own are added.
    void request(std::uint64_t generation, const std::string& method, const std::string& paramsJson,
                 std::chrono::milliseconds timeout, RpcCallback callback, std::int64_t* assignedId = nullptr,
                 const RequestLabels& labels = {}, const std::string& metaMembers = {});
    // `callback` wrapped so that its outcome is reported to services_.calls as an McpCallRecord.
    RpcCallback reported(std::int64_t id, const std::string& method, const RequestLabels& labels, RpcCallback callback);
    bool notify(std::uint64_t generation, const std::string& method, const std::string& paramsJson);
    bool sendRaw(std::uint64_t generation, const std::string& json, std::string* error = nullptr,
                 const WireLog::Label& label = WireLog::Label{});
    // Into the inspector's ring, and to protocol:<id> when someone watches.
    void inspect(WireLog::Direction direction, WireLog::Kind kind, const std::string& method, const std::string& idJson,
                 std::string_view json);
    void publishInspected(const WireLog::EntryPtr& entry);
    // gateway.capture: stores the entry when the mode asks for it (errors: with the request it answers).
    void capture(const WireLog::Entry& entry);
    void store(const WireLog::Entry& entry);
    // A request whose result may ask for input (the new era's input_required): the questions go to
    // `ask` (the caller's agent), and the request is sent again with their answers, up to a few rounds;
    // `done` gets the last outcome. Without `ask`, the outcome is an error saying why nobody answers.
    struct Resend {
        std::uint64_t generation = 0;
        std::string method, paramsJson, metaMembers;
        std::chrono::milliseconds timeout{0};
        RequestLabels labels;
        std::shared_ptr<CancelSignal> cancel;
        ToolCallRequest::ServerRequestHandler ask;
        std::string cannotAnswer;
        int round = 0;
        std::string answers; // params members of the last round's answers (inputResponses, requestState)
    };
    void requestAnswering(Resend resend, RpcCallback done);
    // A pending request ends without its answer: the server is told (notifications/cancelled, but never
    // for initialize) and its callback gets `kind` (Timeout or Cancelled) with `why`.
    void abandon(std::uint64_t generation, std::int64_t id, RpcOutcome::Kind kind, const std::string& why);
    void sweepDeadlines(std::uint64_t generation);
    // Under mutex_: the sweep's time moved to `deadline` when that is sooner (true: schedule it).
    bool sweepBy(std::chrono::steady_clock::time_point deadline);
    // When `cancel` fires, request `id` is abandoned as Cancelled.
    void cancelOn(const std::shared_ptr<CancelSignal>& cancel, std::uint64_t generation, std::int64_t id);

    // Lifecycle
    enum class Era { Unknown, Legacy, Modern };
    void beginHandshake(std::uint64_t generation);
    void sendInitialize(std::uint64_t generation);
    void onInitializeResult(std::uint64_t generation, RpcOutcome outcome);
    // `probing`: the era is not pinned, so an answer not of the new era means initialize.
    void onDiscoverResult(std::uint64_t generation, RpcOutcome outcome, bool probing);
    // What initialize or server/discover said of the server, taken; then the lists, then connected.
    void adoptServer(std::uint64_t generation, const Poco::JSON::Object::Ptr& result, Era era, const std::string& version);
    // New era: server/discover when the server has been silent for a health interval (a timeout
    // disconnects), lists listed again when their ttlMs ended and no listen stream tells of changes.
    void checkModernHealth(std::uint64_t generation);
    // New era: one subscriptions/listen for the list changes the server declares; opened again when it ends.
    void listen(std::uint64_t generation);
    // Ends the listen stream in flight (if any) and opens one with the current filter.
    void relisten(std::uint64_t generation);
    // Whether the server's capabilities declare capabilities.<capability>.<flag> = true.
    bool declaresLocked(const char* capability, const char* flag) const;
    std::chrono::milliseconds healthInterval() const; // under mutex_
    bool hasCapabilityLocked(const std::string& name) const; // under mutex_
    void listTools(std::uint64_t generation, bool duringHandshake, std::string cursor, std::vector<Tool> gathered,
                   int page);
    // Lists `which` (all pages), then `then` (on any outcome: a server that fails to list its resources
    // still serves its tools).
    void listCatalog(std::uint64_t generation, Catalog which, std::string cursor, std::vector<Offered> gathered, int page,
                     std::function<void()> then);
    // The catalogs the server's capabilities declare, one after the other, then `then`.
    void listCatalogs(std::uint64_t generation, std::function<void()> then);
    void applyLogLevel(std::uint64_t generation);
    void markConnected(std::uint64_t generation);
    // `reconnectNow`: the disconnect is the host's own (a transport plugin replaced): no backoff, and
    // requests waiting for the reconnect keep waiting.
    void markDisconnected(std::uint64_t generation, const std::string& reason, bool reconnectNow = false);
    // Reconnects once nothing but the listen stream is in flight on attempt `generation` (or `deadline` passed).
    void drainThenReconnect(std::uint64_t generation, std::chrono::steady_clock::time_point deadline, const std::string& why);
    // Under mutex_: keeps `request` to run once the reconnect a transport reload began ends; false
    // when none is under way.
    bool holdLocked(std::function<void()> request);
    void releaseHeld(); // runs what waited (it sees the new status)
    void schedulePing(std::uint64_t generation);
    void ping(std::uint64_t generation);

    void publishStatus(const std::string& change) const;
    // An mcp_status record when the status differs from the last one recorded (persisted history).
    void recordStatusChange(const std::string& statusOverride) const;
    // A server's log line, within its budget (gateway.log_rate_per_second); over it, counted and
    // reported once a second as one persisted notice.
    void emitLog(const std::string& level, const std::string& service, const std::string& message,
                 const Poco::JSON::Object::Ptr& context, const std::string& mcpLevel);
    void routeLog(const std::string& level, const std::string& service, const std::string& message,
                  const Poco::JSON::Object::Ptr& context, const std::string& mcpLevel) const;
    void reportDroppedLogs();
    std::string summaryLocked(bool detail) const;
    std::string effectiveLogLevel() const;

    const McpServerConfig config_;
    const std::string origin_;
    Services services_;
    std::shared_ptr<spdlog::logger> log_;
    LogRateLimiter logBudget_;

    std::mutex lifecycleMutex_; // open/close of transports; never taken on a callback thread
    mutable std::mutex mutex_;  // everything below
    bool shuttingDown_ = false;
    std::uint64_t generation_ = 0;
    std::shared_ptr<Link> link_;
    std::vector<std::shared_ptr<Link>> retiring_; // lost links waiting to be closed on a worker
    bool reloading_ = false;                      // leaving a retired transport: new requests wait
    std::vector<std::function<void()>> held_;     // what waits for that reconnect
    McpStatus status_ = McpStatus::Disconnected;
    std::string owner_;      // cluster mode: the host that connects the server ("" unknown)
    bool clustered_ = false; // setOwner was called: the summary shows "owner"
    // What the transport's connection last reported through on_status (summary "transport_status").
    mc_component_status transportStatus_ = MC_COMPONENT_STARTING;
    std::string transportMessage_;
    std::int64_t nextRequestId_ = 0;
    std::map<std::int64_t, Pending> pending_;
    std::set<std::pair<std::chrono::steady_clock::time_point, std::int64_t>> deadlines_; // pending_'s, soonest first
    std::chrono::steady_clock::time_point sweepAt_ = std::chrono::steady_clock::time_point::max(); // max: none scheduled
    std::map<std::string, ProgressContext> progress_;
    std::uint64_t nextProgressToken_ = 0;
    std::vector<Tool> tools_;
    Offerings toolOfferings_ = std::make_shared<const std::vector<Offered>>(); // tools_ as offered
    Offerings catalogs_[3] = {toolOfferings_, toolOfferings_, toolOfferings_}; // by Catalog
    std::uint64_t catalogStamp_ = 0; // changed with every list (newStamp())
    std::optional<Mirror> mirror_;   // cluster: the owner's lists, while not connected here
    std::vector<std::string> capabilityNames_;
    std::string serverInfoJson_ = "null";
    std::string capabilitiesJson_ = "null";
    std::string instructions_;
    std::string protocolVersion_;
    Era era_ = Era::Unknown;     // of the current connection, once its handshake is answered
    Era lastEra_ = Era::Unknown; // of the last connection that got that far: a reconnect starts with it
    const std::string clientCapabilitiesJson_; // what the gateway declares as this server's client
    const std::string modernMeta_; // the new era's _meta members of every request
    long long discoverTtlMs_ = 0;  // server/discover's ttlMs: health checks are no more frequent
    long long toolsStaleAtUs_ = 0; // new era: when the tool list's ttlMs ends (0: never)
    std::int64_t listenId_ = 0;    // the subscriptions/listen in flight (0: none)
    bool listening_ = false;       // its acknowledgement arrived
    std::uint64_t listenEpoch_ = 0; // bumped when a listen is replaced: the old one's end changes nothing
    // New era: the resource URIs agents follow, asked for in the listen stream's resourceSubscriptions
    // (kept across reconnects; the 2025 era subscribes with requests instead).
    std::set<std::string> resourceSubscriptions_;
    std::string serverVersion_;
    std::string lastError_;
    mutable std::string recordedStatus_; // the status of the last mcp_status record ("" before the first)
    long long lastSeenUs_ = 0;
    long long connectedSinceUs_ = 0;
    long long nextRetryUs_ = 0;
    ReconnectBackoff backoff_;
    WireLog wire_;
    // Stored captures are "PM-<this>-<seq>": unique across restarts (seq starts again at 1), and the
    // same message captured twice (a request both an HTTP failure and its error response answer) once.
    const std::string captureIdPrefix_;
};

} // namespace mc::host
