// The whole host while misbehaving clients press on it: 200 slow clients (each from its own loopback
// address, so the per-address cap does not simply refuse them) and 20 tool calls a real server-everything
// keeps hanging. Everyone else is still served at once: /health, /api/threads and a new WebSocket each
// answer within 100 ms, because no slow client and no pending call holds a request worker.
#include "GatewayTestSupport.h"
#include "InProcessHost.h"
#include "TestHttp.h"
#include "TestTcp.h"
#include "TestWebSocket.h"

#include <cppunit/extensions/HelperMacros.h>


#include <chrono>
#include <thread>

using mc::test::eventually;
using mc::test::httpGet;
using mc::test::InProcessHost;
using mc::test::TestWebSocket;
using Clock = std::chrono::steady_clock;

namespace {

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
        std::vector<std::unique_ptr<mc::test::TcpClient>> clients;
        // 200 slowloris clients: a head that never ends, one byte at a time, from 127.0.0.2 .. 127.0.0.201.
        for (int i = 0; i < 200; ++i) {
            clients.push_back(std::make_unique<mc::test::TcpClient>(host.port(), "127.0.0." + std::to_string(2 + i)));
            clients.back()->send("GET /api/threads HTTP/1.1\r\nHost: localhost\r\nX-Slow: ");
        }
        // 20 tool calls server-everything will not finish for 30 s (more than http.max_threads = 16).
        const std::string call = R"({"arguments":{"duration":30,"steps":1}})";
        for (int i = 0; i < 20; ++i) {
            clients.push_back(std::make_unique<mc::test::TcpClient>(host.port()));
            clients.back()->send("POST /api/mcps/every/tools/trigger-long-running-operation/call HTTP/1.1\r\nHost: localhost\r\n"
                                 "Content-Type: application/json\r\nContent-Length: " + std::to_string(call.size()) + "\r\n\r\n" + call);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        for (std::size_t i = 0; i < 200; ++i) clients[i]->send("x"); // still trickling

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
        // The hung calls are in flight (not refused), yet the only busy worker is the one answering this
        // (a moment after the requests above: a loaded machine may still be finishing one of them).
        Poco::JSON::Object::Ptr h;
        CPPUNIT_ASSERT_MESSAGE(h ? h->getValue<std::string>("workers_busy") : std::string(), eventually([&] {
            h = httpGet(host.port(), "/api/health").json()->getObject("http");
            return h->getValue<int>("workers_busy") == 1;
        }, 2000 * mc::test::timeScale()));
        CPPUNIT_ASSERT_EQUAL(0, h->getValue<int>("rejected_busy"));
        CPPUNIT_ASSERT(h->getValue<int>("connections") >= 220);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HostUnderPressureTest);
