#pragma once
// The gateway.* host keys (declared in config/HostConfig.cpp's table), read and validated.
#include <Poco/Util/AbstractConfiguration.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace mc::host {

struct GatewaySettings {
    bool allowApiStdio = false;
    std::chrono::milliseconds pingInterval{15000};
    std::chrono::milliseconds pingTimeout{5000};
    std::chrono::milliseconds requestTimeout{30000};  // initialize, tools/list, logging/setLevel
    std::chrono::milliseconds toolTimeout{60000};     // tools/call without timeout_ms
    std::chrono::milliseconds maxToolTimeout{600000}; // the largest timeout_ms a caller may ask for
    std::chrono::milliseconds reconnectInitial{500};
    std::chrono::milliseconds reconnectMax{30000};
    std::string logLevel = "info"; // MCP logging level sent with logging/setLevel
    std::uint32_t logRatePerSecond = 200; // gateway.log_rate_per_second (0: no limit)
    std::uint32_t logBurst = 1000;        // gateway.log_burst
    std::size_t inspectorMessages = 1000;        // gateway.inspector.messages (0: no protocol inspector)
    std::size_t inspectorMaxMessageBytes = 16384; // gateway.inspector.max_message_bytes
    enum class Capture { Off, Errors, All };
    Capture capture = Capture::Off;               // gateway.capture: which inspected messages are stored
    // gateway.api_placeholders: the env:/file: globs a server registered over the API may use.
    std::vector<std::string> apiPlaceholders;
    // What the gateway tells servers it can do as their client (initialize's capabilities): sampling
    // and elicitation when agents behind /mcp answer them (ToolCallRequest::onServerRequest).
    std::string clientCapabilitiesJson = "{}";
};

// Throws ConfigError naming the key.
GatewaySettings readGatewaySettings(const Poco::Util::AbstractConfiguration& config);

} // namespace mc::host
