#include "app/HostConfig.h"

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
        {"plugins.dir", KeyType::String, "auto", "Directory whose *.so plugins are loaded (auto: <bin>/../plugins, then <bin>/../lib/mission-control/plugins)."},
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
        {"gateway.ping_interval_ms", KeyType::Int, "15000", "How often every connected MCP server gets an MCP ping.", 100, 3600000},
        {"gateway.ping_timeout_ms", KeyType::Int, "5000", "A ping not answered within this time marks the server disconnected.", 10, 600000},
        {"gateway.request_timeout_ms", KeyType::Int, "30000", "Deadline of the gateway's own requests to a server (initialize, tools/list, logging/setLevel).", 10, 600000},
        {"gateway.tool_timeout_ms", KeyType::Int, "60000", "Deadline of a tool call that names no timeout_ms.", 10, 3600000},
        {"gateway.tool_timeout_max_ms", KeyType::Int, "600000", "The largest timeout_ms a tool call may ask for.", 10, 3600000},
        {"gateway.reconnect.initial_ms", KeyType::Int, "500", "First delay before reconnecting to a lost MCP server; doubles per failed attempt (with jitter).", 1, 3600000},
        {"gateway.reconnect.max_ms", KeyType::Int, "30000", "Cap of the reconnect delay.", 1, 3600000},
        {"gateway.log_rate_per_second", KeyType::Int, "200", "Log lines (notifications and stderr) one MCP server may send per second on average; more are dropped and counted in one persisted notice per second (0: no limit).", 0, 1000000},
        {"gateway.log_burst", KeyType::Int, "1000", "Log lines one MCP server may send at once above gateway.log_rate_per_second.", 1, 10000000},
        {"gateway.log_level", KeyType::Enum, "info", "MCP logging level requested from every server with logging/setLevel (mcp.servers.<id>.log_level overrides it).", 0, 0, {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"}},
        {"discovery.probe_timeout_ms", KeyType::Int, "5000", "How long a discovered http/sse endpoint may take to answer the probe (MCP initialize) before it is listed as not connectable.", 10, 600000},
        {"discovery.probe_retry_ms", KeyType::Int, "10000", "First delay before a failed probe is retried; doubles per failure, at most 5 minutes.", 10, 3600000},
        {"ingest.queue.max_events", KeyType::Int, "100000", "Events waiting for the store writer (accepted, not yet committed); beyond it POST /api/ingest and publish get 503 + Retry-After.", 1, 100000000},
        {"ingest.queue.max_bytes", KeyType::Int, "67108864", "The same bound in bytes of event JSON.", 1024, 1LL << 34},
        {"ingest.queue.reserved_events", KeyType::Int, "10000", "Room above ingest.queue.max_events that only the host's own records use (audit, permission decisions, MCP status, tool-call steps), so no flood can crowd them out.", 0, 100000000},
        {"ingest.queue.reserved_bytes", KeyType::Int, "8388608", "The same reserve in bytes, above ingest.queue.max_bytes.", 0, 1LL << 34},
        {"ingest.batch_max_events", KeyType::Int, "1000", "Most events the writer commits in one store transaction (group commit).", 1, 1000000},
        {"ingest.batch_max_delay_ms", KeyType::Int, "5", "How long the writer waits for more events before committing a batch that is not full.", 0, 10000},
        {"ingest.ack_timeout_ms", KeyType::Int, "10000", "How long POST /api/ingest and publish wait for the commit before answering 503 (the events keep their ids: retrying is idempotent).", 1, 3600000},
        {"ingest.retry.initial_ms", KeyType::Int, "100", "First delay before retrying a batch while the store is down; doubles per attempt (with jitter).", 1, 3600000},
        {"ingest.retry.max_ms", KeyType::Int, "5000", "Cap of the store retry delay.", 1, 3600000},
        {"ingest.thread_cache_size", KeyType::Int, "100000", "Threads whose state (status, parent, last sequences) the ingest path keeps in memory for its checks.", 1, 100000000},
        {"permissions.default", KeyType::Enum, "allow", "Decision for a tool call no permissions.rules.<name>.* rule matches (docs/mcp-gateway.md#permission-policy).", 0, 0, {"allow", "deny"}},
        {"shutdown.drain_timeout_ms", KeyType::Int, "3000", "On shutdown, how long queued messages may take to reach clients before 1001.", 0, 600000},
    };
    return keys;
}

std::string environmentVariableFor(const std::string& key) {
    std::string out = "MC_";
    for (char c : key) out += (c == '.' || c == '-') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

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

namespace {

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

const HostKeySpec& spec(const std::string& key) {
    for (const auto& s : hostKeys())
        if (key == s.key) return s;
    throw std::logic_error("undeclared host key " + key);
}

std::string readValue(const Poco::Util::AbstractConfiguration& config, const std::string& key) {
    return Poco::trim(config.getRawString(key, spec(key).defaultValue));
}

long long readInt(const Poco::Util::AbstractConfiguration& config, const std::string& key) {
    const auto& s = spec(key);
    const std::string value = readValue(config, key);
    Poco::Int64 parsed = 0;
    if (!Poco::NumberParser::tryParse64(value, parsed) || parsed < s.min || parsed > s.max)
        throw badValue(key, value, describeExpected(s));
    return parsed;
}

bool readBool(const Poco::Util::AbstractConfiguration& config, const std::string& key) {
    const std::string value = readValue(config, key);
    bool parsed = false;
    if (!Poco::NumberParser::tryParseBool(value, parsed)) throw badValue(key, value, describeExpected(spec(key)));
    return parsed;
}

// A comma-separated list, items trimmed, empty items dropped.
std::vector<std::string> readList(const Poco::Util::AbstractConfiguration& config, const std::string& key) {
    std::vector<std::string> out;
    Poco::StringTokenizer items(readValue(config, key), ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& item : items) out.push_back(item);
    return out;
}

std::string readEnum(const Poco::Util::AbstractConfiguration& config, const std::string& key) {
    const auto& s = spec(key);
    std::string value = Poco::toLower(readValue(config, key));
    if (std::find(s.choices.begin(), s.choices.end(), value) == s.choices.end())
        throw badValue(key, readValue(config, key), describeExpected(s));
    return value;
}

std::string resolveAuto(const std::string& value, const std::vector<std::string>& candidates) {
    if (value != "auto") return value;
    auto normal = [](const std::string& p) {
        return std::filesystem::absolute(std::filesystem::path(p)).lexically_normal().string();
    };
    for (const auto& c : candidates)
        if (Poco::File(c).exists()) return normal(c);
    return normal(candidates.front());
}

} // namespace

HostSettings readHostSettings(const Poco::Util::AbstractConfiguration& config, const std::string& executableDir) {
    HostSettings s;
    s.httpHost = readValue(config, "http.host");
    if (s.httpHost.empty()) throw badValue("http.host", s.httpHost, "an IP address or host name");
    s.httpPort = static_cast<std::uint16_t>(readInt(config, "http.port"));
    s.httpMaxThreads = static_cast<int>(readInt(config, "http.max_threads"));
    s.httpMaxQueued = static_cast<int>(readInt(config, "http.max_queued"));
    s.httpMaxBodyBytes = static_cast<std::size_t>(readInt(config, "http.max_body_bytes"));
    s.http.host = s.httpHost;
    s.http.port = s.httpPort;
    s.http.ioThreads = static_cast<std::size_t>(readInt(config, "http.io_threads"));
    s.http.workerThreads = static_cast<std::size_t>(s.httpMaxThreads);
    s.http.maxQueued = static_cast<std::size_t>(s.httpMaxQueued);
    s.http.maxConnections = static_cast<std::size_t>(readInt(config, "http.max_connections"));
    s.http.maxConnectionsPerAddress = static_cast<std::size_t>(readInt(config, "http.max_connections_per_address"));
    s.http.limits.maxBodyBytes = s.httpMaxBodyBytes;
    s.http.limits.maxHeadBytes = static_cast<std::size_t>(readInt(config, "http.max_header_bytes"));
    s.http.headerTimeout = std::chrono::milliseconds(readInt(config, "http.header_timeout_ms"));
    s.http.bodyTimeout = std::chrono::milliseconds(readInt(config, "http.body_timeout_ms"));
    s.http.idleTimeout = std::chrono::milliseconds(readInt(config, "http.idle_timeout_ms"));
    s.http.writeTimeout = std::chrono::milliseconds(readInt(config, "http.write_timeout_ms"));
    s.http.tlsCertificateFile = readValue(config, "http.tls.cert");
    s.http.tlsKeyFile = readValue(config, "http.tls.key");
    if (s.http.tlsCertificateFile.empty() != s.http.tlsKeyFile.empty())
        throw ConfigError(std::string("invalid configuration: ") +
                          (s.http.tlsKeyFile.empty() ? "http.tls.cert is set but http.tls.key is not"
                                                     : "http.tls.key is set but http.tls.cert is not") +
                          ": TLS needs both");
    s.guard.bindHost = s.httpHost;
    s.guard.allowedHosts = readList(config, "http.allowed_hosts");
    s.guard.allowedOrigins = readList(config, "http.allowed_origins");
    s.allowRemoteWithoutAuth = readBool(config, "http.allow_remote_without_auth");

    const std::string bin = executableDir.empty() ? std::string(".") : executableDir;
    s.pluginsDir = resolveAuto(readValue(config, "plugins.dir"),
                               {bin + "/../plugins", bin + "/../lib/mission-control/plugins"});
    s.storeBackend = Poco::toLower(readValue(config, "store.backend"));
    if (s.storeBackend.empty() ||
        !std::all_of(s.storeBackend.begin(), s.storeBackend.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }))
        throw badValue("store.backend", s.storeBackend, "a backend name such as sqlite or postgres");
    s.migrationsDir = resolveAuto(readValue(config, "store.migrations.dir"), {bin + "/../share/mission-control/migrations"});

    s.log.format = readEnum(config, "log.format");
    s.log.level = readEnum(config, "log.level");
    s.log.file = readValue(config, "log.file");
    Poco::Util::AbstractConfiguration::Keys levelKeys;
    config.keys("log.level", levelKeys);
    for (const auto& logger : levelKeys) {
        const std::string key = "log.level." + logger;
        const std::string value = Poco::toLower(Poco::trim(config.getRawString(key, "")));
        try {
            logging::parseLevel(value);
        } catch (const std::invalid_argument&) {
            throw badValue(key, value, "one of trace, debug, info, warn, error, off");
        }
        s.log.levels[logger] = value;
    }

    s.jwtSecret = config.getRawString("auth.jwt.secret", "");
    if (!s.jwtSecret.empty() && s.jwtSecret.size() < 16)
        throw ConfigError("invalid configuration: auth.jwt.secret is too short (" + std::to_string(s.jwtSecret.size()) +
                          " bytes): use at least 16 random bytes");
    s.jwtIssuer = readValue(config, "auth.jwt.issuer");
    if (s.jwtSecret.empty() && !RequestGuard::isLoopbackAddress(s.httpHost) && !s.allowRemoteWithoutAuth)
        throw ConfigError("invalid configuration: http.host = '" + s.httpHost +
                          "' is reachable from the network but auth.jwt.secret is not set, so anyone who can reach it "
                          "would be admin. Set auth.jwt.secret (at least 16 random bytes), bind to 127.0.0.1, or set "
                          "http.allow_remote_without_auth = true to accept that");

    s.ws.ioThreads = static_cast<std::size_t>(readInt(config, "ws.io_threads"));
    s.ws.maxMessageBytes = static_cast<std::size_t>(readInt(config, "ws.max_message_bytes"));
    s.ws.queueMaxMessages = static_cast<std::size_t>(readInt(config, "ws.queue.max_messages"));
    s.ws.queueMaxBytes = static_cast<std::size_t>(readInt(config, "ws.queue.max_bytes"));
    s.ws.overflowPolicy = readEnum(config, "ws.overflow_policy") == "disconnect"
                              ? WebSocketSettings::OverflowPolicy::Disconnect
                              : WebSocketSettings::OverflowPolicy::Drop;
    s.ws.socketSendBufferBytes = static_cast<std::size_t>(readInt(config, "ws.socket_send_buffer_bytes"));
    s.ws.maxConnections = static_cast<std::size_t>(readInt(config, "ws.max_connections"));
    s.ws.closeTimeout = std::chrono::milliseconds(readInt(config, "ws.close_timeout_ms"));
    s.ws.resumeHistoryEvents = static_cast<std::size_t>(readInt(config, "ws.resume.history_events"));
    s.ws.resumeHistoryBytes = static_cast<std::size_t>(readInt(config, "ws.resume.history_bytes"));
    s.drainTimeout = std::chrono::milliseconds(readInt(config, "shutdown.drain_timeout_ms"));
    s.discoveryProbeTimeout = std::chrono::milliseconds(readInt(config, "discovery.probe_timeout_ms"));
    s.discoveryProbeRetry = std::chrono::milliseconds(readInt(config, "discovery.probe_retry_ms"));

    s.ingest.writer.maxQueuedEvents = static_cast<std::size_t>(readInt(config, "ingest.queue.max_events"));
    s.ingest.writer.maxQueuedBytes = static_cast<std::size_t>(readInt(config, "ingest.queue.max_bytes"));
    s.ingest.writer.reservedEvents = static_cast<std::size_t>(readInt(config, "ingest.queue.reserved_events"));
    s.ingest.writer.reservedBytes = static_cast<std::size_t>(readInt(config, "ingest.queue.reserved_bytes"));
    s.ingest.writer.batchMaxEvents = static_cast<std::size_t>(readInt(config, "ingest.batch_max_events"));
    s.ingest.writer.batchMaxDelay = std::chrono::milliseconds(readInt(config, "ingest.batch_max_delay_ms"));
    s.ingest.writer.retryInitial = std::chrono::milliseconds(readInt(config, "ingest.retry.initial_ms"));
    s.ingest.writer.retryMax = std::chrono::milliseconds(readInt(config, "ingest.retry.max_ms"));
    if (s.ingest.writer.retryMax < s.ingest.writer.retryInitial)
        throw badValue("ingest.retry.max_ms", std::to_string(s.ingest.writer.retryMax.count()),
                       "at least ingest.retry.initial_ms (" + std::to_string(s.ingest.writer.retryInitial.count()) + ")");
    s.ingest.ackTimeout = std::chrono::milliseconds(readInt(config, "ingest.ack_timeout_ms"));
    s.ingest.threadCacheSize = static_cast<std::size_t>(readInt(config, "ingest.thread_cache_size"));
    readEnum(config, "permissions.default");
    return s;
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
                                                            "ingest", "permissions"};
    std::set<std::string> declared;
    for (const auto& s : hostKeys()) declared.insert(s.key);
    std::vector<std::string> unknown;
    for (const auto& ns : hostNamespaces) {
        std::vector<std::string> leaves;
        collectLeaves(config, ns, leaves);
        for (const auto& key : leaves) {
            // permissions.rules.* are checked by PermissionPolicy::fromConfig (an unknown one stops start-up).
            if (declared.count(key) || key.rfind("log.level.", 0) == 0 || key.rfind("permissions.rules.", 0) == 0) continue;
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

const ConfigKeyInfo* firstMissingRequiredKey(const Poco::Util::AbstractConfiguration& config, const std::string& prefix,
                                             const std::vector<ConfigKeyInfo>& declared) {
    for (const auto& key : declared)
        if (key.required && !key.hasDefault && !config.hasProperty(prefix + "." + key.name)) return &key;
    return nullptr;
}

std::map<std::string, std::string> pluginInstanceConfig(const Poco::Util::AbstractConfiguration& config,
                                                        const std::string& prefix,
                                                        const std::vector<ConfigKeyInfo>& declared) {
    if (const ConfigKeyInfo* missing = firstMissingRequiredKey(config, prefix, declared))
        throw ConfigError("invalid configuration: " + prefix + "." + missing->name + " is required (" +
                          missing->description + ")");
    std::map<std::string, std::string> out;
    std::vector<std::string> leaves;
    collectLeaves(config, prefix, leaves);
    for (const auto& full : leaves) {
        if (full.size() <= prefix.size() + 1) continue;
        out[full.substr(prefix.size() + 1)] = Poco::trim(config.getRawString(full, ""));
    }
    for (const auto& key : declared) {
        const std::string full = prefix + "." + key.name;
        // The environment layer cannot enumerate, so ask for each declared key explicitly.
        std::string value;
        if (config.hasProperty(full))
            value = Poco::trim(config.getRawString(full, ""));
        else if (key.hasDefault)
            value = key.defaultValue;
        else
            continue; // optional and unset (a missing required key was refused above)
        switch (key.type) {
        case MC_CONFIG_INT: {
            Poco::Int64 parsed;
            if (!Poco::NumberParser::tryParse64(value, parsed)) throw badValue(full, value, "an integer");
            break;
        }
        case MC_CONFIG_BOOL: {
            bool parsed;
            if (!Poco::NumberParser::tryParseBool(value, parsed)) throw badValue(full, value, "true or false");
            break;
        }
        case MC_CONFIG_DOUBLE: {
            double parsed;
            if (!Poco::NumberParser::tryParseFloat(value, parsed)) throw badValue(full, value, "a number");
            break;
        }
        default: break;
        }
        out[key.name] = value;
    }
    return out;
}

std::map<std::string, std::string> pluginInstanceConfig(const std::map<std::string, std::string>& relative,
                                                        const std::string& prefix,
                                                        const std::vector<ConfigKeyInfo>& declared) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> map(new Poco::Util::MapConfiguration);
    for (const auto& [key, value] : relative) map->setString(prefix + "." + key, value);
    return pluginInstanceConfig(*map, prefix, declared);
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
