// RFC 6455 framing: round trips, byte-by-byte feeding, fragmentation, masking and every violation;
// and the envelope of a client's text message (ClientMessage), whose answers travel as text frames.
#include "web/ws/ClientMessage.h"
#include "net/FrameCodec.h"

#include "mc/json_text.hpp"

#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

using namespace mc::host::ws;

namespace {
const std::uint8_t kMask[4] = {0x37, 0xfa, 0x21, 0x3d};

std::vector<FrameEvent> parseAll(const std::string& bytes, FrameParser::Options options = {}) {
    FrameParser parser(options);
    std::vector<FrameEvent> out;
    parser.feed(bytes, out);
    return out;
}

std::vector<FrameEvent> parseByteByByte(const std::string& bytes, FrameParser::Options options = {}) {
    FrameParser parser(options);
    std::vector<FrameEvent> out;
    for (char c : bytes) parser.feed(&c, 1, out);
    return out;
}

void assertError(const std::vector<FrameEvent>& events, std::uint16_t code) {
    CPPUNIT_ASSERT(!events.empty());
    CPPUNIT_ASSERT(events.back().kind == FrameEvent::Kind::Error);
    CPPUNIT_ASSERT_EQUAL(code, events.back().closeCode);
}
} // namespace

class WebSocketCodecTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(WebSocketCodecTest);
    CPPUNIT_TEST(testMaskedTextRoundTrip);
    CPPUNIT_TEST(testRfcMaskedHelloExample);
    CPPUNIT_TEST(testLengthEncodings);
    CPPUNIT_TEST(testByteByByteFeedingYieldsSameEvents);
    CPPUNIT_TEST(testFragmentationWithInterleavedPing);
    CPPUNIT_TEST(testUnmaskedClientFrameIs1002);
    CPPUNIT_TEST(testReservedBitsAre1002);
    CPPUNIT_TEST(testUnknownOpcodeIs1002);
    CPPUNIT_TEST(testFragmentedControlFrameIs1002);
    CPPUNIT_TEST(testOversizeControlFrameIs1002);
    CPPUNIT_TEST(testContinuationWithoutStartIs1002);
    CPPUNIT_TEST(testNewMessageInsideFragmentedIs1002);
    CPPUNIT_TEST(testInvalidUtf8TextIs1007);
    CPPUNIT_TEST(testUtf8SplitAcrossFragmentsIsValid);
    CPPUNIT_TEST(testMessageOverLimitIs1009BeforePayloadArrives);
    CPPUNIT_TEST(testFragmentsOverLimitAre1009);
    CPPUNIT_TEST(testCloseFrames);
    CPPUNIT_TEST(testParserStopsAfterError);
    CPPUNIT_TEST(testServerSideParsingRejectsMaskedFrames);
    CPPUNIT_TEST(testUtf8Validation);
    CPPUNIT_TEST(testAcceptKeyRfcExample);
    CPPUNIT_TEST(testCloseReasonTruncatedTo125Bytes);
    CPPUNIT_TEST(testClientMessageEnvelope);
    CPPUNIT_TEST(testErrorAnswersAreValidUtf8);
    CPPUNIT_TEST(testJsonStringsAreAlwaysValidUtf8);
    CPPUNIT_TEST_SUITE_END();

public:
    void testMaskedTextRoundTrip() {
        const std::string frame = encodeFrame(Opcode::Text, "{\"type\":\"ping\"}", kMask);
        auto events = parseAll(frame);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), events.size());
        CPPUNIT_ASSERT(events[0].kind == FrameEvent::Kind::Message);
        CPPUNIT_ASSERT(events[0].opcode == Opcode::Text);
        CPPUNIT_ASSERT_EQUAL(std::string("{\"type\":\"ping\"}"), events[0].payload);
        // The masked bytes on the wire differ from the text.
        CPPUNIT_ASSERT(frame.find("ping") == std::string::npos);
    }

    void testRfcMaskedHelloExample() {
        // RFC 6455 section 5.7: a masked "Hello".
        const std::string wire("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
        auto events = parseAll(wire);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), events.size());
        CPPUNIT_ASSERT_EQUAL(std::string("Hello"), events[0].payload);
        CPPUNIT_ASSERT_EQUAL(std::string("\x81\x05Hello"), encodeFrame(Opcode::Text, "Hello"));
    }

    void testLengthEncodings() {
        for (std::size_t size : {0ul, 125ul, 126ul, 65535ul, 65536ul, 200000ul}) {
            const std::string payload(size, 'x');
            const std::string serverFrame = encodeFrame(Opcode::Binary, payload);
            CPPUNIT_ASSERT_EQUAL(frameHeaderSize(size) + size, serverFrame.size());
            CPPUNIT_ASSERT_EQUAL(payload, std::string(unmaskedFramePayload(serverFrame)));
            auto events = parseAll(encodeFrame(Opcode::Binary, payload, kMask));
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), events.size());
            CPPUNIT_ASSERT(events[0].opcode == Opcode::Binary);
            CPPUNIT_ASSERT_EQUAL(size, events[0].payload.size());
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), frameHeaderSize(125));
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), frameHeaderSize(126));
        CPPUNIT_ASSERT_EQUAL(std::size_t(10), frameHeaderSize(65536));
    }

    void testByteByByteFeedingYieldsSameEvents() {
        std::string stream = encodeFrame(Opcode::Text, "first", kMask);
        stream += encodeFrame(Opcode::Ping, "p", kMask);
        stream += encodeFrame(Opcode::Text, std::string(300, 'y'), kMask);
        stream += encodeClose(1000, "bye", kMask);
        auto events = parseByteByByte(stream);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), events.size());
        CPPUNIT_ASSERT_EQUAL(std::string("first"), events[0].payload);
        CPPUNIT_ASSERT(events[1].kind == FrameEvent::Kind::Ping);
        CPPUNIT_ASSERT_EQUAL(std::string("p"), events[1].payload);
        CPPUNIT_ASSERT_EQUAL(std::string(300, 'y'), events[2].payload);
        CPPUNIT_ASSERT(events[3].kind == FrameEvent::Kind::Close);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(1000), events[3].closeCode);
        CPPUNIT_ASSERT_EQUAL(std::string("bye"), events[3].payload);
    }

    void testFragmentationWithInterleavedPing() {
        std::string stream = encodeFrame(Opcode::Text, "Hel", kMask, false);
        stream += encodeFrame(Opcode::Ping, "mid", kMask);
        stream += encodeFrame(Opcode::Continuation, "lo ", kMask, false);
        stream += encodeFrame(Opcode::Continuation, "world", kMask, true);
        for (auto events : {parseAll(stream), parseByteByByte(stream)}) {
            CPPUNIT_ASSERT_EQUAL(std::size_t(2), events.size());
            CPPUNIT_ASSERT(events[0].kind == FrameEvent::Kind::Ping); // control frames are not held back
            CPPUNIT_ASSERT(events[1].kind == FrameEvent::Kind::Message);
            CPPUNIT_ASSERT(events[1].opcode == Opcode::Text);
            CPPUNIT_ASSERT_EQUAL(std::string("Hello world"), events[1].payload);
        }
    }

    void testUnmaskedClientFrameIs1002() { assertError(parseAll(encodeFrame(Opcode::Text, "hi")), close_code::ProtocolError); }

    void testReservedBitsAre1002() {
        std::string frame = encodeFrame(Opcode::Text, "hi", kMask);
        frame[0] = static_cast<char>(frame[0] | 0x40);
        auto events = parseAll(frame);
        assertError(events, close_code::ProtocolError);
        CPPUNIT_ASSERT(events.back().payload.find("reserved") != std::string::npos);
    }

    void testUnknownOpcodeIs1002() {
        std::string frame = encodeFrame(Opcode::Text, "hi", kMask);
        frame[0] = static_cast<char>(0x80 | 0x3);
        auto events = parseAll(frame);
        assertError(events, close_code::ProtocolError);
        CPPUNIT_ASSERT_EQUAL(std::string("unknown opcode 3"), events.back().payload);
    }

    void testFragmentedControlFrameIs1002() {
        assertError(parseAll(encodeFrame(Opcode::Ping, "x", kMask, false)), close_code::ProtocolError);
    }

    void testOversizeControlFrameIs1002() {
        assertError(parseAll(encodeFrame(Opcode::Ping, std::string(126, 'p'), kMask)), close_code::ProtocolError);
    }

    void testContinuationWithoutStartIs1002() {
        assertError(parseAll(encodeFrame(Opcode::Continuation, "x", kMask)), close_code::ProtocolError);
    }

    void testNewMessageInsideFragmentedIs1002() {
        std::string stream = encodeFrame(Opcode::Text, "a", kMask, false) + encodeFrame(Opcode::Text, "b", kMask);
        assertError(parseAll(stream), close_code::ProtocolError);
    }

    void testInvalidUtf8TextIs1007() {
        assertError(parseAll(encodeFrame(Opcode::Text, std::string("bad \xC3\x28", 6), kMask)), close_code::InvalidPayload);
        // The same bytes as a binary message are fine.
        auto events = parseAll(encodeFrame(Opcode::Binary, std::string("bad \xC3\x28", 6), kMask));
        CPPUNIT_ASSERT(events.at(0).kind == FrameEvent::Kind::Message);
    }

    void testUtf8SplitAcrossFragmentsIsValid() {
        const std::string euro = "\xE2\x82\xAC"; // one code point cut between two fragments
        std::string stream = encodeFrame(Opcode::Text, euro.substr(0, 1), kMask, false) +
                             encodeFrame(Opcode::Continuation, euro.substr(1), kMask, true);
        auto events = parseAll(stream);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), events.size());
        CPPUNIT_ASSERT_EQUAL(euro, events[0].payload);
    }

    void testMessageOverLimitIs1009BeforePayloadArrives() {
        FrameParser::Options options;
        options.maxMessageBytes = 1000;
        const std::string frame = encodeFrame(Opcode::Text, std::string(1001, 'z'), kMask);
        FrameParser parser(options);
        std::vector<FrameEvent> out;
        parser.feed(frame.data(), 4, out); // the header alone is enough to refuse
        assertError(out, close_code::MessageTooBig);
        CPPUNIT_ASSERT(parser.finished());
        // Exactly at the limit is accepted.
        auto ok = parseAll(encodeFrame(Opcode::Text, std::string(1000, 'z'), kMask), options);
        CPPUNIT_ASSERT(ok.at(0).kind == FrameEvent::Kind::Message);
    }

    void testFragmentsOverLimitAre1009() {
        FrameParser::Options options;
        options.maxMessageBytes = 100;
        std::string stream = encodeFrame(Opcode::Text, std::string(60, 'a'), kMask, false) +
                             encodeFrame(Opcode::Continuation, std::string(60, 'b'), kMask, true);
        assertError(parseAll(stream, options), close_code::MessageTooBig);
    }

    void testCloseFrames() {
        auto empty = parseAll(encodeFrame(Opcode::Close, "", kMask));
        CPPUNIT_ASSERT(empty.at(0).kind == FrameEvent::Kind::Close);
        CPPUNIT_ASSERT_EQUAL(close_code::NoStatus, empty[0].closeCode);
        assertError(parseAll(encodeFrame(Opcode::Close, "x", kMask)), close_code::ProtocolError); // 1-byte payload
        assertError(parseAll(encodeClose(1005, "", kMask)), close_code::ProtocolError);           // reserved code
        assertError(parseAll(encodeClose(999, "", kMask)), close_code::ProtocolError);
        assertError(parseAll(encodeClose(1000, std::string("\xFF", 1), kMask)), close_code::InvalidPayload);
        auto app = parseAll(encodeClose(4001, "app", kMask));
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(4001), app.at(0).closeCode);
    }

    void testParserStopsAfterError() {
        FrameParser parser;
        std::vector<FrameEvent> out;
        parser.feed(encodeFrame(Opcode::Text, "unmasked"), out);
        parser.feed(encodeFrame(Opcode::Text, "later", kMask), out);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), out.size());
        CPPUNIT_ASSERT(out[0].kind == FrameEvent::Kind::Error);
    }

    void testServerSideParsingRejectsMaskedFrames() {
        FrameParser::Options client;
        client.fromClient = false;
        auto ok = parseAll(encodeFrame(Opcode::Text, "from server"), client);
        CPPUNIT_ASSERT_EQUAL(std::string("from server"), ok.at(0).payload);
        assertError(parseAll(encodeFrame(Opcode::Text, "masked", kMask), client), close_code::ProtocolError);
    }

    void testUtf8Validation() {
        CPPUNIT_ASSERT(isValidUtf8("plain ascii"));
        CPPUNIT_ASSERT(isValidUtf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));      // é € 😀
        CPPUNIT_ASSERT(!isValidUtf8(std::string("\xC0\xAF", 2)));             // overlong
        CPPUNIT_ASSERT(!isValidUtf8(std::string("\xED\xA0\x80", 3)));         // surrogate
        CPPUNIT_ASSERT(!isValidUtf8(std::string("\xF4\x90\x80\x80", 4)));     // above U+10FFFF
        CPPUNIT_ASSERT(!isValidUtf8(std::string("\xE2\x82", 2)));             // truncated
        CPPUNIT_ASSERT(!isValidUtf8(std::string("\x80", 1)));                 // stray continuation
    }

    void testAcceptKeyRfcExample() {
        CPPUNIT_ASSERT_EQUAL(std::string("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    void testCloseReasonTruncatedTo125Bytes() {
        const std::string frame = encodeClose(1008, std::string(300, 'r'));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2 + 125), frame.size());
        FrameParser::Options client;
        client.fromClient = false;
        auto events = parseAll(frame, client);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(1008), events.at(0).closeCode);
        CPPUNIT_ASSERT_EQUAL(std::size_t(123), events[0].payload.size());
    }

    void testClientMessageEnvelope() {
        mc::host::ClientMessage message;
        CPPUNIT_ASSERT(!mc::host::parseClientMessage(R"({"type":"ping","request_id":{"n":[1,"x"]}})", message));
        CPPUNIT_ASSERT_EQUAL(std::string("ping"), message.type);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"n":[1,"x"]})"), message.requestIdJson);
        const auto refused = mc::host::parseClientMessage(R"({"type":"","request_id":"b"})", message);
        CPPUNIT_ASSERT(refused);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_message"), refused->code);
        CPPUNIT_ASSERT_EQUAL(std::string("\"b\""), refused->requestIdJson);
    }

    // Found by fuzz/ws_message: a text frame that is not UTF-8 makes browsers drop the connection (1007).
    void testErrorAnswersAreValidUtf8() {
        mc::host::ClientMessage message;
        // Poco's parser names the end of the text as the byte 0xff.
        const auto refused = mc::host::parseClientMessage("1.", message);
        CPPUNIT_ASSERT(refused);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_json"), refused->code);
        const std::string answer = mc::host::errorJson(refused->code, refused->message, refused->requestIdJson);
        CPPUNIT_ASSERT_MESSAGE(answer, isValidUtf8(answer));
        Poco::JSON::Parser().parse(answer); // and so it is JSON a client can read

        // A long unknown type is shown cut on a character boundary, not inside the 'é' at bytes 63-64.
        const std::string type = std::string(63, 't') + "\xC3\xA9tail";
        CPPUNIT_ASSERT(!mc::host::parseClientMessage("{\"type\":\"" + type + "\"}", message));
        const auto unknown = mc::host::unknownTypeRefusal(message);
        CPPUNIT_ASSERT_EQUAL("unknown message type \"" + std::string(63, 't') + "...\"", unknown.message);
        CPPUNIT_ASSERT(isValidUtf8(mc::host::errorJson(unknown.code, unknown.message, unknown.requestIdJson)));
    }

    void testJsonStringsAreAlwaysValidUtf8() {
        using mc::sdk::json::quote;
        CPPUNIT_ASSERT_EQUAL(std::string("\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\""), quote("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
        const std::string replacement = "\xEF\xBF\xBD";
        CPPUNIT_ASSERT_EQUAL("\"a" + replacement + "b\"", quote(std::string("a\xFF" "b")));       // not UTF-8 at all
        CPPUNIT_ASSERT_EQUAL("\"" + replacement + "\"", quote(std::string("\xC3", 1)));           // cut short at the end
        CPPUNIT_ASSERT_EQUAL("\"" + replacement + replacement + "x\"", quote("\xE2\x82x"));     // cut short inside
        CPPUNIT_ASSERT_EQUAL("\"" + replacement + replacement + "\"", quote("\xC0\xAF"));       // overlong
        CPPUNIT_ASSERT_EQUAL("\"" + replacement + replacement + replacement + "\"", quote("\xED\xA0\x80")); // surrogate
        CPPUNIT_ASSERT_EQUAL(std::string("\"\\u0001\\n\\\"\""), quote("\x01\n\""));
        // Runs of plain text between escapes, at the start and the end, kept whole and in order.
        CPPUNIT_ASSERT_EQUAL(std::string(R"("say \"hi\" \\ then\ttab \u001f end")"), quote("say \"hi\" \\ then\ttab \x1f end"));
        CPPUNIT_ASSERT_EQUAL(std::string("\"\""), quote(""));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(WebSocketCodecTest);
