#include "McpHttpTransport.h"

namespace mc::mcp_http {
namespace {

// One remote server as the SDK's Connection.
class HttpServerConnection final : public sdk::Connection {
public:
    explicit HttpServerConnection(std::unique_ptr<HttpConnection> connection) : connection_(std::move(connection)) {}
    ~HttpServerConnection() override {
        try {
            close();
        } catch (...) {
        }
    }

    void send(std::string_view message) override { connection_->send(message); }
    // DELETEs the session, stops every stream and thread.
    void close() override {
        if (connection_) connection_->close();
    }

private:
    std::unique_ptr<HttpConnection> connection_;
};

} // namespace

McpHttpTransport::McpHttpTransport(sdk::Host host, const InstanceSettings& settings)
    : TransportPlugin(host), settings_(settings) {}

void McpHttpTransport::validate(std::string_view serverJson) { HttpTransportConfig::parse(serverJson, settings_); }

std::unique_ptr<sdk::Connection> McpHttpTransport::open(std::string_view serverJson, sdk::ConnectionEvents events) {
    auto connection = std::make_unique<HttpConnection>(HttpTransportConfig::parse(serverJson, settings_), host(), events);
    connection->open();
    return std::make_unique<HttpServerConnection>(std::move(connection));
}

} // namespace mc::mcp_http
