#include "gateway/McpGateway.h"

#include "config/HostConfig.h"
#include "core/EventRouter.h"
#include "gateway/SecretPlaceholders.h"
#include "log/Logging.h"
#include "plugin/PluginRegistry.h"
#include "util/Clock.h"
#include "util/Json.h"

#include <algorithm>
#include <future>

namespace mc::host {
namespace {
constexpr std::size_t kWorkerThreads = 4; // opens/closes may block up to a connect timeout
}

McpGateway::McpGateway(GatewaySettings settings, PluginRegistry& plugins, EventRouter& events)
    : settings_(std::move(settings)), plugins_(plugins), events_(events), scheduler_(kWorkerThreads) {}

McpGateway::~McpGateway() {
    try {
        stop();
    } catch (...) {
    }
}

void McpGateway::configure(const Poco::Util::AbstractConfiguration& config) {
    configured_.clear();
    for (const auto& id : configuredMcpServerIds(config)) {
        try {
            configured_.push_back(readMcpServerConfig(config, id));
        } catch (const McpConfigError& e) {
            throw ConfigError(e.what());
        }
    }
}

void McpGateway::startTransports(const Poco::Util::AbstractConfiguration& config, const SecretResolver& secrets) {
    PluginConfigOptions options;
    options.secrets = secrets;
    for (const auto& plugin : plugins_.ofKind(MC_KIND_TRANSPORT)) {
        // A bad key of a transport stops start-up, as any other configuration error does.
        ResolvedPluginConfig resolved = resolvePluginConfig(config, plugin->info, options);
        transports_.add(plugin, std::make_unique<HostContext>(plugin->info.id, "default", std::move(resolved),
                                                              &plugins_.statuses(), kindName(plugin->info.kind)));
    }
    for (const auto& c : configured_) {
        std::string field;
        const std::string error = validateDefinition(c, field);
        if (!error.empty()) throw ConfigError("invalid configuration: mcp.servers." + c.id + "." + field + ": " + error);
    }
}

void McpGateway::addTransport(std::shared_ptr<const LoadedPlugin> plugin, const Poco::Util::AbstractConfiguration& config,
                              const SecretResolver& secrets) {
    PluginConfigOptions options;
    options.secrets = secrets;
    ResolvedPluginConfig resolved = resolvePluginConfig(config, plugin->info, options);
    transports_.add(plugin, std::make_unique<HostContext>(plugin->info.id, "default", std::move(resolved),
                                                          &plugins_.statuses(), kindName(plugin->info.kind)));
    // Servers waiting for a transport it serves try now rather than at the end of their backoff.
    for (const auto& connection : connections()) {
        const auto& served = plugin->info.transports;
        if (std::find(served.begin(), served.end(), connection->config().transport) != served.end()) connection->retryNow();
    }
}

bool McpGateway::replaceTransport(std::shared_ptr<const LoadedPlugin> replacement, const Poco::Util::AbstractConfiguration& config,
                                  std::string& error, const SecretResolver& secrets) {
    PluginConfigOptions options;
    options.secrets = secrets;
    ResolvedPluginConfig resolved = resolvePluginConfig(config, replacement->info, options);
    const std::string id = replacement->info.id;
    const std::string version = replacement->info.version;
    if (!transports_.replace(replacement, std::make_unique<HostContext>(id, "default", std::move(resolved), &plugins_.statuses(),
                                                                        kindName(replacement->info.kind)),
                             error))
        return false;
    for (const auto& connection : connections())
        connection->leaveTransport(id, "transport plugin " + id + " replaced by version " + version);
    return true;
}

void McpGateway::removeTransport(const std::string& pluginId) {
    if (!transports_.retire(pluginId)) return;
    for (const auto& connection : connections()) connection->leaveTransport(pluginId, "transport plugin " + pluginId + " removed");
}

namespace {
// The field a transport's validate() message names first; "transport" when it names none.
std::string fieldOfMessage(const std::string& error) {
    if (!error.empty() && error[0] == '"') {
        const std::size_t close = error.find('"', 1);
        if (close == std::string::npos || close == 1) return "transport";
        std::string field = error.substr(1, close - 1);
        std::size_t i = close + 1;
        while (i < error.size() && error[i] != ' ' && error[i] != ':') field += error[i++];
        return field.find(' ') == std::string::npos ? field : std::string("transport");
    }
    const std::size_t end = std::min(error.find(" = "), error.find(": "));
    std::string field = end == std::string::npos || end == 0 ? std::string("transport") : error.substr(0, end);
    if (field.find(' ') != std::string::npos) field = "transport";
    return field;
}
} // namespace

std::string McpGateway::validateDefinition(const McpServerConfig& config, std::string& field) const {
    std::string error;
    if (transports_.validate(config.transport, config.serverJson(), error) == MC_OK) return {};
    // The plugin names the field first: "<field> = '<value>': ...", "<field>: ..." (the SDK's key
    // messages) or a quoted name, "\"<field>\" ..." / "\"<field>\".<member> ..." / "\"<field>\"[i] ..."
    // (the transports' server-definition messages).
    field = fieldOfMessage(error);
    return error;
}

void McpGateway::start() {
    std::vector<std::shared_ptr<McpConnection>> toStart;
    {
        std::lock_guard lock(mutex_);
        if (started_ || stopped_) return;
        started_ = true;
        scheduler_.start();
        for (auto& c : configured_) {
            if (connections_.count(c.id)) continue;
            auto connection = std::make_shared<McpConnection>(
                c, "config", McpConnection::Services{settings_, scheduler_, transports_, events_, calls_, listener_});
            connections_[c.id] = connection;
            // In a cluster a configured server waits for its lease (claim).
            if (clusterSelf_.empty()) toStart.push_back(connection);
        }
        for (auto& entry : connections_) {
            const std::string& id = entry.first; // not a structured binding: lambdas may not capture those (C++17)
            const auto& c = entry.second;
            const bool configured = std::any_of(configured_.begin(), configured_.end(), [&](const McpServerConfig& k) { return k.id == id; });
            if ((clusterSelf_.empty() || !configured) && std::find(toStart.begin(), toStart.end(), c) == toStart.end())
                toStart.push_back(c);
        }
    }
    logging::get("gateway")->info("gateway started: {} MCP server(s) configured; ping every {} ms", toStart.size(),
                                  settings_.pingInterval.count());
    for (auto& c : toStart) c->start();
}

void McpGateway::stop() {
    std::map<std::string, std::shared_ptr<McpConnection>> connections;
    {
        std::lock_guard lock(mutex_);
        if (stopped_) return;
        stopped_ = true;
        connections.swap(connections_);
    }
    // In parallel: each stdio server may take its shutdown grace to exit.
    std::vector<std::future<void>> closing;
    for (auto& [id, c] : connections) closing.push_back(std::async(std::launch::async, [connection = c] { connection->shutdown(); }));
    for (auto& f : closing) f.wait();
    scheduler_.stop();
    transports_.stop(); // every connection is closed: the instances may go
    if (!connections.empty())
        logging::get("gateway")->info("gateway stopped: {} MCP server(s) closed", connections.size());
}

std::shared_ptr<McpConnection> McpGateway::add(McpServerConfig config, const std::string& origin) {
    try {
        checkSecretPlaceholders(config, origin, settings_.apiPlaceholders);
    } catch (const SecretPlaceholderError& e) {
        throw GatewayError(Refusal::Forbidden, "placeholder_not_allowed", e.what(), "{\"field\":" + json::quote(e.field) + "}");
    }
    {
        std::string field;
        const std::string error = validateDefinition(config, field);
        if (!error.empty())
            throw GatewayError(Refusal::InvalidInput, "invalid_config", error, "{\"field\":" + json::quote(field) + "}");
    }
    std::shared_ptr<McpConnection> connection;
    bool startNow = false;
    {
        std::lock_guard lock(mutex_);
        if (stopped_) throw GatewayError(Refusal::Unavailable, "shutting_down", "the gateway is stopping");
        if (connections_.count(config.id))
            throw GatewayError(Refusal::Conflict, "duplicate_id", "an MCP server with id '" + config.id + "' is already registered",
                               "{\"field\":\"id\"}");
        connection = std::make_shared<McpConnection>(std::move(config), origin,
                                                     McpConnection::Services{settings_, scheduler_, transports_, events_, calls_, listener_});
        connections_[connection->id()] = connection;
        startNow = started_;
    }
    logging::get("gateway")->info("mcp '{}' registered ({}, {}): {}", connection->id(), origin,
                                  connection->config().transport, connection->config().endpoint());
    if (startNow) connection->start();
    return connection;
}

void McpGateway::setClustered(std::string selfId) { clusterSelf_ = std::move(selfId); }

std::vector<std::string> McpGateway::configuredIds() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& c : configured_) out.push_back(c.id);
    return out;
}

void McpGateway::claim(const std::string& id) {
    std::shared_ptr<McpConnection> connection;
    {
        std::lock_guard lock(mutex_);
        if (!started_ || stopped_ || claimed_.count(id)) return;
        auto it = connections_.find(id);
        if (it == connections_.end()) return;
        claimed_.insert(id);
        connection = it->second;
    }
    logging::get("gateway")->info("mcp '{}' is this host's ({}): connecting", id, clusterSelf_);
    connection->setOwner(clusterSelf_);
    connection->dropMirror(); // its own lists come once it connects
    connection->start();
}

void McpGateway::yield(const std::string& id) {
    std::shared_ptr<McpConnection> old;
    {
        std::lock_guard lock(mutex_);
        if (!claimed_.erase(id)) return;
        auto it = connections_.find(id);
        if (it == connections_.end() || stopped_) return;
        // A connection runs once: a fresh one waits for the next claim, the old one closes.
        old = it->second;
        const auto config = std::find_if(configured_.begin(), configured_.end(), [&](const McpServerConfig& c) { return c.id == id; });
        if (config == configured_.end()) return;
        it->second = std::make_shared<McpConnection>(
            *config, "config", McpConnection::Services{settings_, scheduler_, transports_, events_, calls_, listener_});
    }
    logging::get("gateway")->info("mcp '{}' is another host's now: closing it here", id);
    old->shutdown();
}

void McpGateway::setOwner(const std::string& id, const std::string& holder) {
    if (auto connection = find(id)) connection->setOwner(holder);
}

bool McpGateway::ownsHere(const std::string& id) const {
    if (clusterSelf_.empty()) return true;
    std::lock_guard lock(mutex_);
    if (claimed_.count(id)) return true;
    return std::none_of(configured_.begin(), configured_.end(), [&](const McpServerConfig& c) { return c.id == id; });
}

bool McpGateway::remove(const std::string& id) {
    std::shared_ptr<McpConnection> connection;
    {
        std::lock_guard lock(mutex_);
        auto it = connections_.find(id);
        if (it == connections_.end()) return false;
        connection = it->second;
        connections_.erase(it);
    }
    connection->shutdown();
    logging::get("gateway")->info("mcp '{}' removed", id);
    return true;
}

std::shared_ptr<McpConnection> McpGateway::find(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = connections_.find(id);
    return it == connections_.end() ? nullptr : it->second;
}

std::optional<std::string> McpGateway::mcpIdForService(const std::string& serviceName) const {
    std::lock_guard lock(mutex_);
    for (const auto& [id, connection] : connections_)
        if (connection->config().serviceName == serviceName) return id;
    // A server exporting under its own id needs no mapping (unless another server claims the name).
    if (connections_.count(serviceName)) return serviceName;
    return std::nullopt;
}

std::vector<std::shared_ptr<McpConnection>> McpGateway::connections() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<McpConnection>> out;
    for (const auto& [id, c] : connections_) out.push_back(c);
    return out;
}

void McpGateway::callTool(const std::string& mcpId, ToolCallRequest request, ToolCallCallback done) {
    const std::string startedAt = json::isoTimestamp(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    if (metrics_) {
        done = [metrics = metrics_.get(), mcpId, tool = request.tool, started = std::chrono::steady_clock::now(),
                done = std::move(done)](ToolCallOutcome o) {
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            const std::string outcome = o.outcome;
            done(std::move(o)); // the caller first: what follows is bookkeeping
            metrics->recordCall(mcpId, tool, outcome, seconds);
        };
    }
    const bool observed = !request.threadId.empty();
    // What the call's end records (its step, its tool_call event) waits for its start's records: they
    // are made while the server works, and the server may answer first. The answer does not wait.
    auto recordedStart = std::make_shared<OrderGate>();
    if (observed && observer_.completed) {
        done = [completed = observer_.completed, mcpId, request, startedAt, recordedStart, done = std::move(done)](ToolCallOutcome o) {
            ToolCallOutcome summary; // the record needs no result
            summary.refusal = o.refusal;
            summary.errorCode = o.errorCode;
            summary.outcome = o.outcome;
            summary.message = o.message;
            summary.durationMs = o.durationMs;
            done(std::move(o)); // the caller first: the record follows, in order
            recordedStart->after([completed, mcpId, request, summary = std::move(summary), startedAt] {
                completed(mcpId, request, summary, startedAt);
            });
        };
    }
    const std::string threadJson = request.threadId.empty() ? std::string("null") : json::quote(request.threadId);
    auto refuse = [&](ToolCallOutcome o) {
        std::string payload = "{\"mcp_id\":" + json::quote(mcpId) + ",\"tool\":" + json::quote(request.tool) +
                              ",\"thread_id\":" + threadJson + ",\"duration_ms\":0,\"outcome\":" + json::quote(o.outcome) + "}";
        ChannelKeys keys;
        keys.threadId = request.threadId;
        keys.mcpId = mcpId;
        events_.publish("gateway", "tool_call", payload, keys);
        done(std::move(o));
    };
    auto connection = find(mcpId);
    if (!connection) {
        recordedStart->open(); // no start is recorded
        ToolCallOutcome o;
        o.refusal = Refusal::NotFound;
        o.errorCode = "unknown_mcp";
        o.outcome = "unknown_mcp";
        o.message = "no MCP server with id '" + mcpId + "'";
        o.detailsJson = "{\"mcp_id\":" + json::quote(mcpId) + "}";
        refuse(std::move(o));
        return;
    }
    const PermissionDecision decision = policy_.decide(request.user, request.role, mcpId, request.tool);
    // The call's start: its thread opened, the permission decision recorded.
    ToolCallRequest described; // what the start's record reads (not the arguments or the callbacks)
    described.tool = request.tool;
    described.threadId = request.threadId;
    described.callId = request.callId;
    described.traceparent = request.traceparent;
    described.user = request.user;
    described.role = request.role;
    auto recordStart = [&, &user = described.user, &tool = described.tool] {
        if (observed && observer_.started) observer_.started(mcpId, described, startedAt);
        recordPermission(startedAt, described.threadId, user, "mcp:" + mcpId + "/tool:" + tool, "tools/call", decision, mcpId);
        recordedStart->open();
    };
    if (decision.granted && ownsHere(mcpId)) {
        // The call goes to its server first and its start is recorded while the server works: the
        // recording is off the call's path.
        request.recordedStart = recordedStart;
        connection->callTool(std::move(request), std::move(done));
        recordStart();
        return;
    }
    recordStart();
    if (!decision.granted) {
        ToolCallOutcome o;
        o.refusal = Refusal::Forbidden;
        o.errorCode = "permission_denied";
        o.outcome = "permission_denied";
        o.message = "'" + request.user + "' (" + request.role + ") may not call tool '" + request.tool + "' on '" + mcpId +
                    "': " + decision.reason;
        o.detailsJson = "{\"mcp_id\":" + json::quote(mcpId) + ",\"tool\":" + json::quote(request.tool) +
                        ",\"rule\":" + (decision.rule.empty() ? std::string("null") : json::quote(decision.rule)) + "}";
        refuse(std::move(o));
        return;
    }
    if (!ownsHere(mcpId)) {
        if (remoteToolCall_) {
            remoteToolCall_(mcpId, std::move(request), std::move(done));
            return;
        }
        done(refusedCall(Refusal::Unavailable, "owned_elsewhere", "mcp '" + mcpId + "' is connected by another host of the cluster",
                         "{\"mcp_id\":" + json::quote(mcpId) + "}"));
        return;
    }
    connection->callTool(std::move(request), std::move(done)); // its owner changed since the test above
}

void McpGateway::runOwnedToolCall(const std::string& mcpId, ToolCallRequest request, ToolCallCallback done) {
    auto connection = find(mcpId);
    if (!connection || !ownsHere(mcpId)) {
        done(refusedCall(Refusal::Unavailable, "owned_elsewhere", "mcp '" + mcpId + "' is not connected by this host (its owner changed)",
                         "{\"mcp_id\":" + json::quote(mcpId) + "}"));
        return;
    }
    connection->callTool(std::move(request), std::move(done));
}

void McpGateway::passOn(const std::shared_ptr<McpConnection>& connection, PassedRequest request, RpcCallback done,
                        const std::shared_ptr<CancelSignal>& cancel, McpConnection::RequestHooks hooks) {
    if (!ownsHere(connection->id())) {
        if (remoteRequest_) {
            remoteRequest_(connection->id(), std::move(request), std::move(done));
            return;
        }
        RpcOutcome o;
        o.errorMessage = "mcp '" + connection->id() + "' is connected by another host of the cluster";
        done(std::move(o));
        return;
    }
    connection->forward(request.method, request.paramsJson, request.target, request.threadId, request.traceparent, request.timeout,
                        std::move(done), cancel, std::move(hooks));
}

void McpGateway::runOwnedRequest(const std::string& mcpId, PassedRequest request, RpcCallback done) {
    auto connection = find(mcpId);
    if (!connection || !ownsHere(mcpId)) {
        RpcOutcome o;
        o.errorMessage = "mcp '" + mcpId + "' is not connected by this host (its owner changed)";
        done(std::move(o));
        return;
    }
    connection->forward(request.method, request.paramsJson, request.target, request.threadId, request.traceparent, request.timeout,
                        std::move(done));
}

std::vector<std::pair<std::string, std::string>> McpGateway::ownedCatalogs() const {
    std::vector<std::shared_ptr<McpConnection>> owned;
    {
        std::lock_guard lock(mutex_);
        for (const auto& id : claimed_)
            if (auto it = connections_.find(id); it != connections_.end()) owned.push_back(it->second);
    }
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& connection : owned)
        if (auto stamp = connection->catalogStamp(); !stamp.empty()) out.emplace_back(connection->id(), std::move(stamp));
    return out;
}

std::string McpGateway::ownedCatalogJson(const std::string& id, std::string& stamp) const {
    auto connection = find(id);
    if (!connection || !clustered() || !ownsHere(id) || connection->status() != McpStatus::Connected) return {};
    return connection->catalogJson(&stamp);
}

void McpGateway::mirror(const std::string& id, McpConnection::Mirror mirror) {
    auto connection = find(id);
    if (connection && !ownsHere(id)) connection->mirror(std::move(mirror));
}

void McpGateway::dropMirror(const std::string& id, const std::string& owner) {
    if (auto connection = find(id)) connection->dropMirror(owner);
}

std::vector<McpGateway::MirrorState> McpGateway::mirrors() const {
    std::vector<MirrorState> out;
    for (const auto& connection : connections())
        if (auto m = connection->mirrored()) out.push_back(MirrorState{connection->id(), m->first, m->second});
    return out;
}

PermissionDecision McpGateway::checkRead(const std::string& user, const std::string& role, const std::string& mcpId,
                                         const std::string& method, const std::string& what, const std::string& threadId) {
    const PermissionDecision decision = policy_.decideRead(user, role, mcpId);
    recordPermission(json::isoTimestamp(nowUnixUs()), threadId, user, "mcp:" + mcpId + "/" + what, method, decision, mcpId);
    return decision;
}

void McpGateway::recordPermission(const std::string& timestamp, const std::string& threadId, const std::string& user,
                                  const std::string& resource, const std::string& action, const PermissionDecision& decision,
                                  const std::string& mcpId) {
    mc::records::RecordBuilder permission(*mc::records::findKind("permission"));
    permission.text("timestamp", timestamp);
    if (!threadId.empty()) permission.text("thread_id", threadId);
    permission.text("user_id", user)
        .text("resource", resource)
        .text("action", action)
        .boolean("granted", decision.granted)
        .text("reason", decision.reason)
        .text("mcp_id", mcpId);
    std::string error;
    mc_status status = MC_ERR_INVALID_ARGUMENT;
    try {
        status = events_.routeRecord("gateway", permission.build([&timestamp] { return timestamp; }), &error);
    } catch (const std::invalid_argument& e) {
        error = e.what();
    }
    if (status != MC_OK) logging::get("gateway")->warn("permission event refused: {}", error);
}

std::string McpGateway::listJson() const {
    const auto all = connections();
    std::string out = "{\"mcps\":[";
    for (std::size_t i = 0; i < all.size(); ++i) out += (i ? "," : "") + all[i]->summaryJson();
    out += "],\"count\":" + std::to_string(all.size()) + "}";
    return out;
}

} // namespace mc::host
