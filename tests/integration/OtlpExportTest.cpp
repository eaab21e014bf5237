// The host's own spans, exported over OTLP/HTTP into a second host's receiver (the real receiver-otlp
// plugin): a thread with an LLM step and a tool call through the gateway to a real server-everything
// arrives there as one trace (invoke_agent, chat, tools/call) and as a thread of its own; the gateway's
// own MCP requests (initialize, tools/list) too; in both encodings, gzip included; and a collector that
// is not there yet gets the spans once it is.
#include "GatewayTestSupport.h"
#include "InProcessHost.h"
#include "TestHttp.h"
#include "export/OtlpExporter.h"
#include "util/Clock.h"
#include "util/TraceIds.h"
#include "mc/records/JsonText.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/ServerSocket.h>
#include <cppunit/extensions/HelperMacros.h>

#include <map>
#include <string>
#include <vector>

using mc::test::eventually;
using mc::test::httpGet;
using mc::test::httpRequest;
using mc::test::InProcessHost;

namespace {

std::map<std::string, std::string> exportingTo(unsigned short port, const std::string& encoding, const std::string& compression) {
    return {{"export.otlp.endpoint", "http://127.0.0.1:" + std::to_string(port)},
            {"export.otlp.encoding", encoding},
            {"export.otlp.compression", compression},
            {"export.otlp.batch_delay_ms", "50"},
            {"mcp.servers.every.transport", "stdio"},
            {"mcp.servers.every.command", "node"},
            {"mcp.servers.every.args", "[\"" + mc::test::everythingServerScript() + "\",\"stdio\"]"},
            {"mcp.servers.every.shutdown_grace_ms", "1000"}};
}

// The trace's spans on `port` as "name<parent>kind:status", oldest first, once there are `count`.
std::string treeOf(unsigned short port, const std::string& traceId, std::size_t count, Poco::JSON::Array::Ptr* items = nullptr) {
    std::string tree;
    eventually([&] {
        const auto r = httpGet(port, "/api/traces/" + traceId);
        if (r.status != 200) return false;
        const auto spans = r.json()->getArray("items");
        if (spans->size() < count) return false;
        tree.clear();
        for (std::size_t i = 0; i < spans->size(); ++i) {
            const auto sp = spans->getObject(static_cast<unsigned>(i));
            tree += (i ? " " : "") + sp->getValue<std::string>("name") + "<" + sp->optValue<std::string>("parent_span_id", "") + ">" +
                    sp->getValue<std::string>("kind") + ":" + sp->getValue<std::string>("status");
        }
        if (items) *items = spans;
        return true;
    }, 20000);
    return tree;
}

Poco::JSON::Object::Ptr spanNamed(const Poco::JSON::Array::Ptr& spans, const std::string& name) {
    for (std::size_t i = 0; spans && i < spans->size(); ++i)
        if (spans->getObject(static_cast<unsigned>(i))->getValue<std::string>("name") == name) return spans->getObject(static_cast<unsigned>(i));
    return nullptr;
}

std::string attribute(const Poco::JSON::Object::Ptr& span, const std::string& key) {
    const auto attributes = span->get("attributes");
    Poco::JSON::Object::Ptr object = attributes.isString() ? Poco::JSON::Parser().parse(attributes.toString()).extract<Poco::JSON::Object::Ptr>()
                                                           : attributes.extract<Poco::JSON::Object::Ptr>();
    return object->has(key) ? object->get(key).toString() : "<absent>";
}

} // namespace

class OtlpExportTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OtlpExportTest);
    CPPUNIT_TEST(threadStepsAndToolCallsArriveAsOneTraceOverProtobuf);
    CPPUNIT_TEST(jsonWithGzipArrivesToo);
    CPPUNIT_TEST(spansWaitForACollectorThatIsNotThereYet);
    CPPUNIT_TEST(theServerGetsTheCallsTraceparent);
    CPPUNIT_TEST_SUITE_END();

public:
    void threadStepsAndToolCallsArriveAsOneTraceOverProtobuf() { roundTrip("protobuf", "none", "T-export-pb"); }
    void jsonWithGzipArrivesToo() { roundTrip("json", "gzip", "T-export-json"); }

    void spansWaitForACollectorThatIsNotThereYet() {
        unsigned short port = 0;
        {
            Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
            port = probe.address().port();
        }
        auto overrides = exportingTo(port, "protobuf", "none");
        overrides["export.otlp.retry.initial_ms"] = "50";
        overrides["export.otlp.retry.max_ms"] = "200";
        InProcessHost a(overrides, InProcessHost::Until::AllButGateway);
        auto r = httpRequest("POST", a.port(), "/api/ingest", R"({"events":[
            {"type":"thread","id":"T-late","status":"running","mcp_id":"agent-late","started_at":"2026-12-02T09:00:00.000000Z"},
            {"type":"thread","id":"T-late","status":"complete","mcp_id":"agent-late"}]})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto* exporter = a.runtime->exporter();
        CPPUNIT_ASSERT(exporter);
        CPPUNIT_ASSERT(eventually([&] { return exporter->stats().requestErrors >= 2; }, 10000));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), exporter->stats().queued);
        // The collector (a second host) comes up on that port: the span gets through.
        InProcessHost b({{"http.port", std::to_string(port)}});
        CPPUNIT_ASSERT_EQUAL(std::string("invoke_agent agent-late<>internal:unset"), treeOf(b.port(), mc::host::traceIdForThread("T-late"), 1));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), exporter->stats().failed);
    }

    // tools/call carries its span's traceparent in params._meta (gateway-peer's `meta` tool answers what
    // it got): the thread's trace and the very span the collector receives; without export, none.
    void theServerGetsTheCallsTraceparent() {
        InProcessHost b;
        auto overrides = exportingTo(b.port(), "protobuf", "none");
        overrides["mcp.servers.every.args"] = "[\"" + std::string(MC_TEST_MCP_PEERS_DIR) + "/gateway-peer.mjs\",\"stdio\"]";
        InProcessHost a(overrides);
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(a.port(), "every") == "connected"; }));
        const auto meta = [](unsigned short port, const std::string& body) {
            const auto r = httpRequest("POST", port, "/api/mcps/every/tools/meta/call", body);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
            const auto text = r.json()->getArray("content")->getObject(0)->getValue<std::string>("text");
            return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
        };
        const auto got = meta(a.port(), R"({"arguments":{},"thread_id":"T-traced"})");
        const std::string parent = got->optValue<std::string>("traceparent", "");
        const std::string traceId = mc::host::traceIdForThread("T-traced");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(parent, std::size_t(55), parent.size());
        CPPUNIT_ASSERT_EQUAL("00-" + traceId + "-", parent.substr(0, 36));
        CPPUNIT_ASSERT_EQUAL(std::string("-01"), parent.substr(52));
        CPPUNIT_ASSERT(got->has("progressToken"));
        Poco::JSON::Array::Ptr spans;
        CPPUNIT_ASSERT_EQUAL("tools/call meta<" + mc::host::spanIdForRecord("thread", "T-traced") + ">client:unset",
                             treeOf(b.port(), traceId, 1, &spans));
        CPPUNIT_ASSERT_EQUAL(parent.substr(36, 16), spans->getObject(0)->getValue<std::string>("span_id"));
        // A call outside a thread: a trace of its own, still named to the server.
        const std::string lone = meta(a.port(), R"({"arguments":{}})")->optValue<std::string>("traceparent", "");
        CPPUNIT_ASSERT_EQUAL(std::size_t(55), lone.size());
        CPPUNIT_ASSERT(lone.substr(3, 32) != traceId);

        // An agent's call through /mcp with its own trace context: the gateway's span is a child of the
        // agent's span, in the agent's trace, and the server is told that span.
        const std::string agentTrace = "4bf92f3577b34da6a3ce929d0e0e4736", agentSpan = "00f067aa0ba902b7";
        const std::string agentParent = "00-" + agentTrace + "-" + agentSpan + "-01";
        const std::string through = throughMcp(a.port(), agentParent)->optValue<std::string>("traceparent", "");
        CPPUNIT_ASSERT_EQUAL("00-" + agentTrace + "-", through.substr(0, 36));
        CPPUNIT_ASSERT(through.substr(36, 16) != agentSpan);
        CPPUNIT_ASSERT_EQUAL("tools/call meta<" + agentSpan + ">client:unset", treeOf(b.port(), agentTrace, 1, &spans));
        CPPUNIT_ASSERT_EQUAL(through.substr(36, 16), spans->getObject(0)->getValue<std::string>("span_id"));
        // Claude Code sends it as the traceparent header: the same.
        const std::string headerTrace = "0af7651916cd43dd8448eb211c80319c";
        const std::string viaHeader =
            throughMcp(a.port(), "00-" + headerTrace + "-b7ad6b7169203331-01", true)->optValue<std::string>("traceparent", "");
        CPPUNIT_ASSERT_EQUAL("00-" + headerTrace + "-", viaHeader.substr(0, 36));
        CPPUNIT_ASSERT_EQUAL(std::string("tools/call meta<b7ad6b7169203331>client:unset"), treeOf(b.port(), headerTrace, 1));

        auto plain = overrides;
        plain.erase("export.otlp.endpoint");
        InProcessHost c(plain);
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(c.port(), "every") == "connected"; }));
        CPPUNIT_ASSERT(!meta(c.port(), R"({"arguments":{},"thread_id":"T-traced"})")->has("traceparent"));
        // Without export the agent's context is passed on as it came; a malformed one is not.
        CPPUNIT_ASSERT_EQUAL(agentParent, throughMcp(c.port(), agentParent)->optValue<std::string>("traceparent", ""));
        CPPUNIT_ASSERT(!throughMcp(c.port(), "00-" + agentTrace + "-" + agentSpan)->has("traceparent"));
    }

private:
    // gateway-peer's meta tool called through /mcp (initialize, then tools/call every__meta with this
    // traceparent in _meta): the _meta the server got.
    // `asHeader`: the traceparent travels as the HTTP header (as Claude Code sends it) instead.
    static Poco::JSON::Object::Ptr throughMcp(unsigned short port, const std::string& traceparent, bool asHeader = false) {
        std::map<std::string, std::string> headers = {{"Content-Type", "application/json"},
                                                      {"Accept", "application/json, text/event-stream"}};
        auto r = httpRequest("POST", port, "/mcp",
                             R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
                             R"("capabilities":{},"clientInfo":{"name":"traced-agent","version":"1"}}})",
                             headers);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        headers["Mcp-Session-Id"] = r.headers.at("Mcp-Session-Id");
        if (asHeader) headers["traceparent"] = traceparent;
        r = httpRequest("POST", port, "/mcp",
                        R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"every__meta","arguments":{},)"
                        R"("_meta":{)" + (asHeader ? std::string() : R"("traceparent":")" + traceparent + "\"") + R"(}}})",
                        headers);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        const auto text = r.json()->getObject("result")->getArray("content")->getObject(0)->getValue<std::string>("text");
        return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
    }

    void roundTrip(const std::string& encoding, const std::string& compression, const std::string& thread) {
        InProcessHost b; // the collector: its receiver serves /v1/traces on its own port
        InProcessHost a(exportingTo(b.port(), encoding, compression));
        CPPUNIT_ASSERT(eventually([&] { return mc::test::statusOf(a.port(), "every") == "connected"; }));

        // Started a minute ago, its model call right after: both before the tool call below.
        const long long now = mc::host::nowUnixUs();
        const std::string started = mc::records::formatTimestamp(now - 60000000), stepAt = mc::records::formatTimestamp(now - 59900000);
        auto r = httpRequest("POST", a.port(), "/api/ingest", R"({"events":[
            {"type":"thread","id":")" + thread + R"(","status":"running","mcp_id":"planner","started_at":")" + started + R"("},
            {"type":"step","id":")" + thread + R"(-s1","thread_id":")" + thread + R"(","sequence":1,"step_type":"llm_call",
             "timestamp":")" + stepAt + R"(","duration_ms":400,"status":"ok",
             "details":{"model":"claude-x","input_tokens":120,"output_tokens":9}}]})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        r = httpRequest("POST", a.port(), "/api/mcps/every/tools/echo/call",
                        R"({"arguments":{"message":"exported"},"thread_id":")" + thread + R"("})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        r = httpRequest("POST", a.port(), "/api/ingest", R"({"events":[
            {"type":"thread","id":")" + thread + R"(","status":"complete","mcp_id":"planner"}]})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);

        // On the second host: one trace, the thread's span the root, its step and the tool call under it.
        const std::string traceId = mc::host::traceIdForThread(thread);
        const std::string root = mc::host::spanIdForRecord("thread", thread);
        Poco::JSON::Array::Ptr spans;
        CPPUNIT_ASSERT_EQUAL("invoke_agent planner<>internal:unset chat claude-x<" + root + ">internal:unset tools/call echo<" + root +
                                 ">client:unset",
                             treeOf(b.port(), traceId, 3, &spans));
        const auto tool = spanNamed(spans, "tools/call echo");
        CPPUNIT_ASSERT_EQUAL(std::string("mission-control"), tool->getValue<std::string>("service"));
        CPPUNIT_ASSERT_EQUAL(std::string("tools/call"), attribute(tool, "mcp.method.name"));
        CPPUNIT_ASSERT_EQUAL(std::string("echo"), attribute(tool, "gen_ai.tool.name"));
        CPPUNIT_ASSERT_EQUAL(std::string("pipe"), attribute(tool, "network.transport"));
        CPPUNIT_ASSERT_EQUAL(std::string("every"), attribute(tool, "mc.mcp.id"));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-11-25"), attribute(tool, "mcp.protocol.version"));
        const auto chat = spanNamed(spans, "chat claude-x");
        CPPUNIT_ASSERT_EQUAL(std::string("120"), attribute(chat, "gen_ai.usage.input_tokens"));
        CPPUNIT_ASSERT_EQUAL(400.0, chat->getValue<double>("duration_ms"));
        // The second host made a thread of the conversation (its receiver's GenAI mapping).
        CPPUNIT_ASSERT(eventually([&] { return httpGet(b.port(), "/api/threads/T-" + thread).status == 200; }, 20000));
        // The gateway's own requests are spans too (their own traces).
        const auto handshake = httpGet(b.port(), "/api/spans?name=initialize&limit=10");
        CPPUNIT_ASSERT_EQUAL(200, handshake.status);
        CPPUNIT_ASSERT_MESSAGE(handshake.body, handshake.json()->getArray("items")->size() >= 1);
        // And the first host counts what it exported.
        auto* exporter = a.runtime->exporter();
        CPPUNIT_ASSERT(eventually([&] { return exporter->stats().exported >= 5; }));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), exporter->stats().failed);
        const auto scraped = httpGet(a.port(), "/metrics").body;
        CPPUNIT_ASSERT_MESSAGE(scraped, scraped.find("mc_otlp_export_spans_total{outcome=\"failed\"} 0\n") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(scraped, scraped.find("mc_otlp_export_spans_total{outcome=\"exported\"} ") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OtlpExportTest);
