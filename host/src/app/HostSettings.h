#pragma once
// The host's own settings, read from the configuration once at start-up (config/HostConfig.h declares
// the keys).
#include "cluster/ClusterSettings.h"
#include "config/HostConfig.h"
#include "ingest/RetentionService.h"
#include "ingest/StoreWriter.h"
#include "log/Logging.h"
#include "mcpserver/McpProfiles.h"
#include "net/HttpServer.h"
#include "web/RequestGuard.h"
#include "web/ws/WebSocketSettings.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace mc::host {

struct IngestSettings {
    StoreWriterSettings writer;
    std::chrono::milliseconds ackTimeout{10000};
    std::size_t threadCacheSize = 100000;
};

struct HostSettings {
    std::string httpHost;
    std::uint16_t httpPort = 8000;
    int httpMaxThreads = 16;
    int httpMaxQueued = 64;
    std::size_t httpMaxBodyBytes = 1 << 20;
    net::HttpServerSettings http;  // the http.* keys the server applies (host, port and limits included)
    RequestGuardSettings guard;    // http.allowed_hosts, http.allowed_origins
    bool allowRemoteWithoutAuth = false;
    std::string pluginsDir;
    bool watchPlugins = true; // plugins.watch
    bool metricsEnabled = true; // metrics.enabled
    bool mcpEndpoint = true;    // mcp.endpoint.enabled
    std::size_t mcpMaxSessions = 10000;
    std::chrono::milliseconds mcpJoinWait{10000}; // mcp.endpoint.join_wait_ms
    std::size_t mcpPageSize = 0;                  // mcp.endpoint.page_size (0: one page)
    long long mcpListTtlMs = 10000;               // mcp.endpoint.list_ttl_ms
    std::map<std::string, McpProfile> mcpProfiles; // "" (/mcp, mcp.endpoint.prefix) and mcp.profiles.<name>.*
    std::string storeBackend;
    std::string migrationsDir;
    std::string consoleDir; // http.console_dir resolved; "off" for none
    logging::Settings log;
    std::string jwtSecret;
    std::string jwtIssuer;
    std::map<std::string, std::string> ingestKeys; // auth.ingest_keys.<source> = key

    WebSocketSettings ws;
    std::chrono::milliseconds drainTimeout{3000};
    std::chrono::milliseconds discoveryProbeTimeout{5000};
    std::chrono::milliseconds discoveryProbeRetry{10000};
    IngestSettings ingest;
    RetentionSettings retention;
    ClusterSettings cluster;
};

// Reads and validates every host key. `executableDir` resolves the "auto" defaults of plugins.dir
// and store.migrations.dir. Throws ConfigError naming the first bad key.
HostSettings readHostSettings(const Poco::Util::AbstractConfiguration& config, const std::string& executableDir);

} // namespace mc::host
