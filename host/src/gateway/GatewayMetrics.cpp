#include "gateway/GatewayMetrics.h"

#include "gateway/McpGateway.h"

namespace mc::host {

GatewayMetrics::GatewayMetrics(metrics::Registry& registry, const McpGateway& gateway)
    : calls_(registry.counter("mc_gateway_tool_calls_total",
                              "Tool calls routed through the MCP gateway, by server, tool and outcome (ok, tool_error, "
                              "timeout, disconnected, cancelled, invalid_arguments, mcp_error, unknown_tool, unknown_mcp, "
                              "permission_denied).",
                              {"server", "tool", "outcome"})),
      durations_(registry.histogram("mc_gateway_tool_call_duration_seconds",
                                    "Time from a tool call's arrival at the gateway to its result; calls refused before routing (unknown server "
                                    "or tool, permission denied) are not observed.",
                                    {"server", "tool"}, metrics::latencySecondsBuckets())) {
    const McpGateway* source = &gateway;
    registry.sampled(metrics::MetricType::Gauge, "mc_gateway_server_state",
                     "1 for the state each MCP server is in (connecting, connected, disconnected), 0 for the others.",
                     {"server", "state"}, [source] {
                         std::vector<metrics::Sample> out;
                         const McpStatus states[] = {McpStatus::Connecting, McpStatus::Connected, McpStatus::Disconnected};
                         for (const auto& connection : source->connections()) {
                             const McpStatus current = connection->status();
                             for (McpStatus state : states)
                                 out.push_back({{connection->id(), statusName(state)}, state == current ? 1.0 : 0.0});
                         }
                         return out;
                     });
    registry.sampled(metrics::MetricType::Gauge, "mc_gateway_server_tools",
                     "Tools each MCP server listed at its last tools/list.", {"server"}, [source] {
                         std::vector<metrics::Sample> out;
                         for (const auto& connection : source->connections())
                             out.push_back({{connection->id()}, static_cast<double>(connection->toolNames().size())});
                         return out;
                     });
}

void GatewayMetrics::recordCall(const std::string& server, const std::string& tool, const std::string& outcome,
                                double seconds) {
    // Names the caller made up are not series of their own.
    const bool unknownServer = outcome == "unknown_mcp";
    const std::string serverLabel = unknownServer ? kOther : server;
    const std::string toolLabel = unknownServer || outcome == "unknown_tool" ? std::string(kOther) : tools_.admit(server, tool);
    calls_.labels({serverLabel, toolLabel, outcome}).inc();
    const bool routed = !unknownServer && outcome != "unknown_tool" && outcome != "permission_denied";
    if (routed) durations_.labels({serverLabel, toolLabel}).observe(seconds);
}

} // namespace mc::host
