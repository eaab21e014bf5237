#pragma once
// Helpers shared by the benchmark programs: clocks, flags, percentiles, a raw-socket WebSocket client
// parsed with the host's own frame codec (so the load generator is not the bottleneck).
#include "BenchFlags.h"
#include "config/HostConfig.h"
#include "net/FrameCodec.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/MapConfiguration.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mc::bench {

using SteadyClock = std::chrono::steady_clock;

// The directory of the running program (the host resolves plugins.dir = auto from it).
inline std::string executableDir() {
    char path[4096];
    const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) return ".";
    std::string p(path, static_cast<std::size_t>(n));
    return p.substr(0, p.rfind('/'));
}

// The configuration of an in-process host: `keys` (as if given with -D) over the defaults; no file,
// no environment.
inline Poco::AutoPtr<Poco::Util::AbstractConfiguration> hostConfig(const std::map<std::string, std::string>& keys) {
    Poco::AutoPtr<Poco::Util::LayeredConfiguration> config(new Poco::Util::LayeredConfiguration);
    Poco::AutoPtr<Poco::Util::MapConfiguration> map(new Poco::Util::MapConfiguration);
    map->setString("discovery.mdns.enabled", "false"); // a benchmark never multicasts on the real network
    map->setString("gateway.log_rate_per_second", "0"); // log throughput is measured, not budgeted
    for (const auto& [key, value] : keys) map->setString(key, value);
    config->add(map, mc::host::kPriorityCommandLine, false);
    mc::host::addConfigurationLayers(*config, "", [](const std::string&) { return std::optional<std::string>(); });
    return Poco::AutoPtr<Poco::Util::AbstractConfiguration>(config.get(), true);
}

inline long long wallMicros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
inline long long steadyNanos() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count();
}

// Percentile of latencies in microseconds, reported in milliseconds.
inline double percentileMs(std::vector<long long> v, double p) {
    if (v.empty()) return 0;
    const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1)));
    std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
    return v[i] / 1000.0;
}

// The integer after `"key":` in a JSON text, or nullopt (enough for the flat fields we read).
inline std::optional<long long> intField(const std::string& text, const std::string& key, std::size_t from = 0) {
    const std::string needle = "\"" + key + "\":";
    const auto at = text.find(needle, from);
    if (at == std::string::npos) return std::nullopt;
    char* end = nullptr;
    const long long value = std::strtoll(text.c_str() + at + needle.size(), &end, 10);
    if (end == text.c_str() + at + needle.size()) return std::nullopt;
    return value;
}

// --set key=value (repeatable): any host key, e.g. --set store.sqlite.synchronous=NORMAL, into `keys`.
// False (with the reason on stderr) for a malformed one.
inline bool applySetFlags(int argc, char** argv, std::map<std::string, std::string>& keys) {
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::string(argv[i]) != "--set") continue;
        const std::string assignment = argv[i + 1];
        const auto eq = assignment.find('=');
        if (eq == std::string::npos || eq == 0) {
            std::fprintf(stderr, "--set expects key=value, got '%s'\n", assignment.c_str());
            return false;
        }
        keys[assignment.substr(0, eq)] = assignment.substr(eq + 1);
    }
    return true;
}

// One POST on a keep-alive session, sent again after 10 ms while the answer is 503 (backpressure).
struct Posted {
    int status = 0;
    std::string reply;
    long long micros = 0;    // the accepted attempt: sent -> answered
    std::size_t refused = 0; // 503 answers before it
};
inline Posted postUntilTaken(Poco::Net::HTTPClientSession& session, const std::string& path, const std::string& contentType,
                             const std::string& body) {
    Posted out;
    for (;;) {
        const long long sent = steadyNanos();
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path, Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType(contentType);
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        out.reply.clear();
        Poco::StreamCopier::copyToString(session.receiveResponse(response), out.reply);
        out.status = static_cast<int>(response.getStatus());
        if (out.status != Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE) {
            out.micros = (steadyNanos() - sent) / 1000;
            return out;
        }
        ++out.refused;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

inline bool failed(const std::string& what) {
    std::fprintf(stderr, "FAILED: %s\n", what.c_str());
    return false;
}

// A WebSocket client on a raw socket with the host's own frame codec (a receive timeout keeps a lost
// message from hanging the benchmark).
class NativeWebSocket {
public:
    ~NativeWebSocket() {
        if (fd_ >= 0) ::close(fd_);
    }
    bool connect(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return false;
        timeval tv{0, 200000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        const std::string hello = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        if (::send(fd_, hello.data(), hello.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(hello.size())) return false;
        std::string head;
        char c;
        while (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0) {
            if (::recv(fd_, &c, 1, 0) != 1) return false;
            head += c;
        }
        return head.rfind("HTTP/1.1 101", 0) == 0;
    }
    bool sendText(const std::string& text) {
        const std::uint8_t mask[4] = {7, 1, 4, 2};
        const std::string frame = mc::host::ws::encodeFrame(mc::host::ws::Opcode::Text, text, mask);
        return ::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(frame.size());
    }
    // The next text message and its arrival time (steady ns), or nullopt at the deadline or on close.
    std::optional<std::pair<std::string, long long>> receive(SteadyClock::time_point deadline) {
        while (pending_.empty()) {
            if (SteadyClock::now() >= deadline) return std::nullopt;
            const ssize_t n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
            if (n == 0) return std::nullopt;
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
                return std::nullopt;
            }
            const long long arrivedWall = wallMicros();
            events_.clear();
            parser_.feed(buffer_.data(), static_cast<std::size_t>(n), events_);
            for (auto& e : events_) {
                if (e.kind == mc::host::ws::FrameEvent::Kind::Message) pending_.push_back({std::move(e.payload), arrivedWall});
                else if (e.kind == mc::host::ws::FrameEvent::Kind::Close || e.kind == mc::host::ws::FrameEvent::Kind::Error) closed_ = true;
            }
            if (closed_ && pending_.empty()) return std::nullopt;
        }
        auto front = std::move(pending_.front());
        pending_.erase(pending_.begin());
        return front;
    }
    // Skips messages until one contains `needle`.
    std::optional<std::string> receiveContaining(const std::string& needle, std::chrono::milliseconds timeout) {
        const auto deadline = SteadyClock::now() + timeout;
        while (auto m = receive(deadline))
            if (m->first.find(needle) != std::string::npos) return m->first;
        return std::nullopt;
    }

private:
    int fd_ = -1;
    mc::host::ws::FrameParser parser_{mc::host::ws::FrameParser::Options{1 << 24, false}};
    std::vector<mc::host::ws::FrameEvent> events_;
    std::vector<char> buffer_ = std::vector<char>(1 << 16);
    std::vector<std::pair<std::string, long long>> pending_; // payload, arrival wall-clock us
    bool closed_ = false;
};

} // namespace mc::bench
