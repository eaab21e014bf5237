#include "gateway/GatewaySettings.h"

#include "config/HostConfig.h"
#include "gateway/McpProtocol.h"
#include "gateway/SecretPlaceholders.h"

#include <Poco/String.h>

namespace mc::host {
namespace {

// An integer key within its declared range, as a duration.
std::chrono::milliseconds readMillis(const Poco::Util::AbstractConfiguration& config, const std::string& key) {
    return std::chrono::milliseconds(readInt(config, key));
}

} // namespace

GatewaySettings readGatewaySettings(const Poco::Util::AbstractConfiguration& config) {
    GatewaySettings s;
    s.allowApiStdio = readBool(config, "gateway.allow_api_stdio");
    s.pingInterval = readMillis(config, "gateway.ping_interval_ms");
    s.pingTimeout = readMillis(config, "gateway.ping_timeout_ms");
    s.requestTimeout = readMillis(config, "gateway.request_timeout_ms");
    s.toolTimeout = readMillis(config, "gateway.tool_timeout_ms");
    s.maxToolTimeout = readMillis(config, "gateway.tool_timeout_max_ms");
    s.reconnectInitial = readMillis(config, "gateway.reconnect.initial_ms");
    s.reconnectMax = readMillis(config, "gateway.reconnect.max_ms");
    if (s.reconnectMax < s.reconnectInitial)
        throw ConfigError("invalid configuration: gateway.reconnect.max_ms (" + std::to_string(s.reconnectMax.count()) +
                          ") must not be below gateway.reconnect.initial_ms (" +
                          std::to_string(s.reconnectInitial.count()) + ")");
    if (s.toolTimeout > s.maxToolTimeout)
        throw ConfigError("invalid configuration: gateway.tool_timeout_ms (" + std::to_string(s.toolTimeout.count()) +
                          ") must not exceed gateway.tool_timeout_max_ms (" + std::to_string(s.maxToolTimeout.count()) + ")");
    s.logLevel = Poco::toLower(readValue(config, "gateway.log_level"));
    if (!mcp::isLoggingLevel(s.logLevel))
        throw ConfigError("invalid configuration: gateway.log_level = '" + s.logLevel + "': expected one of " +
                          mcp::loggingLevelList());
    s.apiPlaceholders = parseApiPlaceholderPatterns(readValue(config, "gateway.api_placeholders"));
    s.logRatePerSecond = static_cast<std::uint32_t>(readInt(config, "gateway.log_rate_per_second"));
    s.logBurst = static_cast<std::uint32_t>(readInt(config, "gateway.log_burst"));
    s.inspectorMessages = static_cast<std::size_t>(readInt(config, "gateway.inspector.messages"));
    s.inspectorMaxMessageBytes = static_cast<std::size_t>(readInt(config, "gateway.inspector.max_message_bytes"));
    const std::string capture = readValue(config, "gateway.capture"); // one of the declared choices
    s.capture = capture == "all" ? GatewaySettings::Capture::All
                : capture == "errors" ? GatewaySettings::Capture::Errors
                                      : GatewaySettings::Capture::Off;
    return s;
}

} // namespace mc::host
