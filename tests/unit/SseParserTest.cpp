// The incremental text/event-stream parser of mcp-http, fed the way a network delivers bytes.
#include "mc/sse/SseParser.h"

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>
#include <string>
#include <vector>

using mc::sse::SseEvent;
using mc::sse::SseParser;

namespace {

struct Collected {
    std::vector<SseEvent> events;
    SseParser parser{[this](const SseEvent& e) { events.push_back(e); }};
};

std::vector<SseEvent> parseWhole(const std::string& stream) {
    Collected c;
    c.parser.feed(stream);
    return c.events;
}

std::string describe(const std::vector<SseEvent>& events) {
    std::string out;
    for (const auto& e : events) out += "[" + e.type + "|" + e.id + "|" + e.data + "]";
    return out;
}

} // namespace

class SseParserTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SseParserTest);
    CPPUNIT_TEST(testDataLinesAreJoinedWithNewlines);
    CPPUNIT_TEST(testEventTypeIdAndDefaults);
    CPPUNIT_TEST(testCommentsAndUnknownFieldsAreIgnored);
    CPPUNIT_TEST(testCrLfAndCrLineEndings);
    CPPUNIT_TEST(testEverySplitPointGivesTheSameEvents);
    CPPUNIT_TEST(testCrLfSplitBetweenChunksIsOneLineEnd);
    CPPUNIT_TEST(testRetryTakesOnlyDigits);
    CPPUNIT_TEST(testPrimingEventHasEmptyDataAndSetsId);
    CPPUNIT_TEST(testEventWithoutDataIsNotDispatchedButItsIdCounts);
    CPPUNIT_TEST(testFinishDropsTheIncompleteEventAndKeepsTheId);
    CPPUNIT_TEST(testFieldSyntaxEdgeCases);
    CPPUNIT_TEST(testOverlongLineIsRefused);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDataLinesAreJoinedWithNewlines() {
        const auto events = parseWhole("data: first\ndata: second\ndata:third\n\n");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), events.size());
        CPPUNIT_ASSERT_EQUAL(std::string("first\nsecond\nthird"), events[0].data);
    }

    void testEventTypeIdAndDefaults() {
        const auto events = parseWhole("event: endpoint\ndata: /message?sessionId=1\n\nid: 7\ndata: {}\n\ndata: x\n\n");
        CPPUNIT_ASSERT_EQUAL(std::string("[endpoint||/message?sessionId=1][message|7|{}][message|7|x]"), describe(events));
    }

    void testCommentsAndUnknownFieldsAreIgnored() {
        const auto events = parseWhole(": keepalive\n\n:\nfoo: bar\ndata: a\n: between\ndata: b\n\n");
        CPPUNIT_ASSERT_EQUAL(std::string("[message||a\nb]"), describe(events));
    }

    void testCrLfAndCrLineEndings() {
        CPPUNIT_ASSERT_EQUAL(std::string("[message|1|a\nb]"), describe(parseWhole("id: 1\r\ndata: a\r\ndata: b\r\n\r\n")));
        CPPUNIT_ASSERT_EQUAL(std::string("[message|1|a\nb]"), describe(parseWhole("id: 1\rdata: a\rdata: b\r\r")));
        CPPUNIT_ASSERT_EQUAL(std::string("[message||a][message||b]"), describe(parseWhole("data: a\r\n\ndata: b\n\r")));
    }

    void testEverySplitPointGivesTheSameEvents() {
        const std::string stream =
            "\xEF\xBB\xBF" "event: message\r\nid: 42\r\nretry: 250\r\ndata: {\"jsonrpc\":\"2.0\",\r\ndata: \"id\":1}\r\n\r\n"
            ": comment\rdata: two\r\rdata: three\n\n";
        const std::string expected = describe(parseWhole(stream));
        CPPUNIT_ASSERT_EQUAL(std::string("[message|42|{\"jsonrpc\":\"2.0\",\n\"id\":1}][message|42|two][message|42|three]"), expected);
        for (std::size_t a = 0; a <= stream.size(); ++a) {
            for (std::size_t b = a; b <= stream.size(); b += 7) {
                Collected c;
                c.parser.feed(stream.substr(0, a));
                c.parser.feed(stream.substr(a, b - a));
                c.parser.feed(stream.substr(b));
                CPPUNIT_ASSERT_EQUAL_MESSAGE("split at " + std::to_string(a) + "," + std::to_string(b), expected, describe(c.events));
                CPPUNIT_ASSERT(c.parser.retryMs() && *c.parser.retryMs() == 250);
            }
        }
        Collected byteByByte;
        for (char ch : stream) byteByByte.parser.feed(std::string(1, ch));
        CPPUNIT_ASSERT_EQUAL(expected, describe(byteByByte.events));
    }

    void testCrLfSplitBetweenChunksIsOneLineEnd() {
        Collected c;
        c.parser.feed("data: a\r");
        c.parser.feed("\n");
        CPPUNIT_ASSERT(c.events.empty()); // one line end so far, not the blank line
        c.parser.feed("\r\n");
        CPPUNIT_ASSERT_EQUAL(std::string("[message||a]"), describe(c.events));
    }

    void testRetryTakesOnlyDigits() {
        Collected c;
        c.parser.feed("retry: 1500\n\n");
        CPPUNIT_ASSERT_EQUAL(1500LL, *c.parser.retryMs());
        c.parser.feed("retry: 12a\nretry: -5\nretry:\nretry: 3.5\n\n");
        CPPUNIT_ASSERT_EQUAL(1500LL, *c.parser.retryMs());
        c.parser.feed("retry:0\n\n");
        CPPUNIT_ASSERT_EQUAL(0LL, *c.parser.retryMs());
        CPPUNIT_ASSERT(c.events.empty());
    }

    void testPrimingEventHasEmptyDataAndSetsId() {
        // What the MCP TypeScript SDK sends first on a resumable stream.
        Collected c;
        c.parser.feed("id: stream-1::1\nretry: 300\ndata: \n\n");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), c.events.size());
        CPPUNIT_ASSERT_EQUAL(std::string(""), c.events[0].data);
        CPPUNIT_ASSERT_EQUAL(std::string("stream-1::1"), c.parser.lastEventId());
        CPPUNIT_ASSERT_EQUAL(300LL, *c.parser.retryMs());
    }

    void testEventWithoutDataIsNotDispatchedButItsIdCounts() {
        Collected c;
        c.parser.feed("id: 5\nevent: ping\n\ndata: later\n\n");
        CPPUNIT_ASSERT_EQUAL(std::string("[message|5|later]"), describe(c.events)); // the event type did not carry over
        CPPUNIT_ASSERT_EQUAL(std::string("5"), c.parser.lastEventId());
    }

    void testFinishDropsTheIncompleteEventAndKeepsTheId() {
        Collected c;
        c.parser.feed("id: 9\ndata: complete\n\nid: 10\ndata: cut off");
        c.parser.finish();
        CPPUNIT_ASSERT_EQUAL(std::string("[message|9|complete]"), describe(c.events));
        CPPUNIT_ASSERT_EQUAL(std::string("10"), c.parser.lastEventId());
        // A resumed stream goes on from a clean state.
        c.parser.feed("data: resumed\n\n");
        CPPUNIT_ASSERT_EQUAL(std::string("[message|9|complete][message|10|resumed]"), describe(c.events));
    }

    void testFieldSyntaxEdgeCases() {
        // Only one space after the colon is stripped; a line without a colon is a field with an empty
        // value; an id containing NUL is ignored; "id:" with nothing resets the id.
        const auto events = parseWhole(std::string("data:  two spaces\ndata\n\nid: a\0b\ndata: x\n\nid: keep\nid:\ndata: y\n\n", 63));
        CPPUNIT_ASSERT_EQUAL(std::string("[message|| two spaces\n][message||x][message||y]"), describe(events));
    }

    void testOverlongLineIsRefused() {
        std::vector<SseEvent> events;
        SseParser parser([&](const SseEvent& e) { events.push_back(e); }, 64);
        parser.feed("data: short\n\n");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), events.size());
        CPPUNIT_ASSERT_THROW(parser.feed(std::string(100, 'x')), std::length_error);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SseParserTest);
