// The host's migration runner: file rules (names, uniqueness, contiguity) on temp migration dirs, and
// whole runs against the real store-sqlite.so on real temp databases.
#include "StoreTestSupport.h"

#include "store/MigrationRunner.h"

#include <cppunit/extensions/HelperMacros.h>

#include <fstream>

using mc::host::MigrationRunner;
using mc::host::StoreError;
using mc::test::openStore;
using mc::test::RawSqlite;
using mc::test::shippedMigrationsDir;
using mc::test::TempDir;

namespace {

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
    return out;
}

void writeFile(const std::string& path, const std::string& text) {
    boost::filesystem::create_directories(boost::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

// A migrations dir holding the shipped sqlite 001 plus `extra` files (name -> SQL).
std::string migrationsWith(const TempDir& dir, const std::map<std::string, std::string>& extra, bool withInitial = true) {
    const std::string root = dir.file("migrations");
    boost::filesystem::create_directories(root + "/sqlite");
    if (withInitial)
        writeFile(root + "/sqlite/001_initial_schema.sql", readFile(shippedMigrationsDir() + "/sqlite/001_initial_schema.sql"));
    for (const auto& [name, sql] : extra) writeFile(root + "/sqlite/" + name, sql);
    return root;
}

// The shipped migrations of a dialect, in version order (what a fresh database ends up with).
std::vector<mc::host::MigrationFile> shipped(const std::string& dialect) {
    return MigrationRunner(shippedMigrationsDir(), dialect, "store." + dialect).scan();
}

std::string shippedNames() {
    std::string out;
    for (const auto& f : shipped("sqlite")) out += (out.empty() ? "" : ",") + f.fileName.substr(0, f.fileName.size() - 4);
    return out;
}

std::string scanError(const std::string& root) {
    try {
        MigrationRunner(root, "sqlite", "store.sqlite.path").scan();
    } catch (const StoreError& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

class MigrationRunnerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MigrationRunnerTest);
    CPPUNIT_TEST(testFreshDatabaseGetsVersionOneWithAllTablesAndIndexes);
    CPPUNIT_TEST(testSecondStartAppliesNothing);
    CPPUNIT_TEST(testNewerDatabaseIsRefused);
    CPPUNIT_TEST(testChangedAppliedMigrationIsRefused);
    CPPUNIT_TEST(testPendingMigrationsApplyInOrder);
    CPPUNIT_TEST(testFailingMigrationLeavesNoTrace);
    CPPUNIT_TEST(testGapIsRefused);
    CPPUNIT_TEST(testDuplicateVersionIsRefused);
    CPPUNIT_TEST(testBadlyNamedFileIsRefused);
    CPPUNIT_TEST(testMissingDialectDirectoryIsRefused);
    CPPUNIT_TEST(testScanSkipsNonSqlFilesAndChecksumsContent);
    CPPUNIT_TEST(testShippedPostgresMigrationMatchesTheSqliteTables);
    CPPUNIT_TEST_SUITE_END();

public:
    void testFreshDatabaseGetsVersionOneWithAllTablesAndIndexes() {
        TempDir dir;
        const std::string db = dir.file("fresh.db");
        auto store = openStore(db);
        CPPUNIT_ASSERT_EQUAL(int64_t(0), store->migration().fromVersion);
        CPPUNIT_ASSERT_EQUAL(mc::test::shippedSchemaVersion(), store->migration().toVersion);
        CPPUNIT_ASSERT_EQUAL(shippedNames(), joined(store->migration().applied));
        CPPUNIT_ASSERT_EQUAL(mc::test::shippedSchemaVersion(), store->schemaVersion());
        store.reset();

        RawSqlite raw(db);
        const auto tables = raw.column("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name");
        // 003 adds one FTS5 table per searchable column (+ its shadow tables).
        CPPUNIT_ASSERT_EQUAL(std::string("audit_events,execution_steps,leases,logs,logs_fts,logs_fts_config,logs_fts_data,"
                                         "logs_fts_docsize,logs_fts_idx,mcp_status_history,metric_points,permission_events,"
                                         "protocol_messages,schema_migrations,spans,threads,threads_fts,threads_fts_config,threads_fts_data,"
                                         "threads_fts_docsize,threads_fts_idx,transcripts,transcripts_fts,"
                                         "transcripts_fts_config,transcripts_fts_data,transcripts_fts_docsize,"
                                         "transcripts_fts_idx"),
                             joined(tables));
        const auto indexes = raw.column("SELECT name || ' ON ' || tbl_name FROM sqlite_master WHERE type='index' AND "
                                        "name LIKE 'idx_%' ORDER BY name");
        CPPUNIT_ASSERT_EQUAL(std::string("idx_audit_events_actor ON audit_events,"
                                         "idx_audit_events_timestamp_id ON audit_events,"
                                         "idx_execution_steps_thread_sequence ON execution_steps,"
                                         "idx_execution_steps_tool ON execution_steps,"
                                         "idx_execution_steps_type_time ON execution_steps,"
                                         "idx_logs_level_timestamp ON logs,idx_logs_mcp_timestamp ON logs,"
                                         "idx_logs_service_timestamp ON logs,idx_logs_thread_timestamp ON logs,"
                                         "idx_logs_timestamp_id ON logs,"
                                         "idx_mcp_status_history_mcp_id ON mcp_status_history,"
                                         "idx_metric_points_mcp_timestamp ON metric_points,"
                                         "idx_metric_points_name_timestamp ON metric_points,"
                                         "idx_metric_points_service_usage ON metric_points,"
                                         "idx_metric_points_thread_usage ON metric_points,"
                                         "idx_metric_points_timestamp_id ON metric_points,"
                                         "idx_permission_events_resource ON permission_events,"
                                         "idx_permission_events_thread ON permission_events,"
                                         "idx_permission_events_timestamp ON permission_events,"
                                         "idx_permission_events_user ON permission_events,"
                                         "idx_protocol_messages_mcp_timestamp ON protocol_messages,"
                                         "idx_protocol_messages_timestamp_id ON protocol_messages,"
                                         "idx_spans_mcp_start ON spans,idx_spans_start_id ON spans,idx_spans_thread_start ON spans,"
                                         "idx_spans_trace_start ON spans,"
                                         "idx_threads_mcp_started ON threads,idx_threads_parent_started ON threads,"
                                         "idx_threads_started_id ON threads,idx_threads_status_started ON threads,"
                                         "idx_transcripts_thread_sequence ON transcripts"),
                             joined(indexes));
        const std::string sql = readFile(shippedMigrationsDir() + "/sqlite/001_initial_schema.sql");
        CPPUNIT_ASSERT_EQUAL("1|initial_schema|" + MigrationRunner::checksum(sql),
                             raw.scalar("SELECT version || '|' || name || '|' || checksum FROM schema_migrations "
                                        "WHERE version = 1"));
        const std::string appliedAt = raw.scalar("SELECT applied_at FROM schema_migrations WHERE version = 1");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(appliedAt, std::size_t(27), appliedAt.size()); // 2026-01-02T03:04:05.123456Z
        CPPUNIT_ASSERT_EQUAL('Z', appliedAt.back());
    }

    void testSecondStartAppliesNothing() {
        TempDir dir;
        const std::string db = dir.file("again.db");
        openStore(db).reset();
        auto store = openStore(db);
        CPPUNIT_ASSERT_EQUAL(mc::test::shippedSchemaVersion(), store->migration().fromVersion);
        CPPUNIT_ASSERT_EQUAL(mc::test::shippedSchemaVersion(), store->migration().toVersion);
        CPPUNIT_ASSERT(store->migration().applied.empty());
        store.reset();
        RawSqlite raw(db);
        CPPUNIT_ASSERT_EQUAL(std::to_string(mc::test::shippedSchemaVersion()), raw.scalar("SELECT count(*) FROM schema_migrations"));
    }

    void testNewerDatabaseIsRefused() {
        TempDir dir;
        const std::string db = dir.file("newer.db");
        openStore(db).reset();
        {
            RawSqlite raw(db);
            raw.exec("INSERT INTO schema_migrations (version, name, applied_at, checksum) "
                     "VALUES (99, 'from_the_future', '2030-01-01T00:00:00.000000Z', 'abc')");
        }
        try {
            openStore(db);
            CPPUNIT_FAIL("a database newer than the migrations must be refused");
        } catch (const StoreError& e) {
            CPPUNIT_ASSERT_EQUAL("store-sqlite/test: database schema version 99 is newer than this host knows "
                                             "(" + std::to_string(mc::test::shippedSchemaVersion()) +
                                             "): upgrade mission-control or point store.sqlite.path at another database",
                                 std::string(e.what()));
        }
        RawSqlite raw(db);
        CPPUNIT_ASSERT_EQUAL(std::string("99"), raw.scalar("SELECT max(version) FROM schema_migrations"));
    }

    void testChangedAppliedMigrationIsRefused() {
        TempDir dir;
        const std::string root = migrationsWith(dir, {});
        const std::string db = dir.file("changed.db");
        openStore(db, root).reset();
        const std::string file = root + "/sqlite/001_initial_schema.sql";
        const std::string original = readFile(file);
        writeFile(file, original + "\nCREATE INDEX idx_logs_level ON logs(level);\n");
        try {
            openStore(db, root);
            CPPUNIT_FAIL("a changed applied migration must be refused");
        } catch (const StoreError& e) {
            CPPUNIT_ASSERT_EQUAL("store-sqlite/test: migration file '" + file +
                                     "' (version 1) was changed after it was applied to the database (checksum " +
                                     MigrationRunner::checksum(original) + " applied, " +
                                     MigrationRunner::checksum(readFile(file)) +
                                     " on disk): restore the original file and put changes in a new migration",
                                 std::string(e.what()));
        }
        writeFile(file, original); // restored: starts again
        CPPUNIT_ASSERT_EQUAL(int64_t(1), openStore(db, root)->migration().toVersion);
    }

    void testPendingMigrationsApplyInOrder() {
        TempDir dir;
        const std::string db = dir.file("pending.db");
        openStore(db, migrationsWith(dir, {})).reset();
        // 003 depends on 002's table: applying out of order would fail.
        const std::string root = migrationsWith(dir, {{"002_add_tags.sql", "CREATE TABLE tags (name TEXT PRIMARY KEY);"},
                                                      {"003_seed_tags.sql", "INSERT INTO tags VALUES ('alpha');\n"
                                                                            "INSERT INTO tags VALUES ('beta');"}});
        auto store = openStore(db, root);
        CPPUNIT_ASSERT_EQUAL(int64_t(1), store->migration().fromVersion);
        CPPUNIT_ASSERT_EQUAL(int64_t(3), store->migration().toVersion);
        CPPUNIT_ASSERT_EQUAL(std::string("002_add_tags,003_seed_tags"), joined(store->migration().applied));
        store.reset();
        RawSqlite raw(db);
        CPPUNIT_ASSERT_EQUAL(std::string("alpha,beta"), joined(raw.column("SELECT name FROM tags ORDER BY name")));
        CPPUNIT_ASSERT_EQUAL(std::string("1:initial_schema,2:add_tags,3:seed_tags"),
                             joined(raw.column("SELECT version || ':' || name FROM schema_migrations ORDER BY version")));
    }

    void testFailingMigrationLeavesNoTrace() {
        TempDir dir;
        const std::string db = dir.file("failing.db");
        const std::string root =
            migrationsWith(dir, {{"002_broken.sql", "CREATE TABLE half_done (a TEXT);\nINSERT INTO no_such_table VALUES (1);"}});
        try {
            openStore(db, root);
            CPPUNIT_FAIL("a failing migration must stop the start");
        } catch (const StoreError& e) {
            CPPUNIT_ASSERT_EQUAL("store-sqlite/test: applying migration '" + root +
                                     "/sqlite/002_broken.sql' failed (io): migration 2 (broken) failed: no such table: "
                                     "no_such_table",
                                 std::string(e.what()));
        }
        RawSqlite raw(db);
        // 001 stays applied, 002 left nothing: neither its table nor its row.
        CPPUNIT_ASSERT_EQUAL(std::string("1"), raw.scalar("SELECT max(version) FROM schema_migrations"));
        CPPUNIT_ASSERT_EQUAL(std::string("0"), raw.scalar("SELECT count(*) FROM sqlite_master WHERE name='half_done'"));
    }

    void testGapIsRefused() {
        TempDir dir;
        const std::string root = migrationsWith(dir, {{"003_third.sql", "SELECT 1;"}});
        CPPUNIT_ASSERT_EQUAL("migration versions must be contiguous from 1: '003_third.sql' has version 3 but version 2 "
                             "is missing in " + root + "/sqlite",
                             scanError(root));
        // Through the service the error also names the store instance, and nothing is applied.
        try {
            openStore(dir.file("gap.db"), root);
            CPPUNIT_FAIL("a gap must stop the start");
        } catch (const StoreError& e) {
            CPPUNIT_ASSERT_EQUAL("store-sqlite/test: " + scanError(root), std::string(e.what()));
        }
        RawSqlite raw(dir.file("gap.db"));
        CPPUNIT_ASSERT_EQUAL(std::string("0"), raw.scalar("SELECT count(*) FROM sqlite_master WHERE name='threads'"));
    }

    void testDuplicateVersionIsRefused() {
        TempDir dir;
        const std::string root = migrationsWith(dir, {{"0001_again.sql", "SELECT 1;"}});
        const std::string error = scanError(root);
        // Directory order decides which of the two is named first.
        const bool either =
            error == "duplicate migration version 1: '001_initial_schema.sql' and '0001_again.sql' in " + root + "/sqlite" ||
            error == "duplicate migration version 1: '0001_again.sql' and '001_initial_schema.sql' in " + root + "/sqlite";
        CPPUNIT_ASSERT_MESSAGE(error, either);
    }

    void testBadlyNamedFileIsRefused() {
        const std::string names[] = {"02_short.sql", "002-dash.sql", "002_Upper.sql", "two_words.sql", "002_.sql"};
        for (const auto& name : names) {
            TempDir dir;
            const std::string root = migrationsWith(dir, {{name, "SELECT 1;"}});
            CPPUNIT_ASSERT_EQUAL("migration file '" + root + "/sqlite/" + name +
                                     "' is badly named: expected NNN_name.sql with a version of at least three digits "
                                     "and a name of a-z, 0-9 and _ (e.g. 001_initial_schema.sql)",
                                 scanError(root));
        }
        TempDir dir;
        const std::string root = migrationsWith(dir, {{"000_zero.sql", "SELECT 1;"}}, false);
        CPPUNIT_ASSERT_EQUAL("migration file '" + root + "/sqlite/000_zero.sql' has version 0: versions start at 1",
                             scanError(root));
        TempDir emptyDir;
        const std::string emptyRoot = migrationsWith(emptyDir, {{"002_empty.sql", "  \n"}});
        CPPUNIT_ASSERT_EQUAL("migration file '" + emptyRoot + "/sqlite/002_empty.sql' is empty", scanError(emptyRoot));
    }

    void testMissingDialectDirectoryIsRefused() {
        TempDir dir;
        CPPUNIT_ASSERT_EQUAL("no migrations for dialect 'sqlite': directory '" + dir.file("nowhere") +
                                 "/sqlite' does not exist (set the migrations directory or reinstall mission-control)",
                             scanError(dir.file("nowhere")));
    }

    void testScanSkipsNonSqlFilesAndChecksumsContent() {
        TempDir dir;
        const std::string root = migrationsWith(dir, {{"002_more.sql", "SELECT 2;"}, {"README.md", "# notes"},
                                                      {".002_more.sql.swp", "junk"}});
        const auto files = MigrationRunner(root, "sqlite", "store.sqlite.path").scan();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), files.size());
        CPPUNIT_ASSERT_EQUAL(int64_t(1), files[0].version);
        CPPUNIT_ASSERT_EQUAL(std::string("initial_schema"), files[0].name);
        CPPUNIT_ASSERT_EQUAL(int64_t(2), files[1].version);
        CPPUNIT_ASSERT_EQUAL(std::string("more"), files[1].name);
        CPPUNIT_ASSERT_EQUAL(std::string("002_more.sql"), files[1].fileName);
        CPPUNIT_ASSERT_EQUAL(std::string("SELECT 2;"), files[1].sql);
        // SHA-256 of "SELECT 2;" (as `printf 'SELECT 2;' | sha256sum` prints it).
        CPPUNIT_ASSERT_EQUAL(std::string("8e7003d62f9d8cbd28da2f243bb0d215bfd4622c716be09be89a8764d9f4c7cb"), files[1].checksum);
        CPPUNIT_ASSERT_EQUAL(std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
                             MigrationRunner::checksum(""));
    }

    void testShippedPostgresMigrationMatchesTheSqliteTables() {
        const auto files = shipped("postgres");
        CPPUNIT_ASSERT_EQUAL(shipped("sqlite").size(), files.size()); // one per version in each dialect
        for (std::size_t i = 0; i < files.size(); ++i)
            CPPUNIT_ASSERT_EQUAL(shipped("sqlite")[i].fileName, files[i].fileName);
        CPPUNIT_ASSERT_EQUAL(std::string("initial_schema"), files[0].name);
        for (const char* table : {"CREATE TABLE threads", "CREATE TABLE execution_steps", "CREATE TABLE logs",
                                  "CREATE TABLE permission_events", "execution_context JSONB", "granted BOOLEAN",
                                  "CREATE INDEX idx_permission_events_thread_id"})
            CPPUNIT_ASSERT_MESSAGE(table, files[0].sql.find(table) != std::string::npos);
        // 003: the same indexes in both dialects; full-text search is FTS5 here, tsvector + GIN there.
        const auto sqlite003 = shipped("sqlite")[2].sql;
        for (std::size_t at = 0; (at = sqlite003.find("CREATE INDEX ", at)) != std::string::npos; ++at) {
            const std::string statement = sqlite003.substr(at, sqlite003.find(';', at) - at);
            CPPUNIT_ASSERT_MESSAGE(statement, files[2].sql.find(statement) != std::string::npos);
        }
        for (const char* fts : {"USING GIN (message_tsv)", "USING GIN (content_tsv)", "USING GIN (user_input_tsv)"})
            CPPUNIT_ASSERT_MESSAGE(fts, files[2].sql.find(fts) != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MigrationRunnerTest);
