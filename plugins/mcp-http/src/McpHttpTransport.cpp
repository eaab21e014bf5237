#include "McpHttpTransport.h"

#include <mutex>

namespace mc::mcp_http {

McpHttpTransport::McpHttpTransport(sdk::Host host, std::string_view configJson)
    : TransportPlugin(host, configJson), config_(HttpTransportConfig::parse(configJson)) {}

McpHttpTransport::~McpHttpTransport() {
    try {
        close();
    } catch (...) {
    }
}

void McpHttpTransport::open(sdk::TransportEvents events) {
    std::unique_lock<std::shared_mutex> lock(connectionMutex_);
    if (connection_) throw sdk::Error(MC_ERR_CONFLICT, "transport is already open; close it first");
    auto connection = std::make_unique<HttpConnection>(config_, host(), events);
    connection->open();
    connection_ = std::move(connection);
}

void McpHttpTransport::send(std::string_view jsonrpcMessage) {
    std::shared_lock<std::shared_mutex> lock(connectionMutex_);
    if (!connection_) throw sdk::Error(MC_ERR_UNAVAILABLE, "transport is not open");
    connection_->send(jsonrpcMessage);
}

void McpHttpTransport::close() {
    std::unique_lock<std::shared_mutex> lock(connectionMutex_);
    if (!connection_) return;
    connection_->close();
    connection_.reset();
}

} // namespace mc::mcp_http
