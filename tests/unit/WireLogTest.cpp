// gateway/WireLog: the protocol inspector's ring of one server's messages — order, pairing of
// responses with their requests (both ways), the caps, the filters and the cursor.
#include "gateway/WireLog.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>

#include <string>

using namespace mc::host;
using Direction = WireLog::Direction;
using Kind = WireLog::Kind;

class WireLogTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(WireLogTest);
    CPPUNIT_TEST(messagesAreKeptInOrderAndResponsesPaired);
    CPPUNIT_TEST(theRingAndTheMessageAreCapped);
    CPPUNIT_TEST(filtersAndTheCursorPage);
    CPPUNIT_TEST(nothingIsKeptWhenOff);
    CPPUNIT_TEST(exchangesAreNamedByTheirRequestAndSecretsRedacted);
    CPPUNIT_TEST(headerSecretsAreRecognizedByName);
    CPPUNIT_TEST_SUITE_END();

public:
    void messagesAreKeptInOrderAndResponsesPaired() {
        WireLog log(10, 1024);
        log.record(Direction::Out, Kind::Request, "tools/call", "7", R"({"jsonrpc":"2.0","id":7,"method":"tools/call"})");
        log.record(Direction::In, Kind::Request, "elicitation/create", "\"s1\"", R"({"jsonrpc":"2.0","id":"s1","method":"elicitation/create"})");
        log.record(Direction::In, Kind::Notification, "notifications/progress", "", R"({"jsonrpc":"2.0","method":"notifications/progress"})");
        log.record(Direction::Out, Kind::Response, "", "\"s1\"", R"({"jsonrpc":"2.0","id":"s1","result":{}})");
        log.record(Direction::In, Kind::Error, "", "7", R"({"jsonrpc":"2.0","id":7,"error":{"code":-32603,"message":"x"}})");
        log.record(Direction::In, Kind::Response, "", "99", R"({"jsonrpc":"2.0","id":99,"result":{}})"); // never asked

        const auto all = log.query({});
        CPPUNIT_ASSERT_EQUAL(std::size_t(6), all.size());
        for (std::size_t i = 0; i < all.size(); ++i) CPPUNIT_ASSERT_EQUAL(std::uint64_t(6 - i), all[i].seq); // newest first
        // The server's question answered by the gateway: paired across directions.
        CPPUNIT_ASSERT_EQUAL(std::string("elicitation/create"), all[2].method);
        CPPUNIT_ASSERT(all[2].durationMicros >= 0);
        // The gateway's request answered with an error.
        CPPUNIT_ASSERT_EQUAL(std::string("tools/call"), all[1].method);
        CPPUNIT_ASSERT(all[1].durationMicros >= 0);
        CPPUNIT_ASSERT_EQUAL(std::string(""), all[0].method);
        CPPUNIT_ASSERT_EQUAL(-1LL, all[0].durationMicros);

        const auto json = Poco::JSON::Parser().parse(WireLog::toJson(all[1], "files")).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::string("files"), json->getValue<std::string>("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("in"), json->getValue<std::string>("direction"));
        CPPUNIT_ASSERT_EQUAL(std::string("error"), json->getValue<std::string>("kind"));
        CPPUNIT_ASSERT_EQUAL(7, json->getValue<int>("id"));
        CPPUNIT_ASSERT_EQUAL(-32603, json->getObject("message")->getObject("error")->getValue<int>("code"));
        CPPUNIT_ASSERT(json->get("duration_ms").isNumeric());
        const auto note = Poco::JSON::Parser().parse(WireLog::toJson(all[3], "files")).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT(note->isNull("id"));
        CPPUNIT_ASSERT(note->isNull("duration_ms"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(6), log.recorded());
    }

    void exchangesAreNamedByTheirRequestAndSecretsRedacted() {
        WireLog log(10, 1024);
        const auto asked = log.record(Direction::Out, Kind::Request, "tools/call", "7", R"({"jsonrpc":"2.0","id":7,"method":"tools/call"})");
        // Made once: the ring holds the entry the caller got, not a copy.
        CPPUNIT_ASSERT(asked && log.findRequest(Direction::Out, "7", asked->seq + 1) == asked);
        WireLog::Exchange x;
        x.method = "POST";
        x.target = "/mcp?x=1";
        x.status = 200;
        x.requestHeaders = "Mcp-Method: tools/call\r\nAuthorization: Bearer s3cr3t\r\nX-Api-Key: k\r\nAccept: a\r\nAccept: b\r\n";
        x.responseHeaders = "Content-Type: text/event-stream\r\nSet-Cookie: sid=1\r\nWWW-Authenticate: Bearer realm=\"x\"\r\n";
        x.requestBytes = 48;
        x.responseBytes = -1;
        x.durationMicros = 1500;
        x.jsonrpcId = "7";
        const auto entry = log.recordExchange(x);
        CPPUNIT_ASSERT(entry);
        const std::string text = WireLog::toJson(*entry, "files");
        CPPUNIT_ASSERT_MESSAGE(text, text.find("s3cr3t") == std::string::npos && text.find("sid=1") == std::string::npos);
        // The entry keeps the headers as they came; every way out redacts them, the stored record too.
        const std::string stored = WireLog::toCaptureJson(*entry, "files", "pm-1");
        CPPUNIT_ASSERT_MESSAGE(stored, stored.find("s3cr3t") == std::string::npos && stored.find("sid=1") == std::string::npos &&
                                           stored.find(R"("Authorization":"[redacted]")") != std::string::npos);
        const auto json = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::string("http"), json->getValue<std::string>("kind"));
        CPPUNIT_ASSERT_EQUAL(std::string("out"), json->getValue<std::string>("direction"));
        CPPUNIT_ASSERT_EQUAL(std::string("tools/call"), json->getValue<std::string>("method")); // from request 7
        CPPUNIT_ASSERT_EQUAL(7, json->getValue<int>("id"));
        CPPUNIT_ASSERT_EQUAL(1.5, json->getValue<double>("duration_ms"));
        CPPUNIT_ASSERT_EQUAL(48, json->getValue<int>("bytes"));
        CPPUNIT_ASSERT(json->isNull("message"));
        const auto http = json->getObject("http");
        CPPUNIT_ASSERT_EQUAL(std::string("POST"), http->getValue<std::string>("method"));
        CPPUNIT_ASSERT_EQUAL(std::string("/mcp?x=1"), http->getValue<std::string>("target"));
        CPPUNIT_ASSERT_EQUAL(200, http->getValue<int>("status"));
        CPPUNIT_ASSERT(http->isNull("response_bytes")); // an event stream declares no length
        CPPUNIT_ASSERT(http->isNull("error"));
        const auto sent = http->getObject("request_headers");
        CPPUNIT_ASSERT_EQUAL(std::string("tools/call"), sent->getValue<std::string>("Mcp-Method"));
        CPPUNIT_ASSERT_EQUAL(std::string("[redacted]"), sent->getValue<std::string>("Authorization"));
        CPPUNIT_ASSERT_EQUAL(std::string("[redacted]"), sent->getValue<std::string>("X-Api-Key"));
        CPPUNIT_ASSERT_EQUAL(std::string("a, b"), sent->getValue<std::string>("Accept"));
        const auto got = http->getObject("response_headers");
        CPPUNIT_ASSERT_EQUAL(std::string("[redacted]"), got->getValue<std::string>("Set-Cookie"));
        // Not a secret: it says how to authenticate.
        CPPUNIT_ASSERT_EQUAL(std::string("Bearer realm=\"x\""), got->getValue<std::string>("WWW-Authenticate"));
        // The request is still waiting for its response: the exchange did not consume the pairing.
        log.record(Direction::In, Kind::Response, "", "7", R"({"jsonrpc":"2.0","id":7,"result":{}})");
        CPPUNIT_ASSERT_EQUAL(std::string("tools/call"), log.query({})[0].method);

        // No response: status, headers and length are null; the error says why.
        WireLog::Exchange failed;
        failed.method = "GET";
        failed.target = "/mcp";
        failed.requestHeaders = "Accept: text/event-stream\r\n";
        failed.responseBytes = 0;
        failed.error = "Connection refused";
        const auto f = Poco::JSON::Parser().parse(WireLog::toJson(*log.recordExchange(failed), "files")).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT(f->isNull("method") && f->isNull("id"));
        const auto fh = f->getObject("http");
        CPPUNIT_ASSERT(fh->isNull("status") && fh->isNull("response_headers") && fh->isNull("response_bytes"));
        CPPUNIT_ASSERT_EQUAL(std::string("Connection refused"), fh->getValue<std::string>("error"));
        // The method filter finds exchanges by the request they carried.
        WireLog::Query byMethod;
        byMethod.method = "tools/call";
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), log.query(byMethod).size());
    }

    void headerSecretsAreRecognizedByName() {
        for (const char* name : {"Authorization", "proxy-authorization", "Cookie", "X-Auth-Token", "X-API-KEY", "Api_Key",
                                 "X-Client-Secret", "X-Password", "X-Amz-Signature"})
            CPPUNIT_ASSERT_MESSAGE(name, WireLog::isSecretHeader(name));
        for (const char* name : {"Mcp-Method", "Mcp-Name", "Mcp-Session-Id", "MCP-Protocol-Version", "Content-Type", "Accept",
                                 "WWW-Authenticate", "Last-Event-ID", "Host"})
            CPPUNIT_ASSERT_MESSAGE(name, !WireLog::isSecretHeader(name));
        // Lines without a name (an HTTP token) or a colon are skipped, not shown.
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"A":"1"})"), WireLog::headersJson("garbage\r\n: x\r\nA:1\r\nB C: 2\r\n\xff: 3"));
    }

    void theRingAndTheMessageAreCapped() {
        WireLog log(3, 16);
        for (int i = 1; i <= 5; ++i) log.record(Direction::Out, Kind::Notification, "n", "", "{\"n\":" + std::to_string(i) + "}");
        const auto kept = log.query({});
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), kept.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), kept.front().seq);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), kept.back().seq); // the oldest went first
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), log.recorded());

        const std::string big = R"({"jsonrpc":"2.0","method":"notifications/message","params":{"data":"0123456789"}})";
        const auto cut = *log.record(Direction::In, Kind::Notification, "notifications/message", "", big);
        CPPUNIT_ASSERT(cut.truncated);
        CPPUNIT_ASSERT_EQUAL(big.size(), cut.bytes);
        CPPUNIT_ASSERT_EQUAL(big.substr(0, 16), cut.json);
        // A cut message is text in the JSON view (it is no longer JSON).
        const auto json = Poco::JSON::Parser().parse(WireLog::toJson(cut, "x")).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(big.substr(0, 16), json->getValue<std::string>("message"));
        CPPUNIT_ASSERT(json->getValue<bool>("truncated"));
    }

    void filtersAndTheCursorPage() {
        WireLog log(100, 1024);
        for (int i = 1; i <= 10; ++i) {
            log.record(Direction::Out, Kind::Request, i % 2 ? "tools/call" : "tools/list", std::to_string(i), "{}");
            log.record(Direction::In, Kind::Response, "", std::to_string(i), "{}");
        }
        WireLog::Query calls;
        calls.method = "tools/call";
        CPPUNIT_ASSERT_EQUAL(std::size_t(10), log.query(calls).size()); // 5 requests and their 5 responses
        calls.direction = Direction::In;
        const auto answers = log.query(calls);
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), answers.size());
        for (const auto& a : answers) CPPUNIT_ASSERT(a.kind == Kind::Response && a.method == "tools/call");

        WireLog::Query page;
        page.limit = 8;
        const auto first = log.query(page);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(20), first.front().seq);
        page.before = first.back().seq;
        const auto second = log.query(page);
        CPPUNIT_ASSERT_EQUAL(first.back().seq - 1, second.front().seq);
        page.before = second.back().seq;
        const auto third = log.query(page);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), third.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), third.back().seq);
        CPPUNIT_ASSERT(WireLog::parseDirection("out") == Direction::Out && WireLog::parseDirection("in") == Direction::In);
        CPPUNIT_ASSERT(!WireLog::parseDirection("sideways"));
    }

    void nothingIsKeptWhenOff() {
        WireLog log(0, 1024);
        CPPUNIT_ASSERT(!log.enabled());
        CPPUNIT_ASSERT(!log.record(Direction::Out, Kind::Request, "ping", "1", "{}"));
        CPPUNIT_ASSERT(log.query({}).empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(WireLogTest);
