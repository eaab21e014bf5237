// The event-loop HTTP server on loopback with real sockets: slow and idle clients hold no worker and
// meet their deadlines, connection caps per address, pipelining, chunked bodies and 100-continue,
// deferred replies (and their timeout), a streamed response to a client that stops reading, held
// streams (server-sent events written from any thread; a backlogged client dropped), TLS with a
// certificate the test makes, and clear errors for malformed requests.
#include "TestHttp.h"
#include "TestTcp.h"
#include "TestTls.h"
#include "net/HttpServer.h"
#include "web/HttpUtil.h"
#include "web/Router.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/StreamCopier.h>
#include <cppunit/extensions/HelperMacros.h>


#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

using namespace mc::host;
using mc::test::httpGet;
using mc::test::httpRequest;
using Status = Poco::Net::HTTPResponse::HTTPStatus;
using Clock = std::chrono::steady_clock;

namespace {

using RawClient = mc::test::TcpClient;

long long millisSince(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

struct TestServer {
    Authenticator auth{""};
    Router router{auth, 1 << 20};
    std::unique_ptr<net::HttpServer> server;
    std::shared_ptr<DeferredReply> pending; // the "/api/hold" reply nobody completes until the test does
    std::mutex heldMutex;
    std::vector<std::shared_ptr<DeferredReply>> held; // the "/api/events" streams, in order
    std::atomic<int> abandonedStreams{0};
    std::shared_ptr<DeferredReply> heldStream(std::size_t i) {
        const auto start = Clock::now();
        for (;;) {
            {
                std::lock_guard lock(heldMutex);
                if (held.size() > i) return held[i];
            }
            if (millisSince(start) > 5000) return nullptr;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }

    explicit TestServer(net::HttpServerSettings settings = defaults()) {
        router.add(Route{"GET", "/health", std::nullopt,
                         [](RequestContext& c) { http::sendJson(c.response, Status::HTTP_OK, R"({"status":"ok"})"); }, ""});
        router.add(Route{"POST", "/api/echo", Role::Viewer,
                         [](RequestContext& c) {
                             const std::string body = c.readBody();
                             http::sendJson(c.response, Status::HTTP_OK, "{\"bytes\":" + std::to_string(body.size()) + "}");
                         },
                         ""});
        router.add(Route{"GET", "/api/later", Role::Viewer,
                         [](RequestContext& c) {
                             auto reply = c.defer(std::chrono::seconds(5), [](Poco::Net::HTTPServerResponse&) {});
                             std::thread([reply] {
                                 std::this_thread::sleep_for(std::chrono::milliseconds(300));
                                 reply->complete([](Poco::Net::HTTPServerResponse& r) {
                                     http::sendJson(r, Status::HTTP_OK, R"({"later":true})");
                                 });
                             }).detach();
                         },
                         ""});
        router.add(Route{"GET", "/api/hold", Role::Viewer,
                         [this](RequestContext& c) {
                             pending = c.defer(std::chrono::milliseconds(400), [](Poco::Net::HTTPServerResponse&) {
                                 throw HttpError(504, "timeout", "nobody answered");
                             });
                         },
                         ""});
        router.add(Route{"GET", "/api/events", Role::Viewer,
                         [this](RequestContext& c) {
                             // The deadline passes while the stream is open: an open stream is an answer.
                             auto reply = c.defer(std::chrono::milliseconds(200), [](Poco::Net::HTTPServerResponse&) {
                                 throw HttpError(504, "timeout", "the stream never opened");
                             });
                             reply->onAbandoned([this] { ++abandonedStreams; });
                             CPPUNIT_ASSERT(reply->openStream([](Poco::Net::HTTPServerResponse& r) {
                                 r.setContentType("text/event-stream");
                                 r.set("Cache-Control", "no-cache");
                             }));
                             std::lock_guard lock(heldMutex);
                             held.push_back(reply);
                         },
                         ""});
        router.add(Route{"GET", "/api/stream", Role::Viewer,
                         [](RequestContext& c) {
                             c.response.setChunkedTransferEncoding(true);
                             c.response.setContentType("text/plain");
                             auto& out = c.response.send();
                             const std::string line(1023, 'x');
                             for (int i = 0; i < 64 * 1024 && out.good(); ++i) out << line << '\n';
                         },
                         ""});
        server = std::make_unique<net::HttpServer>(settings, router);
        server->start();
    }
    ~TestServer() { server->stop(); }
    static net::HttpServerSettings defaults() {
        net::HttpServerSettings s;
        s.workerThreads = 2;
        s.headerTimeout = std::chrono::milliseconds(500);
        s.bodyTimeout = std::chrono::milliseconds(500);
        s.idleTimeout = std::chrono::milliseconds(300);
        s.writeTimeout = std::chrono::milliseconds(500);
        return s;
    }
    unsigned short port() const { return server->port(); }
};

} // namespace

class HttpServerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HttpServerTest);
    CPPUNIT_TEST(slowClientsHoldNoWorkerAndMeetTheirDeadlines);
    CPPUNIT_TEST(idleKeepAliveConnectionsAreClosed);
    CPPUNIT_TEST(responsesNameTheServerAndTheCurrentDate);
    CPPUNIT_TEST(connectionsPerAddressAreCapped);
    CPPUNIT_TEST(pipelinedChunkedAndContinuedRequests);
    CPPUNIT_TEST(aRequestSentWhileAnotherWaitsIsAnsweredAfterIt);
    CPPUNIT_TEST(deferredRepliesFreeTheWorker);
    CPPUNIT_TEST(aStreamToAClientThatStopsReadingEnds);
    CPPUNIT_TEST(heldStreamsAreWrittenFromAnyThreadAndABackloggedClientIsDropped);
    CPPUNIT_TEST(malformedRequestsGetAClearErrorAndTheServerGoesOn);
    CPPUNIT_TEST(tlsServesHttpsOnly);
    CPPUNIT_TEST_SUITE_END();

public:
    void slowClientsHoldNoWorkerAndMeetTheirDeadlines() {
        TestServer s; // 2 workers
        std::vector<std::unique_ptr<RawClient>> slow;
        for (int i = 0; i < 50; ++i) {
            slow.push_back(std::make_unique<RawClient>(s.port()));
            slow.back()->send("POST /api/echo HTTP/1.1\r\nHost: localhost\r\n"); // never finished
        }
        auto body = std::make_unique<RawClient>(s.port());
        body->send("POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const auto start = Clock::now();
        auto r = httpGet(s.port(), "/health");
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(millisSince(start)) + " ms", millisSince(start) < 100 * mc::test::timeScale());
        // The head deadline answers 408 and closes; so does the body deadline.
        const std::string answer = slow.front()->read(2000);
        CPPUNIT_ASSERT_MESSAGE(answer, answer.rfind("HTTP/1.1 408 ", 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(answer, answer.find("the request head was not received within 500 ms (http.header_timeout_ms)") !=
                                           std::string::npos);
        CPPUNIT_ASSERT(slow.front()->closedByPeer(1000));
        const std::string bodyAnswer = body->read(2000);
        CPPUNIT_ASSERT_MESSAGE(bodyAnswer, bodyAnswer.find("the request body was not received within 500 ms") != std::string::npos);
        const auto until = Clock::now() + std::chrono::seconds(3);
        while (s.server->stats().timedOut < 51 && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(51), s.server->stats().timedOut);
        // A client that connects and says nothing is simply hung up on.
        RawClient silent(s.port());
        CPPUNIT_ASSERT(silent.closedByPeer(2000));
    }

    void idleKeepAliveConnectionsAreClosed() {
        TestServer s;
        RawClient c(s.port());
        c.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
        const std::string first = c.read(1000, "\"ok\"}");
        CPPUNIT_ASSERT_MESSAGE(first, first.find("Connection: keep-alive") != std::string::npos);
        c.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"); // still open for a second request
        CPPUNIT_ASSERT(c.read(1000, "\"ok\"}").find("200 OK") != std::string::npos);
        const auto start = Clock::now();
        CPPUNIT_ASSERT(c.closedByPeer(2000)); // idle_timeout 300 ms
        CPPUNIT_ASSERT(millisSince(start) >= 250);
    }

    // Every response says who answered and when (RFC 9110 Date: the current second, though the server
    // formats it once a second).
    void responsesNameTheServerAndTheCurrentDate() {
        TestServer s;
        auto dateOf = [&] {
            auto r = httpGet(s.port(), "/health");
            CPPUNIT_ASSERT_EQUAL(200, r.status);
            std::string server, date;
            for (const auto& [name, value] : r.headers) {
                if (name == "Server") server = value;
                if (name == "Date") date = value;
            }
            CPPUNIT_ASSERT_EQUAL(std::string("mission-control/" MC_VERSION), server);
            int zone = 0;
            const auto when = Poco::DateTimeParser::parse(Poco::DateTimeFormat::HTTP_FORMAT, date, zone).timestamp();
            const auto skew = std::abs((Poco::Timestamp() - when) / 1000);
            CPPUNIT_ASSERT_MESSAGE(date + ": " + std::to_string(skew) + " ms off", skew <= 2000); // whole seconds, and a slow machine
            return when;
        };
        const auto first = dateOf();
        std::this_thread::sleep_for(std::chrono::milliseconds(1100));
        const auto second = dateOf();
        CPPUNIT_ASSERT_MESSAGE("the Date did not move on", second > first);
    }

    void connectionsPerAddressAreCapped() {
        auto settings = TestServer::defaults();
        settings.maxConnectionsPerAddress = 3;
        TestServer s(settings);
        std::vector<std::unique_ptr<RawClient>> held;
        for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<RawClient>(s.port(), "127.0.0.2"));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        RawClient fourth(s.port(), "127.0.0.2");
        const std::string refused = fourth.read(1000);
        CPPUNIT_ASSERT_MESSAGE(refused, refused.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0) == 0);
        CPPUNIT_ASSERT(refused.find("too many connections from 127.0.0.2 (http.max_connections_per_address)") != std::string::npos);
        // Other addresses are not affected; a closed connection frees its slot.
        CPPUNIT_ASSERT_EQUAL(200, httpGet(s.port(), "/health").status);
        held.pop_back();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        RawClient again(s.port(), "127.0.0.2");
        again.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
        CPPUNIT_ASSERT(again.read(1000, "\"ok\"}").rfind("HTTP/1.1 200 OK", 0) == 0);
        // A handler's error carries its status's own reason phrase, not "OK".
        again.send("GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n");
        const std::string missing = again.read(1000, "}}");
        CPPUNIT_ASSERT_MESSAGE(missing, missing.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
        CPPUNIT_ASSERT(s.server->stats().refusedOverCapacity >= 1);
    }

    void pipelinedChunkedAndContinuedRequests() {
        TestServer s;
        RawClient c(s.port());
        c.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
               "POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
               "3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n"
               "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        const std::string all = c.read(2000);
        const auto first = all.find("{\"status\":\"ok\"}");
        const auto second = all.find("{\"bytes\":7}");
        const auto third = all.find("{\"status\":\"ok\"}", first + 1);
        CPPUNIT_ASSERT_MESSAGE(all, first != std::string::npos && second != std::string::npos && third != std::string::npos);
        CPPUNIT_ASSERT(first < second && second < third); // in order
        CPPUNIT_ASSERT(c.closedByPeer(1000));               // Connection: close honoured
        // Expect: 100-continue gets its interim answer before the body is sent.
        RawClient e(s.port());
        e.send("POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
               "Expect: 100-continue\r\n\r\n");
        CPPUNIT_ASSERT_EQUAL(std::string("HTTP/1.1 100 Continue\r\n\r\n"), e.read(1000, "\r\n\r\n"));
        e.send("{}");
        CPPUNIT_ASSERT(e.read(1000, "}}").find("{\"bytes\":2}") != std::string::npos);
    }

    // A request that waits for its answer: what the client sends meanwhile is kept, and answered after
    // it, in order, on the same connection; its answer comes from another thread.
    void aRequestSentWhileAnotherWaitsIsAnsweredAfterIt() {
        TestServer s;
        RawClient c(s.port());
        c.send("GET /api/later HTTP/1.1\r\nHost: localhost\r\n\r\n");
        std::this_thread::sleep_for(std::chrono::milliseconds(100)); // /api/later answers after 300 ms
        c.send("POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
               "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
        const std::string all = c.read(3000 * mc::test::timeScale(), "{\"status\":\"ok\"}");
        const auto later = all.find("{\"later\":true}"), echoed = all.find("{\"bytes\":2}"), health = all.find("{\"status\":\"ok\"}");
        CPPUNIT_ASSERT_MESSAGE(all, later != std::string::npos && echoed != std::string::npos && health != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(all, later < echoed && echoed < health);
        // The connection goes on: each of several requests answered from another thread, one after the other.
        for (int i = 0; i < 3; ++i) {
            c.send("GET /api/later HTTP/1.1\r\nHost: localhost\r\n\r\n");
            CPPUNIT_ASSERT(c.read(3000 * mc::test::timeScale(), "{\"later\":true}").find("{\"later\":true}") != std::string::npos);
        }
    }

    void deferredRepliesFreeTheWorker() {
        auto settings = TestServer::defaults();
        settings.workerThreads = 1;
        TestServer s(settings);
        std::vector<std::thread> waiting;
        std::atomic<int> answered{0};
        for (int i = 0; i < 5; ++i)
            waiting.emplace_back([&] {
                if (httpGet(s.port(), "/api/later").body == R"({"later":true})") ++answered;
            });
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        // Five replies are pending on one worker; it still serves at once.
        const auto start = Clock::now();
        CPPUNIT_ASSERT_EQUAL(200, httpGet(s.port(), "/health").status);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(millisSince(start)) + " ms", millisSince(start) < 100 * mc::test::timeScale());
        for (auto& t : waiting) t.join();
        CPPUNIT_ASSERT_EQUAL(5, answered.load());
        // A reply nobody completes is answered by its timeout; completing it later changes nothing.
        auto r = httpGet(s.port(), "/api/hold");
        CPPUNIT_ASSERT_EQUAL(504, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("nobody answered"), r.json()->getObject("error")->getValue<std::string>("message"));
        s.pending->complete([](Poco::Net::HTTPServerResponse& resp) { http::sendJson(resp, Status::HTTP_OK, "{}"); });
        CPPUNIT_ASSERT_EQUAL(200, httpGet(s.port(), "/health").status);
    }

    void aStreamToAClientThatStopsReadingEnds() {
        auto settings = TestServer::defaults();
        settings.workerThreads = 1;
        TestServer s(settings);
        RawClient reader(s.port(), "127.0.0.1", 4096);
        reader.send("GET /api/stream HTTP/1.1\r\nHost: localhost\r\n\r\n");
        CPPUNIT_ASSERT(reader.read(1000, "\r\n\r\n").find("Transfer-Encoding: chunked") != std::string::npos);
        // The client reads no more: after write_timeout its stream fails, the worker is free again.
        const auto start = Clock::now();
        while (httpGet(s.port(), "/health").status != 200 || s.server->stats().workersBusy > 0) {
            CPPUNIT_ASSERT_MESSAGE("the streaming worker was never released", millisSince(start) < 5000);
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        // What was sent before is still delivered, then the connection ends (not a hang).
        CPPUNIT_ASSERT(reader.closedByPeer(5000));
    }

    void heldStreamsAreWrittenFromAnyThreadAndABackloggedClientIsDropped() {
        auto settings = TestServer::defaults();
        settings.workerThreads = 1;
        settings.idleTimeout = std::chrono::milliseconds(2000);
        TestServer s(settings);
        // A reader: the head at once, pieces as they are sent (past the deferral's deadline), the end,
        // then the same connection serves the next request.
        RawClient reader(s.port());
        reader.send("GET /api/events HTTP/1.1\r\nHost: localhost\r\n\r\n");
        const std::string head = reader.read(2000, "\r\n\r\n");
        CPPUNIT_ASSERT_MESSAGE(head, head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(head, head.find("Content-Type: text/event-stream\r\n") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(head, head.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
        auto stream = s.heldStream(0);
        CPPUNIT_ASSERT(stream);
        // The worker is free while the stream is open.
        CPPUNIT_ASSERT_EQUAL(200, httpGet(s.port(), "/health").status);
        std::thread([stream] { CPPUNIT_ASSERT(stream->send("data: one\n\n")); }).join();
        CPPUNIT_ASSERT_EQUAL(std::string("b\r\ndata: one\n\n\r\n"), reader.read(2000, "one\n\n\r\n"));
        std::this_thread::sleep_for(std::chrono::milliseconds(400)); // the 200 ms deadline passed
        CPPUNIT_ASSERT(stream->send("data: two\n\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("b\r\ndata: two\n\n\r\n"), reader.read(2000, "two\n\n\r\n"));
        stream->end();
        CPPUNIT_ASSERT_EQUAL(std::string("0\r\n\r\n"), reader.read(2000, "0\r\n\r\n"));
        CPPUNIT_ASSERT(!stream->send("data: late\n\n"));
        reader.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
        CPPUNIT_ASSERT(reader.read(2000, "}").find("{\"status\":\"ok\"}") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(0, s.abandonedStreams.load());

        // A client that reads nothing: sending never waits, and past the backlog the client is dropped.
        RawClient stalled(s.port(), "127.0.0.1", 4096);
        stalled.send("GET /api/events HTTP/1.1\r\nHost: localhost\r\n\r\n");
        auto backlogged = s.heldStream(1);
        CPPUNIT_ASSERT(backlogged);
        const std::string piece = "data: " + std::string(64 * 1024, 'x') + "\n\n";
        int sent = 0;
        const auto start = Clock::now();
        while (backlogged->send(piece)) {
            ++sent;
            CPPUNIT_ASSERT_MESSAGE(std::to_string(sent) + " pieces of 64 kB accepted", sent < 200);
        }
        CPPUNIT_ASSERT_MESSAGE(std::to_string(millisSince(start)) + " ms", millisSince(start) < 1000 * mc::test::timeScale());
        // The backlog allowance is 1 MiB: 15 pieces of 64 KiB and their framing fit in it when the loop has
        // written none of them to the socket yet (more when it has).
        CPPUNIT_ASSERT_MESSAGE(std::to_string(sent), sent >= 15);
        CPPUNIT_ASSERT(stalled.closedByPeer(5000));
        // A client that goes away while its stream is open: whoever writes hears of it.
        {
            RawClient leaving(s.port());
            leaving.send("GET /api/events HTTP/1.1\r\nHost: localhost\r\n\r\n");
            CPPUNIT_ASSERT(s.heldStream(2));
            leaving.read(2000, "\r\n\r\n");
        }
        const auto waited = Clock::now();
        while (s.abandonedStreams.load() < 2 && millisSince(waited) < 5000) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        CPPUNIT_ASSERT_EQUAL(2, s.abandonedStreams.load()); // the dropped one and the one that left
        CPPUNIT_ASSERT(!s.heldStream(2)->send("data: gone\n\n"));
    }

    void malformedRequestsGetAClearErrorAndTheServerGoesOn() {
        TestServer s;
        const auto answer = [&](const std::string& request) {
            RawClient c(s.port());
            c.send(request);
            return c.read(1000);
        };
        std::string r = answer("GARBAGE\r\n\r\n");
        CPPUNIT_ASSERT_MESSAGE(r, r.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
        CPPUNIT_ASSERT(r.find(R"("code":"bad_request","message":"malformed request line: expected 'METHOD /path HTTP/1.1'")") !=
                       std::string::npos);
        r = answer("POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
        CPPUNIT_ASSERT(r.find("Content-Length and Transfer-Encoding together are ambiguous") != std::string::npos);
        r = answer("GET /health HTTP/1.1\r\nHost: localhost\r\nX: " + std::string(20000, 'a') + "\r\n\r\n");
        CPPUNIT_ASSERT_MESSAGE(r, r.rfind("HTTP/1.1 431 ", 0) == 0);
        CPPUNIT_ASSERT(r.find("\"code\":\"headers_too_large\"") != std::string::npos);
        r = answer("POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 99999999\r\n\r\n");
        CPPUNIT_ASSERT_MESSAGE(r, r.rfind("HTTP/1.1 413 ", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(200, httpGet(s.port(), "/health").status);
    }

    void tlsServesHttpsOnly() {
        Poco::Net::initializeSSL();
        struct Uninitialize {
            ~Uninitialize() { Poco::Net::uninitializeSSL(); }
        } uninitialize;
        mc::test::SelfSignedCertificate certificate;
        auto settings = TestServer::defaults();
        settings.tlsCertificateFile = certificate.certificateFile();
        settings.tlsKeyFile = certificate.keyFile();
        TestServer s(settings);
        CPPUNIT_ASSERT(s.server->secure());
        Poco::Net::Context::Ptr context(new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", certificate.certificateFile(),
                                                               Poco::Net::Context::VERIFY_STRICT));
        for (int i = 0; i < 2; ++i) { // a second session: a fresh handshake on a server that served one
            Poco::Net::HTTPSClientSession session("127.0.0.1", s.port(), context);
            session.setTimeout(Poco::Timespan(5, 0));
            Poco::Net::HTTPRequest request("POST", "/api/echo", Poco::Net::HTTPMessage::HTTP_1_1);
            request.setContentType("application/json");
            const std::string body(100000, ' ');
            request.setContentLength(static_cast<std::streamsize>(body.size() + 2));
            session.sendRequest(request) << "{}" << body;
            Poco::Net::HTTPResponse response;
            std::string text;
            Poco::StreamCopier::copyToString(session.receiveResponse(response), text);
            CPPUNIT_ASSERT_EQUAL(200, static_cast<int>(response.getStatus()));
            CPPUNIT_ASSERT_EQUAL(std::string("{\"bytes\":100002}"), text);
        }
        // Plain HTTP to the TLS port is not served: the handshake fails and the connection closes.
        RawClient plain(s.port());
        plain.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
        CPPUNIT_ASSERT(plain.read(1000).find("200 OK") == std::string::npos);
        CPPUNIT_ASSERT(plain.closedByPeer(2000));
        // A key that does not match its certificate is refused with both files named.
        mc::test::SelfSignedCertificate other;
        settings.tlsKeyFile = other.keyFile();
        Authenticator auth("");
        Router router(auth, 1024);
        try {
            net::HttpServer bad(settings, router);
            CPPUNIT_FAIL("a mismatched key was accepted");
        } catch (const std::runtime_error& e) {
            const std::string message = e.what();
            CPPUNIT_ASSERT_MESSAGE(message, message.find("http.tls.key '" + other.keyFile() + "' is not a usable PEM private key") == 0);
            CPPUNIT_ASSERT_MESSAGE(message, message.find("key values mismatch") != std::string::npos);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpServerTest);
