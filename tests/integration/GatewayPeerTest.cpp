// The MCP gateway in the whole host against tests/mcp-peers/gateway-peer.mjs, a server on the
// official TypeScript SDK that can do what server-everything cannot: paginated tools/list, tools
// added at run time, expiring HTTP sessions, plain JSON responses and forced protocol versions.
// Real child processes (mcp-stdio), real sockets over loopback (mcp-http).
#include "GatewayTestSupport.h"
#include "InProcessHost.h"
#include "TestHttp.h"
#include "TestWebSocket.h"
#include "app/HostRuntime.h"

#include <Poco/JSON/Array.h>
#include <Poco/String.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Process.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
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

const std::string kPeers = MC_TEST_MCP_PEERS_DIR;
const std::string kGatewayPeer = kPeers + "/gateway-peer.mjs";
// What gateway-peer.mjs serves before any add-tool, with --extra-tools=6.
const std::vector<std::string> kTenTools = {"echo",     "add-tool", "expire-session", "meta",     "filler-1",
                                            "filler-2", "filler-3", "filler-4",       "filler-5", "filler-6"};

using Overrides = std::map<std::string, std::string>;

// `startGateway` false: everything but the gateway phase, so a test can subscribe first.
struct PeerHost : mc::test::InProcessHost {
    explicit PeerHost(const Overrides& overrides, bool startGateway = true)
        : InProcessHost(withPeerTimings(overrides), startGateway ? Until::Everything : Until::AllButGateway) {}
    static Overrides withPeerTimings(Overrides overrides) {
        overrides.emplace("gateway.ping_interval_ms", "300");
        overrides.emplace("gateway.ping_timeout_ms", "5000");
        return overrides;
    }
};

// gateway-peer.mjs over stdio, writing its pid to <pidDir>/<id>.pid (exec keeps the pid).
Overrides stdioPeer(const std::string& id, const TempDir& pidDir, const std::vector<std::string>& flags) {
    std::string command = "echo $$ > " + pidDir.file(id + ".pid") + "; exec node " + kGatewayPeer + " stdio";
    for (const auto& f : flags) command += " " + f;
    return {{"mcp.servers." + id + ".transport", "stdio"},
            {"mcp.servers." + id + ".command", "/bin/sh"},
            {"mcp.servers." + id + ".args", "[\"-c\",\"" + command + "\"]"},
            {"mcp.servers." + id + ".shutdown_grace_ms", "1000"}};
}

Overrides httpServer(const std::string& id, unsigned short port) {
    return {{"mcp.servers." + id + ".transport", "http"},
            {"mcp.servers." + id + ".url", "http://127.0.0.1:" + std::to_string(port) + "/mcp"}};
}

int pidOf(const TempDir& pidDir, const std::string& id) {
    std::ifstream in(pidDir.file(id + ".pid"));
    int pid = 0;
    in >> pid;
    return pid;
}

// Tool names of a detail (tool objects) or a summary (plain names), in order.
std::vector<std::string> toolNames(const Poco::JSON::Object::Ptr& view) {
    std::vector<std::string> out;
    auto tools = view->getArray("tools");
    for (std::size_t i = 0; i < tools->size(); ++i) {
        const auto entry = tools->get(static_cast<unsigned>(i));
        out.push_back(entry.isString() ? entry.extract<std::string>()
                                       : tools->getObject(static_cast<unsigned>(i))->getValue<std::string>("name"));
    }
    return out;
}

std::vector<std::string> strings(const Poco::JSON::Array::Ptr& array) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto v = array->get(static_cast<unsigned>(i));
        out.push_back(v.isEmpty() ? "<null>" : v.convert<std::string>());
    }
    return out;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
    return out;
}

std::string firstText(const mc::test::HttpResult& r) {
    return r.json()->getArray("content")->getObject(0)->getValue<std::string>("text");
}

mc::test::HttpResult callTool(unsigned short port, const std::string& id, const std::string& tool, const std::string& args) {
    return httpRequest("POST", port, "/api/mcps/" + id + "/tools/" + tool + "/call", "{\"arguments\":" + args + "}");
}

// gateway-peer.mjs in HTTP mode on a free loopback port; killed and reaped by the destructor.
class HttpGatewayPeer : public mc::test::NodeHttpPeer {
public:
    explicit HttpGatewayPeer(const std::vector<std::string>& flags) : NodeHttpPeer(withMode(flags)) {}
    Poco::JSON::Object::Ptr debug() const { return httpGet(port(), "/debug").json(); }

private:
    static std::vector<std::string> withMode(const std::vector<std::string>& flags) {
        std::vector<std::string> args{kGatewayPeer, "http"};
        args.insert(args.end(), flags.begin(), flags.end());
        return args;
    }
};

} // namespace

class GatewayPeerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(GatewayPeerTest);
    CPPUNIT_TEST(paginatedToolListsArriveWholeAndInOrder);
    CPPUNIT_TEST(aChattyServerIsHeldToItsLogBudget);
    CPPUNIT_TEST(toolListChangedIsFollowedAndAnnounced);
    CPPUNIT_TEST(expiredHttpSessionIsReplacedByANewOne);
    CPPUNIT_TEST(plainJsonResponsesWorkEndToEnd);
    CPPUNIT_TEST(olderProtocolVersionsAreAcceptedAndUnknownOnesRefused);
    CPPUNIT_TEST(answersPassOnAsTheServerWroteThem);
    CPPUNIT_TEST_SUITE_END();

public:
    // A real MCP server sends 3,000 log notifications back to back: it gets its budget (a burst of 200
    // plus 100 a second), the rest is counted in one persisted notice per second, and stored + counted
    // adds up to what it sent.
    void aChattyServerIsHeldToItsLogBudget() {
        const std::string burstPeer = kPeers + "/log-burst-peer.mjs";
        PeerHost host({{"mcp.servers.chatty.transport", "stdio"},
                       {"mcp.servers.chatty.command", "node"},
                       {"mcp.servers.chatty.args", "[\"" + burstPeer + "\",\"stdio\"]"},
                       {"gateway.log_rate_per_second", "100"},
                       {"gateway.log_burst", "200"}});
        CPPUNIT_ASSERT(mc::test::eventually([&] { return mc::test::statusOf(host.port(), "chatty") == "connected"; }));
        auto r = callTool(host.port(), "chatty", "log-burst", R"({"count":3000,"interval_ms":0})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        long long stored = 0, counted = 0;
        CPPUNIT_ASSERT(mc::test::eventually([&] {
            stored = 0;
            counted = 0;
            std::string cursor;
            for (;;) {
                auto page = httpGet(host.port(), "/api/logs?mcp_id=chatty&limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor)).json();
                auto items = page->getArray("items");
                for (std::size_t i = 0; i < items->size(); ++i) {
                    auto item = items->getObject(static_cast<unsigned>(i));
                    if (item->getValue<std::string>("service") == "burst") ++stored;
                    else if (item->getValue<std::string>("service") == "mission-control")
                        counted += item->getObject("context")->getValue<long long>("dropped");
                }
                if (page->isNull("next_cursor")) break;
                cursor = page->getValue<std::string>("next_cursor");
            }
            return stored + counted == 3000;
        }, 15000));
        CPPUNIT_ASSERT_MESSAGE(std::to_string(stored) + " stored", stored >= 200 && stored < 1000);
        auto notice = httpGet(host.port(), "/api/logs?mcp_id=chatty&service=mission-control&limit=1").json()->getArray("items")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("WARN"), notice->getValue<std::string>("level"));
        CPPUNIT_ASSERT(notice->getValue<std::string>("message").find("log line(s) of MCP server 'chatty' over its budget "
                                                                    "(gateway.log_rate_per_second = 100, gateway.log_burst = 200)") !=
                       std::string::npos);
    }

    void paginatedToolListsArriveWholeAndInOrder() {
        TempDir pids;
        HttpGatewayPeer remote({"--pages=3", "--extra-tools=6"});
        CPPUNIT_ASSERT(remote.ready());
        int localPid = 0;
        {
            PeerHost h(merge({stdioPeer("local", pids, {"--pages=3", "--extra-tools=6"}), httpServer("remote", remote.port())}));
            CPPUNIT_ASSERT_MESSAGE(httpGet(h.port(), "/api/mcps").body, eventually([&] {
                return statusOf(h.port(), "local") == "connected" && statusOf(h.port(), "remote") == "connected";
            }));
            for (const std::string id : {"local", "remote"}) {
                auto detail = mcp(h.port(), id);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(id, join(kTenTools), join(toolNames(detail)));
                CPPUNIT_ASSERT_EQUAL(10, detail->getValue<int>("tool_count"));
                CPPUNIT_ASSERT_EQUAL(std::string("mc-gateway-peer"), detail->getObject("server_info")->getValue<std::string>("name"));
                CPPUNIT_ASSERT_EQUAL(std::string("2.3.4"), detail->getValue<std::string>("version"));
                CPPUNIT_ASSERT_EQUAL(std::string("gateway test peer"), detail->getValue<std::string>("instructions"));
                // A tool from the last page is callable.
                auto called = callTool(h.port(), id, "filler-6", "{}");
                CPPUNIT_ASSERT_EQUAL_MESSAGE(called.body, 200, called.status);
                CPPUNIT_ASSERT_EQUAL(std::string("called filler-6"), firstText(called));
            }
            // The gateway followed the cursors exactly once each: no page fetched twice.
            CPPUNIT_ASSERT_EQUAL(std::string("<null>,page-1,page-2"), join(strings(remote.debug()->getArray("listCursors"))));
            localPid = pidOf(pids, "local");
            CPPUNIT_ASSERT(localPid > 0);
            h.runtime->stop();
        }
        CPPUNIT_ASSERT_MESSAGE(std::to_string(localPid), processGone(localPid));
    }

    void toolListChangedIsFollowedAndAnnounced() {
        TempDir pids;
        int pid = 0;
        {
            PeerHost h(stdioPeer("dyn", pids, {"--pages=2"}), false);
            TestWebSocket events(h.port());
            events.receiveType("welcome");
            events.sendText(R"({"type":"subscribe","channel":"mcps"})");
            events.receiveType("subscribed");
            h.runtime->startGateway();
            CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "dyn") == "connected"; }));
            CPPUNIT_ASSERT_EQUAL(std::string("echo,add-tool,expire-session,meta"), join(toolNames(mcp(h.port(), "dyn"))));
            CPPUNIT_ASSERT_EQUAL(404, callTool(h.port(), "dyn", "late-tool", "{}").status); // not there yet

            auto added = callTool(h.port(), "dyn", "add-tool", R"({"name":"late-tool"})");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(added.body, 200, added.status);
            CPPUNIT_ASSERT_EQUAL(std::string("added late-tool"), firstText(added));

            Poco::JSON::Object::Ptr changed;
            for (int i = 0; i < 20 && !changed; ++i) { // skip the status events of the connect
                auto payload = events.receiveType("mcp", 15000)->getObject("payload");
                if (payload->getValue<std::string>("change") == "tools_changed") changed = payload;
            }
            CPPUNIT_ASSERT(changed);
            CPPUNIT_ASSERT_EQUAL(std::string("dyn"), changed->getValue<std::string>("id"));
            CPPUNIT_ASSERT_EQUAL(std::string("connected"), changed->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(std::string("echo,add-tool,expire-session,meta,late-tool"), join(toolNames(changed)));
            CPPUNIT_ASSERT_EQUAL(5, changed->getValue<int>("tool_count"));

            auto detail = mcp(h.port(), "dyn");
            CPPUNIT_ASSERT_EQUAL(std::string("echo,add-tool,expire-session,meta,late-tool"), join(toolNames(detail)));
            auto late = callTool(h.port(), "dyn", "late-tool", "{}");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(late.body, 200, late.status);
            CPPUNIT_ASSERT_EQUAL(std::string("called late-tool"), firstText(late));

            // A list_changed that changed nothing: listed again, and nobody told (agents would list
            // again for nothing). The next event of a change is that of the next real change.
            const auto listed = [&] {
                const auto items = httpGet(h.port(), "/api/mcps/dyn/messages?method=tools/list&limit=100").json()->getArray("items");
                int responses = 0;
                for (std::size_t i = 0; i < items->size(); ++i)
                    responses += items->getObject(static_cast<unsigned>(i))->getValue<std::string>("kind") == "response";
                return responses;
            };
            const int listedBefore = listed();
            auto again = callTool(h.port(), "dyn", "add-tool", R"({"name":"late-tool"})");
            CPPUNIT_ASSERT_EQUAL(std::string("tool late-tool exists"), firstText(again));
            CPPUNIT_ASSERT(eventually([&] { return listed() == listedBefore + 2; })); // two pages, the same tools
            auto another = callTool(h.port(), "dyn", "add-tool", R"({"name":"later-tool"})");
            CPPUNIT_ASSERT_EQUAL(std::string("added later-tool"), firstText(another));
            Poco::JSON::Object::Ptr next;
            for (int i = 0; i < 20 && !next; ++i) {
                auto payload = events.receiveType("mcp", 15000)->getObject("payload");
                if (payload->getValue<std::string>("change") == "tools_changed") next = payload;
            }
            CPPUNIT_ASSERT(next);
            CPPUNIT_ASSERT_EQUAL(std::string("echo,add-tool,expire-session,meta,late-tool,later-tool"), join(toolNames(next)));
            pid = pidOf(pids, "dyn");
            CPPUNIT_ASSERT(pid > 0);
            h.runtime->stop();
        }
        CPPUNIT_ASSERT_MESSAGE(std::to_string(pid), processGone(pid));
    }

    void expiredHttpSessionIsReplacedByANewOne() {
        HttpGatewayPeer peer({});
        CPPUNIT_ASSERT(peer.ready());
        PeerHost h(httpServer("remote", peer.port()));
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "remote") == "connected"; }));
        TestWebSocket events(h.port());
        events.receiveType("welcome");
        events.sendText(R"({"type":"subscribe","channel":"mcps:remote"})");
        events.receiveType("subscribed");
        auto before = peer.debug();
        CPPUNIT_ASSERT_EQUAL(1, before->getValue<int>("initializations"));
        const std::string firstSession = before->getArray("sessions")->getElement<std::string>(0);

        auto expire = callTool(h.port(), "remote", "expire-session", "{}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(expire.body, 200, expire.status);
        CPPUNIT_ASSERT_EQUAL("expiring " + firstSession, firstText(expire));

        // The next request (a ping) meets a 404: disconnected for "session expired", then a new session.
        auto down = events.receiveType("mcp", 15000)->getObject("payload");
        CPPUNIT_ASSERT_EQUAL(std::string("disconnected"), down->getValue<std::string>("status"));
        CPPUNIT_ASSERT_MESSAGE(down->getValue<std::string>("last_error"),
                               down->getValue<std::string>("last_error").find("session expired") != std::string::npos);
        Poco::JSON::Object::Ptr up;
        for (int i = 0; i < 20 && !up; ++i) {
            auto payload = events.receiveType("mcp", 15000)->getObject("payload");
            if (payload->getValue<std::string>("status") == "connected") up = payload;
        }
        CPPUNIT_ASSERT(up);
        CPPUNIT_ASSERT_EQUAL(std::string("echo,add-tool,expire-session,meta"), join(toolNames(up)));
        CPPUNIT_ASSERT(up->isNull("last_error"));

        auto after = peer.debug();
        CPPUNIT_ASSERT_EQUAL(2, after->getValue<int>("initializations"));
        const auto sessions = strings(after->getArray("sessions"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), sessions.size());
        CPPUNIT_ASSERT(sessions[1] != firstSession);
        CPPUNIT_ASSERT_EQUAL(firstSession, join(strings(after->getArray("expired"))));

        auto echo = callTool(h.port(), "remote", "echo", R"({"message":"after expiry"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(echo.body, 200, echo.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: after expiry"), firstText(echo));
        CPPUNIT_ASSERT_EQUAL(std::string("connected"), statusOf(h.port(), "remote"));
    }

    void plainJsonResponsesWorkEndToEnd() {
        HttpGatewayPeer peer({"--json", "--pages=3", "--extra-tools=6"});
        CPPUNIT_ASSERT(peer.ready());
        // The peer really answers POSTs with plain JSON, not an event stream.
        auto direct = httpRequest("POST", peer.port(), "/mcp",
                                  R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
                                  R"("capabilities":{},"clientInfo":{"name":"probe","version":"1"}}})",
                                  {{"Content-Type", "application/json"}, {"Accept", "application/json, text/event-stream"}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(direct.body, 200, direct.status);
        std::string contentType;
        for (const auto& [k, v] : direct.headers)
            if (Poco::icompare(k, "Content-Type") == 0) contentType = v;
        CPPUNIT_ASSERT_MESSAGE(contentType, contentType.rfind("application/json", 0) == 0);

        PeerHost h(httpServer("plain", peer.port()));
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "plain") == "connected"; }));
        CPPUNIT_ASSERT_EQUAL(join(kTenTools), join(toolNames(mcp(h.port(), "plain"))));
        auto echo = callTool(h.port(), "plain", "echo", R"({"message":"plain json"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(echo.body, 200, echo.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: plain json"), firstText(echo));
        CPPUNIT_ASSERT_EQUAL(false, echo.json()->getValue<bool>("isError"));
        // A tool error result travels the same way.
        auto duplicate = callTool(h.port(), "plain", "add-tool", R"({"name":"echo"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(duplicate.body, 200, duplicate.status);
        CPPUNIT_ASSERT_EQUAL(true, duplicate.json()->getValue<bool>("isError"));
        CPPUNIT_ASSERT_EQUAL(std::string("tool echo exists"), firstText(duplicate));
        // The server's version reaches it on later requests.
        const auto headers = strings(peer.debug()->getArray("protocolHeaders"));
        CPPUNIT_ASSERT(!headers.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("2025-11-25"), headers.back());
    }

    // A tool call's content reaches the caller as the server wrote it (the gateway reads the answer with
    // the scanner and parses nothing of it): spaces and \u escapes stay. An answer in a batch (the
    // 2025-03-26 era's form) is read by the general path and comes out the same, written compactly.
    void answersPassOnAsTheServerWroteThem() {
        TempDir pids;
        PeerHost h(merge({stdioPeer("spaced", pids, {"--written=spaced"}), stdioPeer("batched", pids, {"--written=batch"})}));
        CPPUNIT_ASSERT(eventually([&] { return statusOf(h.port(), "spaced") == "connected" && statusOf(h.port(), "batched") == "connected"; }));
        const std::string message = "caf\xC3\xA9 \xE2\x9C\x93"; // "café ✓"
        auto spaced = callTool(h.port(), "spaced", "echo", "{\"message\":\"" + message + "\"}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(spaced.body, 200, spaced.status);
        CPPUNIT_ASSERT_EQUAL("Echo: " + message, firstText(spaced));
        CPPUNIT_ASSERT_MESSAGE(spaced.body, spaced.body.find(R"("content":[ { "type": "text", "text": "Echo: caf\u00e9 \u2713" } ])") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(false, spaced.json()->getValue<bool>("isError"));
        auto batched = callTool(h.port(), "batched", "echo", "{\"message\":\"" + message + "\"}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(batched.body, 200, batched.status);
        CPPUNIT_ASSERT_EQUAL("Echo: " + message, firstText(batched));
        CPPUNIT_ASSERT_EQUAL(false, batched.json()->getValue<bool>("isError"));
        // isError read from either form.
        for (const std::string id : {"spaced", "batched"}) {
            auto duplicate = callTool(h.port(), id, "add-tool", R"({"name":"echo"})");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(duplicate.body, 200, duplicate.status);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(id, true, duplicate.json()->getValue<bool>("isError"));
            CPPUNIT_ASSERT_EQUAL(std::string("tool echo exists"), firstText(duplicate));
        }
        // Any answer, not only a tool call's: a prompt got through the host's /mcp comes back as the
        // server wrote it, and from a batch all the same.
        std::map<std::string, std::string> headers = {{"Content-Type", "application/json"}, {"Accept", "application/json, text/event-stream"}};
        const auto init = httpRequest("POST", h.port(), "/mcp",
                                      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",)"
                                      R"("capabilities":{},"clientInfo":{"name":"Raw Agent","version":"0.1"}}})",
                                      headers);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(init.body, 200, init.status);
        headers["Mcp-Session-Id"] = init.headers.at("Mcp-Session-Id");
        for (const std::string id : {"spaced", "batched"}) {
            mc::test::HttpResult got;
            CPPUNIT_ASSERT_MESSAGE(got.body, eventually([&] { // the prompts are listed just after the server connects
                got = httpRequest("POST", h.port(), "/mcp",
                                  R"({"jsonrpc":"2.0","id":2,"method":"prompts/get","params":{"name":")" + id +
                                      R"(__greet","arguments":{"name":"Ada"}}})",
                                  headers);
                return got.status == 200 && got.body.find("\"result\"") != std::string::npos;
            }));
            const auto text = got.json()->getObject("result")->getArray("messages")->getObject(0)->getObject("content")->getValue<std::string>("text");
            CPPUNIT_ASSERT_EQUAL(std::string("Hello, Ada \xE2\x9C\x93"), text);
            if (id == "spaced")
                CPPUNIT_ASSERT_MESSAGE(got.body, got.body.find(R"({ "messages": [ { "role": "user", "content": { "type": "text", "text": "Hello, Ada \u2713" } } ] })") !=
                                                     std::string::npos);
        }
    }

    void olderProtocolVersionsAreAcceptedAndUnknownOnesRefused() {
        TempDir pids;
        HttpGatewayPeer remote({"--protocol=2025-06-18"});
        CPPUNIT_ASSERT(remote.ready());
        std::vector<int> children;
        {
            PeerHost h(merge({stdioPeer("old", pids, {"--protocol=2024-11-05"}), httpServer("remote", remote.port()),
                              stdioPeer("future", pids, {"--protocol=1999-01-01"})}));
            CPPUNIT_ASSERT_MESSAGE(httpGet(h.port(), "/api/mcps").body, eventually([&] {
                return statusOf(h.port(), "old") == "connected" && statusOf(h.port(), "remote") == "connected";
            }));
            CPPUNIT_ASSERT_EQUAL(std::string("2024-11-05"), mcp(h.port(), "old")->getValue<std::string>("protocol_version"));
            CPPUNIT_ASSERT_EQUAL(std::string("2025-06-18"), mcp(h.port(), "remote")->getValue<std::string>("protocol_version"));
            for (const std::string id : {"old", "remote"}) {
                auto echo = callTool(h.port(), id, "echo", "{\"message\":\"" + id + "\"}");
                CPPUNIT_ASSERT_EQUAL_MESSAGE(echo.body, 200, echo.status);
                CPPUNIT_ASSERT_EQUAL("Echo: " + id, firstText(echo));
            }
            // Over HTTP the negotiated (older) version is the header of every request after initialize;
            // before it, only the probe of the new era (server/discover, refused by this 2025 server).
            const auto headers = strings(remote.debug()->getArray("protocolHeaders"));
            CPPUNIT_ASSERT(headers.size() > 1);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(join(headers), std::string("2026-07-28"), headers.front());
            for (std::size_t i = 1; i < headers.size(); ++i) CPPUNIT_ASSERT_EQUAL_MESSAGE(join(headers), std::string("2025-06-18"), headers[i]);

            Poco::JSON::Object::Ptr refused;
            CPPUNIT_ASSERT(eventually([&] {
                refused = mcp(h.port(), "future");
                return refused && refused->getValue<std::string>("status") == "disconnected" && !refused->isNull("last_error");
            }));
            const std::string error = refused->getValue<std::string>("last_error");
            CPPUNIT_ASSERT_MESSAGE(error, error.find("protocol version '1999-01-01'") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(error, error.find("2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05") != std::string::npos);
            CPPUNIT_ASSERT(refused->isNull("protocol_version"));
            CPPUNIT_ASSERT_EQUAL(0, refused->getValue<int>("tool_count"));
            auto call = callTool(h.port(), "future", "echo", R"({"message":"x"})");
            CPPUNIT_ASSERT_EQUAL(503, call.status);
            CPPUNIT_ASSERT(call.body.find("1999-01-01") != std::string::npos);
            children = {pidOf(pids, "old"), pidOf(pids, "future")};
            h.runtime->stop();
        }
        for (int pid : children) CPPUNIT_ASSERT_MESSAGE(std::to_string(pid), processGone(pid));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GatewayPeerTest);
