#pragma once
// Shared pieces of "talk MCP to a server over a transport plugin": choosing the transport plugin, the
// initialize request the gateway sends, and a one-shot probe (initialize, answer checked, transport
// closed) that discovery uses before it lists an endpoint as connectable.
#include "gateway/McpServerConfig.h"
#include "plugin/LoadedPlugin.h"

#include <chrono>
#include <memory>
#include <string>

namespace mc::host {

class PluginRegistry;

// The first loaded transport plugin whose transports() lists `transport`; nullptr when none does.
// `available` (optional) receives "id (names), ..." of every transport plugin, for error texts.
std::shared_ptr<const LoadedPlugin> findTransportPlugin(const PluginRegistry& plugins, const std::string& transport,
                                                        std::string* available = nullptr);

// The params of the gateway's initialize request (protocol version offered, clientInfo).
std::string initializeParamsJson();

struct ProbeResult {
    bool ok = false;
    std::string error;           // why not, when !ok
    std::string protocolVersion; // the answered revision, when ok
    std::string serverInfoJson = "null";
    long long durationMs = 0;
};

// Opens a transport for `config` (http/sse only: a stdio probe would start the command), sends
// initialize and waits up to `timeout` for the answer; closes the transport before returning.
// Blocking: call it off the hot paths.
ProbeResult probeMcpServer(const PluginRegistry& plugins, const McpServerConfig& config,
                           std::chrono::milliseconds timeout);

} // namespace mc::host
