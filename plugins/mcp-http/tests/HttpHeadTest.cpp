// A request's head written in one piece (src/HttpHead.cpp): the bytes Poco's own writer would send,
// the length Poco's counting pass needs, and a whole request over a real loopback connection; the
// inspector's copy of the fields in the same lines.
#include "HttpHead.h"

#include <Poco/CountingStream.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <cppunit/extensions/HelperMacros.h>

#include <sstream>
#include <string>
#include <thread>

using namespace mc::mcp_http;

namespace {

OneWriteRequest sampleRequest(std::size_t bodyBytes) {
    OneWriteRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/mcp/dev?tenant=a%20b");
    request.set("Mcp-Session-Id", "3f6c-9a");
    request.set("MCP-Protocol-Version", "2025-11-25");
    request.set("Accept", "application/json, text/event-stream");
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(bodyBytes));
    return request;
}

// What Poco's own HTTPRequest::write sends for the same request.
std::string pocoHead(const OneWriteRequest& request) {
    std::ostringstream out;
    request.HTTPRequest::write(out);
    return out.str();
}

} // namespace

class HttpHeadTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HttpHeadTest);
    CPPUNIT_TEST(theHeadIsWhatPocoWouldWrite);
    CPPUNIT_TEST(theCountingPassTakesTheHeadsLength);
    CPPUNIT_TEST(aSessionSendsTheHeadAndTheBodyAsOneRequest);
    CPPUNIT_TEST_SUITE_END();

public:
    void theHeadIsWhatPocoWouldWrite() {
        const auto request = sampleRequest(42);
        CPPUNIT_ASSERT_EQUAL(std::string("POST /mcp/dev?tenant=a%20b HTTP/1.1\r\n"
                                         "Mcp-Session-Id: 3f6c-9a\r\n"
                                         "MCP-Protocol-Version: 2025-11-25\r\n"
                                         "Accept: application/json, text/event-stream\r\n"
                                         "Content-Type: application/json\r\n"
                                         "Content-Length: 42\r\n"
                                         "\r\n"),
                             request.head());
        CPPUNIT_ASSERT_EQUAL(pocoHead(request), request.head());
        // The inspector's copy of the fields is the same lines.
        CPPUNIT_ASSERT_EQUAL("POST /mcp/dev?tenant=a%20b HTTP/1.1\r\n" + headerLines(request) + "\r\n", request.head());
        OneWriteRequest bare(Poco::Net::HTTPRequest::HTTP_GET, "/");
        CPPUNIT_ASSERT_EQUAL(std::string("GET / HTTP/1.1\r\n\r\n"), bare.head());
        CPPUNIT_ASSERT_EQUAL(pocoHead(bare), bare.head());
    }

    void theCountingPassTakesTheHeadsLength() {
        const auto request = sampleRequest(7);
        Poco::CountingOutputStream counting;
        request.write(counting);
        CPPUNIT_ASSERT_EQUAL(static_cast<std::streamsize>(request.head().size()), counting.chars());
        std::ostringstream out;
        request.write(out);
        CPPUNIT_ASSERT_EQUAL(request.head(), out.str());
    }

    void aSessionSendsTheHeadAndTheBodyAsOneRequest() {
        // Poco's session sizes the request's stream from the counting pass: a wrong count would cut
        // the body short (or leave the stream waiting for more).
        Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
        const std::string body = R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}})";
        auto request = sampleRequest(body.size());
        std::string received;
        std::thread server([&] {
            Poco::Net::StreamSocket peer = listener.acceptConnection();
            peer.setReceiveTimeout(Poco::Timespan(5, 0));
            char buffer[4096];
            // Until the body's last byte, or the client closes (a body cut short), or 5 s pass.
            while (received.size() < body.size() || received.compare(received.size() - body.size(), body.size(), body) != 0) {
                const int n = peer.receiveBytes(buffer, sizeof buffer);
                if (n <= 0) break;
                received.append(buffer, static_cast<std::size_t>(n));
            }
        });
        Poco::Net::HTTPClientSession session("127.0.0.1", listener.address().port());
        std::ostream& out = session.sendRequest(request);
        out << body;
        out.flush();
        server.join();
        CPPUNIT_ASSERT(out.good());
        // The session adds its own fields (Host, Connection) before it writes the head.
        CPPUNIT_ASSERT(request.has("Host"));
        CPPUNIT_ASSERT_EQUAL(request.head() + body, received);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpHeadTest);
