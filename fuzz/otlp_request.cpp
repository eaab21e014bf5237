// OTLP/HTTP request bodies (libs/otlp): what any OpenTelemetry exporter sends to the receiver. The
// first byte chooses the request and its encoding (bits 0-2: 0/1 logs, 2/3 traces, 4-7 metrics;
// even protobuf, odd JSON), the rest is the body.
//
// Also: a trace request that decodes is encoded again in both encodings (the host's own export) and
// reads back the same spans; the body read as a collector's ExportTraceServiceResponse.
//
// Checked: no crash/UB/leak/hang; a refusal is DecodeError only; what decodes has well-formed ids
// (lower-case hex of 32 or 16 digits, or none), counts that add up, and values whose text and JSON
// forms can be made, the JSON parseable (the receiver stores both).
#include "FuzzSupport.h"

#include "mc/otlp/Otlp.h"

#include <Poco/JSON/Parser.h>

#include <string>
#include <string_view>

using namespace mc::otlp;

namespace {

void checkId(const std::string& id, std::size_t digits, const char* what) {
    MC_FUZZ_CHECK(id.empty() || id.size() == digits, std::string(what) + " of " + std::to_string(id.size()) + " digits");
    for (char c : id) MC_FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'), std::string(what) + " is not lower-case hex");
}

void checkValue(const AnyValue& v) {
    (void)v.toText();
    const std::string json = v.toJson();
    MC_FUZZ_CHECK(!json.empty(), "a value without JSON");
    // Stored as JSON and read back (a log's context, a step's details): it must parse.
    try {
        Poco::JSON::Parser().parse("[" + json + "]"); // Poco reads no bare scalar at the top
    } catch (const Poco::Exception& e) {
        MC_FUZZ_CHECK(false, "a value's JSON does not parse: " + e.displayText());
    }
    for (const auto& item : v.array) checkValue(item);
    for (const auto& [key, value] : v.kvlist) checkValue(value);
}

void checkAttributes(const KeyValues& attributes) {
    for (const auto& [key, value] : attributes) checkValue(value);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const int kind = data[0] & 7;
    const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
    try {
        if (kind < 2) {
            const LogsRequest request = kind == 0 ? decodeLogsProtobuf(body) : decodeLogsJson(body);
            std::size_t counted = 0;
            for (const auto& r : request.resources) {
                checkAttributes(r.resource);
                for (const auto& s : r.scopes) {
                    checkAttributes(s.scope.attributes);
                    for (const auto& log : s.records) {
                        ++counted;
                        checkId(log.traceId, 32, "trace_id");
                        checkId(log.spanId, 16, "span_id");
                        checkValue(log.body);
                        checkAttributes(log.attributes);
                    }
                }
            }
            MC_FUZZ_CHECK(counted == request.recordCount(), "recordCount() differs from the records");
        } else if (kind >= 4) {
            const MetricsRequest request = kind % 2 == 0 ? decodeMetricsProtobuf(body) : decodeMetricsJson(body);
            std::size_t counted = 0;
            for (const auto& r : request.resources) {
                checkAttributes(r.resource);
                for (const auto& s : r.scopes)
                    for (const auto& metric : s.metrics) {
                        MC_FUZZ_CHECK(!metric.name.empty(), "a metric without a name");
                        for (const auto& point : metric.points) {
                            ++counted;
                            MC_FUZZ_CHECK(point.bucketCounts.empty() || point.bucketCounts.size() == point.explicitBounds.size() + 1,
                                          "bucket counts that do not match the bounds");
                            checkAttributes(point.attributes);
                        }
                    }
            }
            MC_FUZZ_CHECK(counted == request.pointCount(), "pointCount() differs from the points");
        } else {
            const TracesRequest request = kind == 2 ? decodeTracesProtobuf(body) : decodeTracesJson(body);
            std::size_t counted = 0;
            for (const auto& r : request.resources) {
                checkAttributes(r.resource);
                for (const auto& s : r.scopes)
                    for (const auto& span : s.spans) {
                        ++counted;
                        MC_FUZZ_CHECK(span.traceId.size() == 32 && span.spanId.size() == 16, "a span without its ids");
                        checkId(span.traceId, 32, "trace_id");
                        checkId(span.spanId, 16, "span_id");
                        checkId(span.parentSpanId, 16, "parent_span_id");
                        checkAttributes(span.attributes);
                        for (const auto& e : span.events) checkAttributes(e.attributes);
                    }
            }
            MC_FUZZ_CHECK(counted == request.spanCount(), "spanCount() differs from the spans");
            // What decodes, the host's own encoder writes back (its export): both encodings read back the
            // same spans with the same ids (texts may differ: JSON makes invalid UTF-8 valid).
            for (bool json : {false, true}) {
                const TracesRequest again = json ? decodeTracesJson(encodeTracesJson(request)) : decodeTracesProtobuf(encodeTracesProtobuf(request));
                MC_FUZZ_CHECK(again.spanCount() == request.spanCount(), "a re-encoded request has another span count");
                std::size_t i = 0;
                for (const auto& r : again.resources)
                    for (const auto& sc : r.scopes)
                        for (const auto& span : sc.spans) {
                            const Span* original = nullptr;
                            std::size_t j = 0;
                            for (const auto& r0 : request.resources)
                                for (const auto& s0 : r0.scopes)
                                    for (const auto& sp0 : s0.spans)
                                        if (j++ == i) original = &sp0;
                            ++i;
                            MC_FUZZ_CHECK(original && original->spanId == span.spanId && original->parentSpanId == span.parentSpanId &&
                                              original->traceId == span.traceId && original->kind == span.kind &&
                                              original->startTimeUnixNano == span.startTimeUnixNano,
                                          "a re-encoded span differs");
                        }
            }
        }
    } catch (const DecodeError&) {
        // refused whole, with the reason: what the receiver answers 400 with
    }
    // The same bytes as a collector's reply to the host's export (ExportTraceServiceResponse).
    if (kind == 2 || kind == 3) {
        try {
            (void)decodeTracesResponse(body, kind == 3);
        } catch (const DecodeError&) {
            // logged by the exporter, the batch counted as sent
        }
    }
    return 0;
}
