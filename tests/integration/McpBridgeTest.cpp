// `mission-control bridge` (bridge/StdioBridge): MCP clients that only start commands reach the host's
// /mcp through it. The official SDK's stdio client lists and calls through it; auth goes with its token;
// the real Claude Code CLI, configured with the bridge as a stdio server, calls through it; and it ends
// as it says: the client's end of stdin ends the session (exit 0), a host that cannot be reached is an
// error answer and exit 1, wrong arguments exit 2.
#include "GatewayTestSupport.h"
#include "InProcessHost.h"
#include "NetworkNamespace.h"
#include "TestHttp.h"
#include "util/Json.h"
#include "web/Auth.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

using mc::test::eventually;
using mc::test::httpGet;
using mc::test::InProcessHost;
using mc::test::runProgram;
using mc::test::withEverything;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& text) { return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>(); }

std::string bridgeCommand(unsigned short port, const std::vector<std::string>& more = {}) {
    std::string out = "[\"" + std::string(MC_TEST_HOST_BINARY) + "\",\"bridge\",\"--url\",\"http://127.0.0.1:" + std::to_string(port) + "/mcp\"";
    for (const auto& a : more) out += ",\"" + a + "\"";
    return out + "]";
}

// mcp-client.mjs over stdio to the bridge, calling `tool`: its one JSON line.
Poco::JSON::Object::Ptr clientThroughBridge(unsigned short port, const std::string& env = "{}", const std::vector<std::string>& more = {},
                                            const std::string& tool = "every__echo") {
    const auto ran = runProgram("node", {"mcp-client.mjs", "--stdio", bridgeCommand(port, more), "--stdio-env", env, "--name", "bridge-agent",
                                         "--call", tool, "--args", R"({"message":"via the bridge"})"});
    const auto start = ran.out.rfind("\n{");
    return parse(start == std::string::npos ? ran.out : ran.out.substr(start + 1));
}

double gauge(unsigned short port, const std::string& name) {
    const std::string metrics = httpGet(port, "/metrics").body;
    const auto at = metrics.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(metrics.substr(at + name.size() + 2));
}
double sessions(unsigned short port) { return gauge(port, "mc_mcp_endpoint_sessions"); }

// The bridge itself, its stdio on pipes.
struct BridgeProcess {
    Poco::Pipe in, out, err;
    Poco::ProcessHandle handle;
    explicit BridgeProcess(const std::vector<std::string>& args)
        : handle(Poco::Process::launch(MC_TEST_HOST_BINARY, args, &in, &out, &err)) {}
};

std::string readAll(Poco::Pipe& pipe) {
    Poco::PipeInputStream stream(pipe);
    return std::string(std::istreambuf_iterator<char>(stream), {});
}

} // namespace

class McpBridgeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(McpBridgeTest);
    CPPUNIT_TEST(theSdkStdioClientCallsThroughTheBridge);
    CPPUNIT_TEST(theTokenGoesWithEveryRequest);
    CPPUNIT_TEST(itEndsWhenEitherSideDoes);
    CPPUNIT_TEST(eventStreamAnswersComeThroughToo);
    CPPUNIT_TEST(theSessionsStreamReachesTheClient);
    CPPUNIT_TEST(realClaudeCodeStartsTheBridge);
    CPPUNIT_TEST_SUITE_END();

public:
    void theSdkStdioClientCallsThroughTheBridge() {
        InProcessHost host(withEverything());
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        const auto out = clientThroughBridge(host.port());
        CPPUNIT_ASSERT_MESSAGE(mc::host::json::stringify(out), out->getValue<bool>("ok"));
        CPPUNIT_ASSERT_EQUAL(std::string("mission-control"), out->getObject("server")->getValue<std::string>("name"));
        bool listed = false;
        const auto tools = out->getArray("tools");
        for (std::size_t i = 0; i < tools->size(); ++i) listed = listed || tools->getElement<std::string>(static_cast<unsigned>(i)) == "every__echo";
        CPPUNIT_ASSERT(listed);
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: via the bridge"),
                             out->getObject("result")->getArray("content")->getObject(0)->getValue<std::string>("text"));
        // The session is the stdio client's thread, its call a step; the client closed: the session is ended.
        Poco::JSON::Array::Ptr threads;
        CPPUNIT_ASSERT(eventually([&] {
            threads = httpGet(host.port(), "/api/threads?mcp_id=bridge-agent").json()->getArray("items");
            return threads->size() == 1;
        }, 20000));
        const std::string thread = threads->getObject(0)->getValue<std::string>("id");
        CPPUNIT_ASSERT_EQUAL(std::string("T-mcp-"), thread.substr(0, 6));
        CPPUNIT_ASSERT(eventually([&] {
            const auto r = httpGet(host.port(), "/api/threads/" + thread + "/timeline");
            return r.status == 200 && r.json()->getArray("items")->size() == 1;
        }, 20000));
        CPPUNIT_ASSERT(eventually([&] { return sessions(host.port()) == 0; }, 20000));
    }

    void theTokenGoesWithEveryRequest() {
        const std::string secret = "mcp-bridge-secret-0123456789abcdef";
        InProcessHost host(withEverything({{"auth.jwt.secret", secret}}));
        const std::string token = host.runtime->auth().issue("bridge-user", mc::host::Role::Operator);
        CPPUNIT_ASSERT(eventually([&] {
            const auto r = mc::test::httpRequest("GET", host.port(), "/api/mcps/every", "", {{"Authorization", "Bearer " + token}});
            return r.status == 200 && r.json()->getValue<std::string>("status") == "connected";
        }));
        // From the environment (not visible in the process list) ...
        auto out = clientThroughBridge(host.port(), R"({"MC_BRIDGE_TOKEN":")" + token + "\"}");
        CPPUNIT_ASSERT_MESSAGE(mc::host::json::stringify(out), out->getValue<bool>("ok"));
        // ... or the command line; a wrong one is the host's 401, as an MCP error the client reads.
        out = clientThroughBridge(host.port(), "{}", {"--token", "not-a-token"});
        CPPUNIT_ASSERT(!out->getValue<bool>("ok"));
        CPPUNIT_ASSERT_MESSAGE(out->getValue<std::string>("error"),
                               out->getValue<std::string>("error").find("Mission Control answered HTTP 401") != std::string::npos);
    }

    void itEndsWhenEitherSideDoes() {
        // A host that is not there: the request that found out gets an error naming it, and the bridge exits 1.
        unsigned short closedPort = 0;
        {
            Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
            closedPort = probe.address().port();
        }
        {
            BridgeProcess bridge({"bridge", "--url", "http://127.0.0.1:" + std::to_string(closedPort) + "/mcp"});
            Poco::PipeOutputStream toBridge(bridge.in);
            toBridge << R"({"jsonrpc":"2.0","id":"i-1","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},)"
                     << R"("clientInfo":{"name":"x","version":"1"}}})" << "\n"
                     << std::flush;
            Poco::PipeInputStream fromBridge(bridge.out);
            std::string line;
            CPPUNIT_ASSERT(std::getline(fromBridge, line));
            const auto answer = parse(line);
            CPPUNIT_ASSERT_EQUAL(std::string("i-1"), answer->getValue<std::string>("id"));
            const std::string message = answer->getObject("error")->getValue<std::string>("message");
            CPPUNIT_ASSERT_MESSAGE(message, message.find("cannot reach Mission Control at http://127.0.0.1:" + std::to_string(closedPort) + "/mcp") == 0);
            CPPUNIT_ASSERT_EQUAL(1, bridge.handle.wait());
            toBridge.close();
        }
        // The client closes stdin: the session ends (DELETE) and the bridge exits 0.
        InProcessHost host(withEverything());
        {
            BridgeProcess bridge({"bridge", "--url", "http://127.0.0.1:" + std::to_string(host.port()) + "/mcp"});
            Poco::PipeOutputStream toBridge(bridge.in);
            toBridge << R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},)"
                     << R"("clientInfo":{"name":"closer","version":"1"}}})" << "\n"
                     << std::flush;
            Poco::PipeInputStream fromBridge(bridge.out);
            std::string line;
            CPPUNIT_ASSERT(std::getline(fromBridge, line));
            CPPUNIT_ASSERT_EQUAL(std::string("2025-06-18"), parse(line)->getObject("result")->getValue<std::string>("protocolVersion"));
            // A ping in the session the bridge keeps, and a line that is not JSON: the host's parse error comes back.
            toBridge << R"({"jsonrpc":"2.0","id":2,"method":"ping"})" << "\n{nope\n" << std::flush;
            std::vector<std::string> lines(2);
            CPPUNIT_ASSERT(std::getline(fromBridge, lines[0]) && std::getline(fromBridge, lines[1]));
            if (lines[0].find("\"error\"") != std::string::npos) std::swap(lines[0], lines[1]); // the ping runs on its own thread
            CPPUNIT_ASSERT_EQUAL(std::string(R"({"jsonrpc":"2.0","id":2,"result":{}})"), lines[0]);
            const auto parseError = parse(lines[1]);
            CPPUNIT_ASSERT(parseError->get("id").isEmpty());
            CPPUNIT_ASSERT_EQUAL(-32700, parseError->getObject("error")->getValue<int>("code"));
            CPPUNIT_ASSERT_EQUAL(1.0, sessions(host.port()));
            toBridge.close();
            CPPUNIT_ASSERT_EQUAL(0, bridge.handle.wait());
            CPPUNIT_ASSERT_EQUAL(0.0, sessions(host.port()));
        }
        // Wrong arguments: 2, saying what is wrong.
        BridgeProcess wrong({"bridge", "--url", "ftp://example/mcp"});
        wrong.in.close();
        const std::string err = readAll(wrong.err);
        CPPUNIT_ASSERT_EQUAL(2, wrong.handle.wait());
        CPPUNIT_ASSERT_MESSAGE(err, err.find("--url 'ftp://example/mcp': expected an http:// or https:// URL") != std::string::npos);
    }

    // Once the client said initialized, the bridge holds the session's stream open and writes what the
    // host sends on it (here list_changed when a server goes) as lines; it reconnects, resuming, when
    // the stream ends; the client's end closes it with the rest.
    void theSessionsStreamReachesTheClient() {
        InProcessHost host(withEverything());
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        BridgeProcess bridge({"bridge", "--url", "http://127.0.0.1:" + std::to_string(host.port()) + "/mcp"});
        Poco::PipeOutputStream toBridge(bridge.in);
        Poco::PipeInputStream fromBridge(bridge.out);
        toBridge << R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},)"
                 << R"("clientInfo":{"name":"listener","version":"1"}}})" << "\n"
                 << std::flush;
        std::string line;
        CPPUNIT_ASSERT(std::getline(fromBridge, line));
        CPPUNIT_ASSERT(parse(line)->getObject("result")->getObject("capabilities")->getObject("tools")->getValue<bool>("listChanged"));
        CPPUNIT_ASSERT_EQUAL(0.0, gauge(host.port(), "mc_mcp_endpoint_streams")); // not before the client is ready
        toBridge << R"({"jsonrpc":"2.0","method":"notifications/initialized"})" << "\n" << std::flush;
        CPPUNIT_ASSERT(eventually([&] { return gauge(host.port(), "mc_mcp_endpoint_streams") == 1; }));
        CPPUNIT_ASSERT_EQUAL(204, mc::test::httpRequest("DELETE", host.port(), "/api/mcps/every").status);
        std::vector<std::string> methods(3);
        for (auto& method : methods) {
            CPPUNIT_ASSERT(std::getline(fromBridge, line));
            method = parse(line)->getValue<std::string>("method");
        }
        CPPUNIT_ASSERT_EQUAL(std::string("notifications/tools/list_changed"), methods[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("notifications/resources/list_changed"), methods[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("notifications/prompts/list_changed"), methods[2]);
        // The client is done: the stream closes, the session ends, the bridge exits 0.
        toBridge.close();
        CPPUNIT_ASSERT_EQUAL(0, bridge.handle.wait());
        CPPUNIT_ASSERT(eventually([&] { return gauge(host.port(), "mc_mcp_endpoint_streams") == 0 && sessions(host.port()) == 0; }));
    }

    // A Streamable HTTP server that answers with event streams (server-everything does): each message
    // of the stream is a line to the client.
    void eventStreamAnswersComeThroughToo() {
        mc::test::NodeHttpPeer everything({mc::test::everythingServerScript(), "streamableHttp"});
        CPPUNIT_ASSERT(everything.ready());
        const auto out = clientThroughBridge(everything.port(), "{}", {}, "echo");
        CPPUNIT_ASSERT_MESSAGE(mc::host::json::stringify(out), out->getValue<bool>("ok"));
        CPPUNIT_ASSERT(out->getObject("server")->getValue<std::string>("name").find("everything") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: via the bridge"),
                             out->getObject("result")->getArray("content")->getObject(0)->getValue<std::string>("text"));
    }

    // The real Claude Code CLI with the bridge as its stdio MCP server and its OTLP export to the host:
    // the call goes through, and joins its session's thread.
    void realClaudeCodeStartsTheBridge() {
        mc::test::inNetworkNamespace("McpBridgeTest::realClaudeCodeStartsTheBridge", [] {
            InProcessHost host(withEverything());
            CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
            const std::string base = "http://127.0.0.1:" + std::to_string(host.port());
            mc::test::FakeAnthropic api("mcp__mc__every__echo");
            const std::string session = "0b5e55f0-0000-4000-8000-00000000000d";
            const auto claude = runProgram("./claude-code-run.sh",
                                           {base, "http/protobuf", api.url(), "--session-id", session,
                                            "--mcp-command", bridgeCommand(host.port()), "--echo-tool", "mcp__mc__every__echo"});
            CPPUNIT_ASSERT_MESSAGE(claude.out, claude.status == 0);
            CPPUNIT_ASSERT_MESSAGE(claude.out, claude.out.find("\"result\":\"done\"") != std::string::npos);
            std::string timeline;
            CPPUNIT_ASSERT(eventually([&] {
                const auto r = httpGet(host.port(), "/api/threads/T-" + session + "/timeline");
                timeline = r.body;
                return r.status == 200 && r.body.find("\"gateway\":{") != std::string::npos;
            }, 20000));
            CPPUNIT_ASSERT_MESSAGE(timeline, timeline.find("\"tool_use_id\":\"toolu_fake_echo_01\"") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(timeline, timeline.find("\"outcome\":\"ok\"") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(timeline, timeline.find("\"mcp_id\":\"every\"") != std::string::npos);
        });
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(McpBridgeTest);
