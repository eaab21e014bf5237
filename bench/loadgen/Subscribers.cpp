#include "Subscribers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mc::loadgen {

namespace ws = mc::host::ws;

namespace {

bool sendAll(int fd, const std::string& bytes) {
    for (std::size_t sent = 0; sent < bytes.size();) {
        const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n > 0) sent += static_cast<std::size_t>(n);
        else if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue; // tiny control frames only
        else return false;
    }
    return true;
}

// Client frames are masked (RFC 6455 5.3); the key only has to be unpredictable to proxies, and
// there are none on loopback.
std::string clientFrame(ws::Opcode opcode, std::string_view payload) {
    const std::uint8_t mask[4] = {0x5a, 0x13, 0xc7, 0x3e};
    return ws::encodeFrame(opcode, payload, mask);
}

} // namespace

SubscriberFleet::~SubscriberFleet() {
    stop();
    for (auto& s : subscriptions_)
        if (s->fd >= 0) ::close(s->fd);
}

bool SubscriberFleet::connect(std::size_t count, std::string& error) {
    for (std::size_t i = 0; i < count; ++i) {
        auto s = std::make_unique<Subscription>();
        if (!handshake(*s, endpoints_[i % endpoints_.size()], error)) {
            error = "subscriber " + std::to_string(i + 1) + " of " + std::to_string(count) + ": " + error;
            if (s->fd >= 0) ::close(s->fd);
            return false;
        }
        subscriptions_.push_back(std::move(s));
    }
    return true;
}

bool SubscriberFleet::handshake(Subscription& s, const Endpoint& at, std::string& error) {
    s.fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(at.port);
    ::inet_pton(AF_INET, at.host.c_str(), &addr.sin_addr);
    if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        error = std::string("connect: ") + std::strerror(errno);
        return false;
    }
    timeval tv{5, 0}; // set-up only; reading later is non-blocking
    ::setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const std::string upgrade = "GET /ws HTTP/1.1\r\nHost: " + at.host + ":" + std::to_string(at.port) +
                                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Key: bWMtbG9hZGdlbi1rZXkxMg==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (!sendAll(s.fd, upgrade)) {
        error = "could not send the upgrade request";
        return false;
    }
    std::string in;
    char buffer[4096];
    std::size_t headEnd;
    while ((headEnd = in.find("\r\n\r\n")) == std::string::npos) {
        const ssize_t n = ::recv(s.fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
            error = "no answer to the WebSocket upgrade";
            return false;
        }
        in.append(buffer, static_cast<std::size_t>(n));
    }
    if (in.compare(0, 12, "HTTP/1.1 101") != 0) {
        error = "upgrade refused: " + in.substr(0, in.find("\r\n"));
        return false;
    }
    if (!sendAll(s.fd, clientFrame(ws::Opcode::Text, "{\"type\":\"subscribe\",\"channel\":\"" + channel_ + "\"}"))) {
        error = "could not send subscribe";
        return false;
    }
    std::vector<ws::FrameEvent> scratch;
    // Frames may already follow the head in the same read (the host's welcome).
    consume(s, in.data() + headEnd + 4, in.size() - headEnd - 4, steadyNanos(), nullptr, scratch);
    while (!s.subscribed && !s.closed) {
        const ssize_t n = ::recv(s.fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
            error = "no 'subscribed' answer";
            return false;
        }
        consume(s, buffer, static_cast<std::size_t>(n), steadyNanos(), nullptr, scratch);
    }
    if (s.closed) {
        error = "closed before subscribing: " + s.closeReason;
        return false;
    }
    ::fcntl(s.fd, F_SETFL, ::fcntl(s.fd, F_GETFL) | O_NONBLOCK);
    return true;
}

void SubscriberFleet::consume(Subscription& s, const char* data, std::size_t size, std::int64_t arrivedNs, Reader* reader,
                              std::vector<ws::FrameEvent>& scratch) {
    scratch.clear();
    s.parser.feed(data, size, scratch);
    std::uint64_t fresh = 0;
    for (auto& e : scratch) {
        switch (e.kind) {
        case ws::FrameEvent::Kind::Message:
            if (const auto stamp = findStamp(e.payload)) {
                if (!reader) break; // nothing is published before every subscriber is reading
                if (!s.received.insert(stamp->seq)) {
                    ++s.duplicates;
                    break;
                }
                ++s.delivered;
                ++fresh;
                reader->latency.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, arrivedNs - stamp->sentNs)) / 1000);
            } else if (!s.subscribed && e.payload.find("\"subscribed\"") != std::string::npos) {
                s.subscribed = true;
            }
            break;
        case ws::FrameEvent::Kind::Ping: // servers that ping (uvicorn every 20 s) close clients that never answer
            sendAll(s.fd, clientFrame(ws::Opcode::Pong, e.payload));
            break;
        case ws::FrameEvent::Kind::Pong:
            break;
        case ws::FrameEvent::Kind::Close:
        case ws::FrameEvent::Kind::Error:
            if (!s.closed) s.closeReason = "close " + std::to_string(e.closeCode) + " " + e.payload;
            s.closed = true;
            break;
        }
    }
    if (fresh && reader) {
        reader->delivered.fetch_add(fresh, std::memory_order_relaxed);
        lastDeliveryNs_.store(arrivedNs, std::memory_order_relaxed);
    }
}

void SubscriberFleet::start(std::size_t threads) {
    threads = std::max<std::size_t>(1, std::min(threads, subscriptions_.size()));
    for (std::size_t i = 0; i < threads; ++i) readers_.push_back(std::make_unique<Reader>());
    for (std::size_t i = 0; i < subscriptions_.size(); ++i) readers_[i % threads]->owned.push_back(subscriptions_[i].get());
    for (auto& r : readers_) r->thread = std::thread([this, reader = r.get()] { readLoop(*reader); });
}

void SubscriberFleet::readLoop(Reader& reader) {
    const int poller = ::epoll_create1(EPOLL_CLOEXEC);
    for (Subscription* s : reader.owned) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = s;
        ::epoll_ctl(poller, EPOLL_CTL_ADD, s->fd, &ev);
    }
    std::vector<char> buffer(1 << 18);
    epoll_event ready[64];
    while (!stopping_.load(std::memory_order_relaxed)) {
        const int n = ::epoll_wait(poller, ready, 64, 100);
        for (int i = 0; i < n; ++i) {
            auto* s = static_cast<Subscription*>(ready[i].data.ptr);
            for (;;) {
                const ssize_t got = ::recv(s->fd, buffer.data(), buffer.size(), 0);
                if (got > 0) {
                    consume(*s, buffer.data(), static_cast<std::size_t>(got), steadyNanos(), &reader, reader.scratch);
                    if (!s->closed) continue;
                } else if (got < 0 && errno == EINTR) {
                    continue;
                } else if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                    break;
                } else if (!s->closed) {
                    s->closed = true;
                    s->closeReason = got == 0 ? "connection closed without a close frame" : std::strerror(errno);
                }
                ::epoll_ctl(poller, EPOLL_CTL_DEL, s->fd, nullptr);
                break;
            }
        }
    }
    ::close(poller);
}

void SubscriberFleet::stop() {
    stopping_ = true;
    for (auto& r : readers_)
        if (r->thread.joinable()) r->thread.join();
}

std::uint64_t SubscriberFleet::delivered() const {
    std::uint64_t total = 0;
    for (const auto& r : readers_) total += r->delivered.load(std::memory_order_relaxed);
    return total;
}

LatencyHistogram SubscriberFleet::latency() const {
    LatencyHistogram all;
    for (const auto& r : readers_) all.merge(r->latency);
    return all;
}

std::uint64_t SubscriberFleet::duplicates() const {
    std::uint64_t total = 0;
    for (const auto& s : subscriptions_) total += s->duplicates;
    return total;
}

std::uint64_t SubscriberFleet::disconnects() const {
    std::uint64_t total = 0;
    for (const auto& s : subscriptions_) total += s->closed ? 1 : 0;
    return total;
}

std::string SubscriberFleet::firstCloseReason() const {
    for (const auto& s : subscriptions_)
        if (s->closed) return s->closeReason;
    return "";
}

} // namespace mc::loadgen
