// The ingest path without HTTP: validation reasons per event, the thread state cache, broadcast
// before commit, and the writer's group commit, per-event acks, backpressure and retries. The store is
// the write("events") contract played by a recording function (the real stores are tested by the
// store suites and end to end in IngestTest).
#include "core/Broadcaster.h"
#include "core/EventRouter.h"
#include "ingest/IngestService.h"
#include "ingest/RetentionService.h"
#include "ingest/StoreWriter.h"
#include "ingest/ThreadStateCache.h"
#include "gateway/LogRateLimiter.h"
#include "TestHttp.h"

#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>

using namespace mc::host;
using namespace std::chrono_literals;

namespace {

// A record of `kind` from JSON, normalized as the router does with an event that arrives as text.
mc::records::TypedRecord typed(const std::string& kind, const std::string& json) {
    const auto* spec = mc::records::findKind(kind);
    return {spec, mc::records::normalize(*spec, *mc::test::parseObject(json), [spec] { return mc::records::generateId(*spec); },
                                         [] { return std::string("2026-12-05T21:00:00.000000Z"); })};
}

// The store side of write("events"): records each batch; answers per the contract. `down` makes
// every call MC_ERR_UNAVAILABLE; `rejectIds` are refused with a reason; `gate` holds writes.
struct RecordingStore {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::vector<std::string>> batches; // the ids of each committed batch
    std::atomic<bool> down{false};
    std::atomic<int> calls{0};
    std::set<std::string> rejectIds;
    bool held = false;

    mc_status write(const StoreWriter::Batch& batch, std::string& result, std::string& error) {
        ++calls;
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return !held; });
        if (down) {
            error = "connection refused";
            return MC_ERR_UNAVAILABLE;
        }
        std::vector<std::string> ids;
        std::string rejected;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const std::string id = batch[i]->record.id;
            if (rejectIds.count(id)) {
                rejected += std::string(rejected.empty() ? "" : ",") + "{\"index\":" + std::to_string(i) +
                            ",\"reason\":\"refused " + id + "\"}";
                continue;
            }
            ids.push_back(id);
        }
        batches.push_back(ids);
        result = "{\"accepted\":" + std::to_string(ids.size()) + ",\"duplicates\":0,\"rejected\":[" + rejected + "]}";
        changed.notify_all();
        return MC_OK;
    }
    void hold(bool on) {
        std::lock_guard lock(mutex);
        held = on;
        changed.notify_all();
    }
    std::size_t committedCount() {
        std::lock_guard lock(mutex);
        std::size_t n = 0;
        for (const auto& b : batches) n += b.size();
        return n;
    }
    StoreWriter::WriteFunction function() {
        return [this](const StoreWriter::Batch& batch, std::string& result, std::string& error) {
            return write(batch, result, error);
        };
    }
};

struct Collect : BroadcastSubscriber {
    std::mutex mutex;
    std::vector<std::string> events;
    void deliver(std::uint64_t, const SharedFrame& frame) override {
        std::lock_guard lock(mutex);
        events.emplace_back(Broadcaster::eventJson(frame));
    }
    std::size_t size() {
        std::lock_guard lock(mutex);
        return events.size();
    }
};

std::vector<RawEvent> events(const std::string& arrayJson) {
    auto array = Poco::JSON::Parser().parse(arrayJson).extract<Poco::JSON::Array::Ptr>();
    std::vector<RawEvent> out;
    for (unsigned i = 0; i < array->size(); ++i) {
        RawEvent e;
        e.object = array->getObject(i);
        if (!e.object) e.error = "event is not a JSON object";
        out.push_back(e);
    }
    return out;
}

StoreWriterSettings fastWriter() {
    StoreWriterSettings s;
    s.batchMaxDelay = 2ms;
    s.backgroundBatchMaxDelay = 2ms;
    s.retryInitial = 5ms;
    s.retryMax = 20ms;
    return s;
}

// Store-backed state for the cache: threads known to "the store".
ThreadStateCache::Loader loaderOf(std::map<std::string, ThreadState> stored, std::atomic<int>* loads = nullptr) {
    return [stored, loads](const std::vector<std::string>& ids) -> std::optional<std::map<std::string, ThreadState>> {
        if (loads) ++*loads;
        std::map<std::string, ThreadState> out;
        for (const auto& id : ids)
            if (auto it = stored.find(id); it != stored.end()) out[id] = it->second;
        return out;
    };
}

// The ingest path over a recording store: the writer (started unless `start` is false), a router
// on a broadcaster, the service.
struct Pipeline {
    explicit Pipeline(ThreadStateCache::Loader loader = loaderOf({}), StoreWriterSettings settings = fastWriter(), bool start = true)
        : writer(settings, store.function()), router(broadcaster), ingest(router, writer, 100, std::move(loader)) {
        if (start) writer.start();
    }
    RecordingStore store;
    StoreWriter writer;
    Broadcaster broadcaster;
    EventRouter router;
    IngestService ingest;
};

IngestReply submitAndWait(IngestService& ingest, const std::string& arrayJson) {
    auto promise = std::make_shared<std::promise<IngestReply>>();
    auto future = promise->get_future();
    CPPUNIT_ASSERT(ingest.submit(events(arrayJson), "test", [promise](IngestReply r) { promise->set_value(std::move(r)); }) ==
                   IngestService::Submitted::Queued);
    CPPUNIT_ASSERT(future.wait_for(5s) == std::future_status::ready);
    return future.get();
}

std::string reasonAt(const IngestReply& reply, std::size_t index) {
    for (const auto& [i, reason] : reply.rejected)
        if (i == index) return reason;
    return "(accepted)";
}

} // namespace

class IngestServiceTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(IngestServiceTest);
    CPPUNIT_TEST(eachBadEventGetsItsReasonAndTheValidOnesAreKept);
    CPPUNIT_TEST(lifecycleAndExistenceAreCheckedWithinTheBatchAndAgainstTheStore);
    CPPUNIT_TEST(acceptedEventsAreBroadcastBeforeTheCommit);
    CPPUNIT_TEST(storeRejectsReachTheSubmitter);
    CPPUNIT_TEST(aFullQueueAcceptsNothingOfTheRequest);
    CPPUNIT_TEST(emitsAreValidatedAndPersisted);
    CPPUNIT_TEST(toolCallsBecomeStepsAtTheNextSequence);
    CPPUNIT_TEST(threadLookupsAreBatchedAndNeverHoldTheLock);
    CPPUNIT_TEST(theHostsOwnRecordsUseTheReserveWhenTheQueueIsFull);
    CPPUNIT_TEST_SUITE_END();

public:
    void eachBadEventGetsItsReasonAndTheValidOnesAreKept() {
        Pipeline p;
        const auto reply = submitAndWait(p.ingest, R"([
            {"type":"log","id":"L-ok","level":"info","service":"api","mcp_id":"fs","message":"hello"},
            {"type":"nope","id":"x"},
            {"level":"INFO"},
            {"type":"log","level":"LOUD","service":"api","mcp_id":"fs"},
            {"type":"log","level":"INFO","mcp_id":"fs"},
            {"type":"step","thread_id":"T-1","sequence":"one","step_type":"x"},
            {"type":"permission","granted":"yes"},
            {"type":"log","level":"INFO","service":"api","mcp_id":"fs","timestamp":"yesterday"},
            42,
            {"type":"thread","id":"T-ok","status":"running","mcp_id":"fs"}
        ])");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), reply.accepted);
        CPPUNIT_ASSERT(reply.ids == std::vector<std::string>({"L-ok", "T-ok"}));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown event type 'nope' (known: thread, step, log, permission, transcript, mcp_status, audit, span, metric, protocol_message)"),
                             reasonAt(reply, 1));
        CPPUNIT_ASSERT_EQUAL(std::string("field 'type' is required: the kind of event (known: thread, step, log, permission, "
                                         "transcript, mcp_status, audit, span, metric, protocol_message)"),
                             reasonAt(reply, 2));
        CPPUNIT_ASSERT_EQUAL(std::string("field 'level' must be one of DEBUG, INFO, WARN, ERROR (got 'LOUD')"), reasonAt(reply, 3));
        CPPUNIT_ASSERT_EQUAL(std::string("field 'service' is required"), reasonAt(reply, 4));
        CPPUNIT_ASSERT_EQUAL(std::string("field 'sequence' must be an integer"), reasonAt(reply, 5));
        CPPUNIT_ASSERT_EQUAL(std::string("event type 'permission' is recorded by the host itself (audit trail, permission "
                                         "decisions, MCP status history) and cannot be submitted"),
                             reasonAt(reply, 6));
        CPPUNIT_ASSERT_EQUAL(std::string("field 'timestamp' must be an RFC 3339 timestamp such as 2026-01-02T03:04:05.123456Z"),
                             reasonAt(reply, 7));
        CPPUNIT_ASSERT_EQUAL(std::string("event is not a JSON object"), reasonAt(reply, 8));
        CPPUNIT_ASSERT_EQUAL(std::size_t(8), reply.rejected.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), p.store.committedCount());
        // The reply's JSON shape.
        auto json = mc::test::parseObject(reply.json());
        CPPUNIT_ASSERT_EQUAL(2, json->getValue<int>("accepted"));
        CPPUNIT_ASSERT_EQUAL(1, json->getArray("rejected")->getObject(0)->getValue<int>("index"));
        CPPUNIT_ASSERT_EQUAL(std::string("T-ok"), json->getArray("ids")->getElement<std::string>(1));
    }

    void lifecycleAndExistenceAreCheckedWithinTheBatchAndAgainstTheStore() {
        ThreadState done;
        done.status = "complete";
        done.maxStepSequence = 4;
        std::atomic<int> loads{0};
        Pipeline p(loaderOf({{"T-old", done}}, &loads));
        const auto reply = submitAndWait(p.ingest, R"([
            {"type":"thread","id":"T-a","status":"running","mcp_id":"fs"},
            {"type":"step","thread_id":"T-a","sequence":1,"step_type":"tool_call"},
            {"type":"transcript","thread_id":"T-a","sequence":1,"role":"user","content":"hi"},
            {"type":"step","thread_id":"T-missing","sequence":1,"step_type":"tool_call"},
            {"type":"thread","id":"T-a","status":"complete","mcp_id":"fs"},
            {"type":"thread","id":"T-a","status":"running","mcp_id":"fs"},
            {"type":"thread","id":"T-old","status":"running","mcp_id":"fs"},
            {"type":"thread","id":"T-child","parent_id":"T-nobody","status":"running","mcp_id":"fs"},
            {"type":"thread","id":"T-child2","parent_id":"T-a","status":"running","mcp_id":"fs"}
        ])");
        CPPUNIT_ASSERT_EQUAL(std::string("(accepted)"), reasonAt(reply, 1));
        CPPUNIT_ASSERT_EQUAL(std::string("(accepted)"), reasonAt(reply, 2));
        CPPUNIT_ASSERT_EQUAL(std::string("thread_id 'T-missing' does not exist (write the thread first)"), reasonAt(reply, 3));
        CPPUNIT_ASSERT_EQUAL(std::string("(accepted)"), reasonAt(reply, 4));
        CPPUNIT_ASSERT_EQUAL(std::string("thread 'T-a' cannot go from complete to running (complete is final)"), reasonAt(reply, 5));
        CPPUNIT_ASSERT_EQUAL(std::string("thread 'T-old' cannot go from complete to running (complete is final)"), reasonAt(reply, 6));
        CPPUNIT_ASSERT_EQUAL(std::string("parent_id 'T-nobody' does not exist (write the parent first)"), reasonAt(reply, 7));
        CPPUNIT_ASSERT_EQUAL(std::string("(accepted)"), reasonAt(reply, 8));
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), reply.accepted);
        // A later batch sees what the first one did, from the cache (no new store load for T-a).
        const int before = loads;
        const auto again = submitAndWait(p.ingest, R"([{"type":"step","thread_id":"T-a","sequence":2,"step_type":"x"}])");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), again.accepted);
        CPPUNIT_ASSERT_EQUAL(before, loads.load());
    }

    void acceptedEventsAreBroadcastBeforeTheCommit() {
        Pipeline p;
        p.store.hold(true);
        Collect logs, transcripts;
        p.broadcaster.subscribe("logs:mcp:fs", &logs);
        p.broadcaster.subscribe("transcripts:T-1", &transcripts);
        std::promise<IngestReply> promise;
        auto future = promise.get_future();
        p.ingest.submit(events(R"([{"type":"log","level":"warn","service":"s","mcp_id":"fs","message":"m"},
                                 {"type":"thread","id":"T-1","status":"running","mcp_id":"fs"},
                                 {"type":"transcript","thread_id":"T-1","sequence":1,"role":"assistant","content":"c"}])"),
                      "test", [&promise](IngestReply r) { promise.set_value(std::move(r)); });
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), logs.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), transcripts.size());
        CPPUNIT_ASSERT(future.wait_for(50ms) == std::future_status::timeout); // not committed yet
        auto event = mc::test::parseObject(logs.events[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("log"), event->getValue<std::string>("type"));
        auto payload = event->getObject("payload");
        CPPUNIT_ASSERT_EQUAL(std::string("WARN"), payload->getValue<std::string>("level")); // canonical
        CPPUNIT_ASSERT(payload->getValue<std::string>("id").rfind("L-", 0) == 0);            // generated
        CPPUNIT_ASSERT(!payload->getValue<std::string>("timestamp").empty());               // defaulted
        p.store.hold(false);
        CPPUNIT_ASSERT(future.wait_for(5s) == std::future_status::ready);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), future.get().accepted);
        p.broadcaster.unsubscribeAll(&logs);
        p.broadcaster.unsubscribeAll(&transcripts);
    }

    void storeRejectsReachTheSubmitter() {
        Pipeline p;
        p.store.rejectIds = {"L-2"};
        const auto reply = submitAndWait(p.ingest, R"([
            {"type":"log","id":"L-1","level":"INFO","service":"s","mcp_id":"fs"},
            {"type":"nope"},
            {"type":"log","id":"L-2","level":"INFO","service":"s","mcp_id":"fs"},
            {"type":"log","id":"L-3","level":"INFO","service":"s","mcp_id":"fs"}])");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), reply.accepted);
        CPPUNIT_ASSERT(reply.ids == std::vector<std::string>({"L-1", "L-3"}));
        CPPUNIT_ASSERT_EQUAL(std::string("refused L-2"), reasonAt(reply, 2)); // mapped back to its request index
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), reply.rejected.size());
    }

    void aFullQueueAcceptsNothingOfTheRequest() {
        StoreWriterSettings settings = fastWriter();
        settings.maxQueuedEvents = 3;
        Pipeline p(loaderOf({}), settings, false);
        Collect all;
        p.broadcaster.subscribe("logs:*", &all);
        p.broadcaster.subscribe("threads", &all);
        bool called = false;
        const auto submitted = p.ingest.submit(events(R"([
            {"type":"thread","id":"T-f","status":"running","mcp_id":"fs"},
            {"type":"log","level":"INFO","service":"s","mcp_id":"fs"},
            {"type":"log","level":"INFO","service":"s","mcp_id":"fs"},
            {"type":"log","level":"INFO","service":"s","mcp_id":"fs"}])"),
                                             "test", [&called](IngestReply) { called = true; });
        CPPUNIT_ASSERT(submitted == IngestService::Submitted::QueueFull);
        CPPUNIT_ASSERT(!called);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), all.size());         // nothing broadcast
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), p.writer.stats().queuedEvents);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), p.writer.stats().refusedFull);
        // ...and the cache did not learn T-f: a step for it is still refused.
        p.writer.start();
        const auto reply = submitAndWait(p.ingest, R"([{"type":"step","thread_id":"T-f","sequence":1,"step_type":"x"}])");
        CPPUNIT_ASSERT_EQUAL(std::string("thread_id 'T-f' does not exist (write the thread first)"), reasonAt(reply, 0));
        p.broadcaster.unsubscribeAll(&all);
    }

    void emitsAreValidatedAndPersisted() {
        Pipeline p;
        p.router.setPersistence([&p](std::string_view source, mc::records::TypedRecord record, std::string* error) {
            return p.ingest.emit(source, std::move(record), error);
        });
        Collect audit, other;
        p.broadcaster.subscribe("audit", &audit);
        p.broadcaster.subscribe("events:heartbeat", &other);
        std::string error;
        CPPUNIT_ASSERT_EQUAL(MC_OK, p.router.route("host", "audit", R"({"actor":"host","action":"p.store.down"})", &error));
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, p.router.route("plugin/x", "log", R"({"level":"INFO"})", &error));
        CPPUNIT_ASSERT_EQUAL(std::string("field 'service' is required"), error);
        CPPUNIT_ASSERT_EQUAL(MC_OK, p.router.route("plugin/x", "heartbeat", R"({"value":1})", &error)); // not persisted
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), audit.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), other.size());
        p.writer.stop(1s);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), p.store.committedCount());
        p.broadcaster.unsubscribeAll(&audit);
        p.broadcaster.unsubscribeAll(&other);
    }

    void threadLookupsAreBatchedAndNeverHoldTheLock();

    // Logs fill the writer's queue (the store is slow); audit, permission and MCP-status records and
    // the gateway's tool-call steps still get in, through the reserve, and are committed.
    void theHostsOwnRecordsUseTheReserveWhenTheQueueIsFull() {
        StoreWriterSettings settings = fastWriter();
        settings.maxQueuedEvents = 5;
        settings.reservedEvents = 4;
        ThreadState running;
        running.status = "running";
        Pipeline p(loaderOf({{"T-r", running}}), settings, false); // the writer starts later: nothing drains
        std::string error;
        for (int i = 0; i < 8; ++i)
            CPPUNIT_ASSERT_EQUAL(MC_OK, p.ingest.emit("mcp:chatty", typed("log", R"({"level":"INFO","service":"s","mcp_id":"chatty","message":"x"})"), &error));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), p.ingest.stats().notPersisted); // 5 fit, 3 did not
        // An ingest request finds the queue full as well: it is refused whole (503 for its sender).
        CPPUNIT_ASSERT(p.ingest.submit(events(R"([{"type":"log","level":"INFO","service":"s","mcp_id":"m"}])"), "api", {}) ==
                       IngestService::Submitted::QueueFull);
        CPPUNIT_ASSERT_EQUAL(MC_OK, p.ingest.emit("host", typed("audit", R"({"id":"A-kept","actor":"admin","action":"mcp.remove"})"), &error));
        CPPUNIT_ASSERT_EQUAL(MC_OK, p.ingest.emit("gateway", typed("permission", R"({"id":"P-kept","granted":false})"), &error));
        CPPUNIT_ASSERT_EQUAL(MC_OK, p.ingest.emit("mcp:fs", typed("mcp_status", R"({"id":"MS-kept","mcp_id":"fs","status":"connected"})"), &error));
        ToolCallRecord call;
        call.threadId = "T-r";
        call.mcpId = "fs";
        call.tool = "echo";
        call.status = "ok";
        call.outcome = "ok";
        call.startedAt = "2026-01-02T03:04:05.000000Z";
        p.ingest.recordToolCall(call);
        for (int i = 0; i < 200 && p.writer.stats().queuedEvents < 9; ++i) std::this_thread::sleep_for(10ms);
        CPPUNIT_ASSERT_EQUAL(std::size_t(9), p.writer.stats().queuedEvents);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), p.ingest.stats().notPersisted); // none of the host's own was lost
        p.writer.start();
        p.writer.stop(2s);
        std::set<std::string> committed;
        for (const auto& batch : p.store.batches) committed.insert(batch.begin(), batch.end());
        CPPUNIT_ASSERT_EQUAL(std::size_t(9), committed.size());
        for (const char* id : {"A-kept", "P-kept", "MS-kept"}) CPPUNIT_ASSERT_MESSAGE(id, committed.count(id) == 1);
    }

    void toolCallsBecomeStepsAtTheNextSequence() {
        ThreadState existing;
        existing.status = "running";
        existing.maxStepSequence = 7;
        Pipeline p(loaderOf({{"T-known", existing}}));
        Collect known, fresh;
        p.broadcaster.subscribe("threads:T-known", &known);
        p.broadcaster.subscribe("threads:T-new", &fresh);
        ToolCallRecord call;
        call.threadId = "T-known";
        call.mcpId = "fs";
        call.tool = "echo";
        call.status = "ok";
        call.outcome = "ok";
        call.startedAt = "2026-01-02T03:04:05.000000Z";
        call.durationMs = 12;
        call.argumentsBytes = 17;
        p.ingest.recordToolCall(call);
        call.threadId = "T-new";
        call.status = "denied";
        call.outcome = "permission_denied";
        call.errorCode = "permission_denied";
        p.ingest.recordToolCall(call);
        // Unknown threads are looked up on the ingest lane: the calls returned at once.
        for (int i = 0; i < 200 && (known.size() < 1 || fresh.size() < 2); ++i) std::this_thread::sleep_for(10ms);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), known.size());
        auto step = mc::test::parseObject(known.events[0])->getObject("payload");
        CPPUNIT_ASSERT_EQUAL(8, step->getValue<int>("sequence"));
        CPPUNIT_ASSERT_EQUAL(std::string("tool_call"), step->getValue<std::string>("step_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("echo"), step->getValue<std::string>("tool"));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), step->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(12.0, step->getValue<double>("duration_ms"));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-02T03:04:05.000000Z"), step->getValue<std::string>("timestamp"));
        CPPUNIT_ASSERT_EQUAL(17, step->getObject("details")->getValue<int>("arguments_bytes"));
        // An unknown thread is created (running, on the MCP) before its first step.
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), fresh.size());
        auto thread = mc::test::parseObject(fresh.events[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("thread"), thread->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("running"), thread->getObject("payload")->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("fs"), thread->getObject("payload")->getValue<std::string>("mcp_id"));
        auto denied = mc::test::parseObject(fresh.events[1])->getObject("payload");
        CPPUNIT_ASSERT_EQUAL(1, denied->getValue<int>("sequence"));
        CPPUNIT_ASSERT_EQUAL(std::string("denied"), denied->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("permission_denied"), denied->getObject("details")->getValue<std::string>("error_code"));
        p.writer.stop(1s);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), p.store.committedCount());
        p.broadcaster.unsubscribeAll(&known);
        p.broadcaster.unsubscribeAll(&fresh);
    }
};

// A request naming thousands of unknown threads costs a few batched lookups, made outside the lock:
// while the store is slow, other submissions and fire-and-forget emits go on, and an emit's caller
// (an event loop, a plugin thread) never waits for the store.
void IngestServiceTest::threadLookupsAreBatchedAndNeverHoldTheLock() {
    std::mutex gateMutex;
    std::condition_variable gateChanged;
    bool open = false;
    std::atomic<int> lookups{0};
    std::atomic<std::size_t> idsAsked{0};
    Pipeline p([&](const std::vector<std::string>& ids) -> std::optional<std::map<std::string, ThreadState>> {
        ++lookups;
        idsAsked += ids.size();
        std::unique_lock lock(gateMutex);
        gateChanged.wait(lock, [&] { return open; }); // a slow store
        return std::map<std::string, ThreadState>{};
    });
    // 13,000 steps of unknown threads, handed over without waiting (as WebSocket publish does).
    std::string array = "[";
    for (int i = 0; i < 13000; ++i)
        array += std::string(i ? "," : "") + R"({"type":"step","thread_id":"T-u)" + std::to_string(i) + R"(","sequence":1,"step_type":"x"})";
    array += "]";
    // Whatever fails below, the slow store answers in the end (the service's lane must be able to stop).
    struct OpenGate {
        std::mutex& m;
        std::condition_variable& c;
        bool& open;
        ~OpenGate() {
            {
                std::lock_guard lock(m);
                open = true;
            }
            c.notify_all();
        }
    } openAtTheEnd{gateMutex, gateChanged, open};
    auto reply = std::make_shared<std::promise<IngestReply>>();
    auto parsed = events(array);
    auto started = std::chrono::steady_clock::now();
    p.ingest.submitWithoutWaiting(std::move(parsed), "ws", [reply](IngestReply r) { reply->set_value(std::move(r)); }, {});
    // A plugin-style emit of an unknown thread's log returns at once too (checked later, in order).
    std::string error;
    CPPUNIT_ASSERT_EQUAL(MC_OK, p.ingest.emit("plugin", typed("log", 
                                                  R"({"level":"INFO","service":"s","mcp_id":"m","thread_id":"T-u12999"})"), &error));
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    CPPUNIT_ASSERT_MESSAGE(std::to_string(waited.count()) + " ms", waited < 200ms * mc::test::timeScale());
    // Meanwhile a request that needs no lookup is accepted and committed: the lock is free.
    const auto other = submitAndWait(p.ingest, R"([{"type":"log","level":"INFO","service":"s","mcp_id":"m","message":"free"}])");
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), other.accepted);
    {
        std::lock_guard lock(gateMutex);
        open = true;
    }
    gateChanged.notify_all();
    auto future = reply->get_future();
    CPPUNIT_ASSERT(future.wait_for(10s) == std::future_status::ready);
    const auto result = future.get();
    CPPUNIT_ASSERT_EQUAL(std::size_t(0), result.accepted);
    CPPUNIT_ASSERT_EQUAL(std::size_t(13000), result.rejected.size());
    CPPUNIT_ASSERT_EQUAL(std::string("thread_id 'T-u0' does not exist (write the thread first)"), result.rejected.front().second);
    // 13,000 ids in 26 batches of at most 500; the remembered absence (the last ones: this cache holds
    // 100) serves the emit and a second request.
    CPPUNIT_ASSERT_EQUAL(26, lookups.load());
    CPPUNIT_ASSERT_EQUAL(std::size_t(13000), idsAsked.load());
    const auto again = submitAndWait(p.ingest, R"([{"type":"step","thread_id":"T-u12998","sequence":1,"step_type":"x"}])");
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), again.rejected.size());
    CPPUNIT_ASSERT_EQUAL(26, lookups.load());
}

class LogRateLimiterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LogRateLimiterTest);
    CPPUNIT_TEST(aBurstThenTheRateAndDropsAreCountedOncePerReport);
    CPPUNIT_TEST_SUITE_END();

public:
    void aBurstThenTheRateAndDropsAreCountedOncePerReport() {
        using Verdict = LogRateLimiter::Verdict;
        const auto t0 = LogRateLimiter::Clock::now();
        LogRateLimiter limiter(10, 3); // 10 lines/s, 3 at once
        for (int i = 0; i < 3; ++i) CPPUNIT_ASSERT(limiter.admit(t0) == Verdict::Pass);
        CPPUNIT_ASSERT(limiter.admit(t0) == Verdict::DropFirst); // the report is scheduled once
        CPPUNIT_ASSERT(limiter.admit(t0) == Verdict::Drop);
        CPPUNIT_ASSERT(limiter.admit(t0 + 100ms) == Verdict::Pass); // one line refilled per 100 ms
        CPPUNIT_ASSERT(limiter.admit(t0 + 100ms) == Verdict::Drop);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), limiter.takeDropped());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), limiter.takeDropped());
        CPPUNIT_ASSERT(limiter.admit(t0 + 100ms) == Verdict::DropFirst); // a new report after the last one
        // Saving up stops at the burst.
        for (int i = 0; i < 3; ++i) CPPUNIT_ASSERT(limiter.admit(t0 + 10s) == Verdict::Pass);
        CPPUNIT_ASSERT(limiter.admit(t0 + 10s) == Verdict::Drop);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), limiter.droppedTotal());
        LogRateLimiter unlimited(0, 1);
        for (int i = 0; i < 1000; ++i) CPPUNIT_ASSERT(unlimited.admit(t0) == Verdict::Pass);
    }
};

class StoreWriterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StoreWriterTest);
    CPPUNIT_TEST(concurrentSubmissionsShareOneCommit);
    CPPUNIT_TEST(aBatchNoOneAwaitsGathersLongerUntilAnAwaitedOneComes);
    CPPUNIT_TEST(batchesStopAtTheirLimit);
    CPPUNIT_TEST(aDownStoreKeepsTheBacklogInOrderAndRetries);
    CPPUNIT_TEST(theQueueBoundCountsEventsAndBytes);
    CPPUNIT_TEST(stopFlushesEverything);
    CPPUNIT_TEST(maintenanceRunsOnTheWriterThreadBetweenWrites);
    CPPUNIT_TEST(retentionSweepsEachKindInBatchesBetweenWrites);
    CPPUNIT_TEST(retentionStopsWhileTheWriterRetriesADownStore);
    CPPUNIT_TEST_SUITE_END();

public:
    // Log records with ids prefix0, prefix1, ... and `message` (empty fields otherwise).
    static std::vector<mc::records::TypedRecord> logs(const std::string& prefix, int n, const std::string& message = "") {
        const auto* spec = mc::records::findKind("log");
        std::vector<mc::records::TypedRecord> out;
        for (int i = 0; i < n; ++i) {
            mc::records::TypedRecord r{spec, {}};
            r.record.id = prefix + std::to_string(i);
            r.record.values.resize(spec->fields.size());
            r.record.present.resize(spec->fields.size());
            if (!message.empty()) r.record.values[0] = message;
            out.push_back(std::move(r));
        }
        return out;
    }

    // Fire-and-forget records wait the background delay for company; an awaited submission cuts the
    // wait to batch_max_delay, and both go in one commit.
    void aBatchNoOneAwaitsGathersLongerUntilAnAwaitedOneComes() {
        RecordingStore store;
        StoreWriterSettings settings = fastWriter();
        settings.batchMaxDelay = 5ms;
        settings.backgroundBatchMaxDelay = 60000ms; // longer than the test: only an awaited one ends it
        StoreWriter writer(settings, store.function());
        writer.start();
        std::atomic<int> committed{0};
        const auto count = [&](std::vector<std::string> rejects) { committed += static_cast<int>(rejects.size()); };
        CPPUNIT_ASSERT(writer.enqueue(logs("background", 2), count, StoreWriter::Priority::Normal, false) == StoreWriter::Enqueued::Queued);
        std::this_thread::sleep_for(200ms);
        CPPUNIT_ASSERT_EQUAL(0, store.calls.load());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), writer.stats().queuedEvents);
        const auto awaitedAt = std::chrono::steady_clock::now();
        CPPUNIT_ASSERT(writer.enqueue(logs("awaited", 1), count) == StoreWriter::Enqueued::Queued);
        const auto deadline = awaitedAt + std::chrono::seconds(5 * mc::test::timeScale());
        while (committed.load() < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
        CPPUNIT_ASSERT_EQUAL(3, committed.load());
        {
            std::lock_guard lock(store.mutex);
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), store.batches.size());
            CPPUNIT_ASSERT((store.batches[0] == std::vector<std::string>{"background0", "background1", "awaited0"}));
        }
        // Once more alone: still waiting when stop() flushes it.
        CPPUNIT_ASSERT(writer.enqueue(logs("late", 1), count, StoreWriter::Priority::Normal, false) == StoreWriter::Enqueued::Queued);
        std::this_thread::sleep_for(100ms);
        CPPUNIT_ASSERT_EQUAL(1, store.calls.load());
        writer.stop(1s);
        CPPUNIT_ASSERT_EQUAL(4, committed.load());
        CPPUNIT_ASSERT_EQUAL(2, store.calls.load());
    }

    // between(): a job runs on the writer thread, never during a write; after stop it never runs.
    void maintenanceRunsOnTheWriterThreadBetweenWrites() {
        RecordingStore store;
        std::atomic<std::thread::id> writerThread{};
        StoreWriter writer(fastWriter(), [&](const StoreWriter::Batch& batch, std::string& result, std::string& error) {
            writerThread = std::this_thread::get_id();
            return store.write(batch, result, error);
        });
        writer.start();
        store.hold(true);
        writer.enqueue(logs("a", 1), {});
        while (store.calls.load() == 0) std::this_thread::sleep_for(1ms);
        std::atomic<bool> ran{false};
        std::atomic<std::size_t> committedWhenRan{99};
        auto done = writer.between([&] {
            committedWhenRan = store.committedCount();
            ran = true;
        });
        // The write in progress holds it back.
        CPPUNIT_ASSERT(done.wait_for(50ms) == std::future_status::timeout);
        CPPUNIT_ASSERT(!ran.load());
        store.hold(false);
        done.get();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), committedWhenRan.load());
        std::atomic<std::thread::id> jobThread{};
        writer.between([&] { jobThread = std::this_thread::get_id(); }).get();
        CPPUNIT_ASSERT(jobThread.load() == writerThread.load());
        writer.stop(1s);
        auto late = writer.between([] { CPPUNIT_FAIL("ran after stop"); });
        CPPUNIT_ASSERT_THROW(late.get(), std::future_error);
    }

    // RetentionService: per kind its cutoff, batches until one comes back short, the counts in its
    // health; kinds kept forever are never asked; a store without expire is reported.
    void retentionSweepsEachKindInBatchesBetweenWrites() {
        RecordingStore store;
        StoreWriter writer(fastWriter(), store.function());
        writer.start();
        std::mutex m;
        std::vector<std::string> calls;
        std::map<std::string, int> left{{"log", 5}, {"span", 0}, {"metric", 1}};
        RetentionSettings settings;
        settings.daysByKind = {{"log", 2}, {"span", 7}, {"metric", 7}, {"audit", 0}};
        settings.batchRows = 2;
        settings.pause = 0ms;
        const long long now = 10LL * 86400 * 1000000; // 1970-01-11
        RetentionService retention(settings, writer,
                                   [&](const std::string& kind, const std::string& before, std::size_t maxRows, std::uint64_t& deleted,
                                       std::string& error) {
                                       std::lock_guard lock(m);
                                       calls.push_back(kind + "<" + before);
                                       if (kind == "metric") {
                                           error = "no expire hook";
                                           return MC_ERR_UNSUPPORTED;
                                       }
                                       deleted = std::min<std::uint64_t>(maxRows, static_cast<std::uint64_t>(left[kind]));
                                       left[kind] -= static_cast<int>(deleted);
                                       return MC_OK;
                                   },
                                   [&] { return now; });
        retention.sweepNow();
        const std::vector<std::string> expected = {"log<1970-01-09T00:00:00.000000Z", "log<1970-01-09T00:00:00.000000Z",
                                                   "log<1970-01-09T00:00:00.000000Z", "metric<1970-01-04T00:00:00.000000Z",
                                                   "span<1970-01-04T00:00:00.000000Z"};
        CPPUNIT_ASSERT(calls == expected);
        const auto health = mc::test::parseObject(retention.healthJson())->getObject("kinds");
        CPPUNIT_ASSERT_EQUAL(5, health->getObject("log")->getValue<int>("deleted"));
        CPPUNIT_ASSERT_EQUAL(2, health->getObject("log")->getValue<int>("days"));
        CPPUNIT_ASSERT(health->getObject("log")->isNull("last_error"));
        CPPUNIT_ASSERT_EQUAL(std::string("the store keeps everything: no expire hook"),
                             health->getObject("metric")->getValue<std::string>("last_error"));
        CPPUNIT_ASSERT_EQUAL(0, health->getObject("audit")->getValue<int>("deleted"));
        CPPUNIT_ASSERT(health->getObject("audit")->isNull("last_sweep"));
        writer.stop(1s);
    }

    // The host stops retention before the writer: a batch waiting behind a down store's retries must
    // not hold that stop (it would wait for the writer, which waits for its stop).
    void retentionStopsWhileTheWriterRetriesADownStore() {
        RecordingStore store;
        store.down = true;
        StoreWriter writer(fastWriter(), store.function());
        writer.start();
        writer.enqueue(logs("w", 1), {});
        while (store.calls.load() == 0) std::this_thread::sleep_for(1ms);
        std::atomic<int> expired{0};
        RetentionSettings settings;
        settings.daysByKind = {{"log", 1}};
        settings.interval = 100ms;
        RetentionService retention(settings, writer,
                                   [&](const std::string&, const std::string&, std::size_t, std::uint64_t& deleted, std::string&) {
                                       ++expired;
                                       deleted = 0;
                                       return MC_OK;
                                   },
                                   [] { return 86400LL * 1000000 * 30; });
        retention.start();
        std::this_thread::sleep_for(400ms); // its first sweep waits behind the retried write
        const auto before = std::chrono::steady_clock::now();
        retention.stop();
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - before < 1s);
        CPPUNIT_ASSERT_EQUAL(0, expired.load());
        store.down = false; // the write goes through; the abandoned batch may run, into its own state
        writer.stop(2s);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), store.committedCount());
    }

    void concurrentSubmissionsShareOneCommit() {
        RecordingStore store;
        store.hold(true);
        StoreWriter writer(fastWriter(), store.function());
        writer.start();
        std::atomic<int> done{0};
        CPPUNIT_ASSERT(writer.enqueue(logs("a", 1), [&](std::vector<std::string> r) { done += r.size() == 1 && r[0].empty(); }) ==
                       StoreWriter::Enqueued::Queued);
        // The first batch is being written (held); these three queue behind it and go as one.
        while (store.calls.load() == 0) std::this_thread::sleep_for(1ms);
        for (const char* p : {"b", "c", "d"})
            writer.enqueue(logs(p, 2), [&](std::vector<std::string> r) { done += r.size() == 2 && r[0].empty() && r[1].empty(); });
        store.hold(false);
        writer.stop(1s);
        CPPUNIT_ASSERT_EQUAL(4, done.load());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), store.batches.size());
        CPPUNIT_ASSERT(store.batches[1] == std::vector<std::string>({"b0", "b1", "c0", "c1", "d0", "d1"}));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(7), writer.stats().committed);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), writer.stats().batches);
    }

    void batchesStopAtTheirLimit() {
        RecordingStore store;
        store.hold(true);
        StoreWriterSettings settings = fastWriter();
        settings.batchMaxEvents = 4;
        StoreWriter writer(settings, store.function());
        for (int i = 0; i < 5; ++i) writer.enqueue(logs("s" + std::to_string(i) + "-", 2), {});
        writer.start();
        store.hold(false);
        writer.stop(1s);
        // 10 events in submissions of 2, at most 4 per transaction, submissions never split.
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), store.batches.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), store.batches[0].size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), store.batches[1].size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), store.batches[2].size());
    }

    void aDownStoreKeepsTheBacklogInOrderAndRetries() {
        RecordingStore store;
        store.down = true;
        StoreWriter writer(fastWriter(), store.function());
        std::vector<std::string> transitions;
        std::mutex m;
        writer.setStateListener([&](bool down, const std::string& reason) {
            std::lock_guard lock(m);
            transitions.push_back(down ? "down: " + reason : "up");
        });
        writer.start();
        std::atomic<int> acked{0};
        for (int i = 0; i < 3; ++i) writer.enqueue(logs("o" + std::to_string(i) + "-", 1), [&](std::vector<std::string> r) {
            if (r[0].empty()) ++acked;
        });
        while (writer.stats().retries < 3) std::this_thread::sleep_for(1ms);
        const auto stats = writer.stats();
        CPPUNIT_ASSERT(stats.down);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), stats.queuedEvents);
        CPPUNIT_ASSERT_EQUAL(0, acked.load());
        CPPUNIT_ASSERT_EQUAL(std::string("store down (unavailable): connection refused"), stats.lastError);
        const auto health = mc::test::parseObject(writer.healthJson());
        CPPUNIT_ASSERT_EQUAL(std::string("recoverable_error"), health->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(3, health->getValue<int>("queued_events"));
        store.down = false;
        writer.stop(2s);
        CPPUNIT_ASSERT_EQUAL(3, acked.load());
        std::vector<std::string> all;
        for (const auto& b : store.batches) all.insert(all.end(), b.begin(), b.end());
        CPPUNIT_ASSERT(all == std::vector<std::string>({"o0-0", "o1-0", "o2-0"}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), transitions.size());
        CPPUNIT_ASSERT_EQUAL(std::string("down: store down (unavailable): connection refused"), transitions[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("up"), transitions[1]);
    }

    void theQueueBoundCountsEventsAndBytes() {
        RecordingStore store;
        StoreWriterSettings settings = fastWriter();
        settings.maxQueuedEvents = 5;
        settings.maxQueuedBytes = 100000;
        StoreWriter writer(settings, store.function());
        CPPUNIT_ASSERT(writer.enqueue(logs("a", 4), {}) == StoreWriter::Enqueued::Queued);
        CPPUNIT_ASSERT(writer.enqueue(logs("b", 2), {}) == StoreWriter::Enqueued::Full);
        CPPUNIT_ASSERT(writer.enqueue(logs("c", 1), {}) == StoreWriter::Enqueued::Queued);
        StoreWriterSettings bytes = fastWriter();
        bytes.maxQueuedBytes = 1024;
        StoreWriter small(bytes, store.function());
        const auto big = logs("x", 1, std::string(800, 'x'));
        const std::size_t bigBytes = big[0].sizeBytes(); // 800 + the id + 16 per field
        CPPUNIT_ASSERT(bigBytes > 800 && bigBytes < 1024);
        CPPUNIT_ASSERT(small.enqueue(big, {}) == StoreWriter::Enqueued::Queued);
        CPPUNIT_ASSERT(small.enqueue(logs("y", 1, std::string(1024 - bigBytes, 'y')), {}) == StoreWriter::Enqueued::Full);
        CPPUNIT_ASSERT_EQUAL(bigBytes, small.stats().queuedBytes);
    }

    void stopFlushesEverything() {
        RecordingStore store;
        StoreWriterSettings settings = fastWriter();
        settings.batchMaxEvents = 10;
        StoreWriter writer(settings, store.function());
        writer.start();
        for (int i = 0; i < 50; ++i) writer.enqueue(logs("f" + std::to_string(i) + "-", 3), {});
        writer.stop(2s);
        CPPUNIT_ASSERT_EQUAL(std::size_t(150), store.committedCount());
        CPPUNIT_ASSERT(writer.enqueue(logs("late", 1), {}) == StoreWriter::Enqueued::Stopped);
        // A store that stays down: stop gives up after its timeout and says so to each submitter.
        RecordingStore downStore;
        downStore.down = true;
        StoreWriter stuck(fastWriter(), downStore.function());
        stuck.start();
        std::string reason;
        stuck.enqueue(logs("s", 1), [&](std::vector<std::string> r) { reason = r[0]; });
        stuck.stop(50ms);
        CPPUNIT_ASSERT_EQUAL(std::string("not written: the store was down at shutdown (store down (unavailable): connection refused)"),
                             reason);
    }
};

class ThreadStateCacheTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ThreadStateCacheTest);
    CPPUNIT_TEST(onlyWhatIsMissingIsLoadedAndAbsenceIsRememberedForAWhile);
    CPPUNIT_TEST(leastRecentlyUsedEntriesAreEvicted);
    CPPUNIT_TEST(parsesTheThreadsStateResult);
    CPPUNIT_TEST_SUITE_END();

public:
    void onlyWhatIsMissingIsLoadedAndAbsenceIsRememberedForAWhile() {
        ThreadStateCache cache(10, std::chrono::milliseconds(1000));
        const auto t0 = ThreadStateCache::Clock::now();
        ThreadState out;
        CPPUNIT_ASSERT(cache.find("T-1", out, t0) == ThreadStateCache::Lookup::Unknown); // never loads by itself
        CPPUNIT_ASSERT(cache.missing({"T-1", "T-2", "T-1", ""}, t0) == std::vector<std::string>({"T-1", "T-2"}));
        ThreadState running;
        running.status = "running";
        cache.remember({"T-1", "T-2"}, {{"T-1", running}}, t0);
        CPPUNIT_ASSERT(cache.find("T-1", out, t0) == ThreadStateCache::Lookup::Found);
        CPPUNIT_ASSERT_EQUAL(std::string("running"), out.status);
        CPPUNIT_ASSERT(cache.find("T-2", out, t0) == ThreadStateCache::Lookup::Absent);
        CPPUNIT_ASSERT(cache.missing({"T-1", "T-2"}, t0).empty());
        // Absence is believed for a while only (another writer may create the thread).
        const auto later = t0 + std::chrono::milliseconds(1500);
        CPPUNIT_ASSERT(cache.find("T-2", out, later) == ThreadStateCache::Lookup::Unknown);
        CPPUNIT_ASSERT(cache.missing({"T-1", "T-2"}, later) == std::vector<std::string>({"T-2"}));
        // An accepted event beats a remembered absence, and a late lookup answer does not undo it.
        ThreadState paused;
        paused.status = "paused";
        cache.put("T-2", paused);
        cache.remember({"T-2"}, {}, later);
        CPPUNIT_ASSERT(cache.find("T-2", out, later) == ThreadStateCache::Lookup::Found);
        CPPUNIT_ASSERT_EQUAL(std::string("paused"), out.status);
    }

    void leastRecentlyUsedEntriesAreEvicted() {
        ThreadStateCache cache(2);
        ThreadState s;
        s.status = "running";
        cache.put("a", s);
        cache.put("b", s);
        ThreadState out;
        CPPUNIT_ASSERT(cache.find("a", out) == ThreadStateCache::Lookup::Found); // a is now the most recent
        cache.put("c", s);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), cache.size());
        CPPUNIT_ASSERT(cache.find("a", out) == ThreadStateCache::Lookup::Found);
        CPPUNIT_ASSERT(cache.find("b", out) == ThreadStateCache::Lookup::Unknown);
    }

    void parsesTheThreadsStateResult() {
        auto parsed = ThreadStateCache::parseStateResult(
            R"({"items":[{"id":"T-1","status":"paused","parent_id":"T-0","max_step_sequence":3,"max_transcript_sequence":null}]})");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), parsed.size());
        CPPUNIT_ASSERT_EQUAL(std::string("paused"), parsed["T-1"].status);
        CPPUNIT_ASSERT_EQUAL(std::string("T-0"), parsed["T-1"].parentId);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3), parsed["T-1"].maxStepSequence);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), parsed["T-1"].maxTranscriptSequence);
        CPPUNIT_ASSERT_THROW(ThreadStateCache::parseStateResult(R"({"rows":[]})"), std::invalid_argument);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(IngestServiceTest);
CPPUNIT_TEST_SUITE_REGISTRATION(StoreWriterTest);
CPPUNIT_TEST_SUITE_REGISTRATION(ThreadStateCacheTest);
CPPUNIT_TEST_SUITE_REGISTRATION(LogRateLimiterTest);
