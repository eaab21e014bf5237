// mcp-http against real MCP servers over loopback: @modelcontextprotocol/server-everything in its
// streamableHttp and sse modes, and tests/mcp-peers/streamable-peer.mjs (official TypeScript SDK) for
// plain JSON responses, expired sessions and resumed streams.
#include "McpHttpTestSupport.h"
#include "NetworkNamespace.h"

#include <Poco/String.h>
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <cstdlib>
#include <set>

using namespace mc::test::mcphttp;
using mc::test::httpRequest;

namespace {

std::string config(const std::string& url, const std::string& transport = "http", const std::string& extra = "") {
    return R"({"id":"remote","transport":")" + transport + R"(","url":")" + url + R"(","connect_timeout_ms":3000,"read_timeout_ms":15000)" +
           extra + "}";
}

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

std::vector<std::string> toolNames(const Poco::JSON::Object::Ptr& listResponse) {
    std::vector<std::string> names;
    auto tools = listResponse->getObject("result")->getArray("tools");
    for (std::size_t i = 0; i < tools->size(); ++i) names.push_back(tools->getObject(static_cast<unsigned>(i))->getValue<std::string>("name"));
    return names;
}

std::vector<std::string> stringArray(const Poco::JSON::Object::Ptr& obj, const std::string& key) {
    std::vector<std::string> out;
    auto array = obj->getArray(key);
    for (std::size_t i = 0; i < array->size(); ++i) out.push_back(array->getElement<std::string>(static_cast<unsigned>(i)));
    return out;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
    return out;
}

Poco::JSON::Object::Ptr debugState(const NodePeer& peer) {
    auto result = mc::test::httpGet(peer.port(), "/debug");
    CPPUNIT_ASSERT_EQUAL(200, result.status);
    return result.json();
}

std::string sessionFromEverythingText(const std::string& text) {
    const auto at = text.find("session ");
    CPPUNIT_ASSERT_MESSAGE(text, at != std::string::npos);
    return text.substr(at + 8, 36);
}

} // namespace

class McpHttpTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(McpHttpTest);
    CPPUNIT_TEST(testEverythingStreamableHttpSessionToolsNotificationsAndDelete);
    CPPUNIT_TEST(testEverythingLegacySseForced);
    CPPUNIT_TEST(testHttpFallsBackToLegacySseAutomatically);
    CPPUNIT_TEST(testConnectionRefusedFailsOpenWithReason);
    CPPUNIT_TEST(testInvalidConfigIsRejectedWithReason);
    CPPUNIT_TEST(testInvalidMessagesAndSendAfterCloseAreRefused);
    CPPUNIT_TEST(testPlainJsonResponsesAndHeaders);
    CPPUNIT_TEST(testRequestsOfTheNewEraCarryTheirOwnHeadersAndNoSession);
    CPPUNIT_TEST(testExpiredSessionIsReportedAndANewInitializeStartsOver);
    CPPUNIT_TEST(testAnswersInFlightArriveBeforeTheSessionEndIsReported);
    CPPUNIT_TEST(testStreamClosedWithRetryIsResumedWithLastEventId);
    CPPUNIT_TEST(testServerMessagesArriveOnTheGetStream);
    CPPUNIT_TEST(testConcurrentRequestsAreAnsweredAndDeliveryIsSerialized);
    CPPUNIT_TEST(testServerDyingIsReportedAsUnreachable);
    CPPUNIT_TEST(testHttpsVerifiesCertificatesUnlessDisabled);
    CPPUNIT_TEST(testConnectAddressIsUsedInsteadOfResolvingTheName);
    CPPUNIT_TEST(testSequentialRequestsReuseOneKeepAliveConnection);
    CPPUNIT_TEST(testRequestsInFlightAreBoundedByMaxConnections);
    CPPUNIT_TEST(testAPooledConnectionTheServerClosedIsReplaced);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEverythingStreamableHttpSessionToolsNotificationsAndDelete() {
        NodePeer server({everythingScript(), "streamableHttp"});
        TransportProbe transport(config(server.url("/mcp")));
        transport.openOrFail();
        auto init = transport.initialize(1);
        CPPUNIT_ASSERT_EQUAL(std::string("2025-11-25"), init->getValue<std::string>("protocolVersion"));
        CPPUNIT_ASSERT(init->getObject("serverInfo")->getValue<std::string>("name").size() > 0);
        CPPUNIT_ASSERT(init->getObject("capabilities")->has("tools"));
        // The connection reports itself OK once the server answers.
        const auto statuses = transport.statuses();
        CPPUNIT_ASSERT(!statuses.empty());
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_OK, statuses.front().status);
        CPPUNIT_ASSERT_EQUAL(std::string("the server answers"), statuses.front().message);

        auto names = toolNames(transport.request(2, "tools/list"));
        CPPUNIT_ASSERT(std::find(names.begin(), names.end(), "echo") != names.end());
        CPPUNIT_ASSERT(std::find(names.begin(), names.end(), "toggle-simulated-logging") != names.end());
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: hello mc"), transport.callToolText(3, "echo", R"({"message":"hello mc"})"));

        // The server knows this call by the session the transport kept from initialize.
        const std::string started = transport.callToolText(4, "toggle-simulated-logging", "{}");
        CPPUNIT_ASSERT_MESSAGE(started, contains(started, "Started simulated"));
        const std::string sessionId = sessionFromEverythingText(started);
        // Its log notifications come on the GET stream (not tied to any request).
        auto log = transport.waitFor([](const Poco::JSON::Object::Ptr& m) { return isNotification(m, "notifications/message"); },
                                     20000, "a notifications/message from the GET stream");
        CPPUNIT_ASSERT(contains(log->getObject("params")->getValue<std::string>("data"), sessionId));
        // A tool error comes back as a result, untouched.
        auto bad = transport.request(5, "tools/call", R"({"name":"no-such-tool","arguments":{}})");
        CPPUNIT_ASSERT(bad->has("error") || bad->getObject("result")->getValue<bool>("isError"));

        // Before close the session exists (GET with it is accepted); after close it is deleted.
        CPPUNIT_ASSERT_EQUAL(MC_OK, transport.close());
        auto after = httpRequest("DELETE", server.port(), "/mcp", "", {{"Mcp-Session-Id", sessionId}});
        CPPUNIT_ASSERT_EQUAL(400, after.status);
        CPPUNIT_ASSERT_MESSAGE(after.body, contains(after.body, "No valid session ID"));
        CPPUNIT_ASSERT_MESSAGE(server.output(), contains(server.output(), "Received session termination request for session " + sessionId));
    }

    void testEverythingLegacySseForced() {
        NodePeer server({everythingScript(), "sse"});
        TransportProbe transport(config(server.url("/sse"), "sse"));
        transport.openOrFail();
        auto init = transport.initialize(1, "2024-11-05");
        CPPUNIT_ASSERT_EQUAL(std::string("2024-11-05"), init->getValue<std::string>("protocolVersion"));
        auto names = toolNames(transport.request(2, "tools/list"));
        CPPUNIT_ASSERT(std::find(names.begin(), names.end(), "get-sum") != names.end());
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: over sse"), transport.callToolText(3, "echo", R"({"message":"over sse"})"));
        auto sum = transport.callToolText(4, "get-sum", R"({"a":2,"b":40})");
        CPPUNIT_ASSERT_MESSAGE(sum, contains(sum, "42"));
        CPPUNIT_ASSERT_EQUAL(MC_OK, transport.close());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), transport.closedCount()); // no on_closed for our own close
    }

    void testHttpFallsBackToLegacySseAutomatically() {
        NodePeer server({everythingScript(), "sse"});
        TransportProbe transport(config(server.url("/sse"), "http"));
        transport.openOrFail();
        auto init = transport.initialize(1);
        CPPUNIT_ASSERT(init->getObject("serverInfo")->getValue<std::string>("name").size() > 0);
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: fell back"), transport.callToolText(2, "echo", R"({"message":"fell back"})"));
        const auto logs = transport.logLines();
        CPPUNIT_ASSERT_MESSAGE("no fallback log", std::any_of(logs.begin(), logs.end(), [](const std::string& l) {
                                   return contains(l, "HTTP 404") && contains(l, "falling back to the HTTP+SSE transport");
                               }));
    }

    void testConnectionRefusedFailsOpenWithReason() {
        const unsigned short port = mc::test::freePort();
        TransportProbe transport(config("http://127.0.0.1:" + std::to_string(port) + "/mcp"));
        std::string reason;
        CPPUNIT_ASSERT_EQUAL(MC_ERR_IO, transport.open(reason));
        CPPUNIT_ASSERT_MESSAGE(reason, contains(reason, "cannot connect to MCP server remote (http://127.0.0.1:" + std::to_string(port) + "/mcp)"));
        CPPUNIT_ASSERT_MESSAGE(reason, contains(reason, "refused"));
        CPPUNIT_ASSERT_EQUAL(MC_ERR_UNAVAILABLE, transport.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})", reason));
    }

    // validate() refuses with the messages POST /api/mcps answers (the fields moved from the host's
    // McpServerConfig into the plugin's server table).
    void testInvalidConfigIsRejectedWithReason() {
        const std::vector<std::pair<std::string, std::string>> cases = {
            {R"({"transport":"http"})", "\"url\" is required"},
            {R"({"url":"ftp://127.0.0.1/x"})", "\"url\" must be an http:// or https:// URL (got 'ftp://127.0.0.1/x')"},
            {R"({"url":"http://127.0.0.1:1/mcp","transport":"websocket"})",
             "\"transport\" 'websocket' is not served by mcp-http"},
            {R"({"url":"http://127.0.0.1:1/mcp","headers":{"Mcp-Session-Id":"x"}})",
             "\"headers\".Mcp-Session-Id is set by the transport and cannot be configured"},
            {R"({"url":"http://127.0.0.1:1/mcp","headers":{"X-A":"a\r\nInjected: 1"}})", "\"headers\".X-A must not contain line breaks"},
            {R"({"url":"http://127.0.0.1:1/mcp","headers":{"Bad Name":"x"}})", "\"headers\" name 'Bad Name' is not a valid HTTP header name"},
            {R"({"url":"http://127.0.0.1:1/mcp","headers":["Authorization"]})", "\"headers\" must be an object of string values, not an array"},
            {R"({"url":"http://127.0.0.1:1/mcp","read_timeout_ms":-5})", "\"read_timeout_ms\" must be in 1..3600000 (got -5)"},
            {R"({"url":"http://127.0.0.1:1/mcp","connect_timeout_ms":"soon"})", "\"connect_timeout_ms\" must be an integer number of milliseconds"},
            {R"({"url":"http://127.0.0.1:1/mcp","tls_verify":"maybe"})", "\"tls_verify\" must be true or false, not 'maybe'"},
            {R"({"url":"http://user:pw@127.0.0.1:1/mcp"})", "must not carry credentials"},
            {R"({"url":"http://mcp.example.test/mcp","connect_address":"mcp.example.test"})",
             "\"connect_address\" must be an IP address, got 'mcp.example.test'"},
            {R"({"url":"http://127.0.0.1:1/mcp","command":"node"})", "\"command\" applies to stdio servers only, not to transport http"},
            {R"({"url":"http://127.0.0.1:1/mcp","ulr":"x"})", "unknown field \"ulr\""},
            {R"([1,2])", "not a JSON object"},
        };
        for (const auto& [json, expected] : cases) {
            try {
                createTransport(json);
                CPPUNIT_FAIL("accepted: " + json);
            } catch (const std::runtime_error& e) {
                CPPUNIT_ASSERT_MESSAGE(json + " -> " + e.what(), contains(e.what(), expected));
                CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "validate failed (config)"));
            }
        }
        // The flat properties form (all strings) is accepted too.
        CPPUNIT_ASSERT_NO_THROW(createTransport(
            R"({"url":"https://example.invalid/mcp","transport":"sse","read_timeout_ms":"2000","tls_verify":"false","headers.Authorization":"Bearer x"})"));
    }

    void testInvalidMessagesAndSendAfterCloseAreRefused() {
        NodePeer server({peersDir() + "/streamable-peer.mjs"});
        TransportProbe transport(config(server.url("/mcp")));
        transport.openOrFail();
        std::string reason;
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, transport.send("{not json", reason));
        CPPUNIT_ASSERT_MESSAGE(reason, contains(reason, "invalid JSON"));
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, transport.send(R"({"jsonrpc":"2.0","id":1})", reason));
        CPPUNIT_ASSERT_MESSAGE(reason, contains(reason, "no method, result or error"));
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, transport.send(R"([{"jsonrpc":"2.0","method":"a"}])", reason));
        transport.initialize(1);
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: still fine"), transport.callToolText(2, "echo", R"({"message":"still fine"})"));
        CPPUNIT_ASSERT_EQUAL(MC_OK, transport.close());
        CPPUNIT_ASSERT_EQUAL(MC_OK, transport.close()); // idempotent
        // After close_connection the connection is gone (the host never sends on it again).
        CPPUNIT_ASSERT_EQUAL(MC_ERR_UNAVAILABLE, transport.send(R"({"jsonrpc":"2.0","id":3,"method":"ping"})", reason));
        CPPUNIT_ASSERT_MESSAGE(reason, contains(reason, "not open"));
    }

    void testRequestsOfTheNewEraCarryTheirOwnHeadersAndNoSession() {
        NodePeer server({peersDir() + "/modern-peer.mjs", "--legacy=reject"});
        TransportProbe transport(config(server.url("/mcp")));
        transport.openOrFail();
        const std::string meta = R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",)"
                                 R"("io.modelcontextprotocol/clientCapabilities":{}})";
        auto discovered = transport.request(1, "server/discover", "{" + meta + "}");
        CPPUNIT_ASSERT_EQUAL(std::string("2026-07-28"), discovered->getObject("result")->getArray("supportedVersions")->getElement<std::string>(0));
        // A name a header cannot carry as it is travels base64-encoded; the server decodes and checks it.
        auto unknown = transport.request(2, "tools/call", R"({"name":"naïve tool","arguments":{},)" + meta + "}");
        CPPUNIT_ASSERT_MESSAGE(TransportProbe::toJson(unknown), contains(TransportProbe::toJson(unknown), "naïve tool"));
        auto echoed = transport.request(3, "tools/call", R"({"name":"echo","arguments":{"message":"m"},)" + meta + "}");
        CPPUNIT_ASSERT_EQUAL(std::string("echo: m"),
                             echoed->getObject("result")->getArray("content")->getObject(0)->getValue<std::string>("text"));
        // A 2025 initialize is refused by this server with its own JSON-RPC error (HTTP 400): passed on as
        // it is, not taken for a server of the legacy HTTP+SSE transport.
        auto refused = transport.request(4, "initialize",
                                         R"({"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}})");
        CPPUNIT_ASSERT_EQUAL(-32022, refused->getObject("error")->getValue<int>("code"));

        const auto seen = debugState(server)->getArray("seen");
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), seen->size());
        const char* methods[] = {"server/discover", "tools/call", "tools/call", "initialize"};
        const char* names[] = {"", "=?base64?bmHDr3ZlIHRvb2w=?=", "echo", ""};
        for (unsigned i = 0; i < 3; ++i) {
            const auto s = seen->getObject(i);
            CPPUNIT_ASSERT_EQUAL(std::string(methods[i]), s->getValue<std::string>("method"));
            CPPUNIT_ASSERT_EQUAL(std::string("2026-07-28"), s->getValue<std::string>("protocolVersion"));
            CPPUNIT_ASSERT_EQUAL(std::string(methods[i]), s->getValue<std::string>("mcpMethod"));
            CPPUNIT_ASSERT_EQUAL(std::string(names[i]), s->isNull("mcpName") ? std::string() : s->getValue<std::string>("mcpName"));
            CPPUNIT_ASSERT(s->isNull("session"));
        }
        CPPUNIT_ASSERT(seen->getObject(3)->isNull("mcpMethod")); // a 2025 request has no Mcp-* headers

        // Each POST was reported as an exchange (ABI 2.2) with the headers it carried and what came back.
        const auto exchanges = transport.exchanges();
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), exchanges.size());
        const char* ids[] = {"1", "2", "3", "4"};
        for (unsigned i = 0; i < 4; ++i) {
            const auto& x = exchanges[i];
            CPPUNIT_ASSERT_EQUAL(std::string("POST"), x.method);
            CPPUNIT_ASSERT_EQUAL(std::string("/mcp"), x.target);
            CPPUNIT_ASSERT_EQUAL(std::string(ids[i]), x.jsonrpcId);
            CPPUNIT_ASSERT(x.requestBytes > 40);
            CPPUNIT_ASSERT(x.durationMicros >= 0);
            CPPUNIT_ASSERT_EQUAL(std::string(), x.error);
            CPPUNIT_ASSERT_MESSAGE(x.responseHeaders, contains(x.responseHeaders, "\r\n"));
            if (i < 3) {
                CPPUNIT_ASSERT_EQUAL(200, x.status);
                CPPUNIT_ASSERT_MESSAGE(x.requestHeaders, contains(x.requestHeaders, std::string("Mcp-Method: ") + methods[i] + "\r\n"));
                CPPUNIT_ASSERT_MESSAGE(x.requestHeaders, contains(x.requestHeaders, "MCP-Protocol-Version: 2026-07-28\r\n"));
            }
        }
        CPPUNIT_ASSERT_MESSAGE(exchanges[1].requestHeaders, contains(exchanges[1].requestHeaders, "Mcp-Name: =?base64?bmHDr3ZlIHRvb2w=?=\r\n"));
        CPPUNIT_ASSERT_EQUAL(400, exchanges[3].status); // the modern-only server refuses a 2025 initialize
        CPPUNIT_ASSERT(!contains(exchanges[3].requestHeaders, "Mcp-Method"));
        CPPUNIT_ASSERT_EQUAL(MC_OK, transport.close());
    }

    void testPlainJsonResponsesAndHeaders() {
        NodePeer server({peersDir() + "/streamable-peer.mjs", "--json"});
        TransportProbe transport(config(server.url("/mcp"), "http",
                                        R"(,"headers":{"Authorization":"Bearer t0k3n","X-MC-Test":"hello"})"));
        transport.openOrFail();
        auto init = transport.initialize(1, "2025-06-18");
        CPPUNIT_ASSERT_EQUAL(std::string("2025-06-18"), init->getValue<std::string>("protocolVersion"));
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: json body"), transport.callToolText(2, "echo", R"({"message":"json body"})"));

        auto headers = parse(transport.callToolText(3, "whoami", "{}"));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-06-18"), headers->getValue<std::string>("mcp-protocol-version"));
        CPPUNIT_ASSERT_EQUAL(std::string("Bearer t0k3n"), headers->getValue<std::string>("authorization"));
        CPPUNIT_ASSERT_EQUAL(std::string("hello"), headers->getValue<std::string>("x-mc-test"));
        CPPUNIT_ASSERT(contains(headers->getValue<std::string>("accept"), "text/event-stream"));
        const std::string sessionId = headers->getValue<std::string>("mcp-session-id");
        CPPUNIT_ASSERT_EQUAL(std::size_t(36), sessionId.size());
        auto state = debugState(server);
        CPPUNIT_ASSERT_EQUAL(sessionId, join(stringArray(state, "sessions")));

        CPPUNIT_ASSERT_EQUAL(MC_OK, transport.close());
        state = debugState(server);
        CPPUNIT_ASSERT_EQUAL(sessionId, join(stringArray(state, "deleted")));
        // Every request after initialize carried the negotiated version, the DELETE included.
        const auto versions = stringArray(state, "protocolVersions");
        CPPUNIT_ASSERT(!versions.empty());
        for (const auto& v : versions) CPPUNIT_ASSERT_MESSAGE(v, contains(v, " 2025-06-18"));
        CPPUNIT_ASSERT_EQUAL(std::string("DELETE 2025-06-18"), versions.back());

        // The exchanges reported carry the configured headers as sent (the host redacts, not the
        // plugin), a JSON body's declared length, and nothing for the DELETE at close.
        const auto exchanges = transport.exchanges();
        CPPUNIT_ASSERT(exchanges.size() >= 4);
        const auto& init0 = exchanges[0];
        CPPUNIT_ASSERT_EQUAL(std::string("POST"), init0.method);
        CPPUNIT_ASSERT_EQUAL(std::string("1"), init0.jsonrpcId);
        CPPUNIT_ASSERT_MESSAGE(init0.requestHeaders, contains(init0.requestHeaders, "Authorization: Bearer t0k3n\r\n"));
        CPPUNIT_ASSERT_MESSAGE(init0.responseHeaders, contains(Poco::toLower(init0.responseHeaders), "mcp-session-id: " + sessionId));
        CPPUNIT_ASSERT(init0.responseBytes > 0);
        for (const auto& x : exchanges) CPPUNIT_ASSERT(x.method != "DELETE");
    }

    void testExpiredSessionIsReportedAndANewInitializeStartsOver() {
        NodePeer server({peersDir() + "/streamable-peer.mjs", "--json"});
        TransportProbe transport(config(server.url("/mcp")));
        transport.openOrFail();
        transport.initialize(1);
        const std::string first = parse(transport.callToolText(2, "whoami", "{}"))->getValue<std::string>("mcp-session-id");
        CPPUNIT_ASSERT(contains(transport.callToolText(3, "expire-session", "{}"), first));

        // The next request meets the expired session; so may the GET stream, reconnecting meanwhile,
        // and then the connection has ended before this send (refused, saying why).
        std::string refused;
        if (transport.send(R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x"}}})",
                           refused) != MC_OK)
            CPPUNIT_ASSERT_MESSAGE(refused, contains(refused, "session expired"));
        const auto closed = transport.waitClosed();
        CPPUNIT_ASSERT_EQUAL(MC_ERR_NOT_FOUND, closed.first);
        CPPUNIT_ASSERT_EQUAL(std::string("session expired"), closed.second);
        std::string reason;
        CPPUNIT_ASSERT_EQUAL(MC_ERR_UNAVAILABLE, transport.send(R"({"jsonrpc":"2.0","id":5,"method":"ping"})", reason));
        CPPUNIT_ASSERT_MESSAGE(reason, contains(reason, "session expired") && contains(reason, "send initialize"));

        // The gateway initializes again: a new session, without the old id.
        transport.initialize(6);
        const std::string second = parse(transport.callToolText(7, "whoami", "{}"))->getValue<std::string>("mcp-session-id");
        CPPUNIT_ASSERT(second.size() == 36 && second != first);
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: again"), transport.callToolText(8, "echo", R"({"message":"again"})"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), transport.closedCount());
    }

    void testAnswersInFlightArriveBeforeTheSessionEndIsReported() {
        NodePeer server({peersDir() + "/streamable-peer.mjs", "--json"});
        TransportProbe transport(config(server.url("/mcp")));
        transport.openOrFail();
        transport.initialize(1);
        // A call the server is still working on when it forgets the session, and a request that then
        // meets the 404: the server's answer to the first still arrives, before the end is reported.
        transport.sendOrFail(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":600}}})");
        const auto sleepStarted = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (debugState(server)->getValue<int>("inFlight") < 1) {
            CPPUNIT_ASSERT_MESSAGE("the server never began the call", std::chrono::steady_clock::now() < sleepStarted);
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        transport.callToolText(3, "expire-session", "{}");
        std::string refused;
        if (transport.send(R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x"}}})",
                           refused) != MC_OK)
            CPPUNIT_ASSERT_MESSAGE(refused, contains(refused, "session expired"));
        const auto closed = transport.waitClosed();
        const auto delivered = transport.messages(); // callbacks are serialized: all before on_closed
        CPPUNIT_ASSERT_EQUAL(std::string("session expired"), closed.second);
        std::string slept;
        for (const auto& m : delivered) {
            auto obj = parse(m);
            if (obj->has("id") && obj->get("id").toString() == "2")
                slept = obj->getObject("result")->getArray("content")->getObject(0)->getValue<std::string>("text");
            CPPUNIT_ASSERT_MESSAGE(m, !(obj->has("id") && obj->get("id").toString() == "4"));
        }
        CPPUNIT_ASSERT_EQUAL(std::string("slept 600"), slept);
        // Nothing of the ended session after it: a new one starts over.
        transport.initialize(5);
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: again"), transport.callToolText(6, "echo", R"({"message":"again"})"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), transport.closedCount());
    }

    void testStreamClosedWithRetryIsResumedWithLastEventId() {
        NodePeer server({peersDir() + "/streamable-peer.mjs", "--retry-ms=300"});
        TransportProbe transport(config(server.url("/mcp")));
        transport.openOrFail();
        transport.initialize(1);
        CPPUNIT_ASSERT_EQUAL(std::string("Slow echo: resume me"),
                             transport.callToolText(2, "slow-echo", R"({"message":"resume me","delay_ms":800})"));
        // Both notifications arrived, in order, before the response.
        std::vector<std::string> order;
        for (const auto& m : transport.messages()) {
            auto obj = parse(m);
            if (isNotification(obj, "notifications/message")) order.push_back(obj->getObject("params")->getValue<std::string>("data"));
            if (obj->has("id") && obj->get("id").toString() == "2") order.push_back("response");
        }
        const std::vector<std::string> expected{"before close: resume me", "after close: resume me", "response"};
        CPPUNIT_ASSERT_EQUAL(join(expected), join(order));
        // The transport came back with the id of the last event it had seen.
        const auto resumes = stringArray(debugState(server), "resumes");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), resumes.size());
        CPPUNIT_ASSERT_MESSAGE(resumes[0], contains(resumes[0], "::"));
    }

    void testServerMessagesArriveOnTheGetStream() {
        NodePeer server({peersDir() + "/streamable-peer.mjs", "--retry-ms=300"});
        TransportProbe transport(config(server.url("/mcp")));
        transport.openOrFail();
        transport.initialize(1);
        CPPUNIT_ASSERT_EQUAL(std::string("sent"), transport.callToolText(2, "notify", R"({"text":"hello from the server"})"));
        auto log = transport.waitFor([](const Poco::JSON::Object::Ptr& m) { return isNotification(m, "notifications/message"); },
                                     10000, "the notification on the GET stream");
        CPPUNIT_ASSERT_EQUAL(std::string("hello from the server"), log->getObject("params")->getValue<std::string>("data"));
        CPPUNIT_ASSERT_EQUAL(std::string("warning"), log->getObject("params")->getValue<std::string>("level"));
        const auto state = debugState(server);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), stringArray(state, "getStreams").size());
        CPPUNIT_ASSERT_EQUAL(join(stringArray(state, "sessions")), join(stringArray(state, "getStreams")));
    }

    void testConcurrentRequestsAreAnsweredAndDeliveryIsSerialized() {
        NodePeer server({everythingScript(), "streamableHttp"});
        TransportProbe transport(config(server.url("/mcp")));
        transport.openOrFail();
        transport.initialize(1);
        transport.slowDelivery(true);
        constexpr int kCalls = 24;
        std::vector<std::thread> senders;
        for (int t = 0; t < 4; ++t) {
            senders.emplace_back([&transport, t] {
                for (int i = 0; i < kCalls / 4; ++i) {
                    const int id = 100 + t * 100 + i;
                    transport.sendOrFail(R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
                                         R"(,"method":"tools/call","params":{"name":"echo","arguments":{"message":"m)" +
                                         std::to_string(id) + R"("}}})");
                }
            });
        }
        for (auto& s : senders) s.join();
        for (int t = 0; t < 4; ++t) {
            for (int i = 0; i < kCalls / 4; ++i) {
                const int id = 100 + t * 100 + i;
                auto response = transport.waitForResponse(id);
                CPPUNIT_ASSERT_EQUAL("Echo: m" + std::to_string(id),
                                     response->getObject("result")->getArray("content")->getObject(0)->getValue<std::string>("text"));
            }
        }
        CPPUNIT_ASSERT(!transport.overlapped());
    }

    void testServerDyingIsReportedAsUnreachable() {
        auto server = std::make_unique<NodePeer>(std::vector<std::string>{peersDir() + "/streamable-peer.mjs", "--json"});
        const std::string url = server->url("/mcp");
        TransportProbe transport(config(url));
        transport.openOrFail();
        transport.initialize(1);
        server.reset(); // the server is gone
        transport.sendOrFail(R"({"jsonrpc":"2.0","id":2,"method":"ping"})");
        const auto closed = transport.waitClosed();
        CPPUNIT_ASSERT_EQUAL(MC_ERR_IO, closed.first);
        CPPUNIT_ASSERT_MESSAGE(closed.second, contains(closed.second, "server unreachable") && contains(closed.second, url));
        // The POST that found nobody is an exchange without a response, saying why. It need not be the
        // last one reported: the GET stream's attempt to reconnect fails on its own thread too.
        const auto exchanges = transport.exchanges();
        const auto ping = std::find_if(exchanges.begin(), exchanges.end(), [](const auto& x) { return x.jsonrpcId == "2"; });
        CPPUNIT_ASSERT_MESSAGE("no exchange for the ping among " + std::to_string(exchanges.size()), ping != exchanges.end());
        CPPUNIT_ASSERT_EQUAL(std::string("POST"), ping->method);
        CPPUNIT_ASSERT_EQUAL(0, ping->status);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), ping->responseBytes);
        CPPUNIT_ASSERT_MESSAGE(ping->error, contains(ping->error, "onnection refused"));
    }

    void testHttpsVerifiesCertificatesUnlessDisabled() {
        mc::test::TempDir dir;
        const std::string cert = dir.file("cert.pem"), key = dir.file("key.pem");
        const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -keyout '" + key +
                                    "' -out '" + cert + "' >/dev/null 2>&1";
        CPPUNIT_ASSERT_EQUAL(0, std::system(command.c_str()));
        NodePeer server({peersDir() + "/streamable-peer.mjs", "--json", "--tls=" + cert + "," + key});
        const std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/mcp";

        // A self-signed certificate is refused by default: initialize gets the transport's error.
        TransportProbe verifying(config(url));
        verifying.openOrFail();
        verifying.sendOrFail(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
        const auto refused = verifying.waitForResponse(1);
        CPPUNIT_ASSERT(refused->has("error"));
        const std::string message = refused->getObject("error")->getValue<std::string>("message");
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "TLS with " + url + " failed") && contains(message, "certificate verify failed"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), verifying.closedCount());

        // With tls_verify false the same server works over TLS.
        TransportProbe trusting(config(url, "http", R"(,"tls_verify":false)"));
        trusting.openOrFail();
        trusting.initialize(1);
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: over tls"), trusting.callToolText(2, "echo", R"({"message":"over tls"})"));

        // mcp.http.tls_verify = false is the default of every server that does not set its own.
        TransportProbe byInstance(config(url), {{"tls_verify", "false"}});
        byInstance.openOrFail();
        byInstance.initialize(1);
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: instance"), byInstance.callToolText(2, "echo", R"({"message":"instance"})"));
        CPPUNIT_ASSERT(byInstance.violations().empty());
    }

    // connect_address (set by the host's discovery, which pins the address it judged): every
    // connection goes there and the URL's name is never looked up, so DNS cannot send it elsewhere
    // after the check; the server still sees the name in Host. The name is under .invalid (RFC 6761)
    // and the test runs in its own network namespace, so a lookup could neither succeed nor leave.
    void testConnectAddressIsUsedInsteadOfResolvingTheName() {
        mc::test::inNetworkNamespace("McpHttpTest::testConnectAddressIsUsedInsteadOfResolvingTheName", [] {
            NodePeer server({peersDir() + "/streamable-peer.mjs", "--json"});
            const std::string hostPort = "mcp-pinned.invalid:" + std::to_string(server.port());
            const std::string url = "http://" + hostPort + "/mcp";
            {
                TransportProbe unpinned(config(url));
                std::string reason;
                CPPUNIT_ASSERT_EQUAL(MC_ERR_IO, unpinned.open(reason));
                CPPUNIT_ASSERT_MESSAGE(reason, contains(reason, "cannot connect to MCP server remote (" + url + ")"));
            }
            TransportProbe pinned(config(url, "http", R"(,"connect_address":"127.0.0.1")"));
            pinned.openOrFail();
            pinned.initialize(1, "2025-06-18");
            auto headers = parse(pinned.callToolText(2, "whoami", "{}"));
            CPPUNIT_ASSERT_EQUAL(hostPort, headers->getValue<std::string>("host"));
            const std::string sessionId = headers->getValue<std::string>("mcp-session-id");
            CPPUNIT_ASSERT_EQUAL(MC_OK, pinned.close());
            CPPUNIT_ASSERT_EQUAL(sessionId, join(stringArray(debugState(server), "deleted"))); // the DELETE went there too

            // HTTPS the same way (the name stays the TLS peer name; this self-signed one is not verified).
            mc::test::TempDir dir;
            const std::string cert = dir.file("cert.pem"), key = dir.file("key.pem");
            const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mcp-pinned.invalid -keyout '" +
                                        key + "' -out '" + cert + "' >/dev/null 2>&1";
            CPPUNIT_ASSERT_EQUAL(0, std::system(command.c_str()));
            NodePeer tls({peersDir() + "/streamable-peer.mjs", "--json", "--tls=" + cert + "," + key});
            const std::string tlsHostPort = "mcp-pinned.invalid:" + std::to_string(tls.port());
            TransportProbe secure(config("https://" + tlsHostPort + "/mcp", "http", R"(,"connect_address":"127.0.0.1","tls_verify":false)"));
            secure.openOrFail();
            secure.initialize(1);
            CPPUNIT_ASSERT_EQUAL(tlsHostPort, parse(secure.callToolText(2, "whoami", "{}"))->getValue<std::string>("host"));
        });
    }

    // 40 requests one after another travel on kept-alive TCP connections, not one each: the
    // initialize's, a second one the first ping needs while notifications/initialized is still in
    // flight, and the GET stream's.
    // Both when the server answers with JSON bodies and on SSE response streams it ends after the
    // response (read to their end, their connections are reused too).
    void testSequentialRequestsReuseOneKeepAliveConnection() {
        for (const std::string mode : {"--json", "--sse"}) {
            NodePeer server({peersDir() + "/streamable-peer.mjs", mode});
            TransportProbe transport(config(server.url("/mcp")));
            transport.openOrFail();
            transport.initialize(1);
            for (int id = 2; id < 42; ++id) {
                transport.sendOrFail(R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":"ping"})");
                CPPUNIT_ASSERT(transport.waitForResponse(id)->has("result"));
            }
            const int connections = debugState(server)->getValue<int>("mcpConnections");
            CPPUNIT_ASSERT_MESSAGE(mode + ": connections: " + std::to_string(connections), connections >= 1 && connections <= 3);
        }
    }

    // With max_connections = 3, nine slow calls sent at once: all answered, never more than three at
    // the server at a time, on at most three POST connections (and the GET stream's).
    void testRequestsInFlightAreBoundedByMaxConnections() {
        NodePeer server({peersDir() + "/streamable-peer.mjs", "--json"});
        TransportProbe transport(config(server.url("/mcp")), {{"max_connections", "3"}});
        transport.openOrFail();
        transport.initialize(1);
        for (int id = 10; id < 19; ++id)
            transport.sendOrFail(R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
                                 R"(,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":300}}})");
        for (int id = 10; id < 19; ++id) {
            auto response = transport.waitForResponse(id);
            CPPUNIT_ASSERT_EQUAL(std::string("slept 300"),
                                 response->getObject("result")->getArray("content")->getObject(0)->getValue<std::string>("text"));
        }
        auto state = debugState(server);
        CPPUNIT_ASSERT_EQUAL(3, state->getValue<int>("maxInFlight"));
        const int connections = state->getValue<int>("mcpConnections");
        CPPUNIT_ASSERT_MESSAGE("connections: " + std::to_string(connections), connections >= 3 && connections <= 4);
    }

    // A request sent while nothing else is on its way goes out at once on the pooled connection
    // (from the sending thread). When the server closed that connection meanwhile (its idle
    // timeout), the request still reaches it, on a new connection, and is answered once.
    void testAPooledConnectionTheServerClosedIsReplaced() {
        for (const std::string mode : {"--json", "--sse"}) {
            NodePeer server({peersDir() + "/streamable-peer.mjs", mode});
            TransportProbe transport(config(server.url("/mcp")));
            transport.openOrFail();
            transport.initialize(1);
            for (int round = 0; round < 5; ++round) {
                const int id = 10 + 2 * round;
                CPPUNIT_ASSERT(transport.request(id, "ping")->has("result")); // leaves its connection pooled
                const int before = debugState(server)->getValue<int>("mcpConnections");
                CPPUNIT_ASSERT_EQUAL(200, mc::test::httpGet(server.port(), "/debug/close-idle").status);
                std::this_thread::sleep_for(std::chrono::milliseconds(50)); // its FIN reaches the pooled socket
                const std::string text = transport.callToolText(id + 1, "echo", R"({"message":"again"})");
                CPPUNIT_ASSERT_MESSAGE(mode + " round " + std::to_string(round) + ": " + text, text.find("again") != std::string::npos);
                CPPUNIT_ASSERT(debugState(server)->getValue<int>("mcpConnections") > before);
            }
            int answers = 0; // each request answered once: none sent twice to the server
            for (const auto& m : transport.messages())
                if (m.find("\"id\":11") != std::string::npos) ++answers;
            CPPUNIT_ASSERT_EQUAL(1, answers);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(McpHttpTest);
