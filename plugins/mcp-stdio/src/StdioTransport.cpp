#include "StdioTransport.h"

namespace mc::mcp_stdio {
namespace {

// One server process as the SDK's Connection.
class StdioServerConnection final : public sdk::Connection {
public:
    explicit StdioServerConnection(std::shared_ptr<StdioConnection> connection) : connection_(std::move(connection)) {}
    ~StdioServerConnection() override { close(); }

    void send(std::string_view message) override { connection_->send(message); }
    // Stops callbacks, runs the shutdown schedule (stdin EOF, SIGTERM, SIGKILL) and reaps the process.
    void close() override {
        if (connection_) connection_->close();
    }

private:
    std::shared_ptr<StdioConnection> connection_;
};

} // namespace

StdioTransport::StdioTransport(sdk::Host host, const Limits& settings) : TransportPlugin(host), settings_(settings) {}

void StdioTransport::validate(std::string_view serverJson) { parseStdioServer(serverJson, settings_); }

std::unique_ptr<sdk::Connection> StdioTransport::open(std::string_view serverJson, sdk::ConnectionEvents events) {
    const StdioConfig config = parseStdioServer(serverJson, settings_);
    return std::make_unique<StdioServerConnection>(StdioConnection::open(config, host(), events));
}

} // namespace mc::mcp_stdio
