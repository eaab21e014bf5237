#include "gateway/GatewaySettings.h"

#include "app/HostConfig.h"
#include "gateway/McpProtocol.h"
#include "gateway/SecretPlaceholders.h"

#include <Poco/NumberParser.h>
#include <Poco/String.h>

namespace mc::host {
namespace {

const HostKeySpec& specOf(const std::string& key) {
    for (const auto& s : hostKeys())
        if (key == s.key) return s;
    throw std::logic_error("undeclared host key " + key);
}

std::string raw(const Poco::Util::AbstractConfiguration& config, const std::string& key) {
    return Poco::trim(config.getRawString(key, specOf(key).defaultValue));
}

// An integer key within its declared range (durations in ms, counts alike).
std::chrono::milliseconds readMillis(const Poco::Util::AbstractConfiguration& config, const std::string& key) {
    const auto& s = specOf(key);
    const std::string value = raw(config, key);
    Poco::Int64 parsed = 0;
    if (!Poco::NumberParser::tryParse64(value, parsed) || parsed < s.min || parsed > s.max)
        throw ConfigError("invalid configuration: " + key + " = '" + value + "': expected an integer in " +
                          std::to_string(s.min) + ".." + std::to_string(s.max));
    return std::chrono::milliseconds(parsed);
}

} // namespace

GatewaySettings readGatewaySettings(const Poco::Util::AbstractConfiguration& config) {
    GatewaySettings s;
    const std::string allow = Poco::toLower(raw(config, "gateway.allow_api_stdio"));
    bool parsed = false;
    if (!Poco::NumberParser::tryParseBool(allow, parsed))
        throw ConfigError("invalid configuration: gateway.allow_api_stdio = '" + allow + "': expected true or false");
    s.allowApiStdio = parsed;
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
    s.logLevel = Poco::toLower(raw(config, "gateway.log_level"));
    if (!mcp::isLoggingLevel(s.logLevel))
        throw ConfigError("invalid configuration: gateway.log_level = '" + s.logLevel + "': expected one of " +
                          mcp::loggingLevelList());
    s.apiPlaceholders = parseApiPlaceholderPatterns(raw(config, "gateway.api_placeholders"));
    s.logRatePerSecond = static_cast<std::uint32_t>(readMillis(config, "gateway.log_rate_per_second").count());
    s.logBurst = static_cast<std::uint32_t>(readMillis(config, "gateway.log_burst").count());
    return s;
}

} // namespace mc::host
