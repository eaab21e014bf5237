// Routed tool calls under the permission policy and as thread steps, against a real server-everything
// over stdio: every decision is a `permission` event, a denied call never reaches the MCP (its side
// effect, simulated logging, does not start), and each call with a thread_id becomes a step of that
// thread's timeline in the store.
#include "GatewayTestSupport.h"
#include "InProcessHost.h"
#include "TestHttp.h"
#include "TestWebSocket.h"
#include "app/HostRuntime.h"
#include "store/StoreService.h"

#include <cppunit/extensions/HelperMacros.h>
#include <sqlite3.h>

using namespace mc::host;
using mc::test::eventually;
using mc::test::httpRequest;
using mc::test::InProcessHost;
using mc::test::parseObject;
using mc::test::TestWebSocket;

namespace {

const std::string kEverything = std::string(MC_TEST_MCP_PEERS_DIR) + "/node_modules/@modelcontextprotocol/server-everything/dist/index.js";
const std::string kSecret = "0123456789abcdef0123456789abcdef";

// Next event on the socket that is not the MCP's stderr chatter.
Poco::JSON::Object::Ptr nextEvent(TestWebSocket& ws, int timeoutMs = 10000) {
    for (;;) {
        auto event = ws.receive(timeoutMs);
        if (!event->has("payload") || !event->has("seq")) continue; // replies
        auto payload = event->getObject("payload");
        if (event->getValue<std::string>("type") == "log" && payload->getValue<std::string>("service") == "stderr") continue;
        return event;
    }
}

// The rows of `sql` as "col1|col2|..." (NULL as ""), read from the database file itself.
std::vector<std::string> storedRows(const std::string& dbPath, const std::string& sql) {
    sqlite3* db = nullptr;
    std::vector<std::string> out;
    if (sqlite3_open_v2(dbPath.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* select = nullptr;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &select, nullptr) == SQLITE_OK) {
            while (sqlite3_step(select) == SQLITE_ROW) {
                std::string row;
                for (int c = 0; c < sqlite3_column_count(select); ++c) {
                    const auto* text = sqlite3_column_text(select, c);
                    row += std::string(c ? "|" : "") + (text ? reinterpret_cast<const char*>(text) : "");
                }
                out.push_back(row);
            }
        }
        sqlite3_finalize(select);
    }
    sqlite3_close(db);
    return out;
}

void subscribe(TestWebSocket& ws, const std::string& channel) {
    ws.sendText(R"({"type":"subscribe","channel":")" + channel + "\"}");
    ws.receiveType("subscribed");
}

} // namespace

class GatewayPolicyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(GatewayPolicyTest);
    CPPUNIT_TEST(deniedCallsNeverReachTheMcpAndEveryCallIsAStep);
    CPPUNIT_TEST_SUITE_END();

public:
    void deniedCallsNeverReachTheMcpAndEveryCallIsAStep() {
        InProcessHost host({{"auth.jwt.secret", kSecret},
                            {"mcp.servers.fs.transport", "stdio"},
                            {"mcp.servers.fs.command", "node"},
                            {"mcp.servers.fs.args", "[\"" + kEverything + "\",\"stdio\"]"},
                            {"mcp.servers.fs.log_level", "debug"},
                            {"permissions.rules.no-logging.effect", "deny"},
                            {"permissions.rules.no-logging.roles", "operator"},
                            {"permissions.rules.no-logging.tools", "toggle-*"}});
        const std::string alice = host.runtime->auth().issue("alice", Role::Operator);
        const std::string bob = host.runtime->auth().issue("bob", Role::Admin);
        const std::map<std::string, std::string> asAlice = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + alice}};
        const std::map<std::string, std::string> asBob = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + bob}};
        CPPUNIT_ASSERT(eventually([&] {
            auto r = mc::test::httpGet(host.port(), "/api/mcps/fs", asBob);
            return r.status == 200 && r.json()->getValue<std::string>("status") == "connected";
        }));
        TestWebSocket logs(host.port(), "/ws?token=" + bob);
        subscribe(logs, "logs:mcp:fs");
        TestWebSocket watch(host.port(), "/ws?token=" + bob);
        subscribe(watch, "permissions");
        subscribe(watch, "threads:T-gw");

        // alice (operator) may not toggle logging: 403, and the MCP never sees the call.
        auto r = httpRequest("POST", host.port(), "/api/mcps/fs/tools/toggle-simulated-logging/call", R"({"thread_id":"T-gw"})", asAlice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 403, r.status);
        auto error = r.json()->getObject("error");
        CPPUNIT_ASSERT_EQUAL(std::string("permission_denied"), error->getValue<std::string>("code"));
        CPPUNIT_ASSERT_EQUAL(std::string("'alice' (operator) may not call tool 'toggle-simulated-logging' on 'fs': rule 'no-logging' denies"),
                             error->getValue<std::string>("message"));
        CPPUNIT_ASSERT_EQUAL(std::string("no-logging"), error->getObject("details")->getValue<std::string>("rule"));

        // The unknown thread is opened first, so the decision and the step can refer to it.
        auto thread = nextEvent(watch);
        CPPUNIT_ASSERT_EQUAL(std::string("thread"), thread->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("running"), thread->getObject("payload")->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("fs"), thread->getObject("payload")->getValue<std::string>("mcp_id"));
        auto denied = nextEvent(watch);
        CPPUNIT_ASSERT_EQUAL(std::string("permission"), denied->getValue<std::string>("type"));
        auto p = denied->getObject("payload");
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), p->getValue<std::string>("user_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("mcp:fs/tool:toggle-simulated-logging"), p->getValue<std::string>("resource"));
        CPPUNIT_ASSERT_EQUAL(std::string("tools/call"), p->getValue<std::string>("action"));
        CPPUNIT_ASSERT(!p->getValue<bool>("granted"));
        CPPUNIT_ASSERT_EQUAL(std::string("rule 'no-logging' denies"), p->getValue<std::string>("reason"));
        CPPUNIT_ASSERT_EQUAL(std::string("T-gw"), p->getValue<std::string>("thread_id"));
        // Then the denied call is the thread's first step.
        auto step1 = nextEvent(watch)->getObject("payload");
        CPPUNIT_ASSERT_EQUAL(1, step1->getValue<int>("sequence"));
        CPPUNIT_ASSERT_EQUAL(std::string("denied"), step1->getValue<std::string>("status"));

        // No simulated log arrives: the call was not sent.
        bool logged = false;
        try {
            nextEvent(logs, 2000);
            logged = true;
        } catch (const std::exception&) {
        }
        CPPUNIT_ASSERT_MESSAGE("a denied call reached the MCP", !logged);

        // alice may echo (the default allows): granted, a step with its duration.
        r = httpRequest("POST", host.port(), "/api/mcps/fs/tools/echo/call", R"({"thread_id":"T-gw","arguments":{"message":"hi"}})", asAlice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto granted = nextEvent(watch)->getObject("payload");
        CPPUNIT_ASSERT(granted->getValue<bool>("granted"));
        CPPUNIT_ASSERT_EQUAL(std::string("no rule matched: permissions.default = allow"), granted->getValue<std::string>("reason"));
        auto step2 = nextEvent(watch)->getObject("payload");
        CPPUNIT_ASSERT_EQUAL(2, step2->getValue<int>("sequence"));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), step2->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("echo"), step2->getValue<std::string>("tool"));
        CPPUNIT_ASSERT_EQUAL(std::string("tool_call"), step2->getValue<std::string>("step_type"));

        // bob (admin) is not matched by the rule: his toggle reaches the MCP, whose logs then flow —
        // the check above could have failed.
        TestWebSocket caller(host.port(), "/ws?token=" + bob);
        caller.sendText(R"({"type":"call_tool","request_id":"b","mcp_id":"fs","tool":"toggle-simulated-logging","thread_id":"T-gw"})");
        CPPUNIT_ASSERT(caller.receiveType("tool_result", 10000)->getValue<bool>("ok"));
        CPPUNIT_ASSERT_EQUAL(std::string("log"), nextEvent(logs, 15000)->getValue<std::string>("type"));

        // The timeline is in the store, in sequence order.
        CPPUNIT_ASSERT(eventually([&] {
            std::string result, e;
            if (host.runtime->store()->query("threads.get", R"({"id":"T-gw"})", result, e) != MC_OK) return false;
            return parseObject(result)->getArray("items")->getObject(0)->getArray("timeline")->size() == 3;
        }, 5000));
        std::string result, e;
        host.runtime->store()->query("threads.get", R"({"id":"T-gw"})", result, e);
        auto timeline = parseObject(result)->getArray("items")->getObject(0)->getArray("timeline");
        CPPUNIT_ASSERT_EQUAL(std::string("denied"), timeline->getObject(0)->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), timeline->getObject(1)->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("toggle-simulated-logging"), timeline->getObject(2)->getValue<std::string>("tool"));
        // Every decision, granted or denied, is persisted with its reason.
        const std::string db = host.dir.file("mc.db");
        const auto permissions = storedRows(db, "SELECT granted, user_id, reason FROM permission_events WHERE thread_id = 'T-gw' "
                                                "ORDER BY timestamp, rowid");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), permissions.size());
        CPPUNIT_ASSERT_EQUAL(std::string("0|alice|rule 'no-logging' denies"), permissions[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("1|alice|no rule matched: permissions.default = allow"), permissions[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("1|bob|no rule matched: permissions.default = allow"), permissions[2]);

        // The MCP's status history and bob's removal (with who did it) are stored too.
        auto r2 = httpRequest("DELETE", host.port(), "/api/mcps/fs", "", asBob);
        CPPUNIT_ASSERT_EQUAL(204, r2.status);
        CPPUNIT_ASSERT(eventually([&] {
            return storedRows(db, "SELECT actor, action, target FROM audit_events WHERE action = 'mcp.remove'") ==
                   std::vector<std::string>({"bob|mcp.remove|fs"});
        }, 5000));
        CPPUNIT_ASSERT(eventually([&] {
            return storedRows(db, "SELECT status, previous_status FROM mcp_status_history WHERE mcp_id = 'fs' ORDER BY timestamp, rowid") ==
                   std::vector<std::string>({"connecting|", "connected|connecting", "removed|connected"});
        }, 5000));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GatewayPolicyTest);
