#include "StdioTransport.h"

namespace mc::mcp_stdio {

StdioTransport::StdioTransport(sdk::Host host, std::string_view configJson)
    : TransportPlugin(host, configJson), config_(parseStdioConfig(configJson, host)) {}

StdioTransport::~StdioTransport() { close(); }

void StdioTransport::open(sdk::TransportEvents events) {
    std::shared_ptr<StdioConnection> previous;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (connection_ && connection_->running())
            throw sdk::Error(MC_ERR_CONFLICT, "already open: the server process (pid " + std::to_string(connection_->pid()) +
                                                  ") is running; close() it first");
        previous = std::move(connection_);
    }
    if (previous) previous->close(); // a connection that ended by itself: make sure it is reaped
    auto fresh = StdioConnection::open(config_, host(), events);
    std::lock_guard<std::mutex> lock(mutex_);
    connection_ = std::move(fresh);
    everOpened_ = true;
}

void StdioTransport::send(std::string_view jsonrpcMessage) {
    std::shared_ptr<StdioConnection> connection;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        connection = connection_;
        if (!connection)
            throw sdk::Error(MC_ERR_UNAVAILABLE, everOpened_ ? "the connection is closed" : "the connection is not open");
    }
    connection->send(jsonrpcMessage);
}

void StdioTransport::close() {
    std::shared_ptr<StdioConnection> connection;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        connection = std::move(connection_);
    }
    // Outside the lock: the reader may be inside a callback that calls send().
    if (connection) connection->close();
}

} // namespace mc::mcp_stdio
