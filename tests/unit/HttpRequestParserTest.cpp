// The event-loop server's request parser: heads handed over before bodies, bodies by Content-Length
// and chunked, any split of the input, and a clear status for every malformed or oversize request
// (strict where lenience would allow request smuggling).
#include "net/HttpRequestParser.h"

#include <cppunit/extensions/HelperMacros.h>

using mc::host::net::HttpParserLimits;
using mc::host::net::HttpRequestParser;
using State = HttpRequestParser::State;

namespace {

// Feeds `input` in pieces of `step` bytes through head and body; returns the bytes used.
std::size_t parse(HttpRequestParser& parser, const std::string& input, std::size_t step = 0) {
    std::size_t used = 0;
    if (step == 0) step = input.size();
    while (used < input.size()) {
        const std::size_t piece = std::min(step, input.size() - used);
        std::size_t offset = 0;
        while (offset < piece) {
            const std::size_t n = parser.feed(input.data() + used + offset, piece - offset);
            offset += n;
            if (parser.state() == State::HeadDone) parser.startBody();
            if (parser.state() == State::Complete || parser.state() == State::Error) return used + offset;
            if (n == 0) break;
        }
        used += piece;
    }
    if (parser.state() == State::HeadDone) parser.startBody();
    return used;
}

HttpRequestParser parser(std::size_t maxBody = 1 << 20, std::size_t maxHead = 16 * 1024) {
    HttpParserLimits limits;
    limits.maxBodyBytes = maxBody;
    limits.maxHeadBytes = maxHead;
    return HttpRequestParser(limits);
}

void assertError(const std::string& input, int status, const std::string& message, std::size_t maxBody = 1 << 20) {
    auto p = parser(maxBody, 256);
    parse(p, input);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(input, State::Error == p.state(), true);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(input, status, p.errorStatus());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(input, message, p.errorMessage());
}

} // namespace

class HttpRequestParserTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HttpRequestParserTest);
    CPPUNIT_TEST(headIsHandedOverBeforeTheBody);
    CPPUNIT_TEST(everySplitOfTheInputParsesTheSame);
    CPPUNIT_TEST(chunkedBodiesWithExtensionsAndTrailers);
    CPPUNIT_TEST(pipelinedRequestsAreParsedOneAtATime);
    CPPUNIT_TEST(keepAliveFollowsTheVersionAndConnectionHeader);
    CPPUNIT_TEST(ambiguousFramingIsRefused);
    CPPUNIT_TEST(malformedHeadsGet400);
    CPPUNIT_TEST(limitsGiveTheirOwnStatus);
    CPPUNIT_TEST_SUITE_END();

public:
    void headIsHandedOverBeforeTheBody() {
        auto p = parser();
        const std::string request = "POST /api/ingest?x=1 HTTP/1.1\r\nHost: localhost:8000\r\nContent-Type: application/json\r\n"
                                    "Expect: 100-continue\r\nContent-Length: 11\r\n\r\n{\"events\":[";
        const std::size_t used = p.feed(request.data(), request.size());
        CPPUNIT_ASSERT(p.state() == State::HeadDone);
        CPPUNIT_ASSERT_EQUAL(request.size() - 11, used); // the body is not consumed yet
        CPPUNIT_ASSERT_EQUAL(std::string("POST"), p.head().method);
        CPPUNIT_ASSERT_EQUAL(std::string("/api/ingest?x=1"), p.head().target);
        CPPUNIT_ASSERT_EQUAL(1, p.head().versionMinor);
        CPPUNIT_ASSERT_EQUAL(std::string("application/json"), std::string(p.head().header("content-type")));
        CPPUNIT_ASSERT(p.expectsContinue());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(11), p.contentLength());
        p.startBody();
        CPPUNIT_ASSERT(p.state() == State::Body);
        CPPUNIT_ASSERT_EQUAL(std::size_t(11), p.feed(request.data() + used, 11));
        CPPUNIT_ASSERT(p.state() == State::Complete);
        CPPUNIT_ASSERT_EQUAL(std::string("{\"events\":["), p.body());
    }

    void everySplitOfTheInputParsesTheSame() {
        const std::string request = "\r\nPUT /a HTTP/1.1\nHost: h\r\nX-Many:  spaced value \t\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: t\r\n\r\n";
        for (std::size_t step = 1; step <= request.size(); ++step) {
            auto p = parser();
            CPPUNIT_ASSERT_EQUAL(request.size(), parse(p, request, step));
            CPPUNIT_ASSERT_MESSAGE(std::to_string(step), p.state() == State::Complete);
            CPPUNIT_ASSERT_EQUAL(std::string("hello, world"), p.body());
            CPPUNIT_ASSERT_EQUAL(std::string("spaced value"), std::string(p.head().header("X-Many")));
        }
    }

    void chunkedBodiesWithExtensionsAndTrailers() {
        auto p = parser();
        parse(p, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\nA \t;name=value\r\n0123456789\r\n0\r\n\r\n");
        CPPUNIT_ASSERT(p.state() == State::Complete);
        CPPUNIT_ASSERT(p.chunked());
        CPPUNIT_ASSERT_EQUAL(std::string("0123456789"), p.body());
        assertError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "malformed chunk size line");
        assertError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400,
                    "chunk data is not followed by a line end");
        assertError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", 400,
                    "chunk size is too large");
    }

    void pipelinedRequestsAreParsedOneAtATime() {
        const std::string two = "GET /one HTTP/1.1\r\nHost: h\r\n\r\nPOST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhiGET";
        auto p = parser();
        const std::size_t first = parse(p, two);
        CPPUNIT_ASSERT(p.state() == State::Complete);
        CPPUNIT_ASSERT_EQUAL(std::string("/one"), p.head().target);
        CPPUNIT_ASSERT(!p.hasBody());
        p.reset();
        const std::size_t second = parse(p, two.substr(first));
        CPPUNIT_ASSERT(p.state() == State::Complete);
        CPPUNIT_ASSERT_EQUAL(std::string("/two"), p.head().target);
        CPPUNIT_ASSERT_EQUAL(std::string("hi"), p.body());
        CPPUNIT_ASSERT_EQUAL(std::string("GET"), two.substr(first + second)); // the next request's start
    }

    void keepAliveFollowsTheVersionAndConnectionHeader() {
        const auto keepAlive = [](const std::string& head) {
            auto p = parser();
            parse(p, head);
            CPPUNIT_ASSERT_MESSAGE(p.errorMessage(), p.state() == State::Complete);
            return p.head().keepAlive();
        };
        CPPUNIT_ASSERT(keepAlive("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
        CPPUNIT_ASSERT(!keepAlive("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, close\r\n\r\n"));
        CPPUNIT_ASSERT(!keepAlive("GET / HTTP/1.0\r\n\r\n"));
        CPPUNIT_ASSERT(keepAlive("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    }

    void ambiguousFramingIsRefused() {
        assertError("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
                    "Content-Length and Transfer-Encoding together are ambiguous");
        assertError("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400,
                    "conflicting Content-Length values");
        assertError("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\n", 400, "conflicting Content-Length values");
        assertError("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400, "Content-Length '-1' is not a number");
        assertError("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n", 400, "Content-Length '0x10' is not a number");
        assertError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
                    "Transfer-Encoding 'gzip, chunked' is not supported (only chunked)");
        assertError("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "Transfer-Encoding is not allowed in HTTP/1.0");
        assertError("GET / HTTP/1.1\r\n\r\n", 400, "an HTTP/1.1 request needs a Host header");
        assertError("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one Host header");
        // Equal repeated lengths are one length.
        auto p = parser();
        parse(p, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\n\r\nok");
        CPPUNIT_ASSERT(p.state() == State::Complete);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), p.body());
    }

    void malformedHeadsGet400() {
        assertError("GARBAGE\r\n\r\n", 400, "malformed request line: expected 'METHOD /path HTTP/1.1'");
        assertError("GET  / HTTP/1.1\r\n\r\n", 400, "malformed request line: expected 'METHOD /path HTTP/1.1'");
        assertError("G(T / HTTP/1.1\r\n\r\n", 400, "malformed request line: the method is not a token");
        assertError("GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400, "the request target must be a path starting with '/'");
        assertError("GET /\x01 HTTP/1.1\r\n\r\n", 400, "malformed request line: the request target has spaces or control characters");
        assertError("GET / HTTX/1.1\r\n\r\n", 400, "malformed request line: the version is not HTTP/x.y");
        assertError("PRI * HTTP/2.0\r\n\r\n", 505, "HTTP version 2.0 is not supported (HTTP/1.0 and HTTP/1.1 are)");
        assertError("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400, "obsolete line folding in the request head is not accepted");
        assertError("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400, "malformed header name 'Host '");
        assertError("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400, "malformed header line (expected 'Name: value')");
        assertError(std::string("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 35), 400,
                    "header 'X' has a control character in its value");
    }

    void limitsGiveTheirOwnStatus() {
        assertError("GET /" + std::string(300, 'a') + " HTTP/1.1\r\n\r\n", 414,
                    "the request line is longer than 256 bytes (http.max_header_bytes)");
        assertError("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(300, 'a') + "\r\n\r\n", 431,
                    "the request head is longer than 256 bytes (http.max_header_bytes)");
        assertError("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", 413,
                    "the request body of 11 bytes exceeds the limit of 10 bytes (http.max_body_bytes)", 10);
        assertError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\nghijk\r\n", 413,
                    "the chunked request body exceeds the limit of 10 bytes (http.max_body_bytes)", 10);
        std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
        for (int i = 0; i < 101; ++i) many += "X" + std::to_string(i) + ": v\r\n";
        auto p = parser(1 << 20, 1 << 20);
        parse(p, many + "\r\n");
        CPPUNIT_ASSERT_EQUAL(431, p.errorStatus());
        CPPUNIT_ASSERT_EQUAL(std::string("more than 100 header fields"), p.errorMessage());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpRequestParserTest);
