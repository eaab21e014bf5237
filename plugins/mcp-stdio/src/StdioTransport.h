#pragma once
// The mcp-stdio transport: one instance is one MCP server process. open() starts it, send() queues a
// message for its stdin, close() shuts it down and reaps it. open() after the connection ended (or
// after close()) starts a fresh process, so the gateway may reconnect with the same instance.
#include "StdioConfig.h"
#include "StdioConnection.h"

#include "mc/sdk.hpp"

#include <memory>
#include <mutex>
#include <string_view>

namespace mc::mcp_stdio {

class StdioTransport : public sdk::TransportPlugin {
public:
    static constexpr const char kTransports[] = "stdio";

    // Throws mc::sdk::Error(MC_ERR_CONFIG) for an invalid server definition.
    StdioTransport(sdk::Host host, std::string_view configJson);
    ~StdioTransport() override;

    void open(sdk::TransportEvents events) override;
    void send(std::string_view jsonrpcMessage) override;
    void close() override;

private:
    StdioConfig config_;
    std::mutex mutex_; // guards connection_ only; never held while a connection shuts down
    std::shared_ptr<StdioConnection> connection_;
    bool everOpened_ = false;
};

} // namespace mc::mcp_stdio
