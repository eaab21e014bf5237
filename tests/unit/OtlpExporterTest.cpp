// The exporter's delivery (host/src/export/OtlpExporter) against a scripted collector on loopback:
// batching, encodings and headers as configured, retry of what the collector could not take for now
// (Retry-After honoured), no retry of what it refused, a bounded queue, and stop() sending what is
// queued. (The exporter against a real receiver, a second host, is OtlpExportTest.)
#include "GatewayTestSupport.h"
#include "export/OtlpExporter.h"
#include "util/TraceIds.h"

#include <Poco/InflatingStream.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <sstream>
#include <thread>

using namespace mc::host;
using mc::test::eventually;

namespace {

// A collector that answers each request with the next scripted status (200 when the script is done).
struct Collector {
    struct Received {
        std::string contentType, contentEncoding, authorization, body;
        std::size_t spans = 0;
    };
    struct Reply {
        int status = 200;
        std::string retryAfter;
        std::string body;
    };
    std::mutex mutex;
    std::deque<Reply> script;
    std::vector<Received> received;

    class Handler : public Poco::Net::HTTPRequestHandler {
    public:
        explicit Handler(Collector& c) : c_(c) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
            Received r;
            r.contentType = request.getContentType();
            r.contentEncoding = request.get("Content-Encoding", "");
            r.authorization = request.get("Authorization", "");
            Poco::StreamCopier::copyToString(request.stream(), r.body);
            if (r.contentEncoding == "gzip") {
                std::istringstream in(r.body);
                Poco::InflatingInputStream inflate(in, Poco::InflatingStreamBuf::STREAM_GZIP);
                std::string plain;
                Poco::StreamCopier::copyToString(inflate, plain);
                r.body = plain;
            }
            try {
                r.spans = r.contentType == "application/json" ? mc::otlp::decodeTracesJson(r.body).spanCount()
                                                              : mc::otlp::decodeTracesProtobuf(r.body).spanCount();
            } catch (const std::exception&) {
                r.spans = 0;
            }
            Reply reply;
            {
                std::lock_guard lock(c_.mutex);
                c_.received.push_back(r);
                if (!c_.script.empty()) {
                    reply = c_.script.front();
                    c_.script.pop_front();
                }
            }
            response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
            if (!reply.retryAfter.empty()) response.set("Retry-After", reply.retryAfter);
            response.setContentType(r.contentType);
            response.sendBuffer(reply.body.data(), reply.body.size());
        }

    private:
        Collector& c_;
    };
    class Factory : public Poco::Net::HTTPRequestHandlerFactory {
    public:
        explicit Factory(Collector& c) : c_(c) {}
        Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override { return new Handler(c_); }

    private:
        Collector& c_;
    };

    Poco::Net::ServerSocket socket;
    Poco::Net::HTTPServer server;

    explicit Collector(unsigned short port = 0)
        : socket(Poco::Net::SocketAddress("127.0.0.1", port)), server(new Factory(*this), socket, new Poco::Net::HTTPServerParams) {
        server.start();
    }
    ~Collector() { server.stopAll(true); }
    unsigned short port() const { return socket.address().port(); }
    std::size_t requests() {
        std::lock_guard lock(mutex);
        return received.size();
    }
    std::vector<Received> all() {
        std::lock_guard lock(mutex);
        return received;
    }
};

OtlpExportSettings settingsFor(unsigned short port) {
    OtlpExportSettings s;
    s.enabled = true;
    s.scheme = "http";
    s.host = "127.0.0.1";
    s.port = port;
    s.path = "/v1/traces";
    s.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/traces";
    s.serviceName = "mission-control";
    s.batchMaxSpans = 4;
    s.batchDelay = std::chrono::milliseconds(50);
    s.queueMaxSpans = 100;
    s.timeout = std::chrono::milliseconds(2000);
    s.retryInitial = std::chrono::milliseconds(20);
    s.retryMax = std::chrono::milliseconds(100);
    s.retryMaxElapsed = std::chrono::milliseconds(5000);
    return s;
}

McpCallRecord call(int n, const std::string& method = "tools/call") {
    McpCallRecord c;
    c.mcpId = "every";
    c.transport = "stdio";
    c.method = method;
    c.target = method == "tools/call" ? "echo" : "";
    c.requestId = n;
    c.traceId = randomTraceId();
    c.spanId = randomSpanId();
    c.startUnixNano = 1000;
    c.endUnixNano = 2000;
    return c;
}

} // namespace

class OtlpExporterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OtlpExporterTest);
    CPPUNIT_TEST(batchesByCountAndByDelay);
    CPPUNIT_TEST(jsonGzipAndHeadersAsConfigured);
    CPPUNIT_TEST(retriesWhatTheCollectorCouldNotTakeForNow);
    CPPUNIT_TEST(dropsWhatTheCollectorRefused);
    CPPUNIT_TEST(retriesUntilTheCollectorListens);
    CPPUNIT_TEST(queueIsBoundedAndCountsDrops);
    CPPUNIT_TEST(partialSuccessCountsRejectedSpans);
    CPPUNIT_TEST(pingsAndReceivedRecordsAreNotExported);
    CPPUNIT_TEST(stopSendsWhatIsQueued);
    CPPUNIT_TEST_SUITE_END();

public:
    void batchesByCountAndByDelay() {
        Collector collector;
        OtlpExporter exporter(settingsFor(collector.port()), "1.2.3");
        exporter.start();
        for (int i = 1; i <= 9; ++i) exporter.offerCall(call(i));
        CPPUNIT_ASSERT(eventually([&] { return exporter.stats().exported == 9; }));
        const auto got = collector.all();
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), got.size()); // 4, 4, and 1 after batch_delay_ms
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), got[0].spans);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), got[1].spans);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), got[2].spans);
        CPPUNIT_ASSERT_EQUAL(std::string("application/x-protobuf"), got[0].contentType);
        const auto request = mc::otlp::decodeTracesProtobuf(got[0].body);
        const auto& resource = request.resources.at(0).resource;
        CPPUNIT_ASSERT_EQUAL(std::string("mission-control"), mc::otlp::find(resource, "service.name")->text);
        CPPUNIT_ASSERT_EQUAL(std::string("1.2.3"), mc::otlp::find(resource, "service.version")->text);
        CPPUNIT_ASSERT_EQUAL(std::size_t(36), mc::otlp::find(resource, "service.instance.id")->text.size());
        CPPUNIT_ASSERT_EQUAL(std::string("tools/call echo"), request.resources[0].scopes.at(0).spans.at(0).name);
        const auto s = exporter.stats();
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), s.requests);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), s.requestErrors);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), s.queued);
    }

    void jsonGzipAndHeadersAsConfigured() {
        Collector collector;
        auto settings = settingsFor(collector.port());
        settings.json = true;
        settings.gzip = true;
        settings.headers = {{"Authorization", "Bearer t0ken"}};
        OtlpExporter exporter(settings, "1.2.3");
        exporter.start();
        exporter.offerCall(call(1));
        CPPUNIT_ASSERT(eventually([&] { return exporter.stats().exported == 1; }));
        const auto got = collector.all();
        CPPUNIT_ASSERT_EQUAL(std::string("application/json"), got.at(0).contentType);
        CPPUNIT_ASSERT_EQUAL(std::string("gzip"), got[0].contentEncoding);
        CPPUNIT_ASSERT_EQUAL(std::string("Bearer t0ken"), got[0].authorization);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), got[0].spans);
    }

    void retriesWhatTheCollectorCouldNotTakeForNow() {
        Collector collector;
        collector.script = {{503, "", ""}, {429, "1", ""}, {200, "", ""}};
        OtlpExporter exporter(settingsFor(collector.port()), "1");
        exporter.start();
        const auto started = std::chrono::steady_clock::now();
        exporter.offerCall(call(1));
        CPPUNIT_ASSERT(eventually([&] { return exporter.stats().exported == 1; }));
        // The 429's Retry-After (1 s) was waited for, not the 20-40 ms backoff.
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(1000));
        const auto got = collector.all();
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), got.size());
        CPPUNIT_ASSERT(got[0].body == got[2].body); // the same batch, sent again
        const auto s = exporter.stats();
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), s.requestErrors);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), s.failed);
    }

    void dropsWhatTheCollectorRefused() {
        Collector collector;
        collector.script = {{400, "", "bad span"}};
        OtlpExporter exporter(settingsFor(collector.port()), "1");
        exporter.start();
        exporter.offerCall(call(1));
        exporter.offerCall(call(2));
        CPPUNIT_ASSERT(eventually([&] { return exporter.stats().failed == 2; }));
        exporter.offerCall(call(3));
        CPPUNIT_ASSERT(eventually([&] { return exporter.stats().exported == 1; }));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), collector.requests()); // the refused batch was not sent again
    }

    void retriesUntilTheCollectorListens() {
        unsigned short port = 0;
        {
            Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
            port = probe.address().port();
        }
        OtlpExporter exporter(settingsFor(port), "1");
        exporter.start();
        exporter.offerCall(call(1));
        CPPUNIT_ASSERT(eventually([&] { return exporter.stats().requestErrors >= 2; }));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), exporter.stats().queued);
        // A collector on that port now: the batch gets through.
        Collector late(port);
        CPPUNIT_ASSERT(eventually([&] { return exporter.stats().exported == 1; }));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), late.requests());
    }

    void queueIsBoundedAndCountsDrops() {
        auto settings = settingsFor(1); // never started: nothing leaves the queue
        settings.queueMaxSpans = 5;
        OtlpExporter exporter(settings, "1");
        for (int i = 1; i <= 8; ++i) exporter.offerCall(call(i));
        const auto s = exporter.stats();
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), s.queued);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), s.droppedQueueFull);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), s.offered);
    }

    void partialSuccessCountsRejectedSpans() {
        Collector collector;
        collector.script = {{200, "", R"({"partialSuccess":{"rejectedSpans":"1","errorMessage":"one span too old"}})"}};
        auto settings = settingsFor(collector.port());
        settings.json = true;
        OtlpExporter exporter(settings, "1");
        exporter.start();
        for (int i = 1; i <= 3; ++i) exporter.offerCall(call(i));
        CPPUNIT_ASSERT(eventually([&] { return exporter.stats().requests == 1; }));
        const auto s = exporter.stats();
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), s.exported);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), s.rejected);
    }

    void pingsAndReceivedRecordsAreNotExported() {
        OtlpExporter exporter(settingsFor(1), "1");
        exporter.offerCall(call(1, "ping"));
        const auto& step = *mc::records::findKind("step");
        const auto& log = *mc::records::findKind("log");
        mc::records::NormalizedRecord r;
        r.id = "S-1";
        r.values.resize(step.fields.size());
        r.present.resize(step.fields.size());
        exporter.offerRecord("receiver-otlp", true, step, r);  // the agent's own telemetry
        exporter.offerRecord("gateway", false, step, r);       // its MCP client span stands for it
        exporter.offerRecord("api", false, log, r);            // not a thread or step
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), exporter.stats().offered);
        exporter.offerRecord("api", false, step, r);
        exporter.offerCall(call(2, "initialize"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), exporter.stats().offered);

        auto settings = settingsFor(1);
        settings.includePings = true;
        OtlpExporter withPings(settings, "1");
        withPings.offerCall(call(1, "ping"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), withPings.stats().offered);
    }

    void stopSendsWhatIsQueued() {
        Collector collector;
        auto settings = settingsFor(collector.port());
        settings.batchDelay = std::chrono::milliseconds(60000); // only stop() sends it
        settings.batchMaxSpans = 100;
        OtlpExporter exporter(settings, "1");
        exporter.start();
        for (int i = 1; i <= 3; ++i) exporter.offerCall(call(i));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), collector.requests());
        exporter.stop();
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), exporter.stats().exported);
        exporter.offerCall(call(4)); // after stop: counted, not queued
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), exporter.stats().droppedQueueFull);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OtlpExporterTest);
