// Event routing: channels per type and payload, validation before anything is published.
#include "core/EventRouter.h"

#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

using namespace mc::host;

namespace {
std::vector<std::string> channels(const std::string& type, const std::string& payload) {
    Poco::JSON::Parser parser;
    auto object = parser.parse(payload).extract<Poco::JSON::Object::Ptr>();
    return EventRouter::channelsFor(type, *object);
}
using V = std::vector<std::string>;

struct LastEvent : BroadcastSubscriber {
    std::vector<SharedFrame> frames;
    void deliver(std::uint64_t, const SharedFrame& frame) override { frames.push_back(frame); }
};
} // namespace

class EventRouterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EventRouterTest);
    CPPUNIT_TEST(testLogChannels);
    CPPUNIT_TEST(testThreadStepTranscriptChannels);
    CPPUNIT_TEST(testMcpPermissionDiscoveryAndOtherChannels);
    CPPUNIT_TEST(testRoutePublishesToSubscribers);
    CPPUNIT_TEST(testRouteRejectsInvalidPayloads);
    CPPUNIT_TEST(testRouteRecordGoesToThePersistenceOrIsPublished);
    CPPUNIT_TEST_SUITE_END();

public:
    void testLogChannels() {
        CPPUNIT_ASSERT(channels("log", R"({"thread_id":"t1","mcp_id":"fs","level":"error"})") ==
                       V({"logs:*", "logs:t1", "logs:mcp:fs", "logs:ERROR"}));
        CPPUNIT_ASSERT(channels("log", R"({"level":"Info"})") == V({"logs:*", "logs:INFO"}));
        CPPUNIT_ASSERT(channels("log", R"({"thread_id":"","mcp_id":null})") == V({"logs:*"}));
        CPPUNIT_ASSERT(channels("log", R"({"thread_id":42})") == V({"logs:*", "logs:42"}));
    }

    void testThreadStepTranscriptChannels() {
        CPPUNIT_ASSERT(channels("thread", R"({"id":"t9"})") == V({"threads", "threads:t9"}));
        CPPUNIT_ASSERT(channels("step", R"({"id":"s1","thread_id":"t9"})") == V({"threads", "threads:t9"}));
        CPPUNIT_ASSERT(channels("transcript", R"({"thread_id":"t2"})") == V({"transcripts:t2", "threads:t2"}));
        CPPUNIT_ASSERT(channels("thread", R"({})") == V({"threads"}));
    }

    void testMcpPermissionDiscoveryAndOtherChannels() {
        CPPUNIT_ASSERT(channels("mcp", R"({"id":"fs","status":"up"})") == V({"mcps", "mcps:fs"}));
        CPPUNIT_ASSERT(channels("mcp", R"({"mcp_id":"git"})") == V({"mcps", "mcps:git"}));
        CPPUNIT_ASSERT(channels("permission", R"({"thread_id":"t3"})") == V({"permissions", "permissions:t3"}));
        CPPUNIT_ASSERT(channels("discovery", R"({"id":"x"})") == V({"mcps"}));
        CPPUNIT_ASSERT(channels("heartbeat", R"({"id":"x"})") == V({"events:heartbeat"}));
        CPPUNIT_ASSERT(channels("mcp_status", R"({"id":"MS-1","mcp_id":"fs"})") == V({"mcps", "mcps:fs"}));
        CPPUNIT_ASSERT(channels("audit", R"({"actor":"alice"})") == V({"audit"}));
        CPPUNIT_ASSERT(channels("span", R"({"trace_id":"t","thread_id":"T-1"})") == V({"traces", "threads:T-1"}));
        CPPUNIT_ASSERT(channels("span", R"({"trace_id":"t"})") == V({"traces"}));
        // An instance's status change (keys.id = the plugin id).
        CPPUNIT_ASSERT(channels("plugin_status", R"({"id":"store-sqlite"})") == V({"plugins", "plugins:store-sqlite"}));
        CPPUNIT_ASSERT(channels("plugin_status", R"({})") == V({"plugins"}));
    }

    void testRoutePublishesToSubscribers() {
        Broadcaster broadcaster;
        EventRouter router(broadcaster);
        LastEvent errors, mcpLogs;
        broadcaster.subscribe("logs:ERROR", &errors);
        broadcaster.subscribe("logs:mcp:fs", &mcpLogs);
        std::string error;
        CPPUNIT_ASSERT_EQUAL(MC_OK, router.route("plugin/a", "log", R"({"level":"error","mcp_id":"fs","message":"boom"})", &error));
        CPPUNIT_ASSERT_EQUAL(MC_OK, router.route("plugin/a", "log", R"({"level":"info","mcp_id":"fs"})", &error));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), errors.frames.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), mcpLogs.frames.size());
        const std::string json(Broadcaster::eventJson(errors.frames[0]));
        CPPUNIT_ASSERT(json.find("\"source\":\"plugin/a\"") != std::string::npos);
        CPPUNIT_ASSERT(json.find("\"channels\":[\"logs:*\",\"logs:mcp:fs\",\"logs:ERROR\"]") != std::string::npos);
        CPPUNIT_ASSERT(json.find("\"message\":\"boom\"") != std::string::npos);
    }

    void testRouteRejectsInvalidPayloads() {
        Broadcaster broadcaster;
        EventRouter router(broadcaster);
        std::string error;
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, router.route("p", "log", "not json", &error));
        CPPUNIT_ASSERT(error.find("not valid JSON") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, router.route("p", "log", "[1]", &error));
        CPPUNIT_ASSERT_EQUAL(std::string("event payload must be a JSON object"), error);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, router.route("p", "log", "\"text\"", &error));
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, router.route("p", "", "{}", &error));
        CPPUNIT_ASSERT(error.find("event type") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, router.route("p", "bad type!", "{}", &error));
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, router.route("p", "log", "{\"a\":1", nullptr)); // no error slot
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), broadcaster.stats().published);
    }

    // A record built by the host: with no store behind the router it is published as route would
    // publish it (its canonical JSON), with one it goes to the store untouched.
    void testRouteRecordGoesToThePersistenceOrIsPublished() {
        Broadcaster broadcaster;
        EventRouter router(broadcaster);
        LastEvent permissions;
        broadcaster.subscribe("permissions:T-1", &permissions);
        const auto record = [] {
            mc::records::RecordBuilder permission(*mc::records::findKind("permission"));
            permission.id("P-1").text("thread_id", "T-1").boolean("granted", false);
            return permission.build([] { return std::string("2026-12-05T21:00:00.000000Z"); });
        };
        std::string error;
        CPPUNIT_ASSERT_EQUAL(MC_OK, router.routeRecord("gateway", record(), &error));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), permissions.frames.size());
        const std::string json(Broadcaster::eventJson(permissions.frames[0]));
        CPPUNIT_ASSERT_MESSAGE(json, json.find("\"channels\":[\"permissions\",\"permissions:T-1\"]") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(json, json.find("\"payload\":{\"id\":\"P-1\",\"timestamp\":\"2026-12-05T21:00:00.000000Z\","
                                             "\"thread_id\":\"T-1\",\"user_id\":null,") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(json, json.find("\"granted\":false") != std::string::npos);

        std::vector<std::string> handed;
        router.setPersistence([&](std::string_view source, mc::records::TypedRecord typed, std::string*) {
            handed.push_back(std::string(source) + " " + typed.spec->kind + " " + typed.record.text(*typed.spec, "thread_id").value_or("-"));
            return MC_OK;
        });
        CPPUNIT_ASSERT_EQUAL(MC_OK, router.routeRecord("gateway", record(), &error));
        CPPUNIT_ASSERT(handed == V({"gateway permission T-1"}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), permissions.frames.size()); // the store publishes what it keeps
        // Text of a persisted kind is normalized where it arrives: refused with the catalog's reason,
        // or handed on as a record.
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, router.route("plugin", "permission", R"({"thread_id":"T-2"})", &error));
        CPPUNIT_ASSERT_EQUAL(std::string("field 'granted' is required"), error);
        CPPUNIT_ASSERT_EQUAL(MC_OK, router.route("plugin", "permission", R"({"thread_id":"T-2","granted":true})", &error));
        CPPUNIT_ASSERT(handed == V({"gateway permission T-1", "plugin permission T-2"}));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventRouterTest);
