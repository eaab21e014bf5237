// The ingest pipeline in the whole host: POST /api/ingest (JSON and NDJSON) and WebSocket publish,
// live subscribers, the real store-sqlite, a restart on the same database, request-level errors,
// backpressure, and the gateway's steps and permission decisions against a real server-everything.
#include "GatewayTestSupport.h"
#include "InProcessHost.h"
#include "PostgresServer.h"
#include "TestHttp.h"
#include "TestWebSocket.h"
#include "app/HostRuntime.h"
#include "core/Audit.h"
#include "core/EventRouter.h"
#include "ingest/StoreWriter.h"
#include "store/StoreService.h"
#include "util/Clock.h"
#include "util/Json.h"

#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>

#include <cstdio>
#include <set>
#include <sstream>
#include <thread>

using namespace mc::host;
using mc::test::eventually;
using mc::test::httpGet;
using mc::test::httpRequest;
using mc::test::InProcessHost;
using mc::test::merge;
using mc::test::parseObject;
using mc::test::TempDir;
using mc::test::TestWebSocket;

namespace {

const std::string kEverything = std::string(MC_TEST_MCP_PEERS_DIR) + "/node_modules/@modelcontextprotocol/server-everything/dist/index.js";
const std::map<std::string, std::string> kJson = {{"Content-Type", "application/json"}};
const std::map<std::string, std::string> kNdjson = {{"Content-Type", "application/x-ndjson"}};

std::string errorCode(const mc::test::HttpResult& r) { return r.json()->getObject("error")->getValue<std::string>("code"); }
std::string errorMessage(const mc::test::HttpResult& r) {
    return r.json()->getObject("error")->getValue<std::string>("message");
}

void subscribe(TestWebSocket& ws, const std::string& channel) {
    ws.sendText(R"({"type":"subscribe","request_id":"s","channel":")" + channel + "\"}");
    CPPUNIT_ASSERT_EQUAL(std::string("subscribed"), ws.receiveType("subscribed")->getValue<std::string>("type"));
}

// The next broadcast event (a message with a payload), skipping replies.
Poco::JSON::Object::Ptr nextEvent(TestWebSocket& ws, int timeoutMs = 5000) {
    for (;;) {
        auto message = ws.receive(timeoutMs);
        if (message->has("payload") && message->has("seq")) return message;
    }
}

std::string reasonAt(const Poco::JSON::Object::Ptr& reply, int index) {
    auto rejected = reply->getArray("rejected");
    for (unsigned i = 0; i < rejected->size(); ++i)
        if (rejected->getObject(i)->getValue<int>("index") == index) return rejected->getObject(i)->getValue<std::string>("reason");
    return "(accepted)";
}

Poco::JSON::Object::Ptr query(HostRuntime& runtime, const std::string& name, const std::string& params) {
    std::string result, error;
    const mc_status status = runtime.store()->query(name, params, result, error);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, status);
    return parseObject(result);
}

// Ingest over HTTP (JSON, NDJSON) and WebSocket publish with a live subscriber, then a new host on
// the same database (`db`: the store keys) still has every acknowledged event.
void liveThenDurableAcrossARestart(const InProcessHost::Overrides& db) {
    {
        InProcessHost host(db, InProcessHost::Until::AllButGateway);
        TestWebSocket live(host.port());
        subscribe(live, "threads:T-e2e");
        subscribe(live, "logs:mcp:agent");
        subscribe(live, "transcripts:T-e2e");

        auto r = httpRequest("POST", host.port(), "/api/ingest", R"({"events":[
            {"type":"thread","id":"T-e2e","status":"running","mcp_id":"agent","user_input":"plan a trip"},
            {"type":"step","id":"S-e2e-1","thread_id":"T-e2e","sequence":1,"step_type":"llm_call","description":"think"},
            {"type":"log","id":"L-e2e-1","level":"info","service":"planner","mcp_id":"agent","thread_id":"T-e2e","message":"started"},
            {"type":"transcript","id":"M-e2e-1","thread_id":"T-e2e","sequence":1,"role":"user","content":"hi","prompt_tokens":3},
            {"type":"log","level":"info","mcp_id":"agent"},
            {"type":"nope"}
        ]})", kJson);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto reply = r.json();
        CPPUNIT_ASSERT_EQUAL(4, reply->getValue<int>("accepted"));
        CPPUNIT_ASSERT_EQUAL(std::string("field 'service' is required"), reasonAt(reply, 4));
        CPPUNIT_ASSERT(reasonAt(reply, 5).rfind("unknown event type 'nope' (known: thread, step", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(std::string("S-e2e-1"), reply->getArray("ids")->getElement<std::string>(1));

        // The live subscriber saw each accepted event on its channels, in order; the transcript is
        // on two of its channels but arrives once.
        std::string seen;
        for (int i = 0; i < 4; ++i) {
            auto event = nextEvent(live);
            seen += event->getValue<std::string>("type") + ":" + event->getObject("payload")->getValue<std::string>("id") + " ";
        }
        CPPUNIT_ASSERT_EQUAL(std::string("thread:T-e2e step:S-e2e-1 log:L-e2e-1 transcript:M-e2e-1 "), seen);

        // NDJSON: a bad line is a per-event reject with its index and line.
        r = httpRequest("POST", host.port(), "/api/ingest",
                        "{\"type\":\"step\",\"id\":\"S-e2e-2\",\"thread_id\":\"T-e2e\",\"sequence\":2,\"step_type\":\"tool_call\"}\n"
                        "\n"
                        "{not json\n"
                        "[1,2]\n"
                        "{\"type\":\"thread\",\"id\":\"T-e2e\",\"status\":\"paused\",\"mcp_id\":\"agent\"}\n",
                        kNdjson);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        reply = r.json();
        CPPUNIT_ASSERT_EQUAL(2, reply->getValue<int>("accepted"));
        CPPUNIT_ASSERT(reasonAt(reply, 1).rfind("line 3: not valid JSON", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(std::string("line 4: not a JSON object"), reasonAt(reply, 2));

        // WebSocket publish: the same processing, a publish_result after the commit.
        TestWebSocket publisher(host.port());
        publisher.sendText(R"({"type":"publish","request_id":"p1","payload":{"events":[
            {"type":"transcript","id":"M-e2e-2","thread_id":"T-e2e","sequence":2,"role":"assistant","content":"hello"},
            {"type":"thread","id":"T-e2e","status":"complete","mcp_id":"agent"},
            {"type":"thread","id":"T-e2e","status":"running","mcp_id":"agent"}]}})");
        auto result = publisher.receiveType("publish_result");
        CPPUNIT_ASSERT_EQUAL(std::string("p1"), result->getValue<std::string>("request_id"));
        auto payload = result->getObject("payload");
        CPPUNIT_ASSERT_EQUAL(2, payload->getValue<int>("accepted"));
        CPPUNIT_ASSERT_EQUAL(std::string("thread 'T-e2e' cannot go from complete to running (complete is final)"),
                             reasonAt(payload, 2));
        publisher.sendText(R"({"type":"publish","request_id":"p2","payload":{}})");
        auto error = publisher.receiveType("error");
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_message"), error->getValue<std::string>("code"));

        // Idempotent retry: the same ids again are accepted without duplicates.
        r = httpRequest("POST", host.port(), "/api/ingest",
                        R"({"events":[{"type":"log","id":"L-e2e-1","level":"INFO","service":"planner","mcp_id":"agent","message":"started"}]})",
                        kJson);
        CPPUNIT_ASSERT_EQUAL(1, r.json()->getValue<int>("accepted"));
        host.runtime->stop();
    }
    // A new host on the same database still has everything that was acknowledged.
    InProcessHost again(db, InProcessHost::Until::AllButGateway);
    auto thread = query(*again.runtime, "threads.get", R"({"id":"T-e2e"})")->getArray("items")->getObject(0);
    CPPUNIT_ASSERT_EQUAL(std::string("complete"), thread->getValue<std::string>("status"));
    CPPUNIT_ASSERT(!thread->isNull("ended_at"));
    CPPUNIT_ASSERT_EQUAL(std::string("plan a trip"), thread->getValue<std::string>("user_input"));
    auto timeline = thread->getArray("timeline");
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), timeline->size());
    CPPUNIT_ASSERT_EQUAL(std::string("S-e2e-1"), timeline->getObject(0)->getValue<std::string>("id"));
    CPPUNIT_ASSERT_EQUAL(std::string("S-e2e-2"), timeline->getObject(1)->getValue<std::string>("id"));
    auto logs = query(*again.runtime, "logs.list", R"({"mcp_id":"agent"})")->getArray("items");
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), logs->size());
    CPPUNIT_ASSERT_EQUAL(std::string("INFO"), logs->getObject(0)->getValue<std::string>("level"));
}

} // namespace

class IngestTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(IngestTest);
    CPPUNIT_TEST(httpAndWebSocketEventsAreLiveThenDurableAcrossARestart);
    CPPUNIT_TEST(badRequestsGetOneClearErrorEach);
    CPPUNIT_TEST(hostOwnedKindsCannotBeForged);
    CPPUNIT_TEST(aFullQueueAnswers503WithRetryAfter);
    CPPUNIT_TEST(hostEventsArePersistedAndHealthShowsTheWriter);
    CPPUNIT_TEST(aDeeplyNestedEventIsRefusedAloneAndTheRestIsStored);
    CPPUNIT_TEST(retentionDeletesOldRecordsInTheBackground);
    CPPUNIT_TEST_SUITE_END();

public:
    void httpAndWebSocketEventsAreLiveThenDurableAcrossARestart() {
        TempDir data;
        liveThenDurableAcrossARestart({{"store.sqlite.path", data.file("ingest.db")}});
    }

    void badRequestsGetOneClearErrorEach() {
        InProcessHost host({{"http.max_body_bytes", "2048"}}, InProcessHost::Until::AllButGateway);
        auto r = httpRequest("POST", host.port(), "/api/ingest", "{\"events\":[{\"type\":", kJson);
        CPPUNIT_ASSERT_EQUAL(400, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_json"), errorCode(r));
        CPPUNIT_ASSERT(errorMessage(r).rfind("the request body is not valid JSON: ", 0) == 0);
        r = httpRequest("POST", host.port(), "/api/ingest", R"({"event":[]})", kJson);
        CPPUNIT_ASSERT_EQUAL(400, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("the request body needs an \"events\" array"), errorMessage(r));
        r = httpRequest("POST", host.port(), "/api/ingest", R"([{"type":"log"}])", kJson);
        CPPUNIT_ASSERT_EQUAL(400, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("bad_request"), errorCode(r));
        r = httpRequest("POST", host.port(), "/api/ingest", "type=log", {{"Content-Type", "application/x-www-form-urlencoded"}});
        CPPUNIT_ASSERT_EQUAL(415, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("unsupported_media_type"), errorCode(r));
        r = httpRequest("POST", host.port(), "/api/ingest", "{\"events\":[" + std::string(3000, ' ') + "]}", kJson);
        CPPUNIT_ASSERT_EQUAL(413, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("payload_too_large"), errorCode(r));
        // Wrong types and missing fields are per-event: the valid event of the batch is kept.
        r = httpRequest("POST", host.port(), "/api/ingest", R"({"events":[
            {"type":"log","level":"LOUD","service":"s","mcp_id":"m"},
            {"type":"thread","status":"running"},
            {"type":"log","level":"INFO","service":"s","mcp_id":"m","message":"kept"}]})",
                        kJson);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL(1, r.json()->getValue<int>("accepted"));
        CPPUNIT_ASSERT_EQUAL(std::string("field 'level' must be one of DEBUG, INFO, WARN, ERROR (got 'LOUD')"), reasonAt(r.json(), 0));
        CPPUNIT_ASSERT_EQUAL(std::string("field 'mcp_id' is required"), reasonAt(r.json(), 1));
        // Viewers may not ingest.
        InProcessHost secured({{"auth.jwt.secret", "0123456789abcdef0123456789abcdef"}}, InProcessHost::Until::AllButGateway);
        const std::string viewer = secured.runtime->auth().issue("v", Role::Viewer);
        r = httpRequest("POST", secured.port(), "/api/ingest", R"({"events":[]})",
                        merge({kJson, {{"Authorization", "Bearer " + viewer}}}));
        CPPUNIT_ASSERT_EQUAL(403, r.status);
        TestWebSocket viewerSocket(secured.port(), "/ws?token=" + viewer);
        viewerSocket.sendText(R"({"type":"publish","request_id":"v","payload":{"events":[]}})");
        CPPUNIT_ASSERT_EQUAL(std::string("forbidden"), viewerSocket.receiveType("error")->getValue<std::string>("code"));
    }

    // Audit, permission and MCP-status records are the host's own: neither the ingest API nor a
    // WebSocket publish may write them, and nothing forged is broadcast or stored.
    void hostOwnedKindsCannotBeForged() {
        InProcessHost host({}, InProcessHost::Until::AllButGateway);
        TestWebSocket live(host.port());
        subscribe(live, "audit");
        subscribe(live, "permissions");
        subscribe(live, "mcps");
        const std::string reasonTail = "' is recorded by the host itself (audit trail, permission decisions, MCP status "
                                       "history) and cannot be submitted";
        auto r = httpRequest("POST", host.port(), "/api/ingest", R"({"events":[
            {"type":"audit","actor":"admin","action":"mcp.remove","target":"everything","outcome":"ok"},
            {"type":"permission","user_id":"mallory","resource":"mcp:fs/tool:rm","action":"tools/call","granted":true},
            {"type":"mcp_status","mcp_id":"fs","status":"connected"},
            {"type":"log","level":"INFO","service":"s","mcp_id":"m","message":"allowed"}]})",
                             kJson);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL(1, r.json()->getValue<int>("accepted"));
        CPPUNIT_ASSERT_EQUAL("event type 'audit" + reasonTail, reasonAt(r.json(), 0));
        CPPUNIT_ASSERT_EQUAL("event type 'permission" + reasonTail, reasonAt(r.json(), 1));
        CPPUNIT_ASSERT_EQUAL("event type 'mcp_status" + reasonTail, reasonAt(r.json(), 2));
        live.sendText(R"({"type":"publish","request_id":"f","payload":{"events":[{"type":"audit","actor":"admin","action":"x"}]}})");
        auto result = live.receiveType("publish_result")->getObject("payload");
        CPPUNIT_ASSERT_EQUAL(0, result->getValue<int>("accepted"));
        CPPUNIT_ASSERT_EQUAL("event type 'audit" + reasonTail, reasonAt(result, 0));
        // Nothing forged reached the store (the host's own records still do: the store.up audit is allowed).
        auto audit = httpGet(host.port(), "/api/audit?actor=admin").json()->getArray("items");
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), audit->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), httpGet(host.port(), "/api/permissions").json()->getArray("items")->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), httpGet(host.port(), "/api/mcps/fs/history").json()->getArray("items")->size());
        // ... and nothing was broadcast: the next event on these channels is a real one.
        recordAudit(host.runtime->events(), "host", "test.marker", "t", "ok");
        auto next = nextEvent(live);
        CPPUNIT_ASSERT_EQUAL(std::string("audit"), next->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("host"), next->getObject("payload")->getValue<std::string>("actor"));
    }

    void aFullQueueAnswers503WithRetryAfter() {
        InProcessHost host({{"ingest.queue.max_events", "3"}}, InProcessHost::Until::AllButGateway);
        TestWebSocket live(host.port());
        subscribe(live, "logs:*");
        auto r = httpRequest("POST", host.port(), "/api/ingest", R"({"events":[
            {"type":"log","level":"INFO","service":"s","mcp_id":"m","message":"1"},
            {"type":"log","level":"INFO","service":"s","mcp_id":"m","message":"2"},
            {"type":"log","level":"INFO","service":"s","mcp_id":"m","message":"3"},
            {"type":"log","level":"INFO","service":"s","mcp_id":"m","message":"4"}]})",
                             kJson);
        CPPUNIT_ASSERT_EQUAL(503, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("queue_full"), errorCode(r));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), r.headers["Retry-After"]);
        // Nothing of it was accepted or broadcast; a request that fits goes through.
        r = httpRequest("POST", host.port(), "/api/ingest",
                        R"({"events":[{"type":"log","level":"INFO","service":"s","mcp_id":"m","message":"fits"}]})", kJson);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("fits"), nextEvent(live)->getObject("payload")->getValue<std::string>("message"));
        // The same over WebSocket publish.
        const std::string log = R"({"type":"log","level":"INFO","service":"s","mcp_id":"m"})";
        live.sendText(R"({"type":"publish","request_id":7,"payload":{"events":[)" + log + "," + log + "," + log + "," + log + "]}}");
        auto error = live.receiveType("error");
        CPPUNIT_ASSERT_EQUAL(std::string("queue_full"), error->getValue<std::string>("code"));
        CPPUNIT_ASSERT_EQUAL(7, error->getValue<int>("request_id"));
    }

    // retention.<group>.days: older records go in the background, newer ones and other kinds stay;
    // /api/health says what was deleted, the store's size and its oldest record of each kind.
    void retentionDeletesOldRecordsInTheBackground() {
        InProcessHost host({{"retention.logs.days", "2"}, {"retention.interval_ms", "100"}, {"retention.batch_rows", "2"}},
                           InProcessHost::Until::AllButGateway);
        const std::string recent = mc::host::json::isoTimestamp(mc::host::nowUnixUs() - 3600LL * 1000000);
        std::string events;
        for (int i = 0; i < 5; ++i)
            events += R"({"type":"log","id":"L-old-)" + std::to_string(i) + R"(","timestamp":"2020-01-0)" + std::to_string(i + 1) +
                      R"(T00:00:00Z","level":"INFO","service":"s","mcp_id":"m","message":"old"},)";
        events += R"({"type":"log","id":"L-new","timestamp":")" + recent + R"(","level":"INFO","service":"s","mcp_id":"m","message":"new"},)";
        events += R"({"type":"thread","id":"T-old","mcp_id":"m","status":"complete","started_at":"2020-01-01T00:00:00Z"})";
        auto r = httpRequest("POST", host.port(), "/api/ingest", R"({"events":[)" + events + "]}", kJson);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        Poco::JSON::Object::Ptr health;
        CPPUNIT_ASSERT(eventually([&] {
            health = httpGet(host.port(), "/api/health").json();
            return health->getObject("retention")->getObject("kinds")->getObject("log")->getValue<int>("deleted") == 5;
        }, 10000));
        const auto page = httpGet(host.port(), "/api/logs").json()->getArray("items");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), page->size());
        CPPUNIT_ASSERT_EQUAL(std::string("L-new"), page->getObject(0)->getValue<std::string>("id"));
        // Threads are not expired one by one (they go with what belongs to them: not yet).
        CPPUNIT_ASSERT_EQUAL(200, httpGet(host.port(), "/api/threads/T-old").status);
        const auto details = health->getObject("store")->getObject("details");
        CPPUNIT_ASSERT(details->getValue<std::int64_t>("size_bytes") > 0);
        CPPUNIT_ASSERT_EQUAL(recent, details->getObject("oldest")->getValue<std::string>("log"));
        CPPUNIT_ASSERT(details->getObject("oldest")->isNull("span"));
        const auto log = health->getObject("retention")->getObject("kinds")->getObject("log");
        CPPUNIT_ASSERT_EQUAL(2, log->getValue<int>("days"));
        CPPUNIT_ASSERT(log->isNull("last_error"));
        CPPUNIT_ASSERT_EQUAL(0, health->getObject("retention")->getObject("kinds")->getObject("audit")->getValue<int>("days"));
    }

    void hostEventsArePersistedAndHealthShowsTheWriter() {
        InProcessHost host({}, InProcessHost::Until::AllButGateway);
        auto r = httpRequest("POST", host.port(), "/api/ingest",
                             R"({"events":[{"type":"log","level":"ERROR","service":"s","mcp_id":"m","message":"boom"}]})", kJson);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto health = httpGet(host.port(), "/api/health").json()->getObject("writer");
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), health->getValue<std::string>("status"));
        CPPUNIT_ASSERT(health->getValue<int>("committed") >= 1);
        CPPUNIT_ASSERT_EQUAL(0, health->getValue<int>("queued_events"));
        CPPUNIT_ASSERT(health->isNull("last_error"));
        // A plugin-style emit of a persisted kind goes through the same path into the store.
        std::string error;
        CPPUNIT_ASSERT_EQUAL(MC_OK, host.runtime->events().route("plugin/test", "log",
                                                                 R"({"level":"WARN","service":"p","mcp_id":"emitter","message":"e"})", &error));
        CPPUNIT_ASSERT(eventually([&] {
            std::string result, e;
            host.runtime->store()->query("logs.list", R"({"mcp_id":"emitter"})", result, e);
            return result.find("\"message\":\"e\"") != std::string::npos;
        }, 5000));
    }

    // Found by fuzz/ingest_body: an NDJSON event nesting its context 127 levels passed validation, but
    // the store writer's batch around it was deeper than the store's parser reads: the store refused
    // the whole batch, the other events of the request (and of other clients) with it.
    void aDeeplyNestedEventIsRefusedAloneAndTheRestIsStored() {
        InProcessHost host({}, InProcessHost::Until::AllButGateway);
        const std::string deep = std::string(127, '[') + std::string(127, ']');
        auto r = httpRequest("POST", host.port(), "/api/ingest",
                             R"({"type":"log","level":"INFO","service":"s","mcp_id":"m","message":"kept"})" "\n"
                             R"({"type":"log","level":"INFO","service":"s","mcp_id":"m","context":)" + deep + "}\n",
                             kNdjson);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 1, r.json()->getValue<int>("accepted"));
        CPPUNIT_ASSERT_EQUAL(std::string("field 'context' nests deeper than 64 levels of objects and arrays"), reasonAt(r.json(), 1));
        std::string result, error;
        CPPUNIT_ASSERT_EQUAL(MC_OK, host.runtime->store()->query("logs.list", R"({"mcp_id":"m"})", result, error));
        CPPUNIT_ASSERT_MESSAGE(result, result.find("\"message\":\"kept\"") != std::string::npos);
    }
};

// The same pipeline on store-postgres against private PostgreSQL servers, including an outage in the
// middle of a stream of requests.
class IngestPostgresTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(IngestPostgresTest);
    CPPUNIT_TEST(liveThenDurableOnPostgres);
    CPPUNIT_TEST(noAcknowledgedEventIsLostWhenPostgresStopsAndStarts);
    CPPUNIT_TEST(aSlowStoreDelaysNoWebSocketClient);
    CPPUNIT_TEST_SUITE_END();

public:
    void liveThenDurableOnPostgres() {
        auto& server = mc::test::PostgresServer::shared();
        const std::string db = server.createDatabase("ingest");
        liveThenDurableAcrossARestart({{"store.backend", "postgres"}, {"store.postgres.url", server.conninfo(db)}});
    }

    // The store made slow on purpose (the threads table locked for 3 s): a publish naming 13,000
    // unknown threads waits for its lookups off the event loop, and another client of the same loop
    // keeps its latency.
    void aSlowStoreDelaysNoWebSocketClient() {
        auto& server = mc::test::PostgresServer::shared();
        const std::string db = server.createDatabase("slowstore");
        InProcessHost host({{"store.backend", "postgres"}, {"store.postgres.url", server.conninfo(db)}, {"ws.io_threads", "1"},
                            {"ws.max_message_bytes", "4194304"}},
                           InProcessHost::Until::AllButGateway);
        TestWebSocket publisher(host.port());
        TestWebSocket other(host.port());
        publisher.receiveType("welcome");
        other.receiveType("welcome");
        std::thread locker([&] { server.psql(db, "BEGIN; LOCK TABLE threads IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3); COMMIT"); });
        struct Join {
            std::thread& t;
            ~Join() {
                if (t.joinable()) t.join();
            }
        } joinLocker{locker};
        CPPUNIT_ASSERT(eventually([&] {
            return server.psql(db, "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                                   "WHERE c.relname = 'threads' AND l.mode = 'AccessExclusiveLock' AND l.granted") == "1";
        }, 5000));
        std::string events;
        for (int i = 0; i < 13000; ++i)
            events += std::string(i ? "," : "") + R"({"type":"step","thread_id":"T-slow-)" + std::to_string(i) +
                      R"(","sequence":1,"step_type":"x"})";
        publisher.sendText(R"({"type":"publish","request_id":"big","payload":{"events":[)" + events + "]}}");
        long long worst = 0;
        for (int i = 0; i < 20; ++i) {
            const auto start = std::chrono::steady_clock::now();
            other.sendText(R"({"type":"ping","request_id":)" + std::to_string(i) + "}");
            CPPUNIT_ASSERT_EQUAL(i, other.receiveType("pong", 2000)->getValue<int>("request_id"));
            worst = std::max<long long>(worst, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                   std::chrono::steady_clock::now() - start).count());
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        // Waiting for the store on the loop would cost the whole 3 s lock; parsing the 1 MB publish on
        // the loop costs a few tens of ms (more on a loaded machine).
        CPPUNIT_ASSERT_MESSAGE("worst ping " + std::to_string(worst) + " ms", worst < 300 * mc::test::timeScale());
        locker.join();
        // Once the store answers, the publish gets its result: every step names a thread that does not exist.
        auto result = publisher.receiveType("publish_result", 30000)->getObject("payload");
        CPPUNIT_ASSERT_EQUAL(0, result->getValue<int>("accepted"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(13000), result->getArray("rejected")->size());
    }

    void noAcknowledgedEventIsLostWhenPostgresStopsAndStarts() {
        mc::test::PostgresServer server; // private: this test stops it
        const std::string db = server.createDatabase("outage");
        InProcessHost host({{"store.backend", "postgres"},
                            {"store.postgres.url", server.conninfo(db)},
                            {"ingest.ack_timeout_ms", "300"},
                            {"ingest.queue.max_events", "300"},
                            {"ingest.retry.initial_ms", "50"},
                            {"ingest.retry.max_ms", "200"}},
                           InProcessHost::Until::AllButGateway);
        std::set<std::string> acknowledged, sent;
        std::vector<std::string> unconfirmed; // bodies answered 503 after they were queued
        std::map<std::string, int> statuses;
        int next = 0;
        auto postBatch = [&](int count) {
            std::string body = "{\"events\":[";
            std::vector<std::string> ids;
            for (int i = 0; i < count; ++i, ++next) {
                ids.push_back("L-outage-" + std::to_string(next));
                body += std::string(i ? "," : "") + R"({"type":"log","id":")" + ids.back() +
                        R"(","level":"INFO","service":"outage","mcp_id":"agent","message":"n"})";
            }
            body += "]}";
            auto r = httpRequest("POST", host.port(), "/api/ingest", body, kJson);
            const std::string code = r.status == 503 ? errorCode(r) : std::to_string(r.status);
            ++statuses[code];
            if (r.status == 200) {
                CPPUNIT_ASSERT_EQUAL(count, r.json()->getValue<int>("accepted"));
                acknowledged.insert(ids.begin(), ids.end());
            } else {
                CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 503, r.status);
                CPPUNIT_ASSERT(!r.headers["Retry-After"].empty());
                if (code == "not_confirmed") unconfirmed.push_back(body);
            }
            if (code != "queue_full") sent.insert(ids.begin(), ids.end());
        };
        for (int i = 0; i < 10; ++i) postBatch(50);
        CPPUNIT_ASSERT_EQUAL(10, statuses["200"]);

        server.stop();
        const auto outageEnds = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        bool reportedDown = false;
        while (std::chrono::steady_clock::now() < outageEnds) {
            postBatch(50);
            auto health = httpGet(host.port(), "/api/health");
            if (health.status == 503 && health.json()->getObject("writer")->getValue<std::string>("status") == "recoverable_error")
                reportedDown = true;
        }
        CPPUNIT_ASSERT_MESSAGE("/api/health never reported the store down", reportedDown);
        CPPUNIT_ASSERT(statuses["not_confirmed"] > 0);
        CPPUNIT_ASSERT(statuses["queue_full"] > 0); // the backlog filled the queue: refused, not dropped
        server.start();
        for (int i = 0; i < 10; ++i) postBatch(50);
        CPPUNIT_ASSERT(eventually([&] { return host.runtime->writer().stats().queuedEvents == 0; }, 10000));
        // Retrying what was not confirmed, with the same ids, is idempotent.
        for (const auto& body : unconfirmed) {
            auto r = httpRequest("POST", host.port(), "/api/ingest", body, kJson);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        }
        CPPUNIT_ASSERT(eventually([&] { return host.runtime->writer().stats().queuedEvents == 0; }, 10000));
        CPPUNIT_ASSERT(eventually([&] { return httpGet(host.port(), "/api/health").status == 200; }, 10000));

        std::set<std::string> stored;
        std::istringstream rows(server.psql(db, "SELECT id FROM logs WHERE service = 'outage'"));
        for (std::string id; std::getline(rows, id);)
            if (!id.empty()) stored.insert(id);
        for (const auto& id : acknowledged) CPPUNIT_ASSERT_MESSAGE("acknowledged but not stored: " + id, stored.count(id));
        CPPUNIT_ASSERT(stored == sent); // and nothing that was refused, nothing twice (ids are unique)
        CPPUNIT_ASSERT_EQUAL(std::to_string(sent.size()), server.psql(db, "SELECT count(*) FROM logs WHERE service = 'outage'"));
        CPPUNIT_ASSERT(host.runtime->writer().stats().retries > 0);
        std::printf("\n[fault] postgres: PostgreSQL stopped 3 s mid-ingest: %zu events sent, %zu acknowledged, %zu stored, "
                    "0 acknowledged missing; %d requests 503 not_confirmed (retried, idempotent), %d 503 queue_full, "
                    "%llu writer retries\n",
                    sent.size(), acknowledged.size(), stored.size(), statuses["not_confirmed"], statuses["queue_full"],
                    static_cast<unsigned long long>(host.runtime->writer().stats().retries));
        // The outage is in the audit trail.
        CPPUNIT_ASSERT_EQUAL(std::string("store.down\nstore.up"),
                             server.psql(db, "SELECT action FROM audit_events WHERE actor = 'host' AND action LIKE 'store.%' "
                                             "ORDER BY timestamp"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(IngestTest);
CPPUNIT_TEST_SUITE_REGISTRATION(IngestPostgresTest);
