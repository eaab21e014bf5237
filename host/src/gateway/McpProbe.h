#pragma once
// Shared pieces of "talk MCP to a server over a transport plugin": the initialize request the gateway
// sends, and a one-shot probe (a connection on the transport's instance, server/discover and, when the
// server is not of the 2026-07-28 era, initialize, answer checked,
// connection closed) that discovery uses before it lists an endpoint as connectable.
#include "gateway/McpServerConfig.h"

#include <chrono>
#include <memory>
#include <string>

namespace mc::host {

class TransportSet;

// The params of the gateway's initialize request (protocol version offered, clientInfo).
std::string initializeParamsJson(const std::string& capabilitiesJson = "{}");

struct ProbeResult {
    bool ok = false;
    std::string error;           // why not, when !ok
    std::string protocolVersion; // the answered revision, when ok
    std::string serverInfoJson = "null";
    long long durationMs = 0;
};

// Opens a connection for `config` (http/sse only: a stdio probe would start the command), sends
// server/discover (the new era; at most half of `timeout`), else initialize, and waits up to `timeout` in
// all; closes the transport before returning.
// Blocking: call it off the hot paths.
ProbeResult probeMcpServer(const TransportSet& transports, const McpServerConfig& config,
                           std::chrono::milliseconds timeout);

} // namespace mc::host
