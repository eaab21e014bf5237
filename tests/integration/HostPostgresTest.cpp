// The whole host on store.backend = postgres: the real store-postgres.so found in plugins.dir,
// migrated from migrations/postgres, serving /api/health, against a private PostgreSQL server.
#include "InProcessHost.h"
#include "PostgresServer.h"
#include "TestHttp.h"
#include "store/MigrationRunner.h"

#include <cppunit/extensions/HelperMacros.h>

using mc::test::InProcessHost;
using mc::test::PostgresServer;

class HostPostgresTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HostPostgresTest);
    CPPUNIT_TEST(testHostRunsOnPostgres);
    CPPUNIT_TEST(testMissingUrlIsAClearStartupError);
    CPPUNIT_TEST_SUITE_END();

public:
    void testHostRunsOnPostgres() {
        auto& server = PostgresServer::shared();
        const std::string db = server.createDatabase("host");
        InProcessHost host({{"store.backend", "postgres"}, {"store.postgres.url", server.conninfo(db)}},
                           InProcessHost::Until::AllButGateway);
        auto r = mc::test::httpGet(host.port(), "/api/health");
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        auto store = r.json()->getObject("store");
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), store->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("postgres"), store->getValue<std::string>("dialect"));
        const auto shipped = mc::host::MigrationRunner(std::string(MC_TEST_BUILD_DIR) + "/share/mission-control/migrations",
                                                       "postgres", "store.postgres").scan();
        CPPUNIT_ASSERT_EQUAL(shipped.back().version, store->getValue<int64_t>("schema_version"));
        CPPUNIT_ASSERT_EQUAL(std::to_string(shipped.size()), server.psql(db, "SELECT count(*) FROM schema_migrations"));
    }

    void testMissingUrlIsAClearStartupError() {
        try {
            InProcessHost host({{"store.backend", "postgres"}}, InProcessHost::Until::AllButGateway);
            CPPUNIT_FAIL("the host started without store.postgres.url");
        } catch (const std::exception& e) {
            const std::string message = e.what();
            CPPUNIT_ASSERT_MESSAGE(message, message.find("invalid configuration: store.postgres.url is required and not set (libpq conninfo") !=
                                                std::string::npos);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HostPostgresTest);
