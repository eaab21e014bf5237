#pragma once
// The mcp-http transport plugin: one instance per configuration (mcp.http.*: the servers' default
// timeouts and TLS verification, the connection limits), one connection per remote MCP server.
// validate() checks a server definition against the server table (HttpTransportConfig.h); open()
// checks the server is reachable and starts the connection.
#include "HttpConnection.h"
#include "HttpTransportConfig.h"

#include "mc/sdk.hpp"

#include <memory>
#include <string_view>

namespace mc::mcp_http {

class McpHttpTransport : public sdk::TransportPlugin {
public:
    static constexpr const char kTransports[] = "http,sse";

    McpHttpTransport(sdk::Host host, const InstanceSettings& settings);

    void validate(std::string_view serverJson) override;
    std::unique_ptr<sdk::Connection> open(std::string_view serverJson, sdk::ConnectionEvents events) override;

private:
    const InstanceSettings settings_;
};

} // namespace mc::mcp_http
