#pragma once
// N WebSocket subscribers on one channel: a small RFC 6455 client on raw sockets (masked sends,
// frames parsed with the host's own codec), served by a few epoll reader threads rather than one
// thread each, so 50 subscribers cost the generator little CPU beside the server it measures.
#include "LatencyHistogram.h"
#include "LoadEvents.h"

#include "net/FrameCodec.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace mc::loadgen {

// Where a subscriber connects: an IPv4 address and a port.
struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
};

struct Subscription {
    int fd = -1;
    mc::host::ws::FrameParser parser{mc::host::ws::FrameParser::Options{1 << 24, false}};
    SeqBitmap received;
    std::uint64_t delivered = 0;   // distinct stamped events
    std::uint64_t duplicates = 0;
    bool subscribed = false;
    bool closed = false;
    std::string closeReason;
};

class SubscriberFleet {
public:
    // Subscriber i connects to endpoints[i % endpoints.size()] (a cluster's hosts share them out).
    SubscriberFleet(std::vector<Endpoint> endpoints, std::string channel)
        : endpoints_(std::move(endpoints)), channel_(std::move(channel)) {}
    ~SubscriberFleet();

    // Connects `count` subscribers one after the other and waits for each `subscribed` answer.
    bool connect(std::size_t count, std::string& error);
    // Reads on `threads` epoll loops until stop().
    void start(std::size_t threads);
    void stop();

    // Distinct stamped deliveries so far, all subscribers together (safe while running).
    std::uint64_t delivered() const;
    // Steady-clock time of the latest delivery (0 before the first).
    std::int64_t lastDeliveryNs() const { return lastDeliveryNs_.load(std::memory_order_relaxed); }

    // After stop():
    const std::vector<std::unique_ptr<Subscription>>& subscriptions() const { return subscriptions_; }
    LatencyHistogram latency() const;
    std::uint64_t duplicates() const;
    std::uint64_t disconnects() const;
    std::string firstCloseReason() const;

private:
    struct Reader {
        std::vector<Subscription*> owned;
        LatencyHistogram latency;
        std::atomic<std::uint64_t> delivered{0};
        std::vector<mc::host::ws::FrameEvent> scratch;
        std::thread thread;
    };
    bool handshake(Subscription& s, const Endpoint& at, std::string& error);
    void readLoop(Reader& reader);
    // Handles what one read brought: replies, pings, closes and stamped events (counted into
    // `reader` when there is one, i.e. once reading has started).
    void consume(Subscription& s, const char* data, std::size_t size, std::int64_t arrivedNs, Reader* reader,
                 std::vector<mc::host::ws::FrameEvent>& scratch);

    std::vector<Endpoint> endpoints_;
    std::string channel_;
    std::vector<std::unique_ptr<Subscription>> subscriptions_;
    std::vector<std::unique_ptr<Reader>> readers_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::int64_t> lastDeliveryNs_{0};
};

} // namespace mc::loadgen
