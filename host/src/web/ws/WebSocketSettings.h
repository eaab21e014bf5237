#pragma once
// The WebSocket hub's limits, read from the ws.* configuration keys (app/HostSettings.cpp; declared in config/HostConfig.cpp).
#include <chrono>
#include <cstddef>
#include <string>

namespace mc::host {

struct WebSocketSettings {
    std::size_t ioThreads = 2;                 // ws.io_threads
    std::size_t maxMessageBytes = 1 << 20;     // ws.max_message_bytes: largest client message
    std::size_t queueMaxMessages = 4096;       // ws.queue.max_messages: per-client outbound queue
    std::size_t queueMaxBytes = 16 << 20;      // ws.queue.max_bytes
    enum class OverflowPolicy { Disconnect, Drop } overflowPolicy = OverflowPolicy::Disconnect; // ws.overflow_policy
    std::chrono::milliseconds closeTimeout{2000}; // ws.close_timeout_ms: wait for the peer's close reply
    std::size_t maxConnections = 10000;           // ws.max_connections
    std::size_t socketSendBufferBytes = 0;        // ws.socket_send_buffer_bytes: SO_SNDBUF, 0 = kernel default
    std::size_t resumeHistoryEvents = 2048;       // ws.resume.history_events: kept for resume after reconnect
    std::size_t resumeHistoryBytes = 8 << 20;     // ws.resume.history_bytes
    std::string epoch; // what a client's seq is relative to: empty, this process; in a cluster, its log
};

} // namespace mc::host
