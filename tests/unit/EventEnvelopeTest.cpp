// The envelope of an event between the hosts of a cluster: what one host encodes, another decodes to
// the same; what is not an envelope, or whose event is not JSON, is refused with the reason.
#include "core/EventEnvelope.h"

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>
#include <string>

using namespace mc::host;

namespace {
const std::string kHead = "{\"type\":\"log\",\"seq\":";
const std::string kTail = ",\"timestamp\":\"2026-12-04T00:00:00.000000Z\",\"source\":\"ingest\",\"channels\":[\"logs:*\"],\"payload\":{\"id\":\"L-1\"}}";

std::string refusal(const std::string& text) {
    try {
        decodeEnvelope(text);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}
} // namespace

class EventEnvelopeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EventEnvelopeTest);
    CPPUNIT_TEST(testRoundTrip);
    CPPUNIT_TEST(testRefusals);
    CPPUNIT_TEST_SUITE_END();

public:
    void testRoundTrip() {
        const std::string text = encodeEnvelope("h-1", {"logs:*", "logs:mcp:\"odd\""}, kHead, kTail);
        CPPUNIT_ASSERT_EQUAL("mce1 h-1\n[\"logs:*\",\"logs:mcp:\\\"odd\\\"\"]\n20\n" + kHead + kTail, text);
        const auto e = decodeEnvelope(text);
        CPPUNIT_ASSERT_EQUAL(std::string("h-1"), e.origin);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), e.channels.size());
        CPPUNIT_ASSERT_EQUAL(std::string("logs:mcp:\"odd\""), e.channels[1]);
        CPPUNIT_ASSERT_EQUAL(kHead, e.head);
        CPPUNIT_ASSERT_EQUAL(kTail, e.tail);
        CPPUNIT_ASSERT(decodeEnvelope(encodeEnvelope("h", {}, kHead, kTail)).channels.empty());
    }

    void testRefusals() {
        CPPUNIT_ASSERT_EQUAL(std::string("event envelope: no header line"), refusal("mce1 h"));
        CPPUNIT_ASSERT_EQUAL(std::string("event envelope: it does not start with 'mce1 ' (another version, or not an event)"),
                             refusal("mce2 h\n[]\n20\n" + kHead + kTail));
        CPPUNIT_ASSERT_EQUAL(std::string("event envelope: no origin host"), refusal("mce1 \n[]\n20\n" + kHead + kTail));
        CPPUNIT_ASSERT(refusal("mce1 h\n[1]\n20\n" + kHead + kTail).find("expected non-empty strings") != std::string::npos);
        CPPUNIT_ASSERT(refusal("mce1 h\n[\n20\n" + kHead + kTail).find("event envelope: channels: ") == 0);
        CPPUNIT_ASSERT_EQUAL(std::string("event envelope: the head length is not a number"), refusal("mce1 h\n[]\nx\n" + kHead + kTail));
        CPPUNIT_ASSERT_EQUAL(std::string("event envelope: the head is longer than what follows"), refusal("mce1 h\n[]\n999\n{}"));
        CPPUNIT_ASSERT_EQUAL(std::string("event envelope: the head is not {\"type\":…,\"seq\":"),
                             refusal("mce1 h\n[]\n10\n" + kHead + kTail));
        CPPUNIT_ASSERT_EQUAL(std::string("event envelope: the tail is not ,\"timestamp\":…}"),
                             refusal("mce1 h\n[]\n20\n" + kHead + ",\"x\":1}"));
        CPPUNIT_ASSERT(refusal("mce1 h\n[]\n20\n" + kHead + ",\"timestamp\":\"t\",\"payload\":{\"a\":}}").find(
                           "event envelope: the event is not JSON: ") == 0);
        std::string many = "[";
        for (int i = 0; i < 65; ++i) many += std::string(i ? "," : "") + "\"c" + std::to_string(i) + "\"";
        CPPUNIT_ASSERT_EQUAL(std::string("event envelope: more than 64 channels"), refusal("mce1 h\n" + many + "]\n20\n" + kHead + kTail));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventEnvelopeTest);
