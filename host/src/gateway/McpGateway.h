#pragma once
// The MCP gateway: every configured or registered MCP server as an McpConnection, one scheduler
// (timer + workers) for all of them, and tool routing by server id. REST and WebSocket surfaces
// are in GatewayApi.h.
#include "gateway/GatewayMetrics.h"
#include "gateway/GatewayScheduler.h"
#include "gateway/GatewaySettings.h"
#include "gateway/McpConnection.h"
#include "gateway/TransportSet.h"
#include "plugin/PluginConfig.h"
#include "gateway/McpServerConfig.h"
#include "policy/PermissionPolicy.h"

#include <Poco/Util/AbstractConfiguration.h>

#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mc::host {

class EventRouter;
class PluginRegistry;

// A refused gateway operation (why, machine code, human message).
class GatewayError : public std::runtime_error {
public:
    GatewayError(Refusal refusal, std::string code, const std::string& message, std::string detailsJson = "{}")
        : std::runtime_error(message), refusal(refusal), code(std::move(code)), detailsJson(std::move(detailsJson)) {}
    Refusal refusal;
    std::string code;
    std::string detailsJson;
};

class McpGateway {
public:
    McpGateway(GatewaySettings settings, PluginRegistry& plugins, EventRouter& events);
    ~McpGateway(); // stop()
    McpGateway(const McpGateway&) = delete;
    McpGateway& operator=(const McpGateway&) = delete;

    // Reads every `mcp.servers.<id>.*` entry; throws ConfigError naming the key. Call before start().
    void configure(const Poco::Util::AbstractConfiguration& config);
    // Creates and starts one instance per loaded transport plugin from its keys (its config_prefix,
    // e.g. mcp.stdio.*; `secrets` resolves SECRET keys), then checks every configured server with its
    // plugin's validate(). Throws ConfigError naming the key (a bad transport key, or
    // "mcp.servers.<id>: <the plugin's message>"). Call after the plugins loaded, before start().
    void startTransports(const Poco::Util::AbstractConfiguration& config, const SecretResolver& secrets = {});
    // A transport plugin loaded while the gateway runs (plugins.dir rescanned): its instance from its
    // keys; servers may use its transports from then on. Throws ConfigError for a bad key.
    void addTransport(std::shared_ptr<const LoadedPlugin> plugin, const Poco::Util::AbstractConfiguration& config,
                      const SecretResolver& secrets = {});
    // A new version of a loaded transport plugin (plugins.dir rescanned): its instance starts from the
    // same keys; every server connected through the old one drains and reconnects on it (McpConnection::
    // leaveTransport); the old instance stops when its last connection closed, and its library goes.
    // When the new instance does not start, the old one keeps serving: false, `error` says why.
    // Throws ConfigError for a bad key (the old one keeps serving).
    bool replaceTransport(std::shared_ptr<const LoadedPlugin> replacement, const Poco::Util::AbstractConfiguration& config,
                          std::string& error, const SecretResolver& secrets = {});
    // A transport plugin removed: its servers drain and reconnect on whatever else serves their
    // transport (usually nothing: they stay disconnected, saying so, until a plugin serving it is added).
    void removeTransport(const std::string& pluginId);
    const TransportSet& transports() const { return transports_; }
    // Starts the scheduler and connects every configured server (asynchronously); in a cluster,
    // registers them and connects none until claim().
    void start();

    // Cluster mode (set before start): configured servers are connected by the host that holds their
    // lease (cluster/Ownership): claim() connects one here, yield() closes it here (it is the
    // other host's now), setOwner() says who has it (GET /api/mcps shows "owner"). Servers added
    // through the API stay this host's. `selfId` is this host's cluster.host_id.
    void setClustered(std::string selfId);
    bool clustered() const { return !clusterSelf_.empty(); }
    std::vector<std::string> configuredIds() const;
    void claim(const std::string& id);
    void yield(const std::string& id);
    void setOwner(const std::string& id, const std::string& holder);
    bool ownsHere(const std::string& id) const; // not clustered, or claimed here
    // Cluster mode: a tool call for a server another host connects, after this host's policy check
    // and with its observers, is handed to `forward` (cluster/ClusterService: to the owner over the
    // bus); without one it is refused (unavailable). The owner runs it with runOwnedToolCall.
    using RemoteToolCall = std::function<void(const std::string& mcpId, ToolCallRequest request, ToolCallCallback done)>;
    void setRemoteToolCall(RemoteToolCall forward) { remoteToolCall_ = std::move(forward); }
    // A tool call another host forwarded here (it checked the policy and observes it): straight to
    // the connection, when this host owns the server.
    void runOwnedToolCall(const std::string& mcpId, ToolCallRequest request, ToolCallCallback done);
    // An agent's resources/read, prompts/get or completion/complete for `connection`: to it, or in a
    // cluster, when another host connects the server, to that host (`forward` below; none: refused as
    // Disconnected). The owner runs what it receives with runOwnedRequest.
    void passOn(const std::shared_ptr<McpConnection>& connection, PassedRequest request, RpcCallback done,
                const std::shared_ptr<CancelSignal>& cancel = nullptr, McpConnection::RequestHooks hooks = {});
    using RemoteRequest = std::function<void(const std::string& mcpId, PassedRequest request, RpcCallback done)>;
    void setRemoteRequest(RemoteRequest forward) { remoteRequest_ = std::move(forward); }
    void runOwnedRequest(const std::string& mcpId, PassedRequest request, RpcCallback done);

    // Cluster mode: the catalogs of the servers this host connects, (id, stamp) of each connected
    // one, and one's lists as JSON ("" when it is not connected here); the mirrors of the others'
    // (McpConnection::mirror), ignored for a server this host connects.
    std::vector<std::pair<std::string, std::string>> ownedCatalogs() const;
    std::string ownedCatalogJson(const std::string& id, std::string& stamp) const;
    void mirror(const std::string& id, McpConnection::Mirror mirror);
    void dropMirror(const std::string& id, const std::string& owner);
    // (id, owner, stamp) of every mirrored server.
    struct MirrorState {
        std::string id, owner, stamp;
    };
    std::vector<MirrorState> mirrors() const;
    // Closes every transport (children are reaped by the transports) and stops the scheduler.
    void stop();

    // Registers and (when started) connects a server. Throws GatewayError Forbidden
    // (placeholder_not_allowed) when `origin` may not use one of its secret placeholders, InvalidInput
    // (invalid_config, details {"field"}) when the transport plugin's validate() refuses it (its
    // message), Conflict on a duplicate id, Unavailable after stop().
    std::shared_ptr<McpConnection> add(McpServerConfig config, const std::string& origin);
    // Closes the server's transport and forgets it; false when the id is unknown.
    bool remove(const std::string& id);
    std::shared_ptr<McpConnection> find(const std::string& id) const;
    // The server whose telemetry comes as `serviceName`: the one whose mcp.servers.<id>.service_name it
    // is, else the one whose id it is; none when no server is.
    std::optional<std::string> mcpIdForService(const std::string& serviceName) const;
    std::vector<std::shared_ptr<McpConnection>> connections() const; // by id
    // Runs `task` on the gateway's workers after `delay` (nothing after stop()).
    void schedule(std::chrono::milliseconds delay, std::function<void()> task) { scheduler_.schedule(delay, std::move(task)); }

    // Tool calls that name a thread: `started` before the policy check (so the thread exists for the
    // permission event), `completed` when the call completes (before its reply). Both get the start time.
    // `completed` runs after the caller has its answer (outcome without its result), on the thread that had it.
    struct ToolCallObserver {
        std::function<void(const std::string& mcpId, const ToolCallRequest& request, const std::string& startedAt)> started;
        std::function<void(const std::string& mcpId, const ToolCallRequest& request, const ToolCallOutcome& outcome,
                           const std::string& startedAt)>
            completed;
    };

    // Set before start(): the permission policy every call is checked against, and who records steps.
    void setPolicy(PermissionPolicy policy) { policy_ = std::move(policy); }
    void setToolCallObserver(ToolCallObserver observer) { observer_ = std::move(observer); }
    // Set before start(): hears every request made to any server as it ends (McpCallRecord.h), and
    // tools/call then carries a traceparent in _meta.
    void setCallSink(McpCallSink sink) { calls_ = std::move(sink); }
    // Set before start(): hears servers' changes and log messages (McpServerListener).
    void setServerListener(McpServerListener listener) { listener_ = std::move(listener); }
    // Set before start(): counts and times every tool call into `registry` (GatewayMetrics.h).
    void enableMetrics(metrics::Registry& registry) { metrics_ = std::make_unique<GatewayMetrics>(registry, *this); }

    // Routes tools/call to `mcpId`; `done` runs exactly once (NotFound unknown_mcp when the id is unknown,
    // Forbidden permission_denied when the policy denies the caller; then nothing is sent to the MCP). Every
    // policy decision is published as a `permission` event.
    void callTool(const std::string& mcpId, ToolCallRequest request, ToolCallCallback done);
    // The permission policy on a read of an agent's through /mcp (PermissionPolicy::decideRead),
    // published as a `permission` event like a tool call's: `method` its action, `what` its resource
    // ("resource:<uri>", "prompt:<name>"), `threadId` the session's thread ("" none).
    PermissionDecision checkRead(const std::string& user, const std::string& role, const std::string& mcpId, const std::string& method,
                                 const std::string& what, const std::string& threadId);

    std::string listJson() const; // {"mcps":[summary...],"count":N}

    // The transport plugin's verdict on a definition ("" when valid); `field` is the field the
    // message names (its text before " = " or ": "), else "transport".
    std::string validateDefinition(const McpServerConfig& config, std::string& field) const;
    const GatewaySettings& settings() const { return settings_; }
    EventRouter& events() { return events_; }

private:
    // One policy decision as the `permission` record, built as an object (routed without a parse).
    void recordPermission(const std::string& timestamp, const std::string& threadId, const std::string& user,
                          const std::string& resource, const std::string& action, const PermissionDecision& decision,
                          const std::string& mcpId);

    GatewaySettings settings_;
    PluginRegistry& plugins_;
    EventRouter& events_;
    TransportSet transports_;
    GatewayScheduler scheduler_;
    PermissionPolicy policy_;
    ToolCallObserver observer_;
    McpCallSink calls_;
    McpServerListener listener_;
    std::unique_ptr<GatewayMetrics> metrics_; // null: metrics off
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<McpConnection>> connections_;
    std::vector<McpServerConfig> configured_;
    std::string clusterSelf_;           // cluster.host_id in a cluster, else empty
    std::set<std::string> claimed_;     // configured servers this host connects (cluster mode)
    RemoteToolCall remoteToolCall_;
    RemoteRequest remoteRequest_;
    bool started_ = false;
    bool stopped_ = false;
};

} // namespace mc::host
