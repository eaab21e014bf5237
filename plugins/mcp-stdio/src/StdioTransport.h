#pragma once
// The mcp-stdio transport: one instance per configuration (mcp.stdio.* limits), one connection per MCP
// server, each a server process. validate() checks a server definition against the server table
// (StdioConfig.h) without starting anything; open() starts the process; the connection's send()
// queues a message for its stdin; close_connection shuts it down and reaps it.
#include "StdioConfig.h"
#include "StdioConnection.h"

#include "mc/sdk.hpp"

#include <memory>
#include <string_view>

namespace mc::mcp_stdio {

class StdioTransport : public sdk::TransportPlugin {
public:
    static constexpr const char kTransports[] = "stdio";

    StdioTransport(sdk::Host host, const Limits& settings);

    void validate(std::string_view serverJson) override;
    std::unique_ptr<sdk::Connection> open(std::string_view serverJson, sdk::ConnectionEvents events) override;

private:
    const Limits settings_;
};

} // namespace mc::mcp_stdio
