// store-postgres on its own private PostgreSQL server: down/up without restarting the store, and the
// url setting (conninfo or URL, converted and checked) with its error messages. The built .so runs in
// the SDK's fake host (tests/plugins/StoreFakeHarness.h: create, start, the repository's migrations).
#include "PostgresServer.h"
#include "StoreFakeHarness.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <thread>

using mc::test::parseObject;
using mc::test::PostgresServer;
using mc::test::fake::StoreError;
using StoreService = mc::test::fake::FakeStore;

namespace {

std::unique_ptr<StoreService> openBackendStore(const std::string& backend, const std::map<std::string, std::string>& config) {
    return std::make_unique<StoreService>("store-" + backend, config);
}

mc_status writeLog(StoreService& store, const std::string& id, std::string& error) {
    std::string result;
    return store.write("log", R"([{"id":")" + id + R"(","level":"INFO","service":"s","mcp_id":"m"}])", result, error);
}

// The message StoreService throws when the store cannot be created or started with `url`.
std::string openFailure(const std::string& url) {
    try {
        openBackendStore("postgres", {{"url", url}, {"connect_timeout_ms", "2000"}});
    } catch (const StoreError& e) {
        return e.what();
    }
    CPPUNIT_FAIL("the store opened with url '" + url + "'");
    return "";
}

void assertContains(const std::string& text, const std::string& part) {
    CPPUNIT_ASSERT_MESSAGE("'" + part + "' not in: " + text, text.find(part) != std::string::npos);
}

} // namespace

class StorePostgresTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StorePostgresTest);
    CPPUNIT_TEST(testServerDownFailsFastAndTheStoreReconnectsWhenItIsBack);
    CPPUNIT_TEST(testStatementTimeoutIsUnavailableNotAHang);
    CPPUNIT_TEST(testUrlIsConvertedToConninfo);
    CPPUNIT_TEST(testBadUrlsAreRefusedWithTheReason);
    CPPUNIT_TEST(testSynchronousCommitIsConfigurableAndChecked);
    CPPUNIT_TEST(testUnreachableServerFailsStartWithTheReason);
    CPPUNIT_TEST(testHealthDescribesTheServerWithoutThePassword);
    CPPUNIT_TEST_SUITE_END();

public:
    void testServerDownFailsFastAndTheStoreReconnectsWhenItIsBack() {
        PostgresServer server; // its own: this test stops it
        const std::string db = server.createDatabase("downup");
        auto store = openBackendStore("postgres", {{"url", server.conninfo(db)},
                                                   {"pool_min", "2"},
                                                   {"connect_timeout_ms", "2000"},
                                                   {"statement_timeout_ms", "2000"}});
        std::string error;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, writeLog(*store, "L-before", error));
        CPPUNIT_ASSERT(store->healthy());

        server.stop();
        const auto began = std::chrono::steady_clock::now();
        CPPUNIT_ASSERT_EQUAL(MC_ERR_UNAVAILABLE, writeLog(*store, "L-down", error));
        const auto took = std::chrono::steady_clock::now() - began;
        // Bounded by connect_timeout (2 s), not a hang: the refused connection fails at once.
        CPPUNIT_ASSERT_MESSAGE("write took too long while the server was down",
                               took < std::chrono::milliseconds(2000 + 1500));
        assertContains(error, "PostgreSQL");
        // The failed write alone reports the store down (no describe needed).
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_RECOVERABLE_ERROR, store->lastStatus()->status);
        assertContains(store->lastStatus()->message, "cannot connect to PostgreSQL");
        auto health = parseObject(store->healthJson());
        CPPUNIT_ASSERT(!health->getValue<bool>("ok"));
        assertContains(health->getValue<std::string>("reason"), "cannot connect to PostgreSQL");
        CPPUNIT_ASSERT(!store->healthy());
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_RECOVERABLE_ERROR, store->lastStatus()->status);
        assertContains(store->lastStatus()->message, "cannot connect to PostgreSQL");
        std::string result;
        CPPUNIT_ASSERT_EQUAL(MC_ERR_UNAVAILABLE, store->query("logs.list", "{}", result, error));

        server.start();
        // The pooled connections died with the server; the store notices and reconnects by itself.
        CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, writeLog(*store, "L-after", error));
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_OK, store->lastStatus()->status); // and the next good write back up
        CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, writeLog(*store, "L-down", error)); // the retried batch
        CPPUNIT_ASSERT(store->healthy());
        CPPUNIT_ASSERT_EQUAL(std::string("L-after\nL-before\nL-down"), server.psql(db, "SELECT id FROM logs ORDER BY id"));
    }

    void testStatementTimeoutIsUnavailableNotAHang() {
        auto& server = PostgresServer::shared();
        const std::string db = server.createDatabase("timeout");
        auto store = openBackendStore("postgres", {{"url", server.conninfo(db)}, {"statement_timeout_ms", "300"}});
        // Another session holds the logs table locked for a while: the write waits on the lock.
        std::thread holder([&] {
            server.psql(db, "BEGIN; LOCK TABLE logs IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3); COMMIT");
        });
        for (int i = 0; i < 100 && server.psql(db, "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                                                   "WHERE c.relname = 'logs' AND l.mode = 'AccessExclusiveLock'") == "0";
             ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        std::string error;
        const auto began = std::chrono::steady_clock::now();
        const mc_status status = writeLog(*store, "L-1", error);
        const auto took = std::chrono::steady_clock::now() - began;
        holder.join();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_ERR_UNAVAILABLE, status);
        assertContains(error, "canceling statement due to statement timeout");
        CPPUNIT_ASSERT_MESSAGE("the write waited past statement_timeout", took < std::chrono::milliseconds(2500));
        // The lock is gone: the same batch goes through on the same store.
        CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, writeLog(*store, "L-1", error));
    }

    void testUrlIsConvertedToConninfo() {
        auto& server = PostgresServer::shared();
        const std::string db = server.createDatabase("url");
        const std::string port = std::to_string(server.port());
        // Percent-escapes are decoded ("m%63" is "mc"); query parameters become conninfo keywords.
        auto store = openBackendStore(
            "postgres", {{"url", "postgresql://m%63@127.0.0.1:" + port + "/" + db + "?application_name=mc%20test&sslmode=disable"}});
        std::string error;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, writeLog(*store, "L-1", error));
        auto health = parseObject(store->healthJson());
        CPPUNIT_ASSERT(health->getValue<bool>("ok"));
        CPPUNIT_ASSERT_EQUAL("host=127.0.0.1 port=" + port + " dbname=" + db + " user=mc", health->getValue<std::string>("server"));
        // The test server runs with synchronous_commit=off; the store's sessions still wait for the flush.
        CPPUNIT_ASSERT_EQUAL(std::string("on"), health->getValue<std::string>("synchronous_commit"));
        CPPUNIT_ASSERT_EQUAL(std::string("mc test"),
                             server.psql(db, "SELECT DISTINCT application_name FROM pg_stat_activity WHERE datname = '" + db +
                                                 "' AND application_name <> 'psql'"));
        // postgres:// and an IPv6 literal parse too (the test server listens on 127.0.0.1 only).
        assertContains(openFailure("postgres://mc@[::1]:" + port + "/" + db),
                       "cannot connect to PostgreSQL (host=::1 port=" + port + " dbname=" + db + " user=mc)");
    }

    void testSynchronousCommitIsConfigurableAndChecked() {
        auto& server = PostgresServer::shared();
        const std::string db = server.createDatabase("synccommit");
        auto store = openBackendStore("postgres", {{"url", server.conninfo(db)}, {"synchronous_commit", "off"}});
        CPPUNIT_ASSERT_EQUAL(std::string("off"), parseObject(store->healthJson())->getValue<std::string>("synchronous_commit"));
        try {
            openBackendStore("postgres", {{"url", server.conninfo(db)}, {"synchronous_commit", "sometimes"}});
            CPPUNIT_FAIL("expected a configuration error");
        } catch (const std::exception& e) {
            assertContains(e.what(), "store.postgres.synchronous_commit = 'sometimes': expected one of on, off, local, "
                                     "remote_write, remote_apply");
        }
    }

    void testBadUrlsAreRefusedWithTheReason() {
        assertContains(openFailure(""), "configuration key 'url' is required");
        assertContains(openFailure("mysql://mc@127.0.0.1/mc"), "scheme 'mysql://' is not supported");
        assertContains(openFailure("host=127.0.0.1 bogus=1"), "not a valid libpq conninfo: invalid connection option \"bogus\"");
        assertContains(openFailure("postgresql://mc@127.0.0.1:54x2/mc"), "port '54x2' is not a number");
        assertContains(openFailure("postgresql://m%6@127.0.0.1/mc"), "bad percent-escape in the user of the URL");
        assertContains(openFailure("postgresql://mc@127.0.0.1/mc?nosuch=1"), "invalid connection option \"nosuch\"");
        assertContains(openFailure("postgresql://mc@127.0.0.1/mc?sslmode"), "query parameter 'sslmode' has no value");
    }

    void testUnreachableServerFailsStartWithTheReason() {
        const auto port = std::to_string(PostgresServer::shared().port() + 1); // nobody listens there... usually
        const std::string message = openFailure("host=127.0.0.1 port=" + port + " dbname=mc user=mc");
        assertContains(message, "start failed (unavailable)");
        assertContains(message, "cannot connect to PostgreSQL (host=127.0.0.1 port=" + port + " dbname=mc user=mc)");
    }

    void testHealthDescribesTheServerWithoutThePassword() {
        auto& server = PostgresServer::shared();
        const std::string db = server.createDatabase("health");
        // Trust authentication ignores the password; health must not show it anyway.
        auto store = openBackendStore("postgres", {{"url", server.conninfo(db) + " password=s3cret"}});
        const std::string health = store->healthJson();
        CPPUNIT_ASSERT(health.find("s3cret") == std::string::npos);
        auto object = parseObject(health);
        CPPUNIT_ASSERT(object->getValue<bool>("ok"));
        CPPUNIT_ASSERT_EQUAL(std::string("postgres"), object->getValue<std::string>("backend"));
        CPPUNIT_ASSERT(object->getValue<std::string>("server_version").rfind("1", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(8, object->getValue<int>("pool_max"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StorePostgresTest);
