#pragma once
// The gateway's Prometheus series: tool calls by server, tool and outcome, their latency by server and
// tool, and each server's connection state and tool count. Tool names per server are capped
// (kMaxToolsPerServer; later ones count as tool="other"), and a call naming an unknown server or tool
// counts as server/tool "other": a caller cannot grow the number of series.
#include "metrics/LabelValueCap.h"
#include "metrics/Registry.h"

#include <cstddef>
#include <string>

namespace mc::host {

class McpGateway;

class GatewayMetrics {
public:
    static constexpr std::size_t kMaxToolsPerServer = 200;
    static constexpr const char* kOther = "other";

    // Registers the families; the state and tool-count gauges read `gateway` at every scrape.
    GatewayMetrics(metrics::Registry& registry, const McpGateway& gateway);

    // One completed call (`outcome` as ToolCallOutcome::outcome). Its latency is observed unless the
    // gateway refused it before routing (unknown server or tool, permission denied).
    void recordCall(const std::string& server, const std::string& tool, const std::string& outcome, double seconds);

private:
    metrics::CounterFamily& calls_;
    metrics::HistogramFamily& durations_;
    metrics::LabelValueCap tools_{kMaxToolsPerServer, kOther};
};

} // namespace mc::host
