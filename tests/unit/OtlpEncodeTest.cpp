// The OTLP trace encoder (libs/otlp, the host's own export): what it writes in either encoding, the
// decoders read back as it was written; its protobuf bytes are the wire form a writer of our own
// (tests/support/ProtoWriter.h) makes; ids are checked; a collector's partial_success is read back.
#include "mc/otlp/Otlp.h"
#include "ProtoWriter.h"

#include <cppunit/extensions/HelperMacros.h>

#include <cmath>
#include <string>

using namespace mc::otlp;
using mc::test::Pb;

namespace {

AnyValue textValue(const std::string& s) {
    AnyValue v;
    v.type = AnyValue::Type::String;
    v.text = s;
    return v;
}

TracesRequest sample() {
    TracesRequest request;
    auto& resource = request.resources.emplace_back();
    resource.resource.emplace_back("service.name", textValue("mission-control"));
    auto& scope = resource.scopes.emplace_back();
    scope.scope.name = "mission-control";
    scope.scope.version = "0.9.0";
    Span root;
    root.traceId = "0123456789abcdef0123456789abcdef";
    root.spanId = "00000000000000a1";
    root.name = "invoke_agent planner";
    root.kind = 1;
    root.startTimeUnixNano = 1764633600123456789ull;
    root.endTimeUnixNano = 1764633601123456789ull;
    root.statusCode = 2;
    root.statusMessage = "the thread ended in error";
    root.flags = 0x100;
    AnyValue integer;
    integer.type = AnyValue::Type::Int;
    integer.integer = -42;
    AnyValue real;
    real.type = AnyValue::Type::Double;
    real.real = 0.25;
    AnyValue yes;
    yes.type = AnyValue::Type::Bool;
    yes.boolean = true;
    AnyValue bytes;
    bytes.type = AnyValue::Type::Bytes;
    bytes.text = std::string("\x00\xff\x10", 3);
    AnyValue list;
    list.type = AnyValue::Type::Array;
    list.array = {textValue("a"), integer};
    AnyValue map;
    map.type = AnyValue::Type::KeyValueList;
    map.kvlist = {{"inner", real}};
    root.attributes = {{"text", textValue("ünïcode \"quoted\"")}, {"int", integer}, {"real", real}, {"bool", yes},
                       {"bytes", bytes}, {"list", list}, {"map", map}, {"empty", AnyValue{}}};
    SpanEvent event;
    event.timeUnixNano = 1764633600523456789ull;
    event.name = "exception";
    event.attributes = {{"exception.message", textValue("boom")}};
    root.events.push_back(event);
    scope.spans.push_back(root);
    Span child;
    child.traceId = root.traceId;
    child.spanId = "00000000000000b2";
    child.parentSpanId = root.spanId;
    child.traceState = "mc=1";
    child.name = "tools/call echo";
    child.kind = 3;
    child.startTimeUnixNano = 1764633600200000000ull;
    child.endTimeUnixNano = 1764633600300000000ull;
    scope.spans.push_back(child);
    return request;
}

void assertSameValue(const AnyValue& expected, const AnyValue& actual, const std::string& where) {
    CPPUNIT_ASSERT_EQUAL_MESSAGE(where, static_cast<int>(expected.type), static_cast<int>(actual.type));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(where, expected.toJson(), actual.toJson());
}

void assertSameRequest(const TracesRequest& expected, const TracesRequest& actual) {
    CPPUNIT_ASSERT_EQUAL(expected.resources.size(), actual.resources.size());
    const auto& er = expected.resources[0];
    const auto& ar = actual.resources[0];
    CPPUNIT_ASSERT_EQUAL(er.resource.size(), ar.resource.size());
    CPPUNIT_ASSERT_EQUAL(std::string("mission-control"), find(ar.resource, "service.name")->text);
    CPPUNIT_ASSERT_EQUAL(er.scopes[0].scope.name, ar.scopes[0].scope.name);
    CPPUNIT_ASSERT_EQUAL(er.scopes[0].scope.version, ar.scopes[0].scope.version);
    CPPUNIT_ASSERT_EQUAL(er.scopes[0].spans.size(), ar.scopes[0].spans.size());
    for (std::size_t i = 0; i < er.scopes[0].spans.size(); ++i) {
        const Span& e = er.scopes[0].spans[i];
        const Span& a = ar.scopes[0].spans[i];
        CPPUNIT_ASSERT_EQUAL(e.traceId, a.traceId);
        CPPUNIT_ASSERT_EQUAL(e.spanId, a.spanId);
        CPPUNIT_ASSERT_EQUAL(e.parentSpanId, a.parentSpanId);
        CPPUNIT_ASSERT_EQUAL(e.traceState, a.traceState);
        CPPUNIT_ASSERT_EQUAL(e.name, a.name);
        CPPUNIT_ASSERT_EQUAL(e.kind, a.kind);
        CPPUNIT_ASSERT_EQUAL(e.startTimeUnixNano, a.startTimeUnixNano);
        CPPUNIT_ASSERT_EQUAL(e.endTimeUnixNano, a.endTimeUnixNano);
        CPPUNIT_ASSERT_EQUAL(e.statusCode, a.statusCode);
        CPPUNIT_ASSERT_EQUAL(e.statusMessage, a.statusMessage);
        CPPUNIT_ASSERT_EQUAL(e.flags, a.flags);
        CPPUNIT_ASSERT_EQUAL(e.attributes.size(), a.attributes.size());
        for (std::size_t k = 0; k < e.attributes.size(); ++k) {
            CPPUNIT_ASSERT_EQUAL(e.attributes[k].first, a.attributes[k].first);
            assertSameValue(e.attributes[k].second, a.attributes[k].second, e.attributes[k].first);
        }
        CPPUNIT_ASSERT_EQUAL(e.events.size(), a.events.size());
        for (std::size_t k = 0; k < e.events.size(); ++k) {
            CPPUNIT_ASSERT_EQUAL(e.events[k].name, a.events[k].name);
            CPPUNIT_ASSERT_EQUAL(e.events[k].timeUnixNano, a.events[k].timeUnixNano);
            CPPUNIT_ASSERT_EQUAL(e.events[k].attributes.size(), a.events[k].attributes.size());
        }
    }
}

} // namespace

class OtlpEncodeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OtlpEncodeTest);
    CPPUNIT_TEST(protobufRoundTripsThroughTheDecoder);
    CPPUNIT_TEST(jsonRoundTripsThroughTheDecoder);
    CPPUNIT_TEST(protobufIsTheWireFormOfTheSpecification);
    CPPUNIT_TEST(jsonWritesOtlpForms);
    CPPUNIT_TEST(malformedIdsAreRefused);
    CPPUNIT_TEST(partialSuccessIsReadFromEitherEncoding);
    CPPUNIT_TEST_SUITE_END();

public:
    void protobufRoundTripsThroughTheDecoder() {
        const auto request = sample();
        assertSameRequest(request, decodeTracesProtobuf(encodeTracesProtobuf(request)));
    }

    void jsonRoundTripsThroughTheDecoder() {
        const auto request = sample();
        assertSameRequest(request, decodeTracesJson(encodeTracesJson(request)));
    }

    // One span with a string attribute, written field by field by the test's own writer.
    void protobufIsTheWireFormOfTheSpecification() {
        TracesRequest request;
        auto& scope = request.resources.emplace_back().scopes.emplace_back();
        scope.scope.name = "s";
        Span span;
        span.traceId = "000102030405060708090a0b0c0d0e0f";
        span.spanId = "1011121314151617";
        span.name = "n";
        span.kind = 3;
        span.startTimeUnixNano = 5;
        span.endTimeUnixNano = 7;
        span.attributes = {{"k", textValue("v")}};
        scope.spans.push_back(span);
        const std::string spanBytes = Pb()
                                          .len(1, mc::test::bytesOf("000102030405060708090a0b0c0d0e0f"))
                                          .len(2, mc::test::bytesOf("1011121314151617"))
                                          .len(5, "n")
                                          .number(6, 3)
                                          .fixed64(7, 5)
                                          .fixed64(8, 7)
                                          .len(9, mc::test::pbKeyValue("k", mc::test::pbString("v")))
                                          .out;
        const std::string expected =
            Pb().len(1, Pb().len(1, "").len(2, Pb().len(1, Pb().len(1, "s").out).len(2, spanBytes).out).out).out;
        CPPUNIT_ASSERT(expected == encodeTracesProtobuf(request));
    }

    void jsonWritesOtlpForms() {
        const std::string json = encodeTracesJson(sample());
        // Ids as hex, 64-bit integers and times as strings, enums as integers, bytes as base64.
        for (const char* part : {R"("traceId":"0123456789abcdef0123456789abcdef")", R"("parentSpanId":"00000000000000a1")",
                                 R"("startTimeUnixNano":"1764633600123456789")", R"("kind":3)", R"({"intValue":"-42"})",
                                 R"({"bytesValue":"AP8Q"})", R"({"doubleValue":0.25})", R"("status":{"code":2,"message":"the thread ended in error"})",
                                 R"({"kvlistValue":{"values":[{"key":"inner","value":{"doubleValue":0.25}}]}})"})
            CPPUNIT_ASSERT_MESSAGE(std::string(part) + " in " + json, json.find(part) != std::string::npos);
    }

    void malformedIdsAreRefused() {
        for (const auto& [trace, span, parent, reason] : std::vector<std::tuple<std::string, std::string, std::string, std::string>>{
                 {"0123", "00000000000000a1", "", "trace id '0123' is not 32 hex digits"},
                 {"0123456789abcdef0123456789abcdef", "zz000000000000a1", "", "'zz000000000000a1' is not hex"},
                 {"0123456789abcdef0123456789abcdef", "00000000000000a1", "abc", "'abc' has an odd number of hex digits"}}) {
            TracesRequest request = sample();
            auto& s = request.resources[0].scopes[0].spans[1];
            s.traceId = trace;
            s.spanId = span;
            s.parentSpanId = parent;
            for (bool json : {false, true}) {
                try {
                    json ? encodeTracesJson(request) : encodeTracesProtobuf(request);
                    CPPUNIT_FAIL("accepted " + trace + "/" + span + "/" + parent);
                } catch (const std::invalid_argument& e) {
                    CPPUNIT_ASSERT_EQUAL(reason, std::string(e.what()));
                }
            }
        }
    }

    void partialSuccessIsReadFromEitherEncoding() {
        auto nothing = decodeTracesResponse("", false);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), nothing.rejected);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), decodeTracesResponse("{}", true).rejected);
        const auto pb = decodeTracesResponse(Pb().len(1, Pb().number(1, 3).len(2, "3 spans had no name").out).out, false);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3), pb.rejected);
        CPPUNIT_ASSERT_EQUAL(std::string("3 spans had no name"), pb.message);
        const auto json = decodeTracesResponse(R"({"partialSuccess":{"rejectedSpans":"2","errorMessage":"too old"}})", true);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(2), json.rejected);
        CPPUNIT_ASSERT_EQUAL(std::string("too old"), json.message);
        try {
            decodeTracesResponse("<html>", true);
            CPPUNIT_FAIL("accepted HTML");
        } catch (const DecodeError& e) {
            CPPUNIT_ASSERT(std::string(e.what()).rfind("ExportTraceServiceResponse: not a JSON object", 0) == 0);
        }
        try {
            decodeTracesResponse("\x0a\x05\x08", false);
            CPPUNIT_FAIL("accepted a truncated response");
        } catch (const DecodeError& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find("ExportTraceServiceResponse") != std::string::npos);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OtlpEncodeTest);
