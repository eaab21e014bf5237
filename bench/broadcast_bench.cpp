// Broadcast benchmark: an in-process hub behind a real HTTP server on loopback, N native subscribers
// on logs:* (one reader thread each, raw sockets + the host's own frame parser), M published events.
// Reports delivered messages/s and publish->receive latency percentiles.
//
//   mc-bench-broadcast [--subscribers N] [--events M] [--payload BYTES] [--io-threads T] [--rate EVENTS_PER_S]
#include "core/Broadcaster.h"
#include "core/EventRouter.h"
#include "log/Logging.h"
#include "web/Auth.h"
#include "web/WebSocketHub.h"
#include "net/FrameCodec.h"

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/ServerSocket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace mc::host;
using Clock = std::chrono::steady_clock;

namespace {

struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    explicit Factory(WebSocketHub& h) : hub(h) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return hub.createHandler();
    }
    WebSocketHub& hub;
};

long long nowNanos() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }

// One subscriber: handshake, subscribe, then count events and record latency from the "t" field
// (publisher's steady-clock nanoseconds) embedded in each payload.
struct Subscriber {
    int fd = -1;
    std::vector<long long> latenciesNs;
    std::size_t received = 0;
    bool ok = false;

    bool connectAndSubscribe(std::uint16_t port) {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return false;
        const std::string hello = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        ::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL);
        std::string head;
        char c;
        while (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0) {
            if (::recv(fd, &c, 1, 0) != 1) return false;
            head += c;
        }
        if (head.rfind("HTTP/1.1 101", 0) != 0) return false;
        const std::uint8_t mask[4] = {1, 2, 3, 4};
        const std::string sub = ws::encodeFrame(ws::Opcode::Text, R"({"type":"subscribe","channel":"logs:*"})", mask);
        ::send(fd, sub.data(), sub.size(), MSG_NOSIGNAL);
        return true;
    }

    // Reads until `expected` events arrived or the socket fails; skips welcome/subscribed.
    void run(std::size_t expected, std::atomic<int>& subscribed) {
        ws::FrameParser parser(ws::FrameParser::Options{1 << 24, false});
        std::vector<ws::FrameEvent> events;
        std::vector<char> buffer(1 << 16);
        latenciesNs.reserve(expected);
        bool acked = false;
        while (received < expected) {
            const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
            if (n <= 0) return;
            const long long now = nowNanos();
            events.clear();
            parser.feed(buffer.data(), static_cast<std::size_t>(n), events);
            for (const auto& e : events) {
                if (e.kind != ws::FrameEvent::Kind::Message) return;
                const auto t = e.payload.find("\"t\":");
                if (t == std::string::npos) {
                    if (!acked && e.payload.find("\"subscribed\"") != std::string::npos) {
                        acked = true;
                        ++subscribed;
                    }
                    continue;
                }
                latenciesNs.push_back(now - std::atoll(e.payload.c_str() + t + 4));
                ++received;
            }
        }
        ok = true;
    }
};

std::size_t arg(int argc, char** argv, const char* name, std::size_t fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return std::strtoull(argv[i + 1], nullptr, 10);
    return fallback;
}

double percentile(std::vector<long long>& v, double p) {
    if (v.empty()) return 0;
    const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1)));
    std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
    return v[i] / 1000.0;
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    const std::size_t subscribers = arg(argc, argv, "--subscribers", 50);
    const std::size_t eventCount = arg(argc, argv, "--events", 100000);
    const std::size_t payloadBytes = arg(argc, argv, "--payload", 200);
    const std::size_t ioThreads = arg(argc, argv, "--io-threads", 2);
    const std::size_t rate = arg(argc, argv, "--rate", 0); // 0: as fast as possible

    mc::host::logging::get("ws")->set_level(spdlog::level::warn);
    Broadcaster broadcaster;
    EventRouter router(broadcaster);
    Authenticator auth("");
    WebSocketSettings settings;
    settings.ioThreads = ioThreads;
    settings.queueMaxMessages = 1 << 20; // the benchmark measures throughput, not the overflow policy
    settings.queueMaxBytes = std::size_t(1) << 32;
    WebSocketHub hub(settings, broadcaster, auth);
    hub.start();
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    Poco::Net::HTTPServer server(new Factory(hub), socket, new Poco::Net::HTTPServerParams);
    server.start();

    std::vector<Subscriber> subs(subscribers);
    for (auto& s : subs)
        if (!s.connectAndSubscribe(server.port())) {
            std::fprintf(stderr, "subscriber failed to connect\n");
            return 1;
        }
    std::atomic<int> subscribed{0};
    std::vector<std::thread> readers;
    for (auto& s : subs) readers.emplace_back([&s, &subscribed, eventCount] { s.run(eventCount, subscribed); });
    while (subscribed.load() < static_cast<int>(subscribers)) std::this_thread::sleep_for(std::chrono::milliseconds(1));

    const std::string padding(payloadBytes, 'x');
    const auto start = Clock::now();
    for (std::size_t i = 0; i < eventCount; ++i) {
        if (rate > 0) {
            const auto due = start + std::chrono::nanoseconds(static_cast<long long>(1e9 * i / rate));
            while (Clock::now() < due) std::this_thread::yield();
        }
        const std::string payload = "{\"level\":\"info\",\"message\":\"" + padding + "\",\"t\":" + std::to_string(nowNanos()) + "}";
        router.route("bench", "log", payload);
    }
    const auto published = Clock::now();
    for (auto& r : readers) r.join();
    const auto done = Clock::now();

    std::vector<long long> all;
    std::size_t delivered = 0;
    for (auto& s : subs) {
        delivered += s.received;
        all.insert(all.end(), s.latenciesNs.begin(), s.latenciesNs.end());
    }
    const double seconds = std::chrono::duration<double>(done - start).count();
    const double publishSeconds = std::chrono::duration<double>(published - start).count();
    std::printf("subscribers=%zu events=%zu payload=%zuB io_threads=%zu rate=%s\n", subscribers, eventCount,
                payloadBytes, ioThreads, rate ? std::to_string(rate).c_str() : "max");
    std::printf("published: %.0f events/s (%.3f s)\n", eventCount / publishSeconds, publishSeconds);
    std::printf("delivered: %zu of %zu msgs in %.3f s = %.0f msgs/s\n", delivered, subscribers * eventCount, seconds,
                delivered / seconds);
    std::printf("latency publish->receive: p50 %.0f us, p99 %.0f us, max %.0f us\n", percentile(all, 0.5),
                percentile(all, 0.99), percentile(all, 1.0));
    const auto stats = hub.stats();
    std::printf("hub: sent %llu frames, overflow disconnects %llu\n", static_cast<unsigned long long>(stats.messagesSent),
                static_cast<unsigned long long>(stats.overflowDisconnects));
    for (auto& s : subs) ::close(s.fd);
    hub.shutdown(std::chrono::milliseconds(1000));
    server.stopAll(true);
    return delivered == subscribers * eventCount ? 0 : 2;
}
