#pragma once
// One WebSocket client of the hub. Owned by the event loop that serves its socket; other threads may
// hold it (async replies) and call send()/close(), which only enqueue and wake that loop.
#include "core/Broadcaster.h"
#include "net/EventLoop.h"
#include "net/Transport.h"
#include "web/Auth.h"
#include "web/ws/ClientMessage.h"
#include "net/FrameCodec.h"
#include "web/ws/WebSocketSettings.h"

#include <Poco/JSON/Object.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace spdlog {
class logger;
}

namespace mc::host {


class ClientSession;

// Runs on the session's I/O thread: must not block. Reply now or later (from any thread) via send().
using MessageHandler = std::function<void(const std::shared_ptr<ClientSession>& session, const ClientMessage& message)>;

namespace ws {

// State shared by the hub, its loops and its sessions. Counters are the hub's stats.
struct HubState {
    HubState(WebSocketSettings s, Broadcaster& b) : settings(std::move(s)), broadcaster(b) {}
    WebSocketSettings settings;
    Broadcaster& broadcaster;
    std::shared_ptr<spdlog::logger> log;

    std::atomic<std::size_t> connected{0};
    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> overflowDisconnects{0};
    std::atomic<std::uint64_t> droppedMessages{0};
    std::atomic<std::uint64_t> protocolErrors{0};
    std::atomic<std::uint64_t> messagesSent{0};

    struct HandlerEntry {
        Role minimumRole;
        MessageHandler handler;
    };
    mutable std::shared_mutex handlersMutex;
    std::unordered_map<std::string, HandlerEntry> handlers;
};
} // namespace ws

class ClientSession final : public BroadcastSubscriber, public net::IoHandler {
public:
    ClientSession(ws::HubState& hub, net::EventLoop& loop, std::unique_ptr<net::Transport> transport, std::string id,
                  Principal principal);
    ~ClientSession() override;

    std::shared_ptr<ClientSession> self() { return std::static_pointer_cast<ClientSession>(shared_from_this()); }
    // On the loop, once registered: writes what is queued (the welcome) and reads `early`, bytes the
    // client sent right behind its upgrade request.
    void begin(const std::string& early);

    const std::string& id() const { return id_; }
    const Principal& principal() const { return principal_; }

    // Queues one JSON text message (any thread). False when the session is closing or closed.
    bool send(std::string_view json);
    // Queues {"type":"error","code":...,"message":...,"request_id":...}; `requestIdJson` may be empty.
    bool sendError(std::string_view code, std::string_view message, std::string_view requestIdJson = {});
    // Starts the close handshake after what is already queued (any thread).
    void close(std::uint16_t code, std::string_view reason);
    bool isOpen() const;

    // BroadcastSubscriber: called by the broadcaster under its lock; enqueues or applies the policy.
    void deliver(std::uint64_t seq, const SharedFrame& frame) override;

    // Number of channels this client is subscribed to.
    std::size_t subscriptionCount() const;

    // net::IoHandler (loop thread).
    int fd() const override { return fd_; }
    void onEvents(std::uint32_t events) override;
    void onTick(std::chrono::steady_clock::time_point now) override;
    void onWake() override;
    void onLoopStopping() override;

private:
    enum class State { Open, Closing, Closed };

    // --- any thread ---
    bool enqueueControl(std::string frame, bool isCloseFrame);
    // Starts closing: optionally drops the queued frames nobody started sending, queues `errorJson`
    // (if any) and a close frame. Returns false when already closing.
    bool beginClose(std::uint16_t code, std::string_view reason, std::string_view errorJson, bool discardBacklog);
    void requestWrite();

    // --- I/O thread only ---
    void onReadable();
    void consume(const char* data, std::size_t size);
    void flush();
    void handleFrameEvent(const ws::FrameEvent& event);
    void handleTextMessage(const std::string& text);
    void setWriteInterest(bool wanted);
    bool expired(std::chrono::steady_clock::time_point now) const;
    void finish(); // closes the socket and leaves the broadcaster; idempotent

    ws::HubState& hub_;
    net::EventLoop& loop_;
    std::unique_ptr<net::Transport> transport_;
    int fd_;
    const std::string id_;
    const Principal principal_;

    mutable std::mutex mutex_; // guards the outbound queue and the state below
    State state_ = State::Open;
    std::deque<SharedFrame> queue_;
    std::size_t queuedBytes_ = 0;
    std::size_t frontOffset_ = 0; // bytes of queue_.front() already written
    bool closeQueued_ = false;
    std::uint64_t droppedPending_ = 0; // drop policy: events dropped since the last "dropped" notice
    std::chrono::steady_clock::time_point closeDeadline_{};
    std::atomic<bool> writeScheduled_{false};
    std::atomic<bool> waitingForWritable_{false}; // EPOLLOUT armed: the loop flushes when the socket drains

    // I/O thread only.
    ws::FrameParser parser_;
    bool writeInterest_ = false;
    bool closeSent_ = false;      // our close frame is fully written
    bool peerClosed_ = false;     // the peer's close frame arrived
    bool writeShutdown_ = false;  // SHUT_WR done; waiting for the peer's EOF or close
    bool finished_ = false;
};

} // namespace mc::host
