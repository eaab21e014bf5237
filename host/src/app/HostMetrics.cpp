// The host's own Prometheus series: read at scrape time from the counts the HTTP server, WebSocket
// hub, broadcaster, ingest service, store writer and plugin table keep anyway (the ones /api/health
// shows), so the hot paths pay nothing for them. The store write latency is the one histogram
// observed as it happens (HostRuntime::wireIngest). docs/metrics.md lists every series.
#include "app/HostRuntime.h"
#include "mcpserver/CallJoiner.h"
#include "mcpserver/McpServerFace.h"

#include "core/Broadcaster.h"
#include "ingest/IngestService.h"
#include "ingest/StoreWriter.h"
#include "metrics/Registry.h"
#include "net/EventLoop.h"
#include "net/HttpServer.h"
#include "plugin/PluginRegistry.h"
#include "plugin/PluginStatus.h"
#include "receive/ReceiverService.h"
#include "export/OtlpExporter.h"
#include "store/StoreService.h"
#include "util/Clock.h"
#include "web/WebSocketHub.h"

namespace mc::host {
namespace {

using metrics::MetricType;
using metrics::Sample;

// A family of one series without labels.
void single(metrics::Registry& registry, MetricType type, const std::string& name, const std::string& help,
            std::function<double()> read) {
    registry.sampled(type, name, help, {}, [read = std::move(read)] { return std::vector<Sample>{{{}, read()}}; });
}

// One count of a module's Stats struct as a family without labels.
template <class Stats>
struct StatField {
    template <class T>
    StatField(MetricType type, const char* name, const char* help, T Stats::*member)
        : type(type), name(name), help(help), read([member](const Stats& s) { return static_cast<double>(s.*member); }) {}
    MetricType type;
    const char* name;
    const char* help;
    std::function<double(const Stats&)> read;
};

// Each field read from a fresh `stats()` at every scrape.
template <class Stats>
void statFields(metrics::Registry& registry, std::function<Stats()> stats, std::initializer_list<StatField<Stats>> fields) {
    for (const auto& field : fields)
        single(registry, field.type, field.name, field.help, [stats, read = field.read] { return read(stats()); });
}

} // namespace

void HostRuntime::registerMetrics() {
    metrics::Registry& r = *metrics_;
    const auto counter = MetricType::Counter;
    const auto gauge = MetricType::Gauge;

    r.sampled(gauge, "mc_build_info", "Always 1; the labels say which build runs: version and plugin ABI (major.minor).",
              {"version", "abi"}, [] {
                  return std::vector<Sample>{
                      {{MC_VERSION, std::to_string(MC_ABI_MAJOR) + "." + std::to_string(MC_ABI_MINOR)}, 1.0}};
              });
    single(r, gauge, "mc_start_time_seconds", "When the host started, in seconds since the Unix epoch.",
           [this] { return static_cast<double>(startedUnixUs_) / 1e6; });
    single(r, gauge, "mc_uptime_seconds", "Seconds since the host started.", [this] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - startedMonotonic_).count();
    });

    // HTTP (the host's own port; receivers' own listeners are not counted here).
    statFields<net::HttpServerStats>(r, [this] { return http_ ? http_->stats() : net::HttpServerStats{}; }, {
        {gauge, "mc_http_connections",
         "Open HTTP connections (before WebSocket upgrades).",
         &net::HttpServerStats::connections},
        {counter, "mc_http_connections_accepted_total", "HTTP connections accepted.", &net::HttpServerStats::accepted},
        {counter, "mc_http_connections_refused_total",
         "HTTP connections refused at accept because http.max_connections or the per-address cap was reached.",
         &net::HttpServerStats::refusedOverCapacity},
        {counter, "mc_http_connections_timed_out_total",
         "HTTP connections closed for a head, body, idle or write timeout.",
         &net::HttpServerStats::timedOut},
        {counter, "mc_http_requests_total", "HTTP requests handed to a handler.", &net::HttpServerStats::requests},
        {counter, "mc_http_requests_rejected_busy_total",
         "HTTP requests answered 503 because the worker queue (http.max_queued) was full.",
         &net::HttpServerStats::rejectedBusy},
        {gauge, "mc_http_workers_busy", "HTTP workers running a handler now.", &net::HttpServerStats::workersBusy},
        {gauge, "mc_http_requests_queued",
         "Complete HTTP requests waiting for a worker.",
         &net::HttpServerStats::queued}
    });

    // Plugins' sockets waited for on the I/O threads (mc_host_api.watch_readable, ABI 2.4).
    r.sampled(counter, "mc_plugin_socket_waits_total",
              "Waits for a plugin's socket on the host's I/O threads (mcp-http: an MCP server's answer to a request sent "
              "from one), by how they ended: readable, deadline (the plugin's own thread takes over), stopped.",
              {"outcome"}, [] {
                  const auto counts = net::EventLoop::watchCounts();
                  return std::vector<Sample>{{{"readable"}, static_cast<double>(counts.readable)},
                                             {{"deadline"}, static_cast<double>(counts.deadline)},
                                             {{"stopped"}, static_cast<double>(counts.stopped)}};
              });

    // WebSocket clients and what reached them.
    statFields<WebSocketHub::Stats>(r, [this] { return hub_ ? hub_->stats() : WebSocketHub::Stats{}; }, {
        {gauge, "mc_websocket_clients", "Connected WebSocket clients.", &WebSocketHub::Stats::connected},
        {counter, "mc_websocket_clients_accepted_total",
         "WebSocket upgrades accepted.",
         &WebSocketHub::Stats::accepted},
        {counter, "mc_websocket_messages_sent_total",
         "WebSocket frames fully written to clients.",
         &WebSocketHub::Stats::messagesSent},
        {counter, "mc_websocket_messages_dropped_total",
         "Events dropped for a slow client under ws.overflow_policy = drop.",
         &WebSocketHub::Stats::droppedMessages},
        {counter, "mc_websocket_overflow_disconnects_total",
         "Clients closed (1008) because their outbound queue overflowed (ws.overflow_policy = disconnect).",
         &WebSocketHub::Stats::overflowDisconnects},
        {counter, "mc_websocket_protocol_errors_total",
         "RFC 6455 violations and rejected client messages.",
         &WebSocketHub::Stats::protocolErrors}
    });

    statFields<BroadcasterStats>(r, [this] { return broadcaster_->stats(); }, {
        {counter, "mc_broadcaster_events_published_total",
         "Events published to WebSocket channels.",
         &BroadcasterStats::published},
        {counter, "mc_broadcaster_deliveries_total",
         "Events handed to a subscriber (one per subscriber per event).",
         &BroadcasterStats::deliveries}
    });

    // Ingest: what was accepted, refused, or could not be kept.
    statFields<IngestService::Stats>(r, [this] { return ingest_->stats(); }, {
        {counter, "mc_ingest_events_accepted_total",
         "Events that passed validation and were queued for the store.",
         &IngestService::Stats::accepted},
        {counter, "mc_ingest_events_rejected_total", "Events refused by validation.", &IngestService::Stats::rejected},
        {counter, "mc_ingest_events_store_rejected_total",
         "Events the store refused after they were broadcast.",
         &IngestService::Stats::storeRejected},
        {counter, "mc_ingest_events_not_persisted_total",
         "Fire-and-forget events (plugin emits, host events) that found the writer queue full.",
         &IngestService::Stats::notPersisted}
    });

    // The store writer: its queue, commits and the store's health.
    statFields<StoreWriter::Stats>(r, [this] { return writer_->stats(); }, {
        {gauge, "mc_store_writer_queued_events",
         "Events accepted and not yet committed (waiting or being written).",
         &StoreWriter::Stats::queuedEvents},
        {gauge, "mc_store_writer_queued_bytes",
         "Bytes of the events in the writer queue.",
         &StoreWriter::Stats::queuedBytes},
        {counter, "mc_store_writer_committed_events_total",
         "Events the store accepted.",
         &StoreWriter::Stats::committed},
        {counter, "mc_store_writer_rejected_events_total", "Events the store refused.", &StoreWriter::Stats::rejected},
        {counter, "mc_store_writer_batches_total",
         "Successful store write calls (one transaction each).",
         &StoreWriter::Stats::batches},
        {counter, "mc_store_writer_retries_total",
         "Store write calls retried because the store was down.",
         &StoreWriter::Stats::retries},
        {counter, "mc_store_writer_refused_full_total",
         "Submissions refused because the writer queue was full.",
         &StoreWriter::Stats::refusedFull}
    });
    single(r, gauge, "mc_store_up", "1 while the store is open and its writes succeed, else 0.",
           [this] { return store_ && !writer_->stats().down ? 1.0 : 0.0; });
    storeWriteSeconds_ = &r.histogram("mc_store_write_duration_seconds",
                                      "Duration of one store write call (one batch, one transaction), failed ones included.",
                                      {}, metrics::latencySecondsBuckets())
                              .labels({});

    // Agents' usage, from the token and cost counters receivers brought in (receiver-otlp).
    r.sampled(counter, "mc_agent_tokens_total",
              "Tokens an agent reported using (its OTLP token counters), by agent (service.name; past 100 agents, "
              "\"other\") and type: input, output, cache_read, cache_creation.",
              {"agent", "type"}, [this] {
                  std::vector<Sample> out;
                  if (!receivers_) return out;
                  for (const auto& [agent, totals] : receivers_->agentUsage().snapshot())
                      for (int kind = AgentUsage::InputTokens; kind <= AgentUsage::CacheCreationTokens; ++kind)
                          out.push_back({{agent, AgentUsage::tokenTypeOf(static_cast<AgentUsage::Kind>(kind))}, totals[kind]});
                  return out;
              });
    r.sampled(counter, "mc_agent_cost_usd_total", "Cost in US dollars an agent reported (its OTLP cost counter), by agent.",
              {"agent"}, [this] {
                  std::vector<Sample> out;
                  if (!receivers_) return out;
                  for (const auto& [agent, totals] : receivers_->agentUsage().snapshot())
                      out.push_back({{agent}, totals[AgentUsage::CostUsd]});
                  return out;
              });

    // The host's own spans exported over OTLP (export.otlp.*); no series while export is off.
    r.sampled(counter, "mc_otlp_export_spans_total",
              "Spans the host exported (docs/otel.md#out), by outcome: exported (the collector took them), rejected (its "
              "partial_success refused them), dropped (the queue was full), failed (refused, retries exhausted, or not sent "
              "before shutdown).",
              {"outcome"}, [this] {
                  std::vector<Sample> out;
                  if (!exporter_) return out;
                  const auto s = exporter_->stats();
                  out.push_back({{"exported"}, static_cast<double>(s.exported)});
                  out.push_back({{"rejected"}, static_cast<double>(s.rejected)});
                  out.push_back({{"dropped"}, static_cast<double>(s.droppedQueueFull)});
                  out.push_back({{"failed"}, static_cast<double>(s.failed)});
                  return out;
              });
    r.sampled(counter, "mc_otlp_export_requests_total",
              "Export requests by result: ok (answered 2xx) or error (a connection error or another status; each retry counts).",
              {"result"}, [this] {
                  std::vector<Sample> out;
                  if (!exporter_) return out;
                  const auto s = exporter_->stats();
                  out.push_back({{"ok"}, static_cast<double>(s.requests)});
                  out.push_back({{"error"}, static_cast<double>(s.requestErrors)});
                  return out;
              });
    r.sampled(gauge, "mc_otlp_export_queue_spans", "Spans waiting to be exported, a batch being retried included.", {}, [this] {
        std::vector<Sample> out;
        if (exporter_) out.push_back({{}, static_cast<double>(exporter_->stats().queued)});
        return out;
    });

    r.sampled(gauge, "mc_mcp_endpoint_sessions", "MCP sessions /mcp holds (docs/mcp-server.md).", {}, [this] {
        std::vector<Sample> out;
        if (mcpFace_) out.push_back({{}, static_cast<double>(mcpFace_->sessionCount())});
        return out;
    });
    r.sampled(gauge, "mc_mcp_endpoint_streams", "MCP sessions with their stream open (GET /mcp, docs/mcp-server.md#the-sessions-stream).", {},
              [this] {
                  std::vector<Sample> out;
                  if (mcpFace_) out.push_back({{}, static_cast<double>(mcpFace_->streamCount())});
                  return out;
              });
    // Calls through /mcp that carried the agent's id of the call, while a receiver takes telemetry.
    r.sampled(counter, "mc_mcp_endpoint_joined_calls_total",
              "Calls through /mcp that carried the agent's id of the call (docs/mcp-server.md#one-agent-one-thread), by result: "
              "joined (added to the agent's own step from its telemetry) or unjoined (not reported in time: recorded in the MCP "
              "session's thread).",
              {"result"}, [this] {
                  std::vector<Sample> out;
                  if (!callJoiner_) return out;
                  const auto s = callJoiner_->stats();
                  out.push_back({{"joined"}, static_cast<double>(s.joined)});
                  out.push_back({{"unjoined"}, static_cast<double>(s.unjoined)});
                  return out;
              });

    // Plugins: how many loaded, and each instance's status as a state set.
    single(r, gauge, "mc_plugins_loaded", "Plugin files loaded from plugins.dir.",
           [this] { return static_cast<double>(plugins_->loadedCount()); });
    single(r, gauge, "mc_plugins_refused", "Plugin files refused (the log and GET /api/plugins say why).",
           [this] { return static_cast<double>(plugins_->refusedCount()); });
    r.sampled(gauge, "mc_plugin_status",
              "1 for the status each plugin instance reported last (invalid: none yet), 0 for the others.",
              {"plugin", "instance", "kind", "status"}, [this] {
                  static const mc_component_status all[] = {MC_COMPONENT_INVALID,          MC_COMPONENT_STARTING,
                                                            MC_COMPONENT_OK,               MC_COMPONENT_RECOVERABLE_ERROR,
                                                            MC_COMPONENT_PERMANENT_ERROR, MC_COMPONENT_STOPPING,
                                                            MC_COMPONENT_STOPPED};
                  std::vector<Sample> out;
                  for (const auto& row : plugins_->statuses().snapshot())
                      for (mc_component_status status : all)
                          out.push_back({{row.plugin, row.instance, row.kind, componentStatusName(status)},
                                         row.status == status ? 1.0 : 0.0});
                  return out;
              });
}

} // namespace mc::host
