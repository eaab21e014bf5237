#pragma once
// The /ws endpoint: an HTTP upgrade handler that authenticates and takes the connection over onto a
// few event loops of its own (no worker thread is held per WebSocket, none is used for the upgrade),
// plus the client protocol on top of the core Broadcaster. Protocol: docs/websocket-protocol.md.
#include "core/Broadcaster.h"
#include "net/EventLoop.h"
#include "web/Auth.h"
#include "web/ws/ClientSession.h"

#include <Poco/Net/HTTPRequestHandler.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mc::host {

class WebSocketHub {
public:
    // Throws std::invalid_argument on unusable settings (zero threads or limits).
    WebSocketHub(WebSocketSettings settings, Broadcaster& broadcaster, const Authenticator& authenticator);
    ~WebSocketHub(); // shuts down with settings.closeTimeout
    WebSocketHub(const WebSocketHub&) = delete;
    WebSocketHub& operator=(const WebSocketHub&) = delete;

    void start();
    // Refuses new upgrades, lets every client drain its queue and closes it with 1001, waiting up to
    // `drainTimeout` for the handshakes; then drops whatever is left and stops the loops. Idempotent.
    void shutdown(std::chrono::milliseconds drainTimeout);

    // A new handler for GET /ws (the caller's request handler factory owns it, as Poco expects).
    Poco::Net::HTTPRequestHandler* createHandler();

    // Adds a client message type (e.g. "call_tool"). Replaces an existing handler of that type, the
    // built-in ones ("subscribe", "unsubscribe", "ping") included.
    void registerHandler(std::string type, Role minimumRole, MessageHandler handler);

    struct Stats {
        std::size_t connected;
        std::uint64_t accepted;
        std::uint64_t overflowDisconnects; // clients closed with 1008 because their queue overflowed
        std::uint64_t droppedMessages;     // events dropped under the "drop" policy
        std::uint64_t protocolErrors;      // RFC 6455 violations and rejected client messages
        std::uint64_t messagesSent;        // frames fully written to clients
    };
    Stats stats() const;

    const WebSocketSettings& settings() const { return state_.settings; }

    // Parses "disconnect" / "drop"; throws std::invalid_argument naming the accepted values.
    static WebSocketSettings::OverflowPolicy parseOverflowPolicy(const std::string& name);

    // Used by the upgrade handler.
    void handleUpgrade(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

private:
    void registerBuiltins();

    ws::HubState state_;
    const Authenticator& authenticator_;
    net::EventLoopGroup loops_;
    std::string epoch_; // this hub's start, in welcome and resume: seqs are only comparable within one
    std::atomic<std::uint64_t> nextClientId_{0};
    std::atomic<bool> started_{false};
    std::atomic<bool> stopping_{false};
    std::mutex lifecycleMutex_;
    bool stopped_ = false;
};

} // namespace mc::host
