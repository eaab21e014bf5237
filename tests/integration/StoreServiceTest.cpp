// StoreService as the host uses it: real plugins from the loader (store-sqlite.so and the fixture
// libraries), real database files, several instances and restarts.
#include "StoreTestSupport.h"

#include "config/HostConfig.h"
#include "plugin/PluginConfig.h"
#include "plugin/PluginRegistry.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <atomic>
#include <fstream>
#include <future>
#include <thread>

using mc::host::HostContext;
using mc::host::PluginRegistry;
using mc::host::StoreError;
using mc::host::StoreService;
using mc::test::openStore;
using mc::test::RawSqlite;
using mc::test::shippedMigrationsDir;
using mc::test::TempDir;

namespace {

Poco::JSON::Object::Ptr parseObject(const std::string& json) {
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

std::shared_ptr<const mc::host::LoadedPlugin> fixturePlugin(const std::string& file) {
    PluginRegistry registry;
    const std::string path = std::string(MC_TEST_FIXTURE_PLUGIN_DIR) + "/" + file;
    CPPUNIT_ASSERT_MESSAGE(path, registry.loadFile(path));
    return registry.plugins().front();
}

std::unique_ptr<HostContext> contextFor(const mc::host::LoadedPlugin& plugin, std::map<std::string, std::string> config) {
    return std::make_unique<HostContext>(plugin.info.id, "test", mc::host::resolvePluginConfig(config, plugin.info),
                                         &mc::test::storeStatuses(), mc::host::kindName(plugin.info.kind));
}

std::string logBatch(const std::string& prefix, int count) {
    std::string batch = "[";
    for (int i = 0; i < count; ++i) {
        if (i) batch += ',';
        batch += R"({"id":")" + prefix + "-" + std::to_string(i) + R"(","level":"INFO","service":"s","mcp_id":"m"})";
    }
    return batch + "]";
}

} // namespace

class StoreServiceTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StoreServiceTest);
    CPPUNIT_TEST(testTwoInstancesOnOneFileLoseNothing);
    CPPUNIT_TEST(testDataSurvivesARestart);
    CPPUNIT_TEST(testFailedMigrationReleasesTheDatabase);
    CPPUNIT_TEST(testNonStorePluginIsRefused);
    CPPUNIT_TEST(testAnotherStoreMigratesThroughTheSameRunner);
    CPPUNIT_TEST(testRecordsGoAsJsonToAStoreWithoutWriteRecords);
    CPPUNIT_TEST(testStoreWithoutMigrationsForItsDialectIsRefused);
    CPPUNIT_TEST(testAReplacedStoreTakesNewCallsAndTheOldStopsWhenItsCallsEnd);
    CPPUNIT_TEST_SUITE_END();

public:
    // store-sqlite.so replaced while a query runs on it (the host's rescan calls reload): the new
    // version takes every later write and query at once, the query in flight finishes on the old one
    // with its whole answer, and only then does the old one stop and its library go. The status row
    // stays the new version's.
    void testAReplacedStoreTakesNewCallsAndTheOldStopsWhenItsCallsEnd() {
        TempDir data, plugins;
        const std::string db = data.file("reload.db"), so = plugins.file("store-sqlite.so");
        auto put = [&] {
            boost::filesystem::copy_file(std::string(MC_TEST_PLUGIN_DIR) + "/store-sqlite.so", so + ".new");
            boost::filesystem::rename(so + ".new", so);
        };
        put();
        PluginRegistry registry;
        registry.loadDirectory(plugins.path().string());
        auto context = [&](const mc::host::LoadedPlugin& plugin) {
            return std::make_unique<HostContext>(plugin.info.id, "reload", mc::host::resolvePluginConfig({{"path", db}}, plugin.info),
                                                 &mc::test::storeStatuses(), "store");
        };
        StoreService store(registry.find("store-sqlite"), context(*registry.find("store-sqlite")), shippedMigrationsDir(),
                           mc::test::storeStatuses());
        std::string result, error;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, store.write("log", logBatch("before", 30), result, error));

        // A query in flight on the first version: it waits inside the store until the test lets it go.
        std::promise<void> reached, release;
        std::string slowAnswer, slowError;
        mc_status slowStatus = MC_STATUS_INVALID;
        std::thread slow([&] {
            bool first = true;
            slowStatus = store.queryStream("logs.list", R"({"limit":100})", [&](std::string_view chunk) {
                if (first) {
                    first = false;
                    reached.set_value();
                    release.get_future().wait();
                }
                slowAnswer.append(chunk);
                return true;
            }, slowError);
        });
        reached.get_future().wait();

        put();
        auto changes = registry.rescan(plugins.path().string());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), changes.replaced.size());
        std::weak_ptr<const mc::host::LoadedPlugin> oldVersion = changes.replaced[0].first;
        store.reload(changes.replaced[0].second, context(*changes.replaced[0].second));
        changes = {};
        CPPUNIT_ASSERT_MESSAGE("the old version stopped under a query", !oldVersion.expired());
        CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, store.write("log", logBatch("after", 5), result, error));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, store.query("logs.list", R"({"limit":100})", result, error));
        CPPUNIT_ASSERT_EQUAL(std::size_t(35), parseObject(result)->getArray("items")->size());
        CPPUNIT_ASSERT(!oldVersion.expired());

        release.set_value();
        slow.join();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(slowError, MC_OK, slowStatus);
        CPPUNIT_ASSERT_EQUAL(std::size_t(30), parseObject(slowAnswer)->getArray("items")->size());
        CPPUNIT_ASSERT_MESSAGE("the old version outlived its last call", oldVersion.expired());
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_OK, store.status()); // not the old one's "stopped"
        CPPUNIT_ASSERT_EQUAL(std::string("store-sqlite"), store.pluginId());
    }

    // Two connections (as two host processes would have) contend for SQLite's single write lock;
    // busy_timeout and BEGIN IMMEDIATE make them wait for each other instead of failing.
    void testTwoInstancesOnOneFileLoseNothing() {
        TempDir dir;
        const std::string db = dir.file("shared.db");
        auto first = openStore(db);
        auto second = openStore(db);
        CPPUNIT_ASSERT(second->migration().applied.empty());
        constexpr int kBatches = 40, kPerBatch = 25;
        std::atomic<int> accepted{0};
        std::vector<std::string> errors;
        std::mutex errorsMutex;
        auto writer = [&](StoreService& store, const std::string& name) {
            for (int b = 0; b < kBatches; ++b) {
                std::string result, error;
                if (store.write("log", logBatch(name + std::to_string(b), kPerBatch), result, error) != MC_OK) {
                    std::lock_guard<std::mutex> lock(errorsMutex);
                    errors.push_back(error);
                    continue;
                }
                accepted += parseObject(result)->getValue<int>("accepted");
            }
        };
        std::thread a(writer, std::ref(*first), "a"), b(writer, std::ref(*second), "b");
        a.join();
        b.join();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(errors.empty() ? "" : errors.front(), std::size_t(0), errors.size());
        CPPUNIT_ASSERT_EQUAL(2 * kBatches * kPerBatch, accepted.load());
        first.reset();
        second.reset();
        RawSqlite raw(db);
        CPPUNIT_ASSERT_EQUAL(std::to_string(2 * kBatches * kPerBatch), raw.scalar("SELECT count(*) FROM logs"));
    }

    void testDataSurvivesARestart() {
        TempDir dir;
        const std::string db = dir.file("restart.db");
        {
            auto store = openStore(db);
            std::string result, error;
            CPPUNIT_ASSERT_EQUAL(MC_OK, store->write("thread", R"([{"id":"T-keep","mcp_id":"m","status":"paused"}])", result, error));
        }
        auto store = openStore(db);
        CPPUNIT_ASSERT_EQUAL(mc::test::shippedSchemaVersion(), store->migration().fromVersion);
        std::string rows, error;
        CPPUNIT_ASSERT_EQUAL(MC_OK, store->query("threads.get", R"({"id":"T-keep"})", rows, error));
        CPPUNIT_ASSERT_EQUAL(std::string("paused"),
                             parseObject(rows)->getArray("items")->getObject(0)->getValue<std::string>("status"));
    }

    void testFailedMigrationReleasesTheDatabase() {
        TempDir dir;
        const std::string db = dir.file("release.db");
        try {
            openStore(db, dir.file("no-migrations"));
            CPPUNIT_FAIL("a missing migrations directory must stop the start");
        } catch (const StoreError& e) {
            CPPUNIT_ASSERT_EQUAL("store-sqlite/test: no migrations for dialect 'sqlite': directory '" +
                                     dir.file("no-migrations") +
                                     "/sqlite' does not exist (set the migrations directory or reinstall mission-control)",
                                 std::string(e.what()));
        }
        // The failed instance was stopped and destroyed: closing the last connection removes the WAL file.
        CPPUNIT_ASSERT(boost::filesystem::exists(db));
        CPPUNIT_ASSERT(!boost::filesystem::exists(db + "-wal"));
        auto store = openStore(db);
        CPPUNIT_ASSERT_EQUAL(mc::test::shippedSchemaVersion(), store->migration().toVersion);
        CPPUNIT_ASSERT(store->healthy());
    }

    void testNonStorePluginIsRefused() {
        auto discovery = fixturePlugin("good-discovery.so");
        try {
            StoreService service(discovery, contextFor(*discovery, {}), shippedMigrationsDir(), mc::test::storeStatuses());
            CPPUNIT_FAIL("a discovery plugin must not be accepted as the store");
        } catch (const StoreError& e) {
            CPPUNIT_ASSERT_EQUAL(discovery->info.id + "/test: plugin '" + discovery->info.id +
                                     "' is a discovery plugin, not a store",
                                 std::string(e.what()));
        }
    }

    // A store that cannot list applied migrations (no schema_migrations.list) still migrates.
    // The fixture store keeps the SDK's default writeRecords (MC_ERR_UNSUPPORTED): the writer's typed
    // batch reaches it as write("events", json) instead, and from then on without asking again.
    void testRecordsGoAsJsonToAStoreWithoutWriteRecords() {
        TempDir dir;
        const std::string root = dir.file("migrations");
        boost::filesystem::create_directories(root + "/memory");
        auto plugin = fixturePlugin("good-store.so");
        CPPUNIT_ASSERT(plugin->store.write_records != nullptr); // the SDK always offers the hook
        StoreService store(plugin, contextFor(*plugin, {{"label", "x"}}), root, mc::test::storeStatuses());
        const auto* spec = mc::records::findKind("log");
        mc::records::TypedRecord log{spec, mc::records::normalize(*spec, *parseObject(R"({"id":"L-1","level":"INFO","service":"s","mcp_id":"m"})"),
                                                                   [] { return std::string("L-x"); },
                                                                   [] { return std::string("2026-12-02T00:00:00.000000Z"); })};
        std::string result, error;
        CPPUNIT_ASSERT_EQUAL(MC_OK, store.writeRecords({&log}, result, error));
        CPPUNIT_ASSERT_EQUAL(std::string("{\"written\":1}"), result);
        CPPUNIT_ASSERT_EQUAL(std::string(), error);
        CPPUNIT_ASSERT_EQUAL(MC_OK, store.writeRecords({&log}, result, error));
        CPPUNIT_ASSERT_EQUAL(std::string("{\"written\":2}"), result);
    }

    void testAnotherStoreMigratesThroughTheSameRunner() {
        TempDir dir;
        const std::string root = dir.file("migrations");
        boost::filesystem::create_directories(root + "/memory");
        std::ofstream(root + "/memory/001_first.sql") << "first";
        std::ofstream(root + "/memory/002_second.sql") << "second";
        auto plugin = fixturePlugin("good-store.so");
        StoreService store(plugin, contextFor(*plugin, {{"label", "x"}}), root, mc::test::storeStatuses());
        CPPUNIT_ASSERT_EQUAL(std::string("memory"), store.dialect());
        CPPUNIT_ASSERT_EQUAL(int64_t(0), store.migration().fromVersion);
        CPPUNIT_ASSERT_EQUAL(int64_t(2), store.migration().toVersion);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), store.migration().applied.size());
        CPPUNIT_ASSERT_EQUAL(std::string("002_second"), store.migration().applied[1]);
        // Health: the instance's status row, the dialect, the schema version and describe()'s details.
        auto health = parseObject(store.healthJson());
        CPPUNIT_ASSERT_EQUAL(std::string("fixture-store"), health->getValue<std::string>("plugin"));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), health->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("memory"), health->getValue<std::string>("dialect"));
        CPPUNIT_ASSERT_EQUAL(2, health->getValue<int>("schema_version"));
        CPPUNIT_ASSERT_EQUAL(std::string("x"), health->getObject("details")->getValue<std::string>("label"));
        CPPUNIT_ASSERT(store.healthy());
        store.reportStatus(MC_COMPONENT_RECOVERABLE_ERROR, "store down (unavailable): gone");
        CPPUNIT_ASSERT(!store.healthy());
        CPPUNIT_ASSERT_EQUAL(std::string("store down (unavailable): gone"),
                             parseObject(store.healthJson())->getValue<std::string>("message"));
        std::string rows, error;
        CPPUNIT_ASSERT_EQUAL(MC_ERR_UNSUPPORTED, store.query("logs.list", "{}", rows, error));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown query 'logs.list'"), error);
        CPPUNIT_ASSERT_EQUAL(MC_OK, store.query("capacity", "{}", rows, error));
        CPPUNIT_ASSERT_EQUAL(std::string("{\"capacity\":100}"), rows);
    }

    void testStoreWithoutMigrationsForItsDialectIsRefused() {
        auto plugin = fixturePlugin("good-store.so");
        try {
            StoreService store(plugin, contextFor(*plugin, {{"label", "x"}}), shippedMigrationsDir(), mc::test::storeStatuses());
            CPPUNIT_FAIL("a dialect without migrations must be refused");
        } catch (const StoreError& e) {
            CPPUNIT_ASSERT_EQUAL("fixture-store/test: no migrations for dialect 'memory': directory '" +
                                     shippedMigrationsDir() +
                                     "/memory' does not exist (set the migrations directory or reinstall mission-control)",
                                 std::string(e.what()));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StoreServiceTest);
