#pragma once
// The whole host as one object: usable in-process (tests) and driven by the ServerApplication through
// its Subsystems (app/Subsystems.h). Start-up runs four phases in order — plugins, store, web, gateway —
// and stop() undoes them in reverse; each phase throws ConfigError/StoreError/std::runtime_error with a
// message an operator can act on.
#include "config/HostConfig.h"
#include "app/HostSettings.h"
#include "web/Auth.h"

#include <Poco/Util/AbstractConfiguration.h>

#include <chrono>
#include <functional>
#include <string_view>
#include <memory>
#include <set>
#include <mutex>
#include <string>
#include <vector>

namespace mc::host {

namespace metrics {
class Registry;
class Histogram;
} // namespace metrics

class Broadcaster;
class ClusterService;
class Ownership;
class EventRouter;
class PluginRegistry;
class PluginInstance;
class StoreService;
class WebSocketHub;
class Router;
class McpGateway;
class DiscoveryService;
class StoreWriter;
class RetentionService;
class IngestService;
class ReceiverService;
class OtlpExporter;
class McpServerFace;
class CallJoiner;
struct LoadedPlugin;

class HostRuntime {
public:
    // Reads and validates the host keys; throws ConfigError.
    HostRuntime(Poco::AutoPtr<Poco::Util::AbstractConfiguration> config, std::string executableDir);
    ~HostRuntime();
    HostRuntime(const HostRuntime&) = delete;
    HostRuntime& operator=(const HostRuntime&) = delete;

    void loadPlugins();   // phase 1: load plugins.dir, start discovery plugins
    void openStore();     // phase 2: the store.backend plugin, migrated
    void startWeb();      // phase 3: HTTP server, WebSocket hub (with the gateway's routes)
    void startGateway();  // phase 4: connect the MCP servers of mcp.servers.*, then act on discoveries
    void start();         // all four
    void stop();          // reverse order; drains WebSocket clients and closes them with 1001

    std::uint16_t port() const;
    const HostSettings& settings() const { return settings_; }
    const Poco::Util::AbstractConfiguration& config() const { return *config_; }
    Broadcaster& broadcaster() { return *broadcaster_; }
    EventRouter& events() { return *events_; }
    PluginRegistry& plugins() { return *plugins_; }
    StoreService* store() { return store_.get(); }
    WebSocketHub* hub() { return hub_.get(); }
    Router* router() { return router_.get(); }
    net::HttpServer* http() { return http_.get(); }
    McpGateway& gateway() { return *gateway_; }
    DiscoveryService& discovery() { return *discovery_; }
    IngestService& ingest() { return *ingest_; }
    OtlpExporter* exporter() { return exporter_.get(); } // null when export.otlp.endpoint is empty
    StoreWriter& writer() { return *writer_; }
    // The port a receiver's own listener got ("127.0.0.1:0" in its listen key: an ephemeral one);
    // 0 when it has none or it could not listen.
    std::uint16_t receiverPort(const std::string& pluginId, std::size_t index = 0) const;
    const Authenticator& auth() const { return *auth_; }
    // The metrics GET /metrics serves (metrics.enabled). Other modules may be handed it to add their
    // own families; it outlives every other part of the runtime.
    metrics::Registry& metrics() { return *metrics_; }

    std::string healthJson(bool& healthy);

    // Picks up what changed in plugins.dir since it was last read (PluginRegistry::rescan): a new
    // discovery plugin starts, a new transport plugin serves servers from then on, a replaced
    // discovery plugin's instance stops before the new one starts, a removed one stops and what it
    // found is lost. Stores and transports already loaded are not swapped at run time (their new file
    // loads at the next start). Returns the changes as JSON (PluginRegistry::Changes::json). Called by
    // the plugins-directory watch, POST /api/plugins/rescan and SIGHUP; serialised.
    std::string rescanPlugins();

private:
    void registerCoreRoutes();
    // The host's own series (HostMetrics.cpp): HTTP, WebSocket, broadcaster, ingest, store writer,
    // plugin statuses, build info and uptime, read at scrape time.
    void registerMetrics();
    // `tap` sees every event the plugin emitted that was routed (e.g. discovery reports).
    // The context of one instance of `pluginId`: its keys resolved (typed, secrets read) and its status
    // row in the registry's table. `hostKeys`: names under the prefix the host itself reads.
    void wireIngest();
    // cluster.enabled: the bus plugin (bus.<cluster.bus>) starts, after the plugins load.
    void startCluster();
    // cluster.enabled: the leases of the configured servers, once the gateway runs.
    void startOwnership();
    void startDiscoverySource(const std::shared_ptr<const LoadedPlugin>& plugin);
    // Receiver plugins (receiver.<name>.enabled, default true): their instances, before the routes.
    void startReceivers();
    // Their own listeners (the `listen` addresses they asked for), after the host's port listens.
    void startReceiverListeners();
    std::unique_ptr<PluginInstance> takeDiscoveryInstance(const std::string& pluginId);
    void stopDiscoverySource(const std::string& pluginId, bool removed);
    void reloadReceiver(const std::shared_ptr<const LoadedPlugin>& plugin);
    // A plugin file removed or replaced in plugins.dir: what runs on it stops or moves to the new
    // version, as its kind allows (docs/plugin-sdk.md#drop-in-picked-up-pluginregistryrescan).
    void pluginRemoved(const LoadedPlugin& plugin);
    void pluginReplaced(const LoadedPlugin& old, const std::shared_ptr<const LoadedPlugin>& replacement);
    std::unique_ptr<class HostContext> makeContext(const std::string& pluginId, const std::string& instance,
                                                   const std::set<std::string>& hostKeys = {});

    Poco::AutoPtr<Poco::Util::AbstractConfiguration> config_;
    HostSettings settings_;
    std::chrono::steady_clock::time_point startedMonotonic_;
    long long startedUnixUs_ = 0;

    std::unique_ptr<metrics::Registry> metrics_; // first: destroyed last, after everything its samplers read
    metrics::Histogram* storeWriteSeconds_ = nullptr; // set before the writer starts; null: metrics off
    std::unique_ptr<Authenticator> auth_;
    std::unique_ptr<Broadcaster> broadcaster_;
    std::unique_ptr<ClusterService> cluster_; // cluster.enabled: events go through the bus's log
    std::unique_ptr<Ownership> ownership_;    // cluster.enabled: which host connects which configured server
    std::unique_ptr<EventRouter> events_;
    std::unique_ptr<PluginRegistry> plugins_;
    std::mutex discoveryPluginsMutex_;
    std::vector<std::unique_ptr<PluginInstance>> discoveryPlugins_;
    std::mutex rescanMutex_;
    bool rescanStopped_ = false; // under rescanMutex_: stop() began
    std::unique_ptr<class PluginDirectoryWatch> pluginWatch_; // plugins.watch; stopped first
    std::unique_ptr<StoreService> store_;
    std::unique_ptr<StoreWriter> writer_;   // between ingest and store_: stopped (flushed) before store_ closes
    std::unique_ptr<RetentionService> retention_; // expires old records through writer_, between its writes
    std::unique_ptr<OtlpExporter> exporter_; // export.otlp.endpoint; outlives the ingest and the gateway that feed it
    std::unique_ptr<IngestService> ingest_;
    std::unique_ptr<McpGateway> gateway_;
    std::unique_ptr<McpServerFace> mcpFace_; // mcp.endpoint.enabled: /mcp
    std::unique_ptr<CallJoiner> callJoiner_; // /mcp with a receiver: joins calls to the agents' telemetry
    std::unique_ptr<DiscoveryService> discovery_; // acts on discovery plugins' reports (after startGateway)
    std::unique_ptr<WebSocketHub> hub_;
    std::unique_ptr<Router> router_;
    std::unique_ptr<net::HttpServer> http_;
    std::unique_ptr<ReceiverService> receivers_; // destroyed after the writer: its commits call into them
    struct ReceiverListener {
        std::string pluginId;
        std::unique_ptr<Router> router;
        std::unique_ptr<net::HttpServer> http;
    };
    std::vector<ReceiverListener> receiverListeners_;
    std::mutex stopMutex_;
    bool stopped_ = false;
};

} // namespace mc::host
