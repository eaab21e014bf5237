// The gateway as a client of MCP servers of the 2026-07-28 era: tests/mcp-peers/modern-peer.mjs, a
// server on the official TypeScript SDK v2 (createMcpHandler over HTTP, serveStdio over stdio), in
// modern-only and dual-era modes, beside server-everything of the 2025 era. What the server saw is
// asserted on its side (/debug): methods, headers, _meta, and what it never got (initialize, ping,
// logging/setLevel, a session).
#include "GatewayTestSupport.h"
#include "InProcessHost.h"
#include "TestHttp.h"
#include "TestWebSocket.h"
#include "app/HostRuntime.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>

#include <map>
#include <string>
#include <vector>

using namespace mc::host;
using mc::test::eventually;
using mc::test::httpGet;
using mc::test::httpRequest;
using mc::test::mcp;
using mc::test::statusOf;
using mc::test::TestWebSocket;

namespace {

const std::string kModernPeer = std::string(MC_TEST_MCP_PEERS_DIR) + "/modern-peer.mjs";
using Overrides = std::map<std::string, std::string>;

struct ModernHost : mc::test::InProcessHost {
    explicit ModernHost(Overrides overrides, Until until = Until::Everything)
        : InProcessHost(withTimings(std::move(overrides)), until) {}
    static Overrides withTimings(Overrides overrides) {
        overrides.emplace("gateway.ping_interval_ms", "300");
        overrides.emplace("gateway.ping_timeout_ms", "5000");
        return overrides;
    }
};

class ModernPeer : public mc::test::NodeHttpPeer {
public:
    explicit ModernPeer(const std::string& legacy) : NodeHttpPeer({kModernPeer, "--legacy=" + legacy}) {}
    // What the server saw, in order: {method,id,protocolVersion,mcpMethod,mcpName,session,metaVersion,logLevel,traceparent}.
    std::vector<Poco::JSON::Object::Ptr> seen() const {
        std::vector<Poco::JSON::Object::Ptr> out;
        const auto array = httpGet(port(), "/debug").json()->getArray("seen");
        for (std::size_t i = 0; i < array->size(); ++i) out.push_back(array->getObject(static_cast<unsigned>(i)));
        return out;
    }
    std::vector<std::string> methods() const {
        std::vector<std::string> out;
        for (const auto& s : seen()) out.push_back(s->isNull("method") ? "<response>" : s->getValue<std::string>("method"));
        return out;
    }
    int count(const std::string& method) const {
        int n = 0;
        for (const auto& m : methods()) n += m == method;
        return n;
    }
};

Overrides httpServer(const std::string& id, unsigned short port, const std::string& protocol = "") {
    Overrides keys{{"mcp.servers." + id + ".transport", "http"},
                   {"mcp.servers." + id + ".url", "http://127.0.0.1:" + std::to_string(port) + "/mcp"}};
    if (!protocol.empty()) keys["mcp.servers." + id + ".protocol"] = protocol;
    return keys;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
    return out;
}

std::vector<std::string> toolNames(const Poco::JSON::Object::Ptr& view) {
    std::vector<std::string> out;
    const auto tools = view->getArray("tools");
    for (std::size_t i = 0; i < tools->size(); ++i) {
        const auto entry = tools->get(static_cast<unsigned>(i));
        out.push_back(entry.isString() ? entry.extract<std::string>() : tools->getObject(static_cast<unsigned>(i))->getValue<std::string>("name"));
    }
    return out;
}

mc::test::HttpResult callTool(unsigned short port, const std::string& id, const std::string& tool, const std::string& args) {
    return httpRequest("POST", port, "/api/mcps/" + id + "/tools/" + tool + "/call", "{\"arguments\":" + args + "}");
}

std::string firstText(const mc::test::HttpResult& r) { return r.json()->getArray("content")->getObject(0)->getValue<std::string>("text"); }

std::string text(const Poco::JSON::Object::Ptr& o, const std::string& member) {
    return o->has(member) && !o->isNull(member) ? o->getValue<std::string>(member) : "<null>";
}

} // namespace

class GatewayModernTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(GatewayModernTest);
    CPPUNIT_TEST(eachServerIsSpokenToInItsOwnEra);
    CPPUNIT_TEST(listChangesArriveOnTheListenStream);
    CPPUNIT_TEST(aSilentServerIsCheckedWithServerDiscoverNeverPing);
    CPPUNIT_TEST(aDualServerCanBePinnedToEitherEra);
    CPPUNIT_TEST(aPinnedEraTheServerDoesNotSpeakSaysWhy);
    CPPUNIT_TEST(aServerOfTheNewEraOverStdio);
    CPPUNIT_TEST(theServersQuestionsReachTheAgentOrSayWhyNot);
    CPPUNIT_TEST(aCallPastItsDeadlineClosesItsStream);
    CPPUNIT_TEST(configuredRootsAreOfferedInBothEras);
    CPPUNIT_TEST(theProtocolInspectorShowsEveryMessage);
    CPPUNIT_TEST(capturesAreStoredAsGatewayCaptureSays);
    CPPUNIT_TEST_SUITE_END();

public:
    void eachServerIsSpokenToInItsOwnEra() {
        ModernPeer peer("reject");
        CPPUNIT_ASSERT(peer.ready());
        ModernHost h(mc::test::withEverything(httpServer("modern", peer.port())));
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "modern") == "connected" && statusOf(h.port(), "every") == "connected"; }));

        const auto modern = mcp(h.port(), "modern");
        CPPUNIT_ASSERT_EQUAL(std::string("2026-07-28"), modern->getValue<std::string>("protocol_version"));
        CPPUNIT_ASSERT_EQUAL(std::string("auto"), modern->getValue<std::string>("protocol"));
        CPPUNIT_ASSERT_EQUAL(std::string("modern-peer"), modern->getObject("server_info")->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("2.4.0"), modern->getValue<std::string>("version"));
        CPPUNIT_ASSERT_EQUAL(std::string("echo,add-tool,ask-name,sleep,stderr,roots"), joined(toolNames(modern)));
        CPPUNIT_ASSERT(modern->getObject("capabilities")->has("tools"));
        // server-everything is of the 2025 era: server/discover is not its, initialize is.
        CPPUNIT_ASSERT_EQUAL(std::string("2025-11-25"), mcp(h.port(), "every")->getValue<std::string>("protocol_version"));

        const auto echoed = callTool(h.port(), "modern", "echo", R"({"message":"héllo"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(echoed.body, 200, echoed.status);
        CPPUNIT_ASSERT_EQUAL(std::string("echo: héllo"), firstText(echoed));
        CPPUNIT_ASSERT(!echoed.json()->has("resultType")); // the era's own members stay between the gateway and the server

        // The server's side: discover first, then the lists; every request of the new era, headers and
        // _meta agreeing; no session, initialize, ping or logging/setLevel ever.
        const auto seen = peer.seen();
        CPPUNIT_ASSERT(!seen.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("server/discover"), text(seen.front(), "method"));
        CPPUNIT_ASSERT_EQUAL(std::string("tools/list"), text(seen[1], "method"));
        for (const auto& s : seen) {
            const std::string method = text(s, "method");
            CPPUNIT_ASSERT_MESSAGE(method, method != "initialize" && method != "ping" && method != "logging/setLevel" &&
                                               method != "notifications/initialized");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(method, std::string("2026-07-28"), text(s, "protocolVersion"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(method, std::string("2026-07-28"), text(s, "metaVersion"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(method, method, text(s, "mcpMethod"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(method, std::string("<null>"), text(s, "session"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(method, std::string("info"), text(s, "logLevel")); // gateway.log_level, per request
        }
        bool called = false;
        for (const auto& s : seen)
            if (text(s, "method") == "tools/call") {
                called = true;
                CPPUNIT_ASSERT_EQUAL(std::string("echo"), text(s, "mcpName"));
                // No trace to join: a REST call names none and no span is exported here (export.otlp off).
                CPPUNIT_ASSERT_EQUAL(std::string("<null>"), text(s, "traceparent"));
            }
        CPPUNIT_ASSERT(called);
    }

    void listChangesArriveOnTheListenStream() {
        ModernPeer peer("reject");
        CPPUNIT_ASSERT(peer.ready());
        ModernHost h(httpServer("modern", peer.port()), mc::test::InProcessHost::Until::AllButGateway);
        TestWebSocket events(h.port());
        events.receiveType("welcome");
        events.sendText(R"({"type":"subscribe","channel":"mcps:modern"})");
        events.receiveType("subscribed");
        h.runtime->startGateway();
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "modern") == "connected"; }));
        CPPUNIT_ASSERT(eventually([&] { return peer.count("subscriptions/listen") == 1; }));

        const auto added = callTool(h.port(), "modern", "add-tool", "{}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(added.body, 200, added.status);
        CPPUNIT_ASSERT_EQUAL(std::string("extra-1"), firstText(added));
        Poco::JSON::Object::Ptr changed;
        for (int i = 0; i < 20 && !changed; ++i) {
            const auto payload = events.receiveType("mcp", 15000)->getObject("payload");
            if (payload->getValue<std::string>("change") == "tools_changed") changed = payload;
        }
        CPPUNIT_ASSERT(changed);
        CPPUNIT_ASSERT_EQUAL(std::string("echo,add-tool,ask-name,sleep,stderr,roots,extra-1"), joined(toolNames(changed)));
        const auto extra = callTool(h.port(), "modern", "extra-1", "{}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(extra.body, 200, extra.status);
        CPPUNIT_ASSERT_EQUAL(std::string("extra 1"), firstText(extra));
        CPPUNIT_ASSERT_EQUAL(1, peer.count("subscriptions/listen")); // one stream, still open
    }

    void aSilentServerIsCheckedWithServerDiscoverNeverPing() {
        ModernPeer peer("reject");
        CPPUNIT_ASSERT(peer.ready());
        ModernHost h(httpServer("modern", peer.port()));
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "modern") == "connected"; }));
        // Health checks every 300 ms (gateway.ping_interval_ms) of a server that says nothing meanwhile.
        CPPUNIT_ASSERT(eventually([&] { return peer.count("server/discover") >= 3; }, 15000));
        CPPUNIT_ASSERT_EQUAL(0, peer.count("ping"));
        CPPUNIT_ASSERT_EQUAL(0, peer.count("logging/setLevel"));
        CPPUNIT_ASSERT_EQUAL(std::string("connected"), statusOf(h.port(), "modern"));
    }

    void aDualServerCanBePinnedToEitherEra() {
        ModernPeer peer("stateless");
        CPPUNIT_ASSERT(peer.ready());
        Overrides keys = httpServer("auto", peer.port());
        keys.merge(httpServer("old", peer.port(), "2025-11-25"));
        keys.merge(httpServer("new", peer.port(), "2026-07-28"));
        ModernHost h(keys);
        for (const char* id : {"auto", "old", "new"})
            CPPUNIT_ASSERT_MESSAGE(id, eventually([&] { return statusOf(h.port(), id) == "connected"; }));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-07-28"), mcp(h.port(), "auto")->getValue<std::string>("protocol_version"));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-11-25"), mcp(h.port(), "old")->getValue<std::string>("protocol_version"));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-11-25"), mcp(h.port(), "old")->getValue<std::string>("protocol"));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-07-28"), mcp(h.port(), "new")->getValue<std::string>("protocol_version"));
        for (const char* id : {"auto", "old", "new"}) {
            const auto echoed = callTool(h.port(), id, "echo", R"({"message":"both"})");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(echoed.body, 200, echoed.status);
            CPPUNIT_ASSERT_EQUAL(std::string("echo: both"), firstText(echoed));
        }
        // Only the pinned 2025 connection sent initialize (once) and no _meta version.
        int initializes = 0;
        for (const auto& s : peer.seen())
            if (text(s, "method") == "initialize") {
                ++initializes;
                CPPUNIT_ASSERT_EQUAL(std::string("<null>"), text(s, "metaVersion"));
            }
        CPPUNIT_ASSERT_EQUAL(1, initializes);
    }

    void aPinnedEraTheServerDoesNotSpeakSaysWhy() {
        ModernPeer peer("reject");
        CPPUNIT_ASSERT(peer.ready());
        ModernHost h(httpServer("old", peer.port(), "2025-11-25"));
        CPPUNIT_ASSERT(eventually([&] {
            const auto view = mcp(h.port(), "old");
            return view->getValue<std::string>("status") == "disconnected" && !view->isNull("last_error");
        }));
        const std::string error = mcp(h.port(), "old")->getValue<std::string>("last_error");
        CPPUNIT_ASSERT_MESSAGE(error, error.find("initialize failed: Unsupported protocol version: 2025-11-25") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(error, error.find("-32022") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(error, error.find("\"supported\":[\"2026-07-28\"]") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(error, error.find("mcp.servers.old.protocol = 2025-11-25 pins the 2025 era") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(0, peer.count("server/discover"));
    }

    void aServerOfTheNewEraOverStdio() {
        ModernHost h({{"mcp.servers.local.transport", "stdio"},
                      {"mcp.servers.local.command", "node"},
                      {"mcp.servers.local.args", "[\"" + kModernPeer + "\",\"--stdio\"]"},
                      {"mcp.servers.local.shutdown_grace_ms", "1000"}});
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "local") == "connected"; }));
        const auto view = mcp(h.port(), "local");
        CPPUNIT_ASSERT_EQUAL(std::string("2026-07-28"), view->getValue<std::string>("protocol_version"));
        CPPUNIT_ASSERT_EQUAL(std::string("echo,add-tool,ask-name,sleep,stderr,roots"), joined(toolNames(view)));
        const auto echoed = callTool(h.port(), "local", "echo", R"({"message":"over stdio"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(echoed.body, 200, echoed.status);
        CPPUNIT_ASSERT_EQUAL(std::string("echo: over stdio"), firstText(echoed));

        // Without MCP logging, a server's stderr is its log: each line at the level it names.
        const auto wrote = callTool(h.port(), "local", "stderr", R"({"lines":[
            "{\"level\":50,\"msg\":\"pino says error\",\"pid\":42}",
            "WARNING:peer.db:python says warning",
            "level=debug msg=\"logfmt says debug\" component=cache",
            "[info] brackets say info",
            "a plain line that mentions an error"]})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(wrote.body, 200, wrote.status);
        std::map<std::string, Poco::JSON::Object::Ptr> byMessage;
        CPPUNIT_ASSERT(eventually([&] {
            const auto items = httpGet(h.port(), "/api/logs?mcp_id=local&service=stderr&limit=100").json()->getArray("items");
            for (std::size_t i = 0; i < items->size(); ++i) {
                const auto item = items->getObject(static_cast<unsigned>(i));
                byMessage[item->getValue<std::string>("message")] = item;
            }
            return byMessage.size() >= 5;
        }));
        const auto levelOf = [&](const std::string& message) {
            const auto it = byMessage.find(message);
            return it == byMessage.end() ? std::string("<missing>") : it->second->getValue<std::string>("level");
        };
        CPPUNIT_ASSERT_EQUAL(std::string("ERROR"), levelOf("pino says error"));
        CPPUNIT_ASSERT_EQUAL(std::string("WARN"), levelOf("python says warning"));
        CPPUNIT_ASSERT_EQUAL(std::string("DEBUG"), levelOf("logfmt says debug"));
        CPPUNIT_ASSERT_EQUAL(std::string("INFO"), levelOf("brackets say info"));
        CPPUNIT_ASSERT_EQUAL(std::string("ERROR"), levelOf("a plain line that mentions an error")); // the transport's guess
        const auto pino = byMessage["pino says error"]->getObject("context");
        CPPUNIT_ASSERT_EQUAL(42, pino->getValue<int>("pid"));
        CPPUNIT_ASSERT_EQUAL(std::string("json"), pino->getValue<std::string>("stderr_form"));
        CPPUNIT_ASSERT_EQUAL(std::string("error"), pino->getValue<std::string>("mcp_level"));
        CPPUNIT_ASSERT_EQUAL(std::string("peer.db"), byMessage["python says warning"]->getObject("context")->getValue<std::string>("logger"));
        CPPUNIT_ASSERT_EQUAL(std::string("cache"), byMessage["logfmt says debug"]->getObject("context")->getValue<std::string>("component"));
    }

    // input_required (MRTR): the server's question goes to the agent whose call it is, in that agent's
    // era (a 2025 session gets elicitation/create; a 2026-07-28 agent gets input_required of its own), and
    // the call is sent again with the answer. A REST caller has nobody to ask: a clear refusal.
    void theServersQuestionsReachTheAgentOrSayWhyNot() {
        ModernPeer peer("reject");
        CPPUNIT_ASSERT(peer.ready());
        ModernHost h(httpServer("modern", peer.port()));
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "modern") == "connected"; }));
        const std::string url = "http://127.0.0.1:" + std::to_string(h.port()) + "/mcp";
        for (const std::string sdk : {"v1", "v2"}) {
            const auto ran = mc::test::runProgram("node", {"mcp-tour.mjs", "--sdk", sdk, "--url", url, "--elicit", R"({"name":"Ada"})",
                                                           "--ask", "modern__ask-name"});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(sdk + ": " + ran.out, 0, ran.status);
            const auto out = Poco::JSON::Parser().parse(ran.out).extract<Poco::JSON::Object::Ptr>();
            CPPUNIT_ASSERT_EQUAL_MESSAGE(ran.out, std::string("elicitation/create"), out->getArray("asked")->getElement<std::string>(0));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(ran.out, std::string("hello Ada"),
                                         out->getArray("asks")->getObject(0)->getArray("content")->getObject(0)->getValue<std::string>("text"));
        }
        // Each agent's call went upstream twice: the question, then the answer.
        int asks = 0;
        for (const auto& s : peer.seen()) asks += text(s, "method") == "tools/call" && text(s, "mcpName") == "ask-name";
        CPPUNIT_ASSERT_EQUAL(4, asks);

        const auto rest = callTool(h.port(), "modern", "ask-name", "{}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(rest.body, 501, rest.status);
        const auto error = rest.json()->getObject("error");
        CPPUNIT_ASSERT_EQUAL(std::string("input_required"), error->getValue<std::string>("code"));
        CPPUNIT_ASSERT_EQUAL(std::string("tool 'ask-name' on 'modern': tools/call needs input the server asked for (elicitation/create "
                                         "\"Who is asking?\"), and only an agent connected through Mission Control's /mcp can give it"),
                             error->getValue<std::string>("message"));
    }

    // Cancelling a request of the new era over HTTP is closing its response stream (no
    // notifications/cancelled to a server that has no session to relate it to).
    void aCallPastItsDeadlineClosesItsStream() {
        ModernPeer peer("reject");
        CPPUNIT_ASSERT(peer.ready());
        ModernHost h(httpServer("modern", peer.port()));
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "modern") == "connected"; }));
        const auto late = httpRequest("POST", h.port(), "/api/mcps/modern/tools/sleep/call", R"({"arguments":{"ms":5000},"timeout_ms":300})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(late.body, 504, late.status);
        std::string callId;
        CPPUNIT_ASSERT(eventually([&] {
            for (const auto& s : peer.seen()) {
                if (text(s, "method") == "tools/call" && text(s, "mcpName") == "sleep") callId = s->get("id").toString();
                if (text(s, "method") == "<aborted>" && !callId.empty() && s->get("id").toString() == callId) return true;
            }
            return false;
        }, 5000));
        CPPUNIT_ASSERT_EQUAL(0, peer.count("notifications/cancelled"));
        const auto echoed = callTool(h.port(), "modern", "echo", R"({"message":"after"})"); // the server and the gateway go on
        CPPUNIT_ASSERT_EQUAL_MESSAGE(echoed.body, 200, echoed.status);
        CPPUNIT_ASSERT_EQUAL(std::string("connected"), statusOf(h.port(), "modern"));
    }

    // mcp.servers.<id>.roots: a 2025 server may ask roots/list (the gateway declares the capability
    // only then); a server of the new era asks through input_required, answered by the gateway itself.
    void configuredRootsAreOfferedInBothEras() {
        ModernPeer peer("reject");
        CPPUNIT_ASSERT(peer.ready());
        const std::string roots = R"(["/srv/data",{"uri":"file:///home/u/project","name":"project"}])";
        Overrides keys = mc::test::withEverything({{"mcp.servers.every.roots", roots}});
        keys.merge(httpServer("modern", peer.port()));
        keys["mcp.servers.modern.roots"] = roots;
        keys.merge(httpServer("bare", peer.port())); // no roots configured
        keys.merge(mc::test::withEverything({{"mcp.servers.plain.transport", "stdio"}, {"mcp.servers.plain.command", "node"},
                                              {"mcp.servers.plain.args", "[\"" + mc::test::everythingServerScript() + "\",\"stdio\"]"}}));
        ModernHost h(keys);
        for (const char* id : {"every", "modern", "bare", "plain"})
            CPPUNIT_ASSERT_MESSAGE(id, eventually([&] { return statusOf(h.port(), id) == "connected"; }));

        const auto listed = callTool(h.port(), "every", "get-roots-list", "{}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, 200, listed.status);
        const std::string text = firstText(listed);
        CPPUNIT_ASSERT_MESSAGE(text, text.find("file:///srv/data") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find("file:///home/u/project") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find("project") != std::string::npos);
        // server-everything offers the tool only to a client that declares roots.
        const auto plainTools = joined(toolNames(mcp(h.port(), "plain")));
        CPPUNIT_ASSERT_MESSAGE(plainTools, plainTools.find("get-roots-list") == std::string::npos);

        const auto modern = callTool(h.port(), "modern", "roots", "{}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(modern.body, 200, modern.status);
        CPPUNIT_ASSERT_EQUAL(std::string("file:///srv/data, file:///home/u/project (project)"), firstText(modern));
        // Without roots configured the gateway does not declare the capability, and the server says so.
        const auto bare = callTool(h.port(), "bare", "roots", "{}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(bare.body, 502, bare.status);
        CPPUNIT_ASSERT_EQUAL(-32021, bare.json()->getObject("error")->getObject("details")->getValue<int>("jsonrpc_code"));
    }

    // The protocol inspector over a real server: the messages in order, paired, filtered and paged;
    // live on protocol:<id>.
    void theProtocolInspectorShowsEveryMessage() {
        ModernPeer peer("reject");
        CPPUNIT_ASSERT(peer.ready());
        auto keys = httpServer("modern", peer.port());
        keys["mcp.servers.modern.headers"] = R"({"Authorization": "Bearer inspector-s3cret"})";
        ModernHost h(keys, mc::test::InProcessHost::Until::AllButGateway);
        TestWebSocket live(h.port());
        live.receiveType("welcome");
        live.sendText(R"({"type":"subscribe","channel":"protocol:modern"})");
        live.receiveType("subscribed");
        h.runtime->startGateway();
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "modern") == "connected"; }));
        // Live: the first message is the probe of the era.
        const auto first = live.receiveType("protocol", 15000)->getObject("payload");
        CPPUNIT_ASSERT_EQUAL(std::string("out"), first->getValue<std::string>("direction"));
        CPPUNIT_ASSERT_EQUAL(std::string("server/discover"), first->getValue<std::string>("method"));
        CPPUNIT_ASSERT_EQUAL(1, first->getValue<int>("seq"));

        const auto echoed = callTool(h.port(), "modern", "echo", R"({"message":"inspect me"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(echoed.body, 200, echoed.status);
        const auto calls = httpGet(h.port(), "/api/mcps/modern/messages?method=tools/call");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(calls.body, 200, calls.status);
        CPPUNIT_ASSERT_MESSAGE("a secret header reached the inspector", calls.body.find("inspector-s3cret") == std::string::npos);
        const auto items = calls.json()->getArray("items");
        // Newest first: the response, the HTTP exchange that carried the request (reported when its
        // response's headers came), the request.
        CPPUNIT_ASSERT_EQUAL_MESSAGE(calls.body, std::size_t(3), items->size());
        const auto response = items->getObject(0), exchange = items->getObject(1), request = items->getObject(2);
        CPPUNIT_ASSERT_EQUAL(std::string("http"), exchange->getValue<std::string>("kind"));
        CPPUNIT_ASSERT_EQUAL(request->getValue<int>("id"), exchange->getValue<int>("id"));
        CPPUNIT_ASSERT(exchange->isNull("message"));
        const auto http = exchange->getObject("http");
        CPPUNIT_ASSERT_EQUAL(std::string("POST"), http->getValue<std::string>("method"));
        CPPUNIT_ASSERT_EQUAL(std::string("/mcp"), http->getValue<std::string>("target"));
        CPPUNIT_ASSERT_EQUAL(200, http->getValue<int>("status"));
        CPPUNIT_ASSERT_EQUAL(request->getValue<int>("bytes"), http->getValue<int>("request_bytes"));
        const auto sent = http->getObject("request_headers");
        CPPUNIT_ASSERT_EQUAL(std::string("tools/call"), sent->getValue<std::string>("Mcp-Method"));
        CPPUNIT_ASSERT_EQUAL(std::string("echo"), sent->getValue<std::string>("Mcp-Name"));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-07-28"), sent->getValue<std::string>("MCP-Protocol-Version"));
        CPPUNIT_ASSERT_EQUAL(std::string("[redacted]"), sent->getValue<std::string>("Authorization"));
        CPPUNIT_ASSERT(!http->getObject("response_headers")->getNames().empty());
        CPPUNIT_ASSERT_EQUAL(std::string("in"), response->getValue<std::string>("direction"));
        CPPUNIT_ASSERT_EQUAL(std::string("response"), response->getValue<std::string>("kind"));
        CPPUNIT_ASSERT(response->getValue<double>("duration_ms") >= 0);
        CPPUNIT_ASSERT_EQUAL(std::string("echo: inspect me"),
                             response->getObject("message")->getObject("result")->getArray("content")->getObject(0)->getValue<std::string>("text"));
        CPPUNIT_ASSERT_EQUAL(std::string("out"), request->getValue<std::string>("direction"));
        CPPUNIT_ASSERT_EQUAL(request->getValue<int>("id"), response->getValue<int>("id"));
        CPPUNIT_ASSERT(request->getValue<int>("seq") < response->getValue<int>("seq"));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-07-28"), request->getObject("message")->getObject("params")->getObject("_meta")->getValue<std::string>(
                                                             "io.modelcontextprotocol/protocolVersion"));

        // Paging through everything, oldest last: server/discover (1) and its answer (2) end the list.
        std::vector<int> seqs;
        std::string cursor;
        for (int pages = 0; pages < 50; ++pages) {
            const auto page = httpGet(h.port(), "/api/mcps/modern/messages?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor)).json();
            const auto list = page->getArray("items");
            for (std::size_t i = 0; i < list->size(); ++i) seqs.push_back(list->getObject(static_cast<unsigned>(i))->getValue<int>("seq"));
            if (page->isNull("next_cursor")) break;
            cursor = page->getValue<std::string>("next_cursor");
        }
        CPPUNIT_ASSERT(seqs.size() >= 9);
        for (std::size_t i = 1; i < seqs.size(); ++i) CPPUNIT_ASSERT_EQUAL(seqs[i - 1] - 1, seqs[i]);
        CPPUNIT_ASSERT_EQUAL(1, seqs.back());

        const auto bad = httpGet(h.port(), "/api/mcps/modern/messages?direction=sideways");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(bad.body, 400, bad.status);
        CPPUNIT_ASSERT_EQUAL(404, httpGet(h.port(), "/api/mcps/nobody/messages").status);
    }

    // gateway.capture: errors stores failures with what they answer, all stores everything, off nothing.
    void capturesAreStoredAsGatewayCaptureSays() {
        ModernPeer peer("reject");
        CPPUNIT_ASSERT(peer.ready());
        const auto stored = [](unsigned short port, const std::string& query) {
            const auto page = httpGet(port, "/api/protocol-messages?mcp_id=modern&order=asc" + query);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(page.body, 200, page.status);
            std::vector<std::string> out;
            const auto items = page.json()->getArray("items");
            for (std::size_t i = 0; i < items->size(); ++i) {
                const auto m = items->getObject(static_cast<unsigned>(i));
                out.push_back(m->getValue<std::string>("direction") + " " + m->getValue<std::string>("kind") + " " +
                              m->optValue<std::string>("method", "-"));
            }
            return out;
        };
        {
            auto keys = httpServer("modern", peer.port());
            keys["gateway.capture"] = "errors";
            ModernHost h(keys);
            CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "modern") == "connected"; }));
            CPPUNIT_ASSERT_EQUAL(200, callTool(h.port(), "modern", "echo", R"({"message":"fine"})").status);
            const auto failed = callTool(h.port(), "modern", "echo", R"({"message":"fail"})");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(failed.body, 200, failed.status); // a tool error is a result
            // The failed call's request and its isError result, nothing else (the ring has more).
            CPPUNIT_ASSERT(eventually([&] { return stored(h.port(), "").size() >= 2; }));
            CPPUNIT_ASSERT_EQUAL(std::string("out request tools/call,in response tools/call"), joined(stored(h.port(), "")));
            const auto page = httpGet(h.port(), "/api/protocol-messages?mcp_id=modern&order=asc").json()->getArray("items");
            const auto request = page->getObject(0), response = page->getObject(1);
            CPPUNIT_ASSERT_EQUAL(std::string("fail"),
                                 request->getObject("message")->getObject("params")->getObject("arguments")->getValue<std::string>("message"));
            CPPUNIT_ASSERT_EQUAL(request->getValue<std::string>("jsonrpc_id"), response->getValue<std::string>("jsonrpc_id"));
            CPPUNIT_ASSERT(response->getObject("message")->getObject("result")->getValue<bool>("isError"));
            CPPUNIT_ASSERT(response->getValue<double>("duration_ms") >= 0);
        }
        {
            auto keys = httpServer("modern", peer.port());
            keys["gateway.capture"] = "all";
            ModernHost h(keys);
            CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "modern") == "connected"; }));
            CPPUNIT_ASSERT_EQUAL(200, callTool(h.port(), "modern", "echo", R"({"message":"kept"})").status);
            // Everything, HTTP exchanges included, in the order the inspector saw it.
            CPPUNIT_ASSERT(eventually([&] { return stored(h.port(), "&method=tools/call").size() >= 3; }));
            CPPUNIT_ASSERT_EQUAL(std::string("out request tools/call,out http tools/call,in response tools/call"),
                                 joined(stored(h.port(), "&method=tools/call")));
            const auto all = stored(h.port(), "");
            CPPUNIT_ASSERT_EQUAL(std::string("out request server/discover"), all.front());
            CPPUNIT_ASSERT_EQUAL(std::string("out http server/discover"), all[1]);
            const auto http = httpGet(h.port(), "/api/protocol-messages?mcp_id=modern&kind=http&method=tools/call").json();
            const auto exchange = http->getArray("items")->getObject(0);
            CPPUNIT_ASSERT_EQUAL(200, exchange->getObject("http")->getValue<int>("status"));
            CPPUNIT_ASSERT(exchange->isNull("message"));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GatewayModernTest);
