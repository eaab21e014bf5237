// The OTLP request decoders (libs/otlp) on both encodings: the same request written as protobuf
// (by a small wire writer here, field numbers from opentelemetry-proto) and as OTLP/JSON decodes to
// the same model; what they refuse, they refuse naming where.
#include "mc/otlp/Otlp.h"
#include "ProtoWriter.h"

#include <cppunit/extensions/HelperMacros.h>

#include <cstdint>
#include <cstring>
#include <string>

using namespace mc::otlp;
using mc::test::bytesOf;
using mc::test::Pb;

namespace {

constexpr auto kv = &mc::test::pbKeyValue;
constexpr auto str = &mc::test::pbString;

// A Claude Code api_request event, as its exporter sends it (the event name in the body and the
// event.name attribute, numbers in attributes as strings).
std::string logsProtobuf() {
    const std::string resource = Pb().len(1, kv("service.name", str("claude-code"))).len(1, kv("service.version", str("2.1.220"))).out;
    const std::string scope = Pb().len(1, "com.anthropic.claude_code.events").len(2, "2.1.220").out;
    const std::string nested = Pb().len(6, Pb().len(1, kv("inner", Pb().number(3, static_cast<std::uint64_t>(-5)).out)).out).out;
    const std::string record = Pb()
                                   .fixed64(1, 1764633600123456789ull)
                                   .fixed64(11, 1764633600223456789ull)
                                   .number(2, 9)
                                   .len(3, "INFO")
                                   .len(5, str("claude_code.api_request"))
                                   .len(6, kv("event.name", str("api_request")))
                                   .len(6, kv("session.id", str("0b5c8e1a-2d7f-4c1e-9a35-6f0e2b7d4c91")))
                                   .len(6, kv("input_tokens", str("1234")))
                                   .len(6, kv("cost_usd", Pb().real(4, 0.0125).out))
                                   .len(6, kv("success", Pb().number(2, 1).out))
                                   .len(6, kv("tags", Pb().len(5, Pb().len(1, str("a")).len(1, str("b")).out).out))
                                   .len(6, kv("nested", nested))
                                   .len(6, kv("raw", Pb().len(7, std::string("\x00\xff", 2)).out))
                                   .fixed32(8, 1)
                                   .len(9, bytesOf("5b8efff798038103d269b633813fc60c"))
                                   .len(10, bytesOf("eee19b7ec3c1b174"))
                                   .len(12, "claude_code.api_request")
                                   .number(99, 7) // unknown: skipped
                                   .out;
    const std::string scopeLogs = Pb().len(1, scope).len(2, record).out;
    const std::string resourceLogs = Pb().len(1, resource).len(2, scopeLogs).out;
    return Pb().len(1, resourceLogs).out;
}

const char* kLogsJson = R"({"resourceLogs":[{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"claude-code"}},{"key":"service.version","value":{"stringValue":"2.1.220"}}]},
  "scopeLogs":[{"scope":{"name":"com.anthropic.claude_code.events","version":"2.1.220"},"logRecords":[{
    "timeUnixNano":"1764633600123456789","observedTimeUnixNano":1764633600223456789,"severityNumber":9,"severityText":"INFO",
    "body":{"stringValue":"claude_code.api_request"},
    "attributes":[{"key":"event.name","value":{"stringValue":"api_request"}},
      {"key":"session.id","value":{"stringValue":"0b5c8e1a-2d7f-4c1e-9a35-6f0e2b7d4c91"}},
      {"key":"input_tokens","value":{"stringValue":"1234"}},{"key":"cost_usd","value":{"doubleValue":0.0125}},
      {"key":"success","value":{"boolValue":true}},
      {"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":"b"}]}}},
      {"key":"nested","value":{"kvlistValue":{"values":[{"key":"inner","value":{"intValue":"-5"}}]}}},
      {"key":"raw","value":{"bytesValue":"AP8="}}],
    "flags":1,"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174",
    "eventName":"claude_code.api_request","somethingNew":{"ignored":true}}]}]}]})";

void checkLogs(const LogsRequest& request) {
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), request.resources.size());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), request.recordCount());
    const auto& resource = request.resources[0];
    CPPUNIT_ASSERT_EQUAL(std::string("claude-code"), find(resource.resource, "service.name")->text);
    CPPUNIT_ASSERT_EQUAL(std::string("com.anthropic.claude_code.events"), resource.scopes[0].scope.name);
    CPPUNIT_ASSERT_EQUAL(std::string("2.1.220"), resource.scopes[0].scope.version);
    const LogRecord& log = resource.scopes[0].records[0];
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1764633600123456789ull), log.timeUnixNano);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1764633600223456789ull), log.observedTimeUnixNano);
    CPPUNIT_ASSERT_EQUAL(9, log.severityNumber);
    CPPUNIT_ASSERT_EQUAL(std::string("INFO"), log.severityText);
    CPPUNIT_ASSERT_EQUAL(std::string("claude_code.api_request"), log.body.toText());
    CPPUNIT_ASSERT_EQUAL(std::string("claude_code.api_request"), log.eventName);
    CPPUNIT_ASSERT_EQUAL(std::uint32_t(1), log.flags);
    CPPUNIT_ASSERT_EQUAL(std::string("5b8efff798038103d269b633813fc60c"), log.traceId);
    CPPUNIT_ASSERT_EQUAL(std::string("eee19b7ec3c1b174"), log.spanId);
    CPPUNIT_ASSERT_EQUAL(std::size_t(8), log.attributes.size());
    CPPUNIT_ASSERT_EQUAL(std::string("api_request"), find(log.attributes, "event.name")->toText());
    CPPUNIT_ASSERT_EQUAL(std::string("1234"), find(log.attributes, "input_tokens")->toText());
    CPPUNIT_ASSERT_EQUAL(std::string("0.012500000000000001"), find(log.attributes, "cost_usd")->toText());
    CPPUNIT_ASSERT_EQUAL(std::string("true"), find(log.attributes, "success")->toText());
    CPPUNIT_ASSERT_EQUAL(std::string(R"(["a","b"])"), find(log.attributes, "tags")->toText());
    CPPUNIT_ASSERT_EQUAL(std::string(R"({"inner":-5})"), find(log.attributes, "nested")->toText());
    CPPUNIT_ASSERT_EQUAL(std::string("AP8="), find(log.attributes, "raw")->toText());
    CPPUNIT_ASSERT_EQUAL(std::string(2, '\0').size(), find(log.attributes, "raw")->text.size());
    CPPUNIT_ASSERT(find(log.attributes, "absent") == nullptr);
}

std::string tracesProtobuf() {
    const std::string event = Pb().fixed64(1, 1764633600500000000ull).len(2, "exception").len(3, kv("exception.message", str("boom"))).out;
    const std::string status = Pb().len(2, "tool failed").number(3, 2).out;
    const std::string span = Pb()
                                 .len(1, bytesOf("5b8efff798038103d269b633813fc60c"))
                                 .len(2, bytesOf("051581bf3cb55c13"))
                                 .len(4, bytesOf("eee19b7ec3c1b174"))
                                 .len(5, "tools/call get-weather")
                                 .number(6, 3)
                                 .fixed64(7, 1764633600000000000ull)
                                 .fixed64(8, 1764633600750000000ull)
                                 .len(9, kv("mcp.method.name", str("tools/call")))
                                 .len(9, kv("gen_ai.tool.name", str("get-weather")))
                                 .len(11, event)
                                 .len(15, status)
                                 .out;
    const std::string scopeSpans = Pb().len(1, Pb().len(1, "mcp-client").out).len(2, span).out;
    const std::string resourceSpans = Pb().len(1, Pb().len(1, kv("service.name", str("agent"))).out).len(2, scopeSpans).out;
    return Pb().len(1, resourceSpans).out;
}

const char* kTracesJson = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"agent"}}]},
  "scopeSpans":[{"scope":{"name":"mcp-client"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"051581bf3cb55c13",
    "parentSpanId":"eee19b7ec3c1b174","name":"tools/call get-weather","kind":3,
    "startTimeUnixNano":"1764633600000000000","endTimeUnixNano":"1764633600750000000",
    "attributes":[{"key":"mcp.method.name","value":{"stringValue":"tools/call"}},{"key":"gen_ai.tool.name","value":{"stringValue":"get-weather"}}],
    "events":[{"timeUnixNano":"1764633600500000000","name":"exception","attributes":[{"key":"exception.message","value":{"stringValue":"boom"}}]}],
    "status":{"code":2,"message":"tool failed"}}]}]}]})";

void checkTraces(const TracesRequest& request) {
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), request.spanCount());
    const Span& span = request.resources[0].scopes[0].spans[0];
    CPPUNIT_ASSERT_EQUAL(std::string("agent"), find(request.resources[0].resource, "service.name")->text);
    CPPUNIT_ASSERT_EQUAL(std::string("mcp-client"), request.resources[0].scopes[0].scope.name);
    CPPUNIT_ASSERT_EQUAL(std::string("5b8efff798038103d269b633813fc60c"), span.traceId);
    CPPUNIT_ASSERT_EQUAL(std::string("051581bf3cb55c13"), span.spanId);
    CPPUNIT_ASSERT_EQUAL(std::string("eee19b7ec3c1b174"), span.parentSpanId);
    CPPUNIT_ASSERT_EQUAL(std::string("tools/call get-weather"), span.name);
    CPPUNIT_ASSERT_EQUAL(3, span.kind);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(750000000), span.endTimeUnixNano - span.startTimeUnixNano);
    CPPUNIT_ASSERT_EQUAL(std::string("get-weather"), find(span.attributes, "gen_ai.tool.name")->text);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), span.events.size());
    CPPUNIT_ASSERT_EQUAL(std::string("exception"), span.events[0].name);
    CPPUNIT_ASSERT_EQUAL(std::string("boom"), find(span.events[0].attributes, "exception.message")->text);
    CPPUNIT_ASSERT_EQUAL(2, span.statusCode);
    CPPUNIT_ASSERT_EQUAL(std::string("tool failed"), span.statusMessage);
}

template <class F>
std::string errorOf(F decode) {
    try {
        decode();
    } catch (const DecodeError& e) {
        return e.what();
    }
    return "(accepted)";
}

} // namespace

// A request of each metric shape: Claude Code's token counter (a monotonic delta sum, as_double,
// session.id on the point), a gauge (as_int), a cumulative histogram (packed buckets, min/max), an
// exponential histogram and a summary (count and sum only).
std::string metricsProtobuf() {
    const std::string tokens =
        Pb().len(1, "claude_code.token.usage").len(3, "tokens")
            .len(7, Pb().len(1, Pb().fixed64(2, 1764633600000000000ull).fixed64(3, 1764633660000000000ull).real(4, 1234.0)
                                    .len(7, kv("session.id", str("s-1"))).len(7, kv("type", str("input"))).out)
                       .number(2, 1).number(3, 1).out).out;
    const std::string gauge =
        Pb().len(1, "queue.depth").len(5, Pb().len(1, Pb().fixed64(3, 1764633660000000000ull).fixed64(6, static_cast<std::uint64_t>(-7)).out).out).out;
    std::string counts, bounds;
    for (std::uint64_t c : {1ull, 2ull, 3ull}) counts += Pb().fixed64(1, c).out.substr(1);
    for (double b : {0.5, 2.5}) bounds += Pb().real(1, b).out.substr(1);
    const std::string histogram =
        Pb().len(1, "gen_ai.client.operation.duration").len(3, "s")
            .len(9, Pb().len(1, Pb().len(9, kv("gen_ai.request.model", str("m"))).fixed64(2, 1764633600000000000ull)
                                    .fixed64(3, 1764633660000000000ull).fixed64(4, 6).real(5, 9.5).len(6, counts).len(7, bounds)
                                    .real(11, 0.25).real(12, 4.0).out)
                       .number(2, 2).out).out;
    const std::string exponential =
        Pb().len(1, "latency").len(10, Pb().len(1, Pb().len(1, kv("k", str("v"))).fixed64(3, 1764633660000000000ull).fixed64(4, 3)
                                                    .real(5, 1.5).number(6, 2).real(12, 0.1).real(13, 1.0).out).number(2, 1).out).out;
    const std::string summary =
        Pb().len(1, "rpc").len(11, Pb().len(1, Pb().fixed64(3, 1764633660000000000ull).fixed64(4, 10).real(5, 20.0)
                                                .len(6, Pb().real(1, 0.5).real(2, 1.5).out).len(7, kv("q", str("1"))).out).out).out;
    const std::string scope = Pb().len(1, Pb().len(1, "com.anthropic.claude_code").out)
                                  .len(2, tokens).len(2, gauge).len(2, histogram).len(2, exponential).len(2, summary).out;
    return Pb().len(1, Pb().len(1, Pb().len(1, kv("service.name", str("claude-code"))).out).len(2, scope).out).out;
}

const char* kMetricsJson = R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"claude-code"}}]},
 "scopeMetrics":[{"scope":{"name":"com.anthropic.claude_code"},"metrics":[
  {"name":"claude_code.token.usage","unit":"tokens","sum":{"dataPoints":[{"startTimeUnixNano":"1764633600000000000",
    "timeUnixNano":"1764633660000000000","asDouble":1234,"attributes":[{"key":"session.id","value":{"stringValue":"s-1"}},
    {"key":"type","value":{"stringValue":"input"}}]}],"aggregationTemporality":1,"isMonotonic":true}},
  {"name":"queue.depth","gauge":{"dataPoints":[{"timeUnixNano":1764633660000000000,"asInt":"-7"}]}},
  {"name":"gen_ai.client.operation.duration","unit":"s","histogram":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE",
    "dataPoints":[{"attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"m"}}],"startTimeUnixNano":"1764633600000000000",
    "timeUnixNano":"1764633660000000000","count":"6","sum":9.5,"bucketCounts":["1",2,"3"],"explicitBounds":[0.5,2.5],"min":0.25,"max":4}]}},
  {"name":"latency","exponentialHistogram":{"aggregationTemporality":1,"dataPoints":[{"attributes":[{"key":"k","value":{"stringValue":"v"}}],
    "timeUnixNano":"1764633660000000000","count":"3","sum":1.5,"scale":2,"min":0.1,"max":1}]}},
  {"name":"rpc","summary":{"dataPoints":[{"timeUnixNano":"1764633660000000000","count":"10","sum":20,
    "quantileValues":[{"quantile":0.5,"value":1.5}],"attributes":[{"key":"q","value":{"stringValue":"1"}}]}]}}]}]}]})";

void checkMetrics(const MetricsRequest& request) {
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), request.resources.size());
    CPPUNIT_ASSERT_EQUAL(std::size_t(5), request.pointCount());
    const auto& scope = request.resources[0].scopes.at(0);
    CPPUNIT_ASSERT_EQUAL(std::string("com.anthropic.claude_code"), scope.scope.name);
    const auto& metrics = scope.metrics;
    CPPUNIT_ASSERT_EQUAL(std::size_t(5), metrics.size());

    const auto& tokens = metrics[0];
    CPPUNIT_ASSERT_EQUAL(std::string("claude_code.token.usage"), tokens.name);
    CPPUNIT_ASSERT_EQUAL(std::string("tokens"), tokens.unit);
    CPPUNIT_ASSERT(tokens.type == Metric::Type::Sum);
    CPPUNIT_ASSERT(tokens.temporality == Metric::Temporality::Delta);
    CPPUNIT_ASSERT(tokens.monotonic);
    CPPUNIT_ASSERT_EQUAL(1234.0, tokens.points.at(0).value);
    CPPUNIT_ASSERT(!tokens.points[0].isInt);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1764633600000000000ull), tokens.points[0].startTimeUnixNano);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1764633660000000000ull), tokens.points[0].timeUnixNano);
    CPPUNIT_ASSERT_EQUAL(std::string("s-1"), find(tokens.points[0].attributes, "session.id")->text);

    const auto& gauge = metrics[1];
    CPPUNIT_ASSERT(gauge.type == Metric::Type::Gauge);
    CPPUNIT_ASSERT(gauge.temporality == Metric::Temporality::Unspecified);
    CPPUNIT_ASSERT_EQUAL(-7.0, gauge.points.at(0).value);
    CPPUNIT_ASSERT(gauge.points[0].isInt);

    const auto& histogram = metrics[2].points.at(0);
    CPPUNIT_ASSERT(metrics[2].type == Metric::Type::Histogram);
    CPPUNIT_ASSERT(metrics[2].temporality == Metric::Temporality::Cumulative);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(6), histogram.count);
    CPPUNIT_ASSERT(histogram.hasSum && histogram.hasMin && histogram.hasMax);
    CPPUNIT_ASSERT_EQUAL(9.5, histogram.sum);
    CPPUNIT_ASSERT_EQUAL(0.25, histogram.min);
    CPPUNIT_ASSERT_EQUAL(4.0, histogram.max);
    CPPUNIT_ASSERT(histogram.bucketCounts == std::vector<std::uint64_t>({1, 2, 3}));
    CPPUNIT_ASSERT(histogram.explicitBounds == std::vector<double>({0.5, 2.5}));
    CPPUNIT_ASSERT_EQUAL(std::string("m"), find(histogram.attributes, "gen_ai.request.model")->text);

    const auto& exponential = metrics[3].points.at(0);
    CPPUNIT_ASSERT(metrics[3].type == Metric::Type::ExponentialHistogram);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), exponential.count);
    CPPUNIT_ASSERT_EQUAL(1.5, exponential.sum);
    CPPUNIT_ASSERT_EQUAL(0.1, exponential.min);
    CPPUNIT_ASSERT_EQUAL(1.0, exponential.max);
    CPPUNIT_ASSERT(exponential.bucketCounts.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("v"), find(exponential.attributes, "k")->text);

    const auto& summary = metrics[4].points.at(0);
    CPPUNIT_ASSERT(metrics[4].type == Metric::Type::Summary);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(10), summary.count);
    CPPUNIT_ASSERT_EQUAL(20.0, summary.sum);
    CPPUNIT_ASSERT(!summary.hasMin);
    CPPUNIT_ASSERT_EQUAL(std::string("1"), find(summary.attributes, "q")->text);
}

class OtlpDecodeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OtlpDecodeTest);
    CPPUNIT_TEST(logsDecodeTheSameFromProtobufAndJson);
    CPPUNIT_TEST(tracesDecodeTheSameFromProtobufAndJson);
    CPPUNIT_TEST(metricsDecodeTheSameFromProtobufAndJson);
    CPPUNIT_TEST(malformedMetricsAreRefusedNamingWhere);
    CPPUNIT_TEST(emptyRequestsAreValid);
    CPPUNIT_TEST(malformedProtobufIsRefusedNamingWhere);
    CPPUNIT_TEST(malformedJsonIsRefusedNamingWhere);
    CPPUNIT_TEST(valuesNestAtMost32Levels);
    CPPUNIT_TEST(valuesAreValidJsonWhateverTheirBytes);
    CPPUNIT_TEST_SUITE_END();

public:
    void logsDecodeTheSameFromProtobufAndJson() {
        checkLogs(decodeLogsProtobuf(logsProtobuf()));
        checkLogs(decodeLogsJson(kLogsJson));
    }

    void tracesDecodeTheSameFromProtobufAndJson() {
        checkTraces(decodeTracesProtobuf(tracesProtobuf()));
        checkTraces(decodeTracesJson(kTracesJson));
    }

    void metricsDecodeTheSameFromProtobufAndJson() {
        checkMetrics(decodeMetricsProtobuf(metricsProtobuf()));
        checkMetrics(decodeMetricsJson(kMetricsJson));
    }

    void malformedMetricsAreRefusedNamingWhere() {
        const auto refused = [](auto decode, const std::string& body) -> std::string {
            try {
                decode(body);
            } catch (const DecodeError& e) {
                return e.what();
            }
            return "accepted";
        };
        // Three bucket counts need two bounds.
        const std::string point = Pb().fixed64(4, 3).len(6, Pb().fixed64(1, 1).out.substr(1) + Pb().fixed64(1, 2).out.substr(1)).out;
        const std::string histogram = Pb().len(1, "h").len(9, Pb().len(1, point).out).out;
        const std::string request = Pb().len(1, Pb().len(2, Pb().len(2, histogram).out).out).out;
        CPPUNIT_ASSERT_EQUAL(std::string("resource_metrics[0].scope_metrics[0].metrics[0].data_points[0]: a histogram point has 2 bucket "
                                         "counts for 0 bounds (expected one more count than bounds) (at byte 9 of 27)"),
                             refused(decodeMetricsProtobuf, request));
        // A packed list that is not whole 8-byte elements.
        const std::string ragged = Pb().len(1, Pb().len(2, Pb().len(2, Pb().len(1, "h").len(9, Pb().len(1, Pb().len(6, "abc").out).out).out).out).out).out;
        CPPUNIT_ASSERT(refused(decodeMetricsProtobuf, ragged).find("bucket_counts is 3 bytes, not a multiple of 8") != std::string::npos);
        const std::string nameless = Pb().len(1, Pb().len(2, Pb().len(2, Pb().len(3, "1").out).out).out).out;
        CPPUNIT_ASSERT(refused(decodeMetricsProtobuf, nameless).find("metrics[0]: a metric needs a name") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("ExportMetricsServiceRequest.resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].asDouble: "
                                         "'lots' is not a number"),
                             refused(decodeMetricsJson, R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","sum":{"dataPoints":[{"asDouble":"lots"}]}}]}]}]})"));
        CPPUNIT_ASSERT_EQUAL(std::string("ExportMetricsServiceRequest.resourceMetrics[0].scopeMetrics[0].metrics[0]: a metric needs a name"),
                             refused(decodeMetricsJson, R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{}}]}]}]})"));
        CPPUNIT_ASSERT_EQUAL(std::string("ExportMetricsServiceRequest.resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0]: "
                                         "a histogram point has 1 bucket counts for 1 bounds (expected one more count than bounds)"),
                             refused(decodeMetricsJson, R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"h","histogram":{"dataPoints":[{"bucketCounts":[1],"explicitBounds":[1]}]}}]}]}]})"));
    }

    void emptyRequestsAreValid() {
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), decodeLogsProtobuf("").recordCount());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), decodeLogsJson("{}").recordCount());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), decodeTracesJson(R"({"resourceSpans":[]})").spanCount());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), decodeMetricsProtobuf("").pointCount());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), decodeMetricsJson(R"({"resourceMetrics":[]})").pointCount());
    }

    void malformedProtobufIsRefusedNamingWhere() {
        const std::string good = logsProtobuf();
        CPPUNIT_ASSERT_EQUAL(std::string("ExportLogsServiceRequest: a field of " + std::to_string(good.size() - 3) +
                                         " bytes runs past the end (at byte 0 of " + std::to_string(good.size() - 1) + ")"),
                             errorOf([&] { decodeLogsProtobuf(good.substr(0, good.size() - 1)); }));
        const std::string shortId = Pb().len(1, Pb().len(2, Pb().len(2, Pb().len(9, "abc").out).out).out).out;
        CPPUNIT_ASSERT_EQUAL(std::string("resource_logs[0].scope_logs[0].log_records[0]: trace_id is 3 bytes, expected 16 or none (at byte 0 of 5)"),
                             errorOf([&] { decodeLogsProtobuf(shortId); }));
        const std::string wrongWire = Pb().len(1, Pb().len(2, Pb().len(2, Pb().len(2, "x").out).out).out).out;
        CPPUNIT_ASSERT_EQUAL(std::string("resource_logs[0].scope_logs[0].log_records[0]: field 2 (varint) has wire type 2, expected 0 (at byte 0 of 3)"),
                             errorOf([&] { decodeLogsProtobuf(wrongWire); }));
        CPPUNIT_ASSERT_EQUAL(std::string("ExportLogsServiceRequest: wire type 3 of field 1 is not supported (groups are not used by OTLP) (at byte 0 of 1)"),
                             errorOf([&] { decodeLogsProtobuf(std::string(1, '\x0b')); }));
        CPPUNIT_ASSERT_EQUAL(std::string("ExportLogsServiceRequest: a varint longer than 10 bytes (at byte 0 of 11)"),
                             errorOf([&] { decodeLogsProtobuf(std::string(11, '\xff')); }));
        const std::string spanWithoutId = Pb().len(1, Pb().len(2, Pb().len(2, Pb().len(5, "x").out).out).out).out;
        CPPUNIT_ASSERT_EQUAL(std::string("resource_spans[0].scope_spans[0].spans[0]: a span needs a trace_id and a span_id (at byte 0 of 3)"),
                             errorOf([&] { decodeTracesProtobuf(spanWithoutId); }));
    }

    void malformedJsonIsRefusedNamingWhere() {
        CPPUNIT_ASSERT(errorOf([] { decodeLogsJson("{"); }).rfind("ExportLogsServiceRequest: not valid JSON: ", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(std::string("ExportLogsServiceRequest.resourceLogs: expected an array"),
                             errorOf([] { decodeLogsJson(R"({"resourceLogs":{}})"); }));
        CPPUNIT_ASSERT_EQUAL(std::string("ExportLogsServiceRequest.resourceLogs[0].scopeLogs[0].logRecords[0].traceId: expected 32 hex digits, got 3 characters"),
                             errorOf([] { decodeLogsJson(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"abc"}]}]}]})"); }));
        CPPUNIT_ASSERT_EQUAL(std::string("ExportLogsServiceRequest.resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano: '12x' is not an integer of this field's range"),
                             errorOf([] { decodeLogsJson(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"12x"}]}]}]})"); }));
        CPPUNIT_ASSERT_EQUAL(std::string("ExportLogsServiceRequest.resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber: integer out of range"),
                             errorOf([] { decodeLogsJson(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":4294967296}]}]}]})"); }));
        CPPUNIT_ASSERT_EQUAL(std::string("ExportLogsServiceRequest.resourceLogs[0].scopeLogs[0].logRecords[0].spanId: 'eee19b7ec3c1b17g' is not hex"),
                             errorOf([] { decodeLogsJson(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"spanId":"eee19b7ec3c1b17g"}]}]}]})"); }));
        // snake_case names are read too (proto3 JSON parsers accept both).
        const auto snake = decodeLogsJson(R"({"resource_logs":[{"scope_logs":[{"log_records":[{"severity_text":"WARN","event_name":"x"}]}]}]})");
        CPPUNIT_ASSERT_EQUAL(std::string("WARN"), snake.resources[0].scopes[0].records[0].severityText);
    }

    void valuesNestAtMost32Levels() {
        std::string value = Pb().len(1, "leaf").out; // AnyValue{string}
        for (int i = 0; i < 33; ++i) value = Pb().len(5, Pb().len(1, value).out).out; // array of it
        const std::string request = Pb().len(1, Pb().len(2, Pb().len(2, Pb().len(5, value).out).out).out).out;
        CPPUNIT_ASSERT(errorOf([&] { decodeLogsProtobuf(request); }).find("values nest deeper than 32 levels") != std::string::npos);
        std::string json = R"({"stringValue":"leaf"})";
        for (int i = 0; i < 33; ++i) json = R"({"arrayValue":{"values":[)" + json + "]}}";
        CPPUNIT_ASSERT(errorOf([&] { decodeLogsJson(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":)" + json + "}]}]}]}"); })
                           .find("values nest deeper than 32 levels") != std::string::npos);
    }

    // Found by fuzz/otlp_receiver: a protobuf string that is not UTF-8 made JSON no reader accepts, so
    // the receiver's log record (its context) was refused. Other bytes become U+FFFD.
    void valuesAreValidJsonWhateverTheirBytes() {
        AnyValue v;
        v.type = AnyValue::Type::String;
        v.text = std::string("caf\xe9 \"ok\"\n", 10);
        CPPUNIT_ASSERT_EQUAL(std::string("\"caf\xef\xbf\xbd \\\"ok\\\"\\n\""), v.toJson());
        AnyValue list;
        list.type = AnyValue::Type::KeyValueList;
        list.kvlist.emplace_back(std::string("k\xff", 2), v);
        CPPUNIT_ASSERT_EQUAL(std::string("{\"k\xef\xbf\xbd\":\"caf\xef\xbf\xbd \\\"ok\\\"\\n\"}"), list.toJson());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OtlpDecodeTest);
