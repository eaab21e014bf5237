#include "app/HostRuntime.h"
#include "app/Allocator.h"

#include "api/DiscoveryApi.h"
#include "net/HttpServer.h"
#include "api/GatewayApi.h"
#include "api/IngestApi.h"
#include "api/McpEndpointApi.h"
#include "api/QueryApi.h"
#include "api/ReceiverApi.h"
#include "app/HostSettings.h"

#include "cluster/ClusterService.h"
#include "cluster/Ownership.h"
#include "core/Audit.h"
#include "core/Broadcaster.h"
#include "core/EventRouter.h"
#include "discovery/DiscoveryService.h"
#include "export/ExportSettings.h"
#include "export/OtlpExporter.h"
#include "gateway/GatewaySettings.h"
#include "gateway/McpGateway.h"
#include "gateway/SecretPlaceholders.h"
#include "ingest/IngestService.h"
#include "ingest/RetentionService.h"
#include "ingest/StoreWriter.h"
#include "log/Logging.h"
#include "mcpserver/CallJoiner.h"
#include "mcpserver/McpServerFace.h"
#include "metrics/Registry.h"
#include "mc/records/RecordSchema.h"
#include "plugin/HostContext.h"
#include "plugin/PluginConfig.h"
#include "plugin/PluginDirectoryWatch.h"
#include "plugin/PluginRegistry.h"
#include "policy/PermissionPolicy.h"
#include "receive/ReceiverService.h"
#include "store/StoreService.h"
#include "util/Clock.h"
#include "util/Json.h"
#include "web/ApiDocs.h"
#include "web/ConsoleFiles.h"
#include "web/HttpUtil.h"
#include "web/Router.h"
#include "web/WebSocketHub.h"

#include <csignal>
#include <Poco/NumberParser.h>


namespace mc::host {
namespace {

// The keys under a discovery source's prefix that the host reads itself (DiscoverySettings.h); a
// plugin may declare them (with its own defaults) but need not.
const std::set<std::string> kDiscoveryHostKeys = {"enabled", "policy", "stdio", "allow_packages", "allow_remotes",
                                                  "allow_private_addresses"};

// "discovery.mdns" -> "mdns": the source name of a discovery plugin (its prefix under discovery.).
std::string sourceName(const PluginInfo& info) {
    const std::string head = "discovery.";
    if (info.configPrefix.rfind(head, 0) == 0) return info.configPrefix.substr(head.size());
    return info.id.rfind("discovery-", 0) == 0 ? info.id.substr(10) : info.id;
}

const char* const kPrometheusTextType = "text/plain; version=0.0.4; charset=utf-8";

// Why a host of a cluster that does not lead lists what discovery finds without connecting it.
const char* const kNotLeading =
    "another host of the cluster connects what discovery finds (the leader: GET /api/health, cluster.ownership.leader)";

// A plugin's SECRET keys: ${env:NAME} / ${file:/path} read by the gateway's resolver, as host.properties may.
std::string resolvePluginSecret(const std::string& key, const std::string& text) {
    return resolveSecretValue(key, text, "config", {});
}

} // namespace

HostRuntime::HostRuntime(Poco::AutoPtr<Poco::Util::AbstractConfiguration> config, std::string executableDir)
    : config_(std::move(config)), settings_(readHostSettings(*config_, executableDir)) {
    // A peer or MCP server that vanishes mid-write is an error to handle, never a signal that ends the
    // process; set before any plugin opens a connection (mcp-stdio writes a server's stdin from the
    // sending thread only in a process that ignores SIGPIPE).
    std::signal(SIGPIPE, SIG_IGN);
    logging::configure(settings_.log);
    auto log = logging::get("host");
    for (const auto& key : unknownHostKeys(*config_))
        log->warn("unknown configuration key '{}' is ignored (see docs/configuration.md)", key);
    metrics_ = std::make_unique<metrics::Registry>();
    auth_ = std::make_unique<Authenticator>(settings_.jwtSecret, settings_.jwtIssuer, settings_.ingestKeys);
    if (!settings_.ingestKeys.empty() && settings_.jwtSecret.empty())
        log->warn("auth.ingest_keys.* are set but auth.jwt.secret is not: authentication is off, so anyone may ingest "
                  "and the keys mean nothing");
    broadcaster_ = std::make_unique<Broadcaster>();
    // In a cluster every event goes to the bus's log from the first one on (they wait for the bus).
    if (settings_.cluster.enabled) cluster_ = std::make_unique<ClusterService>(settings_.cluster, *broadcaster_);
    events_ = std::make_unique<EventRouter>(*broadcaster_);
    plugins_ = std::make_unique<PluginRegistry>();
    wireIngest();
    // MCP server definitions and permission rules are validated now, so a bad one stops start-up with its key named.
    auto gatewaySettings = readGatewaySettings(*config_);
    // Agents behind /mcp answer the servers' sampling and elicitation requests made during their calls.
    if (settings_.mcpEndpoint) gatewaySettings.clientCapabilitiesJson = R"({"sampling":{},"elicitation":{}})";
    gateway_ = std::make_unique<McpGateway>(std::move(gatewaySettings), *plugins_, *events_);
    gateway_->configure(*config_);
    if (cluster_) {
        // Configured servers are connected by the host holding their lease; calls go to it.
        gateway_->setClustered(settings_.cluster.hostId);
        McpGateway* gateway = gateway_.get();
        ClusterService* cluster = cluster_.get();
        cluster_->setGateway(gateway);
        gateway_->setRemoteToolCall([this, cluster](const std::string& id, ToolCallRequest request, ToolCallCallback done) {
            const auto owner = ownership_ ? ownership_->ownerOf(id) : std::nullopt;
            if (!owner) {
                done(refusedCall(Refusal::Unavailable, "no_owner",
                                 "no host of the cluster connects mcp '" + id + "' now (its lease is free; one takes it shortly)"));
                return;
            }
            cluster->forwardToolCall(*owner, id, std::move(request), std::move(done));
        });
        gateway_->setRemoteRequest([this, cluster](const std::string& id, PassedRequest request, RpcCallback done) {
            const auto owner = ownership_ ? ownership_->ownerOf(id) : std::nullopt;
            if (!owner) {
                RpcOutcome o;
                o.errorMessage = "no host of the cluster connects mcp '" + id + "' now (its lease is free; one takes it shortly)";
                done(std::move(o));
                return;
            }
            cluster->forwardRequest(*owner, id, std::move(request), std::move(done));
        });
    }
    discovery_ = std::make_unique<DiscoveryService>(*plugins_, *gateway_, *events_, settings_.discoveryProbeTimeout,
                                                    settings_.discoveryProbeRetry);
    // In a cluster only the leader connects what discovery finds (Ownership's "leader" lease).
    if (cluster_) discovery_->setConnecting(false, kNotLeading);
    gateway_->setPolicy(PermissionPolicy::fromConfig(*config_));
    if (settings_.mcpEndpoint) {
        mcpFace_ = std::make_unique<McpServerFace>(*gateway_, *ingest_, settings_.mcpMaxSessions, MC_VERSION);
        mcpFace_->setProfiles(settings_.mcpProfiles);
        mcpFace_->setPageSize(settings_.mcpPageSize);
        mcpFace_->setListTtl(std::chrono::milliseconds(settings_.mcpListTtlMs));
    }
    // What servers change reaches the /mcp sessions, and in a cluster the other hosts (a heartbeat
    // with the catalog's new stamp goes at once).
    McpServerListener listener = mcpFace_ ? mcpFace_->serverListener() : McpServerListener{};
    if (cluster_) {
        listener.changed = [face = std::move(listener.changed), cluster = cluster_.get()](const std::string& id, const std::string& change) {
            if (face) face(id, change);
            cluster->catalogChanged();
        };
    }
    gateway_->setServerListener(std::move(listener));
    if (auto exportSettings = readOtlpExportSettings(*config_); exportSettings.enabled) {
        exporter_ = std::make_unique<OtlpExporter>(std::move(exportSettings), MC_VERSION);
        OtlpExporter* exporter = exporter_.get();
        gateway_->setCallSink([exporter](const McpCallRecord& call) { exporter->offerCall(call); });
        ingest_->setRecordObserver([exporter](std::string_view source, bool received, const mc::records::KindSpec& spec,
                                              const mc::records::NormalizedRecord& record) {
            exporter->offerRecord(source, received, spec, record);
        });
    }
    if (settings_.metricsEnabled) {
        registerMetrics();
        gateway_->enableMetrics(*metrics_);
    }
    IngestService* ingest = ingest_.get();
    McpGateway::ToolCallObserver observer;
    observer.started = [ingest](const std::string& mcpId, const ToolCallRequest& request, const std::string& startedAt) {
        ingest->openThread(request.threadId, mcpId, startedAt);
    };
    observer.completed = [ingest](const std::string& mcpId, const ToolCallRequest& request, const ToolCallOutcome& outcome,
                                  const std::string& startedAt) {
        ToolCallRecord record;
        record.threadId = request.threadId;
        record.mcpId = mcpId;
        record.tool = request.tool;
        record.outcome = outcome.outcome;
        record.status = ToolCallRecord::statusOf(outcome.outcome);
        record.errorCode = outcome.errorCode;
        record.startedAt = startedAt;
        record.durationMs = outcome.durationMs;
        record.argumentsBytes = request.argumentsJson.size();
        record.callId = request.callId;
        ingest->recordToolCall(record);
    };
    gateway_->setToolCallObserver(std::move(observer));
}

// Persisted kinds (plugin emits, host and gateway events, the ingest API) go through one IngestService
// into one StoreWriter, which writes to store_ once the store phase has opened it.
void HostRuntime::wireIngest() {
    writer_ = std::make_unique<StoreWriter>(settings_.ingest.writer,
                                            [this](const StoreWriter::Batch& batch, std::string& result, std::string& error) {
                                                if (!store_) {
                                                    error = "no store is open";
                                                    return MC_ERR_UNAVAILABLE;
                                                }
                                                if (!storeWriteSeconds_) return store_->writeRecords(batch, result, error);
                                                const auto started = std::chrono::steady_clock::now();
                                                const mc_status status = store_->writeRecords(batch, result, error);
                                                storeWriteSeconds_->observe(
                                                    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
                                                return status;
                                            });
    ingest_ = std::make_unique<IngestService>(
        *events_, *writer_, settings_.ingest.threadCacheSize,
        [this](const std::vector<std::string>& ids) -> std::optional<std::map<std::string, ThreadState>> {
            // A down store is not asked (a lookup would wait for its connect timeout under the ingest lock).
            if (!store_ || writer_->stats().down) return std::nullopt;
            std::string params = "{\"ids\":[";
            for (std::size_t i = 0; i < ids.size(); ++i) params += (i ? "," : "") + json::quote(ids[i]);
            params += "]}";
            std::string result, error;
            const mc_status status = store_->query("threads.state", params, result, error);
            if (status != MC_OK) {
                logging::get("ingest")->debug("threads.state failed ({}): {}", statusName(status), error);
                return std::nullopt;
            }
            try {
                return ThreadStateCache::parseStateResult(result);
            } catch (const std::invalid_argument& e) {
                logging::get("ingest")->warn("{}", e.what());
                return std::nullopt;
            }
        });
    IngestService* ingest = ingest_.get();
    events_->setPersistence([ingest](std::string_view source, mc::records::TypedRecord record, std::string* error) {
        return ingest->emit(source, std::move(record), error);
    });
    EventRouter* events = events_.get();
    writer_->setStateListener([this, events](bool down, const std::string& reason) {
        recordAudit(*events, "host", down ? "store.down" : "store.up", "store", down ? "down" : "up",
                    down ? "{\"reason\":" + json::quote(reason) + "}" : "{}");
        // The store's status row says the same, in the one vocabulary: a failing write is a
        // recoverable error the writer retries; a write that succeeds again is ok.
        if (store_) store_->reportStatus(down ? MC_COMPONENT_RECOVERABLE_ERROR : MC_COMPONENT_OK, down ? reason : "");
    });
    // Every instance's status change goes out on the `plugins` channel.
    plugins_->statuses().setListener([events](const InstanceStatus& row) {
        ChannelKeys keys;
        keys.id = row.plugin;
        events->publish("host", "plugin_status", row.json(), keys);
    });
}

HostRuntime::~HostRuntime() {
    try {
        stop();
    } catch (...) {
    }
}

std::unique_ptr<HostContext> HostRuntime::makeContext(const std::string& pluginId, const std::string& instance,
                                                      const std::set<std::string>& hostKeys) {
    auto plugin = plugins_->find(pluginId);
    if (!plugin) throw ConfigError("invalid configuration: no plugin '" + pluginId + "' is loaded");
    PluginConfigOptions options;
    options.secrets = &resolvePluginSecret;
    options.hostKeys = hostKeys;
    return std::make_unique<HostContext>(pluginId, instance, resolvePluginConfig(*config_, plugin->info, options),
                                         &plugins_->statuses(), kindName(plugin->info.kind));
}

void HostRuntime::loadPlugins() {
    auto log = logging::get("host");
    startedMonotonic_ = std::chrono::steady_clock::now();
    startedUnixUs_ = nowUnixUs();
    log->info("mission-control {} starting; plugins from {}; allocator: {}", MC_VERSION, settings_.pluginsDir, allocatorName());
    plugins_->loadDirectory(settings_.pluginsDir);
    log->info("plugins: {} loaded, {} refused", plugins_->loadedCount(), plugins_->refusedCount());
    for (const auto& record : plugins_->report())
        if (!record.loaded)
            recordAudit(*events_, "host", "plugin.refused", record.info.id.empty() ? record.path : record.info.id, "refused",
                        "{\"path\":" + json::quote(record.path) + ",\"reason\":" + json::quote(record.reason) + "}");

    // Transport plugins run one instance each, from their keys (mcp.<transport>.*); every configured
    // MCP server is checked by its transport's validate() now, so a bad one stops start-up.
    gateway_->startTransports(*config_, &resolvePluginSecret);

    // Discovery plugins run one instance each, configured under their prefix (discovery.<name>).
    for (const auto& plugin : plugins_->ofKind(MC_KIND_DISCOVERY)) startDiscoverySource(plugin);
    if (cluster_) startCluster();
}

void HostRuntime::startOwnership() {
    if (!store_->keepsLeases())
        throw ConfigError("invalid configuration: cluster.enabled = true, but store '" + store_->pluginId() +
                          "' keeps no leases (use store.backend = postgres)");
    Ownership::Hooks hooks;
    hooks.lease = [this](mc_lease_op op, const std::string& name, std::int64_t ttlMs, std::string& holder, std::string& error) {
        return store_->lease(op, name, settings_.cluster.hostId, ttlMs, holder, error);
    };
    hooks.servers = [this] { return gateway_->configuredIds(); };
    hooks.members = [this] { return cluster_->upMembers(); };
    hooks.claim = [this](const std::string& id) { gateway_->claim(id); };
    hooks.yield = [this](const std::string& id) { gateway_->yield(id); };
    hooks.owner = [this](const std::string& id, const std::string& holder) { gateway_->setOwner(id, holder); };
    hooks.lead = [this](bool leading) {
        discovery_->setConnecting(leading, kNotLeading);
    };
    ownership_ = std::make_unique<Ownership>(settings_.cluster.hostId, settings_.cluster.lease, std::move(hooks));
    ownership_->start();
}

void HostRuntime::startCluster() {
    const std::string prefix = "bus." + settings_.cluster.bus;
    std::shared_ptr<const LoadedPlugin> plugin;
    std::string loaded;
    for (const auto& p : plugins_->ofKind(MC_KIND_BUS)) {
        if (p->info.configPrefix == prefix) plugin = p;
        loaded += (loaded.empty() ? "" : ", ") + p->info.id;
    }
    if (!plugin)
        throw ConfigError("invalid configuration: cluster.enabled = true, but no bus plugin serves cluster.bus = " +
                          settings_.cluster.bus + " (keys under " + prefix + "); loaded bus plugins: " +
                          (loaded.empty() ? "none" : loaded));
    if (settings_.storeBackend == "sqlite")
        logging::get("host")->warn("cluster.enabled = true with store.backend = sqlite: each host keeps its own database, so "
                                   "queries on one host do not see what the others stored (use postgres)");
    try {
        cluster_->start(plugin, makeContext(plugin->info.id, "default"));
    } catch (const ConfigError&) {
        throw;
    } catch (const std::exception& e) {
        throw ConfigError(std::string("invalid configuration: the cluster's bus did not start: ") + e.what());
    }
}

void HostRuntime::startDiscoverySource(const std::shared_ptr<const LoadedPlugin>& plugin) {
    auto log = logging::get("host");
    {
        const std::string name = sourceName(plugin->info);
        const std::string& prefix = plugin->info.configPrefix;
        // The default may be the plugin's own (discovery-mdns declares enabled = false: it listens to the LAN).
        if (!discoverySourceEnabled(*config_, name, plugin->info.configKeys)) {
            log->info("{} is off ({}.enabled = false{})", plugin->info.id, prefix,
                      config_->hasProperty(prefix + ".enabled") ? "" : ", its default");
            return;
        }
        const auto settings = readDiscoverySourceSettings(*config_, plugin->info.id, name, plugin->info.configKeys);
        // A source nobody configured (a required key unset, not explicitly enabled) is listed, not an error:
        // an operator who never asked for registry discovery should not read error lines about it.
        const ConfigKeyInfo* missing = firstMissingRequiredKey(*config_, prefix, plugin->info.configKeys);
        if (missing && !config_->has(prefix + ".enabled")) {
            const std::string key = prefix + "." + missing->name;
            log->info("{} is not configured ({} is not set); it stays off", plugin->info.id, key);
            discovery_->addSource(settings, nullptr, key + " is not set", "unconfigured");
            return;
        }
        // A source whose keys are wrong (a bad value, a missing required key, an undeclared key) or
        // whose plugin fails to create or start is listed with the reason, naming the key; the host runs on.
        discovery_->addSource(settings, nullptr);
        try {
            auto context = makeContext(plugin->info.id, "default", kDiscoveryHostKeys);
            // What it reports meanwhile waits in the service's queue.
            auto instance = std::make_unique<PluginInstance>(plugin, std::move(context), discovery_->outputFor(plugin->info.id));
            instance->start();
            discovery_->setInstance(plugin->info.id, instance.get());
            std::lock_guard lock(discoveryPluginsMutex_);
            discoveryPlugins_.push_back(std::move(instance));
        } catch (const std::exception& e) {
            // One broken discovery source must not keep the host down; /api/discovery says why.
            log->error("{} did not start: {}", plugin->info.id, e.what());
            discovery_->addSource(settings, nullptr, std::string("did not start: ") + e.what());
        }
    }
}

std::unique_ptr<PluginInstance> HostRuntime::takeDiscoveryInstance(const std::string& pluginId) {
    std::lock_guard lock(discoveryPluginsMutex_);
    for (auto it = discoveryPlugins_.begin(); it != discoveryPlugins_.end(); ++it) {
        if ((*it)->plugin().info.id != pluginId) continue;
        auto instance = std::move(*it);
        discoveryPlugins_.erase(it);
        return instance;
    }
    return nullptr;
}

void HostRuntime::stopDiscoverySource(const std::string& pluginId, bool removed) {
    auto instance = takeDiscoveryInstance(pluginId);
    if (removed) discovery_->removeSource(pluginId);
    else discovery_->setInstance(pluginId, nullptr);
    if (instance) {
        try {
            instance->stop();
        } catch (const std::exception& e) {
            logging::get("host")->warn("{} did not stop cleanly: {}", pluginId, e.what());
        }
        instance.reset();
    }
    // A removed plugin's row leaves /api/health; a replaced one's is taken over by the new instance.
    if (removed) plugins_->statuses().remove(pluginId, "default");
}

void HostRuntime::reloadReceiver(const std::shared_ptr<const LoadedPlugin>& plugin) {
    // A receiver's new version takes its routes over; routes and listening addresses themselves are
    // bound when the host starts.
    auto log = logging::get("host");
    try {
        if (!receivers_ || !receivers_->reload(plugin, makeContext(plugin->info.id, "default", {"enabled"})))
            log->info("plugin '{}' (receiver) loaded; it is not running (disabled, or added after start): receivers "
                      "start with the host",
                      plugin->info.id);
    } catch (const std::exception& e) {
        log->error("receiver plugin '{}' {} not taken: {}", plugin->info.id, plugin->info.version, e.what());
    }
}

void HostRuntime::pluginRemoved(const LoadedPlugin& plugin) {
    auto log = logging::get("host");
    switch (plugin.info.kind) {
    case MC_KIND_DISCOVERY: stopDiscoverySource(plugin.info.id, true); break;
    case MC_KIND_TRANSPORT: gateway_->removeTransport(plugin.info.id); break; // its servers drain, then say why
    case MC_KIND_RECEIVER:
        // Its routes answer 503 until it is back; its instance stops once what it took is answered.
        if (receivers_ && receivers_->remove(plugin.info.id))
            log->warn("receiver plugin '{}' removed: its routes answer 503 until a file of it is added again", plugin.info.id);
        break;
    case MC_KIND_BUS:
        if (cluster_)
            log->warn("plugin '{}' was removed: a cluster's bus keeps running until the host stops", plugin.info.id);
        break;
    case MC_KIND_STORE:
        // Every write and query needs the store in use: it runs on until the host stops. A store not
        // in use had nothing running.
        if (store_ && store_->pluginId() == plugin.info.id)
            log->warn("plugin '{}' was removed: it is the store in use (store.backend = {}); it keeps running until the "
                      "host stops",
                      plugin.info.id, settings_.storeBackend);
        break;
    default: break;
    }
}

void HostRuntime::pluginReplaced(const LoadedPlugin& old, const std::shared_ptr<const LoadedPlugin>& replacement) {
    auto log = logging::get("host");
    const auto keepsServing = [&](const std::string& why) {
        log->error("plugin '{}' {} did not start; version {} keeps serving: {}", replacement->info.id, replacement->info.version,
                   old.info.version, why);
    };
    switch (replacement->info.kind) {
    case MC_KIND_DISCOVERY:
        stopDiscoverySource(old.info.id, false); // drained: its instance stops before the new one starts
        startDiscoverySource(replacement);
        break;
    case MC_KIND_TRANSPORT: {
        // Make before break: the new instance starts, then the servers move over as they drain.
        std::string error;
        if (!gateway_->replaceTransport(replacement, *config_, error, &resolvePluginSecret)) keepsServing(error);
        break;
    }
    case MC_KIND_RECEIVER: reloadReceiver(replacement); break;
    case MC_KIND_STORE:
        // The new version starts and migrates beside the old one, then takes every new call; the old
        // one stops once the calls it serves have ended.
        if (store_ && store_->pluginId() == replacement->info.id) {
            try {
                store_->reload(replacement, makeContext(replacement->info.id, "default"));
            } catch (const StoreError& e) {
                keepsServing(e.what());
            }
        }
        break;
    default: break;
    }
}

std::string HostRuntime::rescanPlugins() {
    std::lock_guard rescanning(rescanMutex_);
    if (rescanStopped_) return PluginRegistry::Changes{}.json();
    auto log = logging::get("host");
    auto changes = plugins_->rescan(settings_.pluginsDir);
    for (const auto& plugin : changes.removed) {
        recordAudit(*events_, "host", "plugin.removed", plugin->info.id, "ok", "{\"path\":" + json::quote(plugin->info.path) + "}");
        pluginRemoved(*plugin);
    }
    for (const auto& [old, replacement] : changes.replaced) {
        recordAudit(*events_, "host", "plugin.reloaded", replacement->info.id, "ok",
                    "{\"path\":" + json::quote(replacement->info.path) + ",\"version\":" + json::quote(replacement->info.version) + "}");
        try {
            pluginReplaced(*old, replacement);
        } catch (const std::exception& e) {
            log->error("plugin '{}' did not start again: {}", replacement->info.id, e.what());
        }
    }
    for (const auto& plugin : changes.added) {
        recordAudit(*events_, "host", "plugin.loaded", plugin->info.id, "ok", "{\"path\":" + json::quote(plugin->info.path) + "}");
        try {
            switch (plugin->info.kind) {
            case MC_KIND_DISCOVERY: startDiscoverySource(plugin); break;
            case MC_KIND_TRANSPORT: gateway_->addTransport(plugin, *config_, &resolvePluginSecret); break;
            case MC_KIND_RECEIVER: reloadReceiver(plugin); break; // back after a removal, or at the next start
            default:
                log->info("plugin '{}' ({}) loaded; store.backend chooses the store at start", plugin->info.id,
                          kindName(plugin->info.kind));
            }
        } catch (const std::exception& e) {
            log->error("plugin '{}' did not start: {}", plugin->info.id, e.what());
        }
    }
    for (const auto& [path, reason] : changes.refused)
        recordAudit(*events_, "host", "plugin.refused", path, "refused",
                    "{\"path\":" + json::quote(path) + ",\"reason\":" + json::quote(reason) + "}");
    if (!changes.empty()) {
        log->info("plugins rescanned: {}", changes.json());
        events_->publish("host", "plugins_changed", changes.json(), ChannelKeys{});
    }
    return changes.json();
}

void HostRuntime::openStore() {
    // store.backend = X: the store plugin whose keys live under store.X (its config_prefix).
    const std::string prefix = "store." + settings_.storeBackend;
    std::shared_ptr<const LoadedPlugin> plugin;
    for (const auto& p : plugins_->ofKind(MC_KIND_STORE))
        if (p->info.configPrefix == prefix) plugin = p;
    const std::string id = plugin ? plugin->info.id : "store-" + settings_.storeBackend;
    if (!plugin || plugin->info.kind != MC_KIND_STORE) {
        std::string loaded;
        for (const auto& p : plugins_->ofKind(MC_KIND_STORE)) loaded += (loaded.empty() ? "" : ", ") + p->info.id;
        throw ConfigError("invalid configuration: store.backend = '" + settings_.storeBackend + "': no store plugin with "
                          "config prefix '" + prefix + "' is loaded from " + settings_.pluginsDir + " (loaded stores: " +
                          (loaded.empty() ? "none" : loaded) + "; refused plugins are listed in the log)");
    }
    store_ = std::make_unique<StoreService>(plugin, makeContext(id, "default"), settings_.migrationsDir,
                                            plugins_->statuses());
    writer_->start();
    retention_ = std::make_unique<RetentionService>(
        settings_.retention, *writer_,
        [this](const std::string& kind, const std::string& before, std::size_t maxRows, std::uint64_t& deleted, std::string& error) {
            return store_->expire(kind, before, maxRows, deleted, error);
        },
        [] { return nowUnixUs(); });
    retention_->start();
}

void HostRuntime::startReceivers() {
    auto log = logging::get("host");
    receivers_ = std::make_unique<ReceiverService>(*ingest_);
    receivers_->setServiceJoin([gateway = gateway_.get()](const std::string& service) { return gateway->mcpIdForService(service); });
    for (const auto& plugin : plugins_->ofKind(MC_KIND_RECEIVER)) {
        const std::string& prefix = plugin->info.configPrefix;
        bool enabled = true;
        const std::string value = config_->getString(prefix + ".enabled", "true");
        if (!Poco::NumberParser::tryParseBool(value, enabled))
            throw ConfigError("invalid configuration: " + prefix + ".enabled = '" + value + "': expected true or false");
        if (!enabled) {
            log->info("{} is off ({}.enabled = false)", plugin->info.id, prefix);
            continue;
        }
        try {
            receivers_->add(plugin, makeContext(plugin->info.id, "default", {"enabled"}));
        } catch (const ConfigError&) {
            throw; // a wrong key of an enabled receiver is the operator's to fix, like any other
        } catch (const std::exception& e) {
            log->error("{} did not start: {}", plugin->info.id, e.what());
        }
    }
}

namespace {

// "127.0.0.1:4318" -> ("127.0.0.1", 4318); "[::1]:4318" -> ("::1", 4318). Throws ConfigError.
std::pair<std::string, std::uint16_t> listenAddress(const std::string& pluginId, const std::string& address) {
    const auto colon = address.rfind(':');
    unsigned port = 0;
    if (colon == std::string::npos || colon == 0 || !Poco::NumberParser::tryParseUnsigned(address.substr(colon + 1), port) ||
        port > 65535)
        throw ConfigError("invalid configuration: receiver " + pluginId + " asks to listen on '" + address +
                          "': expected host:port, e.g. 127.0.0.1:4318");
    std::string host = address.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return {host, static_cast<std::uint16_t>(port)};
}

} // namespace

void HostRuntime::startReceiverListeners() {
    auto log = logging::get("host");
    for (const auto& receiver : receivers_->receivers()) {
        for (const auto& address : receiver->listen()) {
            const auto [host, listenPort] = listenAddress(receiver->pluginId(), address);
            if (!auth_->enabled() && !RequestGuard::isLoopbackAddress(host) && !settings_.allowRemoteWithoutAuth)
                throw ConfigError("invalid configuration: receiver " + receiver->pluginId() + " would listen on " + address +
                                  ", reachable from the network, with auth off: set auth.jwt.secret, or listen on "
                                  "127.0.0.1, or set http.allow_remote_without_auth = true");
            ReceiverListener listener;
            listener.pluginId = receiver->pluginId();
            RequestGuardSettings guard = settings_.guard;
            guard.bindHost = host;
            listener.router = std::make_unique<Router>(*auth_, settings_.httpMaxBodyBytes, RequestGuard(guard));
            registerReceiverRoutes(*listener.router, *receiver, settings_.ingest.ackTimeout);
            net::HttpServerSettings http = settings_.http;
            http.host = host;
            http.port = listenPort;
            try {
                listener.http = std::make_unique<net::HttpServer>(http, *listener.router);
                listener.http->start();
            } catch (const std::exception& e) {
                // The host's own port still serves the receiver's routes; one busy port must not stop the host.
                log->error("{} cannot listen on {}: {}; its routes are still served on the host's port {}",
                           receiver->pluginId(), address, e.what(), port());
                continue;
            }
            log->info("{} listening on {}://{}:{}", receiver->pluginId(), listener.http->secure() ? "https" : "http", host,
                      listener.http->port());
            receiverListeners_.push_back(std::move(listener));
        }
    }
}

std::uint16_t HostRuntime::receiverPort(const std::string& pluginId, std::size_t index) const {
    for (const auto& listener : receiverListeners_)
        if (listener.pluginId == pluginId && index-- == 0) return listener.http->port();
    return 0;
}

void HostRuntime::startWeb() {
    auto log = logging::get("host");
    if (exporter_) exporter_->start();
    startReceivers();
    if (mcpFace_ && !receivers_->receivers().empty() && settings_.mcpJoinWait.count() > 0) {
        McpServerFace* face = mcpFace_.get();
        callJoiner_ = std::make_unique<CallJoiner>(*ingest_, settings_.mcpJoinWait,
                                                   [face](const std::string& threadId) { face->stopJoining(threadId); });
        CallJoiner* joiner = callJoiner_.get();
        ingest_->setReceivedStepHook([joiner](const mc::records::KindSpec& spec, mc::records::NormalizedRecord& step) {
            joiner->joinReceived(spec, step);
        });
        face->setJoiner(joiner);
    }
    hub_ = std::make_unique<WebSocketHub>(settings_.ws, *broadcaster_, *auth_);
    hub_->start();

    router_ = std::make_unique<Router>(*auth_, settings_.httpMaxBodyBytes, RequestGuard(settings_.guard));
    registerCoreRoutes();
    try {
        http_ = std::make_unique<net::HttpServer>(settings_.http, *router_);
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(std::string(e.what()) + " (http.host, http.port, http.tls.*)");
    }
    http_->start();
    const char* scheme = http_->secure() ? "https" : "http";
    log->info("listening on {}://{}:{} (WebSocket at /ws, auth {})", scheme, settings_.httpHost, port(),
              auth_->enabled() ? "on" : "off");
    startReceiverListeners();
    if (!auth_->enabled() && !RequestGuard::isLoopbackAddress(settings_.httpHost))
        log->warn("http.host {} is reachable from the network and auth is off (http.allow_remote_without_auth = true): "
                  "anyone who can reach it is admin; set auth.jwt.secret",
                  settings_.httpHost);
}

void HostRuntime::startGateway() {
    gateway_->start();
    if (cluster_) startOwnership();
    if (mcpFace_) mcpFace_->keepStreamsAlive();
    discovery_->start();
    // From now on a plugin dropped into the directory is picked up (the gateway and discovery run).
    if (settings_.watchPlugins) {
        try {
            pluginWatch_ = std::make_unique<PluginDirectoryWatch>(settings_.pluginsDir, [this] { rescanPlugins(); });
            logging::get("host")->info("watching {} for plugins added, replaced or removed", settings_.pluginsDir);
            // What arrived between the first load and the watch (the API answers before it is armed)
            // raised no event: one rescan now picks it up.
            rescanPlugins();
        } catch (const std::exception& e) {
            logging::get("host")->warn("{}; POST /api/plugins/rescan and SIGHUP still rescan it", e.what());
        }
    }
}

void HostRuntime::start() {
    loadPlugins();
    openStore();
    startWeb();
    startGateway();
}

void HostRuntime::stop() {
    std::lock_guard lock(stopMutex_);
    if (stopped_) return;
    stopped_ = true;
    auto log = logging::get("host");
    pluginWatch_.reset();
    {
        std::lock_guard noRescan(rescanMutex_); // a rescan under way (API, SIGHUP) finishes first
        rescanStopped_ = true;                   // and none starts after
    }
    if (http_) http_->stopAccepting(); // no new connections; idle ones close, in-flight requests finish
    if (mcpFace_) mcpFace_->endStreams(); // agents' held streams end (they would hold their connections open)
    for (auto& listener : receiverListeners_) listener.http->stopAccepting();
    if (hub_) hub_->shutdown(settings_.drainTimeout);
    // Nothing below may be torn down under a running handler: wait for the workers first. Handlers
    // never wait for the gateway or the store (those replies are deferred), so this is short.
    if (http_ && !http_->waitForWorkers(settings_.drainTimeout))
        log->warn("request handlers still running after {} ms; stopping anyway", settings_.drainTimeout.count());
    for (auto& listener : receiverListeners_) listener.http->waitForWorkers(settings_.drainTimeout);
    if (receivers_) receivers_->stop(); // no submit after this; commits under way still reach them
    std::lock_guard noDiscoveryChange(discoveryPluginsMutex_);
    for (auto& d : discoveryPlugins_) {
        try {
            d->stop();
        } catch (const std::exception& e) {
            log->warn("stopping a discovery plugin: {}", e.what());
        }
    }
    if (discovery_) discovery_->stop();
    // Closing every transport also completes the tool calls HTTP workers may still wait for.
    // Leases go first: this host's servers close here and the others take them at once.
    if (ownership_) ownership_->stop();
    if (gateway_) gateway_->stop();
    if (cluster_) cluster_->stop(); // what is published from here on reaches this host's subscribers only
    if (callJoiner_) callJoiner_->stop(); // parked calls into their session threads, before the ingest stops
    discoveryPlugins_.clear();
    // Everything accepted is written before the store closes; the replies it completes still go out.
    ingest_->stop(); // its ordered lane hands what it holds to the writer first
    if (retention_) retention_->stop(); // a batch in progress ends first
    writer_->stop(settings_.drainTimeout);
    if (exporter_) exporter_->stop(); // what the gateway and the ingest handed over, sent within export.otlp.timeout_ms
    // Closes every connection and joins the workers: no handler can reach the store after this.
    if (http_) http_->stop();
    for (auto& listener : receiverListeners_) listener.http->stop();
    receiverListeners_.clear();
    receivers_.reset();
    store_.reset();
    log->info("stopped");
}

std::uint16_t HostRuntime::port() const { return http_ ? http_->port() : 0; }

std::string HostRuntime::healthJson(bool& healthy) {
    std::string storeJson = "null";
    healthy = true;
    if (store_) {
        storeJson = store_->healthJson();
        healthy = store_->healthy();
    } else {
        healthy = false;
    }
    const auto writer = writer_->stats();
    if (writer.down) healthy = false;
    const double uptime =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - startedMonotonic_).count();
    const auto ws = hub_ ? hub_->stats() : WebSocketHub::Stats{};
    const auto bc = broadcaster_->stats();
    std::string out = "{\"status\":";
    out += healthy ? "\"ok\"" : "\"degraded\"";
    out += ",\"version\":" + json::quote(MC_VERSION);
    out += ",\"started_at\":" + json::quote(json::isoTimestamp(startedUnixUs_));
    out += ",\"uptime_seconds\":" + std::to_string(uptime);
    out += ",\"store\":" + storeJson;
    out += ",\"writer\":" + writer_->healthJson();
    if (retention_) out += ",\"retention\":" + retention_->healthJson();
    if (cluster_) out += ",\"cluster\":" + cluster_->healthJson(ownership_ ? ",\"ownership\":" + ownership_->healthJson() : "");
    const auto ingest = ingest_->stats();
    out += ",\"ingest\":{\"accepted\":" + std::to_string(ingest.accepted) + ",\"rejected\":" + std::to_string(ingest.rejected) +
           ",\"store_rejected\":" + std::to_string(ingest.storeRejected) +
           ",\"not_persisted\":" + std::to_string(ingest.notPersisted) + "}";
    // Every instance's status row; the worst of them is the plugins' status. Readiness (the HTTP
    // status) follows the store alone: a discovery source in error does not make the host unready.
    const auto& statuses = plugins_->statuses();
    const mc_component_status worst = statuses.worst();
    out += ",\"plugins\":{\"loaded\":" + std::to_string(plugins_->loadedCount()) +
           ",\"refused\":" + std::to_string(plugins_->refusedCount()) +
           ",\"status\":" + json::quote(componentStatusName(worst)) + ",\"instances\":[";
    bool firstInstance = true;
    for (const auto& row : statuses.snapshot()) {
        out += (firstInstance ? "" : ",") + row.json();
        firstInstance = false;
    }
    out += "]}";
    out += ",\"websocket\":{\"connected\":" + std::to_string(ws.connected) +
           ",\"accepted\":" + std::to_string(ws.accepted) +
           ",\"messages_sent\":" + std::to_string(ws.messagesSent) +
           ",\"overflow_disconnects\":" + std::to_string(ws.overflowDisconnects) +
           ",\"dropped_messages\":" + std::to_string(ws.droppedMessages) +
           ",\"protocol_errors\":" + std::to_string(ws.protocolErrors) + "}";
    if (http_) {
        const auto h = http_->stats();
        out += ",\"http\":{\"connections\":" + std::to_string(h.connections) + ",\"accepted\":" + std::to_string(h.accepted) +
               ",\"requests\":" + std::to_string(h.requests) + ",\"workers_busy\":" + std::to_string(h.workersBusy) +
               ",\"queued\":" + std::to_string(h.queued) + ",\"timed_out\":" + std::to_string(h.timedOut) +
               ",\"refused_over_capacity\":" + std::to_string(h.refusedOverCapacity) +
               ",\"rejected_busy\":" + std::to_string(h.rejectedBusy) + "}";
    }
    out += ",\"broadcaster\":{\"published\":" + std::to_string(bc.published) +
           ",\"last_seq\":" + std::to_string(bc.lastSeq) + "}";
    out += ",\"auth\":" + std::string(auth_->enabled() ? "true" : "false");
    out += "}";
    return out;
}

void HostRuntime::registerCoreRoutes() {
    using Status = Poco::Net::HTTPResponse::HTTPStatus;
    router_->add(Route{"GET", "/health", std::nullopt,
                       [](RequestContext& ctx) { http::sendJson(ctx.response, Status::HTTP_OK, "{\"status\":\"ok\"}"); },
                       "Liveness: 200 while the process serves HTTP."});
    router_->add(Route{"GET", "/api/health", Role::Viewer,
                       [this](RequestContext& ctx) {
                           bool healthy = true;
                           const std::string body = healthJson(healthy);
                           http::sendJson(ctx.response, healthy ? Status::HTTP_OK : Status::HTTP_SERVICE_UNAVAILABLE, body);
                       },
                       "Readiness: store, plugins, WebSocket clients, broadcaster, uptime."});
    router_->add(Route{"GET", "/api/plugins", Role::Viewer,
                       [this](RequestContext& ctx) { http::sendJson(ctx.response, Status::HTTP_OK, plugins_->reportJson()); },
                       "Every plugin file considered: loaded (id, kind, version, ABI, config keys) or refused (reason)."});
    router_->add(Route{"POST", "/api/plugins/rescan", Role::Admin,
                       [this](RequestContext& ctx) { http::sendJson(ctx.response, Status::HTTP_OK, rescanPlugins()); },
                       "Reads plugins.dir again now: loads new plugin files, reloads replaced ones, stops removed ones; "
                       "answers what changed ({added, removed, replaced, refused})."});
    if (settings_.metricsEnabled) {
        router_->add(Route{"GET", "/metrics", Role::Viewer,
                           [this](RequestContext& ctx) {
                               http::sendBody(ctx.response, Status::HTTP_OK, kPrometheusTextType, metrics_->exposition());
                           },
                           "Prometheus metrics (text format 0.0.4): host internals and tool calls per MCP server and tool "
                           "(docs/metrics.md); off with metrics.enabled = false.",
                           {}, kPrometheusTextType});
    }
    auto console = ConsoleFiles::load(settings_.consoleDir);
    if (console->available())
        logging::get("host")->info("web console at / ({} files from {})", console->fileCount(), console->dir());
    else if (settings_.consoleDir != "off")
        logging::get("host")->warn("no web console at /: {}", console->problem());
    registerConsoleRoutes(*router_, std::move(console));
    registerGatewayRoutes(*router_, *gateway_);
    registerQueryRoutes(*router_, store_.get());
    registerGatewayMessages(*hub_, *gateway_);
    registerDiscoveryRoutes(*router_, *discovery_);
    registerIngestRoutes(*router_, *ingest_, settings_.ingest.ackTimeout);
    if (mcpFace_) registerMcpEndpointRoutes(*router_, *mcpFace_);
    registerIngestMessages(*hub_, *ingest_);
    for (const auto& receiver : receivers_->receivers()) registerReceiverRoutes(*router_, *receiver, settings_.ingest.ackTimeout);
    WebSocketHub* hub = hub_.get();
    router_->addRaw("GET", "/ws", [hub] { return hub->createHandler(); },
                    "WebSocket: subscribe/unsubscribe channels, ping; events as they happen (docs/websocket-protocol.md).");
    registerDocsRoutes(*router_); // last: documents every route above
}

} // namespace mc::host
