#pragma once
// receiver-otlp: OpenTelemetry's OTLP/HTTP (logs, traces and metrics, protobuf and JSON, gzip) from agents
// such as Claude Code, mapped to threads, steps, transcripts, permission events, MCP status history
// and logs (TelemetryMapping.h) and answered after the host committed them.
#include "TelemetryMapping.h"

#include <mc/sdk.hpp>

#include <memory>

#include <cstdint>
#include <string>
#include <vector>

namespace mc::receiver_otlp {

struct Settings {
    std::vector<std::string> listen;
    std::int64_t maxInflatedBytes = 0;
    std::int64_t retryAfterSeconds = 0;
};

constexpr mc::sdk::Key<Settings> kSettings[] = {
    mc::sdk::key<Settings>("enabled", MC_CONFIG_BOOL).byDefault("true")
        .help("false: the plugin is loaded but not started, and /v1/logs, /v1/traces and /v1/metrics answer 404 (read by the host)"),
    mc::sdk::key("listen", &Settings::listen).byDefault("127.0.0.1:4318")
        .help("Addresses (host:port, comma-separated) where the host also listens for this receiver alone, with the same "
              "authentication; empty: only the host's own port serves /v1/logs, /v1/traces and /v1/metrics"),
    mc::sdk::key("max_inflated_bytes", &Settings::maxInflatedBytes).byDefault("67108864").range(1024, 1073741824)
        .help("The most bytes a gzip request body may inflate to; more is refused with 413"),
    mc::sdk::key("retry_after_s", &Settings::retryAfterSeconds).byDefault("1").range(1, 3600)
        .help("Retry-After, in seconds, of a 503 answered while the host's store queue is full"),
};

class OtlpReceiver final : public mc::sdk::ReceiverPlugin {
public:
    OtlpReceiver(mc::sdk::Host host, const Settings& settings, mc::sdk::Records records)
        : ReceiverPlugin(host, records), settings_(settings) {}

    std::string routes() override;
    void handle(const mc::sdk::HttpRequest& request, mc::sdk::Responder reply) override;

private:
    Settings settings_;
    // Shared with replies still in flight when the plugin stops.
    std::shared_ptr<CumulativeSeries> cumulative_ = std::make_shared<CumulativeSeries>();
};

} // namespace mc::receiver_otlp
