// store-sqlite through the real store-sqlite.so in the SDK's fake host (tests/plugins/StoreFakeHarness.h:
// create, start, the repository's migrations), on real temp databases.
#include "RawSqlite.h"
#include "StoreFakeHarness.h"

#include "mc/records/QueryCatalog.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

using mc::test::parseObject;
using mc::test::RawSqlite;
using mc::test::fake::StoreError;
using mc::test::fake::TempDir;
using StoreService = mc::test::fake::FakeStore;

namespace {

std::unique_ptr<StoreService> openStore(const std::string& dbPath,
                                        const std::string& migrationsDir = mc::test::fake::sourceMigrationsDir(),
                                        std::map<std::string, std::string> overrides = {}) {
    overrides["path"] = dbPath;
    return std::make_unique<StoreService>("store-sqlite", overrides, migrationsDir);
}

// Writes and asserts success; returns the store's result object.
Poco::JSON::Object::Ptr writeOk(StoreService& store, const std::string& kind, const std::string& records) {
    std::string result, error;
    const mc_status status = store.write(kind, records, result, error);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, status);
    return parseObject(result);
}

Poco::JSON::Array::Ptr queryItems(StoreService& store, const std::string& name, const std::string& params) {
    std::string result, error;
    const mc_status status = store.query(name, params, result, error);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, status);
    return parseObject(result)->getArray("items");
}

std::string field(const Poco::JSON::Array::Ptr& items, unsigned i, const std::string& name) {
    return items->getObject(i)->getValue<std::string>(name);
}

const char* kThread =
    R"([{"id":"T-1","mcp_id":"mcp-a","status":"running","user_input":"list files",)"
    R"("execution_context":{"cwd":"/tmp","n":[1,2]},"started_at":"2026-01-02T03:04:05.5+02:00",)"
    R"("memory_usage":1024,"cpu_usage":0.25}])";

} // namespace

class StoreSqliteTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StoreSqliteTest);
    CPPUNIT_TEST(testWritesEachKindAndReadsThemBack);
    CPPUNIT_TEST(testBadRecordsAreRejectedWithIndexAndReasonWhileGoodOnesAreStored);
    CPPUNIT_TEST(testThreadFieldTypesAreChecked);
    CPPUNIT_TEST(testStepForUnknownThreadIsRejectedByForeignKey);
    CPPUNIT_TEST(testRewritingTheSameIdNeverDuplicates);
    CPPUNIT_TEST(testGeneratedIdsAreUnique);
    CPPUNIT_TEST(testLogsListFiltersAndOrdersNewestFirst);
    CPPUNIT_TEST(testLogsListRejectsBadParameters);
    CPPUNIT_TEST(testCursorKeysAreCheckedAndNormalized);
    CPPUNIT_TEST(testUnknownKindQueryAndMissingThread);
    CPPUNIT_TEST(testMalformedBatchIsRefusedAndLosesNothing);
    CPPUNIT_TEST(testHealthReportsWalAndSchemaVersion);
    CPPUNIT_TEST(testHealthTurnsFalseWhenTheFileIsGone);
    CPPUNIT_TEST(testDatabaseIsInWalModeWithForeignKeys);
    CPPUNIT_TEST(testMissingDirectoryFailsStartWithReason);
    CPPUNIT_TEST(testNonSqliteFileFailsStartWithReason);
    CPPUNIT_TEST(testBadConfigFailsCreateWithReason);
    CPPUNIT_TEST(testConcurrentWritesLoseNothing);
    CPPUNIT_TEST(testWalIsCheckpointedBesideTheWriterAndStaysBounded);
    CPPUNIT_TEST(testLockedDatabaseIsUnavailableAndTheRetrySucceeds);
    CPPUNIT_TEST(testFullTextIndexIsFilledOncePerBatchAndOnceBeforeMigration4);
    CPPUNIT_TEST(testStatementsKeptAcrossBatchesHoldNothingOpen);
    CPPUNIT_TEST_SUITE_END();

public:
    void testWritesEachKindAndReadsThemBack() {
        TempDir dir;
        auto store = openStore(dir.file("each.db"));
        CPPUNIT_ASSERT_EQUAL(1, writeOk(*store, "thread", kThread)->getValue<int>("accepted"));
        auto step = writeOk(*store, "step",
                            R"([{"id":"S-1","thread_id":"T-1","sequence":1,"timestamp":"2026-01-02T01:04:06Z",)"
                            R"("duration_ms":12.5,"step_type":"tool_call","description":"ls","details":{"tool":"ls"},"status":"ok"}])");
        CPPUNIT_ASSERT_EQUAL(1, step->getValue<int>("accepted"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), step->getArray("rejected")->size());
        CPPUNIT_ASSERT_EQUAL(1, writeOk(*store, "log",
                                        R"([{"id":"L-1","timestamp":"2026-01-02T01:04:07.123456789Z","level":"warn",)"
                                        R"("service":"gateway","thread_id":"T-1","mcp_id":"mcp-a","message":"slow",)"
                                        R"("context":{"ms":900},"exception":null}])")
                                    ->getValue<int>("accepted"));
        CPPUNIT_ASSERT_EQUAL(1, writeOk(*store, "permission",
                                        R"([{"id":"P-1","timestamp":"2026-01-02T01:04:08Z","thread_id":"T-1",)"
                                        R"("user_id":"u1","resource":"/etc","action":"read","granted":true,"reason":"policy"}])")
                                    ->getValue<int>("accepted"));

        auto threads = queryItems(*store, "threads.get", R"({"id":"T-1"})");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), threads->size());
        auto thread = threads->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("mcp-a"), thread->getValue<std::string>("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("running"), thread->getValue<std::string>("status"));
        // +02:00 folded into UTC, fraction padded to microseconds.
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-02T01:04:05.500000Z"), thread->getValue<std::string>("started_at"));
        CPPUNIT_ASSERT(thread->isNull("ended_at"));
        CPPUNIT_ASSERT_EQUAL(1024, thread->getValue<int>("memory_usage"));
        CPPUNIT_ASSERT_EQUAL(0.25, thread->getValue<double>("cpu_usage"));
        CPPUNIT_ASSERT_EQUAL(std::string("/tmp"), thread->getObject("execution_context")->getValue<std::string>("cwd"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), thread->getObject("execution_context")->getArray("n")->size());
        auto timeline = thread->getArray("timeline");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), timeline->size());
        CPPUNIT_ASSERT_EQUAL(std::string("tool_call"), field(timeline, 0, "step_type"));
        CPPUNIT_ASSERT_EQUAL(12.5, timeline->getObject(0)->getValue<double>("duration_ms"));
        CPPUNIT_ASSERT_EQUAL(std::string("ls"), timeline->getObject(0)->getObject("details")->getValue<std::string>("tool"));

        auto logs = queryItems(*store, "logs.list", "{}");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), logs->size());
        CPPUNIT_ASSERT_EQUAL(std::string("WARN"), field(logs, 0, "level")); // normalized to the seed's spelling
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-02T01:04:07.123456Z"), field(logs, 0, "timestamp"));
        CPPUNIT_ASSERT_EQUAL(900, logs->getObject(0)->getObject("context")->getValue<int>("ms"));
        CPPUNIT_ASSERT(logs->getObject(0)->isNull("exception"));

        store.reset();
        RawSqlite raw(dir.file("each.db"));
        CPPUNIT_ASSERT_EQUAL(std::string("1|read|policy"),
                             raw.scalar("SELECT granted || '|' || action || '|' || reason FROM permission_events WHERE id='P-1'"));
        CPPUNIT_ASSERT_EQUAL(std::string("tool_call"), raw.scalar("SELECT type FROM execution_steps WHERE id='S-1'"));
        CPPUNIT_ASSERT_EQUAL(std::string("{\"cwd\":\"/tmp\",\"n\":[1,2]}"),
                             raw.scalar("SELECT execution_context FROM threads WHERE id='T-1'"));
    }

    void testBadRecordsAreRejectedWithIndexAndReasonWhileGoodOnesAreStored() {
        TempDir dir;
        auto store = openStore(dir.file("partial.db"));
        auto result = writeOk(*store, "log",
                              R"([{"id":"good-0","level":"INFO","service":"s","mcp_id":"m","message":"a"},)"
                              R"({"level":"INFO","service":"s","message":"no mcp"},)"
                              R"({"level":"LOUD","service":"s","mcp_id":"m"},)"
                              R"(42,)"
                              R"({"level":"INFO","service":"s","mcp_id":"m","timestamp":"yesterday"},)"
                              R"({"level":"INFO","service":"s","mcp_id":"m","context":{"k":1},"thread_id":7},)"
                              R"({"id":"good-6","level":"ERROR","service":"s","mcp_id":"m","message":"b"}])");
        CPPUNIT_ASSERT_EQUAL(2, result->getValue<int>("accepted"));
        auto rejected = result->getArray("rejected");
        const std::pair<int, std::string> expected[] = {
            {1, "field 'mcp_id' is required"},
            {2, "field 'level' must be one of DEBUG, INFO, WARN, ERROR (got 'LOUD')"},
            {3, "record is not a JSON object"},
            {4, "field 'timestamp' must be an RFC 3339 timestamp such as 2026-01-02T03:04:05.123456Z"},
            {5, "field 'thread_id' must be a string"},
        };
        CPPUNIT_ASSERT_EQUAL(std::size(expected), rejected->size());
        for (unsigned i = 0; i < std::size(expected); ++i) {
            CPPUNIT_ASSERT_EQUAL(expected[i].first, rejected->getObject(i)->getValue<int>("index"));
            CPPUNIT_ASSERT_EQUAL(expected[i].second, rejected->getObject(i)->getValue<std::string>("reason"));
        }
        auto logs = queryItems(*store, "logs.list", "{}");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), logs->size());
        CPPUNIT_ASSERT_EQUAL(std::string("good-6"), field(logs, 0, "id"));
        CPPUNIT_ASSERT_EQUAL(std::string("good-0"), field(logs, 1, "id"));
    }

    void testThreadFieldTypesAreChecked() {
        TempDir dir;
        auto store = openStore(dir.file("types.db"));
        auto result = writeOk(*store, "thread",
                              R"([{"mcp_id":"m","status":"running","memory_usage":18446744073709551615},)"
                              R"({"mcp_id":"m","status":"running","memory_usage":1.5},)"
                              R"({"mcp_id":"m","status":"running","cpu_usage":"high"},)"
                              R"({"mcp_id":"m","status":"done"},)"
                              R"({"id":"","mcp_id":"m","status":"running"},)"
                              R"({"mcp_id":"m","status":"running","ended_at":"2026-02-30T00:00:00Z"},)"
                              R"({"id":"T-ok","mcp_id":"m","status":"error","memory_usage":2.0,"parent_id":null}])");
        CPPUNIT_ASSERT_EQUAL(1, result->getValue<int>("accepted"));
        auto rejected = result->getArray("rejected");
        CPPUNIT_ASSERT_EQUAL(std::size_t(6), rejected->size());
        const std::string reasons[] = {
            "field 'memory_usage' cannot be stored: ",
            "field 'memory_usage' must be an integer",
            "field 'cpu_usage' must be a number",
            "field 'status' must be one of running, paused, complete, error, cancelled (got 'done')",
            "field 'id' must be a non-empty string",
            "field 'ended_at' must be an RFC 3339 timestamp such as 2026-01-02T03:04:05.123456Z",
        };
        for (unsigned i = 0; i < 6; ++i) {
            CPPUNIT_ASSERT_EQUAL(int(i), rejected->getObject(i)->getValue<int>("index"));
            const std::string reason = rejected->getObject(i)->getValue<std::string>("reason");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(reason, reasons[i], reason.substr(0, reasons[i].size()));
        }
        auto thread = queryItems(*store, "threads.get", R"({"id":"T-ok"})")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(2, thread->getValue<int>("memory_usage"));
        CPPUNIT_ASSERT(thread->isNull("parent_id"));
    }

    void testStepForUnknownThreadIsRejectedByForeignKey() {
        TempDir dir;
        auto store = openStore(dir.file("fk.db"));
        writeOk(*store, "thread", kThread);
        auto result = writeOk(*store, "step",
                              R"([{"thread_id":"T-missing","sequence":1,"step_type":"x"},)"
                              R"({"thread_id":"T-1","sequence":2,"step_type":"y"}])");
        CPPUNIT_ASSERT_EQUAL(1, result->getValue<int>("accepted"));
        auto rejected = result->getArray("rejected");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), rejected->size());
        CPPUNIT_ASSERT_EQUAL(0, rejected->getObject(0)->getValue<int>("index"));
        CPPUNIT_ASSERT_EQUAL(std::string("thread_id 'T-missing' does not exist (write the thread first)"),
                             rejected->getObject(0)->getValue<std::string>("reason"));
        auto timeline = queryItems(*store, "threads.get", R"({"id":"T-1"})")->getObject(0)->getArray("timeline");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), timeline->size());
        CPPUNIT_ASSERT_EQUAL(std::string("y"), field(timeline, 0, "step_type"));
    }

    void testRewritingTheSameIdNeverDuplicates() {
        TempDir dir;
        auto store = openStore(dir.file("idem.db"));
        const std::string log = R"([{"id":"L-same","level":"INFO","service":"s","mcp_id":"m","message":"once"}])";
        writeOk(*store, "log", log);
        auto again = writeOk(*store, "log", log); // an accepted no-op
        CPPUNIT_ASSERT_EQUAL(1, again->getValue<int>("accepted"));
        CPPUNIT_ASSERT_EQUAL(1, again->getValue<int>("duplicates"));
        writeOk(*store, "thread", kThread);
        writeOk(*store, "thread",
                R"([{"id":"T-1","mcp_id":"mcp-a","status":"complete","started_at":"2026-01-02T01:04:05.5Z",)"
                R"("ended_at":"2026-01-02T01:05:00Z"}])");
        auto thread = queryItems(*store, "threads.get", R"({"id":"T-1"})")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("complete"), thread->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-02T01:05:00.000000Z"), thread->getValue<std::string>("ended_at"));
        store.reset();
        RawSqlite raw(dir.file("idem.db"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), raw.scalar("SELECT count(*) FROM logs"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), raw.scalar("SELECT count(*) FROM threads"));
    }

    void testGeneratedIdsAreUnique() {
        TempDir dir;
        auto store = openStore(dir.file("ids.db"));
        const std::string record = R"({"level":"DEBUG","service":"s","mcp_id":"m"})";
        CPPUNIT_ASSERT_EQUAL(3, writeOk(*store, "log", "[" + record + "," + record + "," + record + "]")
                                    ->getValue<int>("accepted"));
        auto logs = queryItems(*store, "logs.list", "{}");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), logs->size());
        std::set<std::string> ids;
        for (unsigned i = 0; i < 3; ++i) {
            ids.insert(field(logs, i, "id"));
            CPPUNIT_ASSERT_EQUAL(std::string("L-"), field(logs, i, "id").substr(0, 2));
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), ids.size());
    }

    void testLogsListFiltersAndOrdersNewestFirst() {
        TempDir dir;
        auto store = openStore(dir.file("filters.db"));
        writeOk(*store, "thread", kThread);
        writeOk(*store, "thread", R"([{"id":"T-2","mcp_id":"mcp-b","status":"running"}])");
        writeOk(*store, "log",
                R"([{"id":"a","timestamp":"2026-01-01T00:00:01Z","level":"INFO","service":"s","mcp_id":"mcp-a","thread_id":"T-1"},)"
                R"({"id":"b","timestamp":"2026-01-01T00:00:03Z","level":"ERROR","service":"s","mcp_id":"mcp-a","thread_id":"T-1"},)"
                R"({"id":"c","timestamp":"2026-01-01T00:00:02Z","level":"INFO","service":"s","mcp_id":"mcp-b","thread_id":"T-2"},)"
                R"({"id":"d","timestamp":"2026-01-01T00:00:04Z","level":"INFO","service":"s","mcp_id":"mcp-b"},)"
                R"({"id":"e","timestamp":"2026-01-01T00:00:00.000001Z","level":"INFO","service":"s","mcp_id":"mcp-a","thread_id":"T-1"}])");
        auto ids = [&](const std::string& params) {
            std::string joined;
            auto items = queryItems(*store, "logs.list", params);
            for (unsigned i = 0; i < items->size(); ++i) joined += field(items, i, "id");
            return joined;
        };
        CPPUNIT_ASSERT_EQUAL(std::string("dbcae"), ids("{}"));
        CPPUNIT_ASSERT_EQUAL(std::string("bae"), ids(R"({"thread_id":"T-1"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("dc"), ids(R"({"mcp_id":"mcp-b"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("dbcae"), ids(R"({"min_level":"info"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("b"), ids(R"({"min_level":"ERROR","mcp_id":"mcp-a","thread_id":"T-1"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("eacbd"), ids(R"({"order":"asc"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("db"), ids(R"({"limit":2})"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), ids(R"({"thread_id":"T-none"})"));
    }

    void testLogsListRejectsBadParameters() {
        TempDir dir;
        auto store = openStore(dir.file("params.db"));
        const std::pair<std::string, std::string> cases[] = {
            {R"({"limit":1001})", "logs.list: parameter 'limit' must be an integer from 1 to 1000"},
            {R"({"limit":0})", "logs.list: parameter 'limit' must be an integer from 1 to 1000"},
            {R"({"limit":"5"})", "logs.list: parameter 'limit' must be an integer from 1 to 1000"},
            // Found by fuzz/query_catalog: beyond 64 bits it was a Poco::RangeException (500, not 400).
            {R"({"limit":18446744073709551615})", "logs.list: parameter 'limit' must be an integer from 1 to 1000"},
            {R"({"thread":"T-1"})", "logs.list: unknown parameter 'thread' (known: contains, cursor, from, limit, mcp_id, "
                                  "min_level, order, service, thread_id, to)"},
            {R"({"mcp_id":3})", "logs.list: parameter 'mcp_id' must be a string"},
            {R"([1])", "logs.list: parameters must be a JSON object"},
        };
        for (const auto& [params, message] : cases) {
            std::string result, error;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(params, MC_ERR_INVALID_ARGUMENT, store->query("logs.list", params, result, error));
            CPPUNIT_ASSERT_EQUAL(message, error);
        }
    }

    // Found by fuzz/query_catalog: a cursor's key was checked but then used as given. An integer key
    // like "-" or one beyond 64 bits failed inside the store (500); a timestamp key in another zone or
    // form was compared as text with the stored form, so the "next page" started anywhere.
    void testCursorKeysAreCheckedAndNormalized() {
        TempDir dir;
        auto store = openStore(dir.file("cursors.db"));
        writeOk(*store, "thread", kThread);
        writeOk(*store, "step", R"([{"id":"S-1","thread_id":"T-1","sequence":1,"step_type":"x"},)"
                                R"({"id":"S-2","thread_id":"T-1","sequence":2,"step_type":"x"}])");
        writeOk(*store, "log",
                R"([{"id":"a","timestamp":"2026-01-01T00:00:01Z","level":"INFO","service":"s","mcp_id":"m"},)"
                R"({"id":"b","timestamp":"2026-01-01T00:00:03Z","level":"INFO","service":"s","mcp_id":"m"},)"
                R"({"id":"c","timestamp":"2026-01-01T00:00:02Z","level":"INFO","service":"s","mcp_id":"m"}])");
        const auto cursor = [](const std::string& query, bool descending, const std::string& key, const std::string& id) {
            mc::records::ParsedList list;
            list.spec = mc::records::findListQuery(query);
            list.descending = descending;
            return mc::records::encodeCursor(list, key, id);
        };
        const auto ids = [&](const std::string& query, const std::string& params) {
            std::string joined;
            auto items = queryItems(*store, query, params);
            for (unsigned i = 0; i < items->size(); ++i) joined += field(items, i, "id");
            return joined;
        };
        // Newest first, after (00:00:02, c): the same instant written in another zone gives the same page.
        CPPUNIT_ASSERT_EQUAL(std::string("a"), ids("logs.list", R"({"cursor":")" + cursor("logs.list", true, "2026-01-01T00:00:02.000000Z", "c") + "\"}"));
        CPPUNIT_ASSERT_EQUAL(std::string("a"), ids("logs.list", R"({"cursor":")" + cursor("logs.list", true, "2026-01-01T01:00:02+01:00", "c") + "\"}"));
        CPPUNIT_ASSERT_EQUAL(std::string("S-2"), ids("threads.timeline", R"({"id":"T-1","cursor":")" + cursor("threads.timeline", false, "01", "S-1") + "\"}"));
        for (const std::string key : {"-", "1-2", "99999999999999999999", "+1", ""}) {
            std::string result, error;
            const std::string params = R"({"id":"T-1","cursor":")" + cursor("threads.timeline", false, key, "S-1") + "\"}";
            CPPUNIT_ASSERT_EQUAL_MESSAGE(key, MC_ERR_INVALID_ARGUMENT, store->query("threads.timeline", params, result, error));
            CPPUNIT_ASSERT_EQUAL(std::string("threads.timeline: parameter 'cursor' is not a cursor this query issued "
                                             "(pass next_cursor unchanged)"),
                                 error);
        }
    }

    void testUnknownKindQueryAndMissingThread() {
        TempDir dir;
        auto store = openStore(dir.file("unknown.db"));
        std::string result, error;
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, store->write("heartbeat", "[]", result, error));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown record kind 'heartbeat' (known: thread, step, log, permission, transcript, mcp_status, audit, span, metric, protocol_message, events)"), error);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_UNSUPPORTED, store->query("logs.tail", "{}", result, error));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown query 'logs.tail' (known: audit.list, graph, logs.export, logs.list, "
                                         "mcps.history, metrics.list, permissions.list, protocol.list, schema_migrations.list, search, spans.list, steps.list, "
                                         "threads.children, threads.get, threads.list, threads.state, threads.timeline, threads.transcript, "
                                         "tools, traces.get, usage)"),
                             error);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_NOT_FOUND, store->query("threads.get", R"({"id":"T-nope"})", result, error));
        CPPUNIT_ASSERT_EQUAL(std::string("thread 'T-nope' not found"), error);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, store->query("threads.get", "{}", result, error));
        CPPUNIT_ASSERT_EQUAL(std::string("threads.get: parameter 'id' is required"), error);
    }

    void testMalformedBatchIsRefusedAndLosesNothing() {
        TempDir dir;
        auto store = openStore(dir.file("malformed.db"));
        writeOk(*store, "log", R"([{"id":"keep","level":"INFO","service":"s","mcp_id":"m"}])");
        std::string result, error;
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, store->write("log", R"([{"id":"x",)", result, error));
        CPPUNIT_ASSERT(error.rfind("records are not valid JSON: ", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, store->write("log", R"({"id":"x"})", result, error));
        CPPUNIT_ASSERT_EQUAL(std::string("records must be a JSON array"), error);
        auto logs = queryItems(*store, "logs.list", "{}");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), logs->size());
        CPPUNIT_ASSERT_EQUAL(std::string("keep"), field(logs, 0, "id"));
    }

    void testHealthReportsWalAndSchemaVersion() {
        TempDir dir;
        auto store = openStore(dir.file("health.db"));
        auto health = parseObject(store->healthJson());
        CPPUNIT_ASSERT_EQUAL(true, health->getValue<bool>("ok"));
        CPPUNIT_ASSERT_EQUAL(std::string("sqlite"), health->getValue<std::string>("backend"));
        CPPUNIT_ASSERT_EQUAL(dir.file("health.db"), health->getValue<std::string>("path"));
        CPPUNIT_ASSERT_EQUAL(true, health->getValue<bool>("wal"));
        CPPUNIT_ASSERT_EQUAL(true, health->getValue<bool>("foreign_keys"));
        // Durable by default: an acknowledged commit survives power loss.
        CPPUNIT_ASSERT_EQUAL(std::string("FULL"), health->getValue<std::string>("synchronous"));
        CPPUNIT_ASSERT_EQUAL(5000, health->getValue<int>("busy_timeout_ms"));
        CPPUNIT_ASSERT_EQUAL(mc::test::fake::shippedSchemaVersion(), health->getValue<int64_t>("schema_version"));
        CPPUNIT_ASSERT(health->getValue<long>("size_bytes") > 0);
        CPPUNIT_ASSERT(store->healthy());
        CPPUNIT_ASSERT_EQUAL(std::string("sqlite"), store->dialect());
    }

    void testHealthTurnsFalseWhenTheFileIsGone() {
        TempDir dir;
        auto store = openStore(dir.file("gone.db"));
        CPPUNIT_ASSERT(store->healthy());
        boost::filesystem::remove(dir.file("gone.db"));
        auto health = parseObject(store->healthJson());
        CPPUNIT_ASSERT_EQUAL(false, health->getValue<bool>("ok"));
        CPPUNIT_ASSERT_EQUAL("database file '" + dir.file("gone.db") + "' no longer exists",
                             health->getValue<std::string>("reason"));
        CPPUNIT_ASSERT(!store->healthy());
        // The check is reported as the instance's status: the data would be lost on restart.
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_PERMANENT_ERROR, store->lastStatus()->status);
        CPPUNIT_ASSERT_EQUAL("database file '" + dir.file("gone.db") + "' no longer exists", store->lastStatus()->message);
    }

    void testDatabaseIsInWalModeWithForeignKeys() {
        TempDir dir;
        auto store = openStore(dir.file("wal.db"), mc::test::fake::sourceMigrationsDir(), {{"busy_timeout_ms", "250"}});
        writeOk(*store, "thread", kThread);
        CPPUNIT_ASSERT(boost::filesystem::exists(dir.file("wal.db-wal"))); // the write went through the WAL
        CPPUNIT_ASSERT_EQUAL(250, parseObject(store->healthJson())->getValue<int>("busy_timeout_ms"));
        RawSqlite raw(dir.file("wal.db"));
        CPPUNIT_ASSERT_EQUAL(std::string("wal"), raw.scalar("PRAGMA journal_mode")); // persistent in the file
    }

    void testMissingDirectoryFailsStartWithReason() {
        TempDir dir;
        const std::string path = dir.file("no-such-dir/x.db");
        try {
            openStore(path);
            CPPUNIT_FAIL("a database in a missing directory must not open");
        } catch (const StoreError& e) {
            CPPUNIT_ASSERT_EQUAL("store-sqlite/test: start failed (io): cannot open SQLite database '" + path +
                                     "': directory '" + dir.file("no-such-dir/") + "' does not exist",
                                 std::string(e.what()));
        }
        CPPUNIT_ASSERT(!boost::filesystem::exists(dir.file("no-such-dir")));
    }

    void testNonSqliteFileFailsStartWithReason() {
        TempDir dir;
        const std::string path = dir.file("text.db");
        {
            std::ofstream out(path);
            out << "this is not a database, it is a text file long enough to fill a header page. "
                << std::string(200, 'x');
        }
        try {
            openStore(path);
            CPPUNIT_FAIL("a text file must not open as a database");
        } catch (const StoreError& e) {
            const std::string message = e.what();
            CPPUNIT_ASSERT_MESSAGE(message, message.rfind("store-sqlite/test: start failed (io): cannot open "
                                                          "SQLite database '" + path + "': ", 0) == 0);
            CPPUNIT_ASSERT_MESSAGE(message, message.find("file is not a database") != std::string::npos);
        }
        std::ifstream in(path);
        std::string first;
        std::getline(in, first);
        CPPUNIT_ASSERT(first.rfind("this is not a database", 0) == 0); // left untouched
    }

    void testBadConfigFailsCreateWithReason() {
        TempDir dir;
        try {
            openStore(dir.file("c.db"), mc::test::fake::sourceMigrationsDir(), {{"busy_timeout_ms", "-5"}});
            CPPUNIT_FAIL("a negative busy_timeout_ms must be refused");
        } catch (const StoreError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("store-sqlite/test: create failed (config): store.sqlite.busy_timeout_ms "
                                             "= '-5': expected an integer in [0, 600000]"),
                                 std::string(e.what()));
        }
        try {
            openStore(dir.file("c.db"), mc::test::fake::sourceMigrationsDir(), {{"synchronous", "sometimes"}});
            CPPUNIT_FAIL("an unknown synchronous mode must be refused");
        } catch (const StoreError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("store-sqlite/test: create failed (config): store.sqlite.synchronous "
                                             "= 'sometimes': expected one of full, normal, off, extra"),
                                 std::string(e.what()));
        }
        CPPUNIT_ASSERT(!boost::filesystem::exists(dir.file("c.db")));
    }

    // Past 1000 WAL pages the log is copied into the database by the checkpoint thread, not in a
    // commit: the count shows in the health details, the data reaches the main file while the store is
    // open, and the log stays bounded however much is written.
    void testWalIsCheckpointedBesideTheWriterAndStaysBounded() {
        TempDir dir;
        const std::string path = dir.file("wal.db");
        auto store = openStore(path);
        CPPUNIT_ASSERT_EQUAL(0, parseObject(store->healthJson())->getValue<int>("wal_checkpoints"));
        const std::string message(2000, 'x');
        for (int b = 0; b < 40; ++b) { // 40 batches of 200 logs of 2 kB: about 16 MB
            std::string batch = "[";
            for (int r = 0; r < 200; ++r)
                batch += std::string(r ? "," : "") + R"({"id":"L-)" + std::to_string(b) + "-" + std::to_string(r) +
                         R"(","level":"INFO","service":"s","mcp_id":"m","message":")" + message + R"("})";
            batch += "]";
            CPPUNIT_ASSERT_EQUAL(200, writeOk(*store, "log", batch)->getValue<int>("accepted"));
        }
        int checkpoints = 0;
        for (int i = 0; i < 200 && checkpoints == 0; ++i) {
            checkpoints = parseObject(store->healthJson())->getValue<int>("wal_checkpoints");
            if (!checkpoints) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        CPPUNIT_ASSERT(checkpoints >= 1);
        CPPUNIT_ASSERT_MESSAGE(std::to_string(Poco::File(path).getSize()), Poco::File(path).getSize() > 4u * 1024 * 1024);
        // Unchecked, the log would hold all that was written (34 MB with the full-text index); bounded, it
        // holds at most 4000 pages and a batch.
        CPPUNIT_ASSERT_MESSAGE(std::to_string(Poco::File(path + "-wal").getSize()), Poco::File(path + "-wal").getSize() < 20u * 1024 * 1024);
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), queryItems(*store, "logs.list", R"({"limit":5})")->size());
    }

    void testConcurrentWritesLoseNothing() {
        TempDir dir;
        auto store = openStore(dir.file("concurrent.db"));
        constexpr int kThreads = 4, kBatches = 25, kPerBatch = 20;
        std::atomic<int> accepted{0}, failures{0};
        std::vector<std::thread> writers;
        for (int t = 0; t < kThreads; ++t) {
            writers.emplace_back([&, t] {
                for (int b = 0; b < kBatches; ++b) {
                    std::string batch = "[";
                    for (int r = 0; r < kPerBatch; ++r) {
                        if (r) batch += ',';
                        batch += R"({"id":"w)" + std::to_string(t) + "-" + std::to_string(b) + "-" + std::to_string(r) +
                                 R"(","level":"INFO","service":"writer","mcp_id":"m)" + std::to_string(t) + R"("})";
                    }
                    batch += "]";
                    std::string result, error;
                    if (store->write("log", batch, result, error) != MC_OK) {
                        ++failures;
                        continue;
                    }
                    accepted += parseObject(result)->getValue<int>("accepted");
                }
            });
        }
        for (auto& w : writers) w.join();
        CPPUNIT_ASSERT_EQUAL(0, failures.load());
        CPPUNIT_ASSERT_EQUAL(kThreads * kBatches * kPerBatch, accepted.load());
        CPPUNIT_ASSERT_EQUAL(std::size_t(kBatches * kPerBatch),
                             queryItems(*store, "logs.list", R"({"mcp_id":"m2","limit":1000})")->size());
        store.reset();
        RawSqlite raw(dir.file("concurrent.db"));
        CPPUNIT_ASSERT_EQUAL(std::to_string(kThreads * kBatches * kPerBatch), raw.scalar("SELECT count(DISTINCT id) FROM logs"));
    }

    // Migration 004 drops the per-row FTS insert triggers of logs and transcripts; the store then
    // indexes each batch's new rows itself. A database still at version 3 keeps its triggers and must
    // not be indexed twice; after 004 every row is indexed exactly once, rejected rows not at all, and
    // FTS5's own integrity check passes.
    void testFullTextIndexIsFilledOncePerBatchAndOnceBeforeMigration4() {
        TempDir dir;
        const auto shipped = boost::filesystem::path(mc::test::fake::sourceMigrationsDir()) / "sqlite";
        boost::filesystem::create_directories(dir.path() / "upto3" / "sqlite");
        for (const char* name : {"001_initial_schema.sql", "002_ingest.sql", "003_query.sql"})
            boost::filesystem::copy_file(shipped / name, dir.path() / "upto3" / "sqlite" / name);
        const std::string db = dir.file("fts.db");
        auto logs = [](const std::string& id, const std::string& message) {
            return R"({"id":")" + id + R"(","level":"INFO","service":"s","mcp_id":"m","message":")" + message + R"("})";
        };
        {
            auto store = openStore(db, (dir.path() / "upto3").string());
            CPPUNIT_ASSERT_EQUAL(std::int64_t(3), store->schemaVersion());
            writeOk(*store, "log", "[" + logs("L-1", "alpha one") + "]");
        }
        RawSqlite raw(db);
        CPPUNIT_ASSERT_EQUAL(std::string("L-1"),
                             raw.scalar("SELECT id FROM logs WHERE rowid IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH 'alpha')"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), raw.scalar("SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'alpha'"));

        auto store = openStore(db);
        CPPUNIT_ASSERT_EQUAL(mc::test::fake::shippedSchemaVersion(), store->schemaVersion());
        CPPUNIT_ASSERT_EQUAL(std::string("0"), raw.scalar("SELECT count(*) FROM sqlite_master WHERE name IN "
                                                          "('logs_fts_insert', 'transcripts_fts_insert')"));
        auto result = writeOk(*store, "log", "[" + logs("L-2", "alpha two") + "," + logs("L-3", "beta three") +
                                                 R"(,{"id":"L-4","level":"LOUD","service":"s","mcp_id":"m","message":"alpha rejected"}])");
        CPPUNIT_ASSERT_EQUAL(2, result->getValue<int>("accepted"));
        writeOk(*store, "log", "[" + logs("L-1", "alpha again") + "]"); // a known id: not inserted, not indexed
        writeOk(*store, "log", "[" + logs("L-5", "alpha five") + "]");
        CPPUNIT_ASSERT_EQUAL(std::string("L-1,L-2,L-5"),
                             raw.scalar("SELECT group_concat(id) FROM (SELECT id FROM logs WHERE rowid IN "
                                        "(SELECT rowid FROM logs_fts WHERE logs_fts MATCH 'alpha') ORDER BY id)"));
        CPPUNIT_ASSERT_EQUAL(std::string("3"), raw.scalar("SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'alpha'"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), raw.scalar("SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'beta'"));
        CPPUNIT_ASSERT_EQUAL(std::string("0"), raw.scalar("SELECT count(*) FROM logs_fts WHERE logs_fts MATCH 'again'"));
        raw.exec("INSERT INTO logs_fts(logs_fts, rank) VALUES ('integrity-check', 1)");
    }

    // The store keeps its write statements prepared from one batch to the next. None may keep a read
    // open between batches (a kept SELECT that is not reset would), or no other connection could
    // truncate the WAL. Every statement a write uses runs in two batches: thread insert and update,
    // a step inserted, one with a stored id, one with a taken sequence, logs and their full-text fill.
    void testStatementsKeptAcrossBatchesHoldNothingOpen() {
        TempDir dir;
        const std::string path = dir.file("kept.db");
        auto store = openStore(path);
        for (const std::string round : {"1", "2"}) {
            writeOk(*store, "thread", R"([{"id":"T-)" + round + R"(","mcp_id":"m","status":"running"}])");
            writeOk(*store, "thread", R"([{"id":"T-)" + round + R"(","mcp_id":"m","status":"complete"}])");
            const std::string step = R"({"id":"S-)" + round + R"(","thread_id":"T-)" + round + R"(","sequence":1,"step_type":"x"})";
            const auto result = writeOk(*store, "step", "[" + step + "," + step + R"(,{"id":"S-other)" + round +
                                                            R"(","thread_id":"T-)" + round + R"(","sequence":1,"step_type":"x"}])");
            CPPUNIT_ASSERT_EQUAL(2, result->getValue<int>("accepted"));
            CPPUNIT_ASSERT_EQUAL(1, result->getValue<int>("duplicates"));
            CPPUNIT_ASSERT_EQUAL(std::string("step sequence 1 of thread 'T-") + round + "' is already taken by 'S-" + round + "'",
                                 result->getArray("rejected")->getObject(0)->getValue<std::string>("reason"));
            writeOk(*store, "log", R"([{"id":"L-)" + round + R"(","level":"INFO","service":"s","mcp_id":"m","message":"kept )" +
                                       round + R"("}])");
        }
        RawSqlite other(path);
        other.exec("PRAGMA busy_timeout = 0"); // a read held open fails the checkpoint at once
        CPPUNIT_ASSERT_EQUAL(std::string("0"), other.scalar("PRAGMA wal_checkpoint(TRUNCATE)"));
        CPPUNIT_ASSERT_EQUAL(Poco::File::FileSize(0), Poco::File(path + "-wal").getSize());
        // The kept statements go on writing after the file was checkpointed under them.
        writeOk(*store, "log", R"([{"id":"L-3","level":"INFO","service":"s","mcp_id":"m","message":"kept 3"}])");
        CPPUNIT_ASSERT_EQUAL(std::string("L-1,L-2,L-3"),
                             other.scalar("SELECT group_concat(id) FROM (SELECT id FROM logs WHERE rowid IN "
                                          "(SELECT rowid FROM logs_fts WHERE logs_fts MATCH 'kept') ORDER BY id)"));
        CPPUNIT_ASSERT_EQUAL(std::string("S-1,S-2"), other.scalar("SELECT group_concat(id) FROM (SELECT id FROM execution_steps ORDER BY id)"));
        CPPUNIT_ASSERT_EQUAL(std::string("complete,complete"), other.scalar("SELECT group_concat(status) FROM threads"));
    }

    void testLockedDatabaseIsUnavailableAndTheRetrySucceeds() {
        TempDir dir;
        auto store = openStore(dir.file("locked.db"), mc::test::fake::sourceMigrationsDir(), {{"busy_timeout_ms", "100"}});
        const std::string log = R"([{"id":"L-1","level":"INFO","service":"s","mcp_id":"m"}])";
        std::string result, error;
        {
            RawSqlite other(dir.file("locked.db"));
            other.exec("BEGIN IMMEDIATE"); // another process holds the write lock
            CPPUNIT_ASSERT_EQUAL(MC_ERR_UNAVAILABLE, store->write("log", log, result, error));
            CPPUNIT_ASSERT_EQUAL(std::string("cannot begin a transaction: database is locked"), error);
            other.exec("COMMIT");
        }
        CPPUNIT_ASSERT_EQUAL(1, writeOk(*store, "log", log)->getValue<int>("accepted"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StoreSqliteTest);
