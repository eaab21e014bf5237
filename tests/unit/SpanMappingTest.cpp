// What the host exports, span by span (host/src/export/SpanMapping): the gateway's MCP requests as
// MCP client spans, threads and steps as GenAI spans in the thread's trace; the ids W3C-shaped and
// stable (util/TraceIds); settings of export.otlp.* checked with the key named.
#include "config/HostConfig.h"
#include "export/ExportSettings.h"
#include "export/SpanMapping.h"
#include "util/TraceIds.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

#include <map>
#include <string>

using namespace mc::host;
using mc::otlp::Span;

namespace {

std::string attribute(const Span& span, const std::string& key) {
    const auto* v = mc::otlp::find(span.attributes, key);
    return v ? v->toText() : "<absent>";
}

mc::records::NormalizedRecord record(const mc::records::KindSpec& spec, const std::string& json) {
    Poco::JSON::Parser parser;
    const auto object = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    return mc::records::normalize(spec, *object, [] { return std::string("generated"); },
                                  [] { return std::string("2026-12-02T10:00:00.000000Z"); });
}

McpCallRecord toolCall() {
    McpCallRecord call;
    call.mcpId = "every";
    call.transport = "http";
    call.endpoint = "http://127.0.0.1:3001/mcp";
    call.method = "tools/call";
    call.target = "echo";
    call.threadId = "T-1";
    call.protocolVersion = "2025-11-25";
    call.requestId = 7;
    call.traceId = traceIdForThread("T-1");
    call.spanId = "00000000000000c3";
    call.parentSpanId = spanIdForRecord("thread", "T-1");
    call.startUnixNano = 1000;
    call.endUnixNano = 5000;
    return call;
}

OtlpExportSettings settingsOf(const std::map<std::string, std::string>& values) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
    for (const auto& [k, v] : values) config->setString(k, v);
    return readOtlpExportSettings(*config);
}

} // namespace

class SpanMappingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SpanMappingTest);
    CPPUNIT_TEST(idsAreW3cShapedAndStable);
    CPPUNIT_TEST(traceparentIsReadStrictly);
    CPPUNIT_TEST(toolCallIsAnMcpClientSpanInItsThread);
    CPPUNIT_TEST(failedCallsSayWhy);
    CPPUNIT_TEST(stepsAreGenAiSpansUnderTheirThread);
    CPPUNIT_TEST(threadSpanWaitsForItsEndAndKeepsItsStart);
    CPPUNIT_TEST(threadMemoryIsBounded);
    CPPUNIT_TEST(timestampsReadAsNanoseconds);
    CPPUNIT_TEST(settingsAreCheckedWithTheKeyNamed);
    CPPUNIT_TEST_SUITE_END();

public:
    void idsAreW3cShapedAndStable() {
        const std::string trace = traceIdForThread("T-abc");
        CPPUNIT_ASSERT_EQUAL(std::size_t(32), trace.size());
        CPPUNIT_ASSERT_EQUAL(trace, traceIdForThread("T-abc"));
        CPPUNIT_ASSERT(trace != traceIdForThread("T-abd"));
        CPPUNIT_ASSERT_EQUAL(std::string::npos, trace.find_first_not_of("0123456789abcdef"));
        const std::string span = spanIdForRecord("step", "S-1");
        CPPUNIT_ASSERT_EQUAL(std::size_t(16), span.size());
        CPPUNIT_ASSERT(span != spanIdForRecord("thread", "S-1")); // the kind is part of the identity
        CPPUNIT_ASSERT(randomSpanId() != randomSpanId());
        CPPUNIT_ASSERT(randomTraceId() != std::string(32, '0'));
        CPPUNIT_ASSERT_EQUAL(std::string("00-") + trace + "-" + span + "-01", traceparent(trace, span));
    }

    // A caller's traceparent (an agent's _meta.traceparent) is read only when it is well formed.
    void traceparentIsReadStrictly() {
        const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736", span = "00f067aa0ba902b7";
        const auto context = parseTraceparent("00-" + trace + "-" + span + "-01");
        CPPUNIT_ASSERT(context);
        CPPUNIT_ASSERT_EQUAL(trace, context->traceId);
        CPPUNIT_ASSERT_EQUAL(span, context->spanId);
        // A later version may append fields; version 00 may not.
        CPPUNIT_ASSERT(parseTraceparent("01-" + trace + "-" + span + "-00-extra"));
        for (const std::string& bad : std::vector<std::string>{"", "00-" + trace + "-" + span + "-01-extra", "00-" + trace + "-" + span + "-1",
                                      "00-" + std::string(32, '0') + "-" + span + "-01", "00-" + trace + "-" + std::string(16, '0') + "-01",
                                      "ff-" + trace + "-" + span + "-01", "00-" + std::string("4BF92F3577B34DA6A3CE929D0E0E4736") + "-" + span + "-01",
                                      "00_" + trace + "-" + span + "-01", "00-" + trace + "-" + span + "-0g", "01-" + trace + "-" + span + "-01x"})
            CPPUNIT_ASSERT_MESSAGE(bad, !parseTraceparent(bad));
    }

    void toolCallIsAnMcpClientSpanInItsThread() {
        const Span span = spanOfCall(toolCall());
        CPPUNIT_ASSERT_EQUAL(std::string("tools/call echo"), span.name);
        CPPUNIT_ASSERT_EQUAL(3, span.kind); // CLIENT
        CPPUNIT_ASSERT_EQUAL(traceIdForThread("T-1"), span.traceId);
        CPPUNIT_ASSERT_EQUAL(spanIdForRecord("thread", "T-1"), span.parentSpanId);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1000), span.startTimeUnixNano);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(5000), span.endTimeUnixNano);
        CPPUNIT_ASSERT_EQUAL(0, span.statusCode);
        CPPUNIT_ASSERT_EQUAL(std::string("tools/call"), attribute(span, "mcp.method.name"));
        CPPUNIT_ASSERT_EQUAL(std::string("execute_tool"), attribute(span, "gen_ai.operation.name"));
        CPPUNIT_ASSERT_EQUAL(std::string("echo"), attribute(span, "gen_ai.tool.name"));
        CPPUNIT_ASSERT_EQUAL(std::string("7"), attribute(span, "jsonrpc.request.id"));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-11-25"), attribute(span, "mcp.protocol.version"));
        CPPUNIT_ASSERT_EQUAL(std::string("T-1"), attribute(span, "gen_ai.conversation.id"));
        CPPUNIT_ASSERT_EQUAL(std::string("tcp"), attribute(span, "network.transport"));
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), attribute(span, "server.address"));
        CPPUNIT_ASSERT_EQUAL(std::string("3001"), attribute(span, "server.port"));
        CPPUNIT_ASSERT_EQUAL(std::string("<absent>"), attribute(span, "error.type"));

        McpCallRecord list = toolCall();
        list.method = "tools/list";
        list.target.clear();
        list.threadId.clear();
        list.parentSpanId.clear();
        list.transport = "stdio";
        list.endpoint = "node server.js";
        const Span listed = spanOfCall(list);
        CPPUNIT_ASSERT_EQUAL(std::string("tools/list"), listed.name);
        CPPUNIT_ASSERT_EQUAL(std::string(), listed.parentSpanId);
        CPPUNIT_ASSERT_EQUAL(std::string("pipe"), attribute(listed, "network.transport"));
        CPPUNIT_ASSERT_EQUAL(std::string("<absent>"), attribute(listed, "server.address"));
        CPPUNIT_ASSERT_EQUAL(std::string("<absent>"), attribute(listed, "gen_ai.tool.name"));
    }

    void failedCallsSayWhy() {
        McpCallRecord call = toolCall();
        call.outcome = McpCallRecord::Outcome::RpcError;
        call.errorCode = -32602;
        call.errorMessage = "Invalid params";
        Span span = spanOfCall(call);
        CPPUNIT_ASSERT_EQUAL(2, span.statusCode);
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid params"), span.statusMessage);
        CPPUNIT_ASSERT_EQUAL(std::string("-32602"), attribute(span, "error.type"));
        CPPUNIT_ASSERT_EQUAL(std::string("-32602"), attribute(span, "rpc.response.status_code"));

        call.outcome = McpCallRecord::Outcome::ToolError;
        span = spanOfCall(call);
        CPPUNIT_ASSERT_EQUAL(2, span.statusCode);
        CPPUNIT_ASSERT_EQUAL(std::string("tool_error"), attribute(span, "error.type"));

        call.outcome = McpCallRecord::Outcome::Timeout;
        call.errorMessage = "no response to tools/call from 'every' within the deadline";
        span = spanOfCall(call);
        CPPUNIT_ASSERT_EQUAL(std::string("timeout"), attribute(span, "error.type"));
        CPPUNIT_ASSERT_EQUAL(call.errorMessage, span.statusMessage);
        CPPUNIT_ASSERT_EQUAL(std::string("timeout"), attribute(span, "mc.call.outcome"));
    }

    void stepsAreGenAiSpansUnderTheirThread() {
        const auto& step = *mc::records::findKind("step");
        RecordSpans spans;
        auto llm = spans.spanOf(step, record(step, R"({"id":"S-1","thread_id":"T-9","sequence":1,"step_type":"llm_call",
            "timestamp":"2026-12-02T10:00:01.000000Z","duration_ms":250.5,"status":"ok",
            "details":{"model":"claude-x","input_tokens":120,"output_tokens":"7"}})"));
        CPPUNIT_ASSERT(llm);
        CPPUNIT_ASSERT_EQUAL(std::string("chat claude-x"), llm->name);
        CPPUNIT_ASSERT_EQUAL(1, llm->kind);
        CPPUNIT_ASSERT_EQUAL(traceIdForThread("T-9"), llm->traceId);
        CPPUNIT_ASSERT_EQUAL(spanIdForRecord("step", "S-1"), llm->spanId);
        CPPUNIT_ASSERT_EQUAL(spanIdForRecord("thread", "T-9"), llm->parentSpanId);
        CPPUNIT_ASSERT_EQUAL(unixNanosOf("2026-12-02T10:00:01.000000Z"), llm->startTimeUnixNano);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(250500000), llm->endTimeUnixNano - llm->startTimeUnixNano);
        CPPUNIT_ASSERT_EQUAL(std::string("chat"), attribute(*llm, "gen_ai.operation.name"));
        CPPUNIT_ASSERT_EQUAL(std::string("claude-x"), attribute(*llm, "gen_ai.request.model"));
        CPPUNIT_ASSERT_EQUAL(std::string("120"), attribute(*llm, "gen_ai.usage.input_tokens"));
        CPPUNIT_ASSERT_EQUAL(std::string("<absent>"), attribute(*llm, "gen_ai.usage.output_tokens")); // a string is not a count
        CPPUNIT_ASSERT_EQUAL(std::string("T-9"), attribute(*llm, "gen_ai.conversation.id"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), attribute(*llm, "mc.step.sequence"));

        auto tool = spans.spanOf(step, record(step, R"({"id":"S-2","thread_id":"T-9","sequence":2,"step_type":"tool_call",
            "tool":"search","mcp_id":"web","status":"error","description":"search failed: 502"})"));
        CPPUNIT_ASSERT(tool);
        CPPUNIT_ASSERT_EQUAL(std::string("execute_tool search"), tool->name);
        CPPUNIT_ASSERT_EQUAL(std::string("search"), attribute(*tool, "gen_ai.tool.name"));
        CPPUNIT_ASSERT_EQUAL(std::string("web"), attribute(*tool, "mc.mcp.id"));
        CPPUNIT_ASSERT_EQUAL(2, tool->statusCode);
        CPPUNIT_ASSERT_EQUAL(std::string("search failed: 502"), tool->statusMessage);
        CPPUNIT_ASSERT_EQUAL(tool->startTimeUnixNano, tool->endTimeUnixNano); // no duration given

        auto other = spans.spanOf(step, record(step, R"({"id":"S-3","thread_id":"T-9","sequence":3,"step_type":"plan"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("plan"), other->name);
        CPPUNIT_ASSERT_EQUAL(0, other->statusCode);

        const auto& log = *mc::records::findKind("log");
        CPPUNIT_ASSERT(!spans.spanOf(log, record(log, R"({"level":"INFO","service":"s","mcp_id":"m","message":"x"})")));
    }

    void threadSpanWaitsForItsEndAndKeepsItsStart() {
        const auto& thread = *mc::records::findKind("thread");
        RecordSpans spans;
        CPPUNIT_ASSERT(!spans.spanOf(thread, record(thread, R"({"id":"T-5","mcp_id":"planner","status":"running",
            "started_at":"2026-12-02T09:00:00.000000Z"})")));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), spans.threadsRemembered());
        // The update names no start (it defaults to the write time): the first record's start stands.
        auto ended = spans.spanOf(thread, record(thread, R"({"id":"T-5","mcp_id":"planner","status":"error",
            "ended_at":"2026-12-02T09:00:03.000000Z"})"));
        CPPUNIT_ASSERT(ended);
        CPPUNIT_ASSERT_EQUAL(std::string("invoke_agent planner"), ended->name);
        CPPUNIT_ASSERT_EQUAL(traceIdForThread("T-5"), ended->traceId);
        CPPUNIT_ASSERT_EQUAL(spanIdForRecord("thread", "T-5"), ended->spanId);
        CPPUNIT_ASSERT_EQUAL(std::string(), ended->parentSpanId);
        CPPUNIT_ASSERT_EQUAL(unixNanosOf("2026-12-02T09:00:00.000000Z"), ended->startTimeUnixNano);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3000000000), ended->endTimeUnixNano - ended->startTimeUnixNano);
        CPPUNIT_ASSERT_EQUAL(2, ended->statusCode);
        CPPUNIT_ASSERT_EQUAL(std::string("invoke_agent"), attribute(*ended, "gen_ai.operation.name"));
        CPPUNIT_ASSERT_EQUAL(std::string("planner"), attribute(*ended, "gen_ai.agent.name"));
        CPPUNIT_ASSERT_EQUAL(std::string("T-5"), attribute(*ended, "gen_ai.conversation.id"));
        CPPUNIT_ASSERT_EQUAL(std::string("error"), attribute(*ended, "mc.thread.status"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), spans.threadsRemembered()); // ended: forgotten

        // A thread first heard of as ended: its own start, however late.
        auto whole = spans.spanOf(thread, record(thread, R"({"id":"T-6","mcp_id":"a","status":"complete",
            "started_at":"2026-12-02T09:00:00.000000Z","ended_at":"2026-12-02T09:00:01.000000Z","parent_id":"T-5"})"));
        CPPUNIT_ASSERT(whole);
        CPPUNIT_ASSERT_EQUAL(0, whole->statusCode);
        CPPUNIT_ASSERT_EQUAL(std::string("T-5"), attribute(*whole, "mc.thread.parent_id"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1000000000), whole->endTimeUnixNano - whole->startTimeUnixNano);
    }

    void threadMemoryIsBounded() {
        const auto& thread = *mc::records::findKind("thread");
        RecordSpans spans(2);
        for (const char* id : {"T-a", "T-b", "T-c"})
            spans.spanOf(thread, record(thread, std::string(R"({"id":")") + id + R"(","mcp_id":"a","status":"running"})"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), spans.threadsRemembered());
    }

    void timestampsReadAsNanoseconds() {
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1764669600123456000ull), unixNanosOf("2025-12-02T10:00:00.123456Z"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), unixNanosOf("2025-12-02 10:00:00"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), unixNanosOf(""));
    }

    void settingsAreCheckedWithTheKeyNamed() {
        CPPUNIT_ASSERT(!settingsOf({}).enabled);
        auto base = settingsOf({{"export.otlp.endpoint", "http://127.0.0.1:4318"}});
        CPPUNIT_ASSERT(base.enabled);
        CPPUNIT_ASSERT_EQUAL(std::string("/v1/traces"), base.path);
        CPPUNIT_ASSERT_EQUAL(std::string("http://127.0.0.1:4318/v1/traces"), base.url);
        CPPUNIT_ASSERT_EQUAL((unsigned short)4318, base.port);
        CPPUNIT_ASSERT(!base.json);
        CPPUNIT_ASSERT_EQUAL(std::string("mission-control"), base.serviceName);
        auto full = settingsOf({{"export.otlp.endpoint", "https://collector.example:9443/otlp/v1/traces"},
                                {"export.otlp.encoding", "json"},
                                {"export.otlp.compression", "gzip"},
                                {"export.otlp.headers", "Authorization=Bearer%20abc, x-tenant = t1"}});
        CPPUNIT_ASSERT_EQUAL(std::string("/otlp/v1/traces"), full.path);
        CPPUNIT_ASSERT_EQUAL(std::string("https"), full.scheme);
        CPPUNIT_ASSERT(full.json && full.gzip);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), full.headers.size());
        CPPUNIT_ASSERT_EQUAL(std::string("Authorization"), full.headers[0].first);
        CPPUNIT_ASSERT_EQUAL(std::string("Bearer abc"), full.headers[0].second);
        CPPUNIT_ASSERT_EQUAL(std::string("x-tenant"), full.headers[1].first);
        CPPUNIT_ASSERT_EQUAL(std::string("t1"), full.headers[1].second);
        CPPUNIT_ASSERT_EQUAL(std::string("/collector/v1/traces"),
                             settingsOf({{"export.otlp.endpoint", "http://h:1/collector/"}}).path);

        for (const auto& [key, value, expected] : std::vector<std::tuple<std::string, std::string, std::string>>{
                 {"export.otlp.endpoint", "ftp://h/", "export.otlp.endpoint"},
                 {"export.otlp.endpoint", "127.0.0.1:4318", "export.otlp.endpoint"},
                 {"export.otlp.endpoint", "http://h:1/v1/traces?x=1", "export.otlp.endpoint"},
                 {"export.otlp.headers", "Authorization", "export.otlp.headers"},
                 {"export.otlp.headers", "a b=c", "export.otlp.headers"},
                 {"export.otlp.encoding", "xml", "export.otlp.encoding"},
                 {"export.otlp.batch_max_spans", "0", "export.otlp.batch_max_spans"},
                 {"export.otlp.retry.max_ms", "10", "export.otlp.retry.max_ms"}}) {
            try {
                settingsOf({{key, value}});
                CPPUNIT_FAIL("accepted " + key + " = " + value);
            } catch (const ConfigError& e) {
                CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find(expected) != std::string::npos);
            }
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SpanMappingTest);
