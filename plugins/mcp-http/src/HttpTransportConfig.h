#pragma once
// The definition of one remote MCP server as the gateway hands it to create() (see README.md).
#include <Poco/Net/IPAddress.h>
#include <Poco/URI.h>

#include <optional>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mc::mcp_http {

enum class TransportMode {
    StreamableWithFallback, // "http": Streamable HTTP, legacy HTTP+SSE when the server does not speak it
    LegacySse               // "sse": the 2024-11-05 HTTP+SSE transport only
};

struct HttpTransportConfig {
    std::string id;            // the MCP's id, for messages only
    TransportMode mode = TransportMode::StreamableWithFallback;
    Poco::URI url;
    std::vector<std::pair<std::string, std::string>> headers; // sent on every request
    // Connect here instead of resolving url's host (which still goes in Host, SNI and the certificate
    // check): the host's discovery pins the address it judged, so DNS cannot change it in between.
    std::optional<Poco::Net::IPAddress> connectAddress;
    long long connectTimeoutMs = 5000;
    long long readTimeoutMs = 30000;
    bool tlsVerify = true;

    bool isHttps() const { return url.getScheme() == "https"; }
    // "<id> (<url>)" or just the url, for error texts.
    std::string describe() const;

    // Throws mc::sdk::Error(MC_ERR_CONFIG, reason) for anything invalid.
    static HttpTransportConfig parse(std::string_view json);
};

} // namespace mc::mcp_http
