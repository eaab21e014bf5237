// The query API over real HTTP on loopback against each real store plugin, migrated with the shipped
// migrations: QueryApiTest on store-sqlite, QueryApiPostgresTest on store-postgres (a private
// PostgreSQL server, tests/support/PostgresServer). The same tests: values, orders, every filter, keyset
// pagination while rows arrive, the streamed export formats, search ranking and highlight, the graph,
// and each error status; 503 when PostgreSQL goes down.
#include "InProcessHost.h"
#include "PostgresServer.h"
#include "TestHttp.h"
#include "app/HostRuntime.h"
#include "store/StoreService.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>
#include <cppunit/extensions/HelperMacros.h>

#include <map>
#include <set>
#include <sstream>

using mc::test::httpGet;
using mc::test::httpRequest;
using mc::test::HttpResult;
using mc::test::InProcessHost;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

struct QueryHost : InProcessHost {
    explicit QueryHost(const Overrides& overrides) : InProcessHost(overrides, Until::AllButGateway) {}

    // Writes through the store's own write path; every record must be accepted.
    void write(const std::string& kind, const std::string& recordsJson) {
        std::string result, error;
        const mc_status status = runtime->store()->write(kind, recordsJson, result, error);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(error, MC_OK, status);
        auto parsed = mc::test::parseObject(result);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result, std::size_t(0), parsed->getArray("rejected")->size());
    }
    HttpResult get(const std::string& pathAndQuery) { return httpGet(port(), pathAndQuery); }
    Object::Ptr ok(const std::string& pathAndQuery) {
        auto r = get(pathAndQuery);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(pathAndQuery + " -> " + r.body, 200, r.status);
        return r.json();
    }
    // The "id" (or `field`) of each item of a list response, joined with commas.
    std::string ids(const std::string& pathAndQuery, const std::string& field = "id") {
        return joinedField(ok(pathAndQuery)->getArray("items"), field);
    }
    static std::string joinedField(const Array::Ptr& items, const std::string& field) {
        std::string out;
        for (std::size_t i = 0; i < items->size(); ++i) {
            auto item = items->getObject(static_cast<unsigned>(i));
            out += (i ? "," : "") + (item->isNull(field) ? std::string("null") : item->get(field).convert<std::string>());
        }
        return out;
    }
};

std::string ts(int minute, int second = 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "2026-03-01T10:%02d:%02d.000000Z", minute, second);
    return buf;
}

std::string errorCode(const HttpResult& r) { return r.json()->getObject("error")->getValue<std::string>("code"); }
std::string errorMessage(const HttpResult& r) { return r.json()->getObject("error")->getValue<std::string>("message"); }

// Threads T-1 (root, mcp-a, complete) > T-2 (mcp-b, error) > T-4; T-3 (mcp-a, running), each a minute apart.
void seedThreads(QueryHost& host) {
    host.write("thread", "["
                         "{\"id\":\"T-1\",\"mcp_id\":\"mcp-a\",\"status\":\"complete\",\"user_input\":\"plan the "
                         "database migration\",\"started_at\":\"" + ts(1) + "\"},"
                         "{\"id\":\"T-2\",\"parent_id\":\"T-1\",\"mcp_id\":\"mcp-b\",\"status\":\"error\","
                         "\"user_input\":\"look up the weather\",\"started_at\":\"" + ts(2) + "\"},"
                         "{\"id\":\"T-3\",\"mcp_id\":\"mcp-a\",\"status\":\"running\",\"started_at\":\"" + ts(3) + "\"},"
                         "{\"id\":\"T-4\",\"parent_id\":\"T-2\",\"mcp_id\":\"mcp-a\",\"status\":\"running\","
                         "\"started_at\":\"" + ts(4) + "\"}]");
    host.write("step", "["
                       "{\"id\":\"S-2\",\"thread_id\":\"T-1\",\"sequence\":2,\"step_type\":\"tool_call\",\"tool\":\"echo\","
                       "\"mcp_id\":\"mcp-a\",\"timestamp\":\"" + ts(1, 20) + "\"},"
                       "{\"id\":\"S-1\",\"thread_id\":\"T-1\",\"sequence\":1,\"step_type\":\"tool_call\",\"tool\":\"echo\","
                       "\"timestamp\":\"" + ts(1, 10) + "\"},"
                       "{\"id\":\"S-3\",\"thread_id\":\"T-1\",\"sequence\":3,\"step_type\":\"tool_call\",\"tool\":\"add\","
                       "\"mcp_id\":\"mcp-b\",\"timestamp\":\"" + ts(1, 30) + "\"},"
                       "{\"id\":\"S-4\",\"thread_id\":\"T-2\",\"sequence\":1,\"step_type\":\"reasoning\","
                       "\"timestamp\":\"" + ts(2, 10) + "\"}]");
    host.write("transcript", "["
                             "{\"id\":\"M-2\",\"thread_id\":\"T-1\",\"sequence\":2,\"role\":\"assistant\",\"content\":"
                             "\"The migration needs a maintenance window\",\"timestamp\":\"" + ts(1, 40) + "\"},"
                             "{\"id\":\"M-1\",\"thread_id\":\"T-1\",\"sequence\":1,\"role\":\"user\",\"content\":\"How "
                             "do we migrate?\",\"timestamp\":\"" + ts(1, 5) + "\"}]");
}

// Logs L-01..L-12: one per 5 seconds from 10:10:00; levels cycle DEBUG, INFO, WARN, ERROR; mcp-a for
// odd numbers, mcp-b for even; thread T-1 for the first six; service "api" for multiples of 3.
void seedLogs(QueryHost& host) {
    static const char* levels[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    std::string records = "[";
    for (int i = 1; i <= 12; ++i) {
        char id[8];
        std::snprintf(id, sizeof id, "L-%02d", i);
        records += std::string(i > 1 ? "," : "") + "{\"id\":\"" + id + "\",\"timestamp\":\"" + ts(10 + (i * 5) / 60, (i * 5) % 60) +
                   "\",\"level\":\"" + levels[(i - 1) % 4] + "\",\"service\":\"" + (i % 3 == 0 ? "api" : "worker") +
                   "\",\"mcp_id\":\"" + (i % 2 ? "mcp-a" : "mcp-b") + "\"" +
                   (i <= 6 ? ",\"thread_id\":\"T-1\"" : "") + ",\"message\":\"message number " + std::to_string(i) +
                   (i == 7 ? " with 100% CPU" : "") + (i == 8 ? " WITH 100X CPU" : "") + "\"}";
    }
    host.write("log", records + "]");
}

} // namespace

class QueryApiTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(QueryApiTest);
    CPPUNIT_TEST(threadsListFiltersAndOrders);
    CPPUNIT_TEST(threadDetailTimelineTranscriptChildren);
    CPPUNIT_TEST(logsFilterByEveryParameter);
    CPPUNIT_TEST(paginationLosesAndRepeatsNothingWhileRowsArrive);
    CPPUNIT_TEST(exportStreamsEveryFormat);
    CPPUNIT_TEST(historyPermissionsAndAudit);
    CPPUNIT_TEST(searchRanksAndHighlights);
    CPPUNIT_TEST(graphOfOneTreeAndOfATimeRange);
    CPPUNIT_TEST(errorsUseOneShapeAndStatus);
    CPPUNIT_TEST_SUITE_END();

public:
    // The store under test: these keys on top of InProcessHost's (store-sqlite in a temp directory).
    virtual InProcessHost::Overrides storeKeys() { return {}; }
    InProcessHost::Overrides with(InProcessHost::Overrides extra) {
        for (const auto& [k, v] : storeKeys()) extra.emplace(k, v);
        return extra;
    }

    void threadsListFiltersAndOrders() {
        QueryHost host(with({}));
        seedThreads(host);
        CPPUNIT_ASSERT_EQUAL(std::string("T-4,T-3,T-2,T-1"), host.ids("/api/threads"));
        CPPUNIT_ASSERT_EQUAL(std::string("T-1,T-2,T-3,T-4"), host.ids("/api/threads?order=asc"));
        CPPUNIT_ASSERT_EQUAL(std::string("T-4,T-3"), host.ids("/api/threads?status=running"));
        CPPUNIT_ASSERT_EQUAL(std::string("T-4,T-3,T-1"), host.ids("/api/threads?mcp_id=mcp-a"));
        CPPUNIT_ASSERT_EQUAL(std::string("T-2"), host.ids("/api/threads?parent_id=T-1"));
        CPPUNIT_ASSERT_EQUAL(std::string("T-3,T-2"),
                             host.ids("/api/threads?from=2026-03-01T10:02:00Z&to=2026-03-01T10:04:00Z"));
        // Offsets are normalized: 11:02+01:00 is 10:02Z.
        CPPUNIT_ASSERT_EQUAL(std::string("T-4,T-3,T-2"), host.ids("/api/threads?from=2026-03-01T11:02:00%2B01:00"));
        auto first = host.ok("/api/threads?limit=1")->getArray("items")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("mcp-a"), first->getValue<std::string>("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("T-2"), first->getValue<std::string>("parent_id"));
        CPPUNIT_ASSERT_EQUAL(ts(4), first->getValue<std::string>("started_at"));
    }

    void threadDetailTimelineTranscriptChildren() {
        QueryHost host(with({}));
        seedThreads(host);
        auto thread = host.ok("/api/threads/T-1")->getArray("items")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("plan the database migration"), thread->getValue<std::string>("user_input"));
        CPPUNIT_ASSERT_EQUAL(std::string("S-1,S-2,S-3"), QueryHost::joinedField(thread->getArray("timeline"), "id"));
        CPPUNIT_ASSERT_EQUAL(std::string("M-1,M-2"), QueryHost::joinedField(thread->getArray("transcript"), "id"));

        CPPUNIT_ASSERT_EQUAL(std::string("S-1,S-2,S-3"), host.ids("/api/threads/T-1/timeline"));
        CPPUNIT_ASSERT_EQUAL(std::string("S-3,S-2,S-1"), host.ids("/api/threads/T-1/timeline?order=desc"));
        CPPUNIT_ASSERT_EQUAL(std::string("echo,echo,add"), host.ids("/api/threads/T-1/timeline", "tool"));
        auto page = host.ok("/api/threads/T-1/timeline?limit=2");
        CPPUNIT_ASSERT_EQUAL(std::string("S-1,S-2"), QueryHost::joinedField(page->getArray("items"), "id"));
        const std::string cursor = page->getValue<std::string>("next_cursor");
        auto rest = host.ok("/api/threads/T-1/timeline?limit=2&cursor=" + cursor);
        CPPUNIT_ASSERT_EQUAL(std::string("S-3"), QueryHost::joinedField(rest->getArray("items"), "id"));
        CPPUNIT_ASSERT(rest->isNull("next_cursor"));

        CPPUNIT_ASSERT_EQUAL(std::string("M-1,M-2"), host.ids("/api/threads/T-1/transcript"));
        CPPUNIT_ASSERT_EQUAL(std::string("user,assistant"), host.ids("/api/threads/T-1/transcript", "role"));
        CPPUNIT_ASSERT_EQUAL(std::string("T-2"), host.ids("/api/threads/T-1/children"));
        CPPUNIT_ASSERT_EQUAL(std::string("T-4"), host.ids("/api/threads/T-2/children"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), host.ids("/api/threads/T-3/children"));

        for (const char* path : {"/api/threads/T-404", "/api/threads/T-404/timeline", "/api/threads/T-404/transcript",
                                 "/api/threads/T-404/children"}) {
            auto r = host.get(path);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 404, r.status);
            CPPUNIT_ASSERT_EQUAL(std::string("not_found"), errorCode(r));
            CPPUNIT_ASSERT_EQUAL(std::string("thread 'T-404' not found"), errorMessage(r));
        }
    }

    void logsFilterByEveryParameter() {
        QueryHost host(with({}));
        seedThreads(host);
        seedLogs(host);
        CPPUNIT_ASSERT_EQUAL(std::string("L-12,L-11,L-10"), host.ids("/api/logs?limit=3"));
        CPPUNIT_ASSERT_EQUAL(std::string("L-01,L-02,L-03"), host.ids("/api/logs?limit=3&order=asc"));
        CPPUNIT_ASSERT_EQUAL(std::string("L-06,L-05,L-04,L-03,L-02,L-01"), host.ids("/api/logs?thread_id=T-1"));
        CPPUNIT_ASSERT_EQUAL(std::string("L-11,L-09,L-07,L-05,L-03,L-01"), host.ids("/api/logs?mcp_id=mcp-a"));
        CPPUNIT_ASSERT_EQUAL(std::string("L-12,L-11,L-08,L-07,L-04,L-03"), host.ids("/api/logs?min_level=WARN"));
        CPPUNIT_ASSERT_EQUAL(std::string("L-12,L-08,L-04"), host.ids("/api/logs?min_level=ERROR"));
        CPPUNIT_ASSERT_EQUAL(std::string("L-12,L-11,L-08,L-07,L-04,L-03"), host.ids("/api/logs?min_level=warn")); // any case
        CPPUNIT_ASSERT_EQUAL(std::string("L-12,L-09,L-06,L-03"), host.ids("/api/logs?service=api"));
        // Case-insensitive; % is literal, not a wildcard.
        CPPUNIT_ASSERT_EQUAL(std::string("L-07"), host.ids("/api/logs?contains=100%25%20cpu"));
        CPPUNIT_ASSERT_EQUAL(std::string("L-08,L-07"), host.ids("/api/logs?contains=CPU"));
        CPPUNIT_ASSERT_EQUAL(std::string("L-03,L-02"),
                             host.ids("/api/logs?from=2026-03-01T10:10:10Z&to=2026-03-01T10:10:20Z"));
        CPPUNIT_ASSERT_EQUAL(std::string("L-11,L-07"), host.ids("/api/logs?mcp_id=mcp-a&min_level=WARN&from=2026-03-01T10:10:30Z"));
        CPPUNIT_ASSERT_EQUAL(std::string("L-03"), host.ids("/api/logs?mcp_id=mcp-a&min_level=WARN&thread_id=T-1"));
        auto log = host.ok("/api/logs?limit=1")->getArray("items")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("ERROR"), log->getValue<std::string>("level"));
        CPPUNIT_ASSERT_EQUAL(std::string("message number 12"), log->getValue<std::string>("message"));
        CPPUNIT_ASSERT(log->isNull("thread_id"));
    }

    void paginationLosesAndRepeatsNothingWhileRowsArrive() {
        QueryHost host(with({}));
        seedThreads(host);
        // 250 logs; several share a timestamp so the id breaks ties.
        std::set<std::string> original;
        std::string records = "[";
        for (int i = 0; i < 250; ++i) {
            const std::string id = "L-orig-" + std::to_string(1000 + i);
            original.insert(id);
            records += std::string(i ? "," : "") + "{\"id\":\"" + id + "\",\"timestamp\":\"" + ts(20 + i / 10, (i % 10) / 2) +
                       "\",\"level\":\"INFO\",\"service\":\"svc\",\"mcp_id\":\"mcp-a\",\"message\":\"m\"}";
        }
        host.write("log", records + "]");
        for (const char* order : {"desc", "asc"}) {
            std::map<std::string, int> seen;
            std::string cursor;
            int pages = 0, inserted = 0;
            std::string previousKey;
            do {
                auto page = host.ok(std::string("/api/logs?limit=40&order=") + order +
                                    (cursor.empty() ? "" : "&cursor=" + cursor));
                auto items = page->getArray("items");
                for (std::size_t i = 0; i < items->size(); ++i) {
                    auto item = items->getObject(static_cast<unsigned>(i));
                    const std::string key = item->getValue<std::string>("timestamp") + "|" + item->getValue<std::string>("id");
                    if (!previousKey.empty())
                        CPPUNIT_ASSERT_MESSAGE(key, std::string(order) == "desc" ? key < previousKey : key > previousKey);
                    previousKey = key;
                    ++seen[item->getValue<std::string>("id")];
                }
                cursor = page->isNull("next_cursor") ? "" : page->getValue<std::string>("next_cursor");
                // Between pages, rows arrive before, inside and after the range already read.
                std::string more = "[";
                for (int k = 0; k < 3; ++k) {
                    const int minute = k == 0 ? 5 : k == 1 ? 30 : 55;
                    more += std::string(k ? "," : "") + "{\"id\":\"L-new-" + order + std::to_string(inserted++) +
                            "\",\"timestamp\":\"" + ts(minute, pages % 60) +
                            "\",\"level\":\"INFO\",\"service\":\"svc\",\"mcp_id\":\"mcp-a\",\"message\":\"m\"}";
                }
                host.write("log", more + "]");
                ++pages;
            } while (!cursor.empty());
            for (const auto& id : original) CPPUNIT_ASSERT_EQUAL_MESSAGE(id + " " + order, 1, seen[id]);
            for (const auto& [id, count] : seen) CPPUNIT_ASSERT_EQUAL_MESSAGE(id + " repeated", 1, count);
            CPPUNIT_ASSERT(pages >= 7);
        }
    }

    void exportStreamsEveryFormat() {
        QueryHost host(with({}));
        seedThreads(host);
        // More than one internal page (1000 rows), with a message CSV must quote.
        std::string records = "[";
        for (int i = 0; i < 2500; ++i)
            records += std::string(i ? "," : "") + "{\"id\":\"L-" + std::to_string(100000 + i) + "\",\"timestamp\":\"" +
                       ts(i / 60 % 60, i % 60) + "\",\"level\":\"" + (i % 2 ? "WARN" : "INFO") +
                       "\",\"service\":\"svc\",\"mcp_id\":\"mcp-a\",\"message\":\"row " + std::to_string(i) +
                       (i == 7 ? ", with \\\"quotes\\\"\\nand a newline" : "") + "\",\"context\":{\"n\":" + std::to_string(i) + "}}";
        host.write("log", records + "]");

        auto nd = host.get("/api/logs/export?order=asc");
        CPPUNIT_ASSERT_EQUAL(200, nd.status);
        CPPUNIT_ASSERT_EQUAL(std::string("chunked"), nd.headers["Transfer-Encoding"]);
        CPPUNIT_ASSERT_EQUAL(std::string("application/x-ndjson"), nd.headers["Content-Type"]);
        std::istringstream lines(nd.body);
        std::string line;
        int n = 0;
        while (std::getline(lines, line)) {
            auto row = mc::test::parseObject(line);
            CPPUNIT_ASSERT_EQUAL("L-" + std::to_string(100000 + n), row->getValue<std::string>("id"));
            CPPUNIT_ASSERT_EQUAL(n, row->getObject("context")->getValue<int>("n"));
            ++n;
        }
        CPPUNIT_ASSERT_EQUAL(2500, n);

        auto warn = host.get("/api/logs/export?format=ndjson&min_level=WARN");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1250), static_cast<std::size_t>(std::count(warn.body.begin(), warn.body.end(), '\n')));
        CPPUNIT_ASSERT_EQUAL(std::string("L-102499"), mc::test::parseObject(warn.body.substr(0, warn.body.find('\n')))->getValue<std::string>("id"));

        auto json = host.get("/api/logs/export?format=json&order=asc");
        CPPUNIT_ASSERT_EQUAL(200, json.status);
        auto array = Poco::JSON::Parser().parse(json.body).extract<Array::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2500), array->size());
        CPPUNIT_ASSERT_EQUAL(std::string("row 7, with \"quotes\"\nand a newline"),
                             array->getObject(7)->getValue<std::string>("message"));
        auto empty = host.get("/api/logs/export?format=json&mcp_id=nobody");
        CPPUNIT_ASSERT_EQUAL(std::string("[]"), empty.body);

        auto csv = host.get("/api/logs/export?format=csv&order=asc&to=" + Poco::URI(ts(0, 8)).toString());
        CPPUNIT_ASSERT_EQUAL(std::string("text/csv; charset=utf-8"), csv.headers["Content-Type"]);
        const std::string expectedHead = "id,timestamp,level,service,thread_id,mcp_id,message,context,exception,created_at\r\n";
        CPPUNIT_ASSERT_EQUAL(expectedHead, csv.body.substr(0, expectedHead.size()));
        CPPUNIT_ASSERT_MESSAGE(csv.body, csv.body.find("L-100001," + ts(0, 1) + ",WARN,svc,,mcp-a,row 1,\"{\"\"n\"\":1}\",,") !=
                                             std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(csv.body, csv.body.find(",\"row 7, with \"\"quotes\"\"\nand a newline\",") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::size_t(9), static_cast<std::size_t>(std::count(csv.body.begin(), csv.body.end(), '\r')));

        auto bad = host.get("/api/logs/export?format=xml");
        CPPUNIT_ASSERT_EQUAL(400, bad.status);
        CPPUNIT_ASSERT_EQUAL(std::string("query parameter 'format' must be one of ndjson, csv, json (got 'xml')"),
                             errorMessage(bad));
        auto limit = host.get("/api/logs/export?limit=5");
        CPPUNIT_ASSERT_EQUAL(400, limit.status);
        CPPUNIT_ASSERT_EQUAL(std::string("unknown_parameter"), errorCode(limit));
    }

    void historyPermissionsAndAudit() {
        QueryHost host(with({}));
        seedThreads(host);
        host.write("mcp_status", "["
                                 "{\"id\":\"MS-1\",\"mcp_id\":\"mcp-a\",\"status\":\"connecting\",\"timestamp\":\"" + ts(1) + "\"},"
                                 "{\"id\":\"MS-2\",\"mcp_id\":\"mcp-a\",\"status\":\"connected\",\"previous_status\":"
                                 "\"connecting\",\"timestamp\":\"" + ts(2) + "\"},"
                                 "{\"id\":\"MS-3\",\"mcp_id\":\"mcp-b\",\"status\":\"connected\",\"timestamp\":\"" + ts(3) + "\"},"
                                 "{\"id\":\"MS-4\",\"mcp_id\":\"mcp-a\",\"status\":\"disconnected\",\"timestamp\":\"" + ts(4) + "\"}]");
        CPPUNIT_ASSERT_EQUAL(std::string("MS-4,MS-2,MS-1"), host.ids("/api/mcps/mcp-a/history"));
        CPPUNIT_ASSERT_EQUAL(std::string("connecting,connected,disconnected"),
                             host.ids("/api/mcps/mcp-a/history?order=asc", "status"));
        CPPUNIT_ASSERT_EQUAL(std::string("MS-2"), host.ids("/api/mcps/mcp-a/history?from=" + ts(2) + "&to=" + ts(3)));
        CPPUNIT_ASSERT_EQUAL(std::string(""), host.ids("/api/mcps/nobody/history"));

        host.write("permission", "["
                                 "{\"id\":\"P-1\",\"user_id\":\"ann\",\"resource\":\"file:/etc\",\"action\":\"read\","
                                 "\"granted\":true,\"thread_id\":\"T-1\",\"timestamp\":\"" + ts(1) + "\"},"
                                 "{\"id\":\"P-2\",\"user_id\":\"bob\",\"resource\":\"file:/etc\",\"action\":\"write\","
                                 "\"granted\":false,\"reason\":\"read-only\",\"mcp_id\":\"mcp-b\",\"timestamp\":\"" + ts(2) + "\"},"
                                 "{\"id\":\"P-3\",\"user_id\":\"ann\",\"resource\":\"net\",\"action\":\"write\","
                                 "\"granted\":false,\"thread_id\":\"T-1\",\"timestamp\":\"" + ts(3) + "\"}]");
        CPPUNIT_ASSERT_EQUAL(std::string("P-3,P-2,P-1"), host.ids("/api/permissions"));
        CPPUNIT_ASSERT_EQUAL(std::string("P-3,P-1"), host.ids("/api/permissions?user_id=ann"));
        CPPUNIT_ASSERT_EQUAL(std::string("P-2,P-1"), host.ids("/api/permissions?resource=file:/etc"));
        CPPUNIT_ASSERT_EQUAL(std::string("P-3,P-2"), host.ids("/api/permissions?action=write"));
        CPPUNIT_ASSERT_EQUAL(std::string("P-3,P-2"), host.ids("/api/permissions?granted=false"));
        CPPUNIT_ASSERT_EQUAL(std::string("P-1"), host.ids("/api/permissions?granted=true"));
        CPPUNIT_ASSERT_EQUAL(std::string("P-3,P-1"), host.ids("/api/permissions?thread_id=T-1"));
        CPPUNIT_ASSERT_EQUAL(std::string("P-2"), host.ids("/api/permissions?mcp_id=mcp-b"));
        CPPUNIT_ASSERT_EQUAL(std::string("P-1,P-2"), host.ids("/api/permissions?to=" + ts(3) + "&order=asc"));
        CPPUNIT_ASSERT_EQUAL(std::string("false"), host.ids("/api/permissions?user_id=bob", "granted"));
        CPPUNIT_ASSERT_EQUAL(std::string("read-only"), host.ids("/api/permissions?user_id=bob", "reason"));

        host.write("audit", "["
                            "{\"id\":\"A-1\",\"actor\":\"admin\",\"action\":\"mcp.registered\",\"target\":\"mcp-a\","
                            "\"outcome\":\"ok\",\"timestamp\":\"" + ts(1) + "\"},"
                            "{\"id\":\"A-2\",\"actor\":\"host\",\"action\":\"plugin.refused\",\"target\":\"bad.so\","
                            "\"details\":{\"reason\":\"abi\"},\"timestamp\":\"" + ts(2) + "\"},"
                            "{\"id\":\"A-3\",\"actor\":\"admin\",\"action\":\"mcp.removed\",\"target\":\"mcp-a\","
                            "\"timestamp\":\"" + ts(3) + "\"}]");
        CPPUNIT_ASSERT_EQUAL(std::string("A-3,A-2,A-1"), host.ids("/api/audit"));
        CPPUNIT_ASSERT_EQUAL(std::string("A-3,A-1"), host.ids("/api/audit?actor=admin"));
        CPPUNIT_ASSERT_EQUAL(std::string("A-2"), host.ids("/api/audit?action=plugin.refused"));
        CPPUNIT_ASSERT_EQUAL(std::string("A-1,A-3"), host.ids("/api/audit?target=mcp-a&order=asc"));
        CPPUNIT_ASSERT_EQUAL(std::string("A-2,A-1"), host.ids("/api/audit?to=" + ts(3)));
        auto details = host.ok("/api/audit?action=plugin.refused")->getArray("items")->getObject(0)->getObject("details");
        CPPUNIT_ASSERT_EQUAL(std::string("abi"), details->getValue<std::string>("reason"));
    }

    void searchRanksAndHighlights() {
        QueryHost host(with({}));
        seedThreads(host);
        host.write("log", "["
                          "{\"id\":\"L-1\",\"level\":\"ERROR\",\"service\":\"db\",\"mcp_id\":\"mcp-a\",\"thread_id\":\"T-1\","
                          "\"message\":\"timeout timeout: the database timed out after a timeout\",\"timestamp\":\"" + ts(5) + "\"},"
                          "{\"id\":\"L-2\",\"level\":\"INFO\",\"service\":\"db\",\"mcp_id\":\"mcp-b\",\"message\":\"a long "
                          "message about many things, only one of which is a timeout, and the rest is padding padding "
                          "padding padding padding padding\",\"timestamp\":\"" + ts(6) + "\"},"
                          "{\"id\":\"L-3\",\"level\":\"INFO\",\"service\":\"db\",\"mcp_id\":\"mcp-b\",\"message\":\"all "
                          "good\",\"timestamp\":\"" + ts(7) + "\"}]");
        auto result = host.ok("/api/search?q=Timeout");
        auto items = result->getArray("items");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), items->size());
        CPPUNIT_ASSERT_EQUAL(std::string("L-1"), items->getObject(0)->getValue<std::string>("id"));
        CPPUNIT_ASSERT_EQUAL(std::string("L-2"), items->getObject(1)->getValue<std::string>("id"));
        CPPUNIT_ASSERT(items->getObject(0)->getValue<double>("score") > items->getObject(1)->getValue<double>("score"));
        CPPUNIT_ASSERT_EQUAL(std::string("log"), items->getObject(0)->getValue<std::string>("kind"));
        CPPUNIT_ASSERT_EQUAL(std::string("T-1"), items->getObject(0)->getValue<std::string>("thread_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("mcp-a"), items->getObject(0)->getValue<std::string>("mcp_id"));
        const std::string snippet = items->getObject(1)->getValue<std::string>("snippet");
        // A fragment of the message around the match, the match marked (each store picks its own window).
        CPPUNIT_ASSERT_MESSAGE(snippet, snippet.find("<mark>timeout</mark>") != std::string::npos);
        std::string plain = snippet;
        for (const std::string mark : {"<mark>", "</mark>", "…"})
            for (std::size_t at; (at = plain.find(mark)) != std::string::npos;) plain.erase(at, mark.size());
        CPPUNIT_ASSERT_MESSAGE(plain, plain.size() > 20 && std::string("a long message about many things, only one of which is a "
                                                                       "timeout, and the rest is padding padding padding padding "
                                                                       "padding padding").find(plain) != std::string::npos);

        // Across kinds: a thread input and a transcript message (no stemming: "migrate" is another word).
        const std::string both = host.ids("/api/search?q=migration");
        CPPUNIT_ASSERT_MESSAGE(both, both == "T-1,M-2" || both == "M-2,T-1");
        CPPUNIT_ASSERT_EQUAL(std::string("T-1"), host.ids("/api/search?q=migration&kinds=thread"));
        CPPUNIT_ASSERT_EQUAL(std::string("M-2"), host.ids("/api/search?q=migration&kinds=transcript"));
        CPPUNIT_ASSERT_EQUAL(std::string("T-1"), host.ids("/api/search?q=migration&kinds=transcript", "thread_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("plan the database <mark>migration</mark>"),
                             host.ids("/api/search?q=migration&kinds=thread", "snippet"));
        // Every word must match, in any order; punctuation is not query syntax.
        CPPUNIT_ASSERT_EQUAL(std::string("L-1"), host.ids("/api/search?q=database%20%22timeout%22&kinds=log"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), host.ids("/api/search?q=database%20weather"));
        CPPUNIT_ASSERT_EQUAL(std::string("L-1"), host.ids("/api/search?q=timeout&limit=1"));
        // Rows written after the migration are indexed by the triggers.
        host.write("log", "[{\"id\":\"L-9\",\"level\":\"INFO\",\"service\":\"db\",\"mcp_id\":\"mcp-b\",\"message\":"
                          "\"zebra\"}]");
        CPPUNIT_ASSERT_EQUAL(std::string("L-9"), host.ids("/api/search?q=zebra"));
    }

    void graphOfOneTreeAndOfATimeRange() {
        QueryHost host(with({}));
        seedThreads(host);
        auto graph = host.ok("/api/graph?thread_id=T-1");
        CPPUNIT_ASSERT_EQUAL(std::string("thread:T-1,thread:T-2,thread:T-4,mcp:mcp-a,mcp:mcp-b,tool:mcp-a/echo,tool:mcp-b/add"),
                             QueryHost::joinedField(graph->getArray("nodes"), "id"));
        std::set<std::string> edges;
        auto edgeArray = graph->getArray("edges");
        for (std::size_t i = 0; i < edgeArray->size(); ++i) {
            auto e = edgeArray->getObject(static_cast<unsigned>(i));
            edges.insert(e->getValue<std::string>("type") + " " + e->getValue<std::string>("from") + " " +
                         e->getValue<std::string>("to") + (e->has("count") ? " x" + e->get("count").convert<std::string>() : ""));
        }
        const std::set<std::string> expected{
            "parent-of thread:T-1 thread:T-2", "parent-of thread:T-2 thread:T-4", "ran-on thread:T-1 mcp:mcp-a",
            "ran-on thread:T-2 mcp:mcp-b",     "ran-on thread:T-4 mcp:mcp-a",
            // S-1 has no mcp_id of its own: it ran on its thread's server.
            "called thread:T-1 tool:mcp-a/echo x2", "called thread:T-1 tool:mcp-b/add x1"};
        CPPUNIT_ASSERT_EQUAL(expected.size(), edges.size());
        for (const auto& e : expected) CPPUNIT_ASSERT_MESSAGE(e, edges.count(e));
        CPPUNIT_ASSERT_EQUAL(false, graph->getValue<bool>("truncated"));

        auto range = host.ok("/api/graph?from=" + ts(3) + "&to=" + ts(5));
        CPPUNIT_ASSERT_EQUAL(std::string("thread:T-4,thread:T-3,mcp:mcp-a"), QueryHost::joinedField(range->getArray("nodes"), "id"));
        auto limited = host.ok("/api/graph?limit=2");
        CPPUNIT_ASSERT_EQUAL(true, limited->getValue<bool>("truncated"));
        CPPUNIT_ASSERT_EQUAL(std::string("thread:T-4,thread:T-3,mcp:mcp-a"),
                             QueryHost::joinedField(limited->getArray("nodes"), "id"));
        auto unknown = host.get("/api/graph?thread_id=T-404");
        CPPUNIT_ASSERT_EQUAL(404, unknown.status);
        auto both = host.get("/api/graph?thread_id=T-1&from=" + ts(1));
        CPPUNIT_ASSERT_EQUAL(422, both.status);
        CPPUNIT_ASSERT_EQUAL(std::string("unprocessable"), errorCode(both));
    }

    void errorsUseOneShapeAndStatus() {
        QueryHost host(with({}));
        seedThreads(host);
        auto unknown = host.get("/api/logs?levle=WARN");
        CPPUNIT_ASSERT_EQUAL(400, unknown.status);
        CPPUNIT_ASSERT_EQUAL(std::string("unknown_parameter"), errorCode(unknown));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown query parameter 'levle' (known: thread_id, mcp_id, min_level, service, "
                                         "contains, from, to, order, limit, cursor)"),
                             errorMessage(unknown));
        auto details = unknown.json()->getObject("error")->getObject("details");
        CPPUNIT_ASSERT_EQUAL(std::string("levle"), details->getValue<std::string>("parameter"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(10), details->getArray("known")->size());
        // Existing routes reject unknown parameters too.
        CPPUNIT_ASSERT_EQUAL(400, host.get("/api/plugins?verbose=1").status);
        // ?token= authenticates and is never unknown.
        CPPUNIT_ASSERT_EQUAL(200, host.get("/api/plugins?token=x").status);

        const std::map<std::string, std::string> bad = {
            {"/api/logs?limit=0", "query parameter 'limit' must be an integer from 1 to 1000 (got '0')"},
            {"/api/logs?limit=1001", "query parameter 'limit' must be an integer from 1 to 1000 (got '1001')"},
            {"/api/logs?limit=ten", "query parameter 'limit' must be an integer from 1 to 1000 (got 'ten')"},
            {"/api/logs?min_level=LOUD", "query parameter 'min_level' must be one of DEBUG, INFO, WARN, ERROR (got 'LOUD')"},
            {"/api/logs?from=yesterday",
             "query parameter 'from' must be an RFC 3339 timestamp such as 2026-01-02T03:04:05Z (got 'yesterday')"},
            {"/api/logs?order=up", "query parameter 'order' must be one of asc, desc (got 'up')"},
            {"/api/permissions?granted=yes", "query parameter 'granted' must be true or false (got 'yes')"},
            {"/api/threads?status=sleeping",
             "query parameter 'status' must be one of running, paused, complete, error, cancelled (got 'sleeping')"},
            {"/api/search", "query parameter 'q' is required"},
            {"/api/search?q=x&kinds=log,mail", "query parameter 'kinds' takes a comma-separated list of log, transcript, thread (got 'mail')"},
            {"/api/logs?cursor=garbage", "logs.list: parameter 'cursor' is not a cursor this query issued (pass next_cursor unchanged)"},
            {"/api/logs?contains=", "query parameter 'contains' must not be empty"},
        };
        for (const auto& [path, message] : bad) {
            auto r = host.get(path);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 400, r.status);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, message, errorMessage(r));
        }
        // A cursor of another query, or of the other order, is refused with the reason.
        host.write("log", "[{\"id\":\"L-1\",\"level\":\"INFO\",\"service\":\"s\",\"mcp_id\":\"m\"},"
                          "{\"id\":\"L-2\",\"level\":\"INFO\",\"service\":\"s\",\"mcp_id\":\"m\"}]");
        const std::string threadCursor = host.ok("/api/threads?limit=1")->getValue<std::string>("next_cursor");
        CPPUNIT_ASSERT_EQUAL(400, host.get("/api/logs?cursor=" + threadCursor).status);
        const std::string logCursor = host.ok("/api/logs?limit=1")->getValue<std::string>("next_cursor");
        auto flipped = host.get("/api/logs?order=asc&cursor=" + logCursor);
        CPPUNIT_ASSERT_EQUAL(400, flipped.status);
        CPPUNIT_ASSERT_EQUAL(std::string("logs.list: parameter 'cursor' was issued for order=desc; keep the order while paging"),
                             errorMessage(flipped));

        auto backwards = host.get("/api/logs?from=" + ts(5) + "&to=" + ts(1));
        CPPUNIT_ASSERT_EQUAL(422, backwards.status);
        CPPUNIT_ASSERT_EQUAL("query parameter 'from' (" + ts(5) + ") is after 'to' (" + ts(1) + ")", errorMessage(backwards));
        auto noWords = host.get("/api/search?q=%21%21%21");
        CPPUNIT_ASSERT_EQUAL(422, noWords.status);
        CPPUNIT_ASSERT_EQUAL(std::string("query parameter 'q' has no word to search for (letters or digits)"), errorMessage(noWords));

        auto method = httpRequest("POST", host.port(), "/api/logs", "{}");
        CPPUNIT_ASSERT_EQUAL(405, method.status);
        CPPUNIT_ASSERT_EQUAL(std::string("GET"), method.headers["Allow"]);
        CPPUNIT_ASSERT_EQUAL(std::string("method_not_allowed"), errorCode(method));
        QueryHost small(with({{"http.max_body_bytes", "1024"}}));
        auto tooLarge = httpRequest("GET", small.port(), "/api/logs", std::string(4096, 'x'));
        CPPUNIT_ASSERT_EQUAL(413, tooLarge.status);
        CPPUNIT_ASSERT_EQUAL(std::string("payload_too_large"), errorCode(tooLarge));
        CPPUNIT_ASSERT_EQUAL(404, host.get("/api/nothing").status);

        // With auth on: no token 401, a viewer token (header or ?token=) reads, the docs page stays open.
        QueryHost secured(with({{"auth.jwt.secret", "query-api-test-secret-0123456789"}}));
        auto anonymous = secured.get("/api/logs");
        CPPUNIT_ASSERT_EQUAL(401, anonymous.status);
        CPPUNIT_ASSERT_EQUAL(std::string("unauthorized"), errorCode(anonymous));
        const std::string token = secured.runtime->auth().issue("ann", mc::host::Role::Viewer);
        CPPUNIT_ASSERT_EQUAL(200, secured.get("/api/logs?token=" + token).status);
        CPPUNIT_ASSERT_EQUAL(200, httpGet(secured.port(), "/api/threads", {{"Authorization", "Bearer " + token}}).status);
        CPPUNIT_ASSERT_EQUAL(200, secured.get("/docs").status);
        CPPUNIT_ASSERT_EQUAL(401, secured.get("/api/openapi.json").status);
        // Captured protocol messages hold tool arguments and results: operators and admins only.
        const auto viewerReads = secured.get("/api/protocol-messages?token=" + token);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(viewerReads.body, 403, viewerReads.status);
        const std::string operatorToken = secured.runtime->auth().issue("olga", mc::host::Role::Operator);
        CPPUNIT_ASSERT_EQUAL(200, secured.get("/api/protocol-messages?token=" + operatorToken).status);
        for (const auto& r : {unknown, backwards, method, tooLarge})
            CPPUNIT_ASSERT_EQUAL(std::string("application/json"), r.headers.at("Content-Type"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(QueryApiTest);

class QueryApiPostgresTest : public QueryApiTest {
    CPPUNIT_TEST_SUB_SUITE(QueryApiPostgresTest, QueryApiTest);
    CPPUNIT_TEST(serverDownIs503AndBackUpAnswers);
    CPPUNIT_TEST_SUITE_END();

public:
    InProcessHost::Overrides storeKeys() override {
        auto& server = mc::test::PostgresServer::shared();
        return {{"store.backend", "postgres"}, {"store.postgres.url", server.conninfo(server.createDatabase("query"))}};
    }

    void serverDownIs503AndBackUpAnswers() {
        mc::test::PostgresServer server; // its own: stopping it must not disturb the shared one
        QueryHost host({{"store.backend", "postgres"}, {"store.postgres.url", server.conninfo(server.createDatabase("down"))}});
        seedThreads(host);
        server.stop();
        for (const char* path : {"/api/threads", "/api/logs/export", "/api/search?q=plan", "/api/threads/T-1", "/api/graph"}) {
            auto r = host.get(path);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path + std::string(" ") + r.body, 503, r.status);
            CPPUNIT_ASSERT_EQUAL(std::string("store_unavailable"), errorCode(r));
            CPPUNIT_ASSERT_MESSAGE(errorMessage(r), errorMessage(r).rfind("the store cannot answer now: ", 0) == 0);
        }
        server.start();
        CPPUNIT_ASSERT_EQUAL(std::string("T-4,T-3,T-2,T-1"), host.ids("/api/threads"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(QueryApiPostgresTest);
