// The whole host while misbehaving clients press on it: 200 slow clients (each from its own loopback
// address, so the per-address cap does not simply refuse them) and 20 tool calls a real server-everything
// keeps hanging. Everyone else is still served at once: /health, /api/threads and a new WebSocket each
// answer within 100 ms, because no slow client and no pending call holds a request worker.
#include "GatewayTestSupport.h"
#include "InProcessHost.h"
#include "TestHttp.h"
#include "TestWebSocket.h"

#include <cppunit/extensions/HelperMacros.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

using mc::test::eventually;
using mc::test::httpGet;
using mc::test::InProcessHost;
using mc::test::TestWebSocket;
using Clock = std::chrono::steady_clock;

namespace {

// A connected socket from `from`, for sending bytes and then doing nothing.
int connectFrom(const std::string& from, unsigned short port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, from.c_str(), &local.sin_addr);
    ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) throw std::runtime_error("connect failed");
    return fd;
}

void sendAll(int fd, const std::string& bytes) { ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL); }

long long timedMillis(const std::function<void()>& work) {
    const auto start = Clock::now();
    work();
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

} // namespace

class HostUnderPressureTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HostUnderPressureTest);
    CPPUNIT_TEST(slowClientsAndHungToolCallsDelayNobodyElse);
    CPPUNIT_TEST_SUITE_END();

public:
    void slowClientsAndHungToolCallsDelayNobodyElse() {
        InProcessHost host({{"mcp.servers.every.transport", "stdio"},
                            {"mcp.servers.every.command", "node"},
                            {"mcp.servers.every.args", "[\"" + mc::test::everythingServerScript() + "\",\"stdio\"]"},
                            {"http.header_timeout_ms", "60000"}}); // the slow clients stay for the whole test
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        std::vector<int> sockets;
        // 200 slowloris clients: a head that never ends, one byte at a time, from 127.0.0.2 .. 127.0.0.201.
        for (int i = 0; i < 200; ++i) {
            const int fd = connectFrom("127.0.0." + std::to_string(2 + i), host.port());
            sendAll(fd, "GET /api/threads HTTP/1.1\r\nHost: localhost\r\nX-Slow: ");
            sockets.push_back(fd);
        }
        // 20 tool calls server-everything will not finish for 30 s (more than http.max_threads = 16).
        const std::string call = R"({"arguments":{"duration":30,"steps":1}})";
        for (int i = 0; i < 20; ++i) {
            const int fd = connectFrom("127.0.0.1", host.port());
            sendAll(fd, "POST /api/mcps/every/tools/trigger-long-running-operation/call HTTP/1.1\r\nHost: localhost\r\n"
                        "Content-Type: application/json\r\nContent-Length: " + std::to_string(call.size()) + "\r\n\r\n" + call);
            sockets.push_back(fd);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        for (std::size_t i = 0; i < 200; ++i) sendAll(sockets[i], "x"); // still trickling

        const long long health = timedMillis([&] { CPPUNIT_ASSERT_EQUAL(200, httpGet(host.port(), "/health").status); });
        const long long threads = timedMillis([&] { CPPUNIT_ASSERT_EQUAL(200, httpGet(host.port(), "/api/threads").status); });
        const long long websocket = timedMillis([&] {
            TestWebSocket ws(host.port());
            CPPUNIT_ASSERT_EQUAL(std::string("welcome"), ws.receiveType("welcome")->getValue<std::string>("type"));
        });
        const std::string figures = "health " + std::to_string(health) + " ms, threads " + std::to_string(threads) +
                                    " ms, websocket " + std::to_string(websocket) + " ms";
        const long long bound = 100 * mc::test::timeScale();
        CPPUNIT_ASSERT_MESSAGE(figures, health < bound && threads < bound && websocket < bound);
        // The hung calls are in flight (not refused), yet the only busy worker is the one answering this.
        auto h = httpGet(host.port(), "/api/health").json()->getObject("http");
        CPPUNIT_ASSERT_EQUAL(1, h->getValue<int>("workers_busy"));
        CPPUNIT_ASSERT_EQUAL(0, h->getValue<int>("rejected_busy"));
        CPPUNIT_ASSERT(h->getValue<int>("connections") >= 220);
        for (int fd : sockets) ::close(fd);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HostUnderPressureTest);
