// The MCP gateway in the whole host, against real server-everything instances over stdio,
// Streamable HTTP and legacy SSE (real child processes, real sockets over loopback).
#include "GatewayTestSupport.h"
#include "InProcessHost.h"
#include "TestHttp.h"
#include "TestTcp.h"
#include "TestWebSocket.h"
#include "app/HostRuntime.h"
#include "gateway/McpGateway.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Process.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <functional>
#include <thread>

using namespace mc::host;
using mc::test::httpGet;
using mc::test::httpRequest;
using mc::test::TempDir;
using mc::test::TestWebSocket;

namespace {

using mc::test::eventually;
using mc::test::mcp;
using mc::test::merge;
using mc::test::processGone;
using mc::test::statusOf;

const std::string kEverything = mc::test::everythingServerScript();

// `startGateway` false: everything but the gateway phase, so a test can subscribe first.
struct GatewayHost : mc::test::InProcessHost {
    explicit GatewayHost(const Overrides& overrides, bool startGateway = true)
        : InProcessHost(overrides, startGateway ? Until::Everything : Until::AllButGateway) {}
};

// A stdio server-everything that writes its pid to <pidDir>/<id>.pid (exec keeps the pid).
std::map<std::string, std::string> stdioServer(const std::string& id, const TempDir& pidDir) {
    const std::string pidFile = pidDir.file(id + ".pid");
    return {{"mcp.servers." + id + ".transport", "stdio"},
            {"mcp.servers." + id + ".command", "/bin/sh"},
            {"mcp.servers." + id + ".args", "[\"-c\",\"echo $$ > " + pidFile + "; exec node " + kEverything + " stdio\"]"},
            {"mcp.servers." + id + ".shutdown_grace_ms", "1000"}};
}

int pidOf(const TempDir& pidDir, const std::string& id) {
    std::ifstream in(pidDir.file(id + ".pid"));
    int pid = 0;
    in >> pid;
    return pid;
}

bool hasTool(const Poco::JSON::Object::Ptr& detail, const std::string& name) {
    auto tools = detail->getArray("tools");
    for (std::size_t i = 0; i < tools->size(); ++i)
        if (tools->getObject(static_cast<unsigned>(i))->getValue<std::string>("name") == name) return true;
    return false;
}

std::string errorCode(const mc::test::HttpResult& r) { return r.json()->getObject("error")->getValue<std::string>("code"); }

// server-everything in an HTTP mode on a free loopback port.
class HttpPeer : public mc::test::NodeHttpPeer {
public:
    explicit HttpPeer(const std::string& mode) : NodeHttpPeer({kEverything, mode}) {}
};

} // namespace

class GatewayTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(GatewayTest);
    CPPUNIT_TEST(connectsToThreeStdioServersAndListsTheirTools);
    CPPUNIT_TEST(routesToolCallsWithDistinctErrors);
    CPPUNIT_TEST(webSocketCallToolAndServerLogsReachSubscribers);
    CPPUNIT_TEST(killedServerIsDisconnectedThenReconnectsWithItsTools);
    CPPUNIT_TEST(hungServerFailsItsPingAndIsReplaced);
    CPPUNIT_TEST(restRegistrationRulesAndErrors);
    CPPUNIT_TEST(streamableHttpAndSseServersAlongsideStdio);
    CPPUNIT_TEST(stoppingTheHostLeavesNoChildProcess);
    CPPUNIT_TEST(theStdioPluginReplacedAndRemovedWhileItServes);
    CPPUNIT_TEST_SUITE_END();

public:
    void connectsToThreeStdioServersAndListsTheirTools() {
        TempDir pids;
        GatewayHost h(merge({stdioServer("a", pids), stdioServer("b", pids), stdioServer("c", pids)}));
        CPPUNIT_ASSERT_MESSAGE(httpGet(h.port(), "/api/mcps").body, eventually([&] {
            return statusOf(h.port(), "a") == "connected" && statusOf(h.port(), "b") == "connected" &&
                   statusOf(h.port(), "c") == "connected";
        }));
        auto list = httpGet(h.port(), "/api/mcps");
        CPPUNIT_ASSERT_EQUAL(200, list.status);
        CPPUNIT_ASSERT_EQUAL(3, list.json()->getValue<int>("count"));
        auto first = list.json()->getArray("mcps")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("a"), first->getValue<std::string>("id"));
        CPPUNIT_ASSERT_EQUAL(std::string("config"), first->getValue<std::string>("origin"));
        CPPUNIT_ASSERT(!first->isNull("last_seen"));

        auto detail = mcp(h.port(), "b");
        CPPUNIT_ASSERT_EQUAL(std::string("2025-11-25"), detail->getValue<std::string>("protocol_version"));
        CPPUNIT_ASSERT_EQUAL(std::string("mcp-servers/everything"),
                             detail->getObject("server_info")->getValue<std::string>("name"));
        CPPUNIT_ASSERT(detail->getObject("capabilities")->has("tools"));
        CPPUNIT_ASSERT(hasTool(detail, "echo"));
        CPPUNIT_ASSERT(hasTool(detail, "get-sum"));
        auto tools = detail->getArray("tools");
        for (std::size_t i = 0; i < tools->size(); ++i) {
            auto t = tools->getObject(static_cast<unsigned>(i));
            if (t->getValue<std::string>("name") != "get-sum") continue;
            auto schema = t->getObject("inputSchema");
            CPPUNIT_ASSERT_EQUAL(std::string("number"), schema->getObject("properties")->getObject("a")->getValue<std::string>("type"));
        }
        CPPUNIT_ASSERT_EQUAL(detail->getValue<int>("tool_count"), static_cast<int>(tools->size()));
    }

    void routesToolCallsWithDistinctErrors() {
        TempDir pids;
        GatewayHost h(stdioServer("fs", pids));
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "fs") == "connected"; }));
        TestWebSocket events(h.port());
        events.receiveType("welcome");
        events.sendText(R"({"type":"subscribe","channel":"events:tool_call"})");
        events.receiveType("subscribed");

        auto ok = httpRequest("POST", h.port(), "/api/mcps/fs/tools/echo/call",
                              R"({"arguments":{"message":"hello gateway"},"thread_id":"T-7"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ok.body, 200, ok.status);
        auto body = ok.json();
        CPPUNIT_ASSERT_EQUAL(false, body->getValue<bool>("isError"));
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: hello gateway"),
                             body->getArray("content")->getObject(0)->getValue<std::string>("text"));
        auto event = events.receiveType("tool_call")->getObject("payload");
        CPPUNIT_ASSERT_EQUAL(std::string("fs"), event->getValue<std::string>("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("echo"), event->getValue<std::string>("tool"));
        CPPUNIT_ASSERT_EQUAL(std::string("T-7"), event->getValue<std::string>("thread_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), event->getValue<std::string>("outcome"));
        CPPUNIT_ASSERT(event->getValue<long long>("duration_ms") >= 0);

        auto sum = httpRequest("POST", h.port(), "/api/mcps/fs/tools/get-sum/call", R"({"arguments":{"a":2,"b":40}})");
        CPPUNIT_ASSERT_EQUAL(200, sum.status);
        CPPUNIT_ASSERT(sum.body.find("is 42") != std::string::npos);

        auto structured = httpRequest("POST", h.port(), "/api/mcps/fs/tools/get-structured-content/call",
                                      R"({"arguments":{"location":"New York"}})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(structured.body, 200, structured.status);
        CPPUNIT_ASSERT(structured.json()->has("structuredContent"));

        auto unknownMcp = httpRequest("POST", h.port(), "/api/mcps/nope/tools/echo/call", "{}");
        CPPUNIT_ASSERT_EQUAL(404, unknownMcp.status);
        CPPUNIT_ASSERT_EQUAL(std::string("unknown_mcp"), errorCode(unknownMcp));
        auto unknownTool = httpRequest("POST", h.port(), "/api/mcps/fs/tools/teleport/call", "{}");
        CPPUNIT_ASSERT_EQUAL(404, unknownTool.status);
        CPPUNIT_ASSERT_EQUAL(std::string("unknown_tool"), errorCode(unknownTool));
        auto badArgs = httpRequest("POST", h.port(), "/api/mcps/fs/tools/get-sum/call", R"({"arguments":{"a":"two","b":1}})");
        CPPUNIT_ASSERT_EQUAL(422, badArgs.status);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_arguments"), errorCode(badArgs));
        CPPUNIT_ASSERT_EQUAL(std::string("a"), badArgs.json()->getObject("error")->getObject("details")->getValue<std::string>("field"));
        auto missing = httpRequest("POST", h.port(), "/api/mcps/fs/tools/get-sum/call", R"({"arguments":{"a":1}})");
        CPPUNIT_ASSERT_EQUAL(422, missing.status);
        auto malformed = httpRequest("POST", h.port(), "/api/mcps/fs/tools/echo/call", R"({"arguments":)");
        CPPUNIT_ASSERT_EQUAL(400, malformed.status);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_json"), errorCode(malformed));
        auto notObject = httpRequest("POST", h.port(), "/api/mcps/fs/tools/echo/call", R"({"arguments":[1]})");
        CPPUNIT_ASSERT_EQUAL(400, notObject.status);
        for (const char* timeout : {"-5", "18446744073709551615", "true"}) {
            auto badTimeout = httpRequest("POST", h.port(), "/api/mcps/fs/tools/echo/call", std::string(R"({"timeout_ms":)") + timeout + "}");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(badTimeout.body, 400, badTimeout.status);
            CPPUNIT_ASSERT_MESSAGE(badTimeout.body, badTimeout.body.find("must be an integer in 1..600000") != std::string::npos);
        }

        // A slow tool past its deadline: 504, and the server is told to cancel.
        auto slow = httpRequest("POST", h.port(), "/api/mcps/fs/tools/trigger-long-running-operation/call",
                                R"({"arguments":{"duration":5,"steps":5},"timeout_ms":300})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(slow.body, 504, slow.status);
        CPPUNIT_ASSERT_EQUAL(std::string("timeout"), errorCode(slow));
        for (;;) { // tool_call events arrive in call order; find the timeout
            auto e = events.receiveType("tool_call")->getObject("payload");
            if (e->getValue<std::string>("tool") != "trigger-long-running-operation") continue;
            CPPUNIT_ASSERT_EQUAL(std::string("timeout"), e->getValue<std::string>("outcome"));
            // The event says what happened in the gateway's terms; HTTP statuses are the web layer's.
            CPPUNIT_ASSERT(!e->has("status"));
            break;
        }
        // The connection is still healthy after a cancelled call.
        CPPUNIT_ASSERT_EQUAL(200, httpRequest("POST", h.port(), "/api/mcps/fs/tools/echo/call",
                                              R"({"arguments":{"message":"still here"}})").status);

        // A connection keeps its requests' deadlines soonest first: a short deadline set while a long
        // one waits still ends its call on time (not when the long one would have).
        int longStatus = 0;
        std::thread longCall([&] {
            longStatus = httpRequest("POST", h.port(), "/api/mcps/fs/tools/trigger-long-running-operation/call",
                                     R"({"arguments":{"duration":2,"steps":2},"timeout_ms":60000})").status;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        const auto shortStarted = std::chrono::steady_clock::now();
        auto shortCall = httpRequest("POST", h.port(), "/api/mcps/fs/tools/trigger-long-running-operation/call",
                                     R"({"arguments":{"duration":5,"steps":5},"timeout_ms":300})");
        const auto shortTook = std::chrono::steady_clock::now() - shortStarted;
        longCall.join();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shortCall.body, 504, shortCall.status);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(shortTook).count()) + " ms",
                               shortTook < std::chrono::seconds(10));
        CPPUNIT_ASSERT_EQUAL(200, longStatus);
    }

    void webSocketCallToolAndServerLogsReachSubscribers() {
        TempDir pids;
        GatewayHost h(merge({stdioServer("fs", pids), {{"gateway.log_level", "debug"}}}), false);
        TestWebSocket logs(h.port()), status(h.port()), caller(h.port());
        for (auto* c : {&logs, &status, &caller}) c->receiveType("welcome");
        logs.sendText(R"({"type":"subscribe","channel":"logs:mcp:fs"})");
        logs.receiveType("subscribed");
        status.sendText(R"({"type":"subscribe","channel":"mcps:fs"})");
        status.receiveType("subscribed");
        h.runtime->startGateway();

        // Status changes: connecting, then connected. (ABI 2.0: while connecting, the transport's
        // on_status changes, e.g. ok at the server's first message, are "status" events too, still
        // "connecting" with the new transport_status.)
        auto connecting = status.receiveType("mcp", 20000)->getObject("payload");
        CPPUNIT_ASSERT_EQUAL(std::string("connecting"), connecting->getValue<std::string>("status"));
        auto connected = status.receiveType("mcp", 30000)->getObject("payload");
        for (int i = 0; i < 5 && connected->getValue<std::string>("status") == "connecting"; ++i)
            connected = status.receiveType("mcp", 30000)->getObject("payload");
        CPPUNIT_ASSERT_EQUAL(std::string("connected"), connected->getValue<std::string>("status"));
        CPPUNIT_ASSERT(connected->getArray("tools")->size() > 5);

        // The server's stderr banner is a log record of this MCP.
        auto stderrLine = logs.receiveType("log", 10000)->getObject("payload");
        CPPUNIT_ASSERT_EQUAL(std::string("stderr"), stderrLine->getValue<std::string>("service"));
        CPPUNIT_ASSERT_EQUAL(std::string("fs"), stderrLine->getValue<std::string>("mcp_id"));
        CPPUNIT_ASSERT(stderrLine->getValue<std::string>("message").find("Starting default (STDIO) server") != std::string::npos);

        caller.sendText(R"({"type":"call_tool","request_id":"r1","mcp_id":"fs","tool":"echo","arguments":{"message":"via ws"}})");
        auto result = caller.receiveType("tool_result", 10000);
        CPPUNIT_ASSERT_EQUAL(std::string("r1"), result->getValue<std::string>("request_id"));
        CPPUNIT_ASSERT(result->getValue<bool>("ok"));
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: via ws"),
                             result->getObject("result")->getArray("content")->getObject(0)->getValue<std::string>("text"));

        caller.sendText(R"({"type":"call_tool","request_id":"r2","mcp_id":"ghost","tool":"echo"})");
        auto missing = caller.receiveType("tool_result", 10000);
        CPPUNIT_ASSERT_EQUAL(std::string("r2"), missing->getValue<std::string>("request_id"));
        CPPUNIT_ASSERT_EQUAL(404, missing->getValue<int>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown_mcp"), missing->getObject("error")->getValue<std::string>("code"));
        caller.sendText(R"({"type":"call_tool","request_id":"r3","tool":"echo"})");
        auto invalid = caller.receiveType("tool_result", 10000);
        CPPUNIT_ASSERT_EQUAL(400, invalid->getValue<int>("status"));

        // Simulated logging sends one notifications/message at once (the level is set to debug).
        caller.sendText(R"({"type":"call_tool","request_id":"r4","mcp_id":"fs","tool":"toggle-simulated-logging"})");
        CPPUNIT_ASSERT(caller.receiveType("tool_result", 10000)->getValue<bool>("ok"));
        for (;;) {
            auto log = logs.receiveType("log", 15000)->getObject("payload");
            if (log->getValue<std::string>("service") == "stderr") continue;
            CPPUNIT_ASSERT(log->getObject("context")->has("mcp_level"));
            const std::string level = log->getValue<std::string>("level");
            CPPUNIT_ASSERT_MESSAGE(level, level == "DEBUG" || level == "INFO" || level == "WARN" || level == "ERROR");
            CPPUNIT_ASSERT(log->getValue<std::string>("message").find("-level message") != std::string::npos ||
                           log->getValue<std::string>("message").find("level-message") != std::string::npos);
            CPPUNIT_ASSERT_EQUAL(std::string("fs"), log->getValue<std::string>("mcp_id"));
            break;
        }
    }

    void killedServerIsDisconnectedThenReconnectsWithItsTools() {
        TempDir pids;
        GatewayHost h(stdioServer("fs", pids));
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "fs") == "connected"; }));
        TestWebSocket status(h.port());
        status.receiveType("welcome");
        status.sendText(R"({"type":"subscribe","channel":"mcps:fs"})");
        status.receiveType("subscribed");
        const int pid = pidOf(pids, "fs");
        CPPUNIT_ASSERT(pid > 0);
        CPPUNIT_ASSERT_EQUAL(0, ::kill(pid, SIGKILL));
        auto down = status.receiveType("mcp", 5000)->getObject("payload");
        CPPUNIT_ASSERT_EQUAL(std::string("disconnected"), down->getValue<std::string>("status"));
        CPPUNIT_ASSERT(down->getValue<std::string>("last_error").find("transport closed") != std::string::npos);
        CPPUNIT_ASSERT(processGone(pid) || eventually([&] { return processGone(pid); }, 5000));
        auto unavailable = httpRequest("POST", h.port(), "/api/mcps/fs/tools/echo/call", R"({"arguments":{"message":"x"}})");
        if (unavailable.status != 200) { // unless the reconnect already won the race
            CPPUNIT_ASSERT_EQUAL(503, unavailable.status);
            CPPUNIT_ASSERT_EQUAL(std::string("mcp_disconnected"), errorCode(unavailable));
        }
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "fs") == "connected"; }));
        CPPUNIT_ASSERT(pidOf(pids, "fs") != pid);
        CPPUNIT_ASSERT(hasTool(mcp(h.port(), "fs"), "echo"));
        CPPUNIT_ASSERT_EQUAL(200, httpRequest("POST", h.port(), "/api/mcps/fs/tools/echo/call",
                                              R"({"arguments":{"message":"back"}})").status);
    }

    // What an operator does: copy a new mcp-stdio.so over the running one. The call in flight finishes
    // (the server drains), the call made meanwhile waits and is served by a new server process on the
    // new version; removed, the server says why it is down and its process is gone; put back, it
    // connects again at once.
    void theStdioPluginReplacedAndRemovedWhileItServes() {
        TempDir pids, plugins;
        const std::string stdioSo = plugins.file("mcp-stdio.so");
        auto put = [&] {
            std::filesystem::copy_file(MC_TEST_PLUGIN_DIR "/mcp-stdio.so", stdioSo + ".new");
            std::filesystem::rename(stdioSo + ".new", stdioSo);
        };
        std::filesystem::copy_file(MC_TEST_PLUGIN_DIR "/store-sqlite.so", plugins.file("store-sqlite.so"));
        put();
        GatewayHost h(merge({stdioServer("fs", pids),
                             {{"plugins.dir", plugins.path()}, {"plugins.watch", "false"}, {"gateway.reconnect.initial_ms", "60000"},
                              {"gateway.reconnect.max_ms", "60000"}}}));
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "fs") == "connected"; }));
        const int first = pidOf(pids, "fs");
        TestWebSocket status(h.port());
        status.receiveType("welcome");
        status.sendText(R"({"type":"subscribe","channel":"mcps:fs"})");
        status.receiveType("subscribed");

        auto inFlight = std::async(std::launch::async, [&] {
            return httpRequest("POST", h.port(), "/api/mcps/fs/tools/trigger-long-running-operation/call",
                               R"({"arguments":{"duration":1,"steps":2}})");
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        put();
        auto rescan = httpRequest("POST", h.port(), "/api/plugins/rescan");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"added":[],"removed":[],"replaced":["mcp-stdio"],"refused":[]})"), rescan.body);
        auto meanwhile = std::async(std::launch::async, [&] {
            return httpRequest("POST", h.port(), "/api/mcps/fs/tools/echo/call", R"({"arguments":{"message":"meanwhile"}})");
        });
        auto drained = inFlight.get();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(drained.body, 200, drained.status);
        CPPUNIT_ASSERT(drained.body.find("Long running operation completed") != std::string::npos);
        auto served = meanwhile.get();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(served.body, 200, served.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: meanwhile"), served.json()->getArray("content")->getObject(0)->getValue<std::string>("text"));
        // Down once for the reload (saying why), then up on the new version, with a new process.
        // (Other `mcp` events, e.g. a list change of the old server, may come first.)
        Poco::JSON::Object::Ptr down;
        while (!down || down->getValue<std::string>("status") != "disconnected") down = status.receiveType("mcp", 5000)->getObject("payload");
        CPPUNIT_ASSERT_EQUAL(std::string("transport plugin mcp-stdio replaced by version 0.2.0"), down->getValue<std::string>("last_error"));
        std::vector<std::string> then;
        while (then.empty() || then.back() != "connected")
            then.push_back(status.receiveType("mcp", 5000)->getObject("payload")->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("connecting"), then.front());
        CPPUNIT_ASSERT(pidOf(pids, "fs") != first);
        CPPUNIT_ASSERT(eventually([&] { return processGone(first); }, 5000));
        auto report = httpGet(h.port(), "/api/plugins").json()->getArray("plugins");
        for (std::size_t i = 0; i < report->size(); ++i) {
            auto plugin = report->getObject(static_cast<unsigned>(i));
            if (plugin->optValue<std::string>("id", "") != "mcp-stdio") continue;
            CPPUNIT_ASSERT_EQUAL(std::string("ok"), plugin->getArray("instances")->getObject(0)->getValue<std::string>("status"));
        }

        const int second = pidOf(pids, "fs");
        std::filesystem::remove(stdioSo);
        rescan = httpRequest("POST", h.port(), "/api/plugins/rescan");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"added":[],"removed":["mcp-stdio"],"replaced":[],"refused":[]})"), rescan.body);
        CPPUNIT_ASSERT(eventually([&] {
            return mcp(h.port(), "fs")->optValue<std::string>("last_error", "").rfind("no transport plugin serves 'stdio'", 0) == 0;
        }));
        CPPUNIT_ASSERT(eventually([&] { return processGone(second); }, 5000));
        auto refused = httpRequest("POST", h.port(), "/api/mcps/fs/tools/echo/call", R"({"arguments":{"message":"x"}})");
        CPPUNIT_ASSERT_EQUAL(503, refused.status);
        CPPUNIT_ASSERT_EQUAL(std::string("mcp_disconnected"), errorCode(refused));

        put();
        rescan = httpRequest("POST", h.port(), "/api/plugins/rescan");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"added":["mcp-stdio"],"removed":[],"replaced":[],"refused":[]})"), rescan.body);
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "fs") == "connected"; }, 10000)); // not after 60 s
        CPPUNIT_ASSERT_EQUAL(200, httpRequest("POST", h.port(), "/api/mcps/fs/tools/echo/call", R"({"arguments":{"message":"back"}})").status);
    }

    void hungServerFailsItsPingAndIsReplaced() {
        TempDir pids;
        GatewayHost h(stdioServer("fs", pids));
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "fs") == "connected"; }));
        const int pid = pidOf(pids, "fs");
        CPPUNIT_ASSERT_EQUAL(0, ::kill(pid, SIGSTOP)); // alive but silent: only a ping can tell
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "fs") == "disconnected"; }, 10000));
        CPPUNIT_ASSERT(mcp(h.port(), "fs")->getValue<std::string>("last_error").find("ping not answered") != std::string::npos);
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "fs") == "connected"; }));
        CPPUNIT_ASSERT(eventually([&] { return processGone(pid); }, 10000)); // the hung one was killed and reaped
    }

    void restRegistrationRulesAndErrors() {
        GatewayHost h(std::map<std::string, std::string>{});
        const std::string stdio = R"({"id":"local","transport":"stdio","command":"node","args":[")" + kEverything + R"(","stdio"]})";
        auto forbidden = httpRequest("POST", h.port(), "/api/mcps", stdio);
        CPPUNIT_ASSERT_EQUAL(403, forbidden.status);
        CPPUNIT_ASSERT_EQUAL(std::string("stdio_not_allowed"), errorCode(forbidden));
        CPPUNIT_ASSERT(forbidden.body.find("gateway.allow_api_stdio") != std::string::npos);

        auto invalid = httpRequest("POST", h.port(), "/api/mcps", R"({"id":"x","transport":"http","url":"gopher://h"})");
        CPPUNIT_ASSERT_EQUAL(400, invalid.status);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_config"), errorCode(invalid));
        CPPUNIT_ASSERT_EQUAL(std::string("url"), invalid.json()->getObject("error")->getObject("details")->getValue<std::string>("field"));
        CPPUNIT_ASSERT_EQUAL(400, httpRequest("POST", h.port(), "/api/mcps", "not json").status);

        // An unreachable http server is registered, stays disconnected with a reason, and retries.
        const mc::test::RefusingPort deadPort; // held: no other test's server can take it meanwhile
        const std::string dead = R"({"id":"dead","transport":"http","url":"http://127.0.0.1:)" +
                                 std::to_string(deadPort.port()) + R"(/mcp","connect_timeout_ms":500})";
        auto created = httpRequest("POST", h.port(), "/api/mcps", dead);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 201, created.status);
        CPPUNIT_ASSERT_EQUAL(std::string("/api/mcps/dead"), created.headers["Location"]);
        CPPUNIT_ASSERT_EQUAL(409, httpRequest("POST", h.port(), "/api/mcps", dead).status);
        CPPUNIT_ASSERT(eventually([&] {
            auto m = mcp(h.port(), "dead");
            return m && m->getValue<std::string>("status") == "disconnected" && !m->isNull("last_error") &&
                   m->getValue<int>("reconnect_attempts") >= 2;
        }));
        auto call = httpRequest("POST", h.port(), "/api/mcps/dead/tools/echo/call", "{}");
        CPPUNIT_ASSERT_EQUAL(503, call.status);
        CPPUNIT_ASSERT_EQUAL(204, httpRequest("DELETE", h.port(), "/api/mcps/dead").status);
        CPPUNIT_ASSERT_EQUAL(404, httpRequest("DELETE", h.port(), "/api/mcps/dead").status);
        CPPUNIT_ASSERT_EQUAL(404, httpGet(h.port(), "/api/mcps/dead").status);

        // Roles: a viewer may list, an operator may call but not register.
        GatewayHost secured(std::map<std::string, std::string>{{"auth.jwt.secret", "gateway-test-secret-0123456789"}});
        const auto& auth = secured.runtime->auth();
        const std::string viewer = "Bearer " + auth.issue("v", Role::Viewer);
        const std::string operatorToken = "Bearer " + auth.issue("o", Role::Operator);
        CPPUNIT_ASSERT_EQUAL(200, httpGet(secured.port(), "/api/mcps", {{"Authorization", viewer}}).status);
        CPPUNIT_ASSERT_EQUAL(403, httpRequest("POST", secured.port(), "/api/mcps/x/tools/y/call", "{}", {{"Authorization", viewer}}).status);
        CPPUNIT_ASSERT_EQUAL(404, httpRequest("POST", secured.port(), "/api/mcps/x/tools/y/call", "{}", {{"Authorization", operatorToken}}).status);
        CPPUNIT_ASSERT_EQUAL(403, httpRequest("POST", secured.port(), "/api/mcps", dead, {{"Authorization", operatorToken}}).status);
    }

    void streamableHttpAndSseServersAlongsideStdio() {
        TempDir pids;
        HttpPeer streamable("streamableHttp"), sse("sse");
        CPPUNIT_ASSERT(streamable.ready() && sse.ready());
        GatewayHost h(merge({stdioServer("local", pids), {{"gateway.allow_api_stdio", "true"}}}));
        auto r1 = httpRequest("POST", h.port(), "/api/mcps",
                              R"({"id":"remote","transport":"http","url":"http://127.0.0.1:)" + std::to_string(streamable.port()) + R"(/mcp"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r1.body, 201, r1.status);
        auto r2 = httpRequest("POST", h.port(), "/api/mcps",
                              R"({"id":"legacy","transport":"sse","url":"http://127.0.0.1:)" + std::to_string(sse.port()) + R"(/sse"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r2.body, 201, r2.status);
        CPPUNIT_ASSERT_MESSAGE(httpGet(h.port(), "/api/mcps").body, eventually([&] {
            return statusOf(h.port(), "local") == "connected" && statusOf(h.port(), "remote") == "connected" &&
                   statusOf(h.port(), "legacy") == "connected";
        }));
        for (const std::string id : {"local", "remote", "legacy"}) {
            auto r = httpRequest("POST", h.port(), "/api/mcps/" + id + "/tools/echo/call", R"({"arguments":{"message":")" + id + R"("}})");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(id + ": " + r.body, 200, r.status);
            CPPUNIT_ASSERT(r.body.find("Echo: " + id) != std::string::npos);
            CPPUNIT_ASSERT(hasTool(mcp(h.port(), id), "get-sum"));
        }
        CPPUNIT_ASSERT(!mcp(h.port(), "legacy")->isNull("protocol_version"));
        CPPUNIT_ASSERT_EQUAL(204, httpRequest("DELETE", h.port(), "/api/mcps/remote").status);
    }

    void stoppingTheHostLeavesNoChildProcess() {
        TempDir pids;
        std::vector<int> children;
        {
            GatewayHost h(merge({stdioServer("a", pids), stdioServer("b", pids)}));
            CPPUNIT_ASSERT(eventually([&] {
                return statusOf(h.port(), "a") == "connected" && statusOf(h.port(), "b") == "connected";
            }));
            children = {pidOf(pids, "a"), pidOf(pids, "b")};
            CPPUNIT_ASSERT(children[0] > 0 && children[1] > 0);
            h.runtime->stop();
            for (int pid : children) CPPUNIT_ASSERT_MESSAGE(std::to_string(pid), processGone(pid));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GatewayTest);
