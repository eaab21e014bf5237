#include "config/HostConfig.h"

#include "mc/config_doc.hpp"

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/NumberParser.h>
#include <Poco/Path.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <set>

extern char** environ;

namespace mc::host {

const std::vector<HostKeySpec>& hostKeys() {
    static const std::vector<HostKeySpec> keys = {
        {"http.host", KeyType::String, "127.0.0.1", "Address the HTTP/WebSocket server binds to (0.0.0.0 or :: for all)."},
        {"http.port", KeyType::Int, "8000", "TCP port of the HTTP/WebSocket server (0 picks a free port).", 0, 65535},
        {"http.max_threads", KeyType::Int, "16", "Worker threads that run request handlers on complete requests (reading, writing and waiting for tool calls or commits hold none).", 1, 1024},
        {"http.max_queued", KeyType::Int, "64", "Complete requests waiting for a worker; beyond it a request gets 503 with Retry-After.", 1, 100000},
        {"http.max_body_bytes", KeyType::Int, "1048576", "Largest accepted request body; larger ones get 413.", 1024, 1LL << 30},
        {"http.max_header_bytes", KeyType::Int, "16384", "Largest request line plus headers; larger ones get 431 (414 for the request line).", 1024, 1LL << 20},
        {"http.io_threads", KeyType::Int, "1", "Event-loop threads that read requests and write responses for every HTTP connection.", 1, 64},
        {"http.max_connections", KeyType::Int, "10000", "Open HTTP connections (before WebSocket upgrades); more are answered 503 and closed.", 1, 1000000},
        {"http.max_connections_per_address", KeyType::Int, "256", "Open HTTP connections from one client address; more are answered 503 and closed.", 1, 1000000},
        {"http.header_timeout_ms", KeyType::Int, "10000", "A request's head (and a TLS handshake) must arrive within this time of its first byte; else 408 and close.", 100, 600000},
        {"http.body_timeout_ms", KeyType::Int, "30000", "A request's body must arrive within this time of its head; else 408 and close.", 100, 3600000},
        {"http.idle_timeout_ms", KeyType::Int, "30000", "A keep-alive connection with no request for this long is closed.", 100, 3600000},
        {"http.write_timeout_ms", KeyType::Int, "30000", "A client that reads nothing of its response for this long is disconnected.", 100, 3600000},
        {"http.allowed_hosts", KeyType::String, "", "Comma list of extra names the Host header may carry (example.com, *.example.com, or * for any); localhost and the bind address are always accepted."},
        {"http.allowed_origins", KeyType::String, "", "Comma list of browser origins besides the host's own that may use the API and /ws (https://console.example.com); they get CORS headers."},
        {"http.allow_remote_without_auth", KeyType::Bool, "false", "Start on a non-loopback http.host without auth.jwt.secret (everyone on the network is admin); warned about at every start."},
        {"http.tls.cert", KeyType::String, "", "PEM certificate chain: with http.tls.key the listener serves https:// and wss:// only."},
        {"http.tls.key", KeyType::String, "", "PEM private key of http.tls.cert."},
        {"http.console_dir", KeyType::String, "auto", "Directory of the web console served at / (index.html and assets/; auto: <bin>/../share/mission-control/console; off: none, / answers 404)."},
        {"plugins.dir", KeyType::String, "auto", "Directory whose *.so plugins are loaded (auto: <bin>/../plugins, then <bin>/../lib/mission-control/plugins)."},
        {"plugins.watch", KeyType::Bool, "true", "Load plugins copied into plugins.dir while the host runs, reload replaced ones and stop removed ones (inotify); POST /api/plugins/rescan and SIGHUP do the same on demand."},
        {"store.backend", KeyType::String, "sqlite", "Storage backend: the store plugin with id store-<backend>."},
        {"store.migrations.dir", KeyType::String, "auto", "Directory of <dialect>/NNN_name.sql migrations (auto: <bin>/../share/mission-control/migrations)."},
        {"log.format", KeyType::Enum, "text", "Log line format.", 0, 0, {"text", "json"}},
        {"log.level", KeyType::Enum, "info", "Default level of every logger; log.level.<logger> overrides one (e.g. log.level.ws = debug).", 0, 0, {"trace", "debug", "info", "warn", "error", "off"}},
        {"log.file", KeyType::String, "", "Write logs to this file instead of stderr."},
        {"auth.jwt.secret", KeyType::String, "", "HS256 secret; when set, /api and /ws require a JWT with a role claim (viewer, operator, admin)."},
        {"auth.jwt.issuer", KeyType::String, "", "When set, tokens must carry this iss claim."},
        {"ws.io_threads", KeyType::Int, "2", "Event-loop threads serving all WebSocket connections.", 1, 64},
        {"ws.max_message_bytes", KeyType::Int, "1048576", "Largest client message; larger ones get an error and close 1009.", 128, 1LL << 30},
        {"ws.queue.max_messages", KeyType::Int, "4096", "Outbound queue limit per client, in messages.", 1, 10000000},
        {"ws.queue.max_bytes", KeyType::Int, "16777216", "Outbound queue limit per client, in bytes.", 1024, 1LL << 34},
        {"ws.overflow_policy", KeyType::Enum, "disconnect", "What happens to a client whose queue overflows: disconnect it (1008) or drop events for it.", 0, 0, {"disconnect", "drop"}},
        {"ws.socket_send_buffer_bytes", KeyType::Int, "0", "SO_SNDBUF of each WebSocket (0: the kernel's default); bounds what a slow client holds in the kernel.", 0, 1LL << 30},
        {"ws.max_connections", KeyType::Int, "10000", "Concurrent WebSocket connections; more get 503.", 1, 1000000},
        {"ws.resume.history_events", KeyType::Int, "2048", "Recent events kept so a client that reconnects can resume from its last seq (0: none; resume then answers resume_gap).", 0, 1000000},
        {"ws.resume.history_bytes", KeyType::Int, "8388608", "The same bound in bytes of event frames.", 0, 1LL << 32},
        {"ws.close_timeout_ms", KeyType::Int, "2000", "How long a closing client may take to read its close frame.", 0, 600000},
        {"gateway.allow_api_stdio", KeyType::Bool, "false", "Whether an admin may register stdio MCP servers (which start a command on this machine) with POST /api/mcps."},
        {"gateway.api_placeholders", KeyType::String, "", "Secret placeholders a server registered with POST /api/mcps may use in headers and env (and names its inherit_env may list): comma-separated env:<name> / file:<path> globs, e.g. env:GITHUB_TOKEN, file:/run/secrets/*. Empty: none (docs/mcp-gateway.md#secrets)."},
        {"gateway.ping_interval_ms", KeyType::Int, "15000", "How often every connected MCP server gets an MCP ping (2025 era), or server/discover when it has said nothing for this long (2026-07-28 era).", 100, 3600000},
        {"gateway.ping_timeout_ms", KeyType::Int, "5000", "A ping (or the new era's server/discover health check) not answered within this time marks the server disconnected.", 10, 600000},
        {"gateway.request_timeout_ms", KeyType::Int, "30000", "Deadline of the gateway's own requests to a server (initialize, tools/list, logging/setLevel).", 10, 600000},
        {"gateway.tool_timeout_ms", KeyType::Int, "60000", "Deadline of a tool call that names no timeout_ms.", 10, 3600000},
        {"gateway.tool_timeout_max_ms", KeyType::Int, "600000", "The largest timeout_ms a tool call may ask for.", 10, 3600000},
        {"gateway.reconnect.initial_ms", KeyType::Int, "500", "First delay before reconnecting to a lost MCP server; doubles per failed attempt (with jitter).", 1, 3600000},
        {"gateway.reconnect.max_ms", KeyType::Int, "30000", "Cap of the reconnect delay.", 1, 3600000},
        {"gateway.log_rate_per_second", KeyType::Int, "200", "Log lines (notifications and stderr) one MCP server may send per second on average; more are dropped and counted in one persisted notice per second (0: no limit).", 0, 1000000},
        {"gateway.log_burst", KeyType::Int, "1000", "Log lines one MCP server may send at once above gateway.log_rate_per_second.", 1, 10000000},
        {"gateway.inspector.messages", KeyType::Int, "1000", "JSON-RPC messages to and from each MCP server kept in memory for the protocol inspector (GET /api/mcps/{id}/messages; the oldest go first; 0: none kept, none published on protocol:<id>).", 0, 1000000},
        {"gateway.inspector.max_message_bytes", KeyType::Int, "16384", "The part of each message the inspector keeps (longer ones are cut, marked truncated, their size kept).", 64, 16777216},
        {"gateway.capture", KeyType::Enum, "off", "Which of the inspector's messages are also stored (GET /api/protocol-messages): off; errors (error responses, tool results with isError, HTTP exchanges that failed or answered 4xx/5xx, each with the request it answers); all. Messages hold tool arguments and results: stored only when asked for.", 0, 0, {"off", "errors", "all"}},
        {"gateway.log_level", KeyType::Enum, "info", "MCP logging level requested from every server with logging/setLevel (mcp.servers.<id>.log_level overrides it).", 0, 0, {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"}},
        {"discovery.probe_timeout_ms", KeyType::Int, "5000", "How long a discovered http/sse endpoint may take to answer the probe (MCP initialize) before it is listed as not connectable.", 10, 600000},
        {"discovery.probe_retry_ms", KeyType::Int, "10000", "First delay before a failed probe is retried; doubles per failure, at most 5 minutes.", 10, 3600000},
        {"ingest.queue.max_events", KeyType::Int, "100000", "Events waiting for the store writer (accepted, not yet committed); beyond it POST /api/ingest and publish get 503 + Retry-After.", 1, 100000000},
        {"ingest.queue.max_bytes", KeyType::Int, "67108864", "The same bound in bytes of event JSON.", 1024, 1LL << 34},
        {"ingest.queue.reserved_events", KeyType::Int, "10000", "Room above ingest.queue.max_events that only the host's own records use (audit, permission decisions, MCP status, tool-call steps), so no flood can crowd them out.", 0, 100000000},
        {"ingest.queue.reserved_bytes", KeyType::Int, "8388608", "The same reserve in bytes, above ingest.queue.max_bytes.", 0, 1LL << 34},
        {"cluster.enabled", KeyType::Bool, "false", "true: this host is one of several that share one store (store.backend = postgres) and a bus; every event goes through the bus's log, so each host's viewers see all of them with one seq (docs/cluster.md)."},
        {"cluster.name", KeyType::String, "mission-control", "The cluster's name: the hosts of one cluster share one event log and one seq (it is the WebSocket resume epoch)."},
        {"cluster.host_id", KeyType::String, "", "This host's name in the cluster, unique among its hosts (empty: the machine's host name)."},
        {"cluster.bus", KeyType::String, "nats", "The bus: the plugin of kind bus whose keys live under bus.<name> (plugins/bus-nats)."},
        {"cluster.heartbeat_ms", KeyType::Int, "1000", "How often this host announces itself to the others (GET /api/health lists the members).", 50, 600000},
        {"cluster.lease_ms", KeyType::Int, "10000", "How long a host's lease on a configured MCP server lasts unrenewed (renewed every third of it): when a host dies, another connects its servers within about this plus a third.", 300, 600000},
        {"retention.logs.days", KeyType::Int, "30", "Days log records are kept (0: forever); older ones are deleted in the background (docs/storage.md#retention).", 0, 36500},
        {"retention.telemetry.days", KeyType::Int, "7", "Days OpenTelemetry spans and metric points are kept (0: forever).", 0, 36500},
        {"retention.protocol_messages.days", KeyType::Int, "7", "Days captured protocol messages (gateway.capture) are kept (0: forever).", 0, 36500},
        {"retention.mcp_status.days", KeyType::Int, "90", "Days MCP server status history is kept (0: forever).", 0, 36500},
        {"retention.permissions.days", KeyType::Int, "0", "Days permission decisions are kept (0: forever, the default: they are a security record).", 0, 36500},
        {"retention.audit.days", KeyType::Int, "0", "Days the audit trail is kept (0: forever, the default).", 0, 36500},
        {"retention.interval_ms", KeyType::Int, "60000", "Time between two retention sweeps.", 100, 86400000},
        {"retention.batch_rows", KeyType::Int, "1000", "Most records one retention batch deletes: the longest a write waits for retention is one batch.", 1, 1000000},
        {"retention.pause_ms", KeyType::Int, "20", "Pause between two batches of a sweep, for the writes queued meanwhile.", 0, 60000},
        {"ingest.batch_max_events", KeyType::Int, "1000", "Most events the writer commits in one store transaction (group commit).", 1, 1000000},
        {"ingest.batch_max_delay_ms", KeyType::Int, "5", "How long the writer waits for more events before committing a batch that is not full and that a submitter awaits (POST /api/ingest, publish, receivers).", 0, 10000},
        {"ingest.background_batch_max_delay_ms", KeyType::Int, "50", "The same wait for a batch no submitter awaits (the host's own records: tool-call steps, permission decisions, MCP servers' logs): more records per transaction cost the store less each; they are broadcast at once and stored this much later at most.", 0, 10000},
        {"ingest.ack_timeout_ms", KeyType::Int, "10000", "How long POST /api/ingest and publish wait for the commit before answering 503 (the events keep their ids: retrying is idempotent).", 1, 3600000},
        {"ingest.retry.initial_ms", KeyType::Int, "100", "First delay before retrying a batch while the store is down; doubles per attempt (with jitter).", 1, 3600000},
        {"ingest.retry.max_ms", KeyType::Int, "5000", "Cap of the store retry delay.", 1, 3600000},
        {"ingest.thread_cache_size", KeyType::Int, "100000", "Threads whose state (status, parent, last sequences) the ingest path keeps in memory for its checks.", 1, 100000000},
        {"permissions.default", KeyType::Enum, "allow", "Decision for a tool call no permissions.rules.<name>.* rule matches (docs/mcp-gateway.md#permission-policy).", 0, 0, {"allow", "deny"}},
        {"metrics.enabled", KeyType::Bool, "true", "Serve Prometheus metrics at GET /metrics (a viewer token when auth is on; docs/metrics.md) and count tool calls per server and tool for them."},
        {"mcp.endpoint.enabled", KeyType::Bool, "true", "Serve /mcp (and /mcp/<profile>): the host as one MCP server whose tools, resources and prompts are those of every connected server, named as mcp.endpoint.prefix says, each call checked by the permission policy and recorded in the agent session's thread (docs/mcp-server.md)."},
        {"mcp.endpoint.prefix", KeyType::Enum, "always", "How /mcp names what its servers offer: always <server>__<name> (URIs wrapped as mission-control://<server>/<uri>), conditional only where two servers offer the same name, never (the first server by id keeps a shared name); names over 64 characters or with characters model providers refuse are shortened with a hash (docs/mcp-server.md#names). mcp.profiles.<name>.prefix overrides it per profile.", 0, 0, {"always", "conditional", "never"}},
        {"mcp.endpoint.max_sessions", KeyType::Int, "10000", "MCP sessions /mcp keeps; past it the least recently used one ends (its client must initialize again).", 1, 1000000},
        {"mcp.endpoint.list_ttl_ms", KeyType::Int, "10000", "How long a client of the 2026-07-28 era may keep /mcp's lists before asking again (their ttlMs; a subscriptions/listen stream tells of changes at once; docs/mcp-server.md#the-2026-07-28-era).", 0, 86400000},
        {"mcp.endpoint.page_size", KeyType::Int, "0", "Items per page of /mcp's tools/list, resources/list, resources/templates/list and prompts/list (a nextCursor leads to the next page; docs/mcp-server.md#pages); 0: each list in one page.", 0, 100000},
        {"mcp.endpoint.join_wait_ms", KeyType::Int, "10000", "How long a call through /mcp that carries the agent's id of the call (Claude Code's toolUseId) waits for the agent's OTLP telemetry to report the same call, to be recorded in the agent's own step (docs/mcp-server.md); 0: calls are recorded in the MCP session's thread at once. Only with a telemetry receiver.", 0, 600000},
        {"export.otlp.endpoint", KeyType::String, "", "OTLP/HTTP collector the host exports its own spans to (its gateway's MCP requests, its threads and steps; docs/otel.md#out): a base URL such as http://127.0.0.1:4318 (/v1/traces is added) or the full traces URL. Empty: no export."},
        {"export.otlp.encoding", KeyType::Enum, "protobuf", "Body encoding of the export requests.", 0, 0, {"protobuf", "json"}},
        {"export.otlp.compression", KeyType::Enum, "none", "Content-Encoding of the export requests.", 0, 0, {"none", "gzip"}},
        {"export.otlp.headers", KeyType::String, "", "Headers sent with every export request, as OTEL_EXPORTER_OTLP_HEADERS writes them: name=value pairs separated by commas, values percent-encoded (Authorization=Bearer%20<token>)."},
        {"export.otlp.service_name", KeyType::String, "mission-control", "service.name of the exported spans' resource."},
        {"export.otlp.include_pings", KeyType::Bool, "false", "Export the gateway's MCP pings too (one span per server per gateway.ping_interval_ms)."},
        {"export.otlp.batch_max_spans", KeyType::Int, "512", "Most spans in one export request.", 1, 100000},
        {"export.otlp.batch_delay_ms", KeyType::Int, "1000", "How long a span may wait for others to fill its batch.", 0, 600000},
        {"export.otlp.queue_max_spans", KeyType::Int, "10000", "Spans waiting to be exported (a batch being retried included); beyond it new ones are dropped and counted.", 1, 10000000},
        {"export.otlp.timeout_ms", KeyType::Int, "10000", "Deadline of one export request; on shutdown, how long what is queued may take to be sent.", 100, 600000},
        {"export.otlp.retry.initial_ms", KeyType::Int, "1000", "First delay before a batch the collector could not take (no connection, 429, 502, 503, 504) is sent again; doubles per attempt, Retry-After wins when longer.", 1, 3600000},
        {"export.otlp.retry.max_ms", KeyType::Int, "30000", "Cap of the retry delay.", 1, 3600000},
        {"export.otlp.retry.max_elapsed_ms", KeyType::Int, "300000", "How long one batch is retried before its spans are dropped (counted in mc_otlp_export_spans_total{outcome=\"failed\"}).", 0, 86400000},
        {"shutdown.drain_timeout_ms", KeyType::Int, "3000", "On shutdown, how long queued messages may take to reach clients before 1001.", 0, 600000},
    };
    return keys;
}

std::string environmentVariableFor(const std::string& key) { return mc::sdk::doc::environmentVariable(key); }

EnvironmentLayer::EnvironmentLayer(Lookup lookup) : lookup_(std::move(lookup)) {}

EnvironmentLayer::Lookup EnvironmentLayer::processEnvironment() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (!v) return std::nullopt;
        return std::string(v);
    };
}

bool EnvironmentLayer::getRaw(const std::string& key, std::string& value) const {
    auto v = lookup_(environmentVariableFor(key));
    if (!v) return false;
    value = *v;
    return true;
}

void EnvironmentLayer::setRaw(const std::string& key, const std::string&) {
    throw Poco::NotImplementedException("the environment layer is read-only", key);
}

void EnvironmentLayer::enumerate(const std::string&, Keys&) const {
    // Keys cannot be enumerated from MC_* names unambiguously (keys may contain '_'), so the
    // environment only overrides keys that some other layer or table names.
}

void addConfigurationLayers(Poco::Util::LayeredConfiguration& config, const std::string& file,
                            EnvironmentLayer::Lookup environment) {
    config.add(new EnvironmentLayer(std::move(environment)), kPriorityEnvironment, false);
    if (!file.empty()) {
        if (!Poco::File(file).exists()) throw ConfigError("configuration file '" + file + "' does not exist");
        try {
            config.add(new Poco::Util::PropertyFileConfiguration(file), kPriorityFile, false);
        } catch (const Poco::Exception& e) {
            throw ConfigError("cannot read configuration file '" + file + "': " + e.displayText());
        }
    }
    Poco::AutoPtr<Poco::Util::MapConfiguration> defaults(new Poco::Util::MapConfiguration);
    for (const auto& spec : hostKeys()) defaults->setString(spec.key, spec.defaultValue);
    config.add(defaults, kPriorityDefaults, false);
}

std::string describeExpected(const HostKeySpec& spec) {
    switch (spec.type) {
    case KeyType::Int: return "an integer in " + std::to_string(spec.min) + ".." + std::to_string(spec.max);
    case KeyType::Bool: return "true or false";
    case KeyType::Enum: {
        std::string out = "one of ";
        for (std::size_t i = 0; i < spec.choices.size(); ++i) out += (i ? ", " : "") + spec.choices[i];
        return out;
    }
    case KeyType::String: return "text";
    }
    return "a value";
}

ConfigError badValue(const std::string& key, const std::string& value, const std::string& expected) {
    return ConfigError("invalid configuration: " + key + " = '" + value + "': expected " + expected);
}

const HostKeySpec& hostKey(const std::string& key) {
    for (const auto& s : hostKeys())
        if (key == s.key) return s;
    throw std::logic_error("undeclared host key " + key);
}

std::string readValue(const Poco::Util::AbstractConfiguration& config, const std::string& key) {
    return Poco::trim(config.getRawString(key, hostKey(key).defaultValue));
}

long long readInt(const Poco::Util::AbstractConfiguration& config, const std::string& key) {
    const auto& s = hostKey(key);
    const std::string value = readValue(config, key);
    Poco::Int64 parsed = 0;
    if (!Poco::NumberParser::tryParse64(value, parsed) || parsed < s.min || parsed > s.max)
        throw badValue(key, value, describeExpected(s));
    return parsed;
}

bool readBool(const Poco::Util::AbstractConfiguration& config, const std::string& key) {
    const std::string value = readValue(config, key);
    bool parsed = false;
    if (!Poco::NumberParser::tryParseBool(value, parsed)) throw badValue(key, value, describeExpected(hostKey(key)));
    return parsed;
}

std::vector<std::string> readList(const Poco::Util::AbstractConfiguration& config, const std::string& key) {
    std::vector<std::string> out;
    Poco::StringTokenizer items(readValue(config, key), ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& item : items) out.push_back(item);
    return out;
}

std::string readEnum(const Poco::Util::AbstractConfiguration& config, const std::string& key) {
    const auto& s = hostKey(key);
    std::string value = Poco::toLower(readValue(config, key));
    if (std::find(s.choices.begin(), s.choices.end(), value) == s.choices.end())
        throw badValue(key, readValue(config, key), describeExpected(s));
    return value;
}

namespace {
void collectLeaves(const Poco::Util::AbstractConfiguration& config, const std::string& prefix,
                   std::vector<std::string>& out) {
    Poco::Util::AbstractConfiguration::Keys children;
    config.keys(prefix, children);
    if (children.empty()) {
        if (!prefix.empty() && config.hasProperty(prefix)) out.push_back(prefix);
        return;
    }
    if (!prefix.empty() && config.hasProperty(prefix)) out.push_back(prefix);
    for (const auto& child : children) collectLeaves(config, prefix.empty() ? child : prefix + "." + child, out);
}
} // namespace

std::vector<std::string> unknownHostKeys(const Poco::Util::AbstractConfiguration& config) {
    static const std::set<std::string> hostNamespaces = {"http", "plugins", "log", "auth", "ws", "shutdown", "gateway",
                                                            "ingest", "permissions", "export", "metrics", "retention",
                                                            "cluster"};
    std::set<std::string> declared;
    for (const auto& s : hostKeys()) declared.insert(s.key);
    std::vector<std::string> unknown;
    for (const auto& ns : hostNamespaces) {
        std::vector<std::string> leaves;
        collectLeaves(config, ns, leaves);
        for (const auto& key : leaves) {
            // permissions.rules.* are checked by PermissionPolicy::fromConfig (an unknown one stops start-up).
            // auth.ingest_keys.<source> are read by readHostSettings (any name is a source).
            if (declared.count(key) || key.rfind("log.level.", 0) == 0 || key.rfind("permissions.rules.", 0) == 0 ||
                key.rfind("auth.ingest_keys.", 0) == 0)
                continue;
            unknown.push_back(key);
        }
    }
    // store.* belongs to the host except store.<backend>.*, which is the store plugin's.
    std::vector<std::string> storeLeaves;
    collectLeaves(config, "store", storeLeaves);
    for (const auto& key : storeLeaves) {
        if (declared.count(key)) continue;
        const auto dots = std::count(key.begin(), key.end(), '.');
        if (dots >= 2 && key.rfind("store.migrations.", 0) != 0) continue; // store.<backend>.<key>
        unknown.push_back(key);
    }
    return unknown;
}

std::vector<std::string> leafKeys(const Poco::Util::AbstractConfiguration& config, const std::string& prefix) {
    std::vector<std::string> out;
    collectLeaves(config, prefix, out);
    return out;
}

std::string hostKeysMarkdown() {
    std::string out = "| key | default | environment | description |\n|---|---|---|---|\n";
    for (const auto& s : hostKeys()) {
        out += "| `";
        out += s.key;
        out += "` | ";
        out += *s.defaultValue ? "`" + std::string(s.defaultValue) + "`" : std::string("(empty)");
        out += " | `" + environmentVariableFor(s.key) + "` | ";
        out += s.description;
        if (s.type == KeyType::Int || s.type == KeyType::Enum) out += " (" + describeExpected(s) + ")";
        out += " |\n";
    }
    return out;
}

} // namespace mc::host
