#include "app/HostSettings.h"

#include <Poco/Environment.h>
#include <Poco/File.h>
#include <Poco/Path.h>

#include <cctype>
#include <filesystem>

namespace mc::host {
namespace {

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
    s.watchPlugins = readBool(config, "plugins.watch");
    s.consoleDir = readValue(config, "http.console_dir");
    if (s.consoleDir != "off") s.consoleDir = resolveAuto(s.consoleDir, {bin + "/../share/mission-control/console"});
    s.metricsEnabled = readBool(config, "metrics.enabled");
    s.mcpEndpoint = readBool(config, "mcp.endpoint.enabled");
    s.mcpMaxSessions = static_cast<std::size_t>(readInt(config, "mcp.endpoint.max_sessions"));
    s.mcpJoinWait = std::chrono::milliseconds(readInt(config, "mcp.endpoint.join_wait_ms"));
    s.mcpPageSize = static_cast<std::size_t>(readInt(config, "mcp.endpoint.page_size"));
    s.mcpListTtlMs = readInt(config, "mcp.endpoint.list_ttl_ms");
    s.mcpProfiles = readMcpProfiles(config, *prefixModeFromName(readEnum(config, "mcp.endpoint.prefix")));
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
    const std::string keysPrefix = "auth.ingest_keys.";
    std::map<std::string, std::string> sourceOfKey;
    for (const auto& key : leafKeys(config, "auth.ingest_keys")) {
        const std::string source = key.substr(keysPrefix.size());
        const std::string value = config.getRawString(key, "");
        if (source.empty() || source.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != std::string::npos)
            throw ConfigError("invalid configuration: " + key + ": a source name is letters, digits, '_' and '-'");
        if (value.size() < 16)
            throw ConfigError("invalid configuration: " + key + " is too short (" + std::to_string(value.size()) +
                              " bytes): use at least 16 random bytes");
        if (auto [it, added] = sourceOfKey.emplace(value, source); !added)
            throw ConfigError("invalid configuration: " + key + " has the same key as auth.ingest_keys." + it->second +
                              ": each source needs its own (so one can be revoked alone)");
        s.ingestKeys[source] = value;
    }
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
    s.ingest.writer.backgroundBatchMaxDelay = std::chrono::milliseconds(readInt(config, "ingest.background_batch_max_delay_ms"));
    s.ingest.writer.retryInitial = std::chrono::milliseconds(readInt(config, "ingest.retry.initial_ms"));
    s.ingest.writer.retryMax = std::chrono::milliseconds(readInt(config, "ingest.retry.max_ms"));
    if (s.ingest.writer.retryMax < s.ingest.writer.retryInitial)
        throw badValue("ingest.retry.max_ms", std::to_string(s.ingest.writer.retryMax.count()),
                       "at least ingest.retry.initial_ms (" + std::to_string(s.ingest.writer.retryInitial.count()) + ")");
    s.ingest.ackTimeout = std::chrono::milliseconds(readInt(config, "ingest.ack_timeout_ms"));
    for (const auto& group : retentionGroups()) {
        const std::int64_t days = readInt(config, group.key);
        for (const char* kind : group.kinds) s.retention.daysByKind[kind] = days;
    }
    s.retention.interval = std::chrono::milliseconds(readInt(config, "retention.interval_ms"));
    s.retention.batchRows = static_cast<std::size_t>(readInt(config, "retention.batch_rows"));
    s.retention.pause = std::chrono::milliseconds(readInt(config, "retention.pause_ms"));
    s.ingest.threadCacheSize = static_cast<std::size_t>(readInt(config, "ingest.thread_cache_size"));
    readEnum(config, "permissions.default");
    s.cluster.enabled = readBool(config, "cluster.enabled");
    s.cluster.name = readValue(config, "cluster.name");
    if (s.cluster.name.empty()) throw badValue("cluster.name", "", "a name the cluster's hosts share");
    s.cluster.hostId = readValue(config, "cluster.host_id");
    if (s.cluster.hostId.empty()) {
        // The machine's name, made a valid id (an FQDN's dots become dashes).
        s.cluster.hostId = Poco::Environment::nodeName();
        for (char& c : s.cluster.hostId)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '-';
    }
    for (char c : s.cluster.hostId)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
            throw badValue("cluster.host_id", s.cluster.hostId, "letters, digits, - and _ (it names the host on the bus)");
    s.cluster.bus = Poco::toLower(readValue(config, "cluster.bus"));
    s.cluster.heartbeat = std::chrono::milliseconds(readInt(config, "cluster.heartbeat_ms"));
    s.cluster.lease = std::chrono::milliseconds(readInt(config, "cluster.lease_ms"));
    if (s.cluster.enabled) s.ws.epoch = "cluster:" + s.cluster.name;
    return s;
}

} // namespace mc::host
