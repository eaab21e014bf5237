// What one hand-off between threads and processes costs on this machine: the floor under the
// gateway's added latency (issue 11 asks ≤ 0.15 ms p50 over Streamable HTTP, ≤ 0.1 ms over stdio).
// A tool call through the host adds hops a direct call does not make: the agent's request reaches a
// host worker thread (loopback TCP), the worker writes to the server's pipe or socket, the
// transport's reader thread wakes with the answer and wakes the waiting worker (a futex), which
// answers the agent. Each is measured here as a ping-pong round trip, alone:
//
//   futex     two threads, a mutex and condition variable each way (std::condition_variable)
//   pipe      two threads, one byte over a pipe each way (a transport's reader thread)
//   process   this process and a child, one byte over two pipes (stdio to an MCP server)
//   tcp       two threads, 64 bytes over a loopback TCP connection each way (HTTP to the host)
//
//   build/bin/mc-bench-handoff [--rounds 20000]
//
// Prints p50, p99 and mean of the round trip in microseconds. A round trip is two hand-offs.
#include "BenchFlags.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

void readAll(int fd, char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::read(fd, data, size);
        check(n > 0, "read");
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

void writeAll(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        check(n > 0, "write");
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

// Runs `roundTrip` `rounds` times after a warm-up; prints the distribution.
void report(const char* name, std::size_t rounds, const std::function<void()>& roundTrip) {
    for (std::size_t i = 0; i < rounds / 10; ++i) roundTrip();
    std::vector<double> us(rounds);
    for (auto& sample : us) {
        const auto start = Clock::now();
        roundTrip();
        sample = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    }
    std::sort(us.begin(), us.end());
    const double mean = std::accumulate(us.begin(), us.end(), 0.0) / static_cast<double>(us.size());
    std::printf("| %-8s | %8.1f | %8.1f | %8.1f |\n", name, us[us.size() / 2], us[us.size() * 99 / 100], mean);
    std::fflush(stdout);
}

void futexPingPong(std::size_t rounds) {
    std::mutex mutex;
    std::condition_variable changed;
    std::uint64_t ball = 0; // odd: the partner's turn
    bool stop = false;
    std::thread partner([&] {
        std::unique_lock lock(mutex);
        for (;;) {
            changed.wait(lock, [&] { return stop || ball % 2 == 1; });
            if (stop) return;
            ++ball;
            changed.notify_all();
        }
    });
    report("futex", rounds, [&] {
        std::unique_lock lock(mutex);
        ++ball;
        changed.notify_all();
        changed.wait(lock, [&] { return ball % 2 == 0; });
    });
    {
        std::lock_guard lock(mutex);
        stop = true;
    }
    changed.notify_all();
    partner.join();
}

void pipePingPong(std::size_t rounds) {
    int there[2], back[2];
    check(::pipe(there) == 0 && ::pipe(back) == 0, "pipe");
    std::thread partner([&] {
        char byte = 0;
        while (::read(there[0], &byte, 1) == 1 && byte != 'q') writeAll(back[1], &byte, 1);
    });
    char byte = 'x';
    report("pipe", rounds, [&] {
        writeAll(there[1], &byte, 1);
        readAll(back[0], &byte, 1);
    });
    writeAll(there[1], "q", 1);
    partner.join();
    for (int fd : {there[0], there[1], back[0], back[1]}) ::close(fd);
}

void processPingPong(std::size_t rounds) {
    int there[2], back[2];
    check(::pipe(there) == 0 && ::pipe(back) == 0, "pipe");
    const pid_t child = ::fork();
    check(child >= 0, "fork");
    if (child == 0) {
        char byte = 0;
        while (::read(there[0], &byte, 1) == 1 && byte != 'q')
            if (::write(back[1], &byte, 1) != 1) break;
        ::_exit(0);
    }
    char byte = 'x';
    report("process", rounds, [&] {
        writeAll(there[1], &byte, 1);
        readAll(back[0], &byte, 1);
    });
    writeAll(there[1], "q", 1);
    ::waitpid(child, nullptr, 0);
    for (int fd : {there[0], there[1], back[0], back[1]}) ::close(fd);
}

void tcpPingPong(std::size_t rounds) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    check(listener >= 0, "socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0, "bind");
    socklen_t length = sizeof address;
    check(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0, "getsockname");
    check(::listen(listener, 1) == 0, "listen");
    const int client = ::socket(AF_INET, SOCK_STREAM, 0);
    check(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0, "connect");
    const int server = ::accept(listener, nullptr, nullptr);
    check(server >= 0, "accept");
    const int on = 1;
    for (int fd : {client, server}) ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    constexpr std::size_t kMessage = 64;
    std::thread partner([&] {
        char message[kMessage];
        for (;;) {
            readAll(server, message, kMessage);
            if (message[0] == 'q') return;
            writeAll(server, message, kMessage);
        }
    });
    char message[kMessage];
    std::memset(message, 'x', kMessage);
    report("tcp", rounds, [&] {
        writeAll(client, message, kMessage);
        readAll(client, message, kMessage);
    });
    message[0] = 'q';
    writeAll(client, message, kMessage);
    partner.join();
    for (int fd : {client, server, listener}) ::close(fd);
}

} // namespace

int main(int argc, char** argv) {
    const std::size_t rounds = mc::bench::countFlag(argc, argv, "--rounds", 20000);
    try {
        std::printf("round trips of %zu, microseconds (a round trip is two hand-offs)\n\n", rounds);
        std::printf("| hand-off | p50 | p99 | mean |\n|---|---|---|---|\n");
        futexPingPong(rounds);
        pipePingPong(rounds);
        processPingPong(rounds);
        tcpPingPong(rounds);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mc-bench-handoff: %s\n", e.what());
        return 1;
    }
    return 0;
}
