// The host as an MCP server (/mcp, api/McpEndpointApi + mcpserver/McpServerFace): the official
// TypeScript SDK's client (tests/mcp-peers/mcp-client.mjs) initializes, pings, lists the tools of a real
// server-everything behind the gateway as every__<tool> and calls one; the call is a step of the
// session's thread. And every refusal over raw HTTP: what, with which status, and why.
#include "GatewayTestSupport.h"
#include "InProcessHost.h"
#include "NetworkNamespace.h"
#include "RawSqlite.h"
#include "TestHttp.h"
#include "TestTcp.h"
#include "net/EventLoop.h"
#include "util/Json.h"
#include "web/Auth.h"

#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using mc::test::eventually;
using mc::test::httpGet;
using mc::test::httpRequest;
using mc::test::InProcessHost;
using mc::test::runProgram;
using mc::test::withEverything;

namespace {

const std::map<std::string, std::string> kMcpHeaders = {{"Content-Type", "application/json"},
                                                        {"Accept", "application/json, text/event-stream"}};

Poco::JSON::Object::Ptr parse(const std::string& text) { return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>(); }

// One tools/call of every__echo over raw HTTP, naming the agent's id of the call as Claude Code does.
void callEcho(unsigned short port, const std::string& session, const std::string& toolUseId) {
    auto headers = kMcpHeaders;
    headers["Mcp-Session-Id"] = session;
    const auto r = httpRequest("POST", port, "/mcp",
                               R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"every__echo",)"
                               R"("arguments":{"message":"joined"},"_meta":{"progressToken":7,"claudecode/toolUseId":")" +
                                   toolUseId + R"("}}})",
                               headers);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("Echo: joined") != std::string::npos);
}

// Claude Code's OTLP/JSON record of that call (a tool_result event of session `session`), as it sends it.
std::string claudeToolResult(const std::string& session, const std::string& toolUseId, int sequence) {
    return R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"claude-code"}}]},)"
           R"("scopeLogs":[{"scope":{"name":"com.anthropic.claude_code.events"},"logRecords":[)"
           R"({"timeUnixNano":"1764633602000000000","body":{"stringValue":"claude_code.tool_result"},"attributes":[)"
           R"({"key":"session.id","value":{"stringValue":")" + session + R"("}},)"
           R"({"key":"event.name","value":{"stringValue":"tool_result"}},)"
           R"({"key":"event.sequence","value":{"intValue":")" + std::to_string(sequence) + R"("}},)"
           R"({"key":"tool_name","value":{"stringValue":"mcp_tool"}},)"
           R"({"key":"tool_parameters","value":{"stringValue":"{\"mcp_server_name\":\"mc\",\"mcp_tool_name\":\"every__echo\"}"}},)"
           R"({"key":"tool_use_id","value":{"stringValue":")" + toolUseId + R"("}},)"
           R"({"key":"success","value":{"stringValue":"true"}},{"key":"duration_ms","value":{"stringValue":"40"}}]}]}]}]})";
}

// initialize's result over raw HTTP.
Poco::JSON::Object::Ptr initializeResult(unsigned short port) {
    const auto r = httpRequest("POST", port, "/mcp",
                               R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
                               R"("capabilities":{},"clientInfo":{"name":"Raw Agent","version":"0.1"}}})",
                               kMcpHeaders);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    return r.json()->getObject("result");
}

// initialize over raw HTTP; the session id.
std::string initialize(unsigned short port, std::map<std::string, std::string> headers = kMcpHeaders, const std::string& path = "/mcp") {
    const auto r = httpRequest("POST", port, path,
                               R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",)"
                               R"("capabilities":{},"clientInfo":{"name":"Raw Agent","version":"0.1"}}})",
                               headers);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    CPPUNIT_ASSERT_EQUAL(std::string("2025-06-18"), r.json()->getObject("result")->getValue<std::string>("protocolVersion"));
    const auto session = r.headers.find("Mcp-Session-Id");
    CPPUNIT_ASSERT(session != r.headers.end());
    return session->second;
}

// One JSON-RPC request of a session at `path`; the parsed reply (asserted 200).
struct McpSession {
    unsigned short port;
    std::string path;
    std::string id;
    McpSession(unsigned short p, const std::string& at = "/mcp") : port(p), path(at), id(initialize(p, kMcpHeaders, at)) {}
    Poco::JSON::Object::Ptr request(const std::string& method, const std::string& params = "{}") const {
        auto headers = kMcpHeaders;
        headers["Mcp-Session-Id"] = id;
        const auto r = httpRequest("POST", port, path, R"({"jsonrpc":"2.0","id":9,"method":")" + method + R"(","params":)" + params + "}",
                                   headers);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        return r.json();
    }
    Poco::JSON::Object::Ptr result(const std::string& method, const std::string& params = "{}") const {
        const auto reply = request(method, params);
        CPPUNIT_ASSERT_MESSAGE(method + ": " + mc::host::json::stringify(reply), reply->has("result"));
        return reply->getObject("result");
    }
    // The `key` of every item of a list's `member`.
    std::vector<std::string> names(const std::string& method, const std::string& member, const std::string& key) const {
        std::vector<std::string> out;
        const auto items = result(method)->getArray(member);
        for (std::size_t i = 0; i < items->size(); ++i) out.push_back(items->getObject(static_cast<unsigned>(i))->getValue<std::string>(key));
        return out;
    }
};

bool contains(const std::vector<std::string>& all, const std::string& one) { return std::find(all.begin(), all.end(), one) != all.end(); }

// A session's GET stream over a raw connection: the response head, then its server-sent events one
// by one (the chunked framing taken off).
class SessionStream {
public:
    SessionStream(unsigned short port, const std::string& session, const std::string& path = "/mcp", const std::string& lastEventId = "")
        : SessionStream(port, RawRequest{"GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                                  "\r\nAccept: text/event-stream\r\nMcp-Session-Id: " + session + "\r\n" +
                                  (lastEventId.empty() ? "" : "Last-Event-ID: " + lastEventId + "\r\n") + "\r\n"}) {}
    // Any request whose answer is an event stream (a POST of subscriptions/listen), sent as it is.
    struct RawRequest {
        std::string text;
    };
    SessionStream(unsigned short port, const RawRequest& request) : client_(port) {
        client_.send(request.text);
        buffer_ = client_.read(5000, "\r\n\r\n");
        const auto end = buffer_.find("\r\n\r\n");
        CPPUNIT_ASSERT_MESSAGE(buffer_, end != std::string::npos);
        head = buffer_.substr(0, end);
        buffer_.erase(0, end + 4);
    }
    std::string head;
    struct Event {
        std::string id;
        std::string data;
    };
    // The next event; nullopt when none came within `timeoutMs` or the stream ended (ended() says).
    std::optional<Event> next(int timeoutMs = 5000) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
        for (;;) {
            const auto size = buffer_.find("\r\n");
            if (size != std::string::npos) {
                const std::size_t length = std::stoul(buffer_.substr(0, size), nullptr, 16);
                if (length == 0) {
                    ended_ = true;
                    return std::nullopt;
                }
                if (buffer_.size() >= size + 2 + length + 2) {
                    const std::string text = buffer_.substr(size + 2, length);
                    buffer_.erase(0, size + 2 + length + 2);
                    Event event;
                    std::istringstream lines(text);
                    for (std::string line; std::getline(lines, line);) {
                        if (line.rfind("id: ", 0) == 0) event.id = line.substr(4);
                        if (line.rfind("data: ", 0) == 0) event.data = line.substr(6);
                    }
                    return event;
                }
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
            if (left <= 0) return std::nullopt;
            const std::string more = client_.read(static_cast<int>(std::min<long long>(left, 200)));
            buffer_ += more;
        }
    }
    // The next event's method (asserting one came), its id in `id`.
    std::string nextMethod(std::string* id = nullptr, Poco::JSON::Object::Ptr* message = nullptr) {
        const auto event = next();
        CPPUNIT_ASSERT_MESSAGE("no event came", event.has_value());
        if (id) *id = event->id;
        const auto parsed = parse(event->data);
        if (message) *message = parsed;
        return parsed->getValue<std::string>("method");
    }
    bool ended() const { return ended_; }

private:
    mc::test::TcpClient client_;
    std::string buffer_;
    bool ended_ = false;
};

} // namespace

class McpEndpointTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(McpEndpointTest);
    CPPUNIT_TEST(theSdkClientListsAndCallsTheGatewaysTools);
    CPPUNIT_TEST(refusalsSayWhatIsWrong);
    CPPUNIT_TEST(policyAndAuthApply);
    CPPUNIT_TEST(callsJoinTheAgentsOwnTelemetry);
    CPPUNIT_TEST(realClaudeCodeCallsThroughTheHost);
    CPPUNIT_TEST(realClaudeCodeIsToldOfADenial);
    CPPUNIT_TEST(resourcesPromptsAndCompletionsAreAggregated);
    CPPUNIT_TEST(profilesAndPrefixRulesChooseWhatIsOfferedAndHow);
    CPPUNIT_TEST(aClientThatGoesAwayHasItsCallCancelled);
    CPPUNIT_TEST(aNewEraClientThatGoesAwayHasItsCallCancelled);
    CPPUNIT_TEST(oversizeMessagesAreRefused);
    CPPUNIT_TEST(theSessionsStreamCarriesListChangesAndLogsAndResumes);
    CPPUNIT_TEST(progressAndCancellationPassThrough);
    CPPUNIT_TEST(resourceSubscriptionsReachTheSessionsThatSubscribed);
    CPPUNIT_TEST(resourceSubscriptionsOfANewEraServerGoThroughItsListenStream);
    CPPUNIT_TEST(anHttpServersAnswerIsReadOnTheThreadThatTookTheCall);
    CPPUNIT_TEST(listsArePagedWhenAsked);
    CPPUNIT_TEST(thePolicyDecidesReadsByTheRulesThatNameNoTools);
    CPPUNIT_TEST(theNewEraIsServedWithoutASession);
    CPPUNIT_TEST(aListenStreamCarriesWhatItOptedInTo);
    CPPUNIT_TEST(aCallJoinsTheAgentsSpanByTraceContext);
    CPPUNIT_TEST_SUITE_END();

public:
    void theSdkClientListsAndCallsTheGatewaysTools() {
        InProcessHost host(withEverything());
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        const auto ran = runProgram("node", {"mcp-client.mjs", "--url", "http://127.0.0.1:" + std::to_string(host.port()) + "/mcp",
                                             "--call", "every__echo", "--args", R"({"message":"through the host"})", "--name",
                                             "Test Agent"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ran.out, 0, ran.status);
        const auto out = parse(ran.out);
        CPPUNIT_ASSERT_EQUAL(std::string("mission-control"), out->getObject("server")->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-11-25"), out->getValue<std::string>("protocolVersion"));
        const auto tools = out->getArray("tools");
        bool echo = false, add = false;
        for (std::size_t i = 0; i < tools->size(); ++i) {
            const std::string name = tools->getElement<std::string>(static_cast<unsigned>(i));
            CPPUNIT_ASSERT_MESSAGE(name, name.rfind("every__", 0) == 0);
            echo = echo || name == "every__echo";
            add = add || name == "every__get-sum";
        }
        CPPUNIT_ASSERT_MESSAGE(ran.out, echo && add);
        CPPUNIT_ASSERT(out->getObject("echoSchema")->getObject("properties")->has("message")); // the server's own schema
        const auto result = out->getObject("result");
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: through the host"),
                             result->getArray("content")->getObject(0)->getValue<std::string>("text"));
        // The session is a thread of the agent; the call one of its steps.
        const std::string thread = "T-mcp-" + out->getValue<std::string>("sessionId");
        Poco::JSON::Object::Ptr page;
        CPPUNIT_ASSERT(eventually([&] {
            const auto r = httpGet(host.port(), "/api/threads/" + thread);
            if (r.status != 200) return false;
            page = r.json()->getArray("items")->getObject(0);
            return page->getArray("timeline")->size() == 1;
        }, 20000));
        CPPUNIT_ASSERT_EQUAL(std::string("test-agent"), page->getValue<std::string>("mcp_id"));
        // Who, with what, where: the client as it named itself, the user, the endpoint, the protocol.
        const auto context = page->getObject("execution_context");
        CPPUNIT_ASSERT_MESSAGE(mc::host::json::stringify(page), context);
        CPPUNIT_ASSERT_EQUAL(std::string("Test Agent"), context->getObject("mcp_client")->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("1.0.0"), context->getObject("mcp_client")->getValue<std::string>("version"));
        CPPUNIT_ASSERT_EQUAL(std::string("/mcp"), context->getValue<std::string>("endpoint"));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-11-25"), context->getValue<std::string>("protocol_version"));
        CPPUNIT_ASSERT(context->has("user"));
        const auto step = page->getArray("timeline")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("tool_call"), step->getValue<std::string>("step_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("echo"), step->getValue<std::string>("tool"));
        CPPUNIT_ASSERT_EQUAL(std::string("every"), step->getValue<std::string>("mcp_id"));
        // The client ended its session (DELETE): it is gone.
        const auto after = httpRequest("POST", host.port(), "/mcp", R"({"jsonrpc":"2.0","id":2,"method":"ping"})",
                                       {{"Content-Type", "application/json"}, {"Mcp-Session-Id", out->getValue<std::string>("sessionId")}});
        CPPUNIT_ASSERT_EQUAL(404, after.status);
    }

    void refusalsSayWhatIsWrong() {
        InProcessHost host(withEverything({{"mcp.servers.gone.transport", "stdio"},
                                           {"mcp.servers.gone.command", "node"},
                                           {"mcp.servers.gone.args", R"j(["-e","process.exit(3)"])j"}}));
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        const unsigned short port = host.port();
        const std::string session = initialize(port);
        auto headers = kMcpHeaders;
        headers["Mcp-Session-Id"] = session;
        const auto post = [&](const std::string& body, const std::map<std::string, std::string>& h) { return httpRequest("POST", port, "/mcp", body, h); };
        // Without the session id: 400; with one that is not known: 404.
        auto r = post(R"({"jsonrpc":"2.0","id":2,"method":"ping"})", kMcpHeaders);
        CPPUNIT_ASSERT_EQUAL(400, r.status);
        CPPUNIT_ASSERT(r.body.find("send the Mcp-Session-Id header") != std::string::npos);
        auto stranger = kMcpHeaders;
        stranger["Mcp-Session-Id"] = "no-such-session";
        CPPUNIT_ASSERT_EQUAL(404, post(R"({"jsonrpc":"2.0","id":2,"method":"ping"})", stranger).status);
        // A protocol version this server does not speak: 400 naming it.
        auto old = headers;
        old["MCP-Protocol-Version"] = "2024-01-01";
        r = post(R"({"jsonrpc":"2.0","id":2,"method":"ping"})", old);
        CPPUNIT_ASSERT_EQUAL(400, r.status);
        CPPUNIT_ASSERT(r.body.find("MCP-Protocol-Version '2024-01-01'") != std::string::npos);
        // Not JSON, a batch: 400 with a JSON-RPC error.
        r = post("{nope", headers);
        CPPUNIT_ASSERT_EQUAL(400, r.status);
        CPPUNIT_ASSERT_EQUAL(-32700, r.json()->getObject("error")->getValue<int>("code"));
        r = post(R"([{"jsonrpc":"2.0","id":2,"method":"ping"}])", headers);
        CPPUNIT_ASSERT_EQUAL(400, r.status);
        CPPUNIT_ASSERT(r.body.find("batches are not supported") != std::string::npos);
        // A notification: 202, no body.
        r = post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})", headers);
        CPPUNIT_ASSERT_EQUAL(202, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string(), r.body);
        // A method not offered, a tool not known, arguments the tool's schema refuses: JSON-RPC errors.
        r = post(R"({"jsonrpc":"2.0","id":"r-3","method":"sampling/createMessage","params":{}})", headers);
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("r-3"), r.json()->getValue<std::string>("id"));
        CPPUNIT_ASSERT_EQUAL(-32601, r.json()->getObject("error")->getValue<int>("code"));
        CPPUNIT_ASSERT_EQUAL(std::string("method 'sampling/createMessage' is not offered by this server (it offers tools, resources, prompts and "
                                         "completions)"),
                             r.json()->getObject("error")->getValue<std::string>("message"));
        // An id is echoed as sent, an integer beyond 64 signed bits too (found by fuzz/mcp_face: it threw).
        r = post(R"({"jsonrpc":"2.0","id":9280071992547409933,"method":"resources/read","params":{"uri":"o:nt://a"}})", headers);
        CPPUNIT_ASSERT_MESSAGE(r.body, r.body.rfind(R"({"jsonrpc":"2.0","id":9280071992547409933,"error":{"code":-32002,)", 0) == 0);
        // A tool of a server that is configured but down: the reason, not "unknown tool".
        r = post(R"({"jsonrpc":"2.0","id":"d","method":"tools/call","params":{"name":"gone__anything","arguments":{}}})", headers);
        CPPUNIT_ASSERT_MESSAGE(r.body, r.json()->has("result") && r.json()->getObject("result")->getValue<bool>("isError"));
        CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("the MCP server 'gone' is ") != std::string::npos &&
                                           r.body.find("exited with code 3") != std::string::npos);
        r = post(R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"every__nope","arguments":{}}})", headers);
        CPPUNIT_ASSERT_EQUAL(-32602, r.json()->getObject("error")->getValue<int>("code"));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown tool 'every__nope'"), r.json()->getObject("error")->getValue<std::string>("message"));
        r = post(R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"every__echo","arguments":{"message":7}}})", headers);
        CPPUNIT_ASSERT_EQUAL(-32602, r.json()->getObject("error")->getValue<int>("code"));
        CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("must be of type string") != std::string::npos);
        // GET is the session's stream: server-sent events only (theSessionsStreamCarriesListChangesAndLogsAndResumes).
        auto jsonOnly = headers;
        jsonOnly["Accept"] = "application/json";
        const auto get = httpRequest("GET", port, "/mcp", "", jsonOnly);
        CPPUNIT_ASSERT_EQUAL(406, get.status);
        CPPUNIT_ASSERT_EQUAL(std::string("not_acceptable"), get.json()->getObject("error")->getValue<std::string>("code"));
        // DELETE ends the session once.
        CPPUNIT_ASSERT_EQUAL(204, httpRequest("DELETE", port, "/mcp", "", headers).status);
        CPPUNIT_ASSERT_EQUAL(404, httpRequest("DELETE", port, "/mcp", "", headers).status);
        // A page on another origin may not drive it (the router's Origin check).
        auto foreign = kMcpHeaders;
        foreign["Origin"] = "https://evil.example";
        CPPUNIT_ASSERT_EQUAL(403, post(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})", foreign).status);
    }

    void policyAndAuthApply() {
        InProcessHost host(withEverything({{"auth.jwt.secret", "mcp-endpoint-secret-0123456789"},
                                           {"permissions.rules.no-echo.effect", "deny"},
                                           {"permissions.rules.no-echo.tools", "echo"}}));
        const auto admin = host.runtime->auth().issue("root", mc::host::Role::Admin);
        CPPUNIT_ASSERT(eventually([&] {
            const auto r = httpRequest("GET", host.port(), "/api/mcps/every", "", {{"Authorization", "Bearer " + admin}});
            return r.status == 200 && r.json()->getValue<std::string>("status") == "connected";
        }));
        CPPUNIT_ASSERT_EQUAL(401, httpRequest("POST", host.port(), "/mcp", R"({"jsonrpc":"2.0","id":1,"method":"ping"})", kMcpHeaders).status);
        auto viewer = kMcpHeaders;
        viewer["Authorization"] = "Bearer " + host.runtime->auth().issue("dash", mc::host::Role::Viewer);
        CPPUNIT_ASSERT_EQUAL(403, httpRequest("POST", host.port(), "/mcp", R"({"jsonrpc":"2.0","id":1,"method":"ping"})", viewer).status);
        // An operator's agent: the denied tool answers with why, as a tool error the agent can read.
        const auto operatorToken = host.runtime->auth().issue("agent-7", mc::host::Role::Operator);
        const auto ran = runProgram("node", {"mcp-client.mjs", "--url", "http://127.0.0.1:" + std::to_string(host.port()) + "/mcp",
                                             "--token", operatorToken, "--call", "every__echo", "--args", R"({"message":"x"})"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ran.out, 0, ran.status);
        const auto result = parse(ran.out)->getObject("result");
        CPPUNIT_ASSERT_EQUAL(true, result->getValue<bool>("isError"));
        const std::string text = result->getArray("content")->getObject(0)->getValue<std::string>("text");
        CPPUNIT_ASSERT_MESSAGE(text, text.find("'agent-7' (operator) may not call tool 'echo' on 'every'") != std::string::npos);
    }
    // The real Claude Code CLI (print mode, a scripted fake model, a network namespace with loopback
    // alone) with the host as its only MCP server and its telemetry sent to the host too. It probes the
    // 2026-07-28 era first (server/discover), falls back to initialize, and calls every__echo through the
    // A call that names the agent's id of it waits for the agent's own record of the call and is added to
    // it: one thread (the agent's), one step. A call nobody reports in time lands in the MCP session's
    // thread, and that session's later calls at once; calls still waiting at shutdown are written too.
    void callsJoinTheAgentsOwnTelemetry() {
        InProcessHost host(withEverything({{"mcp.endpoint.join_wait_ms", "1500"}}));
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        const unsigned short port = host.port();
        const std::string session = initialize(port);
        const std::string agentSession = "5e55f0a1-0000-4000-8000-00000000001a";
        callEcho(port, session, "toolu_joined_01");
        const auto sent = httpRequest("POST", port, "/v1/logs", claudeToolResult(agentSession, "toolu_joined_01", 3),
                                      {{"Content-Type", "application/json"}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(sent.body, 200, sent.status);
        Poco::JSON::Object::Ptr step;
        CPPUNIT_ASSERT(eventually([&] {
            const auto r = httpGet(port, "/api/threads/T-" + agentSession + "/timeline");
            if (r.status != 200 || r.json()->getArray("items")->size() != 1) return false;
            step = r.json()->getArray("items")->getObject(0);
            return true;
        }, 20000));
        // The agent's step (its sequence, status, duration), naming the upstream server and tool that answered.
        CPPUNIT_ASSERT_EQUAL(3, step->getValue<int>("sequence"));
        CPPUNIT_ASSERT_EQUAL(std::string("every"), step->getValue<std::string>("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("echo"), step->getValue<std::string>("tool"));
        CPPUNIT_ASSERT_EQUAL(std::string("tools/call echo on every"), step->getValue<std::string>("description"));
        CPPUNIT_ASSERT_EQUAL(40.0, step->getValue<double>("duration_ms"));
        const auto details = step->getObject("details");
        CPPUNIT_ASSERT_EQUAL(std::string("toolu_joined_01"), details->getValue<std::string>("tool_use_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("tool_result"), details->getValue<std::string>("event"));
        const auto gateway = details->getObject("gateway");
        CPPUNIT_ASSERT_MESSAGE(mc::host::json::stringify(details), gateway);
        CPPUNIT_ASSERT_EQUAL(std::string("every"), gateway->getValue<std::string>("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("echo"), gateway->getValue<std::string>("tool"));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), gateway->getValue<std::string>("outcome"));
        CPPUNIT_ASSERT(gateway->getValue<bool>("granted"));
        CPPUNIT_ASSERT_EQUAL(std::string("mc"), gateway->getValue<std::string>("agent_mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("every__echo"), gateway->getValue<std::string>("agent_tool"));
        CPPUNIT_ASSERT_EQUAL(std::string("T-mcp-") + session, gateway->getValue<std::string>("session_thread_id"));
        CPPUNIT_ASSERT(gateway->getValue<long long>("duration_ms") >= 0);
        // No second thread.
        CPPUNIT_ASSERT_EQUAL(404, httpGet(port, "/api/threads/T-mcp-" + session).status);

        // Not reported: after the wait, a step of the session's thread; the next call goes there at once.
        callEcho(port, session, "toolu_unreported_02");
        CPPUNIT_ASSERT(eventually([&] {
            const auto r = httpGet(port, "/api/threads/T-mcp-" + session + "/timeline");
            return r.status == 200 && r.json()->getArray("items")->size() == 1;
        }, 20000));
        // The session's thread is the agent's (clientInfo.name), not the upstream server's.
        CPPUNIT_ASSERT_EQUAL(std::string("raw-agent"), httpGet(port, "/api/threads/T-mcp-" + session)
                                                            .json()->getArray("items")->getObject(0)->getValue<std::string>("mcp_id"));
        callEcho(port, session, "toolu_unreported_03");
        Poco::JSON::Array::Ptr timeline;
        CPPUNIT_ASSERT(eventually([&] {
            timeline = httpGet(port, "/api/threads/T-mcp-" + session + "/timeline").json()->getArray("items");
            return timeline->size() == 2;
        }, 20000));
        CPPUNIT_ASSERT_EQUAL(std::string("toolu_unreported_02"),
                             timeline->getObject(0)->getObject("details")->getValue<std::string>("tool_use_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("toolu_unreported_03"),
                             timeline->getObject(1)->getObject("details")->getValue<std::string>("tool_use_id"));
        const std::string metrics = httpGet(port, "/metrics").body;
        CPPUNIT_ASSERT_MESSAGE(metrics, metrics.find("mc_mcp_endpoint_joined_calls_total{result=\"joined\"} 1\n") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(metrics, metrics.find("mc_mcp_endpoint_joined_calls_total{result=\"unjoined\"} 1\n") != std::string::npos);

        // A call still waiting when the host stops is written into its session's thread.
        const std::string last = initialize(port);
        callEcho(port, last, "toolu_at_stop_04");
        host.runtime->stop();
        mc::test::RawSqlite db(host.dir.file("mc.db"));
        const auto ids = db.column("SELECT thread_id FROM execution_steps WHERE details LIKE '%toolu_at_stop_04%'");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), ids.size());
        CPPUNIT_ASSERT_EQUAL("T-mcp-" + last, ids[0]);
    }

    // The real Claude Code CLI (tests/mcp-peers/claude-code-run.sh) with /mcp as its MCP server and its
    // OTLP export pointed at the host: one thread, its session's, whose tool step is Claude's record of
    // the call (its tool_use_id and sequence) with the gateway's view of it added; no MCP session thread.
    // A rule denies the tool: Claude Code's call through /mcp comes back as a tool error naming the rule,
    // which Claude Code hands its model (the next request to the API carries it), and the denial is
    // recorded in the session's thread.
    void realClaudeCodeIsToldOfADenial() {
        mc::test::inNetworkNamespace("McpEndpointTest::realClaudeCodeIsToldOfADenial", [] {
            InProcessHost host(withEverything({{"permissions.rules.no-echo.effect", "deny"},
                                               {"permissions.rules.no-echo.tools", "echo"}}));
            CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
            const std::string base = "http://127.0.0.1:" + std::to_string(host.port());
            mc::test::TempDir dumps;
            mc::test::FakeAnthropic api("mcp__mc__every__echo", dumps.path());
            const std::string session = "0b5e55f0-0000-4000-8000-00000000000d";
            const auto claude = runProgram("./claude-code-run.sh", {base, "http/json", api.url(), "--session-id", session, "--mcp-url",
                                                                    base + "/mcp", "--echo-tool", "mcp__mc__every__echo"});
            CPPUNIT_ASSERT_MESSAGE(claude.out, claude.status == 0);
            CPPUNIT_ASSERT_MESSAGE(claude.out, claude.out.find("\"result\":\"done\"") != std::string::npos);
            // What Claude Code sent its model after the call: the tool_result, an error with the host's reason.
            std::string toolResult;
            std::vector<std::string> files;
            Poco::File(dumps.path()).list(files);
            for (const auto& file : files) {
                std::ifstream in(dumps.path() + "/" + file);
                const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
                const auto at = body.find("\"tool_use_id\":\"toolu_fake_echo_01\"");
                if (at != std::string::npos) toolResult = body.substr(body.rfind("{", at), 600);
            }
            CPPUNIT_ASSERT_MESSAGE(claude.out, !toolResult.empty());
            CPPUNIT_ASSERT_MESSAGE(toolResult, toolResult.find("\"is_error\":true") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(toolResult, toolResult.find("may not call tool 'echo' on 'every'") != std::string::npos);
            // The host recorded the denial.
            CPPUNIT_ASSERT(eventually([&] {
                const auto r = httpGet(host.port(), "/api/threads/T-" + session + "/timeline");
                return r.status == 200 && r.body.find("permission_denied") != std::string::npos;
            }, 20000));
        });
    }

    void realClaudeCodeCallsThroughTheHost() {
        mc::test::inNetworkNamespace("McpEndpointTest::realClaudeCodeCallsThroughTheHost", [] {
            InProcessHost host(withEverything());
            CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
            const std::string base = "http://127.0.0.1:" + std::to_string(host.port());
            mc::test::FakeAnthropic api("mcp__mc__every__echo");
            const std::string session = "0b5e55f0-0000-4000-8000-00000000000c";
            const auto claude = runProgram("./claude-code-run.sh",
                                           {base, "http/json", api.url(), "--session-id", session,
                                            "--mcp-url", base + "/mcp", "--echo-tool", "mcp__mc__every__echo"});
            CPPUNIT_ASSERT_MESSAGE(claude.out, claude.status == 0);
            CPPUNIT_ASSERT_MESSAGE(claude.out, claude.out.find("\"result\":\"done\"") != std::string::npos);

            // The session's thread holds the call: Claude's step with the gateway's view of it.
            Poco::JSON::Object::Ptr step;
            std::string timelineBody;
            CPPUNIT_ASSERT(eventually([&] {
                const auto r = httpGet(host.port(), "/api/threads/T-" + session + "/timeline");
                timelineBody = r.body;
                if (r.status != 200) return false;
                const auto items = r.json()->getArray("items");
                for (std::size_t i = 0; i < items->size(); ++i) {
                    const auto s = items->getObject(static_cast<unsigned>(i));
                    if (s->getValue<std::string>("step_type") == "tool_call") step = s;
                }
                return step != nullptr;
            }, 20000));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(timelineBody, std::string("echo"), step->getValue<std::string>("tool"));
            CPPUNIT_ASSERT_EQUAL(std::string("every"), step->getValue<std::string>("mcp_id"));
            CPPUNIT_ASSERT_EQUAL(std::string("ok"), step->getValue<std::string>("status"));
            const auto details = step->getObject("details");
            CPPUNIT_ASSERT_EQUAL(std::string("toolu_fake_echo_01"), details->getValue<std::string>("tool_use_id"));
            CPPUNIT_ASSERT_EQUAL(std::string("tool_result"), details->getValue<std::string>("event"));
            const auto gateway = details->getObject("gateway");
            CPPUNIT_ASSERT_MESSAGE(timelineBody, gateway);
            CPPUNIT_ASSERT_EQUAL(std::string("ok"), gateway->getValue<std::string>("outcome"));
            CPPUNIT_ASSERT_EQUAL(std::string("mc"), gateway->getValue<std::string>("agent_mcp_id"));
            CPPUNIT_ASSERT_EQUAL(std::string("every__echo"), gateway->getValue<std::string>("agent_tool"));
            // The LLM calls are in the same thread, and claude-code has no other thread.
            CPPUNIT_ASSERT_MESSAGE(timelineBody, timelineBody.find("\"step_type\":\"llm_call\"") != std::string::npos);
            const auto threads = httpGet(host.port(), "/api/threads?mcp_id=claude-code&limit=10").json()->getArray("items");
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), threads->size());
            CPPUNIT_ASSERT_EQUAL("T-" + session, threads->getObject(0)->getValue<std::string>("id"));
            CPPUNIT_ASSERT_EQUAL(404, httpGet(host.port(), "/api/threads/" + gateway->getValue<std::string>("session_thread_id")).status);
        });
    }

    // Resources, resource templates, prompts and completions of server-everything through /mcp, with
    // URIs wrapped and names prefixed (mcp.endpoint.prefix = always, the default); reads are steps.
    void resourcesPromptsAndCompletionsAreAggregated() {
        InProcessHost host(withEverything());
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        const McpSession mcp(host.port());
        // initialize says what is offered.
        const auto init = httpRequest("POST", host.port(), "/mcp",
                                      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
                                      R"("capabilities":{},"clientInfo":{"name":"caps","version":"1"}}})",
                                      kMcpHeaders);
        const auto caps = init.json()->getObject("result")->getObject("capabilities");
        CPPUNIT_ASSERT_MESSAGE(init.body, caps->has("tools") && caps->has("resources") && caps->has("prompts") && caps->has("completions"));

        const auto resources = mcp.names("resources/list", "resources", "uri");
        CPPUNIT_ASSERT(!resources.empty());
        for (const auto& uri : resources) CPPUNIT_ASSERT_MESSAGE(uri, uri.rfind("mission-control://every/demo://resource/static/document/", 0) == 0);
        // Read by the wrapped URI: the contents name it as asked.
        auto read = mcp.result("resources/read", R"({"uri":")" + resources.front() + R"("})");
        auto content = read->getArray("contents")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(resources.front(), content->getValue<std::string>("uri"));
        CPPUNIT_ASSERT(!content->getValue<std::string>("text").empty());

        const auto templates = mcp.names("resources/templates/list", "resourceTemplates", "uriTemplate");
        CPPUNIT_ASSERT_MESSAGE(templates.empty() ? "" : templates.front(),
                               contains(templates, "mission-control://every/demo://resource/dynamic/text/{resourceId}"));
        // An expansion of a template, wrapped or as the server names it (a link in a tool's result).
        read = mcp.result("resources/read", R"({"uri":"mission-control://every/demo://resource/dynamic/text/4"})");
        content = read->getArray("contents")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("mission-control://every/demo://resource/dynamic/text/4"), content->getValue<std::string>("uri"));
        CPPUNIT_ASSERT_MESSAGE(content->getValue<std::string>("text"), content->getValue<std::string>("text").find("4") != std::string::npos);
        read = mcp.result("resources/read", R"({"uri":"demo://resource/dynamic/text/3"})");
        CPPUNIT_ASSERT_EQUAL(std::string("demo://resource/dynamic/text/3"), read->getArray("contents")->getObject(0)->getValue<std::string>("uri"));
        // A URI nobody offers: MCP's resource-not-found error.
        auto reply = mcp.request("resources/read", R"({"uri":"nothing://here"})");
        CPPUNIT_ASSERT_EQUAL(-32002, reply->getObject("error")->getValue<int>("code"));
        CPPUNIT_ASSERT_EQUAL(std::string("Resource not found: no server here offers 'nothing://here'"),
                             reply->getObject("error")->getValue<std::string>("message"));

        const auto prompts = mcp.names("prompts/list", "prompts", "name");
        CPPUNIT_ASSERT(contains(prompts, "every__args-prompt") && contains(prompts, "every__completable-prompt"));
        const auto prompt = mcp.result("prompts/get", R"({"name":"every__args-prompt","arguments":{"city":"Lisbon"}})");
        const std::string text = mc::host::json::stringify(prompt->getArray("messages"));
        CPPUNIT_ASSERT_MESSAGE(text, text.find("Lisbon") != std::string::npos);
        reply = mcp.request("prompts/get", R"({"name":"args-prompt"})");
        CPPUNIT_ASSERT_EQUAL(std::string("unknown prompt 'args-prompt'"), reply->getObject("error")->getValue<std::string>("message"));

        // Completions of a prompt's argument and of a template's variable.
        auto completion = mcp.result("completion/complete", R"({"ref":{"type":"ref/prompt","name":"every__completable-prompt"},)"
                                                            R"("argument":{"name":"department","value":"Eng"}})");
        CPPUNIT_ASSERT_EQUAL(std::string("Engineering"), completion->getObject("completion")->getArray("values")->getElement<std::string>(0));
        completion = mcp.result("completion/complete",
                                R"({"ref":{"type":"ref/resource","uri":"mission-control://every/demo://resource/dynamic/text/{resourceId}"},)"
                                R"("argument":{"name":"resourceId","value":"1"}})");
        CPPUNIT_ASSERT(completion->getObject("completion")->getArray("values")->size() >= 1);

        // The reads are steps of the session's thread (a completion is not), what was read in details.target.
        Poco::JSON::Array::Ptr timeline;
        CPPUNIT_ASSERT(eventually([&] {
            const auto r = httpGet(host.port(), "/api/threads/T-mcp-" + mcp.id);
            if (r.status != 200) return false;
            timeline = r.json()->getArray("items")->getObject(0)->getArray("timeline");
            return timeline->size() == 4;
        }, 20000));
        std::vector<std::string> kinds;
        for (std::size_t i = 0; i < timeline->size(); ++i) kinds.push_back(timeline->getObject(static_cast<unsigned>(i))->getValue<std::string>("step_type"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), static_cast<std::size_t>(std::count(kinds.begin(), kinds.end(), "resource_read")));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), static_cast<std::size_t>(std::count(kinds.begin(), kinds.end(), "prompt_get")));
        bool missing = false;
        for (std::size_t i = 0; i < timeline->size(); ++i) {
            const auto step = timeline->getObject(static_cast<unsigned>(i));
            const auto details = step->getObject("details");
            if (details->getValue<std::string>("target") == "nothing://here") missing = true;
            if (step->getValue<std::string>("step_type") == "prompt_get") {
                CPPUNIT_ASSERT_EQUAL(std::string("args-prompt"), details->getValue<std::string>("target"));
                CPPUNIT_ASSERT_EQUAL(std::string("every"), step->getValue<std::string>("mcp_id"));
                CPPUNIT_ASSERT(step->isNull("tool") || !step->has("tool"));
            }
        }
        CPPUNIT_ASSERT(!missing); // refused before any server was asked: nothing to record
    }

    // Two servers offering the same names: conditional prefixes only what collides; never keeps the
    // first server's; a profile offers a subset, and sessions stay at the endpoint that opened them.
    void profilesAndPrefixRulesChooseWhatIsOfferedAndHow() {
        auto keys = withEverything({{"mcp.servers.other.transport", "stdio"},
                                    {"mcp.servers.other.command", "node"},
                                    {"mcp.servers.other.args", "[\"" + mc::test::everythingServerScript() + "\",\"stdio\"]"},
                                    {"mcp.servers.other.shutdown_grace_ms", "1000"},
                                    {"mcp.endpoint.prefix", "conditional"},
                                    {"mcp.profiles.solo.servers", "every"},
                                    {"mcp.profiles.narrow.servers", "ev*"},
                                    {"mcp.profiles.narrow.tools", "every__echo, every__get-s*"},
                                    {"mcp.profiles.narrow.prefix", "always"},
                                    {"mcp.profiles.bare.prefix", "never"}});
        InProcessHost host(keys);
        CPPUNIT_ASSERT(eventually([&] {
            return mc::test::statusOf(host.port(), "every") == "connected" && mc::test::statusOf(host.port(), "other") == "connected";
        }));
        // /mcp, conditional: every name collides, so every name is prefixed; URIs are wrapped.
        const McpSession all(host.port());
        auto tools = all.names("tools/list", "tools", "name");
        CPPUNIT_ASSERT(contains(tools, "every__echo") && contains(tools, "other__echo") && !contains(tools, "echo"));
        CPPUNIT_ASSERT(contains(all.names("resources/list", "resources", "uri"),
                                "mission-control://other/demo://resource/static/document/architecture.md"));
        // solo: one server, nothing collides: bare names and URIs, called and read by them.
        const McpSession solo(host.port(), "/mcp/solo");
        tools = solo.names("tools/list", "tools", "name");
        CPPUNIT_ASSERT(contains(tools, "echo") && !contains(tools, "every__echo"));
        const auto echoed = solo.result("tools/call", R"({"name":"echo","arguments":{"message":"solo"}})");
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: solo"), echoed->getArray("content")->getObject(0)->getValue<std::string>("text"));
        CPPUNIT_ASSERT(contains(solo.names("resources/list", "resources", "uri"), "demo://resource/static/document/architecture.md"));
        CPPUNIT_ASSERT(contains(solo.names("prompts/list", "prompts", "name"), "simple-prompt"));
        // narrow: the tools its globs choose, prefixed; another is unknown there.
        const McpSession narrow(host.port(), "/mcp/narrow");
        tools = narrow.names("tools/list", "tools", "name");
        std::sort(tools.begin(), tools.end());
        CPPUNIT_ASSERT_EQUAL(std::string("every__echo,every__get-structured-content,every__get-sum"),
                             tools[0] + "," + tools[1] + "," + tools[2]);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), tools.size());
        auto reply = narrow.request("tools/call", R"({"name":"every__get-env","arguments":{}})");
        CPPUNIT_ASSERT_EQUAL(std::string("unknown tool 'every__get-env'"), reply->getObject("error")->getValue<std::string>("message"));
        // bare (never): one echo, the first server's by id.
        const McpSession bare(host.port(), "/mcp/bare");
        tools = bare.names("tools/list", "tools", "name");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), static_cast<std::size_t>(std::count(tools.begin(), tools.end(), "echo")));
        bare.result("tools/call", R"({"name":"echo","arguments":{"message":"bare"}})");
        CPPUNIT_ASSERT(eventually([&] {
            const auto r = httpGet(host.port(), "/api/threads/T-mcp-" + bare.id);
            return r.status == 200 && r.json()->getArray("items")->getObject(0)->getArray("timeline")->size() == 1 &&
                   r.json()->getArray("items")->getObject(0)->getArray("timeline")->getObject(0)->getValue<std::string>("mcp_id") == "every";
        }, 20000));
        // A session belongs to its endpoint; an unknown profile is 404 with the reason.
        auto headers = kMcpHeaders;
        headers["Mcp-Session-Id"] = all.id;
        auto r = httpRequest("POST", host.port(), "/mcp/solo", R"({"jsonrpc":"2.0","id":2,"method":"ping"})", headers);
        CPPUNIT_ASSERT_EQUAL(404, r.status);
        CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("was opened at another MCP endpoint (/mcp): initialize here") != std::string::npos);
        r = httpRequest("POST", host.port(), "/mcp/nope", R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})", kMcpHeaders);
        CPPUNIT_ASSERT_EQUAL(404, r.status);
        CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("no MCP profile 'nope' here") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(404, httpRequest("DELETE", host.port(), "/mcp/solo", "", headers).status); // not this endpoint's session
        CPPUNIT_ASSERT_EQUAL(204, httpRequest("DELETE", host.port(), "/mcp", "", headers).status);
    }

    // An agent that disconnects while its tool call runs: the upstream request is cancelled
    // (notifications/cancelled) at once, the step says so, and the server serves the next call.
    void aClientThatGoesAwayHasItsCallCancelled() {
        InProcessHost host(withEverything());
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        const McpSession mcp(host.port());
        const auto started = std::chrono::steady_clock::now();
        {
            mc::test::TcpClient client(host.port());
            const std::string body = R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"every__trigger-long-running-operation",)"
                                     R"("arguments":{"duration":30,"steps":30}}})";
            client.send("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(host.port()) +
                        "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMcp-Session-Id: " + mcp.id +
                        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
            CPPUNIT_ASSERT_EQUAL(std::string(), client.read(500)); // still running: no answer yet
        } // the client is gone
        Poco::JSON::Object::Ptr step;
        CPPUNIT_ASSERT(eventually([&] {
            const auto r = httpGet(host.port(), "/api/threads/T-mcp-" + mcp.id);
            if (r.status != 200) return false;
            const auto timeline = r.json()->getArray("items")->getObject(0)->getArray("timeline");
            if (timeline->size() != 1) return false;
            step = timeline->getObject(0);
            return true;
        }, 10000));
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), step->getObject("details")->getValue<std::string>("outcome"));
        CPPUNIT_ASSERT_EQUAL(std::string("error"), step->getValue<std::string>("status"));
        CPPUNIT_ASSERT_MESSAGE(std::to_string(elapsed), elapsed < 20000); // not the 30 s the operation takes
        const auto metrics = httpGet(host.port(), "/metrics").body;
        CPPUNIT_ASSERT_MESSAGE(metrics, metrics.find(R"(mc_gateway_tool_calls_total{server="every",tool="trigger-long-running-operation",outcome="cancelled"} 1)") !=
                                            std::string::npos);
        const auto echoed = mcp.result("tools/call", R"({"name":"every__echo","arguments":{"message":"still here"}})");
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: still here"), echoed->getArray("content")->getObject(0)->getValue<std::string>("text"));
    }

    // The same in the 2026-07-28 era, from an agent that declared no capability to be asked anything
    // (its call goes to the server without a relay, cancelled by the request's own signal).
    void aNewEraClientThatGoesAwayHasItsCallCancelled() {
        InProcessHost host(withEverything());
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        const auto started = std::chrono::steady_clock::now();
        {
            mc::test::TcpClient client(host.port());
            const std::string body = R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"every__trigger-long-running-operation",)"
                                     R"("arguments":{"duration":30,"steps":30},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",)"
                                     R"("io.modelcontextprotocol/clientInfo":{"name":"Leaving Agent","version":"1"},)"
                                     R"("io.modelcontextprotocol/clientCapabilities":{}}}})";
            client.send("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(host.port()) +
                        "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28"
                        "\r\nMcp-Method: tools/call\r\nMcp-Name: every__trigger-long-running-operation\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body);
            CPPUNIT_ASSERT_EQUAL(std::string(), client.read(500)); // still running: no answer yet
        } // the client is gone
        Poco::JSON::Object::Ptr step;
        CPPUNIT_ASSERT(eventually([&] {
            const auto threads = httpGet(host.port(), "/api/threads?mcp_id=leaving-agent");
            if (threads.status != 200 || threads.json()->getArray("items")->size() != 1) return false;
            const auto id = threads.json()->getArray("items")->getObject(0)->getValue<std::string>("id");
            const auto timeline = httpGet(host.port(), "/api/threads/" + id + "/timeline");
            if (timeline.status != 200 || timeline.json()->getArray("items")->size() != 1) return false;
            step = timeline.json()->getArray("items")->getObject(0);
            return step->getObject("details")->has("outcome");
        }, 10000));
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(mc::host::json::stringify(step), std::string("cancelled"), step->getObject("details")->getValue<std::string>("outcome"));
        CPPUNIT_ASSERT_MESSAGE(std::to_string(elapsed), elapsed < 20000); // not the 30 s the operation takes
        const auto metrics = httpGet(host.port(), "/metrics").body;
        CPPUNIT_ASSERT_MESSAGE(metrics, metrics.find(R"(mc_gateway_tool_calls_total{server="every",tool="trigger-long-running-operation",outcome="cancelled"} 1)") !=
                                            std::string::npos);
    }

    // GET /mcp: a session's stream of the servers' log messages at the level the session set and of
    // list_changed (a server goes); a client that comes back with Last-Event-ID gets what it missed; a
    // second stream replaces the first; the session's end ends it; refusals say why. The session is of
    // a profile offering "burst" alone (server-everything's own periodic logs would interleave).
    void theSessionsStreamCarriesListChangesAndLogsAndResumes() {
        const std::string burstPeer = std::string(MC_TEST_MCP_PEERS_DIR) + "/log-burst-peer.mjs";
        InProcessHost host(withEverything({{"mcp.servers.burst.transport", "stdio"},
                                           {"mcp.servers.burst.command", "node"},
                                           {"mcp.servers.burst.args", "[\"" + burstPeer + "\",\"stdio\"]"},
                                           {"mcp.profiles.watch.servers", "burst"}}));
        CPPUNIT_ASSERT(eventually([&] {
            return mc::test::statusOf(host.port(), "every") == "connected" && mc::test::statusOf(host.port(), "burst") == "connected";
        }));
        const McpSession mcp(host.port(), "/mcp/watch");
        const auto capabilities = initializeResult(host.port())->getObject("capabilities");
        for (const char* list : {"tools", "resources", "prompts"})
            CPPUNIT_ASSERT_MESSAGE(list, capabilities->getObject(list)->getValue<bool>("listChanged"));

        // Refusals: not asking for events, no session, a session not known, one of another endpoint.
        auto r = httpRequest("GET", host.port(), "/mcp/watch", "", {{"Accept", "application/json"}, {"Mcp-Session-Id", mcp.id}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 406, r.status);
        CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("send Accept: text/event-stream") != std::string::npos);
        r = httpRequest("GET", host.port(), "/mcp/watch", "", {{"Accept", "text/event-stream"}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 400, r.status);
        CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("send the Mcp-Session-Id header") != std::string::npos);
        r = httpRequest("GET", host.port(), "/mcp/watch", "", {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", "nobody"}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 404, r.status);
        CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("session 'nobody' is not known here") != std::string::npos);
        r = httpRequest("GET", host.port(), "/mcp", "", {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", mcp.id}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 404, r.status);
        CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find("was opened at another MCP endpoint (/mcp/watch)") != std::string::npos);
        // logging/setLevel takes MCP's levels only.
        const auto badLevel = mcp.request("logging/setLevel", R"({"level":"loud"})");
        CPPUNIT_ASSERT_EQUAL(-32602, badLevel->getObject("error")->getValue<int>("code"));
        CPPUNIT_ASSERT_EQUAL(std::string("\"level\" must be one of debug, info, notice, warning, error, critical, alert, emergency; got \"loud\""),
                             badLevel->getObject("error")->getValue<std::string>("message"));

        const std::string burst = R"({"name":"burst__log-burst","arguments":{"count":2,"interval_ms":0}})";
        {
            SessionStream stream(host.port(), mcp.id, "/mcp/watch");
            CPPUNIT_ASSERT_MESSAGE(stream.head, stream.head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
            CPPUNIT_ASSERT_MESSAGE(stream.head, stream.head.find("Content-Type: text/event-stream") != std::string::npos);
            const auto priming = stream.next();
            CPPUNIT_ASSERT(priming.has_value());
            CPPUNIT_ASSERT_EQUAL(std::string("0"), priming->id); // nothing sent yet
            CPPUNIT_ASSERT_EQUAL(std::string(), priming->data);
            // Without a level set, the servers' logs do not come; from "info" up they do, named by server.
            mcp.result("tools/call", burst);
            CPPUNIT_ASSERT(!stream.next(500).has_value());
            mcp.result("logging/setLevel", R"({"level":"info"})");
            mcp.result("tools/call", burst);
            for (int seq = 0; seq < 2; ++seq) {
                std::string id;
                Poco::JSON::Object::Ptr message;
                CPPUNIT_ASSERT_EQUAL(std::string("notifications/message"), stream.nextMethod(&id, &message));
                CPPUNIT_ASSERT_EQUAL(std::to_string(seq + 1), id);
                const auto params = message->getObject("params");
                CPPUNIT_ASSERT_EQUAL(std::string("info"), params->getValue<std::string>("level"));
                CPPUNIT_ASSERT_EQUAL(std::string("burst/burst"), params->getValue<std::string>("logger"));
                CPPUNIT_ASSERT_EQUAL(seq, params->getObject("data")->getValue<int>("seq"));
            }
            // Below the level: nothing.
            mcp.result("logging/setLevel", R"({"level":"error"})");
            mcp.result("tools/call", burst);
            CPPUNIT_ASSERT(!stream.next(500).has_value());
        } // the client goes away

        // While it is away, what is posted is kept: one log message, then the server goes (its lists change).
        mcp.result("logging/setLevel", R"({"level":"debug"})");
        mcp.result("tools/call", R"({"name":"burst__log-burst","arguments":{"count":1,"interval_ms":0}})");
        CPPUNIT_ASSERT_EQUAL(204, httpRequest("DELETE", host.port(), "/api/mcps/burst").status);
        CPPUNIT_ASSERT(eventually([&] { return mcp.names("tools/list", "tools", "name").empty(); }));
        // The name that resolved a moment ago (the face keeps the names it made) resolves no more.
        CPPUNIT_ASSERT_EQUAL(std::string("unknown tool 'burst__log-burst'"),
                             mcp.request("tools/call", R"({"name":"burst__log-burst","arguments":{"count":1,"interval_ms":0}})")
                                 ->getObject("error")
                                 ->getValue<std::string>("message"));
        // The other server going changes nothing this profile offers: no message.
        CPPUNIT_ASSERT_EQUAL(204, httpRequest("DELETE", host.port(), "/api/mcps/every").status);
        {
            SessionStream resumed(host.port(), mcp.id, "/mcp/watch", "2");
            const auto priming = resumed.next();
            CPPUNIT_ASSERT(priming.has_value());
            CPPUNIT_ASSERT_EQUAL(std::string("6"), priming->id);
            std::string ids, methods;
            for (int i = 0; i < 4; ++i) {
                std::string id;
                methods += resumed.nextMethod(&id) + " ";
                ids += id + " ";
            }
            CPPUNIT_ASSERT_EQUAL(std::string("3 4 5 6 "), ids);
            CPPUNIT_ASSERT_EQUAL(std::string("notifications/message notifications/tools/list_changed notifications/resources/list_changed "
                                             "notifications/prompts/list_changed "),
                                 methods);
            CPPUNIT_ASSERT(!resumed.next(500).has_value());
            // A second stream of the session replaces this one, which ends.
            SessionStream second(host.port(), mcp.id, "/mcp/watch", "6");
            CPPUNIT_ASSERT_EQUAL(std::string("6"), second.next()->id);
            CPPUNIT_ASSERT(!resumed.next(2000).has_value());
            CPPUNIT_ASSERT(resumed.ended());
            // The session's end ends its stream.
            auto endHeaders = kMcpHeaders;
            endHeaders["Mcp-Session-Id"] = mcp.id;
            CPPUNIT_ASSERT_EQUAL(204, httpRequest("DELETE", host.port(), "/mcp/watch", "", endHeaders).status);
            CPPUNIT_ASSERT(!second.next(2000).has_value());
            CPPUNIT_ASSERT(second.ended());
        }
    }

    // resources/subscribe goes to the server the URI is of; its notifications/resources/updated reach
    // each session that subscribed, by the URI it used, on its stream; unsubscribing stops them.
    void resourceSubscriptionsReachTheSessionsThatSubscribed() {
        InProcessHost host(withEverything());
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        const std::string bare = "demo://resource/static/document/features.md";
        const std::string wrapped = "mission-control://every/" + bare;
        const McpSession a(host.port()), b(host.port());
        CPPUNIT_ASSERT(initializeResult(host.port())->getObject("capabilities")->getObject("resources")->getValue<bool>("subscribe"));
        SessionStream streamA(host.port(), a.id), streamB(host.port(), b.id);
        CPPUNIT_ASSERT_EQUAL(std::string("0"), streamA.next()->id);
        CPPUNIT_ASSERT_EQUAL(std::string("0"), streamB.next()->id);
        // Refusals: no URI, a URI nobody offers.
        auto refused = a.request("resources/subscribe", "{}");
        CPPUNIT_ASSERT_EQUAL(std::string("resources/subscribe needs params.uri"), refused->getObject("error")->getValue<std::string>("message"));
        refused = a.request("resources/subscribe", R"({"uri":"nowhere://x"})");
        CPPUNIT_ASSERT_EQUAL(-32002, refused->getObject("error")->getValue<int>("code"));
        // a by our URI, b by the server's own.
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), a.result("resources/subscribe", R"({"uri":")" + wrapped + R"("})")->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), b.result("resources/subscribe", R"({"uri":")" + bare + R"("})")->size());
        a.result("tools/call", R"({"name":"every__toggle-subscriber-updates","arguments":{}})"); // updates at once, then every 5 s
        Poco::JSON::Object::Ptr message;
        CPPUNIT_ASSERT_EQUAL(std::string("notifications/resources/updated"), streamA.nextMethod(nullptr, &message));
        CPPUNIT_ASSERT_EQUAL(wrapped, message->getObject("params")->getValue<std::string>("uri"));
        CPPUNIT_ASSERT_EQUAL(std::string("notifications/resources/updated"), streamB.nextMethod(nullptr, &message));
        CPPUNIT_ASSERT_EQUAL(bare, message->getObject("params")->getValue<std::string>("uri"));
        // b unsubscribes: the next update reaches a alone.
        b.result("resources/unsubscribe", R"({"uri":")" + bare + R"("})");
        a.result("tools/call", R"({"name":"every__toggle-subscriber-updates","arguments":{}})"); // off
        a.result("tools/call", R"({"name":"every__toggle-subscriber-updates","arguments":{}})"); // on: at once again
        CPPUNIT_ASSERT_EQUAL(std::string("notifications/resources/updated"), streamA.nextMethod());
        CPPUNIT_ASSERT(!streamB.next(1000).has_value());
    }

    // A server of the 2026-07-28 era has no resources/subscribe: an agent's subscription becomes a URI
    // of the gateway's subscriptions/listen (opened again with it), and the server's
    // notifications/resources/updated on that stream reach the agent's session.
    void resourceSubscriptionsOfANewEraServerGoThroughItsListenStream() {
        mc::test::NodeHttpPeer peer({std::string(MC_TEST_MCP_PEERS_DIR) + "/modern-peer.mjs", "--legacy=reject", "--resources"});
        CPPUNIT_ASSERT(peer.ready());
        InProcessHost host(InProcessHost::Overrides{
            {"mcp.servers.modern.transport", "http"},
            {"mcp.servers.modern.url", "http://127.0.0.1:" + std::to_string(peer.port()) + "/mcp"}});
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "modern") == "connected"; }));
        const auto seenMethods = [&] {
            std::vector<std::string> out;
            const auto seen = httpGet(peer.port(), "/debug").json()->getArray("seen");
            for (std::size_t i = 0; i < seen->size(); ++i) {
                const auto s = seen->getObject(static_cast<unsigned>(i));
                out.push_back(s->isNull("method") ? "<response>" : s->getValue<std::string>("method"));
            }
            return out;
        };
        const auto listens = [&] { const auto m = seenMethods(); return std::count(m.begin(), m.end(), "subscriptions/listen"); };
        CPPUNIT_ASSERT(eventually([&] { return listens() == 1; })); // the lists' changes, from the start

        const McpSession a(host.port());
        SessionStream stream(host.port(), a.id);
        CPPUNIT_ASSERT_EQUAL(std::string("0"), stream.next()->id);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), a.result("resources/subscribe", R"({"uri":"note://one"})")->size());
        CPPUNIT_ASSERT(eventually([&] { return listens() == 2; })); // opened again, now with the URI
        // The server announces a change only to a stream that asked for the URI: wait for the ack.
        CPPUNIT_ASSERT(eventually([&] {
            const auto acked = httpGet(host.port(), "/api/mcps/modern/messages?method=notifications/subscriptions/acknowledged").body;
            return acked.find("note://one") != std::string::npos;
        }));
        CPPUNIT_ASSERT_EQUAL(204, httpRequest("POST", peer.port(), "/touch", "").status);
        Poco::JSON::Object::Ptr message;
        CPPUNIT_ASSERT_EQUAL(std::string("notifications/resources/updated"), stream.nextMethod(nullptr, &message));
        CPPUNIT_ASSERT_EQUAL(std::string("note://one"), message->getObject("params")->getValue<std::string>("uri"));

        // Unsubscribed: the stream is opened again without it, and the next change reaches nobody.
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), a.result("resources/unsubscribe", R"({"uri":"note://one"})")->size());
        CPPUNIT_ASSERT(eventually([&] { return listens() == 3; }));
        CPPUNIT_ASSERT_EQUAL(204, httpRequest("POST", peer.port(), "/touch", "").status);
        const auto after = stream.next(1000);
        CPPUNIT_ASSERT_MESSAGE(after ? after->data : "", !after.has_value());
        const auto methods = seenMethods();
        CPPUNIT_ASSERT(std::find(methods.begin(), methods.end(), "resources/subscribe") == methods.end());
        CPPUNIT_ASSERT(std::find(methods.begin(), methods.end(), "resources/unsubscribe") == methods.end());
    }

    // A Streamable HTTP server's answer to a call an agent made through /mcp is waited for on the I/O
    // thread that took the agent's request (plugin ABI 2.4 watch_readable), which then answers the
    // agent; an answer slower than the 50 ms that thread waits is read by the transport's own thread.
    // Both show on /metrics.
    void anHttpServersAnswerIsReadOnTheThreadThatTookTheCall() {
        mc::test::NodeHttpPeer peer({std::string(MC_TEST_MCP_PEERS_DIR) + "/modern-peer.mjs", "--legacy=reject"});
        CPPUNIT_ASSERT(peer.ready());
        InProcessHost host(InProcessHost::Overrides{
            {"mcp.servers.modern.transport", "http"},
            {"mcp.servers.modern.url", "http://127.0.0.1:" + std::to_string(peer.port()) + "/mcp"}});
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "modern") == "connected"; }));
        const McpSession mcp(host.port());
        const auto before = mc::host::net::EventLoop::watchCounts();
        for (int i = 0; i < 3; ++i) {
            const auto result = mcp.result("tools/call", R"({"name":"modern__echo","arguments":{"message":"looped )" + std::to_string(i) + R"("}})");
            CPPUNIT_ASSERT_EQUAL("echo: looped " + std::to_string(i),
                                 result->getArray("content")->getObject(0)->getValue<std::string>("text"));
        }
        // An answer past the first peek's 4 KiB (the request, under 16 KiB, is still written inline).
        const std::string message(10'000, 'm');
        const auto large = mcp.result("tools/call", R"({"name":"modern__echo","arguments":{"message":")" + message + R"("}})");
        CPPUNIT_ASSERT_EQUAL("echo: " + message, large->getArray("content")->getObject(0)->getValue<std::string>("text"));
        const auto quick = mc::host::net::EventLoop::watchCounts();
        CPPUNIT_ASSERT_MESSAGE(std::to_string(quick.readable - before.readable), quick.readable >= before.readable + 4);
        const auto slow = mcp.result("tools/call", R"({"name":"modern__sleep","arguments":{"ms":400}})");
        CPPUNIT_ASSERT_EQUAL(std::string("slept 400 ms"), slow->getArray("content")->getObject(0)->getValue<std::string>("text"));
        const auto after = mc::host::net::EventLoop::watchCounts();
        CPPUNIT_ASSERT_EQUAL(quick.deadline + 1, after.deadline);
        const std::string metrics = httpGet(host.port(), "/metrics").body;
        CPPUNIT_ASSERT_MESSAGE(metrics, metrics.find("mc_plugin_socket_waits_total{outcome=\"readable\"} " + std::to_string(after.readable)) !=
                                            std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(metrics, metrics.find("mc_plugin_socket_waits_total{outcome=\"deadline\"} " + std::to_string(after.deadline)) !=
                                            std::string::npos);
    }

    // Reads (resources/read, prompts/get, resources/subscribe) are decided by the rules that name no
    // tools: a rule about one tool leaves them alone, a rule about the server denies them, with the
    // reason, and the denied read is a step of the session's thread.
    void thePolicyDecidesReadsByTheRulesThatNameNoTools() {
        const std::string uri = "mission-control://every/demo://resource/static/document/features.md";
        {
            InProcessHost host(withEverything({{"permissions.rules.no-echo.effect", "deny"}, {"permissions.rules.no-echo.tools", "echo"}}));
            CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
            const McpSession mcp(host.port());
            CPPUNIT_ASSERT(mcp.result("resources/read", R"({"uri":")" + uri + R"("})")->getArray("contents")->size() > 0);
            CPPUNIT_ASSERT(mcp.result("prompts/get", R"({"name":"every__simple-prompt"})")->getArray("messages")->size() > 0);
        }
        InProcessHost host(withEverything({{"permissions.rules.not-every.effect", "deny"}, {"permissions.rules.not-every.mcps", "every"}}));
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        const McpSession mcp(host.port());
        auto denied = mcp.request("resources/read", R"({"uri":")" + uri + R"("})")->getObject("error");
        CPPUNIT_ASSERT_EQUAL(-32003, denied->getValue<int>("code"));
        CPPUNIT_ASSERT_EQUAL(std::string("'anonymous' (admin) may not resources/read 'demo://resource/static/document/features.md' on 'every': "
                                         "rule 'not-every' denies"),
                             denied->getValue<std::string>("message"));
        denied = mcp.request("prompts/get", R"({"name":"every__simple-prompt"})")->getObject("error");
        CPPUNIT_ASSERT_EQUAL(std::string("'anonymous' (admin) may not prompts/get 'simple-prompt' on 'every': rule 'not-every' denies"),
                             denied->getValue<std::string>("message"));
        denied = mcp.request("resources/subscribe", R"({"uri":")" + uri + R"("})")->getObject("error");
        CPPUNIT_ASSERT_EQUAL(-32003, denied->getValue<int>("code"));
        CPPUNIT_ASSERT(eventually([&] {
            const auto r = httpGet(host.port(), "/api/threads/T-mcp-" + mcp.id + "/timeline");
            if (r.status != 200) return false;
            const auto items = r.json()->getArray("items");
            return items->size() == 2 && items->getObject(0)->getObject("details")->getValue<std::string>("outcome") == "permission_denied";
        }, 10000));
    }

    // mcp.endpoint.page_size: each list in pages, nextCursor leading on until the last; a cursor that is
    // not one of ours, or of a list that changed since, is refused with the reason.
    void listsArePagedWhenAsked() {
        InProcessHost host(withEverything({{"mcp.endpoint.page_size", "4"}}));
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        const McpSession mcp(host.port());
        std::vector<std::string> names;
        std::string cursor, firstCursor;
        int pages = 0;
        do {
            const auto page = mcp.result("tools/list", cursor.empty() ? "{}" : R"({"cursor":")" + cursor + R"("})");
            const auto tools = page->getArray("tools");
            CPPUNIT_ASSERT(tools->size() <= 4);
            for (std::size_t i = 0; i < tools->size(); ++i) names.push_back(tools->getObject(static_cast<unsigned>(i))->getValue<std::string>("name"));
            cursor = page->has("nextCursor") ? page->getValue<std::string>("nextCursor") : "";
            if (pages++ == 0) firstCursor = cursor;
            CPPUNIT_ASSERT(pages < 50);
        } while (!cursor.empty());
        const auto total = mc::test::httpGet(host.port(), "/api/mcps/every").json()->getValue<std::size_t>("tool_count");
        CPPUNIT_ASSERT_EQUAL(total, names.size());
        CPPUNIT_ASSERT_EQUAL(static_cast<int>((total + 3) / 4), pages);
        std::sort(names.begin(), names.end());
        CPPUNIT_ASSERT(std::adjacent_find(names.begin(), names.end()) == names.end()); // no item twice
        CPPUNIT_ASSERT(contains(names, "every__echo"));
        CPPUNIT_ASSERT_EQUAL(std::string("4."), firstCursor.substr(0, 2));
        // Refusals.
        auto refused = mcp.request("tools/list", R"({"cursor":"x"})")->getObject("error");
        CPPUNIT_ASSERT_EQUAL(-32602, refused->getValue<int>("code"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid cursor 'x': pass on the nextCursor of the previous page"), refused->getValue<std::string>("message"));
        refused = mcp.request("tools/list", R"({"cursor":"4.0000000000000000"})")->getObject("error");
        CPPUNIT_ASSERT_EQUAL(std::string("the list changed since cursor '4.0000000000000000' was given: list again from the start"),
                             refused->getValue<std::string>("message"));
        // The prompts of the same server page the same way.
        const auto prompts = mcp.result("prompts/list");
        CPPUNIT_ASSERT(prompts->getArray("prompts")->size() <= 4);
    }

    // A call that asks for progress (_meta.progressToken) gets the server's progress under its own token
    // on the request's event stream, then the answer; without Accept: text/event-stream, the answer
    // alone. notifications/cancelled cancels the call upstream with the client's reason.
    void progressAndCancellationPassThrough() {
        InProcessHost host(withEverything());
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        const McpSession mcp(host.port());
        const auto post = [&](mc::test::TcpClient& client, const std::string& body, const std::string& accept) {
            client.send("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(host.port()) + "\r\nContent-Type: application/json\r\nAccept: " +
                        accept + "\r\nMcp-Session-Id: " + mcp.id + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
        };
        const std::string longCall = R"({"jsonrpc":"2.0","id":"call-1","method":"tools/call","params":{"name":"every__trigger-long-running-operation",)"
                                     R"("arguments":{"duration":1,"steps":3},"_meta":{"progressToken":"tok-1"}}})";
        {
            mc::test::TcpClient client(host.port());
            post(client, longCall, "application/json, text/event-stream");
            const std::string answer = client.read(15000, "0\r\n\r\n");
            CPPUNIT_ASSERT_MESSAGE(answer, answer.find("Content-Type: text/event-stream") != std::string::npos);
            std::vector<Poco::JSON::Object::Ptr> messages;
            for (std::size_t at = answer.find("data: "); at != std::string::npos; at = answer.find("data: ", at + 1))
                messages.push_back(parse(answer.substr(at + 6, answer.find('\n', at) - at - 6)));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(answer, std::size_t(4), messages.size());
            for (int i = 0; i < 3; ++i) {
                CPPUNIT_ASSERT_EQUAL(std::string("notifications/progress"), messages[i]->getValue<std::string>("method"));
                const auto params = messages[i]->getObject("params");
                CPPUNIT_ASSERT_EQUAL(std::string("tok-1"), params->getValue<std::string>("progressToken"));
                CPPUNIT_ASSERT_EQUAL(i + 1, params->getValue<int>("progress"));
                CPPUNIT_ASSERT_EQUAL(3, params->getValue<int>("total"));
            }
            CPPUNIT_ASSERT_EQUAL(std::string("call-1"), messages[3]->getValue<std::string>("id"));
            CPPUNIT_ASSERT_MESSAGE(answer, messages[3]->getObject("result")->getArray("content")->getObject(0)->getValue<std::string>("text").find(
                                               "Long running operation completed") != std::string::npos);
        }
        {
            mc::test::TcpClient client(host.port());
            post(client, longCall, "application/json");
            const std::string answer = client.read(15000, "}}");
            CPPUNIT_ASSERT_MESSAGE(answer, answer.find("Content-Type: application/json") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(answer, answer.find("notifications/progress") == std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(answer, answer.find("Long running operation completed") != std::string::npos);
        }
        // Cancelled by the client while it runs (30 s): answered at once, the server told the reason.
        mc::test::TcpClient running(host.port());
        post(running, R"({"jsonrpc":"2.0","id":41,"method":"tools/call","params":{"name":"every__trigger-long-running-operation",)"
                      R"("arguments":{"duration":30,"steps":30}}})",
             "application/json");
        CPPUNIT_ASSERT_EQUAL(std::string(), running.read(500)); // still running
        const auto started = std::chrono::steady_clock::now();
        auto headers = kMcpHeaders;
        headers["Mcp-Session-Id"] = mcp.id;
        const auto cancel = httpRequest("POST", host.port(), "/mcp",
                                        R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":41,"reason":"user pressed stop"}})",
                                        headers);
        CPPUNIT_ASSERT_EQUAL(202, cancel.status);
        const std::string answer = running.read(10000, "}}");
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
        CPPUNIT_ASSERT_MESSAGE(std::to_string(elapsed) + " ms", elapsed < 5000);
        CPPUNIT_ASSERT_MESSAGE(answer, answer.find(R"("id":41)") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(answer, answer.find("cancelled: the client cancelled it: user pressed stop") != std::string::npos);
        // A cancellation naming nothing in flight is accepted and changes nothing.
        CPPUNIT_ASSERT_EQUAL(202, httpRequest("POST", host.port(), "/mcp",
                                              R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"nothing"}})",
                                              headers).status);
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: after"), mcp.result("tools/call", R"({"name":"every__echo","arguments":{"message":"after"}})")
                                                              ->getArray("content")->getObject(0)->getValue<std::string>("text"));
    }

    // A message over http.max_body_bytes is refused with 413 before it is read, and the session goes on.
    void oversizeMessagesAreRefused() {
        InProcessHost host(withEverything({{"http.max_body_bytes", "4096"}}));
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        const McpSession mcp(host.port());
        // Declared too large: answered from the head alone, without reading what follows.
        mc::test::TcpClient client(host.port());
        client.send("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(host.port()) +
                    "\r\nContent-Type: application/json\r\nMcp-Session-Id: " + mcp.id + "\r\nContent-Length: 8000\r\n\r\n" +
                    R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"every__echo","arguments":{"message":"xxxx)");
        const std::string answer = client.read(5000);
        CPPUNIT_ASSERT_MESSAGE(answer, answer.rfind("HTTP/1.1 413 ", 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(answer, answer.find("4096") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("Echo: small"),
                             mcp.result("tools/call", R"({"name":"every__echo","arguments":{"message":"small"}})")
                                 ->getArray("content")->getObject(0)->getValue<std::string>("text"));
    }

    // 2026-07-28 (ModernRequest.h, McpServerFaceModern.cpp): every request says who and what in its
    // _meta and headers; no session is made; the results say they are complete and how long to keep them.
    void theNewEraIsServedWithoutASession() {
        InProcessHost host(withEverything());
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        const auto post = [&](const std::string& body, const std::map<std::string, std::string>& h) {
            return httpRequest("POST", host.port(), "/mcp", body, h);
        };
        const auto headers = [](const std::string& method, const std::string& name = "") {
            auto h = kMcpHeaders;
            h["MCP-Protocol-Version"] = "2026-07-28";
            h["Mcp-Method"] = method;
            if (!name.empty()) h["Mcp-Name"] = name;
            return h;
        };
        const std::string meta = R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",)"
                                 R"("io.modelcontextprotocol/clientInfo":{"name":"Modern Agent","version":"3.1"},)"
                                 R"("io.modelcontextprotocol/clientCapabilities":{}})";
        // server/discover: both eras' versions, the capabilities, who this is, how long to keep it.
        auto r = post(R"({"jsonrpc":"2.0","id":"d1","method":"server/discover","params":{)" + meta + "}}", headers("server/discover"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto result = r.json()->getObject("result");
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["2026-07-28","2025-11-25","2025-06-18","2025-03-26"])"),
                             mc::host::json::stringify(result->getArray("supportedVersions")));
        CPPUNIT_ASSERT_EQUAL(std::string("complete"), result->getValue<std::string>("resultType"));
        CPPUNIT_ASSERT_EQUAL(10000, result->getValue<int>("ttlMs"));
        CPPUNIT_ASSERT_EQUAL(std::string("private"), result->getValue<std::string>("cacheScope"));
        CPPUNIT_ASSERT(result->getObject("capabilities")->getObject("tools")->getValue<bool>("listChanged"));
        CPPUNIT_ASSERT_EQUAL(std::string("mission-control"),
                             result->getObject("_meta")->getObject("io.modelcontextprotocol/serverInfo")->getValue<std::string>("name"));
        CPPUNIT_ASSERT(r.headers.find("Mcp-Session-Id") == r.headers.end());
        // The lists: complete, cacheable, without a session.
        r = post(R"({"jsonrpc":"2.0","id":2,"method":"tools/list","params":{)" + meta + "}}", headers("tools/list"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        result = r.json()->getObject("result");
        CPPUNIT_ASSERT_EQUAL(std::string("complete"), result->getValue<std::string>("resultType"));
        CPPUNIT_ASSERT_EQUAL(10000, result->getValue<int>("ttlMs"));
        CPPUNIT_ASSERT(r.body.find(R"("name":"every__echo")") != std::string::npos);
        // Every result says which server made it.
        CPPUNIT_ASSERT_EQUAL(std::string("mission-control"),
                             result->getObject("_meta")->getObject("io.modelcontextprotocol/serverInfo")->getValue<std::string>("name"));
        // Two calls of the same client: steps of one thread, which says the era and the client.
        for (const std::string word : {"one", "two"}) {
            r = post(R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"every__echo","arguments":{"message":")" + word +
                         R"("},)" + meta + "}}",
                     headers("tools/call", "every__echo"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
            result = r.json()->getObject("result");
            CPPUNIT_ASSERT_EQUAL(std::string("complete"), result->getValue<std::string>("resultType"));
            CPPUNIT_ASSERT_EQUAL("Echo: " + word, result->getArray("content")->getObject(0)->getValue<std::string>("text"));
            CPPUNIT_ASSERT(!result->has("ttlMs")); // a tool's result is not cacheable
            CPPUNIT_ASSERT(result->getObject("_meta")->has("io.modelcontextprotocol/serverInfo"));
        }
        Poco::JSON::Object::Ptr thread;
        CPPUNIT_ASSERT(eventually([&] {
            const auto threads = httpGet(host.port(), "/api/threads?mcp_id=modern-agent");
            if (threads.status != 200 || threads.json()->getArray("items")->size() != 1) return false;
            thread = threads.json()->getArray("items")->getObject(0);
            const auto timeline = httpGet(host.port(), "/api/threads/" + thread->getValue<std::string>("id") + "/timeline");
            return timeline.status == 200 && timeline.json()->getArray("items")->size() == 2;
        }, 20000));
        const auto context = thread->getObject("execution_context");
        CPPUNIT_ASSERT_MESSAGE(mc::host::json::stringify(thread), context);
        CPPUNIT_ASSERT_EQUAL(std::string("2026-07-28"), context->getValue<std::string>("protocol_version"));
        CPPUNIT_ASSERT_EQUAL(std::string("Modern Agent"), context->getObject("mcp_client")->getValue<std::string>("name"));
        // A name that is not plain ASCII travels base64-encoded; decoded, it must match the body.
        r = post(R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"every__echo","arguments":{"message":"x"},)" + meta + "}}",
                 headers("tools/call", "=?base64?ZXZlcnlfX2VjaG8=?="));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        // What the headers say must be what the body says: 400 HeaderMismatch naming the difference.
        auto refusal = [&](const std::string& body, const std::map<std::string, std::string>& h, int status, int code, const std::string& says) {
            const auto reply = post(body, h);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(reply.body, status, reply.status);
            const auto error = reply.json()->getObject("error");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(reply.body, code, error->getValue<int>("code"));
            CPPUNIT_ASSERT_MESSAGE(reply.body, error->getValue<std::string>("message").find(says) != std::string::npos);
            return reply.json();
        };
        const std::string call = R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"every__echo","arguments":{"message":"x"},)" + meta + "}}";
        refusal(call, headers("tools/call", "every__add"), 400, -32020, "Mcp-Name header value \"every__add\" does not match the body's \"every__echo\"");
        refusal(call, headers("tools/call"), 400, -32020, "the Mcp-Name header is required for tools/call");
        refusal(call, headers("tools/list", "every__echo"), 400, -32020, "Mcp-Method header \"tools/list\" does not match the body's \"tools/call\"");
        refusal(call, headers("tools/call", "=?base64?%%%?="), 400, -32020, "is not valid =?base64?");
        auto noVersion = headers("tools/call", "every__echo");
        noVersion.erase("MCP-Protocol-Version");
        refusal(call, noVersion, 400, -32020, "the MCP-Protocol-Version header is required");
        // A version of no era here: -32022 with what is spoken.
        const auto unsupported = refusal(R"({"jsonrpc":"2.0","id":6,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2099-01-01",)"
                                         R"("io.modelcontextprotocol/clientCapabilities":{}}}})",
                                         headers("tools/list"), 400, -32022, "Unsupported protocol version \"2099-01-01\"");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"requested":"2099-01-01","supported":["2026-07-28","2025-11-25","2025-06-18","2025-03-26"]})"),
                             mc::host::json::stringify(unsupported->getObject("error")->getObject("data")));
        // _meta without the capabilities, a log level that is none: -32602 naming the member.
        refusal(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}})",
                headers("tools/list"), 400, -32602, "io.modelcontextprotocol/clientCapabilities\"] is required");
        refusal(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",)"
                R"("io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/logLevel":"loud"}}})",
                headers("tools/list"), 400, -32602, "logLevel\"] must be one of debug");
        refusal(R"({"jsonrpc":"2.0","id":"d2","method":"server/discover","params":{}})", headers("server/discover"), 400, -32602,
                "must name the protocol version");
        // What the new era removed: 404 method not found, saying what replaces it.
        refusal(R"({"jsonrpc":"2.0","id":8,"method":"ping","params":{)" + meta + "}}", headers("ping"), 404, -32601, "ping is not part of 2026-07-28");
        refusal(R"({"jsonrpc":"2.0","id":8,"method":"logging/setLevel","params":{"level":"debug",)" + meta + "}}", headers("logging/setLevel"), 404,
                -32601, "a request's _meta names its log level");
        refusal(R"({"jsonrpc":"2.0","id":8,"method":"tasks/list","params":{)" + meta + "}}", headers("tasks/list"), 404, -32601,
                "'tasks/list' is not offered by this server");
        // A retry naming a state nobody gave: -32602, the call not made.
        refusal(R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"every__echo","arguments":{"message":"x"},"requestState":"forged",)" +
                    meta + "}}",
                headers("tools/call", "every__echo"), 200, -32602, "Invalid or expired requestState: no tools/call of 'every__echo'");
        // The 2025 era is as it was beside it: a session of its own, which the new era's thread is not.
        const std::string session = initialize(host.port());
        CPPUNIT_ASSERT(!session.empty());
        auto old = kMcpHeaders;
        old["Mcp-Session-Id"] = thread->getValue<std::string>("id").substr(6);
        CPPUNIT_ASSERT_EQUAL(404, post(R"({"jsonrpc":"2.0","id":2,"method":"ping"})", old).status);
    }

    // subscriptions/listen: acknowledged first with what is honored, then only the notifications opted
    // in to, each stamped with the subscription's id; a resource subscription by URI reaches the server.
    void aListenStreamCarriesWhatItOptedInTo() {
        InProcessHost host(withEverything());
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        const std::string meta = R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",)"
                                 R"("io.modelcontextprotocol/clientInfo":{"name":"Listener","version":"1"},)"
                                 R"("io.modelcontextprotocol/clientCapabilities":{}})";
        const std::string body = R"({"jsonrpc":"2.0","id":"listen:7","method":"subscriptions/listen","params":{"notifications":)"
                                 R"({"resourcesListChanged":true,"toolsListChanged":false,)"
                                 R"("resourceSubscriptions":["mission-control://every/demo://resource/static/document/features.md","nowhere://x"]},)" +
                                 meta + "}}";
        const auto raw = [&](const std::string& text) {
            return "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(host.port()) +
                   "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                   "MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: subscriptions/listen\r\nContent-Length: " +
                   std::to_string(text.size()) + "\r\n\r\n" + text;
        };
        SessionStream stream(host.port(), SessionStream::RawRequest{raw(body)});
        CPPUNIT_ASSERT_MESSAGE(stream.head, stream.head.find("200") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(stream.head, stream.head.find("text/event-stream") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(stream.head, stream.head.find("X-Accel-Buffering: no") != std::string::npos);
        Poco::JSON::Object::Ptr message;
        CPPUNIT_ASSERT_EQUAL(std::string("notifications/subscriptions/acknowledged"), stream.nextMethod(nullptr, &message));
        // Honored: what was asked for and can be done (the URI no server offers is left out).
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"resourceSubscriptions":["mission-control://every/demo://resource/static/document/features.md"],)"
                                         R"("resourcesListChanged":true})"),
                             mc::host::json::stringify(message->getObject("params")->getObject("notifications")));
        CPPUNIT_ASSERT_EQUAL(std::string("listen:7"),
                             message->getObject("params")->getObject("_meta")->getValue<std::string>("io.modelcontextprotocol/subscriptionId"));
        // A resource server-everything registers changes the resource list: told, stamped.
        auto headers = kMcpHeaders;
        headers["MCP-Protocol-Version"] = "2026-07-28";
        headers["Mcp-Method"] = "tools/call";
        headers["Mcp-Name"] = "every__gzip-file-as-resource";
        const auto r = httpRequest("POST", host.port(), "/mcp",
                                   R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"every__gzip-file-as-resource","arguments":)"
                                   R"({"name":"listen.txt","data":"data:text/plain;base64,aGVsbG8=","outputType":"resourceLink"},)" +
                                       meta + "}}",
                                   headers);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("notifications/resources/list_changed"), stream.nextMethod(nullptr, &message));
        CPPUNIT_ASSERT_EQUAL(std::string("listen:7"),
                             message->getObject("params")->getObject("_meta")->getValue<std::string>("io.modelcontextprotocol/subscriptionId"));
        // Its tools changed too, but the stream did not opt in to tools: nothing else came.
        const auto more = stream.next(1500);
        CPPUNIT_ASSERT_MESSAGE(more ? more->data : std::string(), !more.has_value() || more->data.find("tools/list_changed") == std::string::npos);
        // Without an event stream, a listen cannot be answered: 400 saying so.
        auto plain = kMcpHeaders;
        plain["Accept"] = "application/json";
        plain["MCP-Protocol-Version"] = "2026-07-28";
        plain["Mcp-Method"] = "subscriptions/listen";
        const auto refused = httpRequest("POST", host.port(), "/mcp", body, plain);
        CPPUNIT_ASSERT_EQUAL(400, refused.status);
        CPPUNIT_ASSERT_MESSAGE(refused.body, refused.body.find("send Accept: text/event-stream") != std::string::npos);
    }

    // An agent that sends no id of its call but its W3C trace context: the call joins the agent's
    // step of the span it was made from (an execute_tool span the agent exports).
    void aCallJoinsTheAgentsSpanByTraceContext() {
        InProcessHost host(withEverything({{"mcp.endpoint.join_wait_ms", "5000"}}));
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(host.port(), "every") == "connected"; }));
        const unsigned short port = host.port();
        const std::string session = initialize(port);
        const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736", span = "00f067aa0ba902b7";
        auto headers = kMcpHeaders;
        headers["Mcp-Session-Id"] = session;
        const auto r = httpRequest("POST", port, "/mcp",
                                   R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"every__echo",)"
                                   R"("arguments":{"message":"traced"},"_meta":{"traceparent":"00-)" + trace + "-" + span + R"(-01"}}})",
                                   headers);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        const std::string spans =
            R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"span-agent"}}]},)"
            R"("scopeSpans":[{"scope":{"name":"span-agent"},"spans":[{"traceId":")" + trace + R"(","spanId":")" + span +
            R"(","name":"execute_tool every__echo","kind":1,"startTimeUnixNano":"1764633602000000000","endTimeUnixNano":"1764633602030000000",)"
            R"("attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"execute_tool"}},)"
            R"({"key":"gen_ai.tool.name","value":{"stringValue":"every__echo"}},)"
            R"({"key":"gen_ai.conversation.id","value":{"stringValue":"conv-span-1"}}]}]}]}]})";
        const auto sent = httpRequest("POST", port, "/v1/traces", spans, {{"Content-Type", "application/json"}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(sent.body, 200, sent.status);
        Poco::JSON::Object::Ptr step;
        CPPUNIT_ASSERT(eventually([&] {
            const auto threads = httpGet(port, "/api/threads?mcp_id=span-agent");
            if (threads.status != 200 || threads.json()->getArray("items")->size() != 1) return false;
            const auto timeline =
                httpGet(port, "/api/threads/" + threads.json()->getArray("items")->getObject(0)->getValue<std::string>("id") + "/timeline");
            if (timeline.status != 200 || timeline.json()->getArray("items")->size() != 1) return false;
            step = timeline.json()->getArray("items")->getObject(0);
            return true;
        }, 20000));
        const auto details = step->getObject("details");
        const auto gateway = details->getObject("gateway");
        CPPUNIT_ASSERT_MESSAGE(mc::host::json::stringify(details), gateway);
        CPPUNIT_ASSERT_EQUAL(std::string("span"), gateway->getValue<std::string>("joined_by"));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), gateway->getValue<std::string>("outcome"));
        CPPUNIT_ASSERT_EQUAL(std::string("every"), step->getValue<std::string>("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("echo"), step->getValue<std::string>("tool"));
        CPPUNIT_ASSERT_EQUAL(span, details->getValue<std::string>("span_id"));
        CPPUNIT_ASSERT(!details->has("tool_use_id")); // no id of the call was sent: none is made up
        CPPUNIT_ASSERT_EQUAL(404, httpGet(port, "/api/threads/T-mcp-" + session).status); // no second thread
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(McpEndpointTest);
