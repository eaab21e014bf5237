#include "gateway/McpConnection.h"

#include "mc/abi_text.hpp"
#include "mc/mcp/StderrLine.h"
#include "mc/records/RandomId.h"
#include "mc/records/RecordSchema.h"
#include "core/EventRouter.h"
#include "gateway/McpProbe.h"
#include "gateway/McpProtocol.h"
#include "gateway/SecretPlaceholders.h"
#include "log/Logging.h"
#include "plugin/HostContext.h"
#include "plugin/PluginStatus.h"
#include "util/Clock.h"
#include "util/Json.h"
#include "util/JsonObject.h"
#include "util/TraceIds.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <random>
#include <shared_mutex>
#include <sstream>

namespace mc::host {
namespace {

constexpr int kMaxToolPages = 1000;

// A tools/call result's isError (its result comes as text).
bool toolResultIsError(const RpcOutcome& outcome) {
    return outcome.result && outcome.result->scanned.member("isError") == std::optional<std::string_view>("true");
}

// A catalog's stamp: unique within this host's run (hosts compare it with what they mirrored).
std::uint64_t newStamp() {
    static std::atomic<std::uint64_t> next{static_cast<std::uint64_t>(nowUnixUs())};
    return ++next;
}
// How long server/discover may go unanswered before a server whose era is not pinned is spoken to with
// initialize (a 2025 server may say nothing to a request before initialize).
constexpr std::chrono::milliseconds kDiscoverProbeTimeout{10000};
// How many times one request may be answered input_required before the gateway gives up on it.
constexpr int kMaxInputRounds = 8;
// A listen stream has no deadline of its own: it ends when the server or the connection does.
constexpr std::chrono::hours kListenTimeout{24 * 365};

// `object` (JSON object text) with one more member (`"name":value`).
std::string withMember(const std::string& object, const std::string& member) {
    const auto close = object.find_last_of('}');
    if (close == std::string::npos) return object;
    const auto last = object.find_last_not_of(" \t\r\n", close == 0 ? 0 : close - 1);
    const bool empty = last == std::string::npos || object[last] == '{';
    return object.substr(0, close) + (empty ? "" : ",") + member + object.substr(close);
}

// `text` of a JSON object without its braces ("" for {}).
std::string membersOf(const std::string& text) {
    if (text.size() < 2) return {};
    return text.substr(1, text.size() - 2);
}
constexpr const char* kEventSourcePrefix = "gateway/";

using json::stringify;
using json::timestampOrNull;

Poco::JSON::Object::Ptr asObject(const Poco::Dynamic::Var& v) {
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) return v.extract<Poco::JSON::Object::Ptr>();
    return nullptr;
}

using mc::sdk::view;

// What the gateway says it can do as this server's client: the host's (sampling, elicitation while
// /mcp is on) and roots when the server has some configured.
std::string capabilitiesFor(const std::string& hostCapabilities, const McpServerConfig& config) {
    if (config.rootsJson.empty()) return hostCapabilities;
    Poco::JSON::Object::Ptr capabilities;
    try {
        capabilities = asObject(json::parse(hostCapabilities));
    } catch (const Poco::Exception&) {
    }
    if (!capabilities) capabilities = new Poco::JSON::Object;
    capabilities->set("roots", Poco::JSON::Object::Ptr(new Poco::JSON::Object));
    return stringify(capabilities);
}

} // namespace

const char* statusName(McpStatus status) {
    switch (status) {
    case McpStatus::Connecting: return "connecting";
    case McpStatus::Connected: return "connected";
    case McpStatus::Disconnected: return "disconnected";
    }
    return "disconnected";
}

// One transport attempt: a connection on the transport plugin's instance, the callbacks it holds,
// and a send gate that keeps senders off a connection once it is being closed.
struct McpConnection::Link {
    McpConnection* owner = nullptr;
    std::uint64_t generation = 0;
    mc_connection_callbacks callbacks{};
    std::shared_ptr<const LoadedPlugin> plugin; // keeps the library mapped while the connection lives
    TransportSet::Lease transport; // ended once the connection is closed (dispose)
    mc_connection* connection = nullptr;
    std::shared_mutex sendGate;
    bool closed = false;   // under sendGate
    bool opened = false;   // under owner's lifecycleMutex_
    bool disposed = false; // under owner's lifecycleMutex_
};

McpConnection::McpConnection(McpServerConfig config, std::string origin, Services services)
    : config_(std::move(config)),
      origin_(std::move(origin)),
      services_(services),
      log_(logging::get("gateway")),
      logBudget_(services.settings.logRatePerSecond, services.settings.logBurst),
      clientCapabilitiesJson_(capabilitiesFor(services.settings.clientCapabilitiesJson, config_)),
      modernMeta_(mcp::modernMetaMembers(clientCapabilitiesJson_,
                                         config_.logLevel.empty() ? services.settings.logLevel : config_.logLevel)),
      backoff_(services.settings.reconnectInitial, services.settings.reconnectMax,
               std::random_device{}() ^ std::hash<std::string>{}(config_.id)),
      wire_(services.settings.inspectorMessages, services.settings.inspectorMaxMessageBytes),
      captureIdPrefix_("PM-" + records::randomUuid().substr(0, 8) + "-") {}

McpConnection::~McpConnection() {
    try {
        shutdown();
    } catch (...) {
    }
}

void McpConnection::start() {
    auto self = shared_from_this();
    services_.scheduler.post([self] { self->connect(); });
}

void McpConnection::setOwner(std::string hostId) {
    std::lock_guard lock(mutex_);
    owner_ = std::move(hostId);
    clustered_ = true;
}

McpStatus McpConnection::status() const {
    std::lock_guard lock(mutex_);
    return status_;
}

std::vector<std::string> McpConnection::toolNames() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& t : tools_) out.push_back(t.name);
    return out;
}

McpConnection::Offerings McpConnection::tools() const {
    std::lock_guard lock(mutex_);
    return mirror_ && status_ != McpStatus::Connected ? mirror_->lists[0] : toolOfferings_;
}

std::string McpConnection::catalogStamp() const {
    std::lock_guard lock(mutex_);
    return status_ == McpStatus::Connected ? std::to_string(catalogStamp_) : std::string();
}

std::string McpConnection::catalogJson(std::string* stamp) const {
    std::lock_guard lock(mutex_);
    if (stamp) *stamp = std::to_string(catalogStamp_);
    std::string out = "{\"tools\":[";
    for (std::size_t i = 0; i < tools_.size(); ++i) out += (i ? "," : "") + tools_[i].json;
    static const char* members[] = {"resources", "resource_templates", "prompts"};
    for (int c = 0; c < 3; ++c) {
        out += std::string("],\"") + members[c] + "\":[";
        bool first = true;
        for (const auto& item : *catalogs_[c]) {
            out += (first ? "" : ",") + stringify(item.object);
            first = false;
        }
    }
    return out + "]}";
}

void McpConnection::mirror(Mirror mirror) {
    bool offeredBefore = false;
    {
        std::lock_guard lock(mutex_);
        if (status_ == McpStatus::Connected) return; // this host's own lists win
        offeredBefore = mirror_.has_value();
        mirror_ = std::move(mirror);
    }
    if (!services_.listener.changed) return;
    if (!offeredBefore) {
        services_.listener.changed(config_.id, "status");
        return;
    }
    services_.listener.changed(config_.id, "tools_changed");
    services_.listener.changed(config_.id, "catalog_changed");
}

void McpConnection::dropMirror(const std::string& owner) {
    {
        std::lock_guard lock(mutex_);
        if (!mirror_ || (!owner.empty() && mirror_->owner != owner)) return;
        mirror_.reset();
    }
    if (services_.listener.changed) services_.listener.changed(config_.id, "status");
}

std::optional<std::pair<std::string, std::string>> McpConnection::mirrored() const {
    std::lock_guard lock(mutex_);
    if (!mirror_) return std::nullopt;
    return std::make_pair(mirror_->owner, mirror_->stamp);
}

bool McpConnection::offered() const {
    std::lock_guard lock(mutex_);
    return status_ == McpStatus::Connected || mirror_.has_value();
}

std::string McpConnection::effectiveLogLevel() const {
    return config_.logLevel.empty() ? services_.settings.logLevel : config_.logLevel;
}

// ---------------------------------------------------------------------------------------------
// Transport lifecycle

void McpConnection::connect(std::uint64_t after) {
    std::lock_guard lifecycle(lifecycleMutex_);
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(mutex_);
        if (shuttingDown_) return;
        // A retry of attempt `after`: only once, and only while that attempt is still the last one.
        if (after != 0 && (generation_ != after || status_ != McpStatus::Disconnected)) return;
        generation = ++generation_;
        status_ = McpStatus::Connecting;
        transportStatus_ = MC_COMPONENT_STARTING;
        transportMessage_.clear();
        nextRetryUs_ = 0;
    }
    log_->info("mcp '{}': connecting over {} to {}", config_.id, config_.transport, config_.endpoint());
    publishStatus("status");

    const std::string wanted = config_.transport;
    std::string available;
    TransportSet::Lease transport = services_.transports.acquire(wanted, &available);
    if (!transport) {
        markDisconnected(generation, "no transport plugin serves '" + wanted + "' (loaded transports: " +
                                         (available.empty() ? "none" : available) + ")");
        return;
    }
    if (!transport->handle()) {
        markDisconnected(generation, "the transport plugin " + transport->plugin->info.id + " did not start: " + transport->error);
        return;
    }

    // Secrets are read now, at every attempt, into the server definition handed to the plugin only.
    McpServerConfig resolved;
    try {
        resolved = resolveSecretPlaceholders(config_, origin_, services_.settings.apiPlaceholders);
    } catch (const SecretPlaceholderError& e) {
        markDisconnected(generation, e.what());
        return;
    }

    auto link = std::make_shared<Link>();
    link->owner = this;
    link->generation = generation;
    link->plugin = transport->plugin;
    link->transport = std::move(transport);
    link->callbacks = mc_connection_callbacks{sizeof(mc_connection_callbacks), link.get(), &McpConnection::onMessageThunk,
                                              &McpConnection::onLogThunk, &McpConnection::onStatusThunk,
                                              &McpConnection::onClosedThunk, &McpConnection::onExchangeThunk};
    {
        std::lock_guard lock(mutex_);
        if (shuttingDown_ || generation != generation_) return;
        link_ = link;
    }
    std::string reason;
    const std::string serverJson = resolved.serverJson();
    mc_connection* connection = nullptr;
    const mc_status status = HostContext::call(reason, [&] {
        return link->transport->vtable().open_connection(link->transport->handle(), mc_str{serverJson.data(), serverJson.size()},
                                                         &link->callbacks, &connection);
    });
    if (status != MC_OK || !connection) {
        if (status == MC_OK) reason = "open_connection returned MC_OK but no connection";
        markDisconnected(generation, std::string("transport open failed (") +
                                         mc::host::statusName(status == MC_OK ? MC_ERR_INTERNAL : status) + "): " + reason);
        return;
    }
    {
        std::unique_lock gate(link->sendGate);
        link->connection = connection;
    }
    link->opened = true;
    {
        std::lock_guard lock(mutex_);
        if (shuttingDown_ || generation != generation_) {
            dispose(link);
            return;
        }
    }
    beginHandshake(generation);
}

void McpConnection::dispose(const std::shared_ptr<Link>& link) {
    if (!link || link->disposed) return;
    link->disposed = true;
    mc_connection* connection = nullptr;
    {
        std::unique_lock gate(link->sendGate); // waits for senders inside send()
        link->closed = true;
        connection = link->connection;
        link->connection = nullptr;
    }
    // Here on a gateway thread, never on a callback thread (close_connection must not run inside one).
    if (connection) link->transport->vtable().close_connection(connection);
    // The plugin is done with the connection: a retired transport instance may stop now (here, off
    // its callback threads).
    link->transport.reset();
}

void McpConnection::shutdown() {
    std::lock_guard lifecycle(lifecycleMutex_);
    std::shared_ptr<Link> link;
    std::vector<std::shared_ptr<Link>> retiring;
    std::map<std::int64_t, Pending> pending;
    std::vector<std::function<void()>> held;
    bool wasShuttingDown = false;
    {
        std::lock_guard lock(mutex_);
        wasShuttingDown = shuttingDown_;
        shuttingDown_ = true;
        ++generation_; // every callback and timer of earlier attempts is now stale
        link = std::move(link_);
        retiring.swap(retiring_);
        pending = takeAllPendingLocked();
        held.swap(held_);
        reloading_ = false;
        progress_.clear();
        status_ = McpStatus::Disconnected;
    }
    for (auto& [id, p] : pending) {
        RpcOutcome outcome;
        outcome.kind = RpcOutcome::Kind::Disconnected;
        outcome.errorMessage = "the MCP server '" + config_.id + "' was removed or the host is stopping";
        p.callback(std::move(outcome));
    }
    for (auto& request : held) request(); // here, not on the workers (they stop next): each fails at once
    dispose(link);
    for (auto& l : retiring) dispose(l);
    if (!wasShuttingDown) {
        log_->info("mcp '{}': closed", config_.id);
        publishStatus("removed");
    }
}

// ---------------------------------------------------------------------------------------------
// Transport callbacks (plugin threads; exception barriers)

void McpConnection::onMessageThunk(void* ctx, mc_str message) {
    try {
        auto* link = static_cast<Link*>(ctx);
        link->owner->handleMessage(link->generation, std::string(view(message)));
    } catch (...) {
    }
}

void McpConnection::onLogThunk(void* ctx, mc_log_level level, mc_str line) {
    try {
        auto* link = static_cast<Link*>(ctx);
        link->owner->handleTransportLog(link->generation, level, std::string(view(line)));
    } catch (...) {
    }
}

void McpConnection::onStatusThunk(void* ctx, mc_component_status status, mc_str message) {
    try {
        auto* link = static_cast<Link*>(ctx);
        link->owner->handleTransportStatus(link->generation, status, std::string(view(message)));
    } catch (...) {
    }
}

void McpConnection::onClosedThunk(void* ctx, mc_status reason, mc_str detail) {
    try {
        auto* link = static_cast<Link*>(ctx);
        link->owner->handleClosed(link->generation, reason, std::string(view(detail)));
    } catch (...) {
    }
}

void McpConnection::onExchangeThunk(void* ctx, const mc_http_exchange* exchange) {
    try {
        auto* link = static_cast<Link*>(ctx);
        if (!exchange || exchange->struct_size < offsetof(mc_http_exchange, error) + sizeof exchange->error) return;
        link->owner->handleExchange(link->generation, *exchange);
    } catch (...) {
    }
}

void McpConnection::handleExchange(std::uint64_t generation, const mc_http_exchange& x) {
    if (!wire_.enabled()) return;
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_) return;
    }
    WireLog::Exchange exchange;
    exchange.method = view(x.method);
    exchange.target = view(x.target);
    exchange.status = x.status;
    exchange.requestHeaders = view(x.request_headers);
    exchange.responseHeaders = view(x.response_headers);
    exchange.requestBytes = x.request_bytes;
    exchange.responseBytes = x.response_bytes;
    exchange.durationMicros = x.duration_us;
    exchange.jsonrpcId = view(x.jsonrpc_id);
    exchange.error = view(x.error);
    publishInspected(wire_.recordExchange(exchange));
}

void McpConnection::handleTransportStatus(std::uint64_t generation, mc_component_status status, const std::string& message) {
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_) return;
        if (transportStatus_ == status && transportMessage_ == message) return;
        transportStatus_ = status;
        transportMessage_ = message;
    }
    if (status == MC_COMPONENT_RECOVERABLE_ERROR || status == MC_COMPONENT_PERMANENT_ERROR)
        log_->warn("mcp '{}': transport reports {}: {}", config_.id, componentStatusName(status), message);
    publishStatus("status");
}

void McpConnection::handleClosed(std::uint64_t generation, mc_status reason, const std::string& detail) {
    if (reason == MC_ERR_NOT_FOUND)
        markDisconnected(generation, "session expired: " + detail);
    else
        markDisconnected(generation, std::string("transport closed (") + mc::host::statusName(reason) + "): " + detail);
}

void McpConnection::handleTransportLog(std::uint64_t generation, mc_log_level level, const std::string& line) {
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_) return;
    }
    const bool stdio = config_.startsProcess();
    log_->debug("mcp '{}' {}: {}", config_.id, stdio ? "stderr" : "transport", line);
    if (stdio) {
        // A server's own logs: the level its line names (JSON, a prefix, logfmt), else the transport's guess.
        const auto record = mc::mcp::parseStderrLine(line);
        if (record.recognized) {
            Poco::JSON::Object::Ptr context = record.fields ? record.fields : Poco::JSON::Object::Ptr(new Poco::JSON::Object);
            if (!record.logger.empty()) context->set("logger", record.logger);
            context->set("stderr_form", std::string(record.form));
            emitLog(mcp::structuredLevelFor(record.level), "stderr", record.message, context, record.level);
            return;
        }
    }
    emitLog(mcp::structuredLevelFor(level), stdio ? "stderr" : "transport", line, nullptr, "");
}

void McpConnection::handleMessage(std::uint64_t generation, const std::string& text) {
    // Read by the scanner alone: an answer's result passes on as the server wrote it, and only a
    // request's or a notification's params become a tree (the transports deliver scanned messages;
    // a batch, which the ABI allows, is read element by element).
    const auto scanned = mc::json::scan(text);
    if (!scanned.ok()) {
        log_->warn("mcp '{}': ignoring a message that is not JSON ({}): {}", config_.id, scanned.problem, text.substr(0, 200));
        return;
    }
    if (scanned.kind == '{') return handleObject(generation, text, scanned);
    if (scanned.kind != '[') {
        log_->warn("mcp '{}': ignoring a JSON-RPC message that is not an object: {}", config_.id, text.substr(0, 200));
        return;
    }
    for (const auto element : scanned.elements) {
        const auto one = mc::json::scan(element);
        if (one.kind == '{') handleObject(generation, element, one);
        else log_->warn("mcp '{}': ignoring a batch element that is not an object: {}", config_.id, element.substr(0, 200));
    }
}

void McpConnection::handleObject(std::uint64_t generation, std::string_view text, const mc::json::Scan& scanned) {
    if (!scanned.member("method")) return handleAnswer(generation, text, scanned);
    if (!handleAsked(generation, text, scanned))
        log_->warn("mcp '{}': ignoring a JSON-RPC message whose method is not a string, or whose params could not be read: {}",
                   config_.id, text.substr(0, 200));
}

bool McpConnection::handleAsked(std::uint64_t generation, std::string_view text, const mc::json::Scan& scanned) {
    const auto method = mc::json::stringValue(scanned.member("method"));
    if (!method || method->empty()) return false;
    Poco::Dynamic::Var params;
    if (const auto given = scanned.member("params")) {
        try {
            params = json::parse(*given);
        } catch (const Poco::Exception&) { // deeper than the parser goes
            return false;
        }
    }
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_) return true;
        lastSeenUs_ = nowUnixUs();
    }
    const auto id = scanned.member("id");
    const bool hasId = id && *id != "null";
    inspect(WireLog::Direction::In, hasId ? WireLog::Kind::Request : WireLog::Kind::Notification, *method,
            hasId ? std::string(*id) : std::string(), text);
    if (hasId) handleServerRequest(generation, std::string(*id), *method, params);
    else handleNotification(generation, *method, params);
    return true;
}

bool McpConnection::takeAnswered(std::uint64_t generation, std::int64_t id, Pending& pending) {
    std::lock_guard lock(mutex_);
    if (generation != generation_) return false; // an answer of a connection that ended
    auto it = pending_.find(id);
    if (it == pending_.end()) {
        log_->debug("mcp '{}': response to request {} that is no longer pending", config_.id, id);
        return false;
    }
    pending = takePendingLocked(it);
    return true;
}

void McpConnection::handleAnswer(std::uint64_t generation, std::string_view text, const mc::json::Scan& scanned) {
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_) return; // an answer of a connection that ended
        lastSeenUs_ = nowUnixUs();
    }
    const auto idText = scanned.member("id");
    const auto errorText = scanned.member("error");
    const bool hasId = idText && *idText != "null";
    inspect(WireLog::Direction::In, errorText ? WireLog::Kind::Error : WireLog::Kind::Response, {},
            hasId ? std::string(*idText) : std::string(), text);
    if (!hasId) {
        log_->warn("mcp '{}': ignoring a JSON-RPC message with neither method nor id", config_.id);
        return;
    }
    std::int64_t id = 0;
    const auto [end, failed] = std::from_chars(idText->data(), idText->data() + idText->size(), id);
    if (failed != std::errc() || end != idText->data() + idText->size()) {
        log_->warn("mcp '{}': ignoring a response with an id the gateway never sent: {}", config_.id, *idText);
        return;
    }
    Pending pending;
    if (!takeAnswered(generation, id, pending)) return;
    RpcOutcome outcome;
    if (errorText) {
        outcome.kind = RpcOutcome::Kind::Error;
        const auto error = mc::json::scan(*errorText);
        if (error.kind == '{') {
            const auto code = error.member("code");
            if (code) std::from_chars(code->data(), code->data() + code->size(), outcome.errorCode);
            outcome.errorMessage = mc::json::stringValue(error.member("message")).value_or("");
            if (const auto data = error.member("data")) outcome.errorDataJson.assign(*data);
        } else {
            outcome.errorCode = mcp::kInternalError;
            outcome.errorMessage = "malformed error object";
        }
    } else {
        outcome.kind = RpcOutcome::Kind::Result;
        if (const auto result = scanned.member("result")) outcome.result = ResultText::of(*result);
    }
    pending.callback(std::move(outcome));
}

void McpConnection::handleServerRequest(std::uint64_t generation, const std::string& idJson, const std::string& method,
                                        const Poco::Dynamic::Var& params) {
    std::string reply = "{\"jsonrpc\":\"2.0\",\"id\":" + idJson;
    if (method == "ping") {
        reply += ",\"result\":{}}";
    } else if (method == "roots/list" && !config_.rootsJson.empty()) {
        reply += ",\"result\":{\"roots\":" + config_.rootsJson + "}}";
    } else if (method == "sampling/createMessage" || method == "elicitation/create") {
        // The agent whose call is in flight answers (its own model, its own user); when calls of several
        // agents are in flight, which one asks cannot be told: refused rather than asked of the wrong one.
        ToolCallRequest::ServerRequestHandler handler;
        bool ambiguous = false;
        std::string asker, cannotAnswer;
        {
            std::lock_guard lock(mutex_);
            for (const auto& [token, context] : progress_) {
                if (!context.cannotAnswer.empty()) cannotAnswer = cannotAnswer.empty() || cannotAnswer == context.cannotAnswer ? context.cannotAnswer : "?";
                if (!context.onServerRequest) continue;
                if (!handler) {
                    handler = context.onServerRequest;
                    asker = context.asker;
                } else if (context.asker != asker) {
                    ambiguous = true;
                }
            }
        }
        if (handler && !ambiguous) {
            log_->info("mcp '{}': {} passed on to the agent of {}", config_.id, method, asker);
            handler(method, asObject(params) ? stringify(params) : "{}",
                    [weak = weak_from_this(), generation, idJson](const std::string& responseMember) {
                        const auto kind = responseMember.rfind("\"result\"", 0) == 0 ? WireLog::Kind::Response : WireLog::Kind::Error;
                        if (auto self = weak.lock())
                            self->sendRaw(generation, "{\"jsonrpc\":\"2.0\",\"id\":" + idJson + "," + responseMember + "}", nullptr,
                                          {kind, {}, idJson});
                    });
            return;
        }
        const std::string why = ambiguous ? "calls of several agents are in flight on '" + config_.id +
                                                "', so Mission Control cannot tell which agent '" + method + "' is for"
                                : !handler && !cannotAnswer.empty() && cannotAnswer != "?"
                                    ? cannotAnswer // the one agent waiting cannot answer: why
                                    : "no agent connected through Mission Control's /mcp is waiting on '" + config_.id +
                                          "' to answer '" + method + "'";
        reply += ",\"error\":{\"code\":" + std::to_string(mcp::kInternalError) + ",\"message\":" + json::quote(why) + "}}";
        log_->info("mcp '{}': refused {}: {}", config_.id, method, why);
    } else {
        // The gateway declares no client capabilities (roots, sampling, elicitation), so a server
        // should not ask for them; answer clearly instead of leaving the server waiting.
        reply += ",\"error\":{\"code\":" + std::to_string(mcp::kMethodNotFound) + ",\"message\":" +
                 json::quote("mission-control does not support the client method '" + method + "'") + "}}";
        log_->debug("mcp '{}': refused server request '{}'", config_.id, method);
    }
    sendRaw(generation, reply, nullptr,
            {reply.find(",\"error\":") != std::string::npos ? WireLog::Kind::Error : WireLog::Kind::Response, {}, idJson});
}

void McpConnection::handleNotification(std::uint64_t generation, const std::string& method, const Poco::Dynamic::Var& params) {
    if (method == "notifications/message") {
        const MappedLog mapped = mapLogNotification(config_.id, params);
        emitLog(mapped.level, mapped.service, mapped.message, mapped.context, mapped.mcpLevel);
        if (services_.listener.logged && params.type() == typeid(Poco::JSON::Object::Ptr))
            services_.listener.logged(config_.id, mapped.mcpLevel, stringify(params));
    } else if (method == "notifications/progress") {
        auto p = asObject(params);
        if (!p) return;
        const std::string token = p->has("progressToken") ? p->get("progressToken").convert<std::string>() : "";
        ProgressContext context;
        {
            std::lock_guard lock(mutex_);
            auto it = progress_.find(token);
            if (it != progress_.end()) context = it->second;
        }
        std::string payload = "{\"mcp_id\":" + json::quote(config_.id) + ",\"progress_token\":" + json::quote(token);
        if (!context.tool.empty()) payload += ",\"tool\":" + json::quote(context.tool);
        if (!context.threadId.empty()) payload += ",\"thread_id\":" + json::quote(context.threadId);
        payload += ",\"progress\":" + (p->has("progress") ? stringify(p->get("progress")) : std::string("null"));
        if (p->has("total")) payload += ",\"total\":" + stringify(p->get("total"));
        if (p->has("message")) payload += ",\"message\":" + stringify(p->get("message"));
        payload += ",\"timestamp\":" + json::quote(json::isoTimestamp(nowUnixUs())) + "}";
        services_.events.route(kEventSourcePrefix + config_.id, "progress", payload);
        if (context.onProgress) { // the caller's own progress, as the server sent it (its token aside)
            std::string progress;
            for (const char* field : {"progress", "total", "message"})
                if (p->has(field)) progress += std::string(progress.empty() ? "" : ",") + "\"" + field + "\":" + stringify(p->get(field));
            context.onProgress("{" + progress + "}");
        }
    } else if (method == "notifications/subscriptions/acknowledged") {
        {
            std::lock_guard lock(mutex_);
            if (generation != generation_) return;
            listening_ = true;
        }
        log_->info("mcp '{}': subscriptions/listen acknowledged: {}", config_.id, stringify(params).substr(0, 300));
    } else if (method == "notifications/tools/list_changed") {
        log_->info("mcp '{}': tool list changed; listing again", config_.id);
        listTools(generation, false, "", {}, 0);
    } else if (method == "notifications/resources/updated") {
        const std::string uri = json::stringMember(asObject(params), "uri");
        if (!uri.empty() && services_.listener.resourceUpdated) services_.listener.resourceUpdated(config_.id, uri);
    } else if (method == "notifications/resources/list_changed" || method == "notifications/prompts/list_changed") {
        const bool resources = method == "notifications/resources/list_changed";
        log_->info("mcp '{}': {} changed; listing again", config_.id, resources ? "resource list" : "prompt list");
        std::uint64_t stampBefore = 0;
        {
            std::lock_guard lock(mutex_);
            stampBefore = catalogStamp_;
        }
        auto changed = [this, stampBefore] { // only when a list came back different (listCatalog keeps the stamp otherwise)
            bool different = false;
            {
                std::lock_guard lock(mutex_);
                different = catalogStamp_ != stampBefore;
            }
            if (different && status() == McpStatus::Connected) publishStatus("catalog_changed");
        };
        if (resources)
            listCatalog(generation, Catalog::Resources, "", {}, 0,
                        [this, generation, changed] { listCatalog(generation, Catalog::ResourceTemplates, "", {}, 0, changed); });
        else
            listCatalog(generation, Catalog::Prompts, "", {}, 0, changed);
    } else {
        log_->debug("mcp '{}': notification {}", config_.id, method);
    }
}

// ---------------------------------------------------------------------------------------------
// JSON-RPC client

void McpConnection::inspect(WireLog::Direction direction, WireLog::Kind kind, const std::string& method, const std::string& idJson,
                            std::string_view json) {
    publishInspected(wire_.record(direction, kind, method, idJson, json));
}

void McpConnection::publishInspected(const WireLog::EntryPtr& entry) {
    if (!entry) return;
    ChannelKeys keys;
    keys.mcpId = config_.id;
    // Built only for someone watching live: the inspector's ring is what REST reads.
    if (services_.events.hasSubscribers("protocol", keys))
        services_.events.publish(kEventSourcePrefix + config_.id, "protocol", WireLog::toJson(*entry, config_.id), keys);
    capture(*entry);
}

void McpConnection::capture(const WireLog::Entry& entry) {
    using Capture = GatewaySettings::Capture;
    const Capture mode = services_.settings.capture;
    if (mode == Capture::Off) return;
    if (mode == Capture::Errors) {
        if (!WireLog::isFailure(entry)) return;
        // What failed is read with what was asked: the request, while the ring still holds it.
        if (!entry.idJson.empty() && entry.kind != WireLog::Kind::Request) {
            const auto asker = entry.kind == WireLog::Kind::Http || entry.direction == WireLog::Direction::In
                                   ? WireLog::Direction::Out
                                   : WireLog::Direction::In;
            if (auto request = wire_.findRequest(asker, entry.idJson, entry.seq)) store(*request);
        }
    }
    store(entry);
}

void McpConnection::store(const WireLog::Entry& entry) {
    std::string error;
    const std::string record = WireLog::toCaptureJson(entry, config_.id, captureIdPrefix_ + std::to_string(entry.seq));
    if (services_.events.route(kEventSourcePrefix + config_.id, "protocol_message", record, &error) != MC_OK)
        log_->warn("mcp '{}': protocol capture refused: {}", config_.id, error);
}

std::vector<WireLog::Entry> McpConnection::messages(const WireLog::Query& query) const { return wire_.query(query); }

bool McpConnection::sendRaw(std::uint64_t generation, const std::string& json, std::string* error, const WireLog::Label& label) {
    std::shared_ptr<Link> link;
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_ || !link_) {
            if (error) *error = "the MCP server '" + config_.id + "' is not connected";
            return false;
        }
        link = link_;
    }
    std::shared_lock gate(link->sendGate);
    if (link->closed || !link->connection) {
        if (error) *error = "the MCP server '" + config_.id + "' is not connected";
        return false;
    }
    std::string reason;
    // Recorded before the send: the answer may come back before send() returns.
    inspect(WireLog::Direction::Out, label.kind, label.method, label.idJson, json);
    const mc_status status = HostContext::call(
        reason, [&] { return link->transport->vtable().send(link->connection, mc_str{json.data(), json.size()}); });
    if (status != MC_OK) {
        if (error) *error = std::string("send failed (") + mc::host::statusName(status) + "): " + reason;
        return false;
    }
    return true;
}

void McpConnection::request(std::uint64_t generation, const std::string& method, const std::string& paramsJson,
                            std::chrono::milliseconds timeout, RpcCallback callback, std::int64_t* assignedId,
                            const RequestLabels& labels, const std::string& metaMembers) {
    std::int64_t id = 0;
    bool modern = false;
    bool sweep = false;
    {
        std::lock_guard lock(mutex_);
        if (generation == generation_ && link_) {
            id = ++nextRequestId_;
            modern = era_ == Era::Modern || method == "server/discover";
            const auto deadline = std::chrono::steady_clock::now() + timeout;
            pending_[id] = Pending{method, services_.calls ? reported(id, method, labels, std::move(callback)) : std::move(callback), deadline};
            deadlines_.emplace(deadline, id);
            sweep = sweepBy(deadline);
        }
    }
    if (id == 0) { // completed outside the lock: the callback may take it
        RpcOutcome outcome;
        outcome.errorMessage = "the MCP server '" + config_.id + "' is not connected";
        callback(std::move(outcome));
        return;
    }
    if (assignedId) *assignedId = id;
    // The new era's requests each say who asks and in which version (there is no session to remember it).
    const std::string meta = modern ? modernMeta_ + (metaMembers.empty() ? "" : "," + metaMembers) : metaMembers;
    const std::string params = meta.empty() ? paramsJson : withMember(paramsJson, "\"_meta\":{" + meta + "}");
    const std::string message = "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(id) + ",\"method\":" + json::quote(method) +
                                ",\"params\":" + params + "}";
    std::weak_ptr<McpConnection> weak = weak_from_this();
    if (sweep)
        services_.scheduler.schedule(timeout, [weak, generation] {
            if (auto self = weak.lock()) self->sweepDeadlines(generation);
        });
    std::string error;
    if (!sendRaw(generation, message, &error, {WireLog::Kind::Request, method, std::to_string(id)})) {
        Pending pending;
        {
            std::lock_guard lock(mutex_);
            auto it = pending_.find(id);
            if (it == pending_.end()) return; // already completed by a disconnect
            pending = takePendingLocked(it);
        }
        RpcOutcome outcome;
        outcome.errorMessage = error;
        pending.callback(std::move(outcome));
        markDisconnected(generation, error);
    }
}

// Under mutex_ (protocolVersion_).
RpcCallback McpConnection::reported(std::int64_t id, const std::string& method, const RequestLabels& labels,
                                    RpcCallback callback) {
    McpCallRecord call;
    call.mcpId = config_.id;
    call.transport = config_.transport;
    call.endpoint = config_.endpoint();
    call.method = method;
    call.target = labels.target;
    call.threadId = labels.threadId;
    call.protocolVersion = protocolVersion_;
    call.requestId = id;
    if (!labels.parentSpanId.empty()) call.parentSpanId = labels.parentSpanId;
    else if (!labels.threadId.empty()) call.parentSpanId = spanIdForRecord("thread", labels.threadId);
    call.traceId = !labels.traceId.empty()    ? labels.traceId
                   : labels.threadId.empty() ? randomTraceId()
                                             : traceIdForThread(labels.threadId);
    call.spanId = labels.spanId.empty() ? randomSpanId() : labels.spanId;
    call.startUnixNano = static_cast<std::uint64_t>(nowUnixUs()) * 1000;
    return [sink = &services_.calls, call = std::move(call), callback = std::move(callback)](RpcOutcome outcome) mutable {
        call.endUnixNano = static_cast<std::uint64_t>(nowUnixUs()) * 1000;
        switch (outcome.kind) {
        case RpcOutcome::Kind::Result: {
            const bool isError = call.method == "tools/call" && toolResultIsError(outcome);
            call.outcome = isError ? McpCallRecord::Outcome::ToolError : McpCallRecord::Outcome::Ok;
            break;
        }
        case RpcOutcome::Kind::Error:
            call.outcome = McpCallRecord::Outcome::RpcError;
            call.errorCode = outcome.errorCode;
            call.errorMessage = outcome.errorMessage;
            break;
        case RpcOutcome::Kind::Timeout:
            call.outcome = McpCallRecord::Outcome::Timeout;
            call.errorMessage = outcome.errorMessage;
            break;
        case RpcOutcome::Kind::Disconnected:
            call.outcome = McpCallRecord::Outcome::Disconnected;
            call.errorMessage = outcome.errorMessage;
            break;
        case RpcOutcome::Kind::Cancelled:
            call.outcome = McpCallRecord::Outcome::Cancelled;
            call.errorMessage = outcome.errorMessage;
            break;
        }
        (*sink)(call);
        callback(std::move(outcome));
    };
}

bool McpConnection::notify(std::uint64_t generation, const std::string& method, const std::string& paramsJson) {
    return sendRaw(generation, "{\"jsonrpc\":\"2.0\",\"method\":" + json::quote(method) + ",\"params\":" + paramsJson + "}", nullptr,
                   {WireLog::Kind::Notification, method, {}});
}

McpConnection::Pending McpConnection::takePendingLocked(std::map<std::int64_t, Pending>::iterator it) {
    deadlines_.erase({it->second.deadline, it->first});
    Pending pending = std::move(it->second);
    pending_.erase(it);
    return pending;
}

std::map<std::int64_t, McpConnection::Pending> McpConnection::takeAllPendingLocked() {
    std::map<std::int64_t, Pending> all;
    all.swap(pending_);
    deadlines_.clear();
    sweepAt_ = std::chrono::steady_clock::time_point::max(); // a sweep scheduled for them finds another generation
    return all;
}

bool McpConnection::sweepBy(std::chrono::steady_clock::time_point deadline) {
    if (deadline >= sweepAt_) return false;
    sweepAt_ = deadline;
    return true;
}

void McpConnection::sweepDeadlines(std::uint64_t generation) {
    std::vector<std::int64_t> due;
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_) return;
        sweepAt_ = std::chrono::steady_clock::time_point::max();
        const auto now = std::chrono::steady_clock::now();
        for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= now; ++it) due.push_back(it->second);
    }
    for (const auto id : due) abandon(generation, id, RpcOutcome::Kind::Timeout, {});
    std::chrono::steady_clock::duration wait{};
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_ || deadlines_.empty() || !sweepBy(deadlines_.begin()->first)) return;
        wait = std::max(deadlines_.begin()->first - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration::zero());
    }
    services_.scheduler.schedule(std::chrono::ceil<std::chrono::milliseconds>(wait), [weak = weak_from_this(), generation] {
        if (auto self = weak.lock()) self->sweepDeadlines(generation);
    });
}

void McpConnection::abandon(std::uint64_t generation, std::int64_t id, RpcOutcome::Kind kind, const std::string& why) {
    Pending pending;
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_) return;
        auto it = pending_.find(id);
        if (it == pending_.end()) return;
        pending = takePendingLocked(it);
    }
    // The spec forbids cancelling initialize; everything else is cancelled so the server can stop.
    const bool timedOut = kind == RpcOutcome::Kind::Timeout;
    if (pending.method != "initialize")
        notify(generation, "notifications/cancelled",
               "{\"requestId\":" + std::to_string(id) + ",\"reason\":" +
                   json::quote(timedOut ? std::string("mission-control: no response within the deadline") : "mission-control: " + why) + "}");
    RpcOutcome outcome;
    outcome.kind = kind;
    outcome.errorMessage = timedOut ? "no response to " + pending.method + " from '" + config_.id + "' within the deadline"
                                    : pending.method + " to '" + config_.id + "' cancelled: " + why;
    pending.callback(std::move(outcome));
}

void McpConnection::requestAnswering(Resend resend, RpcCallback done) {
    const auto generation = resend.generation;
    const auto cancel = resend.cancel;
    auto labels = resend.labels;
    if (resend.round > 0) labels.spanId.clear(); // a span of its own for each time the request is sent
    const auto method = resend.method, meta = resend.metaMembers;
    const auto params = resend.answers.empty() ? resend.paramsJson : withMember(resend.paramsJson, resend.answers);
    const auto timeout = resend.timeout;
    std::int64_t id = 0;
    request(generation, method, params, timeout,
            [weak = weak_from_this(), roots = config_.rootsJson, resend = std::move(resend), done = std::move(done)](RpcOutcome outcome) mutable {
                // A tree only when the server asks for input.
                if (outcome.kind != RpcOutcome::Kind::Result || !outcome.result ||
                    mc::json::stringValue(outcome.result->scanned.member("resultType")) != std::optional<std::string>("input_required"))
                    return done(std::move(outcome));
                const auto result = outcome.resultObject();
                if (!result) return done(std::move(outcome)); // deeper than the parser goes: an answer as any other
                auto fail = [&done](const std::string& why) {
                    RpcOutcome failed;
                    failed.kind = RpcOutcome::Kind::Error;
                    failed.errorCode = mcp::kInternalError;
                    failed.errorMessage = why;
                    failed.gatewayCode = "input_required";
                    done(std::move(failed));
                };
                // What the server asks, named for whoever reads the error.
                const auto requests = result->getObject("inputRequests");
                std::string asked;
                if (requests)
                    for (const auto& [key, value] : *requests) {
                        const auto question = asObject(value);
                        const auto params = question ? question->getObject("params") : nullptr;
                        const std::string message = json::stringMember(params, "message");
                        asked += (asked.empty() ? "" : ", ") + json::stringMember(question, "method") +
                                 (message.empty() ? "" : " \"" + message.substr(0, 120) + "\"");
                    }
                if (!requests || requests->size() == 0) return fail(resend.method + ": the server answered input_required without inputRequests");
                if (resend.round + 1 >= kMaxInputRounds)
                    return fail(resend.method + ": the server asked for input " + std::to_string(kMaxInputRounds) + " times (" + asked +
                                "); Mission Control gave up");
                // The gateway answers roots/list itself when the server has roots configured; the rest is the agent's.
                bool agentNeeded = false;
                for (const auto& [key, value] : *requests)
                    agentNeeded = agentNeeded || roots.empty() || json::stringMember(asObject(value), "method") != "roots/list";
                if (!resend.ask && agentNeeded)
                    return fail(resend.method + " needs input the server asked for (" + asked + "), and " +
                                (resend.cannotAnswer.empty() ? std::string("only an agent connected through Mission Control's /mcp can give it")
                                                             : resend.cannotAnswer));
                // Every question asked of the agent at once; the request goes again when all are answered.
                struct Answers {
                    std::mutex mutex;
                    std::size_t left = 0;
                    std::string responses, refusal;
                    bool settled = false;
                };
                auto answers = std::make_shared<Answers>();
                answers->left = requests->size();
                const std::string state = result->has("requestState") ? stringify(result->get("requestState")) : "";
                auto shared = std::make_shared<std::pair<Resend, RpcCallback>>(std::move(resend), std::move(done));
                for (const auto& [key, value] : *requests) {
                    const auto question = asObject(value);
                    const auto params = question ? question->getObject("params") : nullptr;
                    const std::string method = json::stringMember(question, "method");
                    auto answer = [weak, answers, shared, state, key = key](const std::string& member) {
                                          std::unique_lock lock(answers->mutex);
                                          if (answers->settled) return;
                                          static const std::string resultPrefix = "\"result\":";
                                          if (member.rfind(resultPrefix, 0) == 0)
                                              answers->responses += (answers->responses.empty() ? "" : ",") + json::quote(key) + ":" +
                                                                    member.substr(resultPrefix.size());
                                          else if (answers->refusal.empty())
                                              answers->refusal = member.substr(0, 300);
                                          if (--answers->left > 0 && answers->refusal.empty()) return;
                                          answers->settled = true;
                                          lock.unlock();
                                          auto& [again, finish] = *shared;
                                          const auto self = weak.lock();
                                          if (!self || !answers->refusal.empty()) {
                                              RpcOutcome failed;
                                              failed.kind = self ? RpcOutcome::Kind::Error : RpcOutcome::Kind::Disconnected;
                                              failed.errorCode = mcp::kInternalError;
                                              failed.errorMessage = self ? again.method + ": the agent did not answer the server's question: {" +
                                                                               answers->refusal + "}"
                                                                         : "the MCP server was removed while its question was being answered";
                                              failed.gatewayCode = self ? "input_required" : "";
                                              return finish(std::move(failed));
                                          }
                                          again.answers = "\"inputResponses\":{" + answers->responses + "}" +
                                                          (state.empty() ? "" : ",\"requestState\":" + state);
                                          ++again.round;
                                          self->requestAnswering(std::move(again), std::move(finish));
                                      };
                    if (method == "roots/list" && !roots.empty()) answer("\"result\":{\"roots\":" + roots + "}");
                    else shared->first.ask(method, params ? stringify(params) : "{}", std::move(answer));
                }
            },
            &id, labels, meta);
    cancelOn(cancel, generation, id);
}

void McpConnection::cancelOn(const std::shared_ptr<CancelSignal>& cancel, std::uint64_t generation, std::int64_t id) {
    if (!cancel || id == 0) return;
    cancel->onCancel([weak = weak_from_this(), generation, id, cancel = std::weak_ptr<CancelSignal>(cancel)] {
        const auto signal = cancel.lock();
        if (auto self = weak.lock()) self->abandon(generation, id, RpcOutcome::Kind::Cancelled, signal ? signal->reason() : "cancelled");
    });
}

// ---------------------------------------------------------------------------------------------
// MCP lifecycle

void McpConnection::beginHandshake(std::uint64_t generation) {
    Era last;
    {
        std::lock_guard lock(mutex_);
        last = lastEra_;
    }
    // A server found to be of the 2025 era is not probed again at every reconnect (a 2025 server may
    // leave server/discover unanswered until the probe times out).
    if (config_.protocol == mcp::kOfferedProtocolVersion || (config_.protocol == mcp::kProtocolAuto && last == Era::Legacy))
        return sendInitialize(generation);
    const bool probing = config_.protocol == mcp::kProtocolAuto;
    const auto timeout = probing ? std::min(services_.settings.requestTimeout, std::chrono::milliseconds(kDiscoverProbeTimeout))
                                 : services_.settings.requestTimeout;
    request(generation, "server/discover", "{}", timeout,
            [this, generation, probing](RpcOutcome outcome) { onDiscoverResult(generation, std::move(outcome), probing); });
}

void McpConnection::sendInitialize(std::uint64_t generation) {
    request(generation, "initialize", initializeParamsJson(clientCapabilitiesJson_), services_.settings.requestTimeout,
            [this, generation](RpcOutcome outcome) { onInitializeResult(generation, std::move(outcome)); });
}

void McpConnection::onDiscoverResult(std::uint64_t generation, RpcOutcome outcome, bool probing) {
    using namespace mc::mcp::modern;
    std::string why; // why the server is not spoken to in the new era
    switch (outcome.kind) {
    case RpcOutcome::Kind::Disconnected:
    case RpcOutcome::Kind::Cancelled: return; // the connection ended; a reconnect starts over
    case RpcOutcome::Kind::Result: {
        const auto result = outcome.resultObject();
        const auto versions = result ? result->getArray("supportedVersions") : nullptr;
        std::string listed;
        for (std::size_t i = 0; versions && i < versions->size(); ++i) {
            const auto version = versions->get(static_cast<unsigned>(i));
            if (!version.isString()) continue;
            if (version.extract<std::string>() == kVersion) return adoptServer(generation, result, Era::Modern, kVersion);
            listed += (listed.empty() ? "" : ", ") + version.extract<std::string>();
        }
        why = versions ? "server/discover lists " + (listed.empty() ? std::string("no version") : listed) + ", not " + kVersion
                       : "server/discover answered without supportedVersions";
        break;
    }
    case RpcOutcome::Kind::Error:
        // A server of the new era refusing the gateway's own request: falling back would hide the fault.
        if (outcome.errorCode == kHeaderMismatch || outcome.errorCode == kMissingCapability) {
            markDisconnected(generation, "server/discover refused: " + outcome.errorMessage + " (JSON-RPC " +
                                             std::to_string(outcome.errorCode) + ")");
            return;
        }
        why = "server/discover answered " + outcome.errorMessage + " (JSON-RPC " + std::to_string(outcome.errorCode) + ")";
        break;
    case RpcOutcome::Kind::Timeout: why = "server/discover was not answered within the probe's deadline"; break;
    }
    if (!probing) {
        markDisconnected(generation, why + " (mcp.servers." + config_.id + ".protocol = " + kVersion + " pins the new era)");
        return;
    }
    log_->info("mcp '{}': {}; speaking the 2025 era (initialize)", config_.id, why);
    sendInitialize(generation);
}

void McpConnection::onInitializeResult(std::uint64_t generation, RpcOutcome outcome) {
    if (outcome.kind == RpcOutcome::Kind::Error) {
        std::string detail;
        if (outcome.errorCode == mc::mcp::modern::kUnsupportedVersion) {
            // A server that left the 2025 era: the next attempt probes again.
            std::lock_guard lock(mutex_);
            lastEra_ = Era::Unknown;
            if (config_.protocol == mcp::kOfferedProtocolVersion)
                detail = "; mcp.servers." + config_.id + ".protocol = " + mcp::kOfferedProtocolVersion + " pins the 2025 era";
        }
        markDisconnected(generation, "initialize failed: " + outcome.errorMessage + " (JSON-RPC " + std::to_string(outcome.errorCode) +
                                         (outcome.errorDataJson.empty() ? "" : ", data " + outcome.errorDataJson) + ")" + detail);
        return;
    }
    if (outcome.kind != RpcOutcome::Kind::Result) {
        markDisconnected(generation, "initialize failed: " + outcome.errorMessage);
        return;
    }
    auto result = outcome.resultObject();
    const std::string version = json::stringMember(result, "protocolVersion");
    const mcp::ProtocolRevision* revision = mcp::findRevision(version);
    if (!revision || !revision->initializeHandshake) {
        markDisconnected(generation, "the server answered protocol version '" + version +
                                         "', which the gateway does not speak (it speaks " + mcp::supportedVersionList() + ")");
        return;
    }
    adoptServer(generation, result, Era::Legacy, version);
}

void McpConnection::adoptServer(std::uint64_t generation, const Poco::JSON::Object::Ptr& result, Era era, const std::string& version) {
    auto capabilities = result && result->has("capabilities") ? asObject(result->get("capabilities")) : nullptr;
    const bool hasTools = capabilities && capabilities->has("tools");
    // The new era names the server in the result's _meta; the 2025 era (and some new servers) in serverInfo.
    Poco::Dynamic::Var serverInfo = result && result->has("serverInfo") ? result->get("serverInfo") : Poco::Dynamic::Var();
    if (serverInfo.isEmpty() && result)
        if (const auto meta = result->getObject("_meta"); meta && meta->has(mc::mcp::modern::kMetaServerInfo))
            serverInfo = meta->get(mc::mcp::modern::kMetaServerInfo);
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_) return;
        era_ = era;
        lastEra_ = era;
        protocolVersion_ = version;
        serverInfoJson_ = serverInfo.isEmpty() ? "null" : stringify(serverInfo);
        serverVersion_ = json::stringMember(asObject(serverInfo), "version");
        capabilitiesJson_ = capabilities ? stringify(result->get("capabilities")) : "{}";
        capabilityNames_.clear();
        if (capabilities) capabilities->getNames(capabilityNames_);
        instructions_ = json::stringMember(result, "instructions");
        discoverTtlMs_ = era == Era::Modern && result->has("ttlMs") && result->get("ttlMs").isNumeric() ? result->get("ttlMs").convert<long long>() : 0;
        toolsStaleAtUs_ = 0;
        listenId_ = 0;
        listening_ = false;
    }
    if (era == Era::Legacy) {
        log_->info("mcp '{}': initialized, protocol {}, server {}", config_.id, version, serverVersion_);
        notify(generation, "notifications/initialized", "{}");
    } else {
        log_->info("mcp '{}': server/discover: protocol {} (no session), server {}", config_.id, version, serverVersion_);
    }
    if (hasTools) {
        listTools(generation, true, "", {}, 0);
    } else {
        {
            std::lock_guard lock(mutex_);
            if (generation == generation_) {
                tools_.clear();
                toolOfferings_ = std::make_shared<const std::vector<Offered>>();
                catalogStamp_ = newStamp();
            }
        }
        listCatalogs(generation, [this, generation] { applyLogLevel(generation); });
    }
}

void McpConnection::listTools(std::uint64_t generation, bool duringHandshake, std::string cursor, std::vector<Tool> gathered,
                              int page) {
    const std::string params = cursor.empty() ? "{}" : "{\"cursor\":" + json::quote(cursor) + "}";
    request(generation, "tools/list", params, services_.settings.requestTimeout,
            [this, generation, duringHandshake, cursor, gathered = std::move(gathered), page](RpcOutcome outcome) mutable {
                if (outcome.kind != RpcOutcome::Kind::Result) {
                    const std::string why = "tools/list failed: " + outcome.errorMessage;
                    if (duringHandshake) markDisconnected(generation, why);
                    else log_->warn("mcp '{}': {}", config_.id, why);
                    return;
                }
                auto result = outcome.resultObject();
                Poco::JSON::Array::Ptr tools;
                if (result && result->has("tools") && result->get("tools").type() == typeid(Poco::JSON::Array::Ptr))
                    tools = result->getArray("tools");
                for (std::size_t i = 0; tools && i < tools->size(); ++i) {
                    auto tool = tools->getObject(static_cast<unsigned>(i));
                    const std::string name = json::stringMember(tool, "name");
                    if (name.empty()) continue;
                    Tool t{name, stringify(tools->get(static_cast<unsigned>(i))), "", tool};
                    if (tool->has("inputSchema")) t.inputSchemaJson = stringify(tool->get("inputSchema"));
                    gathered.push_back(std::move(t));
                }
                const std::string next = json::stringMember(result, "nextCursor");
                if (!next.empty() && next != cursor && page + 1 < kMaxToolPages) {
                    listTools(generation, duringHandshake, next, std::move(gathered), page + 1);
                    return;
                }
                std::size_t count = gathered.size();
                bool unchanged = false;
                {
                    std::lock_guard lock(mutex_);
                    if (generation != generation_) return;
                    // The new era says how long a list stays good; the gateway lists again when it ends.
                    const bool ttl = era_ == Era::Modern && result && result->has("ttlMs") && result->get("ttlMs").isNumeric();
                    toolsStaleAtUs_ = ttl ? nowUnixUs() + std::max<long long>(0, result->get("ttlMs").convert<long long>()) * 1000 : 0;
                    // Listed again (its ttl ended, a listen stream reopened, a list_changed that changed
                    // nothing): the same tools keep their snapshot, and nobody is told of a change.
                    unchanged = !duringHandshake &&
                                std::equal(tools_.begin(), tools_.end(), gathered.begin(), gathered.end(),
                                           [](const Tool& a, const Tool& b) { return a.json == b.json; });
                    if (!unchanged) {
                        auto offered = std::make_shared<std::vector<Offered>>();
                        for (const auto& t : gathered) offered->push_back(Offered{t.name, t.object});
                        tools_ = std::move(gathered);
                        toolOfferings_ = std::move(offered);
                        catalogStamp_ = newStamp();
                    }
                }
                if (unchanged) {
                    log_->debug("mcp '{}': {} tools, unchanged", config_.id, count);
                    return;
                }
                log_->info("mcp '{}': {} tools ({} page(s))", config_.id, count, page + 1);
                if (duringHandshake) listCatalogs(generation, [this, generation] { applyLogLevel(generation); });
                else if (status() == McpStatus::Connected) publishStatus("tools_changed");
            });
}

namespace {
struct CatalogMethod {
    const char* method;     // the list request
    const char* member;     // the result's array
    const char* capability; // what the server declares to offer it
    const char* key;        // each item's identifying member
};
constexpr CatalogMethod kCatalogMethods[] = {{"resources/list", "resources", "resources", "uri"},
                                             {"resources/templates/list", "resourceTemplates", "resources", "uriTemplate"},
                                             {"prompts/list", "prompts", "prompts", "name"}};
} // namespace

void McpConnection::listCatalogs(std::uint64_t generation, std::function<void()> then) {
    // Resources, then templates, then prompts (each only when declared), then `then`.
    std::function<void()> chain = std::move(then);
    for (int i = 2; i >= 0; --i) {
        const auto which = static_cast<Catalog>(i);
        if (!hasCapability(kCatalogMethods[i].capability)) {
            std::lock_guard lock(mutex_);
            if (generation == generation_) {
                catalogs_[i] = std::make_shared<const std::vector<Offered>>();
                catalogStamp_ = newStamp();
            }
            continue;
        }
        chain = [this, generation, which, next = std::move(chain)] { listCatalog(generation, which, "", {}, 0, next); };
    }
    chain();
}

void McpConnection::listCatalog(std::uint64_t generation, Catalog which, std::string cursor, std::vector<Offered> gathered, int page,
                                std::function<void()> then) {
    const auto& m = kCatalogMethods[static_cast<int>(which)];
    const std::string params = cursor.empty() ? "{}" : "{\"cursor\":" + json::quote(cursor) + "}";
    request(generation, m.method, params, services_.settings.requestTimeout,
            [this, generation, which, cursor, gathered = std::move(gathered), page, then = std::move(then)](RpcOutcome outcome) mutable {
                const auto& m = kCatalogMethods[static_cast<int>(which)];
                if (outcome.kind == RpcOutcome::Kind::Disconnected) return; // the connection is gone; nothing follows
                if (outcome.kind != RpcOutcome::Kind::Result) {
                    log_->warn("mcp '{}': {} failed: {}", config_.id, m.method, outcome.errorMessage);
                    return then();
                }
                auto result = outcome.resultObject();
                Poco::JSON::Array::Ptr items;
                if (result && result->has(m.member) && result->get(m.member).type() == typeid(Poco::JSON::Array::Ptr))
                    items = result->getArray(m.member);
                for (std::size_t i = 0; items && i < items->size(); ++i) {
                    auto item = items->getObject(static_cast<unsigned>(i));
                    std::string key = json::stringMember(item, m.key);
                    if (key.empty()) continue; // nothing to name it by
                    gathered.push_back(Offered{std::move(key), item});
                }
                const std::string next = json::stringMember(result, "nextCursor");
                if (!next.empty() && next != cursor && page + 1 < kMaxToolPages) {
                    listCatalog(generation, which, next, std::move(gathered), page + 1, std::move(then));
                    return;
                }
                const std::size_t count = gathered.size();
                {
                    std::lock_guard lock(mutex_);
                    if (generation != generation_) return;
                    auto& kept = catalogs_[static_cast<int>(which)];
                    const bool unchanged = std::equal(kept->begin(), kept->end(), gathered.begin(), gathered.end(),
                                                      [](const Offered& a, const Offered& b) {
                                                          return a.key == b.key && stringify(a.object) == stringify(b.object);
                                                      });
                    if (!unchanged) {
                        kept = std::make_shared<const std::vector<Offered>>(std::move(gathered));
                        catalogStamp_ = newStamp();
                    }
                }
                log_->info("mcp '{}': {} {} ({} page(s))", config_.id, count, m.member, page + 1);
                then();
            });
}

McpConnection::Offerings McpConnection::catalog(Catalog which) const {
    std::lock_guard lock(mutex_);
    if (mirror_ && status_ != McpStatus::Connected) return mirror_->lists[1 + static_cast<int>(which)];
    return catalogs_[static_cast<int>(which)];
}

bool McpConnection::hasCapability(const std::string& name) const {
    std::lock_guard lock(mutex_);
    return hasCapabilityLocked(name);
}

bool McpConnection::hasCapabilityLocked(const std::string& name) const {
    return std::find(capabilityNames_.begin(), capabilityNames_.end(), name) != capabilityNames_.end();
}

void McpConnection::forward(const std::string& method, const std::string& paramsJson, const std::string& target,
                            const std::string& threadId, const std::string& traceparentText, std::chrono::milliseconds timeout,
                            RpcCallback done, const std::shared_ptr<CancelSignal>& cancel, RequestHooks hooks) {
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(mutex_);
        if (holdLocked([self = shared_from_this(), method, paramsJson, target, threadId, traceparentText, timeout, done, cancel, hooks] {
                self->forward(method, paramsJson, target, threadId, traceparentText, timeout, done, cancel, hooks);
            }))
            return;
        if (status_ == McpStatus::Connected) generation = generation_;
    }
    if (generation == 0) {
        RpcOutcome outcome;
        outcome.errorMessage = "the MCP server '" + config_.id + "' is not connected";
        return done(std::move(outcome));
    }
    Poco::JSON::Object::Ptr params;
    try {
        params = asObject(json::parse(paramsJson.empty() ? std::string_view("{}") : std::string_view(paramsJson)));
    } catch (const Poco::Exception&) {
    }
    if (!params) params = new Poco::JSON::Object;
    RequestLabels labels{target, threadId, {}, {}, {}};
    const auto caller = parseTraceparent(traceparentText);
    // The agent's _meta goes on without the protocol's own keys (the gateway's request says its own).
    Poco::JSON::Object::Ptr meta = new Poco::JSON::Object;
    if (const auto given = params->getObject("_meta"))
        for (const auto& [name, value] : *given)
            if (name.rfind(mc::mcp::modern::kMetaPrefix, 0) != 0) meta->set(name, value);
    params->remove("_meta");
    if (services_.calls || caller) {
        if (services_.calls) { // as for tools/call: the server learns the span it is called from
            labels.traceId = caller ? caller->traceId : threadId.empty() ? randomTraceId() : traceIdForThread(threadId);
            if (caller) labels.parentSpanId = caller->spanId;
            labels.spanId = randomSpanId();
            meta->set("traceparent", traceparent(labels.traceId, labels.spanId));
        } else {
            meta->set("traceparent", traceparentText);
        }
    }
    // A caller that hears progress or answers the server's requests: the request gets a progress
    // token of the gateway's, by which the server's messages about it are known (as for tools/call).
    if (hooks.onProgress || hooks.onServerRequest || !hooks.cannotAnswer.empty()) {
        std::string token;
        {
            std::lock_guard lock(mutex_);
            token = config_.id + "-" + std::to_string(++nextProgressToken_);
            progress_[token] = ProgressContext{target, threadId, std::move(hooks.onProgress), hooks.onServerRequest, hooks.asker,
                                               hooks.cannotAnswer};
        }
        meta->set("progressToken", token);
        done = [this, token, done = std::move(done)](RpcOutcome outcome) {
            {
                std::lock_guard lock(mutex_);
                progress_.erase(token);
            }
            done(std::move(outcome));
        };
    }
    // A result of the new era comes back without its era's own members: the face adds its own to
    // whoever asked, in that one's era.
    done = [done = std::move(done)](RpcOutcome outcome) {
        static const mc::json::Scan kNothing;
        const auto& scanned = outcome.result ? outcome.result->scanned : kNothing;
        const auto meta = scanned.member("_meta");
        const bool eraMembers = scanned.member("resultType") || scanned.member("ttlMs") || scanned.member("cacheScope") ||
                                (meta && mc::json::scan(*meta).member(mc::mcp::modern::kMetaServerInfo));
        if (auto result = eraMembers ? outcome.resultObject() : nullptr) { // rewritten only when there is something to take out
            for (const char* member : {"resultType", "ttlMs", "cacheScope"}) result->remove(member);
            if (auto resultMeta = result->getObject("_meta")) {
                resultMeta->remove(mc::mcp::modern::kMetaServerInfo);
                if (resultMeta->size() == 0) result->remove("_meta");
            }
            outcome.result = ResultText::of(stringify(result));
        }
        done(std::move(outcome));
    };
    Resend resend;
    resend.generation = generation;
    resend.method = method;
    resend.paramsJson = stringify(params);
    resend.metaMembers = membersOf(stringify(meta));
    resend.timeout = timeout;
    resend.labels = labels;
    resend.cancel = cancel;
    resend.ask = std::move(hooks.onServerRequest);
    resend.cannotAnswer = std::move(hooks.cannotAnswer);
    requestAnswering(std::move(resend), std::move(done));
}

void McpConnection::applyLogLevel(std::uint64_t generation) {
    bool hasLogging = false;
    {
        std::lock_guard lock(mutex_);
        if (era_ == Era::Modern) {
            // No logging/setLevel in the new era: every request names its log level in _meta.
        } else try {
            auto caps = asObject(json::parse(capabilitiesJson_));
            hasLogging = caps && caps->has("logging");
        } catch (const Poco::Exception&) {
        }
    }
    if (!hasLogging) {
        markConnected(generation);
        return;
    }
    const std::string level = effectiveLogLevel();
    request(generation, "logging/setLevel", "{\"level\":" + json::quote(level) + "}", services_.settings.requestTimeout,
            [this, generation, level](RpcOutcome outcome) {
                if (outcome.kind == RpcOutcome::Kind::Disconnected) return;
                if (outcome.kind != RpcOutcome::Kind::Result)
                    log_->warn("mcp '{}': logging/setLevel {} failed: {}", config_.id, level, outcome.errorMessage);
                markConnected(generation);
            });
}

void McpConnection::markConnected(std::uint64_t generation) {
    std::size_t tools = 0;
    bool reloaded = false;
    std::string leaving; // the plugin of a transport retired while this attempt connected on it
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_ || status_ == McpStatus::Disconnected) return;
        if (link_ && link_->transport && link_->transport->retired) leaving = link_->plugin->info.id;
        status_ = McpStatus::Connected;
        connectedSinceUs_ = nowUnixUs();
        lastSeenUs_ = connectedSinceUs_;
        lastError_.clear();
        backoff_.reset();
        tools = tools_.size();
        // Still on a retired instance (it was replaced again while this attempt connected): what
        // waits keeps waiting for the next attempt.
        reloaded = reloading_ && leaving.empty();
        if (reloaded) reloading_ = false;
        if (!leaving.empty()) reloading_ = true;
    }
    log_->info("mcp '{}': connected ({} tools)", config_.id, tools);
    publishStatus("status");
    if (reloaded) releaseHeld();
    if (!leaving.empty()) {
        const std::string why = "transport plugin " + leaving + " was replaced or removed while connecting";
        log_->info("mcp '{}': {}; draining before reconnecting", config_.id, why);
        drainThenReconnect(generation, std::chrono::steady_clock::now() + services_.settings.requestTimeout, why);
        return;
    }
    schedulePing(generation);
    listen(generation);
}

void McpConnection::markDisconnected(std::uint64_t generation, const std::string& reason, bool reconnectNow) {
    std::shared_ptr<Link> link;
    std::map<std::int64_t, Pending> pending;
    std::chrono::milliseconds delay{0};
    bool release = false;
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_ || shuttingDown_ || status_ == McpStatus::Disconnected) return;
        // A reload's own reconnect keeps what waits for it; any other disconnect ends the wait.
        release = reloading_ && !reconnectNow;
        if (release) reloading_ = false;
        status_ = McpStatus::Disconnected;
        lastError_ = reason;
        era_ = Era::Unknown;
        listenId_ = 0;
        listening_ = false;
        link = std::move(link_);
        if (link) retiring_.push_back(link);
        pending = takeAllPendingLocked();
        progress_.clear();
        connectedSinceUs_ = 0;
        delay = reconnectNow ? std::chrono::milliseconds(0) : backoff_.next();
        nextRetryUs_ = nowUnixUs() + delay.count() * 1000;
    }
    if (reconnectNow) log_->info("mcp '{}': {}; reconnecting now", config_.id, reason);
    else log_->warn("mcp '{}': disconnected: {}; reconnecting in {} ms", config_.id, reason, delay.count());
    for (auto& [id, p] : pending) {
        RpcOutcome outcome;
        outcome.errorMessage = "the MCP server '" + config_.id + "' disconnected: " + reason;
        p.callback(std::move(outcome));
    }
    publishStatus("status");
    if (release) releaseHeld();
    auto self = shared_from_this();
    if (link) {
        services_.scheduler.post([self, link] {
            std::lock_guard lifecycle(self->lifecycleMutex_);
            self->dispose(link);
            std::lock_guard lock(self->mutex_);
            auto& r = self->retiring_;
            r.erase(std::remove(r.begin(), r.end(), link), r.end());
        });
    }
    std::weak_ptr<McpConnection> weak = self;
    services_.scheduler.schedule(delay, [weak, generation] {
        auto conn = weak.lock();
        if (!conn) return;
        {
            std::lock_guard lock(conn->mutex_);
            if (conn->shuttingDown_ || conn->generation_ != generation || conn->status_ != McpStatus::Disconnected) return;
        }
        conn->connect(generation);
    });
}

void McpConnection::leaveTransport(const std::string& pluginId, const std::string& why) {
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(mutex_);
        // Not on it (disconnected, or on another plugin): the next attempt finds what serves it now.
        if (shuttingDown_ || !link_ || link_->plugin->info.id != pluginId || reloading_) return;
        reloading_ = true;
        generation = generation_;
    }
    log_->info("mcp '{}': {}; draining before reconnecting", config_.id, why);
    drainThenReconnect(generation, std::chrono::steady_clock::now() + services_.settings.requestTimeout, why);
}

void McpConnection::drainThenReconnect(std::uint64_t generation, std::chrono::steady_clock::time_point deadline,
                                       const std::string& why) {
    std::size_t inFlight = 0;
    {
        std::lock_guard lock(mutex_);
        if (shuttingDown_ || generation != generation_) return; // that attempt ended on its own
        for (const auto& [id, p] : pending_)
            if (id != listenId_) ++inFlight; // the listen stream never ends by itself
    }
    if (inFlight > 0 && std::chrono::steady_clock::now() < deadline) {
        std::weak_ptr<McpConnection> weak = weak_from_this();
        services_.scheduler.schedule(std::chrono::milliseconds(10), [weak, generation, deadline, why] {
            if (auto self = weak.lock()) self->drainThenReconnect(generation, deadline, why);
        });
        return;
    }
    markDisconnected(generation, why, true);
}

bool McpConnection::holdLocked(std::function<void()> request) {
    if (!reloading_ || shuttingDown_) return false;
    held_.push_back(std::move(request));
    return true;
}

void McpConnection::releaseHeld() {
    std::vector<std::function<void()>> held;
    {
        std::lock_guard lock(mutex_);
        held.swap(held_);
    }
    for (auto& request : held) services_.scheduler.post(std::move(request));
}

void McpConnection::retryNow() {
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(mutex_);
        if (shuttingDown_ || status_ != McpStatus::Disconnected) return;
        generation = generation_;
        nextRetryUs_ = nowUnixUs();
    }
    std::weak_ptr<McpConnection> weak = weak_from_this();
    services_.scheduler.post([weak, generation] {
        auto conn = weak.lock();
        if (!conn) return;
        {
            std::lock_guard lock(conn->mutex_);
            if (conn->shuttingDown_ || conn->generation_ != generation || conn->status_ != McpStatus::Disconnected) return;
        }
        conn->connect(generation);
    });
}

std::chrono::milliseconds McpConnection::healthInterval() const {
    // The new era's server/discover result says how long it stays good: no sooner than that.
    if (era_ == Era::Modern) return std::max(services_.settings.pingInterval, std::chrono::milliseconds(discoverTtlMs_));
    return services_.settings.pingInterval;
}

void McpConnection::schedulePing(std::uint64_t generation) {
    std::chrono::milliseconds interval;
    {
        std::lock_guard lock(mutex_);
        interval = healthInterval();
    }
    std::weak_ptr<McpConnection> weak = weak_from_this();
    services_.scheduler.schedule(interval, [weak, generation] {
        if (auto self = weak.lock()) self->ping(generation);
    });
}

void McpConnection::ping(std::uint64_t generation) {
    bool modern = false;
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_ || status_ != McpStatus::Connected) return;
        modern = era_ == Era::Modern;
    }
    if (modern) return checkModernHealth(generation); // no ping in the new era
    const auto timeout = services_.settings.pingTimeout;
    request(generation, "ping", "{}", timeout, [this, generation, timeout](RpcOutcome outcome) {
        switch (outcome.kind) {
        case RpcOutcome::Kind::Result:
        case RpcOutcome::Kind::Error: // an error reply still proves the server is alive
            schedulePing(generation);
            break;
        case RpcOutcome::Kind::Timeout:
            markDisconnected(generation, "ping not answered within " + std::to_string(timeout.count()) + " ms");
            break;
        case RpcOutcome::Kind::Disconnected:
        case RpcOutcome::Kind::Cancelled: break;
        }
    });
}

void McpConnection::checkModernHealth(std::uint64_t generation) {
    bool relist = false, heardRecently = false;
    std::chrono::milliseconds interval;
    {
        std::lock_guard lock(mutex_);
        const long long now = nowUnixUs();
        interval = healthInterval();
        relist = !listening_ && toolsStaleAtUs_ != 0 && now >= toolsStaleAtUs_ && hasCapabilityLocked("tools");
        if (relist) toolsStaleAtUs_ = 0; // listed again once, not at every check while the list is in flight
        heardRecently = now - lastSeenUs_ < static_cast<long long>(interval.count()) * 1000;
    }
    if (relist) listTools(generation, false, "", {}, 0);
    // Any answer proves the server alive: server/discover only after a silence as long as the interval.
    if (heardRecently) return schedulePing(generation);
    const auto timeout = services_.settings.pingTimeout;
    request(generation, "server/discover", "{}", timeout, [this, generation, timeout](RpcOutcome outcome) {
        switch (outcome.kind) {
        case RpcOutcome::Kind::Result:
            if (const auto ttl = outcome.result ? outcome.result->scanned.member("ttlMs") : std::nullopt) {
                long long ms = 0;
                if (const auto [end, failed] = std::from_chars(ttl->data(), ttl->data() + ttl->size(), ms);
                    failed == std::errc() && end == ttl->data() + ttl->size()) {
                    std::lock_guard lock(mutex_);
                    if (generation == generation_) discoverTtlMs_ = ms;
                }
            }
            schedulePing(generation);
            break;
        case RpcOutcome::Kind::Error: schedulePing(generation); break; // an error reply still proves the server is alive
        case RpcOutcome::Kind::Timeout:
            markDisconnected(generation, "server/discover not answered within " + std::to_string(timeout.count()) + " ms");
            break;
        case RpcOutcome::Kind::Disconnected:
        case RpcOutcome::Kind::Cancelled: break;
        }
    });
}

bool McpConnection::declaresLocked(const char* capability, const char* flag) const {
    try {
        const auto caps = asObject(json::parse(capabilitiesJson_));
        const auto c = caps ? caps->getObject(capability) : nullptr;
        return c && c->has(flag) && c->get(flag).isBoolean() && c->get(flag).extract<bool>();
    } catch (const Poco::Exception&) {
        return false;
    }
}

void McpConnection::subscribeResource(const std::string& uri, bool subscribe, RpcCallback done) {
    const std::string method = subscribe ? "resources/subscribe" : "resources/unsubscribe";
    std::uint64_t generation = 0;
    bool modern = false;
    RpcOutcome outcome;
    {
        std::lock_guard lock(mutex_);
        modern = era_ == Era::Modern;
        if (modern) {
            const bool connected = status_ == McpStatus::Connected;
            if (subscribe && !connected) {
                outcome.errorMessage = "the MCP server '" + config_.id + "' is not connected";
            } else if (subscribe && !declaresLocked("resources", "subscribe")) {
                outcome.kind = RpcOutcome::Kind::Error;
                outcome.errorCode = mcp::kMethodNotFound;
                outcome.errorMessage = "the MCP server '" + config_.id + "' (" + mc::mcp::modern::kVersion +
                                       ") does not offer resource subscriptions (capabilities.resources.subscribe)";
            } else {
                const bool changed = subscribe ? resourceSubscriptions_.insert(uri).second : resourceSubscriptions_.erase(uri) > 0;
                if (changed && connected) generation = generation_;
                outcome = RpcOutcome::resulting("{}");
            }
        }
    }
    if (!modern) // the 2025 era (or not known yet): its requests
        return forward(method, "{\"uri\":" + json::quote(uri) + "}", uri, "", "", services_.settings.requestTimeout, std::move(done));
    if (generation) relisten(generation);
    done(std::move(outcome));
}

void McpConnection::relisten(std::uint64_t generation) {
    std::int64_t replaced = 0;
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_) return;
        replaced = listenId_;
        ++listenEpoch_;
        listenId_ = 0;
        listening_ = false;
    }
    // Over HTTP the transport closes the old stream; over stdio the server gets notifications/cancelled.
    if (replaced > 0) abandon(generation, replaced, RpcOutcome::Kind::Cancelled, "replaced by a listen with other resource subscriptions");
    listen(generation);
}

void McpConnection::listen(std::uint64_t generation) {
    std::string notifications;
    std::uint64_t epoch = 0;
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_ || era_ != Era::Modern || status_ != McpStatus::Connected || listenId_ != 0) return;
        const auto add = [&](const std::string& member) { notifications += (notifications.empty() ? "" : ",") + member; };
        if (declaresLocked("tools", "listChanged")) add("\"toolsListChanged\":true");
        if (declaresLocked("prompts", "listChanged")) add("\"promptsListChanged\":true");
        if (declaresLocked("resources", "listChanged")) add("\"resourcesListChanged\":true");
        if (!resourceSubscriptions_.empty() && declaresLocked("resources", "subscribe")) {
            std::string uris;
            for (const auto& uri : resourceSubscriptions_) uris += (uris.empty() ? "" : ",") + json::quote(uri);
            add("\"resourceSubscriptions\":[" + uris + "]");
        }
        if (notifications.empty()) return; // nothing to hear of: the lists' ttlMs alone keeps them fresh
        listenId_ = -1; // opening
        epoch = listenEpoch_;
    }
    std::int64_t id = 0;
    request(generation, "subscriptions/listen", "{\"notifications\":{" + notifications + "}}", kListenTimeout,
            [this, generation, epoch](RpcOutcome outcome) {
                bool again = false;
                {
                    std::lock_guard lock(mutex_);
                    if (generation != generation_ || epoch != listenEpoch_) return; // replaced meanwhile
                    listenId_ = 0;
                    listening_ = false;
                    again = status_ == McpStatus::Connected;
                }
                if (outcome.kind == RpcOutcome::Kind::Disconnected || outcome.kind == RpcOutcome::Kind::Cancelled || !again) return;
                if (outcome.kind == RpcOutcome::Kind::Error && outcome.errorCode == mcp::kMethodNotFound) {
                    log_->warn("mcp '{}': subscriptions/listen is not served ({}); its lists are kept fresh by their ttlMs alone",
                               config_.id, outcome.errorMessage);
                    return;
                }
                log_->info("mcp '{}': subscriptions/listen ended ({}); listening again in {} ms", config_.id,
                           outcome.kind == RpcOutcome::Kind::Error ? outcome.errorMessage : "closed", services_.settings.pingInterval.count());
                std::weak_ptr<McpConnection> weak = weak_from_this();
                services_.scheduler.schedule(services_.settings.pingInterval, [weak, generation] {
                    if (auto self = weak.lock()) self->listen(generation);
                });
            },
            &id);
    bool replaced = false;
    {
        std::lock_guard lock(mutex_);
        if (generation == generation_ && epoch == listenEpoch_ && listenId_ == -1) listenId_ = id;
        replaced = generation == generation_ && epoch != listenEpoch_ && id > 0;
    }
    // Replaced while it was being opened: nobody else knows its id to end it.
    if (replaced) abandon(generation, id, RpcOutcome::Kind::Cancelled, "replaced by a listen with other resource subscriptions");
}

// ---------------------------------------------------------------------------------------------
// Tool calls

std::string McpConnection::validateArguments(const std::string& inputSchemaJson, const Poco::Dynamic::Var& arguments,
                                             std::string& field) {
    Poco::JSON::Object::Ptr schema;
    if (!inputSchemaJson.empty()) {
        try {
            schema = asObject(json::parse(inputSchemaJson));
        } catch (const Poco::Exception&) {
            // a schema the gateway cannot read is the server's to enforce
        }
    }
    return validateArguments(schema, arguments, field);
}

std::string McpConnection::validateArguments(const Poco::JSON::Object::Ptr& schema, const Poco::Dynamic::Var& arguments,
                                             std::string& field) {
    field.clear();
    auto args = asObject(arguments);
    if (!args) return "\"arguments\" must be a JSON object";
    if (!schema) return {};
    if (schema->has("required") && schema->get("required").type() == typeid(Poco::JSON::Array::Ptr)) {
        auto required = schema->getArray("required");
        for (std::size_t i = 0; i < required->size(); ++i) {
            const auto name = required->get(static_cast<unsigned>(i));
            if (!name.isString()) continue;
            const std::string n = name.extract<std::string>();
            if (!args->has(n)) {
                field = n;
                return "missing required argument \"" + n + "\"";
            }
        }
    }
    auto properties = schema->has("properties") ? asObject(schema->get("properties")) : nullptr;
    if (!properties) return {};
    for (const auto& [name, value] : *args) {
        auto property = properties->has(name) ? asObject(properties->get(name)) : nullptr;
        if (!property || !property->has("type") || !property->get("type").isString()) continue;
        const std::string type = property->get("type").extract<std::string>();
        bool ok = true;
        if (type == "string") ok = value.isString();
        else if (type == "number") ok = value.isNumeric() && !value.isBoolean();
        else if (type == "integer") ok = value.isInteger() && !value.isBoolean();
        else if (type == "boolean") ok = value.isBoolean();
        else if (type == "object") ok = value.type() == typeid(Poco::JSON::Object::Ptr);
        else if (type == "array") ok = value.type() == typeid(Poco::JSON::Array::Ptr);
        else if (type == "null") ok = value.isEmpty();
        if (!ok) {
            field = name;
            return "argument \"" + name + "\" must be of type " + type;
        }
    }
    return {};
}

void McpConnection::endToolCall(const std::string& tool, const std::string& threadId, const ToolCallCallback& done,
                                ToolCallOutcome outcome, const std::shared_ptr<OrderGate>& recordedStart) {
    // The caller has its answer first; the event, written after it, says when the call ended.
    const auto endedUs = nowUnixUs();
    const auto durationMs = outcome.durationMs;
    const std::string outcomeName = outcome.outcome, error = outcome.message;
    done(std::move(outcome));
    log_->debug("mcp '{}': tools/call {} -> {} in {} ms", config_.id, tool, outcomeName, durationMs);
    std::string payload = "{\"mcp_id\":" + json::quote(config_.id) + ",\"tool\":" + json::quote(tool) +
                          ",\"thread_id\":" + (threadId.empty() ? std::string("null") : json::quote(threadId)) +
                          ",\"duration_ms\":" + std::to_string(durationMs) + ",\"outcome\":" + json::quote(outcomeName);
    if (!error.empty()) payload += ",\"error\":" + json::quote(error);
    payload += ",\"timestamp\":" + json::quote(json::isoTimestamp(endedUs)) + "}";
    // Published as built (route would parse it again only to find its channel keys).
    ChannelKeys keys;
    keys.threadId = threadId;
    keys.mcpId = config_.id;
    auto publish = [self = shared_from_this(), payload = std::move(payload), keys = std::move(keys)] {
        self->services_.events.publish(kEventSourcePrefix + self->config_.id, "tool_call", payload, keys);
    };
    if (recordedStart) recordedStart->after(std::move(publish)); // after the call's start records
    else publish();
}

void McpConnection::callTool(ToolCallRequest call, ToolCallCallback done) {
    const auto started = std::chrono::steady_clock::now();
    // What the call's end needs, not the whole request (its callbacks and arguments): this is copied
    // into the answer's callback.
    auto finish = [this, started, tool = call.tool, threadId = call.threadId, recordedStart = call.recordedStart,
                   done](ToolCallOutcome outcome) {
        outcome.durationMs =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
        endToolCall(tool, threadId, done, std::move(outcome), recordedStart);
    };

    auto fail = [&](Refusal refusal, const char* code, const char* outcomeName, std::string message, std::string details = "{}") {
        ToolCallOutcome o;
        o.refusal = refusal;
        o.errorCode = code;
        o.outcome = outcomeName;
        o.message = std::move(message);
        o.detailsJson = std::move(details);
        finish(std::move(o));
    };

    Poco::Dynamic::Var arguments;
    try {
        if (call.arguments) {
            arguments = call.arguments;
        } else {
            arguments = json::parse(call.argumentsJson.empty() ? std::string_view("{}") : std::string_view(call.argumentsJson));
        }
    } catch (const Poco::Exception& e) {
        fail(Refusal::InvalidInput, "bad_request", "invalid_arguments", "\"arguments\" is not valid JSON: " + e.displayText());
        return;
    }
    std::uint64_t generation = 0;
    Poco::JSON::Object::Ptr schema; // the tool's inputSchema as listed (parsed once, read only)
    bool known = false;
    std::string notConnected;
    {
        std::lock_guard lock(mutex_);
        // Its transport is being reloaded: the call goes out on the new connection, not the draining one.
        if (holdLocked([self = shared_from_this(), call, done] { self->callTool(call, done); })) return;
        if (status_ != McpStatus::Connected) {
            notConnected = "the MCP server '" + config_.id + "' is " + statusName(status_) +
                           (lastError_.empty() ? std::string() : " (last error: " + lastError_ + ")");
        }
        generation = generation_;
        for (const auto& t : tools_)
            if (t.name == call.tool) {
                known = true;
                schema = t.object && t.object->has("inputSchema") ? asObject(t.object->get("inputSchema")) : nullptr;
            }
    }
    if (!notConnected.empty()) {
        fail(Refusal::Unavailable, "mcp_disconnected", "disconnected", notConnected);
        return;
    }
    if (!known) {
        fail(Refusal::NotFound, "unknown_tool", "unknown_tool", "the MCP server '" + config_.id + "' has no tool '" + call.tool + "'",
             "{\"mcp_id\":" + json::quote(config_.id) + ",\"tool\":" + json::quote(call.tool) + "}");
        return;
    }
    std::string field;
    const std::string invalid = validateArguments(schema, arguments, field);
    if (!invalid.empty()) {
        const bool wellFormed = asObject(arguments) != nullptr;
        fail(wellFormed ? Refusal::InvalidArguments : Refusal::InvalidInput, wellFormed ? "invalid_arguments" : "bad_request",
             "invalid_arguments",
             "invalid arguments for tool '" + call.tool + "': " + invalid,
             field.empty() ? "{}" : "{\"field\":" + json::quote(field) + "}");
        return;
    }
    std::string token;
    {
        std::lock_guard lock(mutex_);
        token = config_.id + "-" + std::to_string(++nextProgressToken_);
        progress_[token] = ProgressContext{call.tool, call.threadId, std::move(call.onProgress), call.onServerRequest, call.asker,
                                           call.cannotAnswer};
    }
    RequestLabels labels{call.tool, call.threadId, {}, {}, {}};
    // The arguments as the caller wrote them (argumentsJson is their text, `arguments` its parse): not
    // written out again.
    const std::string params = "{\"name\":" + json::quote(call.tool) + ",\"arguments\":" +
                               (call.argumentsJson.empty() ? std::string("{}") : call.argumentsJson) + "}";
    std::string meta = "\"progressToken\":" + json::quote(token);
    // The agent's trace, when it sent one: the call is a step of it (W3C trace context).
    const auto caller = parseTraceparent(call.traceparent);
    if (services_.calls) {
        // Where the call's span is exported, the server learns it (MCP's conventions: params._meta.traceparent),
        // so what it exports itself joins the same trace.
        labels.traceId = caller ? caller->traceId : call.threadId.empty() ? randomTraceId() : traceIdForThread(call.threadId);
        if (caller) labels.parentSpanId = caller->spanId;
        labels.spanId = randomSpanId();
        meta += ",\"traceparent\":" + json::quote(traceparent(labels.traceId, labels.spanId));
    } else if (caller) {
        meta += ",\"traceparent\":" + json::quote(call.traceparent); // passed on: the server joins the agent's trace
    }
    const long long timeoutMs = call.timeout.count();
    Resend resend;
    resend.generation = generation;
    resend.method = "tools/call";
    resend.paramsJson = params;
    resend.metaMembers = meta;
    resend.timeout = call.timeout;
    resend.labels = labels;
    resend.cancel = std::move(call.cancel);
    resend.ask = std::move(call.onServerRequest);
    resend.cannotAnswer = std::move(call.cannotAnswer);
    requestAnswering(std::move(resend),
            [this, token, finish = std::move(finish), timeoutMs, tool = call.tool](RpcOutcome outcome) {
                {
                    std::lock_guard lock(mutex_);
                    progress_.erase(token);
                }
                ToolCallOutcome o;
                switch (outcome.kind) {
                case RpcOutcome::Kind::Result: {
                    // The server's content as it wrote it.
                    const auto* found = outcome.result ? &outcome.result->scanned : nullptr;
                    const bool isError = toolResultIsError(outcome);
                    const std::string_view content = found ? found->member("content").value_or("[]") : "[]";
                    const std::string_view structured = found ? found->member("structuredContent").value_or("") : ""; // "": absent
                    std::string body;
                    body.reserve(content.size() + structured.size() + 64);
                    body.append("{\"content\":").append(content).append(",\"isError\":").append(isError ? "true" : "false");
                    if (!structured.empty()) body.append(",\"structuredContent\":").append(structured);
                    body += '}';
                    o.resultJson = std::move(body);
                    o.outcome = isError ? "tool_error" : "ok";
                    break;
                }
                case RpcOutcome::Kind::Error: {
                    if (outcome.gatewayCode == "input_required") { // the server's question had nobody to answer it
                        o.refusal = Refusal::NotSupported;
                        o.errorCode = o.outcome = outcome.gatewayCode;
                        o.message = "tool '" + tool + "' on '" + config_.id + "': " + outcome.errorMessage;
                        break;
                    }
                    const std::string details = "{\"jsonrpc_code\":" + std::to_string(outcome.errorCode) +
                                                (outcome.errorDataJson.empty() ? "" : ",\"data\":" + outcome.errorDataJson) + "}";
                    o.detailsJson = details;
                    o.message = "the MCP server '" + config_.id + "' refused tools/call " + tool + ": " + outcome.errorMessage;
                    if (outcome.errorCode == mcp::kInvalidParams) {
                        o.refusal = Refusal::InvalidArguments;
                        o.errorCode = "invalid_arguments";
                        o.outcome = "invalid_arguments";
                    } else {
                        o.refusal = Refusal::UpstreamFailed;
                        o.errorCode = "mcp_error";
                        o.outcome = "mcp_error";
                    }
                    break;
                }
                case RpcOutcome::Kind::Timeout:
                    o.refusal = Refusal::TimedOut;
                    o.errorCode = "timeout";
                    o.outcome = "timeout";
                    o.message = "tool '" + tool + "' on '" + config_.id + "' did not answer within " +
                                std::to_string(timeoutMs) + " ms; the request was cancelled";
                    break;
                case RpcOutcome::Kind::Disconnected:
                    o.refusal = Refusal::Unavailable;
                    o.errorCode = "mcp_disconnected";
                    o.outcome = "disconnected";
                    o.message = outcome.errorMessage;
                    break;
                case RpcOutcome::Kind::Cancelled: // nobody waits for the answer any more
                    o.refusal = Refusal::Unavailable;
                    o.errorCode = "cancelled";
                    o.outcome = "cancelled";
                    o.message = outcome.errorMessage;
                    break;
                }
                finish(std::move(o));
            });
}

// ---------------------------------------------------------------------------------------------
// Events and views

McpConnection::MappedLog McpConnection::mapLogNotification(const std::string& mcpId, const Poco::Dynamic::Var& params) {
    MappedLog out;
    auto p = asObject(params);
    out.mcpLevel = json::stringMember(p, "level");
    out.level = mcp::structuredLevelFor(out.mcpLevel);
    out.service = json::stringMember(p, "logger");
    if (out.service.empty()) out.service = mcpId;
    if (!p || !p->has("data")) return out;
    const auto data = p->get("data");
    if (data.isString()) {
        out.message = data.extract<std::string>();
    } else if (auto object = asObject(data)) {
        out.context = object;
        out.message = json::stringMember(object, "message");
        if (out.message.empty()) out.message = json::stringMember(object, "msg");
        if (out.message.empty()) out.message = stringify(data);
    } else {
        out.message = stringify(data);
    }
    return out;
}

mc::records::TypedRecord McpConnection::logEvent(long long unixMicros, const std::string& level, const std::string& service,
                                                 const std::string& mcpId, const std::string& message,
                                                 const Poco::JSON::Object::Ptr& context, const std::string& mcpLevel) {
    Poco::JSON::Object::Ptr withLevel = context;
    if (!mcpLevel.empty()) {
        withLevel = context ? new Poco::JSON::Object(*context) : new Poco::JSON::Object;
        withLevel->set("mcp_level", mcpLevel);
    }
    const auto build = [&](std::string contextJson) {
        mc::records::RecordBuilder event(*mc::records::findKind("log"));
        event.text("timestamp", json::isoTimestamp(unixMicros))
            .text("level", level)
            .text("service", service)
            .text("mcp_id", mcpId)
            .text("message", message)
            .json("context", std::move(contextJson));
        return event.build([unixMicros] { return json::isoTimestamp(unixMicros); });
    };
    const std::string contextJson = withLevel ? stringify(withLevel) : std::string("{}");
    try {
        return build(contextJson); // the record's own check reads the context once
    } catch (const std::invalid_argument&) {
        const std::string problem = mc::records::jsonFieldProblem(contextJson);
        if (problem.empty()) throw; // another field's fault
        // A server's data nested too deep for the record: the line is kept, its context as text.
        Poco::JSON::Object::Ptr kept = new Poco::JSON::Object;
        if (!mcpLevel.empty()) kept->set("mcp_level", mcpLevel);
        kept->set("context_text", contextJson);
        kept->set("context_problem", "context " + problem);
        return build(stringify(kept));
    }
}

void McpConnection::emitLog(const std::string& level, const std::string& service, const std::string& message,
                            const Poco::JSON::Object::Ptr& context, const std::string& mcpLevel) {
    switch (logBudget_.admit()) {
    case LogRateLimiter::Verdict::Pass: routeLog(level, service, message, context, mcpLevel); return;
    case LogRateLimiter::Verdict::Drop: return;
    case LogRateLimiter::Verdict::DropFirst: {
        std::weak_ptr<McpConnection> weak = weak_from_this();
        services_.scheduler.schedule(std::chrono::seconds(1), [weak] {
            if (auto self = weak.lock()) self->reportDroppedLogs();
        });
        return;
    }
    }
}

void McpConnection::reportDroppedLogs() {
    const auto dropped = logBudget_.takeDropped();
    if (dropped == 0) return;
    const auto& s = services_.settings;
    log_->warn("mcp '{}': dropped {} log line(s) over its budget", config_.id, dropped);
    Poco::JSON::Object::Ptr context = new Poco::JSON::Object;
    context->set("dropped", static_cast<Poco::Int64>(dropped));
    context->set("dropped_total", static_cast<Poco::Int64>(logBudget_.droppedTotal()));
    context->set("reason", "rate_limit");
    routeLog("WARN", "mission-control",
             "dropped " + std::to_string(dropped) + " log line(s) of MCP server '" + config_.id +
                 "' over its budget (gateway.log_rate_per_second = " + std::to_string(s.logRatePerSecond) +
                 ", gateway.log_burst = " + std::to_string(s.logBurst) + ")",
             context, "");
}

void McpConnection::routeLog(const std::string& level, const std::string& service, const std::string& message,
                             const Poco::JSON::Object::Ptr& context, const std::string& mcpLevel) const {
    std::string error;
    mc_status status = MC_ERR_INVALID_ARGUMENT;
    try {
        status = services_.events.routeRecord(kEventSourcePrefix + config_.id,
                                              logEvent(nowUnixUs(), level, service, config_.id, message, context, mcpLevel), &error);
    } catch (const std::invalid_argument& e) {
        error = e.what();
    }
    if (status != MC_OK) log_->warn("mcp '{}': log event refused: {}", config_.id, error);
}

void McpConnection::publishStatus(const std::string& change) const {
    std::string payload;
    {
        std::lock_guard lock(mutex_);
        payload = summaryLocked(false);
    }
    payload.pop_back();
    payload += ",\"change\":" + json::quote(change) + "}";
    std::string error;
    if (services_.events.route(kEventSourcePrefix + config_.id, "mcp", payload, &error) != MC_OK)
        log_->warn("mcp '{}': status event refused: {}", config_.id, error);
    if (change == "status" || change == "removed") recordStatusChange(change == "removed" ? "removed" : "");
    if (services_.listener.changed) services_.listener.changed(config_.id, change);
}

void McpConnection::recordStatusChange(const std::string& statusOverride) const {
    std::string record;
    {
        std::lock_guard lock(mutex_);
        const std::string status = statusOverride.empty() ? statusName(status_) : statusOverride;
        if (status == recordedStatus_) return;
        record = "{\"mcp_id\":" + json::quote(config_.id) + ",\"status\":" + json::quote(status) + ",\"previous_status\":" +
                 (recordedStatus_.empty() ? std::string("null") : json::quote(recordedStatus_)) +
                 ",\"endpoint\":" + json::quote(config_.endpoint()) +
                 ",\"detail\":" + (lastError_.empty() ? std::string("null") : json::quote(lastError_)) + "}";
        recordedStatus_ = status;
    }
    std::string error;
    if (services_.events.route(kEventSourcePrefix + config_.id, "mcp_status", record, &error) != MC_OK)
        log_->warn("mcp '{}': status record refused: {}", config_.id, error);
}

std::string McpConnection::summaryLocked(bool detail) const {
    std::string out = "{\"id\":" + json::quote(config_.id) + ",\"transport\":" + json::quote(config_.transport) +
                      ",\"endpoint\":" + json::quote(config_.endpoint()) + ",\"origin\":" + json::quote(origin_) +
                      ",\"status\":" + json::quote(statusName(status_)) +
                      (clustered_ ? ",\"owner\":" + (owner_.empty() ? std::string("null") : json::quote(owner_)) : std::string()) +
                      ",\"transport_status\":{\"status\":" + json::quote(componentStatusName(transportStatus_)) +
                      ",\"message\":" + json::quote(transportMessage_) + "}" +
                      ",\"last_seen\":" + timestampOrNull(lastSeenUs_) +
                      ",\"last_error\":" + (lastError_.empty() ? std::string("null") : json::quote(lastError_)) +
                      ",\"version\":" + (serverVersion_.empty() ? std::string("null") : json::quote(serverVersion_)) +
                      ",\"server_info\":" + serverInfoJson_ + ",\"protocol\":" + json::quote(config_.protocol) + ",\"protocol_version\":" +
                      (protocolVersion_.empty() ? std::string("null") : json::quote(protocolVersion_)) +
                      ",\"connected_since\":" + timestampOrNull(connectedSinceUs_) +
                      ",\"reconnect_attempts\":" + std::to_string(backoff_.attempts()) +
                      ",\"next_retry_at\":" + (status_ == McpStatus::Disconnected ? timestampOrNull(nextRetryUs_) : "null") +
                      ",\"resource_count\":" + std::to_string(catalogs_[0]->size()) +
                      ",\"resource_template_count\":" + std::to_string(catalogs_[1]->size()) +
                      ",\"prompt_count\":" + std::to_string(catalogs_[2]->size()) +
                      ",\"tool_count\":" + std::to_string(tools_.size()) + ",\"tools\":[";
    for (std::size_t i = 0; i < tools_.size(); ++i) {
        if (i) out += ',';
        out += detail ? tools_[i].json : json::quote(tools_[i].name);
    }
    out += ']';
    if (detail) {
        out += ",\"capabilities\":" + capabilitiesJson_;
        out += ",\"instructions\":" + (instructions_.empty() ? std::string("null") : json::quote(instructions_));
        out += ",\"log_level\":" + json::quote(effectiveLogLevel());
    }
    out += '}';
    return out;
}

std::string McpConnection::summaryJson() const {
    std::lock_guard lock(mutex_);
    return summaryLocked(false);
}

std::string McpConnection::detailJson() const {
    std::lock_guard lock(mutex_);
    return summaryLocked(true);
}

} // namespace mc::host
