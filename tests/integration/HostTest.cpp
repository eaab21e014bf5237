// The whole host in-process: real plugins from build/plugins, a real SQLite file, real HTTP and
// WebSocket clients over loopback.
#include "GatewayTestSupport.h"
#include "HostProcess.h"
#include "InProcessHost.h"
#include "TestHttp.h"
#include "TestTcp.h"
#include "TestTls.h"
#include "TestWebSocket.h"
#include "app/HostRuntime.h"
#include "core/Broadcaster.h"
#include "core/EventRouter.h"
#include "log/Logging.h"
#include "store/MigrationRunner.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/StreamCopier.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>
#include <spdlog/sinks/ostream_sink.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <mutex>
#include <sstream>

using namespace mc::host;
using mc::test::httpGet;
using mc::test::httpRequest;
using mc::test::TempDir;
using mc::test::TestWebSocket;

namespace {
const std::string kSecret = "host-test-secret-0123456789";

struct TestHost : mc::test::InProcessHost {
    explicit TestHost(const Overrides& overrides = {}, bool start = true)
        : InProcessHost(overrides, start ? Until::Everything : Until::Constructed) {}
};
} // namespace

class HostTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HostTest);
    CPPUNIT_TEST(healthReportsStorePluginsAndClients);
    CPPUNIT_TEST(pluginsEndpointListsTheStore);
    CPPUNIT_TEST(authProtectsApiAndWebSocketButNotLiveness);
    CPPUNIT_TEST(eventsRouteFromTheCoreToSubscribers);
    CPPUNIT_TEST(shutdownClosesClientsWith1001);
    CPPUNIT_TEST(pluginStatusAndFindingsReachTheHost);
    CPPUNIT_TEST(pluginWhoseStartFailsIsAPermanentError);
    CPPUNIT_TEST(aReceiverThatFailsWithoutAnsweringIsAnsweredByTheHost);
    CPPUNIT_TEST(tlsServesTheHostOverHttps);
    CPPUNIT_TEST(stopDrainsRequestsBeforeTheStoreCloses);
    CPPUNIT_TEST(missingStorePluginIsAClearStartupError);
    CPPUNIT_TEST(unknownKeysAreWarnedAbout);
    CPPUNIT_TEST(theStorePluginReplacedOrRemovedWhileTheHostRuns);
    CPPUNIT_TEST_SUITE_END();

public:
    void healthReportsStorePluginsAndClients() {
        TestHost host;
        CPPUNIT_ASSERT_EQUAL(200, httpGet(host.port(), "/health").status);
        TestWebSocket client(host.port());
        client.receiveType("welcome");
        auto r = httpGet(host.port(), "/api/health");
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        auto body = r.json();
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), body->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), body->getObject("store")->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("store-sqlite"), body->getObject("store")->getValue<std::string>("plugin"));
        CPPUNIT_ASSERT_EQUAL(std::string("sqlite"), body->getObject("store")->getValue<std::string>("dialect"));
        const auto shipped = mc::host::MigrationRunner(std::string(MC_TEST_BUILD_DIR) + "/share/mission-control/migrations",
                                                       "sqlite", "store.sqlite.path").scan();
        CPPUNIT_ASSERT_EQUAL(shipped.back().version, body->getObject("store")->getValue<int64_t>("schema_version"));
        CPPUNIT_ASSERT(body->getObject("plugins")->getValue<int>("loaded") >= 1);
        // Every instance's status row, and the worst of them.
        const auto plugins = body->getObject("plugins");
        CPPUNIT_ASSERT(plugins->has("status"));
        bool storeRow = false;
        for (std::size_t i = 0; i < plugins->getArray("instances")->size(); ++i) {
            auto row = plugins->getArray("instances")->getObject(static_cast<unsigned>(i));
            if (row->getValue<std::string>("plugin") != "store-sqlite") continue;
            storeRow = true;
            CPPUNIT_ASSERT_EQUAL(std::string("ok"), row->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(std::string("default"), row->getValue<std::string>("instance"));
        }
        CPPUNIT_ASSERT(storeRow);
        CPPUNIT_ASSERT_EQUAL(1, body->getObject("websocket")->getValue<int>("connected"));
        CPPUNIT_ASSERT(body->getValue<double>("uptime_seconds") >= 0.0);
    }

    void pluginsEndpointListsTheStore() {
        TestHost host;
        auto r = httpGet(host.port(), "/api/plugins");
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        auto plugins = r.json()->getArray("plugins");
        bool found = false;
        for (std::size_t i = 0; i < plugins->size(); ++i) {
            auto p = plugins->getObject(static_cast<unsigned>(i));
            if (p->optValue<std::string>("id", "") != "store-sqlite") continue;
            found = true;
            CPPUNIT_ASSERT_EQUAL(std::string("loaded"), p->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(std::string("store"), p->getValue<std::string>("kind"));
            CPPUNIT_ASSERT_EQUAL(std::to_string(MC_ABI_MAJOR) + "." + std::to_string(MC_ABI_MINOR), p->getValue<std::string>("abi"));
            CPPUNIT_ASSERT_EQUAL(std::string("store.sqlite"), p->getValue<std::string>("config_prefix"));
            auto instances = p->getArray("instances");
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), instances->size());
            CPPUNIT_ASSERT_EQUAL(std::string("ok"), instances->getObject(0)->getValue<std::string>("status"));
        }
        CPPUNIT_ASSERT_MESSAGE(r.body, found);
    }

    void authProtectsApiAndWebSocketButNotLiveness() {
        TestHost host({{"auth.jwt.secret", kSecret}});
        CPPUNIT_ASSERT_EQUAL(200, httpGet(host.port(), "/health").status);
        auto denied = httpGet(host.port(), "/api/health");
        CPPUNIT_ASSERT_EQUAL(401, denied.status);
        CPPUNIT_ASSERT(denied.body.find("\"store\"") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("unauthorized"), denied.json()->getObject("error")->getValue<std::string>("code"));
        const std::string token = host.runtime->auth().issue("ui", Role::Viewer);
        CPPUNIT_ASSERT_EQUAL(200, httpGet(host.port(), "/api/plugins", {{"Authorization", "Bearer " + token}}).status);
        try {
            TestWebSocket anonymous(host.port());
            CPPUNIT_FAIL("the WebSocket upgrade must be refused without a token");
        } catch (const Poco::Net::WebSocketException& e) {
            CPPUNIT_ASSERT(e.message().find("401") != std::string::npos || e.code() == Poco::Net::WebSocket::WS_ERR_UNAUTHORIZED ||
                           e.code() == Poco::Net::WebSocket::WS_ERR_NO_HANDSHAKE);
        }
        TestWebSocket browser(host.port(), "/ws?token=" + token);
        auto welcome = browser.receiveType("welcome");
        CPPUNIT_ASSERT_EQUAL(std::string("viewer"), welcome->getValue<std::string>("role"));
    }

    void eventsRouteFromTheCoreToSubscribers() {
        TestHost host;
        TestWebSocket errors(host.port()), mcp(host.port()), threads(host.port());
        for (auto* c : {&errors, &mcp, &threads}) c->receiveType("welcome");
        errors.sendText(R"({"type":"subscribe","channel":"logs:ERROR","request_id":"a"})");
        CPPUNIT_ASSERT_EQUAL(std::string("a"), errors.receiveType("subscribed")->getValue<std::string>("request_id"));
        mcp.sendText(R"({"type":"subscribe","channel":"logs:mcp:files","request_id":"b"})");
        mcp.receiveType("subscribed");
        threads.sendText(R"({"type":"subscribe","channel":"threads","request_id":"c"})");
        threads.receiveType("subscribed");

        std::string error;
        CPPUNIT_ASSERT_EQUAL(MC_OK, host.runtime->events().route("test", "log",
                                                                  R"({"level":"INFO","service":"s","mcp_id":"files","message":"hello"})", &error));
        CPPUNIT_ASSERT_EQUAL(MC_OK, host.runtime->events().route("test", "log",
                                                                  R"({"level":"ERROR","service":"s","mcp_id":"files","message":"boom"})", &error));
        CPPUNIT_ASSERT_EQUAL(MC_OK, host.runtime->events().route("test", "thread", R"({"id":"T-1","status":"running","mcp_id":"files"})", &error));
        CPPUNIT_ASSERT(host.runtime->events().route("test", "log", "not json", &error) != MC_OK);
        CPPUNIT_ASSERT(!error.empty());
        // Persisted kinds are validated by the event model before anything is published.
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT,
                             host.runtime->events().route("test", "log", R"({"level":"ERROR","mcp_id":"files"})", &error));
        CPPUNIT_ASSERT_EQUAL(std::string("field 'service' is required"), error);

        auto first = errors.receiveType("log");
        CPPUNIT_ASSERT_EQUAL(std::string("boom"), first->getObject("payload")->getValue<std::string>("message"));
        auto a = mcp.receiveType("log");
        auto b = mcp.receiveType("log");
        CPPUNIT_ASSERT_EQUAL(std::string("hello"), a->getObject("payload")->getValue<std::string>("message"));
        CPPUNIT_ASSERT_EQUAL(std::string("boom"), b->getObject("payload")->getValue<std::string>("message"));
        CPPUNIT_ASSERT(a->getValue<Poco::UInt64>("seq") < b->getValue<Poco::UInt64>("seq"));
        CPPUNIT_ASSERT_EQUAL(b->getValue<Poco::UInt64>("seq"), first->getValue<Poco::UInt64>("seq"));
        auto t = threads.receiveType("thread");
        CPPUNIT_ASSERT_EQUAL(std::string("T-1"), t->getObject("payload")->getValue<std::string>("id"));
        CPPUNIT_ASSERT_EQUAL(std::string("test"), t->getValue<std::string>("source"));
    }

    void shutdownClosesClientsWith1001() {
        TestHost host;
        TestWebSocket client(host.port());
        client.receiveType("welcome");
        host.runtime->stop();
        auto code = client.receiveClose();
        CPPUNIT_ASSERT(code.has_value());
        CPPUNIT_ASSERT_EQUAL(1001, *code);
    }

    // A discovery plugin's status reports (the host's STARTING, the SDK's OK after start) travel the
    // status table to the `plugins` channel, and what it found through the typed output reaches the
    // discovery service.
    void pluginStatusAndFindingsReachTheHost() {
        TempDir plugins;
        std::filesystem::copy_file(std::string(MC_TEST_PLUGIN_DIR) + "/store-sqlite.so", plugins.file("store-sqlite.so"));
        std::filesystem::copy_file(std::string(MC_TEST_FIXTURE_PLUGIN_DIR) + "/good-discovery.so",
                                   plugins.file("good-discovery.so"));
        TestHost host({{"plugins.dir", plugins.path()}}, false);
        struct Capture : BroadcastSubscriber {
            std::mutex mutex;
            std::vector<std::string> events;
            void deliver(std::uint64_t, const SharedFrame& frame) override {
                std::lock_guard<std::mutex> lock(mutex);
                events.emplace_back(Broadcaster::eventJson(frame));
            }
        } capture;
        host.runtime->broadcaster().subscribe("plugins:fixture-discovery", &capture);
        host.runtime->start();
        host.runtime->broadcaster().unsubscribeAll(&capture);
        std::vector<std::string> statuses;
        for (const auto& e : capture.events) {
            auto event = mc::test::parseObject(e);
            CPPUNIT_ASSERT_EQUAL(std::string("plugin_status"), event->getValue<std::string>("type"));
            CPPUNIT_ASSERT_EQUAL(std::string("fixture-discovery"), event->getObject("payload")->getValue<std::string>("plugin"));
            statuses.push_back(event->getObject("payload")->getValue<std::string>("status"));
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), statuses.size());
        CPPUNIT_ASSERT_EQUAL(std::string("starting"), statuses[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), statuses[1]);
        CPPUNIT_ASSERT_EQUAL(2, httpGet(host.port(), "/api/plugins").json()->getValue<int>("loaded"));
        CPPUNIT_ASSERT(mc::test::eventually([&] {
            auto sources = httpGet(host.port(), "/api/discovery").json()->getArray("sources");
            for (std::size_t i = 0; i < sources->size(); ++i) {
                auto source = sources->getObject(static_cast<unsigned>(i));
                if (source->getValue<std::string>("source") != "fixture") continue;
                auto found = source->getArray("found");
                return source->getValue<std::string>("status") == "ok" && found->size() == 1 &&
                       found->getObject(0)->getValue<std::string>("key") == "fixture#server";
            }
            return false;
        }));
    }

    // A plugin whose start fails is listed with permanent_error and its reason (GET /api/plugins,
    // /api/health, /api/discovery); the host runs on and stays ready.
    void pluginWhoseStartFailsIsAPermanentError() {
        TempDir plugins;
        std::filesystem::copy_file(std::string(MC_TEST_PLUGIN_DIR) + "/store-sqlite.so", plugins.file("store-sqlite.so"));
        std::filesystem::copy_file(std::string(MC_TEST_FIXTURE_PLUGIN_DIR) + "/failing-start.so",
                                   plugins.file("failing-start.so"));
        TestHost host({{"plugins.dir", plugins.path()}});
        auto report = httpGet(host.port(), "/api/plugins").json()->getArray("plugins");
        bool listed = false;
        for (std::size_t i = 0; i < report->size(); ++i) {
            auto p = report->getObject(static_cast<unsigned>(i));
            if (p->optValue<std::string>("id", "") != "fixture-failing-start") continue;
            listed = true;
            auto row = p->getArray("instances")->getObject(0);
            CPPUNIT_ASSERT_EQUAL(std::string("permanent_error"), row->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(std::string("start failed (io): fixture: cannot reach the peer"),
                                 row->getValue<std::string>("message"));
        }
        CPPUNIT_ASSERT(listed);
        auto health = httpGet(host.port(), "/api/health");
        CPPUNIT_ASSERT_EQUAL(200, health.status);
        CPPUNIT_ASSERT_EQUAL(std::string("permanent_error"), health.json()->getObject("plugins")->getValue<std::string>("status"));
    }

    // A receiver written against the C header that fails a request without answering it: the host
    // answers 500 for it, each time, and frees what it lent the receiver (ASan's leak check sees it).
    void aReceiverThatFailsWithoutAnsweringIsAnsweredByTheHost() {
        TempDir plugins;
        std::filesystem::copy_file(std::string(MC_TEST_PLUGIN_DIR) + "/store-sqlite.so", plugins.file("store-sqlite.so"));
        std::filesystem::copy_file(std::string(MC_TEST_FIXTURE_PLUGIN_DIR) + "/failing-receiver.so",
                                   plugins.file("failing-receiver.so"));
        TestHost host({{"plugins.dir", plugins.path()}});
        for (int i = 0; i < 3; ++i) {
            auto answer = httpRequest("POST", host.port(), "/v1/fixture", "{}");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 500, answer.status);
            CPPUNIT_ASSERT_EQUAL(std::string("receiver_failed"), answer.json()->getObject("error")->getValue<std::string>("code"));
        }
        CPPUNIT_ASSERT_EQUAL(200, httpGet(host.port(), "/api/health").status); // the host runs on
    }

    // http.tls.* make the whole host https (and wss): the same API over TLS, nothing in plain text.
    void tlsServesTheHostOverHttps() {
        Poco::Net::initializeSSL();
        struct Uninitialize {
            ~Uninitialize() { Poco::Net::uninitializeSSL(); }
        } uninitialize;
        mc::test::SelfSignedCertificate certificate;
        TestHost host({{"http.tls.cert", certificate.certificateFile()}, {"http.tls.key", certificate.keyFile()}});
        Poco::Net::Context::Ptr context(new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", certificate.certificateFile(),
                                                               Poco::Net::Context::VERIFY_STRICT));
        Poco::Net::HTTPSClientSession session("127.0.0.1", host.port(), context);
        Poco::Net::HTTPRequest request("GET", "/api/health", Poco::Net::HTTPMessage::HTTP_1_1);
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::string body;
        Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
        CPPUNIT_ASSERT_EQUAL(200, static_cast<int>(response.getStatus()));
        CPPUNIT_ASSERT(mc::test::parseObject(body)->has("http"));
        CPPUNIT_ASSERT_THROW(httpGet(host.port(), "/health"), Poco::Exception); // no plain HTTP on a TLS port
    }

    // store-sqlite.so replaced in plugins.dir: the rescan reloads the store in use (what was stored
    // before is read through the new version, what is ingested after is stored by it); removed, the
    // store in use keeps serving until the host stops.
    void theStorePluginReplacedOrRemovedWhileTheHostRuns() {
        TempDir plugins;
        const std::string so = plugins.file("store-sqlite.so");
        auto put = [&] {
            std::filesystem::copy_file(std::string(MC_TEST_PLUGIN_DIR) + "/store-sqlite.so", so + ".new");
            std::filesystem::rename(so + ".new", so);
        };
        put();
        TestHost host({{"plugins.dir", plugins.path()}, {"plugins.watch", "false"}});
        auto ingest = [&](const std::string& service) {
            return httpRequest("POST", host.port(), "/api/ingest",
                               R"({"events":[{"type":"log","level":"INFO","service":")" + service + R"(","mcp_id":"m"}]})",
                               {{"Content-Type", "application/json"}})
                .status;
        };
        auto count = [&](const std::string& service) {
            return httpGet(host.port(), "/api/logs?service=" + service).json()->getArray("items")->size();
        };
        CPPUNIT_ASSERT_EQUAL(200, ingest("before"));
        const int schema = httpGet(host.port(), "/api/health").json()->getObject("store")->getValue<int>("schema_version");
        CPPUNIT_ASSERT(schema > 0);
        put();
        auto rescan = httpRequest("POST", host.port(), "/api/plugins/rescan");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"added":[],"removed":[],"replaced":["store-sqlite"],"refused":[]})"), rescan.body);
        CPPUNIT_ASSERT_EQUAL(200, ingest("after"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), count("before"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), count("after"));
        auto store = httpGet(host.port(), "/api/health").json()->getObject("store");
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), store->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(schema, store->getValue<int>("schema_version"));

        std::filesystem::remove(so);
        rescan = httpRequest("POST", host.port(), "/api/plugins/rescan");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"added":[],"removed":["store-sqlite"],"replaced":[],"refused":[]})"), rescan.body);
        CPPUNIT_ASSERT_EQUAL(200, ingest("removed"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), count("removed"));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), httpGet(host.port(), "/api/health").json()->getObject("store")->getValue<std::string>("status"));
    }

    // Stopping while handlers still use the store: a log export streaming to a slow reader and ingest
    // requests in flight. The store closes only after every worker is done (under ASan a use after
    // free would abort here); in-flight requests get an answer, not a reset.
    void stopDrainsRequestsBeforeTheStoreCloses() {
        TestHost host({{"shutdown.drain_timeout_ms", "500"}, {"http.write_timeout_ms", "1000"}});
        std::string body = "{\"events\":[";
        for (int i = 0; i < 5000; ++i)
            body += std::string(i ? "," : "") + R"({"type":"log","level":"INFO","service":"drain","mcp_id":"m","message":")" +
                    std::string(100, 'x') + "\"}";
        body += "]}";
        for (int i = 0; i < 4; ++i)
            CPPUNIT_ASSERT_EQUAL(200, httpRequest("POST", host.port(), "/api/ingest", body, {{"Content-Type", "application/json"}}).status);
        // A reader that takes the export's head and then nothing: its worker is inside the store's stream.
        mc::test::TcpClient reader(host.port(), "127.0.0.1", 4096);
        reader.send("GET /api/logs/export HTTP/1.1\r\nHost: localhost\r\n\r\n");
        CPPUNIT_ASSERT(!reader.read(2000, "\r\n\r\n").empty());
        // Ingest requests racing the stop: each gets a whole answer.
        std::vector<std::thread> posters;
        std::atomic<int> answered{0}, cut{0};
        for (int i = 0; i < 4; ++i)
            posters.emplace_back([&] {
                try {
                    const int status = httpRequest("POST", host.port(), "/api/ingest",
                                                   R"({"events":[{"type":"log","level":"INFO","service":"drain","mcp_id":"m"}]})",
                                                   {{"Content-Type", "application/json"}}).status;
                    if (status == 200 || status == 503) ++answered;
                } catch (const std::exception&) {
                    ++cut; // connection refused: it came after the listener closed
                }
            });
        const auto started = std::chrono::steady_clock::now();
        host.runtime->stop();
        const auto took = std::chrono::steady_clock::now() - started;
        for (auto& t : posters) t.join();
        CPPUNIT_ASSERT_EQUAL(4, answered.load() + cut.load());
        CPPUNIT_ASSERT_MESSAGE("stop took too long", took < std::chrono::seconds(10));
    }

    void missingStorePluginIsAClearStartupError() {
        TestHost host({{"plugins.dir", "/nonexistent/plugins"}}, false);
        host.runtime->loadPlugins();
        try {
            host.runtime->openStore();
            CPPUNIT_FAIL("expected ConfigError");
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("invalid configuration: store.backend = 'sqlite': no store plugin with config prefix "
                                             "'store.sqlite' is loaded from /nonexistent/plugins (loaded stores: none; refused plugins are "
                                             "listed in the log)"),
                                 std::string(e.what()));
        }
    }

    void unknownKeysAreWarnedAbout() {
        std::ostringstream captured;
        mc::host::logging::setCaptureSink(std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
        {
            TestHost host({{"http.prot", "80"}}, false);
        }
        mc::host::logging::setCaptureSink(nullptr);
        CPPUNIT_ASSERT_MESSAGE(captured.str(),
                               captured.str().find("unknown configuration key 'http.prot' is ignored") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HostTest);
