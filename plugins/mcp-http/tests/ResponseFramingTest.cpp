// Whether a server's response is all there (src/ResponseFraming.cpp): what a host I/O thread may read
// without waiting. Each verdict on real responses (the TypeScript SDK's event stream as Node writes
// it, a JSON body, 202), on every prefix of them, and on what only a worker may read.
#include "ResponseFraming.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

using mc::mcp_http::ResponseFraming;
using mc::mcp_http::responseFraming;

namespace {

// What the TypeScript SDK's server (through Node's http module) sends for a tools/call: the head in
// one write, the event and the last chunk in another.
const std::string kEventStream =
    "HTTP/1.1 200 OK\r\ncache-control: no-cache, no-transform\r\nconnection: keep-alive\r\n"
    "content-type: text/event-stream\r\nx-accel-buffering: no\r\nTransfer-Encoding: chunked\r\n\r\n"
    "47\r\nevent: message\ndata: {\"result\":{\"content\":[]},\"jsonrpc\":\"2.0\",\"id\":7}\n\n\r\n0\r\n\r\n";
const std::string kJson = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 36\r\n\r\n"
                          "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}";

std::string name(ResponseFraming f) {
    return f == ResponseFraming::Complete ? "Complete" : f == ResponseFraming::Incomplete ? "Incomplete" : "Unreadable";
}

void assertFraming(ResponseFraming expected, const std::string& bytes) {
    CPPUNIT_ASSERT_EQUAL_MESSAGE(bytes, name(expected), name(responseFraming(bytes)));
}

} // namespace

class ResponseFramingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ResponseFramingTest);
    CPPUNIT_TEST(aWholeResponseIsComplete);
    CPPUNIT_TEST(everyShorterPrefixIsIncomplete);
    CPPUNIT_TEST(chunksAreWalkedToTheLastOne);
    CPPUNIT_TEST(whatOnlyAWorkerMayReadIsUnreadable);
    CPPUNIT_TEST_SUITE_END();

public:
    void aWholeResponseIsComplete() {
        assertFraming(ResponseFraming::Complete, kEventStream);
        assertFraming(ResponseFraming::Complete, kJson);
        assertFraming(ResponseFraming::Complete, "HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n");
        assertFraming(ResponseFraming::Complete, "HTTP/1.1 204 No Content\r\n\r\n");
        // Field names in any case, spaces around values; bytes after the response change nothing.
        assertFraming(ResponseFraming::Complete, "HTTP/1.0 404 Not Found\r\nCONTENT-LENGTH:  2 \r\n\r\n{}");
        assertFraming(ResponseFraming::Complete, kJson + "HTTP/1.1");
    }

    void everyShorterPrefixIsIncomplete() {
        for (const std::string& whole : {kEventStream, kJson})
            for (std::size_t n = 0; n < whole.size(); ++n) assertFraming(ResponseFraming::Incomplete, whole.substr(0, n));
    }

    void chunksAreWalkedToTheLastOne() {
        const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        assertFraming(ResponseFraming::Complete, head + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        assertFraming(ResponseFraming::Incomplete, head + "5\r\nhello\r\n6\r\n world\r\n"); // the stream goes on
        // Extensions and upper-case hex; trailer fields before the end.
        assertFraming(ResponseFraming::Complete, head + "A;name=v\r\n0123456789\r\n0\r\nX-Checksum: 1\r\n\r\n");
        assertFraming(ResponseFraming::Incomplete, head + "0\r\nX-Checksum: 1\r\n");
        // Chunked wins over a length (RFC 9112 6.3): "0" is the end whatever Content-Length says.
        assertFraming(ResponseFraming::Complete, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    }

    void whatOnlyAWorkerMayReadIsUnreadable() {
        // A body that ends when the server closes; an interim response; no HTTP at all.
        assertFraming(ResponseFraming::Unreadable, "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\ndata: x\n\n");
        assertFraming(ResponseFraming::Unreadable, "HTTP/1.1 100 Continue\r\n\r\n");
        assertFraming(ResponseFraming::Unreadable, "SSH-2.0-OpenSSH_9.2\r\n");
        assertFraming(ResponseFraming::Unreadable, "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n");
        // Malformed framing: a chunk size that is not hex, a chunk not followed by CRLF, a field
        // without a colon, two lengths, a length that is not a number.
        const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        assertFraming(ResponseFraming::Unreadable, head + "5g\r\nhello\r\n0\r\n\r\n");
        assertFraming(ResponseFraming::Unreadable, head + "5\r\nhelloXY0\r\n\r\n");
        assertFraming(ResponseFraming::Unreadable, head + "1234567890123456\r\n");
        assertFraming(ResponseFraming::Unreadable, "HTTP/1.1 200 OK\r\nno colon here\r\nContent-Length: 0\r\n\r\n");
        assertFraming(ResponseFraming::Unreadable, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx");
        assertFraming(ResponseFraming::Unreadable, "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n");
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ResponseFramingTest);
