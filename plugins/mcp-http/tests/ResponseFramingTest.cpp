// Whether a server's response is all there (src/ResponseFraming.cpp): what a host I/O thread may read
// without waiting. Each verdict on real responses (the TypeScript SDK's event stream as Node writes
// it, a JSON body, 202), on every prefix of them, and on what only a worker may read; the parts of a
// whole one (what the host thread handles it from).
#include "ResponseFraming.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

using mc::mcp_http::ResponseFraming;
using mc::mcp_http::responseFraming;
using mc::mcp_http::WholeResponse;

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
    CPPUNIT_TEST(aWholeResponsesPartsAreFound);
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

    void aWholeResponsesPartsAreFound() {
        // The event stream: its fields in order (values trimmed), its chunks joined, its length up to the
        // last chunk's end, whatever follows it.
        WholeResponse whole; // its views are of the bytes read: those outlive it here
        const std::string followed = kEventStream + "HTTP/1.1 200";
        CPPUNIT_ASSERT_EQUAL(name(ResponseFraming::Complete), name(responseFraming(followed, &whole)));
        CPPUNIT_ASSERT_EQUAL(std::string("HTTP/1.1"), std::string(whole.version));
        CPPUNIT_ASSERT_EQUAL(200, whole.status);
        CPPUNIT_ASSERT_EQUAL(std::string("OK"), std::string(whole.reason));
        std::string fields;
        for (const auto& [field, value] : whole.fields) fields += std::string(field) + "=" + std::string(value) + ";";
        CPPUNIT_ASSERT_EQUAL(std::string("cache-control=no-cache, no-transform;connection=keep-alive;content-type=text/event-stream;"
                                         "x-accel-buffering=no;Transfer-Encoding=chunked;"),
                             fields);
        CPPUNIT_ASSERT_EQUAL(std::string("event: message\ndata: {\"result\":{\"content\":[]},\"jsonrpc\":\"2.0\",\"id\":7}\n\n"), whole.body);
        CPPUNIT_ASSERT_EQUAL(kEventStream.size(), whole.length);
        // Chunks joined, trailer fields left out.
        const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n";
        CPPUNIT_ASSERT_EQUAL(name(ResponseFraming::Complete), name(responseFraming(chunked, &whole)));
        CPPUNIT_ASSERT_EQUAL(std::string("hello world"), whole.body);
        CPPUNIT_ASSERT_EQUAL(chunked.size(), whole.length);
        // A length: the body is that many bytes; a reason of several words; HTTP/1.0.
        const std::string notFound = "HTTP/1.0 404 Not Found\r\nContent-Length: 2\r\n\r\n{}{}";
        CPPUNIT_ASSERT_EQUAL(name(ResponseFraming::Complete), name(responseFraming(notFound, &whole)));
        CPPUNIT_ASSERT_EQUAL(std::string("HTTP/1.0"), std::string(whole.version));
        CPPUNIT_ASSERT_EQUAL(404, whole.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Not Found"), std::string(whole.reason));
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), whole.body);
        CPPUNIT_ASSERT_EQUAL(notFound.size() - 2, whole.length);
        // No body whatever the head says (204); no reason at all.
        const std::string noContent = "HTTP/1.1 204\r\nContent-Length: 5\r\n\r\n";
        CPPUNIT_ASSERT_EQUAL(name(ResponseFraming::Complete), name(responseFraming(noContent, &whole)));
        CPPUNIT_ASSERT_EQUAL(204, whole.status);
        CPPUNIT_ASSERT_EQUAL(std::string(), std::string(whole.reason));
        CPPUNIT_ASSERT_EQUAL(std::string(), whole.body);
        CPPUNIT_ASSERT_EQUAL(noContent.size(), whole.length);
        // Not whole: the parts are left as they were; a status not followed by a space is not read here.
        CPPUNIT_ASSERT_EQUAL(name(ResponseFraming::Incomplete), name(responseFraming(kJson.substr(0, kJson.size() - 1), &whole)));
        CPPUNIT_ASSERT_EQUAL(204, whole.status);
        CPPUNIT_ASSERT_EQUAL(name(ResponseFraming::Unreadable), name(responseFraming("HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n", &whole)));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ResponseFramingTest);
