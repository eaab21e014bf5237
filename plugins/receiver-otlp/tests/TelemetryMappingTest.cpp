// The mapping table of docs/otel.md, row by row: OTLP log records and spans as Claude Code and the
// GenAI/MCP semantic conventions shape them -> the records the host stores. Each row asserts the
// kind, the id (derived, so retries store nothing twice) and the fields that carry the meaning.
#include "TelemetryMapping.h"

#include "mc/records/RecordSchema.h"

#include <cppunit/extensions/HelperMacros.h>

#include <map>
#include <stdexcept>
#include <string>

using namespace mc::receiver_otlp;
using mc::otlp::AnyValue;
using mc::otlp::KeyValues;

namespace {

AnyValue text(std::string s) {
    AnyValue v;
    v.type = AnyValue::Type::String;
    v.text = std::move(s);
    return v;
}
AnyValue integer(std::int64_t n) {
    AnyValue v;
    v.type = AnyValue::Type::Int;
    v.integer = n;
    return v;
}

constexpr std::uint64_t kT0 = 1764633600000000000ull; // 2025-12-02T00:00:00Z

// One Claude Code event as its exporter sends it: body "claude_code.<name>", event.name, session.id,
// event.sequence, and the event's own attributes (numbers as strings, as Claude Code sends many).
mc::otlp::LogsRequest claudeEvent(const std::string& name, std::int64_t sequence, KeyValues attributes,
                                  std::uint64_t time = kT0) {
    mc::otlp::LogRecord r;
    r.timeUnixNano = time;
    r.body = text("claude_code." + name);
    r.attributes = {{"event.name", text(name)}, {"session.id", text("sess-1")}, {"event.sequence", integer(sequence)},
                    {"user.id", text("u-42")}, {"terminal.type", text("vscode")}};
    for (auto& kv : attributes) r.attributes.push_back(std::move(kv));
    mc::otlp::ResourceLogs resource;
    resource.resource = {{"service.name", text("claude-code")}, {"service.version", text("2.1.220")}};
    mc::otlp::ScopeLogs scope;
    scope.scope.name = "com.anthropic.claude_code.events";
    scope.records.push_back(std::move(r));
    resource.scopes.push_back(std::move(scope));
    mc::otlp::LogsRequest request;
    request.resources.push_back(std::move(resource));
    return request;
}

// A record's fields by name, as text (numbers in decimal).
std::map<std::string, std::string> fieldsOf(const MappedRecord& r) {
    std::map<std::string, std::string> out;
    for (const auto& [name, value] : r.fields) {
        switch (value.type) {
        case FieldValue::Type::Text: out[name] = value.text; break;
        case FieldValue::Type::Int: out[name] = std::to_string(value.integer); break;
        case FieldValue::Type::Real: out[name] = std::to_string(value.real); break;
        case FieldValue::Type::Null: out[name] = "null"; break;
        }
    }
    return out;
}

// One metric of one point, as an agent's exporter sends it.
mc::otlp::MetricsRequest metricRequest(mc::otlp::Metric metric, std::string service = "claude-code") {
    mc::otlp::ResourceMetrics resource;
    resource.resource = {{"service.name", text(std::move(service))}};
    mc::otlp::ScopeMetrics scope;
    scope.scope.name = "com.anthropic.claude_code";
    scope.metrics.push_back(std::move(metric));
    resource.scopes.push_back(std::move(scope));
    mc::otlp::MetricsRequest request;
    request.resources.push_back(std::move(resource));
    return request;
}

mc::otlp::Metric claudeCounter(const std::string& name, double value, KeyValues attributes,
                               mc::otlp::Metric::Temporality temporality = mc::otlp::Metric::Temporality::Delta,
                               std::uint64_t start = kT0, std::uint64_t time = kT0 + 60000000000ull) {
    mc::otlp::Metric m;
    m.name = name;
    m.type = mc::otlp::Metric::Type::Sum;
    m.temporality = temporality;
    m.monotonic = true;
    mc::otlp::MetricPoint p;
    p.startTimeUnixNano = start;
    p.timeUnixNano = time;
    p.value = value;
    p.attributes = {{"session.id", text("sess-1")}};
    for (auto& kv : attributes) p.attributes.push_back(std::move(kv));
    m.points.push_back(std::move(p));
    return m;
}


// A Codex CLI event as codex-rs exports it: the name in the event.name attribute (the record's own
// event_name is a source location), no time of its own (observed time only), numbers as strings,
// the thread in conversation.id, service.name the originator.
mc::otlp::LogsRequest codexEvent(const std::string& name, KeyValues attributes, std::uint64_t observed = kT0) {
    mc::otlp::LogRecord r;
    r.observedTimeUnixNano = observed;
    r.eventName = "event codex-rs/otel/src/events/session_telemetry.rs:412";
    r.attributes = {{"event.name", text("codex." + name)}, {"conversation.id", text("conv-1")}, {"model", text("gpt-x")},
                    {"user.email", text("dev@example.com")}};
    for (auto& kv : attributes) r.attributes.push_back(std::move(kv));
    mc::otlp::LogsRequest request;
    request.resources.resize(1);
    request.resources[0].resource = {{"service.name", text("codex_exec")}};
    request.resources[0].scopes.resize(1);
    request.resources[0].scopes[0].scope.name = "codex_otel.log_only";
    request.resources[0].scopes[0].records.push_back(std::move(r));
    return request;
}

// A Gemini CLI event: the name in event.name, session.id on the record, numbers as numbers, a human body.
mc::otlp::LogsRequest geminiEvent(const std::string& name, KeyValues attributes, std::uint64_t time = kT0) {
    mc::otlp::LogRecord r;
    r.timeUnixNano = time;
    r.body = text("some sentence about " + name);
    r.attributes = {{"event.name", text("gemini_cli." + name)}, {"session.id", text("gem-1")}, {"installation.id", text("inst")}};
    for (auto& kv : attributes) r.attributes.push_back(std::move(kv));
    mc::otlp::LogsRequest request;
    request.resources.resize(1);
    request.resources[0].resource = {{"service.name", text("gemini-cli")}, {"session.id", text("gem-1")}};
    request.resources[0].scopes.resize(1);
    request.resources[0].scopes[0].scope.name = "gemini-cli";
    request.resources[0].scopes[0].records.push_back(std::move(r));
    return request;
}

AnyValue boolean(bool b) {
    AnyValue v;
    v.type = AnyValue::Type::Bool;
    v.boolean = b;
    return v;
}

// The record of `kind` in a mapping (the thread comes first), or a failure naming what there was.
const MappedRecord& recordOf(const Mapped& m, const std::string& kind) {
    std::string kinds;
    for (const auto& r : m.records) {
        if (r.kind == kind) return r;
        kinds += r.kind + " ";
    }
    throw std::runtime_error("no " + kind + " record among: " + kinds);
}
} // namespace

class TelemetryMappingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TelemetryMappingTest);
    CPPUNIT_TEST(testSessionBecomesAThreadOnce);
    CPPUNIT_TEST(testUserPromptIsAUserMessage);
    CPPUNIT_TEST(testRedactedPromptKeepsNoText);
    CPPUNIT_TEST(testAssistantResponseIsAnAssistantMessage);
    CPPUNIT_TEST(testApiRequestIsAnLlmCallStepThatBeganDurationEarlier);
    CPPUNIT_TEST(testApiErrorIsAFailedLlmCall);
    CPPUNIT_TEST(testToolResultOfAnMcpToolNamesServerAndTool);
    CPPUNIT_TEST(testFailedToolResultIsAnErrorStep);
    CPPUNIT_TEST(testToolDecisionIsAPermissionEvent);
    CPPUNIT_TEST(testMcpServerConnectionIsMcpStatusHistory);
    CPPUNIT_TEST(testOtherEventsAndPlainLogsAreKeptAsLogs);
    CPPUNIT_TEST(testGenAiChatSpanIsAnLlmCallStep);
    CPPUNIT_TEST(testMcpToolsCallSpanIsAToolCallStep);
    CPPUNIT_TEST(testEverySpanIsKeptWhole);
    CPPUNIT_TEST(testClaudeCodeSpansAreSpansOfTheSessionNotSteps);
    CPPUNIT_TEST(testAbiValuesFollowTheCatalog);
    CPPUNIT_TEST(testClaudeTokenCounterIsAUsagePointOfTheSession);
    CPPUNIT_TEST(testClaudeCostCounterIsCostUsd);
    CPPUNIT_TEST(testCumulativeTotalsBecomeIncrements);
    CPPUNIT_TEST(testUndoneCumulativePointsCountAgainWhenResent);
    CPPUNIT_TEST(testCumulativeSeriesForgetTheOlderHalfWhenFull);
    CPPUNIT_TEST(testGenAiTokenHistogramAddsItsSum);
    CPPUNIT_TEST(testGaugesAndOtherMetricsAreKeptWithoutUsage);
    CPPUNIT_TEST(testCodexPromptAndAnswerAreMessagesOfTheConversation);
    CPPUNIT_TEST(testCodexCompletedResponseIsAnLlmCallWithTokens);
    CPPUNIT_TEST(testCodexFailedRequestIsAFailedLlmCallAndOthersStayLogs);
    CPPUNIT_TEST(testCodexToolResultAndDecision);
    CPPUNIT_TEST(testGeminiPromptResponseAndError);
    CPPUNIT_TEST(testGeminiToolCallWithItsDecision);
    CPPUNIT_TEST(testCopilotChatSessionIsTheThread);
    CPPUNIT_TEST_SUITE_END();

public:
    void testSessionBecomesAThreadOnce() {
        auto request = claudeEvent("user_prompt", 1, {{"prompt", text("list my files")}});
        auto second = claudeEvent("api_request", 2, {{"model", text("claude-x")}}, kT0 - 1000000000ull); // reported later, happened earlier
        request.resources.push_back(second.resources.front());
        const Mapped m = mapLogs(request);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), m.items);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), m.records.size()); // one thread, then a message and a step
        const auto& thread = m.records[0];
        CPPUNIT_ASSERT_EQUAL(std::string("thread"), thread.kind);
        CPPUNIT_ASSERT_EQUAL(std::string("T-sess-1"), thread.id);
        CPPUNIT_ASSERT_EQUAL(MappedRecord::kNoItem, thread.item);
        const auto f = fieldsOf(thread);
        CPPUNIT_ASSERT_EQUAL(std::string("claude-code"), f.at("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("running"), f.at("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("list my files"), f.at("user_input"));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-12-01T23:59:59.000000Z"), f.at("started_at")); // the earliest of the request
        CPPUNIT_ASSERT_EQUAL(std::string("{\"source\":\"otlp\",\"agent\":\"claude-code\",\"session_id\":\"sess-1\",\"service.version\":"
                                         "\"2.1.220\",\"user.id\":\"u-42\",\"terminal.type\":\"vscode\"}"),
                             f.at("execution_context"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), m.records[1].item);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), m.records[2].item);
    }

    void testUserPromptIsAUserMessage() {
        const Mapped m = mapLogs(claudeEvent("user_prompt", 7, {{"prompt", text("list my files")}, {"prompt_length", text("13")}}));
        const auto& msg = m.records.at(1);
        CPPUNIT_ASSERT_EQUAL(std::string("transcript"), msg.kind);
        CPPUNIT_ASSERT_EQUAL(std::string("M-sess-1-7"), msg.id);
        const auto f = fieldsOf(msg);
        CPPUNIT_ASSERT_EQUAL(std::string("T-sess-1"), f.at("thread_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("7"), f.at("sequence"));
        CPPUNIT_ASSERT_EQUAL(std::string("user"), f.at("role"));
        CPPUNIT_ASSERT_EQUAL(std::string("list my files"), f.at("content"));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-12-02T00:00:00.000000Z"), f.at("timestamp"));
        CPPUNIT_ASSERT(f.at("metadata").find("\"prompt_length\":\"13\"") != std::string::npos);
    }

    void testRedactedPromptKeepsNoText() {
        const Mapped m = mapLogs(claudeEvent("user_prompt", 1, {{"prompt", text("<REDACTED>")}}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), fieldsOf(m.records.at(0)).count("user_input"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), fieldsOf(m.records.at(1)).count("content"));
    }

    void testAssistantResponseIsAnAssistantMessage() {
        const Mapped m = mapLogs(claudeEvent("assistant_response", 9, {{"response", text("Here they are.")}, {"model", text("claude-x")}}));
        const auto f = fieldsOf(m.records.at(1));
        CPPUNIT_ASSERT_EQUAL(std::string("assistant"), f.at("role"));
        CPPUNIT_ASSERT_EQUAL(std::string("Here they are."), f.at("content"));
        CPPUNIT_ASSERT_EQUAL(std::string("claude-x"), f.at("model"));
    }

    void testApiRequestIsAnLlmCallStepThatBeganDurationEarlier() {
        const Mapped m = mapLogs(claudeEvent("api_request", 3,
                                             {{"model", text("claude-x")}, {"input_tokens", text("1200")}, {"output_tokens", integer(300)},
                                              {"cost_usd", text("0.0042")}, {"duration_ms", text("250")}},
                                             kT0 + 1000000000ull));
        const auto& step = m.records.at(1);
        CPPUNIT_ASSERT_EQUAL(std::string("step"), step.kind);
        CPPUNIT_ASSERT_EQUAL(std::string("S-sess-1-3"), step.id);
        const auto f = fieldsOf(step);
        CPPUNIT_ASSERT_EQUAL(std::string("llm_call"), f.at("step_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), f.at("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("250.000000"), f.at("duration_ms"));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-12-02T00:00:00.750000Z"), f.at("timestamp"));
        CPPUNIT_ASSERT_EQUAL(std::string("model request claude-x: 1200 in, 300 out tokens"), f.at("description"));
        CPPUNIT_ASSERT(f.at("details").find("\"cost_usd\":\"0.0042\"") != std::string::npos);
        // A negative or absurd duration does not move the start (nor wrap it around).
        for (const char* odd : {"-250", "1e300"}) {
            const auto g = fieldsOf(mapLogs(claudeEvent("api_request", 3, {{"duration_ms", text(odd)}}, kT0 + 1000000000ull)).records.at(1));
            CPPUNIT_ASSERT_EQUAL(std::string(odd[0] == '-' ? "2025-12-02T00:00:01.000000Z" : "1970-01-01T00:00:00.000000Z"), g.at("timestamp"));
        }
    }

    void testApiErrorIsAFailedLlmCall() {
        const Mapped m = mapLogs(claudeEvent("api_error", 4, {{"model", text("claude-x")}, {"error", text("overloaded")}, {"status_code", integer(529)}}));
        const auto f = fieldsOf(m.records.at(1));
        CPPUNIT_ASSERT_EQUAL(std::string("error"), f.at("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("model request claude-x failed: overloaded"), f.at("description"));
    }

    void testToolResultOfAnMcpToolNamesServerAndTool() {
        const Mapped m = mapLogs(claudeEvent(
            "tool_result", 5,
            {{"tool_name", text("mcp_tool")}, {"tool_use_id", text("toolu_1")}, {"success", text("true")}, {"duration_ms", text("12")},
             {"tool_parameters", text(R"({"mcp_server_name":"every","mcp_tool_name":"echo"})")}}));
        const auto& step = m.records.at(1);
        CPPUNIT_ASSERT_EQUAL(std::string("S-sess-1-5"), step.id);
        const auto f = fieldsOf(step);
        CPPUNIT_ASSERT_EQUAL(std::string("tool_call"), f.at("step_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("every"), f.at("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("echo"), f.at("tool"));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), f.at("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("tools/call echo on every"), f.at("description"));
        CPPUNIT_ASSERT(f.at("details").find("\"tool_use_id\":\"toolu_1\"") != std::string::npos);
        // Claude Code's own name of an MCP tool, when tool_parameters is not exported.
        const Mapped named = mapLogs(claudeEvent("tool_result", 6, {{"tool_name", text("mcp__memory__read_graph")}}));
        const auto g = fieldsOf(named.records.at(1));
        CPPUNIT_ASSERT_EQUAL(std::string("memory"), g.at("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("read_graph"), g.at("tool"));
    }

    void testFailedToolResultIsAnErrorStep() {
        const Mapped m = mapLogs(claudeEvent("tool_result", 5, {{"tool_name", text("Bash")}, {"success", text("false")}}));
        const auto f = fieldsOf(m.records.at(1));
        CPPUNIT_ASSERT_EQUAL(std::string("error"), f.at("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("Bash"), f.at("tool"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), f.count("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("tool Bash"), f.at("description"));
    }

    void testToolDecisionIsAPermissionEvent() {
        const Mapped m = mapLogs(claudeEvent("tool_decision", 4,
                                             {{"tool_name", text("mcp__every__echo")}, {"decision", text("accept")}, {"source", text("config")}}));
        const auto& p = m.records.at(1);
        CPPUNIT_ASSERT_EQUAL(std::string("permission"), p.kind);
        CPPUNIT_ASSERT_EQUAL(std::string("P-sess-1-4"), p.id);
        const auto f = fieldsOf(p);
        CPPUNIT_ASSERT_EQUAL(std::string("1"), f.at("granted"));
        CPPUNIT_ASSERT_EQUAL(std::string("every/echo"), f.at("resource"));
        CPPUNIT_ASSERT_EQUAL(std::string("tools/call"), f.at("action"));
        CPPUNIT_ASSERT_EQUAL(std::string("u-42"), f.at("user_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("claude-code accept by config"), f.at("reason"));
        const Mapped rejected = mapLogs(claudeEvent("tool_decision", 5, {{"tool_name", text("Bash")}, {"decision", text("reject")},
                                                                         {"source", text("user_reject")}}));
        CPPUNIT_ASSERT_EQUAL(std::string("0"), fieldsOf(rejected.records.at(1)).at("granted"));
    }

    void testMcpServerConnectionIsMcpStatusHistory() {
        const Mapped m = mapLogs(claudeEvent("mcp_server_connection", 2,
                                             {{"server_name", text("every")}, {"status", text("connected")}, {"transport_type", text("stdio")}}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), m.records.size()); // no thread: it is the server's history
        const auto f = fieldsOf(m.records.at(0));
        CPPUNIT_ASSERT_EQUAL(std::string("mcp_status"), m.records[0].kind);
        CPPUNIT_ASSERT_EQUAL(std::string("every"), f.at("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("connected"), f.at("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("stdio"), f.at("endpoint"));
        CPPUNIT_ASSERT_EQUAL(std::string("reported by claude-code (session sess-1)"), f.at("detail"));
    }

    void testOtherEventsAndPlainLogsAreKeptAsLogs() {
        const Mapped m = mapLogs(claudeEvent("compaction", 8, {{"pre_tokens", integer(9000)}}));
        const auto& log = m.records.at(1);
        CPPUNIT_ASSERT_EQUAL(std::string("log"), log.kind);
        CPPUNIT_ASSERT_EQUAL(std::string("L-"), log.id.substr(0, 2));
        const auto f = fieldsOf(log);
        CPPUNIT_ASSERT_EQUAL(std::string("INFO"), f.at("level"));
        CPPUNIT_ASSERT_EQUAL(std::string("claude-code"), f.at("service"));
        CPPUNIT_ASSERT_EQUAL(std::string("T-sess-1"), f.at("thread_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("claude_code.compaction"), f.at("message"));
        CPPUNIT_ASSERT(f.at("context").find("\"pre_tokens\":9000") != std::string::npos);
        CPPUNIT_ASSERT(f.at("context").find("\"scope\":{\"name\":\"com.anthropic.claude_code.events\"") != std::string::npos);
        // Another service's log record: its severity and body; the same record twice has one id.
        mc::otlp::LogsRequest plain;
        plain.resources.resize(1);
        plain.resources[0].resource = {{"service.name", text("billing")}};
        plain.resources[0].scopes.resize(1);
        mc::otlp::LogRecord r;
        r.timeUnixNano = kT0;
        r.severityNumber = 17;
        r.body = text("payment failed");
        plain.resources[0].scopes[0].records = {r, r};
        const Mapped p = mapLogs(plain);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), p.records.size());
        const auto g = fieldsOf(p.records[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("ERROR"), g.at("level"));
        CPPUNIT_ASSERT_EQUAL(std::string("billing"), g.at("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("payment failed"), g.at("message"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), g.count("thread_id"));
        CPPUNIT_ASSERT_EQUAL(p.records[0].id, p.records[1].id);
    }

    void testGenAiChatSpanIsAnLlmCallStep() {
        mc::otlp::TracesRequest request;
        request.resources.resize(1);
        request.resources[0].resource = {{"service.name", text("my-agent")}};
        request.resources[0].scopes.resize(1);
        mc::otlp::Span s;
        s.traceId = "0af7651916cd43dd8448eb211c80319c";
        s.spanId = "b7ad6b7169203331";
        s.name = "chat gpt-4o";
        s.kind = 3;
        s.startTimeUnixNano = kT0;
        s.endTimeUnixNano = kT0 + 1500000000ull;
        s.attributes = {{"gen_ai.operation.name", text("chat")}, {"gen_ai.conversation.id", text("conv-9")},
                        {"gen_ai.usage.input_tokens", integer(50)}, {"gen_ai.usage.output_tokens", integer(7)}};
        request.resources[0].scopes[0].spans.push_back(s);
        const Mapped m = mapTraces(request);
        CPPUNIT_ASSERT_EQUAL(std::string("T-conv-9"), m.records.at(0).id);
        CPPUNIT_ASSERT_EQUAL(std::string("my-agent"), fieldsOf(m.records[0]).at("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("span"), m.records.at(1).kind);
        const auto& step = m.records.at(2);
        CPPUNIT_ASSERT_EQUAL(std::string("S-0af76519b7ad6b7169203331"), step.id);
        const auto f = fieldsOf(step);
        CPPUNIT_ASSERT_EQUAL(std::string("llm_call"), f.at("step_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("1500.000000"), f.at("duration_ms"));
        CPPUNIT_ASSERT_EQUAL(std::string("chat gpt-4o: 50 in, 7 out tokens"), f.at("description"));
        CPPUNIT_ASSERT_EQUAL(std::to_string(kT0 / 1000), f.at("sequence"));
        CPPUNIT_ASSERT(f.at("details").find("\"trace_id\":\"0af7651916cd43dd8448eb211c80319c\"") != std::string::npos);
    }

    void testMcpToolsCallSpanIsAToolCallStep() {
        mc::otlp::TracesRequest request;
        request.resources.resize(1);
        request.resources[0].scopes.resize(1);
        mc::otlp::Span s;
        s.traceId = "11111111111111111111111111111111";
        s.spanId = "2222222222222222";
        s.name = "tools/call echo";
        s.statusCode = 2;
        s.startTimeUnixNano = kT0;
        s.endTimeUnixNano = kT0 + 3000000ull;
        s.attributes = {{"mcp.method.name", text("tools/call")}, {"gen_ai.tool.name", text("echo")}, {"mcp.session.id", text("m-1")},
                        {"gen_ai.tool.call.id", text("call_7")}};
        request.resources[0].scopes[0].spans.push_back(s);
        const auto f = fieldsOf(mapTraces(request).records.at(2));
        CPPUNIT_ASSERT_EQUAL(std::string("tool_call"), f.at("step_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("echo"), f.at("tool"));
        CPPUNIT_ASSERT_EQUAL(std::string("error"), f.at("status"));
        // The agent's id of the call, by which a call through the host's /mcp joins this step.
        CPPUNIT_ASSERT_EQUAL(std::string("{\"trace_id\":\"11111111111111111111111111111111\",\"span_id\":\"2222222222222222\","
                                         "\"span\":\"tools/call echo\",\"tool_use_id\":\"call_7\"}"),
                             f.at("details"));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown_service"), fieldsOf(mapTraces(request).records.at(0)).at("mcp_id"));
    }

    void testEverySpanIsKeptWhole() {
        mc::otlp::TracesRequest request;
        request.resources.resize(1);
        request.resources[0].resource = {{"service.name", text("api")}};
        request.resources[0].scopes.resize(1);
        request.resources[0].scopes[0].scope.name = "http";
        mc::otlp::Span s;
        s.traceId = "33333333333333333333333333333333";
        s.spanId = "4444444444444444";
        s.parentSpanId = "5555555555555555";
        s.name = "GET /";
        s.kind = 2;
        s.statusCode = 2;
        s.statusMessage = "boom";
        s.startTimeUnixNano = kT0;
        s.endTimeUnixNano = kT0 + 2000000ull;
        s.attributes = {{"http.route", text("/")}};
        mc::otlp::SpanEvent e;
        e.timeUnixNano = kT0 + 1000000ull;
        e.name = "exception";
        e.attributes = {{"exception.type", text("E")}};
        s.events.push_back(e);
        request.resources[0].scopes[0].spans.push_back(s);
        const Mapped m = mapTraces(request);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), m.records.size()); // no session: no thread, no step
        CPPUNIT_ASSERT_EQUAL(std::string("span"), m.records[0].kind);
        CPPUNIT_ASSERT_EQUAL(std::string("SP-33333333333333333333333333333333-4444444444444444"), m.records[0].id);
        const auto f = fieldsOf(m.records[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("5555555555555555"), f.at("parent_span_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("server"), f.at("kind"));
        CPPUNIT_ASSERT_EQUAL(std::string("error"), f.at("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("boom"), f.at("status_message"));
        CPPUNIT_ASSERT_EQUAL(std::string("api"), f.at("service"));
        CPPUNIT_ASSERT_EQUAL(std::string("2.000000"), f.at("duration_ms"));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-12-02T00:00:00.002000Z"), f.at("end_time"));
        CPPUNIT_ASSERT_EQUAL(std::string("{\"http.route\":\"/\"}"), f.at("attributes"));
        CPPUNIT_ASSERT_EQUAL(std::string("[{\"name\":\"exception\",\"time\":\"2025-12-02T00:00:00.001000Z\",\"attributes\":{\"exception.type\":\"E\"}}]"),
                             f.at("events"));
        CPPUNIT_ASSERT_EQUAL(std::string("{\"attributes\":{\"service.name\":\"api\"},\"scope\":{\"name\":\"http\",\"version\":\"\"}}"),
                             f.at("resource"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), f.count("thread_id"));
    }

    void testClaudeCodeSpansAreSpansOfTheSessionNotSteps() {
        mc::otlp::TracesRequest request;
        request.resources.resize(1);
        request.resources[0].resource = {{"service.name", text("claude-code")}};
        request.resources[0].scopes.resize(1);
        mc::otlp::Span s;
        s.traceId = "55555555555555555555555555555555";
        s.spanId = "6666666666666666";
        s.name = "claude_code.llm_request";
        s.startTimeUnixNano = kT0;
        s.endTimeUnixNano = kT0 + 5000000ull;
        s.attributes = {{"gen_ai.operation.name", text("chat")}, {"session.id", text("sess-1")}};
        request.resources[0].scopes[0].spans.push_back(s);
        const Mapped m = mapTraces(request);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), m.records.size()); // the thread and the span: its api_request event is the step
        CPPUNIT_ASSERT_EQUAL(std::string("span"), m.records[1].kind);
        CPPUNIT_ASSERT_EQUAL(std::string("T-sess-1"), fieldsOf(m.records[1]).at("thread_id"));
        // Another agent's invoke_agent span is the run's own step.
        request.resources[0].resource = {{"service.name", text("my-agent")}};
        request.resources[0].scopes[0].spans[0].attributes = {{"gen_ai.operation.name", text("invoke_agent")}, {"session.id", text("sess-1")}};
        CPPUNIT_ASSERT_EQUAL(std::string("agent_run"), fieldsOf(mapTraces(request).records.at(2)).at("step_type"));
    }

    void testAbiValuesFollowTheCatalog() {
        const Mapped m = mapLogs(claudeEvent("tool_decision", 4, {{"tool_name", text("Bash")}, {"decision", text("accept")}}));
        const AbiBatch batch = toAbi(m.records);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), batch.records.size());
        const auto* spec = mc::records::findKind("permission");
        const mc_record& r = batch.records[1];
        CPPUNIT_ASSERT_EQUAL(spec->fields.size(), r.value_count);
        for (std::size_t i = 0; i < spec->fields.size(); ++i) {
            if (spec->fields[i].jsonName == "granted") {
                CPPUNIT_ASSERT_EQUAL(MC_VALUE_INT, r.values[i].type);
                CPPUNIT_ASSERT_EQUAL(std::int64_t(1), r.values[i].integer);
                CPPUNIT_ASSERT_EQUAL(std::uint8_t(1), r.present[i]);
            }
            if (spec->fields[i].jsonName == "mcp_id") CPPUNIT_ASSERT_EQUAL(std::uint8_t(0), r.present[i]);
        }
        const Mapped metrics = mapMetrics(metricRequest(claudeCounter("claude_code.lines_of_code.count", 3, {})), series);
        const AbiBatch metricBatch = toAbi(metrics.records);
        const auto* metricSpec = mc::records::findKind("metric");
        for (std::size_t i = 0; i < metricSpec->fields.size(); ++i)
            if (metricSpec->fields[i].jsonName == "monotonic") CPPUNIT_ASSERT_EQUAL(std::int64_t(1), metricBatch.records[1].values[i].integer);
        MappedRecord bad{"nonsense", "x", {}, 0};
        CPPUNIT_ASSERT_THROW(toAbi({bad}), std::logic_error);
        MappedRecord badField{"log", "x", {{"colour", FieldValue::of(std::string("red"))}}, 0};
        CPPUNIT_ASSERT_THROW(toAbi({badField}), std::logic_error);
    }

    // ---- metrics -------------------------------------------------------------------------------

    void testClaudeTokenCounterIsAUsagePointOfTheSession() {
        const auto request = metricRequest(claudeCounter("claude_code.token.usage", 1234,
                                                         {{"type", text("cacheRead")}, {"model", text("claude-sonnet-4-5")}}));
        const Mapped m = mapMetrics(request, series);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), m.items);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), m.records.size());
        CPPUNIT_ASSERT_EQUAL(std::string("thread"), m.records[0].kind);
        CPPUNIT_ASSERT_EQUAL(std::string("T-sess-1"), m.records[0].id);
        CPPUNIT_ASSERT_EQUAL(std::string("2025-12-02T00:00:00.000000Z"), fieldsOf(m.records[0])["started_at"]);
        const auto& point = m.records[1];
        CPPUNIT_ASSERT_EQUAL(std::string("metric"), point.kind);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), point.item);
        CPPUNIT_ASSERT_EQUAL(std::string("MP-"), point.id.substr(0, 3));
        auto f = fieldsOf(point);
        CPPUNIT_ASSERT_EQUAL(std::string("claude_code.token.usage"), f["name"]);
        CPPUNIT_ASSERT_EQUAL(std::string("T-sess-1"), f["thread_id"]);
        CPPUNIT_ASSERT_EQUAL(std::string("claude-code"), f["service"]);
        CPPUNIT_ASSERT_EQUAL(std::string("sum"), f["metric_type"]);
        CPPUNIT_ASSERT_EQUAL(std::string("delta"), f["temporality"]);
        CPPUNIT_ASSERT_EQUAL(std::string("1"), f["monotonic"]);
        CPPUNIT_ASSERT_EQUAL(std::string("1234.000000"), f["value"]);
        CPPUNIT_ASSERT_EQUAL(std::string("1234.000000"), f["increment"]);
        CPPUNIT_ASSERT_EQUAL(std::string("cache_read_tokens"), f["usage"]);
        CPPUNIT_ASSERT_EQUAL(std::string("claude-sonnet-4-5"), f["model"]);
        CPPUNIT_ASSERT_EQUAL(std::string("2025-12-02T00:00:00.000000Z"), f["start_time"]);
        CPPUNIT_ASSERT_EQUAL(std::string("2025-12-02T00:01:00.000000Z"), f["timestamp"]);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"session.id":"sess-1","type":"cacheRead","model":"claude-sonnet-4-5"})"), f["attributes"]);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"attributes":{"service.name":"claude-code"},"scope":{"name":"com.anthropic.claude_code","version":""}})"),
                             f["resource"]);
        // The same point again (a retry) has the same id; another time, another id.
        CPPUNIT_ASSERT_EQUAL(point.id, mapMetrics(request, series).records[1].id);
        const auto later = metricRequest(claudeCounter("claude_code.token.usage", 1234, {{"type", text("cacheRead")}, {"model", text("claude-sonnet-4-5")}},
                                                       mc::otlp::Metric::Temporality::Delta, kT0 + 60000000000ull, kT0 + 120000000000ull));
        CPPUNIT_ASSERT(point.id != mapMetrics(later, series).records[1].id);
        for (const auto& [type, usage] : {std::pair{"input", "input_tokens"}, std::pair{"output", "output_tokens"},
                                          std::pair{"cacheCreation", "cache_creation_tokens"}}) {
            const Mapped other = mapMetrics(metricRequest(claudeCounter("claude_code.token.usage", 1, {{"type", text(type)}})), series);
            CPPUNIT_ASSERT_EQUAL(std::string(usage), fieldsOf(other.records[1])["usage"]);
        }
    }

    void testClaudeCostCounterIsCostUsd() {
        const Mapped m = mapMetrics(metricRequest(claudeCounter("claude_code.cost.usage", 0.0125, {{"model", text("claude-haiku")}})), series);
        auto f = fieldsOf(m.records[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("cost_usd"), f["usage"]);
        CPPUNIT_ASSERT_EQUAL(std::string("0.012500"), f["increment"]);
        CPPUNIT_ASSERT_EQUAL(std::string("claude-haiku"), f["model"]);
    }

    void testCumulativeTotalsBecomeIncrements() {
        using T = mc::otlp::Metric::Temporality;
        const auto at = [&](double total, std::uint64_t start) {
            const Mapped m = mapMetrics(metricRequest(claudeCounter("claude_code.token.usage", total, {{"type", text("input")}}, T::Cumulative, start)), series);
            auto f = fieldsOf(m.records[1]);
            CPPUNIT_ASSERT_EQUAL(std::string("cumulative"), f["temporality"]);
            return f["increment"];
        };
        CPPUNIT_ASSERT_EQUAL(std::string("100.000000"), at(100, kT0)); // first point: all of it
        CPPUNIT_ASSERT_EQUAL(std::string("50.000000"), at(150, kT0));
        CPPUNIT_ASSERT_EQUAL(std::string("0.000000"), at(150, kT0));
        CPPUNIT_ASSERT_EQUAL(std::string("20.000000"), at(20, kT0 + 1)); // a restart: a new start time
        CPPUNIT_ASSERT_EQUAL(std::string("5.000000"), at(5, kT0 + 1));   // a smaller total: a reset too
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), series.size());
    }

    void testUndoneCumulativePointsCountAgainWhenResent() {
        using T = mc::otlp::Metric::Temporality;
        const auto request = [&](double total) {
            return metricRequest(claudeCounter("claude_code.token.usage", total, {{"type", text("output")}}, T::Cumulative));
        };
        mapMetrics(request(10), series);
        const Mapped refused = mapMetrics(request(30), series);
        CPPUNIT_ASSERT_EQUAL(std::string("20.000000"), fieldsOf(refused.records[1])["increment"]);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), refused.remembered.size());
        series.undo(refused.remembered); // the host did not take it: the exporter sends it again
        CPPUNIT_ASSERT_EQUAL(std::string("20.000000"), fieldsOf(mapMetrics(request(30), series).records[1])["increment"]);
        // A series first seen by an undone request is forgotten.
        const Mapped first = mapMetrics(metricRequest(claudeCounter("x.count", 7, {}, T::Cumulative)), series);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), series.size());
        series.undo(first.remembered);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), series.size());
    }

    void testCumulativeSeriesForgetTheOlderHalfWhenFull() {
        CumulativeSeries small(4);
        std::vector<RememberedPoint> journal;
        for (int i = 0; i < 4; ++i) small.advance("s" + std::to_string(i), 1, 10, journal);
        small.advance("s3", 1, 15, journal); // s3 newest, s0 oldest
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), small.size());
        CPPUNIT_ASSERT_EQUAL(10.0, small.advance("s4", 1, 10, journal)); // full: s0 and s1 go
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), small.size());
        CPPUNIT_ASSERT_EQUAL(10.0, small.advance("s0", 1, 10, journal)); // forgotten: counts whole
        CPPUNIT_ASSERT_EQUAL(5.0, small.advance("s3", 1, 20, journal)); // kept
    }

    void testGenAiTokenHistogramAddsItsSum() {
        mc::otlp::Metric m;
        m.name = "gen_ai.client.token.usage";
        m.unit = "{token}";
        m.type = mc::otlp::Metric::Type::Histogram;
        m.temporality = mc::otlp::Metric::Temporality::Delta;
        mc::otlp::MetricPoint p;
        p.timeUnixNano = kT0;
        p.count = 2;
        p.hasSum = true;
        p.sum = 300;
        p.explicitBounds = {100, 1000};
        p.bucketCounts = {0, 2, 0};
        p.attributes = {{"gen_ai.token.type", text("input")}, {"gen_ai.request.model", text("gpt-x")},
                        {"gen_ai.conversation.id", text("conv-9")}};
        m.points.push_back(p);
        const Mapped mapped = mapMetrics(metricRequest(m, "my-agent"), series);
        CPPUNIT_ASSERT_EQUAL(std::string("T-conv-9"), mapped.records[0].id);
        auto f = fieldsOf(mapped.records[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("histogram"), f["metric_type"]);
        CPPUNIT_ASSERT_EQUAL(std::string("2"), f["count"]);
        CPPUNIT_ASSERT_EQUAL(std::string("300.000000"), f["sum"]);
        CPPUNIT_ASSERT_EQUAL(std::string("300.000000"), f["increment"]);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"bounds":[100,1000],"counts":[0,2,0]})"), f["buckets"]);
        CPPUNIT_ASSERT_EQUAL(std::string("input_tokens"), f["usage"]);
        CPPUNIT_ASSERT_EQUAL(std::string("gpt-x"), f["model"]);
        CPPUNIT_ASSERT_EQUAL(std::string("my-agent"), f["service"]);
        CPPUNIT_ASSERT(f.find("value") == f.end());
    }

    void testGaugesAndOtherMetricsAreKeptWithoutUsage() {
        mc::otlp::Metric gauge;
        gauge.name = "process.memory";
        gauge.type = mc::otlp::Metric::Type::Gauge;
        mc::otlp::MetricPoint p;
        p.timeUnixNano = kT0;
        p.value = 42;
        p.isInt = true;
        gauge.points.push_back(p);
        mc::otlp::Metric empty; // no data: no points, nothing stored
        empty.name = "nothing";
        auto request = metricRequest(gauge, "svc");
        request.resources[0].scopes[0].metrics.push_back(empty);
        const Mapped m = mapMetrics(request, series);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), m.items);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), m.records.size()); // no session: no thread
        auto f = fieldsOf(m.records[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("gauge"), f["metric_type"]);
        CPPUNIT_ASSERT_EQUAL(std::string("unspecified"), f["temporality"]);
        CPPUNIT_ASSERT_EQUAL(std::string("42.000000"), f["value"]);
        CPPUNIT_ASSERT(f.find("increment") == f.end());
        CPPUNIT_ASSERT(f.find("usage") == f.end());
        CPPUNIT_ASSERT(f.find("thread_id") == f.end());
        CPPUNIT_ASSERT(f.find("monotonic") == f.end());
        // An up-down sum adds nothing either; a monotonic counter that is not usage adds without usage.
        auto upDown = claudeCounter("active.sessions", 3, {});
        upDown.points[0].attributes.clear();
        upDown.monotonic = false;
        auto g = fieldsOf(mapMetrics(metricRequest(upDown), series).records[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("0"), g["monotonic"]);
        CPPUNIT_ASSERT(g.find("increment") == g.end());
        auto h = fieldsOf(mapMetrics(metricRequest(claudeCounter("claude_code.lines_of_code.count", 3, {})), series).records[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("3.000000"), h["increment"]);
        CPPUNIT_ASSERT(h.find("usage") == h.end());
    }

private:
    CumulativeSeries series;

    void testCodexPromptAndAnswerAreMessagesOfTheConversation() {
        const Mapped m = mapLogs(codexEvent("user_prompt", {{"prompt", text("fix the build")}, {"prompt_length", text("13")}}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), m.records.size());
        const auto thread = fieldsOf(m.records[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("T-conv-1"), m.records[0].id);
        CPPUNIT_ASSERT_EQUAL(std::string("codex_exec"), thread.at("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("fix the build"), thread.at("user_input"));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-12-02T00:00:00.000000Z"), thread.at("started_at")); // the observed time
        const auto& message = m.records[1];
        CPPUNIT_ASSERT_EQUAL(std::string("transcript"), message.kind);
        CPPUNIT_ASSERT_EQUAL(std::string("M-conv-1-"), message.id.substr(0, 9));
        const auto f = fieldsOf(message);
        CPPUNIT_ASSERT_EQUAL(std::string("user"), f.at("role"));
        CPPUNIT_ASSERT_EQUAL(std::string("fix the build"), f.at("content"));
        CPPUNIT_ASSERT_EQUAL(std::to_string(kT0 / 1000), f.at("sequence"));
        CPPUNIT_ASSERT(f.at("metadata").find("\"event\":\"codex.user_prompt\"") != std::string::npos);
        // The same event again (an exporter's retry) has the same ids; a redacted prompt keeps no text.
        CPPUNIT_ASSERT_EQUAL(message.id, mapLogs(codexEvent("user_prompt", {{"prompt", text("fix the build")}, {"prompt_length", text("13")}}))
                                             .records.at(1).id);
        const Mapped redacted = mapLogs(codexEvent("user_prompt", {{"prompt", text("[REDACTED]")}}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), fieldsOf(redacted.records.at(1)).count("content"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), fieldsOf(redacted.records.at(0)).count("user_input"));
        const Mapped answer = mapLogs(codexEvent("agent_response", {{"response", text("done: 2 files")}}));
        const auto a = fieldsOf(recordOf(answer, "transcript"));
        CPPUNIT_ASSERT_EQUAL(std::string("assistant"), a.at("role"));
        CPPUNIT_ASSERT_EQUAL(std::string("done: 2 files"), a.at("content"));
        CPPUNIT_ASSERT_EQUAL(std::string("gpt-x"), a.at("model"));
    }

    void testCodexCompletedResponseIsAnLlmCallWithTokens() {
        const Mapped m = mapLogs(codexEvent("sse_event", {{"event.kind", text("response.completed")}, {"duration_ms", text("800")},
                                                          {"input_token_count", text("1500")}, {"output_token_count", text("42")},
                                                          {"cached_token_count", integer(1000)}}));
        const auto& step = recordOf(m, "step");
        const auto f = fieldsOf(step);
        CPPUNIT_ASSERT_EQUAL(std::string("llm_call"), f.at("step_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), f.at("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("model response gpt-x: 1500 in, 42 out tokens"), f.at("description"));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-12-01T23:59:59.200000Z"), f.at("timestamp")); // began duration_ms earlier
        CPPUNIT_ASSERT(f.at("details").find("\"cached_token_count\":1000") != std::string::npos);
        // The stream's other events are logs of the conversation.
        const Mapped delta = mapLogs(codexEvent("sse_event", {{"event.kind", text("response.output_text.delta")}}));
        const auto& log = recordOf(delta, "log");
        const auto g = fieldsOf(log);
        CPPUNIT_ASSERT_EQUAL(std::string("T-conv-1"), g.at("thread_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("codex.sse_event"), g.at("message"));
        CPPUNIT_ASSERT(g.at("context").find("\"event\":\"codex.sse_event\"") != std::string::npos);
    }

    void testCodexFailedRequestIsAFailedLlmCallAndOthersStayLogs() {
        const Mapped failed = mapLogs(codexEvent("api_request", {{"http.response.status_code", integer(429)}, {"attempt", integer(2)},
                                                                 {"duration_ms", text("30")}}));
        const auto f = fieldsOf(recordOf(failed, "step"));
        CPPUNIT_ASSERT_EQUAL(std::string("error"), f.at("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("model request gpt-x failed: HTTP 429"), f.at("description"));
        const Mapped message = mapLogs(codexEvent("api_request", {{"error.message", text("connection reset")}}));
        CPPUNIT_ASSERT_EQUAL(std::string("model request gpt-x failed: connection reset"), fieldsOf(recordOf(message, "step")).at("description"));
        const Mapped ok = mapLogs(codexEvent("api_request", {{"http.response.status_code", integer(200)}}));
        CPPUNIT_ASSERT_EQUAL(std::string("log"), ok.records.at(1).kind);
        const Mapped starts = mapLogs(codexEvent("conversation_starts", {{"mcp_servers", text("every, memory")}}));
        CPPUNIT_ASSERT_EQUAL(std::string("thread"), starts.records.at(0).kind);
        CPPUNIT_ASSERT_EQUAL(std::string("log"), starts.records.at(1).kind);
        // Without a time it cannot be ordered in its thread: a log.
        const Mapped timeless = mapLogs(codexEvent("user_prompt", {{"prompt", text("x")}}, 0));
        CPPUNIT_ASSERT_EQUAL(std::string("log"), timeless.records.at(1).kind);
    }

    void testCodexToolResultAndDecision() {
        const Mapped m = mapLogs(codexEvent("tool_result", {{"tool_name", text("echo")}, {"call_id", text("call_7")},
                                                            {"success", text("true")}, {"duration_ms", text("15")},
                                                            {"mcp_server", text("every")}, {"arguments", text(R"({"message":"hi"})")}}));
        const auto f = fieldsOf(recordOf(m, "step"));
        CPPUNIT_ASSERT_EQUAL(std::string("tool_call"), f.at("step_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("echo"), f.at("tool"));
        CPPUNIT_ASSERT_EQUAL(std::string("every"), f.at("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("tools/call echo on every"), f.at("description"));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), f.at("status"));
        CPPUNIT_ASSERT(f.at("details").find("\"call_id\":\"call_7\"") != std::string::npos);
        const Mapped builtin = mapLogs(codexEvent("tool_result", {{"tool_name", text("shell")}, {"success", text("false")},
                                                                  {"mcp_server", text("")}}));
        const auto g = fieldsOf(recordOf(builtin, "step"));
        CPPUNIT_ASSERT_EQUAL(std::string("error"), g.at("status"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), g.count("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("tool shell"), g.at("description"));

        const Mapped approved = mapLogs(codexEvent("tool_decision", {{"tool_name", text("shell")}, {"call_id", text("call_8")},
                                                                     {"decision", text("approved_for_session")}, {"source", text("User")}}));
        const auto& p = recordOf(approved, "permission");
        CPPUNIT_ASSERT_EQUAL(std::string("P-conv-1-"), p.id.substr(0, 9));
        const auto pf = fieldsOf(p);
        CPPUNIT_ASSERT_EQUAL(std::string("1"), pf.at("granted"));
        CPPUNIT_ASSERT_EQUAL(std::string("shell"), pf.at("resource"));
        CPPUNIT_ASSERT_EQUAL(std::string("codex_exec approved_for_session by user"), pf.at("reason"));
        CPPUNIT_ASSERT_EQUAL(std::string("dev@example.com"), pf.at("user_id"));
        const Mapped denied = mapLogs(codexEvent("tool_decision", {{"tool_name", text("shell")}, {"decision", text("denied")},
                                                                   {"source", text("config")}}));
        CPPUNIT_ASSERT_EQUAL(std::string("0"), fieldsOf(recordOf(denied, "permission")).at("granted"));
    }

    void testGeminiPromptResponseAndError() {
        const Mapped prompt = mapLogs(geminiEvent("user_prompt", {{"prompt", text("list files")}, {"prompt_id", text("gem-1########1")}}));
        CPPUNIT_ASSERT_EQUAL(std::string("T-gem-1"), prompt.records.at(0).id);
        CPPUNIT_ASSERT_EQUAL(std::string("gemini-cli"), fieldsOf(prompt.records[0]).at("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("list files"), fieldsOf(recordOf(prompt, "transcript")).at("content"));

        const Mapped response = mapLogs(geminiEvent("api_response", {{"model", text("gemini-x")}, {"duration_ms", integer(1200)},
                                                                     {"input_token_count", integer(900)}, {"output_token_count", integer(30)},
                                                                     {"response_text", text("3 files")}}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), response.records.size()); // thread, step, message
        const auto s = fieldsOf(recordOf(response, "step"));
        CPPUNIT_ASSERT_EQUAL(std::string("llm_call"), s.at("step_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("model response gemini-x: 900 in, 30 out tokens"), s.at("description"));
        CPPUNIT_ASSERT_EQUAL(std::string("1200.000000"), s.at("duration_ms"));
        const auto a = fieldsOf(recordOf(response, "transcript"));
        CPPUNIT_ASSERT_EQUAL(std::string("assistant"), a.at("role"));
        CPPUNIT_ASSERT_EQUAL(std::string("3 files"), a.at("content"));
        CPPUNIT_ASSERT_EQUAL(std::string("gemini-x"), a.at("model"));
        // A utility call (routing, compression) is a step, not part of the conversation's transcript.
        const Mapped utility = mapLogs(geminiEvent("api_response", {{"role", text("utility_router")}, {"response_text", text("{}")}}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), utility.records.size());

        const Mapped error = mapLogs(geminiEvent("api_error", {{"model", text("gemini-x")}, {"error.message", text("quota exceeded")},
                                                               {"status_code", text("429")}}));
        const auto e = fieldsOf(recordOf(error, "step"));
        CPPUNIT_ASSERT_EQUAL(std::string("error"), e.at("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("model request gemini-x failed: quota exceeded"), e.at("description"));
        // The request log itself (its response comes as api_response) stays a log.
        CPPUNIT_ASSERT_EQUAL(std::string("log"), mapLogs(geminiEvent("api_request", {{"model", text("gemini-x")}})).records.at(1).kind);
    }

    void testGeminiToolCallWithItsDecision() {
        const Mapped m = mapLogs(geminiEvent("tool_call", {{"function_name", text("echo")}, {"mcp_server_name", text("every")},
                                                           {"success", boolean(true)}, {"duration_ms", integer(20)},
                                                           {"decision", text("accept")}, {"tool_type", text("mcp")}}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), m.records.size()); // thread, permission, step
        const auto p = fieldsOf(recordOf(m, "permission"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), p.at("granted"));
        CPPUNIT_ASSERT_EQUAL(std::string("every/echo"), p.at("resource"));
        CPPUNIT_ASSERT_EQUAL(std::string("gemini-cli accept by user"), p.at("reason"));
        CPPUNIT_ASSERT_EQUAL(std::string("every"), p.at("mcp_id"));
        const auto s = fieldsOf(recordOf(m, "step"));
        CPPUNIT_ASSERT_EQUAL(std::string("tool_call"), s.at("step_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("echo"), s.at("tool"));
        CPPUNIT_ASSERT_EQUAL(std::string("every"), s.at("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), s.at("status"));
        const Mapped rejected = mapLogs(geminiEvent("tool_call", {{"function_name", text("run_shell_command")}, {"success", boolean(false)},
                                                                  {"decision", text("reject")}}));
        CPPUNIT_ASSERT_EQUAL(std::string("0"), fieldsOf(recordOf(rejected, "permission")).at("granted"));
        CPPUNIT_ASSERT_EQUAL(std::string("error"), fieldsOf(recordOf(rejected, "step")).at("status"));
        const Mapped automatic = mapLogs(geminiEvent("tool_call", {{"function_name", text("read_file")}, {"decision", text("auto_accept")}}));
        CPPUNIT_ASSERT_EQUAL(std::string("gemini-cli auto_accept by policy"), fieldsOf(recordOf(automatic, "permission")).at("reason"));
        // No confirmation was needed: no decision, no permission record.
        const Mapped none = mapLogs(geminiEvent("tool_call", {{"function_name", text("read_file")}}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), none.records.size());
    }

    void testCopilotChatSessionIsTheThread() {
        // Copilot's chat span: its gen_ai.conversation.id is the request's, session.id (resource) the window's.
        mc::otlp::TracesRequest request;
        request.resources.resize(1);
        request.resources[0].resource = {{"service.name", text("copilot-chat")}, {"session.id", text("window-1")}};
        request.resources[0].scopes.resize(1);
        mc::otlp::Span span;
        span.traceId = "0123456789abcdef0123456789abcdef";
        span.spanId = "0123456789abcdef";
        span.name = "chat gpt-x";
        span.kind = 3;
        span.startTimeUnixNano = kT0;
        span.endTimeUnixNano = kT0 + 1000000;
        span.attributes = {{"gen_ai.operation.name", text("chat")}, {"gen_ai.conversation.id", text("request-9")},
                           {"copilot_chat.chat_session_id", text("chat-3")}, {"gen_ai.usage.input_tokens", integer(10)}};
        request.resources[0].scopes[0].spans.push_back(span);
        const Mapped m = mapTraces(request);
        CPPUNIT_ASSERT_EQUAL(std::string("T-chat-3"), m.records.at(0).id);
        CPPUNIT_ASSERT_EQUAL(std::string("T-chat-3"), fieldsOf(recordOf(m, "span")).at("thread_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("llm_call"), fieldsOf(recordOf(m, "step")).at("step_type"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TelemetryMappingTest);
