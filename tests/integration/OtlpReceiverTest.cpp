// The OTLP receiver (plugins/receiver-otlp) in a whole host, fed by real senders: hand-written
// requests on the host's port and on the receiver's own listener, the official OpenTelemetry JS SDK
// exporters (http/json and http/protobuf, gzip), and the real Claude Code CLI run in print mode
// against a scripted fake Anthropic API inside a network namespace with loopback alone. What they
// send must come out of the query API as threads with their transcript, steps and permission events.
#include "GatewayTestSupport.h"
#include "InProcessHost.h"
#include "NetworkNamespace.h"
#include "TestHttp.h"
#include "TestWebSocket.h"
#include "app/HostRuntime.h"
#include "web/Auth.h"

#include <Poco/Net/NetException.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>

using mc::test::eventually;
using mc::test::httpGet;
using mc::test::httpRequest;
using mc::test::InProcessHost;
using mc::test::Ran;
using mc::test::runProgram;

namespace {

const std::map<std::string, std::string> kJson = {{"Content-Type", "application/json"}};

const char* kPromptJson = R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"claude-code"}}]},
  "scopeLogs":[{"scope":{"name":"com.anthropic.claude_code.events"},"logRecords":[
  {"timeUnixNano":"1764633600000000000","body":{"stringValue":"claude_code.user_prompt"},"attributes":[
    {"key":"event.name","value":{"stringValue":"user_prompt"}},{"key":"session.id","value":{"stringValue":"s-int"}},
    {"key":"event.sequence","value":{"intValue":"1"}},{"key":"prompt","value":{"stringValue":"hello host"}}]},
  {"timeUnixNano":"1764633601000000000","body":{"stringValue":"claude_code.api_request"},"attributes":[
    {"key":"event.name","value":{"stringValue":"api_request"}},{"key":"session.id","value":{"stringValue":"s-int"}},
    {"key":"event.sequence","value":{"intValue":2}},{"key":"model","value":{"stringValue":"claude-x"}},
    {"key":"input_tokens","value":{"intValue":10}},{"key":"output_tokens","value":{"intValue":2}}]}]}]}]})";

// The thread's page (GET /api/threads/{id}) once it holds at least `steps` steps and `messages`
// transcript messages; nullptr when it never does.
Poco::JSON::Object::Ptr threadWhenComplete(unsigned short port, const std::string& id, std::size_t steps, std::size_t messages) {
    Poco::JSON::Object::Ptr found;
    eventually([&] {
        const auto r = httpGet(port, "/api/threads/" + id);
        if (r.status != 200) return false;
        auto page = r.json()->getArray("items")->getObject(0);
        if (page->getArray("timeline")->size() < steps || page->getArray("transcript")->size() < messages) return false;
        found = page;
        return true;
    }, 20000);
    return found;
}

// step_type:status:tool of each step, in the thread's order.
std::vector<std::string> stepsOf(const Poco::JSON::Object::Ptr& page) {
    std::vector<std::string> out;
    const auto timeline = page->getArray("timeline");
    for (std::size_t i = 0; i < timeline->size(); ++i) {
        const auto s = timeline->getObject(static_cast<unsigned>(i));
        out.push_back(s->getValue<std::string>("step_type") + ":" + s->getValue<std::string>("status") + ":" +
                      s->optValue<std::string>("tool", ""));
    }
    return out;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : " ") + i;
    return out;
}

} // namespace

class OtlpReceiverTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OtlpReceiverTest);
    CPPUNIT_TEST(logsOnTheHostPortAndTheOwnListenerBecomeAThread);
    CPPUNIT_TEST(aServersOwnLogsJoinItByItsServiceName);
    CPPUNIT_TEST(authenticationAppliesToBothListeners);
    CPPUNIT_TEST(ingestKeysSendTelemetryAndNothingElse);
    CPPUNIT_TEST(officialExportersInBothEncodingsAndGzip);
    CPPUNIT_TEST(realClaudeCodeSessionIsObserved);
    CPPUNIT_TEST(theReceiverPluginReplacedRemovedAndAddedAgain);
    CPPUNIT_TEST_SUITE_END();

public:
    // receiver-otlp.so replaced in plugins.dir while the host runs: the new version takes the same
    // routes on both listeners; removed, its routes answer 503 saying why; added again, it serves.
    void theReceiverPluginReplacedRemovedAndAddedAgain() {
        mc::test::TempDir plugins;
        const std::string so = plugins.file("receiver-otlp.so");
        auto put = [&] {
            std::filesystem::copy_file(std::string(MC_TEST_PLUGIN_DIR) + "/receiver-otlp.so", so + ".new");
            std::filesystem::rename(so + ".new", so);
        };
        std::filesystem::copy_file(std::string(MC_TEST_PLUGIN_DIR) + "/store-sqlite.so", plugins.file("store-sqlite.so"));
        put();
        InProcessHost host(InProcessHost::Overrides{
            {"receiver.otlp.listen", "127.0.0.1:0"}, {"plugins.dir", plugins.path()}, {"plugins.watch", "false"}});
        const unsigned short own = host.runtime->receiverPort("receiver-otlp");
        auto session = [](const std::string& id) {
            std::string body = kPromptJson;
            for (std::size_t at = body.find("s-int"); at != std::string::npos; at = body.find("s-int", at)) body.replace(at, 5, id);
            return body;
        };
        CPPUNIT_ASSERT_EQUAL(200, httpRequest("POST", own, "/v1/logs", session("s-v1"), kJson).status);

        put();
        auto rescan = httpRequest("POST", host.port(), "/api/plugins/rescan");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"added":[],"removed":[],"replaced":["receiver-otlp"],"refused":[]})"), rescan.body);
        CPPUNIT_ASSERT_EQUAL(200, httpRequest("POST", own, "/v1/logs", session("s-v2"), kJson).status);
        CPPUNIT_ASSERT_EQUAL(200, httpRequest("POST", host.port(), "/v1/logs", session("s-v2b"), kJson).status);
        for (const char* id : {"T-s-v1", "T-s-v2", "T-s-v2b"}) CPPUNIT_ASSERT_MESSAGE(id, threadWhenComplete(host.port(), id, 1, 1));
        auto report = httpGet(host.port(), "/api/plugins").json()->getArray("plugins");
        bool listed = false;
        for (std::size_t i = 0; i < report->size(); ++i) {
            auto plugin = report->getObject(static_cast<unsigned>(i));
            if (plugin->optValue<std::string>("id", "") != "receiver-otlp") continue;
            listed = true;
            CPPUNIT_ASSERT_EQUAL(std::string("ok"), plugin->getArray("instances")->getObject(0)->getValue<std::string>("status"));
        }
        CPPUNIT_ASSERT(listed);

        std::filesystem::remove(so);
        rescan = httpRequest("POST", host.port(), "/api/plugins/rescan");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"added":[],"removed":["receiver-otlp"],"replaced":[],"refused":[]})"), rescan.body);
        const auto refused = httpRequest("POST", own, "/v1/logs", session("s-gone"), kJson);
        CPPUNIT_ASSERT_EQUAL(503, refused.status);
        CPPUNIT_ASSERT_EQUAL(std::string("receiver_unavailable"), refused.json()->getObject("error")->getValue<std::string>("code"));
        CPPUNIT_ASSERT_EQUAL(std::string("the receiver plugin 'receiver-otlp' was removed from plugins.dir"),
                             refused.json()->getObject("error")->getValue<std::string>("message"));

        put();
        rescan = httpRequest("POST", host.port(), "/api/plugins/rescan");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"added":["receiver-otlp"],"removed":[],"replaced":[],"refused":[]})"), rescan.body);
        CPPUNIT_ASSERT_EQUAL(200, httpRequest("POST", own, "/v1/logs", session("s-back"), kJson).status);
        CPPUNIT_ASSERT(threadWhenComplete(host.port(), "T-s-back", 1, 1));
    }

    void logsOnTheHostPortAndTheOwnListenerBecomeAThread() {
        InProcessHost host(InProcessHost::Overrides{{"receiver.otlp.listen", "127.0.0.1:0"}});
        const unsigned short own = host.runtime->receiverPort("receiver-otlp");
        CPPUNIT_ASSERT(own != 0 && own != host.port());
        const auto first = httpRequest("POST", host.port(), "/v1/logs", kPromptJson, kJson);
        CPPUNIT_ASSERT_EQUAL(200, first.status);
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), first.body);
        // The exporter's retry, to the other listener: nothing is stored twice.
        const auto again = httpRequest("POST", own, "/v1/logs", kPromptJson, kJson);
        CPPUNIT_ASSERT_EQUAL(200, again.status);
        const auto page = threadWhenComplete(host.port(), "T-s-int", 1, 1);
        CPPUNIT_ASSERT(page);
        CPPUNIT_ASSERT_EQUAL(std::string("claude-code"), page->getValue<std::string>("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("hello host"), page->getValue<std::string>("user_input"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), page->getArray("timeline")->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), page->getArray("transcript")->size());
        CPPUNIT_ASSERT_EQUAL(std::string("model request claude-x: 10 in, 2 out tokens"),
                             page->getArray("timeline")->getObject(0)->getValue<std::string>("description"));
        // Only the receiver's routes on its own port; what it refuses, it says.
        CPPUNIT_ASSERT_EQUAL(404, httpGet(own, "/api/threads").status);
        const auto bad = httpRequest("POST", own, "/v1/traces", R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"00"}]}]}]})", kJson);
        CPPUNIT_ASSERT_EQUAL(400, bad.status);
        CPPUNIT_ASSERT(bad.body.find("malformed OTLP/JSON request") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(415, httpRequest("POST", own, "/v1/logs", "x", {{"Content-Type", "text/plain"}}).status);
    }

    void authenticationAppliesToBothListeners() {
        InProcessHost host({{"receiver.otlp.listen", "127.0.0.1:0"}, {"auth.jwt.secret", "otlp-test-secret-0123456789abcdef"}});
        const unsigned short own = host.runtime->receiverPort("receiver-otlp");
        CPPUNIT_ASSERT_EQUAL(401, httpRequest("POST", own, "/v1/logs", kPromptJson, kJson).status);
        CPPUNIT_ASSERT_EQUAL(401, httpRequest("POST", host.port(), "/v1/logs", kPromptJson, kJson).status);
        auto viewer = kJson;
        viewer["Authorization"] = "Bearer " + host.runtime->auth().issue("dashboard", mc::host::Role::Viewer);
        CPPUNIT_ASSERT_EQUAL(403, httpRequest("POST", own, "/v1/logs", kPromptJson, viewer).status);
        auto agent = kJson;
        agent["Authorization"] = "Bearer " + host.runtime->auth().issue("claude", mc::host::Role::Operator);
        CPPUNIT_ASSERT_EQUAL(200, httpRequest("POST", own, "/v1/logs", kPromptJson, agent).status);
    }

    // An ingest key (auth.ingest_keys.<source>) sends telemetry and events on both listeners, says who
    // sent them, and opens nothing else: not a query, not a tool call, not /ws.
    void ingestKeysSendTelemetryAndNothingElse() {
        InProcessHost host({{"receiver.otlp.listen", "127.0.0.1:0"},
                            {"auth.jwt.secret", "otlp-test-secret-0123456789abcdef"},
                            {"auth.ingest_keys.laptops", "laptop-key-0123456789"},
                            {"auth.ingest_keys.ci", "ci-key-0123456789abcdef"}});
        const unsigned short own = host.runtime->receiverPort("receiver-otlp");
        auto keyed = kJson;
        keyed["Authorization"] = "Bearer laptop-key-0123456789";
        CPPUNIT_ASSERT_EQUAL(200, httpRequest("POST", own, "/v1/logs", kPromptJson, keyed).status);
        CPPUNIT_ASSERT_EQUAL(200, httpRequest("POST", host.port(), "/v1/logs", kPromptJson, keyed).status);
        auto ingested = httpRequest("POST", host.port(), "/api/ingest",
                                    R"({"events":[{"type":"log","level":"INFO","service":"ci","mcp_id":"ci","message":"from ci"}]})",
                                    {{"Content-Type", "application/json"}, {"Authorization", "Bearer ci-key-0123456789abcdef"}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ingested.body, 200, ingested.status);
        // Nothing else: 403 with why, whatever the route's role.
        const auto query = httpRequest("GET", host.port(), "/api/threads", "", {{"Authorization", "Bearer laptop-key-0123456789"}});
        CPPUNIT_ASSERT_EQUAL(403, query.status);
        CPPUNIT_ASSERT_MESSAGE(query.body, query.body.find("an ingest key (ingest:laptops) may only send events and telemetry") !=
                                               std::string::npos);
        CPPUNIT_ASSERT_EQUAL(403, httpRequest("POST", host.port(), "/api/mcps", R"({"id":"x","transport":"http","url":"http://127.0.0.1:1/mcp"})",
                                              {{"Content-Type", "application/json"}, {"Authorization", "Bearer laptop-key-0123456789"}})
                                      .status);
        try {
            mc::test::TestWebSocket ws(host.port(), "/ws", {{"Authorization", "Bearer laptop-key-0123456789"}});
            CPPUNIT_FAIL("an ingest key opened /ws");
        } catch (const Poco::Net::WebSocketException& e) {
            CPPUNIT_ASSERT_MESSAGE(e.displayText(), e.displayText().find("Forbidden") != std::string::npos);
        }
        // A key that is not one (a prefix of one, another's with a byte changed) is no token either.
        keyed["Authorization"] = "Bearer laptop-key-012345678";
        CPPUNIT_ASSERT_EQUAL(401, httpRequest("POST", own, "/v1/logs", kPromptJson, keyed).status);
        keyed["Authorization"] = "Bearer laptop-key-0123456780";
        CPPUNIT_ASSERT_EQUAL(401, httpRequest("POST", own, "/v1/logs", kPromptJson, keyed).status);
        // The thread says who sent it.
        auto admin = "Bearer " + host.runtime->auth().issue("root", mc::host::Role::Admin);
        std::string thread;
        CPPUNIT_ASSERT(eventually([&] {
            const auto r = httpRequest("GET", host.port(), "/api/threads/T-s-int", "", {{"Authorization", admin}});
            thread = r.body;
            return r.status == 200;
        }, 20000));
        CPPUNIT_ASSERT_MESSAGE(thread, thread.find("\"sent_by\":\"ingest:laptops\"") != std::string::npos);
    }

    // An MCP server that exports its own logs under a service.name of its own: mcp.servers.<id>.service_name
    // joins them to the server; any other service keeps its name as mcp_id.
    void aServersOwnLogsJoinItByItsServiceName() {
        InProcessHost host(mc::test::withEverything({{"receiver.otlp.listen", "127.0.0.1:0"},
                                                      {"mcp.servers.every.service_name", "my-mcp-server"}}));
        const std::string endpoint = "http://127.0.0.1:" + std::to_string(host.runtime->receiverPort("receiver-otlp"));
        for (const std::string service : {"my-mcp-server", "someone-else"}) {
            const Ran sent = runProgram("node", {"otel-sender.mjs", "--endpoint", endpoint, "--protocol", "http/json", "--scenario",
                                                 "server-logs", "--signals", "logs,traces,metrics", "--service-name", service});
            CPPUNIT_ASSERT_MESSAGE(sent.out, sent.status == 0);
        }
        const auto messagesOf = [&](const std::string& mcpId) {
            std::string out;
            const auto items = httpGet(host.port(), "/api/logs?mcp_id=" + mcpId + "&order=asc").json()->getArray("items");
            for (std::size_t i = 0; i < items->size(); ++i) {
                const auto item = items->getObject(static_cast<unsigned>(i));
                if (item->getValue<std::string>("service") == "stderr") continue; // server-everything's own stderr
                out += item->getValue<std::string>("level") + " " + item->getValue<std::string>("message") + " (" +
                       item->getValue<std::string>("service") + ");";
            }
            return out;
        };
        CPPUNIT_ASSERT(eventually([&] { return !messagesOf("every").empty() && !messagesOf("someone-else").empty(); }));
        CPPUNIT_ASSERT_EQUAL(std::string("INFO server started (my-mcp-server);ERROR disk full (my-mcp-server);"), messagesOf("every"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), messagesOf("my-mcp-server"));
        CPPUNIT_ASSERT_EQUAL(std::string("INFO server started (someone-else);ERROR disk full (someone-else);"), messagesOf("someone-else"));
        // Its spans and metric points join it too (mcp_id); someone else's carry none.
        const auto itemsOf = [&](const std::string& path) { return httpGet(host.port(), path).json()->getArray("items"); };
        CPPUNIT_ASSERT(eventually([&] { return itemsOf("/api/spans?mcp_id=every")->size() == 1 && itemsOf("/api/metrics?mcp_id=every")->size() == 1; }));
        const auto span = itemsOf("/api/spans?mcp_id=every")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("tools/call echo"), span->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("my-mcp-server"), span->getValue<std::string>("service"));
        const auto point = itemsOf("/api/metrics?mcp_id=every")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("mcp.server.requests"), point->getValue<std::string>("name"));
        CPPUNIT_ASSERT(eventually([&] { return itemsOf("/api/spans?service=someone-else")->size() == 1; }));
        CPPUNIT_ASSERT(itemsOf("/api/spans?service=someone-else")->getObject(0)->isNull("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), itemsOf("/api/spans?mcp_id=someone-else")->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), itemsOf("/api/spans?mcp_id=my-mcp-server")->size());
    }

    void officialExportersInBothEncodingsAndGzip() {
        InProcessHost host(InProcessHost::Overrides{{"receiver.otlp.listen", "127.0.0.1:0"}});
        const std::string endpoint = "http://127.0.0.1:" + std::to_string(host.runtime->receiverPort("receiver-otlp"));
        for (const auto& [protocol, gzip] : std::vector<std::pair<std::string, bool>>{
                 {"http/json", false}, {"http/protobuf", false}, {"http/protobuf", true}, {"http/json", true}}) {
            std::vector<std::string> args{"otel-sender.mjs", "--endpoint", endpoint, "--protocol", protocol,
                                          "--scenario", "claude-like", "--signals", "logs,traces,metrics"};
            if (gzip) args.push_back("--gzip");
            const Ran sent = runProgram("node", args);
            CPPUNIT_ASSERT_MESSAGE(protocol + (gzip ? " gzip: " : ": ") + sent.out, sent.status == 0);
            CPPUNIT_ASSERT(sent.out.find("\"ok\":true") != std::string::npos);
        }
        // Four sends of one session: one thread, each record once (ids derive from what was sent).
        const auto page = threadWhenComplete(host.port(), "T-5e5510e0-0000-4000-8000-000000000001", 3, 2);
        CPPUNIT_ASSERT(page);
        // The session started with its first event (not when the host first heard of it).
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:00:00.000000Z"), page->getValue<std::string>("started_at"));
        // The steps are the events': api_request (seq 1), tool_result (3), api_request (4).
        CPPUNIT_ASSERT_EQUAL(std::string("llm_call:ok: tool_call:ok:echo llm_call:ok:"), join(stepsOf(page)));
        // Its spans, each stored once, are the trace's tree, oldest first.
        const auto trace = httpGet(host.port(), "/api/traces/5eed0000000000000000000000000001");
        CPPUNIT_ASSERT_EQUAL(200, trace.status);
        const auto spans = trace.json()->getArray("items");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(trace.body, std::size_t(3), spans->size());
        std::vector<std::string> tree;
        for (std::size_t i = 0; i < spans->size(); ++i) {
            const auto sp = spans->getObject(static_cast<unsigned>(i));
            tree.push_back(sp->getValue<std::string>("name") + "<" + sp->optValue<std::string>("parent_span_id", "") + ">" +
                           sp->getValue<std::string>("kind") + ":" + sp->getValue<std::string>("thread_id"));
        }
        CPPUNIT_ASSERT_EQUAL(std::string("invoke_agent claude-code<>internal:T-5e5510e0-0000-4000-8000-000000000001 "
                                         "chat claude-x<5eed000000000001>client:T-5e5510e0-0000-4000-8000-000000000001 "
                                         "tools/call echo<5eed000000000001>client:T-5e5510e0-0000-4000-8000-000000000001"),
                             join(tree));
        const auto transcript = page->getArray("transcript");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), transcript->size());
        CPPUNIT_ASSERT_EQUAL(std::string("use the echo tool"), transcript->getObject(0)->getValue<std::string>("content"));
        CPPUNIT_ASSERT_EQUAL(std::string("done"), transcript->getObject(1)->getValue<std::string>("content"));
        const auto permissions = httpGet(host.port(), "/api/permissions?thread_id=T-5e5510e0-0000-4000-8000-000000000001");
        CPPUNIT_ASSERT_EQUAL(200, permissions.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), permissions.json()->getArray("items")->size());
        CPPUNIT_ASSERT_EQUAL(std::string("every/echo"),
                             permissions.json()->getArray("items")->getObject(0)->getValue<std::string>("resource"));
        // Four runs, each a delta of 240 input and 24 output tokens and $0.001524: added up per thread and per agent.
        const std::string usageRow = R"({"input_tokens":960,"output_tokens":96,"cache_read_tokens":0,"cache_creation_tokens":0,)"
                                     R"("total_tokens":1056,"cost_usd":0.006096,"points":12})";
        std::string byThread;
        CPPUNIT_ASSERT_MESSAGE(byThread, eventually([&] {
            byThread = httpGet(host.port(), "/api/usage?thread_id=T-5e5510e0-0000-4000-8000-000000000001").body;
            return byThread.find(R"("points":12)") != std::string::npos;
        }, 20000));
        CPPUNIT_ASSERT_EQUAL(R"({"items":[{"thread_id":"T-5e5510e0-0000-4000-8000-000000000001",)" + usageRow.substr(1) +
                                 R"(],"truncated":false})",
                             byThread);
        CPPUNIT_ASSERT_EQUAL(R"({"items":[{"service":"claude-code",)" + usageRow.substr(1) + R"(],"truncated":false})",
                             httpGet(host.port(), "/api/usage?by=service").body);
        // And as Prometheus series per agent.
        const auto scraped = httpGet(host.port(), "/metrics");
        CPPUNIT_ASSERT_EQUAL(200, scraped.status);
        for (const char* line : {"mc_agent_tokens_total{agent=\"claude-code\",type=\"input\"} 960\n",
                                 "mc_agent_tokens_total{agent=\"claude-code\",type=\"output\"} 96\n",
                                 "mc_agent_tokens_total{agent=\"claude-code\",type=\"cache_read\"} 0\n"})
            CPPUNIT_ASSERT_MESSAGE(std::string(line) + " in\n" + scraped.body, scraped.body.find(line) != std::string::npos);
        const std::string costSeries = "mc_agent_cost_usd_total{agent=\"claude-code\"} ";
        const auto costAt = scraped.body.find(costSeries);
        CPPUNIT_ASSERT_MESSAGE(scraped.body, costAt != std::string::npos);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.006096, std::stod(scraped.body.substr(costAt + costSeries.size())), 1e-12);
        // Every point is kept as received.
        const auto points = httpGet(host.port(), "/api/metrics?name=claude_code.cost.usage&limit=10");
        CPPUNIT_ASSERT_EQUAL(200, points.status);
        const auto costs = points.json()->getArray("items");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(points.body, std::size_t(4), costs->size());
        const auto cost = costs->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("USD"), cost->getValue<std::string>("unit"));
        CPPUNIT_ASSERT_EQUAL(std::string("delta"), cost->getValue<std::string>("temporality"));
        CPPUNIT_ASSERT_EQUAL(std::string("claude-x"), cost->getValue<std::string>("model"));
        CPPUNIT_ASSERT_EQUAL(0.001524, cost->getValue<double>("increment"));
    }

    void realClaudeCodeSessionIsObserved() {
        mc::test::inNetworkNamespace("OtlpReceiverTest::realClaudeCodeSessionIsObserved", [] {
            for (const std::string protocol : {"http/protobuf", "http/json"}) {
                InProcessHost host(InProcessHost::Overrides{{"receiver.otlp.listen", "127.0.0.1:0"}});
                const std::string endpoint = "http://127.0.0.1:" + std::to_string(host.runtime->receiverPort("receiver-otlp"));
                // The scripted model: it answers with the tool calls, then "done" (tests/mcp-peers/fake-anthropic.mjs).
                mc::test::FakeAnthropic api;
                const std::string session = protocol == "http/json" ? "0b5e55f0-0000-4000-8000-00000000000a" : "0b5e55f0-0000-4000-8000-00000000000b";
                const Ran claude = runProgram("./claude-code-run.sh",
                                              {endpoint, protocol, api.url(), "--traces",
                                               "--session-id", session});
                CPPUNIT_ASSERT_MESSAGE(protocol + ": " + claude.out, claude.status == 0);
                CPPUNIT_ASSERT_MESSAGE(claude.out, claude.out.find("\"result\":\"done\"") != std::string::npos);

                // Three model requests, ToolSearch and the MCP tool; the prompt and the answer.
                const auto page = threadWhenComplete(host.port(), "T-" + session, 4, 2);
                CPPUNIT_ASSERT_MESSAGE(protocol + ": the session never became a complete thread: " +
                                           httpGet(host.port(), "/api/threads/T-" + session).body,
                                       page);
                const std::string steps = join(stepsOf(page));
                CPPUNIT_ASSERT_MESSAGE(steps, steps.find("tool_call:ok:echo") != std::string::npos);
                CPPUNIT_ASSERT_MESSAGE(steps, steps.find("llm_call:ok:") != std::string::npos);
                const auto transcript = page->getArray("transcript");
                CPPUNIT_ASSERT_EQUAL(std::string("user"), transcript->getObject(0)->getValue<std::string>("role"));
                CPPUNIT_ASSERT_EQUAL(std::string("use the echo tool"), transcript->getObject(0)->getValue<std::string>("content"));
                CPPUNIT_ASSERT_EQUAL(std::string("done"),
                                     transcript->getObject(static_cast<unsigned>(transcript->size() - 1))->getValue<std::string>("content"));
                const auto echoStep = [&] {
                    const auto timeline = page->getArray("timeline");
                    for (std::size_t i = 0; i < timeline->size(); ++i)
                        if (timeline->getObject(static_cast<unsigned>(i))->optValue<std::string>("tool", "") == "echo")
                            return timeline->getObject(static_cast<unsigned>(i));
                    return Poco::JSON::Object::Ptr();
                }();
                CPPUNIT_ASSERT_EQUAL(std::string("every"), echoStep->getValue<std::string>("mcp_id"));
                // Its permission decision, with the rule's source.
                const auto permissions = httpGet(host.port(), "/api/permissions?thread_id=T-" + session).json()->getArray("items");
                bool echoGranted = false;
                for (std::size_t i = 0; i < permissions->size(); ++i) {
                    const auto p = permissions->getObject(static_cast<unsigned>(i));
                    if (p->getValue<std::string>("resource") == "every/echo")
                        echoGranted = p->getValue<bool>("granted") && p->getValue<std::string>("reason").find("accept by config") != std::string::npos;
                }
                CPPUNIT_ASSERT_MESSAGE(httpGet(host.port(), "/api/permissions?thread_id=T-" + session).body, echoGranted);
                // Its trace (beta tracing on): the interaction, the model requests and the tool calls, of this thread.
                const auto spans = httpGet(host.port(), "/api/spans?thread_id=T-" + session + "&limit=100").json()->getArray("items");
                std::set<std::string> names;
                for (std::size_t i = 0; i < spans->size(); ++i) names.insert(spans->getObject(static_cast<unsigned>(i))->getValue<std::string>("name"));
                for (const char* name : {"claude_code.interaction", "claude_code.llm_request", "claude_code.tool"})
                    CPPUNIT_ASSERT_MESSAGE(protocol + ": no span " + name, names.count(name) == 1);
                // Its token and cost counters (metrics): at least the three scripted answers' usage
                // (search, echo, done: 100+120+140 input, 11+12+13 output, 50+60+70 cache read,
                // 5+6+7 cache creation); Claude Code may add requests of its own.
                const auto usage = httpGet(host.port(), "/api/usage?thread_id=T-" + session);
                CPPUNIT_ASSERT_EQUAL(200, usage.status);
                const auto rows = usage.json()->getArray("items");
                CPPUNIT_ASSERT_EQUAL_MESSAGE(protocol + ": " + usage.body, std::size_t(1), rows->size());
                const auto row = rows->getObject(0);
                CPPUNIT_ASSERT_MESSAGE(usage.body, row->getValue<std::int64_t>("input_tokens") >= 360);
                CPPUNIT_ASSERT_MESSAGE(usage.body, row->getValue<std::int64_t>("output_tokens") >= 36);
                CPPUNIT_ASSERT_MESSAGE(usage.body, row->getValue<std::int64_t>("cache_read_tokens") >= 180);
                CPPUNIT_ASSERT_MESSAGE(usage.body, row->getValue<std::int64_t>("cache_creation_tokens") >= 18);
                CPPUNIT_ASSERT_MESSAGE(usage.body, row->getValue<double>("cost_usd") > 0);
            }
        });
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OtlpReceiverTest);
