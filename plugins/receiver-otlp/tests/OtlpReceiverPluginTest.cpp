// receiver-otlp's built .so in the SDK's fake host, as the host drives it: its routes, both encodings,
// gzip and its cap, each refusal with its status and body in the request's encoding, partial success
// when the host rejects a record, and the host's backpressure answered 503 with Retry-After.
#include "OtlpProtocol.h"
#include "ProtoWriter.h"

#include <mc/sdk_test.hpp>

#include <Poco/DeflatingStream.h>
#include <cppunit/extensions/HelperMacros.h>

#include <sstream>

using mc::sdk::test::FakeHost;
using mc::sdk::test::HttpReply;
using mc::test::Pb;
using mc::test::pbKeyValue;
using mc::test::pbString;

namespace {

std::string pluginPath() { return std::string(MC_TEST_PLUGIN_DIR) + "/receiver-otlp.so"; }

// ExportLogsServiceRequest with one Claude Code user_prompt event (sequence 1) and one plain log line.
std::string logsProtobuf() {
    const std::string resource = Pb().len(1, pbKeyValue("service.name", pbString("claude-code"))).out;
    const std::string prompt = Pb()
                                   .fixed64(1, 1764633600000000000ull)
                                   .len(5, pbString("claude_code.user_prompt"))
                                   .len(6, pbKeyValue("event.name", pbString("user_prompt")))
                                   .len(6, pbKeyValue("session.id", pbString("sess-pb")))
                                   .len(6, pbKeyValue("event.sequence", mc::test::pbInt(1)))
                                   .len(6, pbKeyValue("prompt", pbString("hello")))
                                   .out;
    const std::string plain = Pb().fixed64(1, 1764633601000000000ull).number(2, 13).len(5, pbString("disk almost full")).out;
    const std::string scope = Pb().len(1, Pb().len(1, "com.anthropic.claude_code.events").out).len(2, prompt).len(2, plain).out;
    return Pb().len(1, Pb().len(1, resource).len(2, scope).out).out;
}

const char* kLogsJson = R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"claude-code"}}]},
  "scopeLogs":[{"logRecords":[{"timeUnixNano":"1764633600000000000","body":{"stringValue":"claude_code.user_prompt"},
  "attributes":[{"key":"event.name","value":{"stringValue":"user_prompt"}},{"key":"session.id","value":{"stringValue":"sess-js"}},
  {"key":"event.sequence","value":{"intValue":"1"}},{"key":"prompt","value":{"stringValue":"hello"}}]}]}]}]})";

std::string gzip(const std::string& data) {
    std::ostringstream out;
    Poco::DeflatingOutputStream deflater(out, Poco::DeflatingStreamBuf::STREAM_GZIP);
    deflater << data;
    deflater.close();
    return out.str();
}

} // namespace

class OtlpReceiverPluginTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OtlpReceiverPluginTest);
    CPPUNIT_TEST(testDescriptorAndRoutes);
    CPPUNIT_TEST(testProtobufLogsAreSubmittedAndAnsweredEmpty);
    CPPUNIT_TEST(testJsonLogsAreAnsweredInJson);
    CPPUNIT_TEST(testGzipBodiesAndTheirCap);
    CPPUNIT_TEST(testRefusalsNameWhatIsWrong);
    CPPUNIT_TEST(testRecordsTheHostRejectsArePartialSuccess);
    CPPUNIT_TEST(testFullQueueIs503WithRetryAfter);
    CPPUNIT_TEST(testProtocolBodies);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDescriptorAndRoutes() {
        FakeHost host(pluginPath());
        const auto problems = host.problems();
        CPPUNIT_ASSERT_MESSAGE(problems.empty() ? "" : problems.front(), problems.empty());
        CPPUNIT_ASSERT_EQUAL(MC_KIND_RECEIVER, host.descriptor().kind);
        auto instance = host.create({{"listen", "127.0.0.1:4318, [::1]:4318"}});
        CPPUNIT_ASSERT_MESSAGE(instance->created().error, instance->created().ok());
        const auto routes = instance->routes();
        CPPUNIT_ASSERT(routes.ok());
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"routes":[{"method":"POST","path":"/v1/logs","media_types":["application/x-protobuf","application/json"]},)"
                                         R"({"method":"POST","path":"/v1/traces","media_types":["application/x-protobuf","application/json"]},)"
                                         R"({"method":"POST","path":"/v1/metrics","media_types":["application/x-protobuf","application/json"]}],)"
                                         R"("listen":["127.0.0.1:4318","[::1]:4318"]})"),
                             routes.output);
        CPPUNIT_ASSERT_EQUAL(std::string(R"("listen":[]})"),
                             host.create({{"listen", ""}})->routes().output.substr(routes.output.find("\"listen\"")));
    }

    void testProtobufLogsAreSubmittedAndAnsweredEmpty() {
        FakeHost host(pluginPath());
        auto instance = host.create();
        CPPUNIT_ASSERT(instance->start().ok());
        const HttpReply reply = instance->handle("POST", "/v1/logs", "application/x-protobuf", logsProtobuf());
        CPPUNIT_ASSERT_EQUAL(200, reply.status);
        CPPUNIT_ASSERT_EQUAL(std::string("application/x-protobuf"), reply.contentType);
        CPPUNIT_ASSERT_EQUAL(std::string(), reply.body); // an empty ExportLogsServiceResponse: all stored
        const auto records = instance->submitted();
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), records.size());
        CPPUNIT_ASSERT_EQUAL(std::string("thread"), records[0].kind);
        CPPUNIT_ASSERT_EQUAL(std::string("T-sess-pb"), records[0].id);
        CPPUNIT_ASSERT_EQUAL(std::string("transcript"), records[1].kind);
        CPPUNIT_ASSERT_EQUAL(std::string("M-sess-pb-1"), records[1].id);
        CPPUNIT_ASSERT_EQUAL(std::string("log"), records[2].kind);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), instance->submitBatches());
        CPPUNIT_ASSERT(instance->violations().empty());
    }

    void testJsonLogsAreAnsweredInJson() {
        FakeHost host(pluginPath());
        auto instance = host.create();
        CPPUNIT_ASSERT(instance->start().ok());
        const HttpReply reply = instance->handle("POST", "/v1/logs", "application/json; charset=utf-8", kLogsJson);
        CPPUNIT_ASSERT_EQUAL(200, reply.status);
        CPPUNIT_ASSERT_EQUAL(std::string("application/json"), reply.contentType);
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), reply.body);
        CPPUNIT_ASSERT_EQUAL(std::string("M-sess-js-1"), instance->submitted().at(1).id);
        // An empty request is a success with nothing submitted.
        const HttpReply empty = instance->handle("POST", "/v1/traces", "application/json", "{}");
        CPPUNIT_ASSERT_EQUAL(200, empty.status);
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), empty.body);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), instance->submitBatches());
    }

    void testGzipBodiesAndTheirCap() {
        FakeHost host(pluginPath());
        auto instance = host.create({{"max_inflated_bytes", "4096"}});
        CPPUNIT_ASSERT(instance->start().ok());
        const HttpReply ok = instance->handle("POST", "/v1/logs", "application/json", gzip(kLogsJson), "gzip");
        CPPUNIT_ASSERT_EQUAL(200, ok.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), instance->submitted().size());
        // A bomb: 1 MB of zeros in a few hundred bytes of gzip.
        const std::string bomb = gzip(std::string(1 << 20, '0'));
        CPPUNIT_ASSERT(bomb.size() < 4096);
        const HttpReply big = instance->handle("POST", "/v1/logs", "application/json", bomb, "gzip");
        CPPUNIT_ASSERT_EQUAL(413, big.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"x({"code":3,"message":"the gzip body inflates to more than 4096 bytes (receiver.otlp.max_inflated_bytes)"})x"),
                             big.body);
        const HttpReply bad = instance->handle("POST", "/v1/logs", "application/json", "not gzip at all", "gzip");
        CPPUNIT_ASSERT_EQUAL(400, bad.status);
        CPPUNIT_ASSERT(bad.body.find("the body is not valid gzip") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), instance->submitted().size());
    }

    void testRefusalsNameWhatIsWrong() {
        FakeHost host(pluginPath());
        auto instance = host.create();
        CPPUNIT_ASSERT(instance->start().ok());
        const HttpReply truncated = instance->handle("POST", "/v1/logs", "application/json", R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"12x"}]}]}]})");
        CPPUNIT_ASSERT_EQUAL(400, truncated.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"code":3,"message":"malformed OTLP/JSON request: ExportLogsServiceRequest.resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano: '12x' is not an integer of this field's range"})"),
                             truncated.body);
        const std::string cut = logsProtobuf().substr(0, 20);
        const HttpReply pb = instance->handle("POST", "/v1/logs", "application/x-protobuf", cut);
        CPPUNIT_ASSERT_EQUAL(400, pb.status);
        CPPUNIT_ASSERT_EQUAL(std::string("application/x-protobuf"), pb.contentType);
        CPPUNIT_ASSERT(pb.body.find("malformed OTLP protobuf request") != std::string::npos);
        // Metrics and traces refuse the same way, naming where.
        const HttpReply metrics = instance->handle(
            "POST", "/v1/metrics", "application/json",
            R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","histogram":{"dataPoints":[{"bucketCounts":["1","2"]}]}}]}]}]})");
        CPPUNIT_ASSERT_EQUAL(400, metrics.status);
        CPPUNIT_ASSERT_EQUAL(std::string("application/json"), metrics.contentType);
        CPPUNIT_ASSERT_MESSAGE(metrics.body, metrics.body.rfind(R"({"code":3,"message":"malformed OTLP/JSON request: ExportMetricsServiceRequest.resourceMetrics[0].scopeMetrics[0].metrics[0])", 0) == 0);
        const HttpReply spans = instance->handle("POST", "/v1/traces", "application/json",
                                                 R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"00","spanId":"0000000000000001"}]}]}]})");
        CPPUNIT_ASSERT_EQUAL(400, spans.status);
        CPPUNIT_ASSERT_MESSAGE(spans.body, spans.body.find("ExportTraceServiceRequest.resourceSpans[0].scopeSpans[0].spans[0]") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(415, instance->handle("POST", "/v1/logs", "text/plain", "x").status);
        const HttpReply encoding = instance->handle("POST", "/v1/logs", "application/json", "{}", "br");
        CPPUNIT_ASSERT_EQUAL(415, encoding.status);
        CPPUNIT_ASSERT(encoding.body.find("Content-Encoding 'br' is not supported (gzip or none)") != std::string::npos);
        const HttpReply unknown = instance->handle("POST", "/v1/profiles", "application/json", "{}");
        CPPUNIT_ASSERT_EQUAL(404, unknown.status);
        CPPUNIT_ASSERT(unknown.body.find("no OTLP signal at /v1/profiles (/v1/logs, /v1/traces, /v1/metrics)") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), instance->submitBatches());
    }

    void testRecordsTheHostRejectsArePartialSuccess() {
        FakeHost host(pluginPath());
        auto instance = host.create();
        CPPUNIT_ASSERT(instance->start().ok());
        instance->setSubmitOutcome(MC_OK, 2); // the plain log line (record 2, the request's second log record)
        const HttpReply json = instance->handle("POST", "/v1/logs", "application/x-protobuf", logsProtobuf());
        CPPUNIT_ASSERT_EQUAL(200, json.status);
        CPPUNIT_ASSERT_EQUAL(mc::receiver_otlp::exportResponse(mc::receiver_otlp::Signal::Logs, mc::receiver_otlp::Encoding::Protobuf, 1,
                                                                "1 of 2 log records were not stored: rejected by the fake host"),
                             json.body);
        // A rejected thread record is no log record of the request: nothing to count, but said.
        instance->setSubmitOutcome(MC_OK, 0);
        const HttpReply thread = instance->handle("POST", "/v1/logs", "application/json", kLogsJson);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"partialSuccess":{"rejectedLogRecords":"0","errorMessage":"stored, with a warning: rejected by the fake host"}})"),
                             thread.body);
    }

    void testFullQueueIs503WithRetryAfter() {
        FakeHost host(pluginPath());
        auto instance = host.create({{"retry_after_s", "7"}});
        CPPUNIT_ASSERT(instance->start().ok());
        instance->setSubmitOutcome(MC_ERR_UNAVAILABLE);
        const HttpReply reply = instance->handle("POST", "/v1/logs", "application/json", kLogsJson);
        CPPUNIT_ASSERT_EQUAL(503, reply.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"Retry-After":"7"})"), reply.headersJson);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"code":14,"message":"the host's store queue is full: nothing of this request was accepted; retry"})"),
                             reply.body);
        CPPUNIT_ASSERT(instance->submitted().empty());
    }

    void testProtocolBodies() {
        using namespace mc::receiver_otlp;
        CPPUNIT_ASSERT(signalOf("/v1/logs") == Signal::Logs);
        CPPUNIT_ASSERT(signalOf("/v1/traces") == Signal::Traces);
        CPPUNIT_ASSERT(signalOf("/v1/metrics") == Signal::Metrics);
        CPPUNIT_ASSERT(!signalOf("/v1/logs/"));
        CPPUNIT_ASSERT(encodingOf(" Application/X-Protobuf ") == Encoding::Protobuf);
        CPPUNIT_ASSERT(encodingOf("application/json;charset=utf-8") == Encoding::Json);
        CPPUNIT_ASSERT(!encodingOf("application/jsonl"));
        // partial_success{rejected_spans = 2, error_message = "x"} inside field 1.
        CPPUNIT_ASSERT_EQUAL(std::string("\x0a\x05\x08\x02\x12\x01x", 7), exportResponse(Signal::Traces, Encoding::Protobuf, 2, "x"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"partialSuccess":{"rejectedSpans":"2","errorMessage":"x"}})"),
                             exportResponse(Signal::Traces, Encoding::Json, 2, "x"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"partialSuccess":{"rejectedDataPoints":"3","errorMessage":"y"}})"),
                             exportResponse(Signal::Metrics, Encoding::Json, 3, "y"));
        CPPUNIT_ASSERT_EQUAL(std::string(), exportResponse(Signal::Logs, Encoding::Protobuf, 0, ""));
        // google.rpc.Status{code = 3, message = "bad"}.
        CPPUNIT_ASSERT_EQUAL(std::string("\x08\x03\x12\x03" "bad", 7), statusBody(Encoding::Protobuf, 3, "bad"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OtlpReceiverPluginTest);
