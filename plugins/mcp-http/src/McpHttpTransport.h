#pragma once
// The mcp-http transport plugin: one instance is one connection to one remote MCP server.
#include "HttpConnection.h"
#include "HttpTransportConfig.h"

#include "mc/sdk.hpp"

#include <memory>
#include <shared_mutex>
#include <string_view>

namespace mc::mcp_http {

class McpHttpTransport : public sdk::TransportPlugin {
public:
    static constexpr std::string_view kTransports = "http,sse";

    // Parses and checks the server definition; throws sdk::Error(MC_ERR_CONFIG).
    McpHttpTransport(sdk::Host host, std::string_view configJson);
    ~McpHttpTransport() override;

    void open(sdk::TransportEvents events) override;
    void send(std::string_view jsonrpcMessage) override;
    void close() override;

private:
    const HttpTransportConfig config_;
    std::shared_mutex connectionMutex_; // send() shares it; open()/close() take it alone
    std::unique_ptr<HttpConnection> connection_;
};

} // namespace mc::mcp_http
