// One contract, two stores: the same suite body runs against the real store-sqlite.so (a temp file)
// and store-postgres.so (a private PostgreSQL server), in the SDK's fake host (StoreFakeHarness.h:
// create, start, the repository's migrations). Whatever one store accepts, counts, rejects (with which
// words) and reads back, the other must too.
#include "PostgresServer.h"
#include "RawSqlite.h"
#include "StoreFakeHarness.h"

#include "mc/records/JsonText.h"
#include "mc/records/RecordSchema.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

using StoreService = mc::test::fake::FakeStore;
using mc::test::parseObject;
namespace records = mc::records;

namespace {

std::string condensed(const Poco::Dynamic::Var& value) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(value, out);
    return out.str();
}

struct Written {
    int accepted = 0, duplicates = 0;
    std::vector<std::pair<int, std::string>> rejected;
};

Written write(StoreService& store, const std::string& kind, const std::string& records) {
    std::string result, error;
    const mc_status status = store.write(kind, records, result, error);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, status);
    auto object = parseObject(result);
    Written w;
    w.accepted = object->getValue<int>("accepted");
    w.duplicates = object->getValue<int>("duplicates");
    auto rejected = object->getArray("rejected");
    for (unsigned i = 0; i < rejected->size(); ++i)
        w.rejected.emplace_back(rejected->getObject(i)->getValue<int>("index"),
                                rejected->getObject(i)->getValue<std::string>("reason"));
    return w;
}

void assertWritten(const Written& w, int accepted, int duplicates, std::vector<std::pair<int, std::string>> rejected = {}) {
    CPPUNIT_ASSERT_EQUAL(accepted, w.accepted);
    CPPUNIT_ASSERT_EQUAL(duplicates, w.duplicates);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(w.rejected.empty() ? std::string() : std::to_string(w.rejected[0].first) + ": " + w.rejected[0].second,
                                 rejected.size(), w.rejected.size());
    for (std::size_t i = 0; i < rejected.size(); ++i) {
        CPPUNIT_ASSERT_EQUAL(rejected[i].first, w.rejected[i].first);
        CPPUNIT_ASSERT_EQUAL(rejected[i].second, w.rejected[i].second);
    }
}

Poco::JSON::Object::Ptr queryObject(StoreService& store, const std::string& name, const std::string& params) {
    std::string result, error;
    const mc_status status = store.query(name, params, result, error);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, status);
    return parseObject(result);
}

std::string queryText(StoreService& store, const std::string& name, const std::string& params) {
    std::string result, error;
    const mc_status status = store.query(name, params, result, error);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, status);
    return result;
}

Poco::JSON::Object::Ptr thread(StoreService& store, const std::string& id) {
    return queryObject(store, "threads.get", R"({"id":")" + id + R"("})")->getArray("items")->getObject(0);
}

std::string ids(const Poco::JSON::Array::Ptr& items, const std::string& key = "id") {
    std::string out;
    for (unsigned i = 0; i < items->size(); ++i) out += (out.empty() ? "" : ",") + items->getObject(i)->getValue<std::string>(key);
    return out;
}

// The record as the store must keep it: `input` (one JSON object) normalized by the event model.
records::NormalizedRecord expectedRecord(const records::KindSpec& spec, const std::string& input) {
    return records::normalize(spec, *parseObject(input), [] { return std::string("unused"); },
                              [] { return std::string("2000-01-01T00:00:00.000000Z"); });
}

// Every field of `actual` (a record read back through a query) equals the normalized input.
void assertSameRecord(const records::KindSpec& spec, const std::string& input, const Poco::JSON::Object::Ptr& actual) {
    auto expected = parseObject(records::toJson(spec, expectedRecord(spec, input)));
    CPPUNIT_ASSERT_EQUAL(expected->getValue<std::string>("id"), actual->getValue<std::string>("id"));
    for (const auto& f : spec.fields) {
        CPPUNIT_ASSERT_MESSAGE(spec.kind + "." + f.jsonName + " missing", actual->has(f.jsonName));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(spec.kind + "." + f.jsonName, condensed(expected->get(f.jsonName)),
                                     condensed(actual->get(f.jsonName)));
    }
    CPPUNIT_ASSERT_MESSAGE("created_at", !actual->getValue<std::string>("created_at").empty());
}

// The two stores under the same tests: a fresh database per test, raw reads for what no query returns.
class Backend {
public:
    virtual ~Backend() = default;
    // `extra`: more of the plugin's keys.
    virtual std::unique_ptr<StoreService> open(const std::string& migrationsDir, const mc::sdk::test::Properties& extra) = 0;
    // The row's columns (KindSpec order), each as text alike in both dialects (booleans 1/0,
    // timestamps RFC 3339), "\N" for NULL.
    virtual std::vector<std::string> rawRow(const records::KindSpec& spec, const std::string& id) = 0;
    virtual std::string rawScalar(const std::string& sql) = 0;
    // Makes every insert into audit_events fail with a database error that is not a constraint;
    // returns words of that error.
    virtual std::string breakAuditInserts() = 0;
    virtual void repairAuditInserts() = 0;
};

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> out(1);
    for (char c : text) {
        if (c == '\x1f') out.emplace_back();
        else out.back() += c;
    }
    return out;
}

class SqliteBackend : public Backend {
public:
    std::unique_ptr<StoreService> open(const std::string& migrationsDir, const mc::sdk::test::Properties& extra) override {
        auto properties = extra;
        properties["path"] = dir_.file("conformance.db");
        return std::make_unique<StoreService>("store-sqlite", properties, migrationsDir);
    }
    std::vector<std::string> rawRow(const records::KindSpec& spec, const std::string& id) override {
        std::string sql;
        for (const auto& f : spec.fields) sql += (sql.empty() ? "" : " || char(31) || ") + ("COALESCE(\"" + f.column + "\", '\\N')");
        return split(rawScalar("SELECT " + sql + " FROM " + spec.table + " WHERE id = '" + id + "'"));
    }
    std::string rawScalar(const std::string& sql) override { return mc::test::RawSqlite(dir_.file("conformance.db")).scalar(sql); }
    // The trigger's body names a table that does not exist: the insert cannot even be prepared.
    std::string breakAuditInserts() override {
        mc::test::RawSqlite(dir_.file("conformance.db"))
            .exec("CREATE TRIGGER boom BEFORE INSERT ON audit_events BEGIN SELECT * FROM no_such_table; END");
        return "no such table: main.no_such_table";
    }
    void repairAuditInserts() override { mc::test::RawSqlite(dir_.file("conformance.db")).exec("DROP TRIGGER boom"); }

private:
    mc::test::fake::TempDir dir_;
};

class PostgresBackend : public Backend {
public:
    PostgresBackend() : database_(server().createDatabase("conformance")) {}
    std::unique_ptr<StoreService> open(const std::string& migrationsDir, const mc::sdk::test::Properties& extra) override {
        auto properties = extra;
        properties["url"] = server().conninfo(database_);
        return std::make_unique<StoreService>("store-postgres", properties, migrationsDir);
    }
    std::vector<std::string> rawRow(const records::KindSpec& spec, const std::string& id) override {
        std::string sql;
        for (const auto& f : spec.fields) {
            const std::string column = "\"" + f.column + "\"";
            std::string text = column + "::text";
            if (f.type == records::FieldType::Timestamp) text = "to_char(" + column + ", 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
            if (f.type == records::FieldType::Boolean) text = column + "::int::text";
            sql += (sql.empty() ? "" : ", ") + ("COALESCE(" + text + ", '\\N')");
        }
        return split(rawScalar("SELECT concat_ws(chr(31), " + sql + ") FROM " + spec.table + " WHERE id = '" + id + "'"));
    }
    std::string rawScalar(const std::string& sql) override { return server().psql(database_, sql); }
    std::string breakAuditInserts() override {
        server().psql(database_, "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$;"
                                 "CREATE TRIGGER boom BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION boom()");
        return "PostgreSQL: ERROR:  boom";
    }
    void repairAuditInserts() override { server().psql(database_, "DROP TRIGGER boom ON audit_events"); }

private:
    static mc::test::PostgresServer& server() { return mc::test::PostgresServer::shared(); }
    std::string database_;
};

// A raw row equals the normalized input, field by field.
void assertSameRow(const records::KindSpec& spec, const std::string& input, const std::vector<std::string>& row) {
    const auto expected = expectedRecord(spec, input);
    CPPUNIT_ASSERT_EQUAL(spec.fields.size(), row.size());
    for (std::size_t i = 0; i < spec.fields.size(); ++i) {
        const auto& f = spec.fields[i];
        const auto& v = expected.values[i];
        const std::string what = spec.kind + "." + f.jsonName;
        if (std::holds_alternative<std::monostate>(v)) CPPUNIT_ASSERT_EQUAL_MESSAGE(what, std::string("\\N"), row[i]);
        else if (auto* n = std::get_if<std::int64_t>(&v)) CPPUNIT_ASSERT_EQUAL_MESSAGE(what, std::to_string(*n), row[i]);
        else if (auto* d = std::get_if<double>(&v)) CPPUNIT_ASSERT_EQUAL_MESSAGE(what, *d, std::stod(row[i]));
        else if (f.type == records::FieldType::Json)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what, std::get<std::string>(v), records::canonicalJsonText(row[i]));
        else CPPUNIT_ASSERT_EQUAL_MESSAGE(what, std::get<std::string>(v), row[i]);
    }
}

const char* kThreadT1 =
    R"({"id":"T-1","parent_id":null,"mcp_id":"mcp-a","status":"running","user_input":"list files",)"
    R"("execution_context":{"cwd":"/tmp","n":[1,2.5],"deep":{"b":true,"a":null}},"started_at":"2026-01-02T03:04:05.5+02:00",)"
    R"("ended_at":null,"memory_usage":1024,"cpu_usage":0.25})";

const records::KindSpec& kind(const char* name) { return *records::findKind(name); }

// "YYYY-MM-DD" of today (UTC, by this machine's clock, as the store's) moved by `days`.
std::string utcDay(int days) {
    const std::time_t t = std::time(nullptr) + static_cast<std::time_t>(days) * 86400;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[16];
    std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
    return text;
}
std::string compact(std::string day) {
    day.erase(std::remove(day.begin(), day.end(), '-'), day.end());
    return day;
}
std::string logAt(const std::string& id, const std::string& at, const std::string& message = "x") {
    return R"({"id":")" + id + R"(","timestamp":")" + at + R"(","level":"INFO","service":"s","mcp_id":"m","message":")" + message + R"("})";
}

} // namespace

// The suite body. Each test gets a fresh database from the derived suite's backend.
class StoreConformanceTest : public CppUnit::TestFixture {
public:
    void tearDown() override {
        store_.reset();
        backend_.reset();
    }

    void testEveryKindRoundTripsWithAllFields() {
        const std::string child = R"({"id":"T-2","parent_id":"T-1","mcp_id":"mcp-b","status":"complete","user_input":"sub",)"
                                  R"("execution_context":[],"started_at":"2026-01-02T01:00:00Z","ended_at":"2026-01-02T01:00:01.000001Z",)"
                                  R"("memory_usage":-5,"cpu_usage":1e-3})";
        const std::string step = R"({"id":"S-1","thread_id":"T-1","sequence":1,"timestamp":"2026-01-02T01:04:06Z","duration_ms":12.5,)"
                                 R"("step_type":"tool_call","description":"ls","details":{"tool":"ls","args":["-l"]},"status":"ok",)"
                                 R"("mcp_id":"mcp-a","tool":"ls"})";
        const std::string log = R"({"id":"L-1","timestamp":"2026-01-02T01:04:07.123456789Z","level":"warn","service":"gateway",)"
                                R"("thread_id":"T-1","mcp_id":"mcp-a","message":"slow \"quoted\" \u00e9","context":{"ms":900},"exception":"E"})";
        const std::string permission = R"({"id":"P-1","timestamp":"2026-01-02T01:04:08Z","thread_id":"T-1","user_id":"u1",)"
                                       R"("resource":"/etc","action":"read","granted":false,"reason":"policy","mcp_id":"mcp-a"})";
        const std::string transcript = R"({"id":"M-1","thread_id":"T-1","sequence":1,"timestamp":"2026-01-02T01:04:09Z","role":"assistant",)"
                                       R"("content":"hello","model":"m-1","prompt_tokens":10,"completion_tokens":20,"total_tokens":30,)"
                                       R"("metadata":{"finish":"stop"}})";
        const std::string status = R"({"id":"MS-1","timestamp":"2026-01-02T01:04:10Z","mcp_id":"mcp-a","status":"down",)"
                                   R"("previous_status":"up","endpoint":"http://127.0.0.1:1/mcp","detail":"refused"})";
        const std::string audit = R"({"id":"A-1","timestamp":"2026-01-02T01:04:11Z","actor":"admin","action":"plugin.reload",)"
                                  R"("target":"store-sqlite","outcome":"ok","details":{"took_ms":3}})";
        auto& store = open();
        assertWritten(write(store, "thread", std::string("[") + kThreadT1 + "," + child + "]"), 2, 0);
        assertWritten(write(store, "step", "[" + step + "]"), 1, 0);
        assertWritten(write(store, "log", "[" + log + "]"), 1, 0);
        assertWritten(write(store, "permission", "[" + permission + "]"), 1, 0);
        assertWritten(write(store, "transcript", "[" + transcript + "]"), 1, 0);
        assertWritten(write(store, "mcp_status", "[" + status + "]"), 1, 0);
        assertWritten(write(store, "audit", "[" + audit + "]"), 1, 0);

        auto t1 = thread(store, "T-1");
        assertSameRecord(kind("thread"), kThreadT1, t1);
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-02T01:04:05.500000Z"), t1->getValue<std::string>("started_at"));
        assertSameRecord(kind("thread"), child, thread(store, "T-2"));
        assertSameRecord(kind("step"), step, t1->getArray("timeline")->getObject(0));
        assertSameRecord(kind("transcript"), transcript, t1->getArray("transcript")->getObject(0));
        auto logs = queryObject(store, "logs.list", "{}")->getArray("items");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), logs->size());
        assertSameRecord(kind("log"), log, logs->getObject(0));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-02T01:04:07.123456Z"), logs->getObject(0)->getValue<std::string>("timestamp"));
        // Kinds no query returns yet: straight from the tables.
        assertSameRow(kind("permission"), permission, backend_->rawRow(kind("permission"), "P-1"));
        assertSameRow(kind("mcp_status"), status, backend_->rawRow(kind("mcp_status"), "MS-1"));
        assertSameRow(kind("audit"), audit, backend_->rawRow(kind("audit"), "A-1"));
        assertSameRow(kind("thread"), kThreadT1, backend_->rawRow(kind("thread"), "T-1"));
    }

    void testMetricPointsRoundTripAndUsageAddsUpPerThreadAndAgent() {
        auto& store = open();
        assertWritten(write(store, "thread", std::string("[") + kThreadT1 + "]"), 1, 0);
        const auto point = [](const std::string& id, const std::string& thread, const std::string& service, const std::string& usage,
                              double increment, const std::string& at) {
            return R"({"id":")" + id + R"(","name":"claude_code.token.usage","thread_id":)" + (thread.empty() ? "null" : "\"" + thread + "\"") +
                   R"(,"service":")" + service + R"(","metric_type":"sum","temporality":"delta","monotonic":true,"timestamp":")" + at +
                   R"(","value":)" + std::to_string(increment) + R"(,"increment":)" + std::to_string(increment) + R"(,"usage":")" + usage + "\"}";
        };
        const std::string histogram =
            R"({"id":"MP-h","name":"gen_ai.client.operation.duration","thread_id":"T-1","service":"claude-code","metric_type":"histogram",)"
            R"("unit":"s","temporality":"cumulative","monotonic":null,"start_time":"2026-01-02T01:00:00Z","timestamp":"2026-01-02T01:01:00Z",)"
            R"("value":null,"increment":9.5,"count":6,"sum":9.5,"min":0.25,"max":4,"buckets":{"bounds":[0.5,2.5],"counts":[1,2,3]},)"
            R"("usage":null,"model":"m-1","attributes":{"gen_ai.request.model":"m-1"},"resource":{"attributes":{"service.name":"claude-code"}}})";
        assertWritten(write(store, "metric",
                            "[" + point("MP-1", "T-1", "claude-code", "input_tokens", 100, "2026-01-02T01:00:00Z") + "," +
                                point("MP-2", "T-1", "claude-code", "output_tokens", 50, "2026-01-02T01:00:01Z") + "," +
                                point("MP-3", "T-1", "claude-code", "cost_usd", 0.25, "2026-01-02T01:00:02Z") + "," +
                                point("MP-4", "", "other-agent", "input_tokens", 10, "2026-01-02T01:00:03Z") + "," +
                                point("MP-5", "T-1", "claude-code", "cache_read_tokens", 7, "2026-01-02T02:00:00Z") + "," +
                                point("MP-6", "T-1", "claude-code", "input_tokens", 1, "2026-01-02T02:00:01Z") + "," + histogram + "]"),
                      7, 0);
        assertWritten(write(store, "metric", "[" + point("MP-1", "T-1", "claude-code", "input_tokens", 100, "2026-01-02T01:00:00Z") + "]"), 1, 1);
        const auto points = queryObject(store, "metrics.list", R"({"name":"gen_ai.client.operation.duration"})")->getArray("items");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), points->size());
        assertSameRecord(kind("metric"), histogram, points->getObject(0));
        CPPUNIT_ASSERT_EQUAL(std::string("MP-6,MP-5,MP-3,MP-2,MP-1"), ids(queryObject(store, "metrics.list", R"({"thread_id":"T-1","name":"claude_code.token.usage"})")->getArray("items")));

        CPPUNIT_ASSERT_EQUAL(std::string(R"({"items":[{"thread_id":"T-1","input_tokens":101,"output_tokens":50,"cache_read_tokens":7,)"
                                         R"("cache_creation_tokens":0,"total_tokens":158,"cost_usd":0.25,"points":5}],"truncated":false})"),
                             queryText(store, "usage", "{}"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"items":[{"service":"claude-code","input_tokens":101,"output_tokens":50,"cache_read_tokens":7,)"
                                         R"("cache_creation_tokens":0,"total_tokens":158,"cost_usd":0.25,"points":5},)"
                                         R"({"service":"other-agent","input_tokens":10,"output_tokens":0,"cache_read_tokens":0,)"
                                         R"("cache_creation_tokens":0,"total_tokens":10,"cost_usd":0,"points":1}],"truncated":false})"),
                             queryText(store, "usage", R"({"by":"service"})"));
        // A time range, and one row at most.
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"items":[{"service":"claude-code","input_tokens":100,"output_tokens":50,"cache_read_tokens":0,)"
                                         R"("cache_creation_tokens":0,"total_tokens":150,"cost_usd":0.25,"points":3}],"truncated":true})"),
                             queryText(store, "usage", R"({"by":"service","to":"2026-01-02T02:00:00Z","limit":1})"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"items":[],"truncated":false})"), queryText(store, "usage", R"({"thread_id":"T-none"})"));
        std::string result, error;
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, store.query("usage", R"({"by":"model"})", result, error));
        CPPUNIT_ASSERT_EQUAL(std::string("usage: parameter 'by' must be one of thread, service (got 'model')"), error);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, store.query("usage", R"({"from":"2026-01-03T00:00:00Z","to":"2026-01-02T00:00:00Z"})", result, error));
        CPPUNIT_ASSERT_EQUAL(std::string("usage: parameter 'from' is after 'to'"), error);
        // A usage outside the catalog's list is refused.
        const auto rejected = write(store, "metric", "[" + point("MP-7", "T-1", "claude-code", "tokens", 1, "2026-01-02T01:00:00Z") + "]");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), rejected.rejected.size());
        CPPUNIT_ASSERT_EQUAL(std::string("field 'usage' must be one of input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, "
                                         "cost_usd (got 'tokens')"),
                             rejected.rejected[0].second);
    }

    void testThreadsAreFoundByTheirUser() {
        auto& store = open(mc::test::fake::sourceMigrationsDir());
        assertWritten(write(store, "thread",
                            R"([{"id":"T-a","mcp_id":"m","status":"running","started_at":"2026-01-02T01:00:00Z","execution_context":{"user":"alice","endpoint":"/mcp"}},)"
                            R"({"id":"T-b","mcp_id":"m","status":"running","started_at":"2026-01-02T02:00:00Z","execution_context":{"user.id":"u-7","user.email":"bob@example.com"}},)"
                            R"({"id":"T-c","mcp_id":"m","status":"running","started_at":"2026-01-02T03:00:00Z","execution_context":{"user":"alice"}},)"
                            R"({"id":"T-d","mcp_id":"m","status":"running","started_at":"2026-01-02T04:00:00Z"}])"),
                      4, 0);
        CPPUNIT_ASSERT_EQUAL(std::string("T-c,T-a"), ids(queryObject(store, "threads.list", R"({"user":"alice"})")->getArray("items")));
        CPPUNIT_ASSERT_EQUAL(std::string("T-b"), ids(queryObject(store, "threads.list", R"({"user":"u-7"})")->getArray("items")));
        CPPUNIT_ASSERT_EQUAL(std::string("T-b"), ids(queryObject(store, "threads.list", R"({"user":"bob@example.com"})")->getArray("items")));
        CPPUNIT_ASSERT_EQUAL(std::string("T-a"), ids(queryObject(store, "threads.list", R"({"user":"alice","to":"2026-01-02T02:00:00Z"})")->getArray("items")));
        CPPUNIT_ASSERT_EQUAL(std::string(""), ids(queryObject(store, "threads.list", R"({"user":"mallory' OR 1=1 --"})")->getArray("items")));
    }

    void testToolsAddUpCallsErrorsAndLatencyPerToolAndAgent() {
        auto& store = open(mc::test::fake::sourceMigrationsDir());
        assertWritten(write(store, "thread", std::string("[") + kThreadT1 + R"(,{"id":"T-2","mcp_id":"agent-b","status":"running"}])"), 2, 0);
        const auto step = [](const std::string& thread, int sequence, const std::string& type, const std::string& mcp, const std::string& tool,
                             const std::string& duration, const std::string& status, const std::string& at) {
            return R"({"id":"S-)" + thread + "-" + std::to_string(sequence) + R"(","thread_id":")" + thread + R"(","sequence":)" +
                   std::to_string(sequence) + R"(,"timestamp":"2026-01-02T01:)" + at + R"(Z","duration_ms":)" + duration +
                   R"(,"step_type":")" + type + R"(","status":")" + status + R"(","mcp_id":)" + (mcp.empty() ? "null" : "\"" + mcp + "\"") +
                   R"(,"tool":")" + tool + "\"}";
        };
        assertWritten(write(store, "step",
                            "[" + step("T-1", 1, "tool_call", "fs", "read", "10", "ok", "00:00") + "," +
                                step("T-1", 2, "tool_call", "fs", "read", "30", "ok", "00:10") + "," +
                                step("T-1", 3, "tool_call", "fs", "read", "20", "error", "00:20") + "," +
                                step("T-2", 1, "tool_call", "fs", "read", "40", "timeout", "00:30") + "," +
                                step("T-2", 2, "tool_call", "fs", "write", "0", "denied", "00:40") + "," +
                                step("T-2", 3, "llm_call", "", "model", "900", "ok", "00:50") + "," +
                                step("T-1", 4, "tool_call", "", "Bash", "5.5", "ok", "01:00") + "]"),
                      7, 0);
        const std::string read = R"("tool":"read","calls":4,"errors":2,"denied":0,"error_rate":0.5,"p50_ms":20,"p95_ms":40,"p99_ms":40,"max_ms":40,)"
                                 R"("last_call":"2026-01-02T01:00:30.000000Z"})";
        const std::string bash = R"({"mcp_id":null,"tool":"Bash","calls":1,"errors":0,"denied":0,"error_rate":0,"p50_ms":5.5,"p95_ms":5.5,)"
                                 R"("p99_ms":5.5,"max_ms":5.5,"last_call":"2026-01-02T01:01:00.000000Z"})";
        const std::string write_ = R"({"mcp_id":"fs","tool":"write","calls":1,"errors":0,"denied":1,"error_rate":0,"p50_ms":null,)"
                                   R"("p95_ms":null,"p99_ms":null,"max_ms":null,"last_call":"2026-01-02T01:00:40.000000Z"})";
        CPPUNIT_ASSERT_EQUAL(R"({"items":[{"mcp_id":"fs",)" + read + "," + bash + "," + write_ + R"(],"calls_read":6,"truncated":false})",
                             queryText(store, "tools", "{}"));
        // A chart's series: two buckets over the range given.
        CPPUNIT_ASSERT_EQUAL(R"({"items":[{"mcp_id":"fs",)" + read + "," + write_ +
                                 R"(],"series":{"from_ms":1767315600000,"bucket_ms":40000,"points":[{"calls":4,"errors":2,"p50_ms":20,"p95_ms":40},)"
                                 R"({"calls":1,"errors":0,"p50_ms":null,"p95_ms":null}]},"calls_read":5,"truncated":false})",
                             queryText(store, "tools", R"({"mcp_id":"fs","from":"2026-01-02T01:00:00Z","to":"2026-01-02T01:01:20Z","buckets":2})"));
        // Per calling agent (the thread's mcp_id), one tool.
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"items":[{"mcp_id":"fs","tool":"read","agent":"mcp-a","calls":3,"errors":1,"denied":0,)"
                                         R"("error_rate":0.333,"p50_ms":20,"p95_ms":30,"p99_ms":30,"max_ms":30,"last_call":"2026-01-02T01:00:20.000000Z"},)"
                                         R"({"mcp_id":"fs","tool":"read","agent":"agent-b","calls":1,"errors":1,"denied":0,"error_rate":1,)"
                                         R"("p50_ms":40,"p95_ms":40,"p99_ms":40,"max_ms":40,"last_call":"2026-01-02T01:00:30.000000Z"}],)"
                                         R"("calls_read":4,"truncated":false})"),
                             queryText(store, "tools", R"({"by":"agent","tool":"read","limit":2})"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"items":[],"calls_read":0,"truncated":false})"), queryText(store, "tools", R"({"agent":"nobody"})"));
        std::string result, error;
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, store.query("tools", R"({"by":"server"})", result, error));
        CPPUNIT_ASSERT_EQUAL(std::string("tools: parameter 'by' must be one of tool, agent (got 'server')"), error);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, store.query("tools", R"({"buckets":501})", result, error));
    }

    // Retention (expire): the oldest records of one kind before the cutoff, at most a batch at a time;
    // other kinds, and newer records, stay; the oldest kept is what describe says.
    // The lease hook (ABI 2.3) the hosts of a cluster take servers with: one holder at a time, renewal
    // by the holder, nobody else's until it expires, release by the holder only, read without change.
    void testLeasesHaveOneHolderUntilTheyExpireOrAreReleased() {
        auto& store = open();
        auto& s = store.instance();
        const auto holderOf = [](const mc::sdk::test::Call& c) {
            CPPUNIT_ASSERT_MESSAGE(c.error, c.ok());
            const auto o = parseObject(c.output);
            return o->isNull("holder") ? std::string() : o->getValue<std::string>("holder");
        };
        CPPUNIT_ASSERT_EQUAL(std::string(), holderOf(s.lease(MC_LEASE_READ, "mcp:a", "")));
        CPPUNIT_ASSERT_EQUAL(std::string("h1"), holderOf(s.lease(MC_LEASE_ACQUIRE, "mcp:a", "h1", 60000)));
        CPPUNIT_ASSERT_EQUAL(std::string("h1"), holderOf(s.lease(MC_LEASE_ACQUIRE, "mcp:a", "h2", 60000))); // taken
        CPPUNIT_ASSERT_EQUAL(std::string("h1"), holderOf(s.lease(MC_LEASE_ACQUIRE, "mcp:a", "h1", 60000))); // renewed
        const auto renewed = parseObject(s.lease(MC_LEASE_READ, "mcp:a", "").output);
        CPPUNIT_ASSERT_EQUAL(std::string("mcp:a"), renewed->getValue<std::string>("name"));
        const auto left = renewed->getValue<std::int64_t>("expires_in_ms");
        CPPUNIT_ASSERT_MESSAGE(std::to_string(left), left > 50000 && left <= 60000);
        CPPUNIT_ASSERT_EQUAL(std::string("h1"), holderOf(s.lease(MC_LEASE_RELEASE, "mcp:a", "h2"))); // not h2's to give
        CPPUNIT_ASSERT_EQUAL(std::string(), holderOf(s.lease(MC_LEASE_RELEASE, "mcp:a", "h1")));
        CPPUNIT_ASSERT_EQUAL(std::string("h2"), holderOf(s.lease(MC_LEASE_ACQUIRE, "mcp:a", "h2", 60000)));
        // Expired: anyone may take it.
        CPPUNIT_ASSERT_EQUAL(std::string("h1"), holderOf(s.lease(MC_LEASE_ACQUIRE, "mcp:b", "h1", 50)));
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        CPPUNIT_ASSERT_EQUAL(std::string(), holderOf(s.lease(MC_LEASE_READ, "mcp:b", "")));
        CPPUNIT_ASSERT_EQUAL(std::string("h3"), holderOf(s.lease(MC_LEASE_ACQUIRE, "mcp:b", "h3", 60000)));
        // Refusals: the SDK checks the arguments before the store sees them.
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, s.lease(MC_LEASE_ACQUIRE, "mcp:c", "h1", 0).status);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, s.lease(MC_LEASE_ACQUIRE, "", "h1", 100).status);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, s.lease(MC_LEASE_RELEASE, "mcp:a", "").status);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, s.lease(MC_LEASE_INVALID, "mcp:a", "h1", 100).status);
    }

    void testExpireDeletesTheOldestOfAKindABatchAtATime() {
        auto& store = open();
        const auto log = [](const std::string& id, const std::string& at) {
            return R"({"id":")" + id + R"(","timestamp":")" + at + R"(","level":"INFO","service":"s","mcp_id":"m","message":"x"})";
        };
        assertWritten(write(store, "log", "[" + log("L-1", "2026-01-01T00:00:00.000000Z") + "," + log("L-2", "2026-01-02T00:00:00.000000Z") +
                                              "," + log("L-3", "2026-01-03T00:00:00.000000Z") + "," + log("L-4", "2026-01-05T00:00:00.000000Z") + "]"),
                      4, 0);
        assertWritten(write(store, "metric", R"([{"id":"MP-1","name":"n","metric_type":"gauge","temporality":"unspecified",)"
                                             R"("timestamp":"2026-01-01T00:00:00.000000Z","value":1}])"),
                      1, 0);
        const std::string cutoff = "2026-01-04T00:00:00.000000Z";
        std::uint64_t deleted = 0;
        std::string error;
        // Oldest first, two at a time: L-1 and L-2, then L-3 (fewer than the batch: done), then none.
        CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, store.expire("log", cutoff, 2, deleted, error));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), deleted);
        CPPUNIT_ASSERT_EQUAL(std::string("L-4,L-3"), ids(queryObject(store, "logs.list", "{}")->getArray("items")));
        CPPUNIT_ASSERT_EQUAL(MC_OK, store.expire("log", cutoff, 2, deleted, error));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), deleted);
        CPPUNIT_ASSERT_EQUAL(MC_OK, store.expire("log", cutoff, 2, deleted, error));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), deleted);
        CPPUNIT_ASSERT_EQUAL(std::string("L-4"), ids(queryObject(store, "logs.list", "{}")->getArray("items")));
        // The log's full-text entry went with it: a search finds only what is left.
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), queryObject(store, "search", R"({"q":"x"})")->getArray("items")->size());
        // Another kind was not touched; a kind that goes with its thread is refused.
        CPPUNIT_ASSERT_EQUAL(std::string("MP-1"), ids(queryObject(store, "metrics.list", "{}")->getArray("items")));
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, store.expire("step", cutoff, 2, deleted, error));
        CPPUNIT_ASSERT_EQUAL(std::string("records of kind 'step' are not expired one by one"), error);
        // describe: the oldest record of each kind retention expires.
        auto details = parseObject(store.healthJson()); // the host's has them under "details"
        if (details->has("details")) details = details->getObject("details");
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-05T00:00:00.000000Z"), details->getObject("oldest")->getValue<std::string>("log"));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-01T00:00:00.000000Z"), details->getObject("oldest")->getValue<std::string>("metric"));
        CPPUNIT_ASSERT(details->getObject("oldest")->isNull("span"));
        CPPUNIT_ASSERT(details->getValue<std::int64_t>("size_bytes") > 0);
    }

    void testEventsBatchAppliesMixedKindsInArrayOrder() {
        auto& store = open();
        // The thread comes first in the same batch: the step, transcript, log and permission after it see it.
        const std::string events =
            std::string("[{\"type\":\"thread\",") + std::string(kThreadT1).substr(1) + ","
            R"({"type":"step","id":"S-1","thread_id":"T-1","sequence":1,"step_type":"tool_call"},)"
            R"({"type":"transcript","id":"M-1","thread_id":"T-1","sequence":1,"role":"user","content":"hi"},)"
            R"({"type":"bogus","id":"X-1"},)"
            R"({"id":"X-2"},)"
            R"({"type":"log","id":"L-1","level":"INFO","service":"s","mcp_id":"mcp-a","thread_id":"T-1"},)"
            R"({"type":"permission","id":"P-1","thread_id":"T-1","granted":true},)"
            R"({"type":"mcp_status","id":"MS-1","mcp_id":"mcp-a","status":"up"},)"
            R"({"type":"audit","id":"A-1","actor":"a","action":"b"},)"
            R"({"type":"step","id":"S-2","thread_id":"T-1","sequence":2,"step_type":"result"},)"
            R"({"type":"thread","id":"T-1","mcp_id":"mcp-a","status":"complete","ended_at":"2026-01-03T00:00:00Z"},)"
            R"({"type":"log","level":"NOPE","service":"s","mcp_id":"m"}])";
        const std::string known = "(known: " + records::knownKinds() + ")";
        assertWritten(write(store, "events", events), 9, 0,
                      {{3, "unknown event type 'bogus' " + known}, {4, "unknown event type '' " + known},
                       {11, "field 'level' must be one of DEBUG, INFO, WARN, ERROR (got 'NOPE')"}});
        auto t1 = thread(store, "T-1");
        CPPUNIT_ASSERT_EQUAL(std::string("complete"), t1->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-03T00:00:00.000000Z"), t1->getValue<std::string>("ended_at"));
        CPPUNIT_ASSERT_EQUAL(std::string("list files"), t1->getValue<std::string>("user_input")); // absent: kept
        CPPUNIT_ASSERT_EQUAL(std::string("S-1,S-2"), ids(t1->getArray("timeline")));
        CPPUNIT_ASSERT_EQUAL(std::string("tool_call"), t1->getArray("timeline")->getObject(0)->getValue<std::string>("step_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("M-1"), ids(t1->getArray("transcript")));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), backend_->rawScalar("SELECT count(*) FROM audit_events"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), backend_->rawScalar("SELECT count(*) FROM mcp_status_history"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), backend_->rawScalar("SELECT count(*) FROM permission_events"));
    }

    void testAFailingBatchWritesNothingAndCanBeRetried() {
        auto& store = open();
        const std::string batch =
            std::string("[{\"type\":\"thread\",") + std::string(kThreadT1).substr(1) + ","
            R"({"type":"log","id":"L-1","level":"INFO","service":"s","mcp_id":"m","thread_id":"T-1"},)"
            R"({"type":"step","id":"S-1","thread_id":"T-1","sequence":1,"step_type":"x"},)"
            R"({"type":"audit","id":"A-1","actor":"a","action":"b"}])";
        const std::string words = backend_->breakAuditInserts();
        std::string result, error;
        CPPUNIT_ASSERT(store.write("events", batch, result, error) != MC_OK);
        CPPUNIT_ASSERT_MESSAGE(error, error.find(words) != std::string::npos);
        // The thread, log and step written before the audit record went with the transaction.
        for (const char* table : {"threads", "logs", "execution_steps", "audit_events"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(table, std::string("0"), backend_->rawScalar(std::string("SELECT count(*) FROM ") + table));
        backend_->repairAuditInserts();
        assertWritten(write(store, "events", batch), 4, 0);
        CPPUNIT_ASSERT_EQUAL(std::string("S-1"), ids(thread(store, "T-1")->getArray("timeline")));
    }

    void testBadBodiesFailTheWholeCallAndWriteNothing() {
        auto& store = open();
        std::string result, error;
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, store.write("events", R"({"type":"log"})", result, error));
        CPPUNIT_ASSERT(error.find("records must be a JSON array") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, store.write("log", "[{", result, error));
        CPPUNIT_ASSERT(error.find("records are not valid JSON") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, store.write("widgets", "[]", result, error));
        CPPUNIT_ASSERT(error.find("unknown record kind 'widgets' (known: " + records::knownKinds() + ", events)") !=
                       std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("0"), backend_->rawScalar("SELECT count(*) FROM logs"));
        assertWritten(write(store, "events", "[]"), 0, 0);
    }

    void testReadsOrderBySequenceWhateverTheArrivalOrder() {
        auto& store = open();
        write(store, "thread", std::string("[") + kThreadT1 + "]");
        assertWritten(write(store, "step",
                            R"([{"id":"S-c","thread_id":"T-1","sequence":30,"step_type":"x","timestamp":"2026-01-01T00:00:01Z"},)"
                            R"({"id":"S-a","thread_id":"T-1","sequence":10,"step_type":"x","timestamp":"2026-01-01T00:00:03Z"}])"),
                      2, 0);
        assertWritten(write(store, "events",
                            R"([{"type":"step","id":"S-b","thread_id":"T-1","sequence":20,"step_type":"x"},)"
                            R"({"type":"transcript","id":"M-2","thread_id":"T-1","sequence":2,"role":"assistant"},)"
                            R"({"type":"transcript","id":"M-1","thread_id":"T-1","sequence":1,"role":"user"}])"),
                      3, 0);
        auto t1 = thread(store, "T-1");
        CPPUNIT_ASSERT_EQUAL(std::string("S-a,S-b,S-c"), ids(t1->getArray("timeline")));
        CPPUNIT_ASSERT_EQUAL(std::string("M-1,M-2"), ids(t1->getArray("transcript")));
    }

    void testRetriesNeverDuplicateNorOverwrite() {
        auto& store = open();
        const std::string batch =
            std::string("[{\"type\":\"thread\",") + std::string(kThreadT1).substr(1) + ","
            R"({"type":"step","id":"S-1","thread_id":"T-1","sequence":1,"step_type":"x","description":"first"},)"
            R"({"type":"log","id":"L-1","level":"INFO","service":"s","mcp_id":"m","message":"first"},)"
            R"({"type":"log","id":"L-1","level":"INFO","service":"s","mcp_id":"m","message":"second"},)"
            R"({"type":"transcript","id":"M-1","thread_id":"T-1","sequence":1,"role":"user"},)"
            R"({"type":"audit","id":"A-1","actor":"a","action":"b"},)"
            R"({"type":"log","id":"L-\"odd\", {id}\\","level":"INFO","service":"s","mcp_id":"m","message":"odd id"}])";
        assertWritten(write(store, "events", batch), 7, 1); // L-1 twice in one batch
        assertWritten(write(store, "events", batch), 7, 7); // the whole batch again: all no-ops
        assertWritten(write(store, "step", R"([{"id":"S-1","thread_id":"T-1","sequence":1,"step_type":"x","description":"changed"}])"),
                      1, 1);
        CPPUNIT_ASSERT_EQUAL(std::string("2"), backend_->rawScalar("SELECT count(*) FROM logs"));
        CPPUNIT_ASSERT_EQUAL(std::string("first"), backend_->rawScalar("SELECT message FROM logs WHERE id = 'L-1'"));
        CPPUNIT_ASSERT_EQUAL(std::string("first"), backend_->rawScalar("SELECT description FROM execution_steps"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), backend_->rawScalar("SELECT count(*) FROM transcripts"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), backend_->rawScalar("SELECT count(*) FROM audit_events"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), backend_->rawScalar("SELECT count(*) FROM threads"));
    }

    // A record's id is stored once, whatever time a re-send carries (a time that defaulted to "now",
    // a clock that moved): yesterday's and today's copy are one record, in one batch and across two.
    void testAnIdSentAgainAtAnotherTimeIsADuplicate() {
        auto& store = open();
        const std::string yesterday = utcDay(-1) + "T12:00:00.000000Z", today = utcDay(0) + "T00:00:01.000000Z";
        assertWritten(write(store, "log", "[" + logAt("L-d", yesterday, "first") + "," + logAt("L-d", today, "second") + "]"), 2, 1);
        assertWritten(write(store, "log", "[" + logAt("L-d", today, "third") + "]"), 1, 1);
        CPPUNIT_ASSERT_EQUAL(std::string("1"), backend_->rawScalar("SELECT count(*) FROM logs"));
        CPPUNIT_ASSERT_EQUAL(std::string("first"), backend_->rawScalar("SELECT message FROM logs WHERE id = 'L-d'"));
    }

    void testSequenceTakenByAnotherIdIsRejected() {
        auto& store = open();
        write(store, "thread", std::string("[") + kThreadT1 + "]");
        write(store, "events", R"([{"type":"step","id":"S-a","thread_id":"T-1","sequence":1,"step_type":"x"},)"
                               R"({"type":"transcript","id":"M-a","thread_id":"T-1","sequence":1,"role":"user"}])");
        assertWritten(write(store, "events",
                            R"([{"type":"step","id":"S-b","thread_id":"T-1","sequence":1,"step_type":"x"},)"
                            R"({"type":"step","id":"S-c","thread_id":"T-1","sequence":2,"step_type":"x"},)"
                            R"({"type":"step","id":"S-d","thread_id":"T-1","sequence":2,"step_type":"x"},)"
                            R"({"type":"transcript","id":"M-b","thread_id":"T-1","sequence":1,"role":"user"},)"
                            R"({"type":"step","id":"S-e","thread_id":"T-nope","sequence":1,"step_type":"x"},)"
                            R"({"type":"transcript","id":"M-e","thread_id":"T-nope","sequence":1,"role":"user"}])"),
                      1, 0,
                      {{0, records::sequenceConflictReason("step", "T-1", 1, "S-a")},
                       {2, records::sequenceConflictReason("step", "T-1", 2, "S-c")},
                       {3, records::sequenceConflictReason("transcript", "T-1", 1, "M-a")},
                       {4, records::missingThreadReason("T-nope")},
                       {5, records::missingThreadReason("T-nope")}});
        CPPUNIT_ASSERT_EQUAL(std::string("S-a,S-c"), ids(thread(store, "T-1")->getArray("timeline")));
    }

    void testLogAndPermissionNeedAnExistingThread() {
        auto& store = open();
        write(store, "thread", std::string("[") + kThreadT1 + "]");
        assertWritten(write(store, "events",
                            R"([{"type":"log","id":"L-1","level":"INFO","service":"s","mcp_id":"m","thread_id":"T-gone"},)"
                            R"({"type":"log","id":"L-2","level":"INFO","service":"s","mcp_id":"m","thread_id":"T-1"},)"
                            R"({"type":"log","id":"L-3","level":"INFO","service":"s","mcp_id":"m"},)"
                            R"({"type":"permission","id":"P-1","thread_id":"T-gone","granted":true},)"
                            R"({"type":"permission","id":"P-2","granted":false}])"),
                      3, 0, {{0, records::missingThreadReason("T-gone")}, {3, records::missingThreadReason("T-gone")}});
        CPPUNIT_ASSERT_EQUAL(std::string("L-3,L-2"), ids(queryObject(store, "logs.list", "{}")->getArray("items")));
        CPPUNIT_ASSERT_EQUAL(std::string("L-2"), ids(queryObject(store, "logs.list", R"({"thread_id":"T-1","min_level":"info"})")->getArray("items")));
        CPPUNIT_ASSERT_EQUAL(std::string(""), ids(queryObject(store, "logs.list", R"({"min_level":"ERROR"})")->getArray("items")));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), queryObject(store, "logs.list", R"({"limit":1})")->getArray("items")->size());
        CPPUNIT_ASSERT_EQUAL(std::string("P-2"), backend_->rawScalar("SELECT id FROM permission_events"));
    }

    void testThreadLifecycle() {
        auto& store = open();
        write(store, "thread", std::string("[") + kThreadT1 + "]");
        const auto event = [](const std::string& status, const std::string& extra = "") {
            return R"([{"id":"T-1","mcp_id":"mcp-a","status":")" + status + "\"" + extra + "}]";
        };
        assertWritten(write(store, "thread", event("paused")), 1, 0);
        assertWritten(write(store, "thread", event("paused")), 1, 1); // the same status again
        assertWritten(write(store, "thread", event("running", R"(,"memory_usage":2048)")), 1, 0);
        auto t1 = thread(store, "T-1");
        CPPUNIT_ASSERT_EQUAL(2048, t1->getValue<int>("memory_usage"));
        CPPUNIT_ASSERT_EQUAL(std::string("list files"), t1->getValue<std::string>("user_input"));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-02T01:04:05.500000Z"), t1->getValue<std::string>("started_at"));
        CPPUNIT_ASSERT(t1->isNull("ended_at"));
        // Terminal without ended_at: the store stamps it.
        assertWritten(write(store, "thread", event("error")), 1, 0);
        t1 = thread(store, "T-1");
        CPPUNIT_ASSERT_EQUAL(std::string("error"), t1->getValue<std::string>("status"));
        std::string ended;
        CPPUNIT_ASSERT(records::normalizeTimestamp(t1->getValue<std::string>("ended_at"), ended));
        CPPUNIT_ASSERT(ended > "2026-01-01");
        // Final means final, with the shared reason.
        assertWritten(write(store, "thread",
                            R"([{"id":"T-1","mcp_id":"mcp-a","status":"running"},{"id":"T-1","mcp_id":"mcp-a","status":"error"}])"),
                      1, 1, {{0, "thread 'T-1' cannot go from error to running (error is final)"}});
    }

    void testIllegalTransitionsAndMissingParentsAreRejected() {
        auto& store = open();
        write(store, "thread", std::string("[") + kThreadT1 + "]");
        assertWritten(write(store, "thread",
                            R"([{"id":"T-1","mcp_id":"mcp-a","status":"complete","ended_at":"2026-01-05T00:00:00Z"},)"
                            R"({"id":"T-1","mcp_id":"mcp-a","status":"running"},)"
                            R"({"id":"T-1","mcp_id":"mcp-a","status":"complete"},)"
                            R"({"id":"T-9","parent_id":"T-missing","mcp_id":"mcp-a","status":"running"},)"
                            R"({"id":"T-3","parent_id":"T-1","mcp_id":"mcp-a","status":"cancelled"},)"
                            R"({"id":"T-1","mcp_id":"mcp-a","status":"paused"}])"),
                      3, 1,
                      {{1, *records::transitionError("T-1", "complete", "running")},
                       {3, records::missingParentReason("T-missing")},
                       {5, *records::transitionError("T-1", "complete", "paused")}});
        auto t1 = thread(store, "T-1");
        CPPUNIT_ASSERT_EQUAL(std::string("complete"), t1->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-05T00:00:00.000000Z"), t1->getValue<std::string>("ended_at"));
        auto t3 = thread(store, "T-3");
        CPPUNIT_ASSERT_EQUAL(std::string("T-1"), t3->getValue<std::string>("parent_id"));
        CPPUNIT_ASSERT(!t3->isNull("ended_at")); // new and terminal: stamped too
        CPPUNIT_ASSERT_EQUAL(std::string("0"), backend_->rawScalar("SELECT count(*) FROM threads WHERE id = 'T-9'"));
    }

    void testThreadsState() {
        auto& store = open();
        write(store, "events",
              std::string("[{\"type\":\"thread\",") + std::string(kThreadT1).substr(1) + ","
              R"({"type":"thread","id":"T-2","parent_id":"T-1","mcp_id":"m","status":"paused"},)"
              R"({"type":"step","id":"S-1","thread_id":"T-1","sequence":7,"step_type":"x"},)"
              R"({"type":"step","id":"S-2","thread_id":"T-1","sequence":3,"step_type":"x"},)"
              R"({"type":"transcript","id":"M-1","thread_id":"T-1","sequence":4,"role":"user"}])");
        auto items = queryObject(store, "threads.state", R"({"ids":["T-2","T-unknown","T-1"]})")->getArray("items");
        // (keys sorted by the parser)
        CPPUNIT_ASSERT_EQUAL(std::string(R"([{"id":"T-2","max_step_sequence":null,"max_transcript_sequence":null,)"
                                         R"("parent_id":"T-1","status":"paused"},{"id":"T-1","max_step_sequence":7,)"
                                         R"("max_transcript_sequence":4,"parent_id":null,"status":"running"}])"),
                             condensed(items));
        std::string result, error;
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, store.query("threads.state", "{}", result, error));
        CPPUNIT_ASSERT(error.find("threads.state: parameter 'ids' is required") != std::string::npos);
        std::string many = "[";
        for (int i = 0; i <= 1000; ++i) many += (i ? ",\"T-" : "\"T-") + std::to_string(i) + "\"";
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, store.query("threads.state", R"({"ids":)" + many + "]}", result, error));
        CPPUNIT_ASSERT(error.find("has 1001 entries (at most 1000)") != std::string::npos);
    }

    void testMigrationsAreRecordedAndAppliedOnce() {
        auto& store = open();
        const auto shipped = mc::test::fake::migrationFiles(mc::test::fake::sourceMigrationsDir(), store.dialect());
        CPPUNIT_ASSERT(shipped.size() >= 2);
        CPPUNIT_ASSERT_EQUAL(shipped.size(), store.migration().applied.size());
        auto rows = queryObject(store, "schema_migrations.list", "")->getArray("items");
        CPPUNIT_ASSERT_EQUAL(shipped.size(), rows->size());
        for (unsigned i = 0; i < rows->size(); ++i) {
            CPPUNIT_ASSERT_EQUAL(shipped[i].version, rows->getObject(i)->getValue<std::int64_t>("version"));
            CPPUNIT_ASSERT_EQUAL(shipped[i].name, rows->getObject(i)->getValue<std::string>("name"));
            CPPUNIT_ASSERT_EQUAL(shipped[i].checksum, rows->getObject(i)->getValue<std::string>("checksum"));
        }
        write(store, "thread", std::string("[") + kThreadT1 + "]");
        store_.reset();
        auto& again = open();
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), again.migration().applied.size());
        CPPUNIT_ASSERT_EQUAL(shipped.back().version, again.schemaVersion());
        CPPUNIT_ASSERT_EQUAL(std::string("running"), thread(again, "T-1")->getValue<std::string>("status"));
    }

    void testAFailingMigrationLeavesNothingBehind() {
        const std::string dialect = open().dialect();
        store_.reset();
        // The shipped migrations plus one more whose second statement fails.
        const auto shipped = mc::test::fake::migrationFiles(mc::test::fake::sourceMigrationsDir(), dialect);
        char brokenName[32];
        std::snprintf(brokenName, sizeof brokenName, "%03lld_broken.sql", static_cast<long long>(shipped.back().version + 1));
        namespace fs = boost::filesystem;
        mc::test::fake::TempDir dir;
        fs::create_directories(dir.path() / dialect);
        for (const auto& file : fs::directory_iterator(fs::path(mc::test::fake::sourceMigrationsDir()) / dialect))
            fs::copy_file(file.path(), dir.path() / dialect / file.path().filename());
        {
            std::ofstream broken((dir.path() / dialect / brokenName).string());
            broken << "CREATE TABLE half_done (id TEXT);\nINSERT INTO no_such_table VALUES (1);\n";
        }
        try {
            open(dir.path().string());
            CPPUNIT_FAIL("a failing migration was accepted");
        } catch (const mc::test::fake::StoreError& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find(brokenName) != std::string::npos);
        }
        CPPUNIT_ASSERT_EQUAL(std::to_string(shipped.size()), backend_->rawScalar("SELECT count(*) FROM schema_migrations"));
        CPPUNIT_ASSERT_MESSAGE("half_done was created", !rawQueryWorks("SELECT count(*) FROM half_done"));
        auto& store = open(); // the shipped ones still open the database as it was
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), store.migration().applied.size());
    }

protected:
    virtual std::unique_ptr<Backend> makeBackend() = 0;

    bool rawQueryWorks(const std::string& sql) {
        try {
            backend_->rawScalar(sql);
            return true;
        } catch (const std::exception&) {
            return false;
        }
    }

    // The store on this test's database (a new one for each test; the same one when called again).
    StoreService& open(const std::string& migrationsDir = mc::test::fake::sourceMigrationsDir(),
                       const mc::sdk::test::Properties& extra = {}) {
        if (!backend_) backend_ = makeBackend();
        store_.reset();
        store_ = backend_->open(migrationsDir, extra);
        store_->setTypedWrites(typedWrites());
        return *store_;
    }
    // The suite again with writes as the host's writer sends them (write_records).
    virtual bool typedWrites() const { return false; }

    std::unique_ptr<Backend> backend_;
    std::unique_ptr<StoreService> store_;
};

#define MC_STORE_CONFORMANCE_TESTS                                                                                     \
    CPPUNIT_TEST(testEveryKindRoundTripsWithAllFields);                                                                \
    CPPUNIT_TEST(testMetricPointsRoundTripAndUsageAddsUpPerThreadAndAgent);                                            \
    CPPUNIT_TEST(testToolsAddUpCallsErrorsAndLatencyPerToolAndAgent);                                                  \
    CPPUNIT_TEST(testThreadsAreFoundByTheirUser);                                                                      \
    CPPUNIT_TEST(testExpireDeletesTheOldestOfAKindABatchAtATime);                                                         \
    CPPUNIT_TEST(testLeasesHaveOneHolderUntilTheyExpireOrAreReleased);                                                  \
    CPPUNIT_TEST(testEventsBatchAppliesMixedKindsInArrayOrder);                                                        \
    CPPUNIT_TEST(testAFailingBatchWritesNothingAndCanBeRetried);                                                       \
    CPPUNIT_TEST(testBadBodiesFailTheWholeCallAndWriteNothing);                                                        \
    CPPUNIT_TEST(testReadsOrderBySequenceWhateverTheArrivalOrder);                                                     \
    CPPUNIT_TEST(testRetriesNeverDuplicateNorOverwrite);                                                               \
    CPPUNIT_TEST(testAnIdSentAgainAtAnotherTimeIsADuplicate);                                                          \
    CPPUNIT_TEST(testSequenceTakenByAnotherIdIsRejected);                                                              \
    CPPUNIT_TEST(testLogAndPermissionNeedAnExistingThread);                                                            \
    CPPUNIT_TEST(testThreadLifecycle);                                                                                 \
    CPPUNIT_TEST(testIllegalTransitionsAndMissingParentsAreRejected);                                                  \
    CPPUNIT_TEST(testThreadsState);                                                                                    \
    CPPUNIT_TEST(testMigrationsAreRecordedAndAppliedOnce);                                                             \
    CPPUNIT_TEST(testAFailingMigrationLeavesNothingBehind)

class StoreConformanceSqliteTest : public StoreConformanceTest {
    CPPUNIT_TEST_SUITE(StoreConformanceSqliteTest);
    MC_STORE_CONFORMANCE_TESTS;
    CPPUNIT_TEST_SUITE_END();

protected:
    std::unique_ptr<Backend> makeBackend() override { return std::make_unique<SqliteBackend>(); }
};

class StoreConformancePostgresTest : public StoreConformanceTest {
    CPPUNIT_TEST_SUITE(StoreConformancePostgresTest);
    MC_STORE_CONFORMANCE_TESTS;
    CPPUNIT_TEST(testRetentionDropsWholeDays);
    CPPUNIT_TEST(testADayTheDefaultPartitionHoldsGetsNoPartition);
    CPPUNIT_TEST(testMigrationTenPutsEveryRowInItsDay);
    CPPUNIT_TEST_SUITE_END();

public:
    // logs, spans and metric_points are partitioned by day (migration 010): the store makes the days
    // around today; retention drops the days wholly before its cut-off and deletes from the default
    // partition (rows of days without one) row by row; the day the cut-off falls in stays whole.
    void testRetentionDropsWholeDays() {
        auto& store = open();
        const std::string yesterday = utcDay(-1), today = utcDay(0), tomorrow = utcDay(1);
        assertWritten(write(store, "log", "[" + logAt("L-y", yesterday + "T12:00:00.000000Z", "needle yesterday") + "," +
                                              logAt("L-t", today + "T00:00:01.000000Z", "needle today") + "," +
                                              logAt("L-n", tomorrow + "T08:00:00.000000Z", "needle tomorrow") + "," +
                                              logAt("L-old", "2020-01-01T00:00:00.000000Z", "needle old") + "]"),
                      4, 0);
        const auto partitions = [&] { return std::stoi(backend_->rawScalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'logs'::regclass")); };
        const auto exists = [&](const std::string& day) {
            return backend_->rawScalar("SELECT to_regclass('logs_p" + compact(day) + "') IS NOT NULL") == "t";
        };
        // Yesterday to today + 3, and the default partition.
        for (int d = -1; d <= 3; ++d) CPPUNIT_ASSERT_MESSAGE(utcDay(d), exists(utcDay(d)));
        CPPUNIT_ASSERT(!exists(utcDay(4)));
        CPPUNIT_ASSERT_EQUAL(std::string("L-y"), backend_->rawScalar("SELECT id FROM logs_p" + compact(yesterday)));
        CPPUNIT_ASSERT_EQUAL(std::string("L-old"), backend_->rawScalar("SELECT id FROM logs_default"));
        const int before = partitions();
        // A search over three partitions and the default finds each match once (equal ranks: any order).
        const auto found = [&] {
            const auto items = queryObject(store, "search", R"({"q":"needle","kinds":"log"})")->getArray("items");
            std::vector<std::string> out;
            for (std::size_t i = 0; i < items->size(); ++i) out.push_back(items->getObject(static_cast<unsigned>(i))->getValue<std::string>("id"));
            std::sort(out.begin(), out.end());
            std::string joined;
            for (const auto& id : out) joined += (joined.empty() ? "" : ",") + id;
            return joined;
        };
        CPPUNIT_ASSERT_EQUAL(std::string("L-n,L-old,L-t,L-y"), found());
        auto details = parseObject(store.healthJson());
        if (details->has("details")) details = details->getObject("details");
        CPPUNIT_ASSERT_EQUAL(before, details->getObject("partitions")->getValue<int>("logs"));

        std::uint64_t deleted = 0;
        std::string error;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, store.expire("log", today + "T06:00:00.000000Z", 1000, deleted, error));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), deleted); // yesterday's partition (1 row) and L-old from the default
        CPPUNIT_ASSERT(!exists(yesterday));
        CPPUNIT_ASSERT_EQUAL(before - 1, partitions());
        CPPUNIT_ASSERT_EQUAL(std::string("L-n,L-t"), ids(queryObject(store, "logs.list", "{}")->getArray("items"))); // today stays whole
        CPPUNIT_ASSERT_EQUAL(MC_OK, store.expire("log", today + "T06:00:00.000000Z", 1000, deleted, error));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), deleted);
        CPPUNIT_ASSERT_EQUAL(std::string("L-n,L-t"), found());
        details = parseObject(store.healthJson());
        if (details->has("details")) details = details->getObject("details");
        CPPUNIT_ASSERT_EQUAL(today + "T00:00:01.000000Z", details->getObject("oldest")->getValue<std::string>("log"));
    }

    // PostgreSQL refuses a partition for a day the default partition has rows of: such a day stays
    // in the default partition, and writing goes on.
    void testADayTheDefaultPartitionHoldsGetsNoPartition() {
        const std::string ahead = utcDay(3);
        assertWritten(write(open(), "log", "[" + logAt("L-0", utcDay(0) + "T09:00:00.000000Z") + "]"), 1, 0); // the days are made
        // That day's partition gone (as if made by nobody) while a row of it came: it is in the default.
        backend_->rawScalar("ALTER TABLE logs DETACH PARTITION logs_p" + compact(ahead) + "; DROP TABLE logs_p" + compact(ahead) +
                            "; INSERT INTO logs (id, timestamp, level, service, mcp_id) VALUES ('L-a', '" + ahead +
                            "T10:00:00', 'INFO', 's', 'm'); SELECT 1");
        auto& store = open(); // a new instance makes the days again at its first write
        assertWritten(write(store, "log", "[" + logAt("L-b", utcDay(0) + "T10:00:00.000000Z") + "]"), 1, 0);
        CPPUNIT_ASSERT_EQUAL(std::string("f"), backend_->rawScalar("SELECT to_regclass('logs_p" + compact(ahead) + "') IS NOT NULL"));
        CPPUNIT_ASSERT_EQUAL(std::string("L-a"), backend_->rawScalar("SELECT id FROM logs_default"));
        CPPUNIT_ASSERT_EQUAL(std::string("3"), backend_->rawScalar("SELECT count(*) FROM logs"));
    }

    // A database of schema 9 (tables not partitioned) with logs, spans and metric points of several
    // days: migration 010 moves every row into the partition of its day, keeps their ids and what a
    // search finds, and the ids stay unique.
    void testMigrationTenPutsEveryRowInItsDay() {
        namespace fs = boost::filesystem;
        mc::test::fake::TempDir dir;
        fs::create_directories(dir.path() / "postgres");
        for (const auto& file : fs::directory_iterator(fs::path(mc::test::fake::sourceMigrationsDir()) / "postgres"))
            if (file.path().filename().string() < "010") fs::copy_file(file.path(), dir.path() / "postgres" / file.path().filename());
        {
            auto& old = open(dir.path().string());
            CPPUNIT_ASSERT_EQUAL(std::string("f"), backend_->rawScalar("SELECT to_regclass('logs_default') IS NOT NULL"));
            assertWritten(write(old, "log", "[" + logAt("L-1", "2026-02-01T10:00:00.000000Z", "moved one") + "," +
                                             logAt("L-2", "2026-02-01T23:59:59.999999Z", "moved two") + "," +
                                             logAt("L-3", "2026-02-03T00:00:00.000000Z", "moved three") + "]"),
                          3, 0);
            assertWritten(write(old, "span", R"([{"id":"SP-1","trace_id":"t","span_id":"s","name":"n","kind":"internal",)"
                                             R"("start_time":"2026-02-02T05:00:00Z","status":"ok"}])"),
                          1, 0);
            assertWritten(write(old, "metric", R"([{"id":"MP-1","name":"n","metric_type":"gauge","temporality":"unspecified",)"
                                               R"("timestamp":"2026-02-04T00:00:00.000000Z","value":1}])"),
                          1, 0);
        }
        store_.reset();
        auto& store = open(); // the shipped migrations: 010 applies
        CPPUNIT_ASSERT_EQUAL(std::string("L-1,L-2"), backend_->rawScalar("SELECT string_agg(id, ',' ORDER BY id) FROM logs_p20260201"));
        CPPUNIT_ASSERT_EQUAL(std::string("L-3"), backend_->rawScalar("SELECT string_agg(id, ',') FROM logs_p20260203"));
        CPPUNIT_ASSERT_EQUAL(std::string("f"), backend_->rawScalar("SELECT to_regclass('logs_p20260202') IS NOT NULL"));
        CPPUNIT_ASSERT_EQUAL(std::string("SP-1"), backend_->rawScalar("SELECT id FROM spans_p20260202"));
        CPPUNIT_ASSERT_EQUAL(std::string("MP-1"), backend_->rawScalar("SELECT id FROM metric_points_p20260204"));
        CPPUNIT_ASSERT_EQUAL(std::string("0"), backend_->rawScalar("SELECT count(*) FROM logs_default"));
        CPPUNIT_ASSERT_EQUAL(std::string("L-3,L-2,L-1"), ids(queryObject(store, "logs.list", "{}")->getArray("items")));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), queryObject(store, "search", R"({"q":"moved","kinds":"log"})")->getArray("items")->size());
        assertWritten(write(store, "log", "[" + logAt("L-1", "2026-02-03T00:00:00.000000Z") + "]"), 1, 1); // still once
        // Retention drops the first day whole.
        std::uint64_t deleted = 0;
        std::string error;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, store.expire("log", "2026-02-02T12:00:00.000000Z", 1000, deleted, error));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), deleted);
        CPPUNIT_ASSERT_EQUAL(std::string("L-3"), ids(queryObject(store, "logs.list", "{}")->getArray("items")));
    }

protected:
    std::unique_ptr<Backend> makeBackend() override { return std::make_unique<PostgresBackend>(); }
};

// The same contract through write_records: records the host parsed once, no JSON in between.
class StoreConformanceSqliteTypedTest : public StoreConformanceSqliteTest {
    CPPUNIT_TEST_SUB_SUITE(StoreConformanceSqliteTypedTest, StoreConformanceSqliteTest);
    CPPUNIT_TEST_SUITE_END();

protected:
    bool typedWrites() const override { return true; }
};

class StoreConformancePostgresTypedTest : public StoreConformancePostgresTest {
    CPPUNIT_TEST_SUB_SUITE(StoreConformancePostgresTypedTest, StoreConformancePostgresTest);
    CPPUNIT_TEST_SUITE_END();

protected:
    bool typedWrites() const override { return true; }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StoreConformanceSqliteTest);
CPPUNIT_TEST_SUITE_REGISTRATION(StoreConformancePostgresTest);
CPPUNIT_TEST_SUITE_REGISTRATION(StoreConformanceSqliteTypedTest);
CPPUNIT_TEST_SUITE_REGISTRATION(StoreConformancePostgresTypedTest);
