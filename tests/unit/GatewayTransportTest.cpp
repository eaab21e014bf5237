// The gateway over a transport plugin instance (ABI 2), without the real transports: the fixture
// plugin good-transport.so serves "fixture" with a tiny in-process MCP server. A server is a
// connection on the one instance: validate, open_connection, send/on_message through the MCP
// handshake and a tool call, on_status as transport_status, close_connection on removal; the
// instance's own status row from start to stop.
#include "core/Broadcaster.h"
#include "core/EventRouter.h"
#include "gateway/GatewaySettings.h"
#include "gateway/McpGateway.h"
#include "plugin/PluginRegistry.h"
#include "TestHttp.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

using namespace mc::host;

namespace {

Poco::JSON::Object::Ptr object(const std::string& text) {
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

bool eventually(const std::function<bool()>& condition, int timeoutMs = 10000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return condition();
}

struct Rig {
    PluginRegistry plugins;
    Broadcaster broadcaster;
    EventRouter events{broadcaster};
    Poco::AutoPtr<Poco::Util::MapConfiguration> config{new Poco::Util::MapConfiguration};
    std::unique_ptr<McpGateway> gateway;

    Rig() {
        CPPUNIT_ASSERT(plugins.loadFile(std::string(MC_TEST_FIXTURE_PLUGIN_DIR) + "/good-transport.so"));
        config->setString("mcp.fixture.queue", "8");
        config->setString("mcp.servers.echo.transport", "fixture");
        config->setString("mcp.servers.echo.endpoint", "in-process");
        gateway = std::make_unique<McpGateway>(readGatewaySettings(*config), plugins, events);
        gateway->configure(*config);
        gateway->startTransports(*config);
        gateway->start();
    }
    std::string status(const std::string& id) {
        auto c = gateway->find(id);
        return c ? object(c->summaryJson())->getValue<std::string>("status") : std::string("gone");
    }
};

// Tool calls made on their own threads' behalf: outcomes in the order they completed.
struct Calls {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::pair<std::string, ToolCallOutcome>> done; // (label, outcome)

    void call(McpGateway& gateway, const std::string& label, const std::string& argumentsJson) {
        ToolCallRequest request;
        request.tool = "echo";
        request.argumentsJson = argumentsJson;
        request.user = "tester";
        request.role = "admin";
        request.timeout = std::chrono::milliseconds(10000);
        gateway.callTool("echo", request, [this, label](ToolCallOutcome o) {
            std::lock_guard<std::mutex> lock(mutex);
            done.emplace_back(label, std::move(o));
            changed.notify_all();
        });
    }
    void waitFor(std::size_t count) {
        std::unique_lock<std::mutex> lock(mutex);
        CPPUNIT_ASSERT(changed.wait_for(lock, std::chrono::seconds(15), [&] { return done.size() >= count; }));
    }
    std::string text(std::size_t i) {
        std::lock_guard<std::mutex> lock(mutex);
        return object(done.at(i).second.resultJson)->getArray("content")->getObject(0)->getValue<std::string>("text");
    }
};

// The fixture transport copied into a plugins directory of its own, so that the test can replace
// and remove the file as an operator does (a new file under the same name: a new inode).
struct DroppedTransport {
    mc::test::TempDir dir;
    std::string file = dir.file("good-transport.so");
    DroppedTransport() { put(); }
    void put() const {
        std::filesystem::copy_file(std::string(MC_TEST_FIXTURE_PLUGIN_DIR) + "/good-transport.so", file + ".new");
        std::filesystem::rename(file + ".new", file);
    }
};

// A gateway whose one server "echo" runs on the fixture transport loaded from a DroppedTransport.
struct DroppedRig {
    DroppedTransport dropped;
    PluginRegistry plugins;
    Broadcaster broadcaster;
    EventRouter events{broadcaster};
    Poco::AutoPtr<Poco::Util::MapConfiguration> config{new Poco::Util::MapConfiguration};
    std::unique_ptr<McpGateway> gateway;

    explicit DroppedRig(const std::map<std::string, std::string>& extra = {}) {
        config->setString("mcp.servers.echo.transport", "fixture");
        config->setString("mcp.servers.echo.endpoint", "in-process");
        for (const auto& [key, value] : extra) config->setString(key, value);
        plugins.loadDirectory(dropped.dir.path());
        gateway = std::make_unique<McpGateway>(readGatewaySettings(*config), plugins, events);
        gateway->configure(*config);
        gateway->startTransports(*config);
        gateway->start();
    }
    Poco::JSON::Object::Ptr summary() { return object(gateway->find("echo")->summaryJson()); }
};

} // namespace

// What a test saw happen, in order, from any thread.
struct Happenings : BroadcastSubscriber {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> seen;
    void add(const std::string& what) {
        std::lock_guard<std::mutex> lock(mutex);
        seen.push_back(what);
        changed.notify_all();
    }
    bool waitFor(const std::string& what, std::chrono::milliseconds timeout) {
        std::unique_lock<std::mutex> lock(mutex);
        return changed.wait_for(lock, timeout, [&] { return std::find(seen.begin(), seen.end(), what) != seen.end(); });
    }
    std::vector<std::string> all() {
        std::lock_guard<std::mutex> lock(mutex);
        return seen;
    }
    void deliver(std::uint64_t, const SharedFrame& frame) override { // the event's type
        const auto event = object(std::string(Broadcaster::eventJson(frame)));
        add("event " + event->getValue<std::string>("type"));
    }
};

class GatewayTransportTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(GatewayTransportTest);
    CPPUNIT_TEST(configuredServerConnectsThroughTheInstance);
    CPPUNIT_TEST(toolCallTravelsTheConnection);
    CPPUNIT_TEST(whatIsNotOneMessageIsSetAsideAndABatchIsReadByElement);
    CPPUNIT_TEST(registeredServerIsClosedOnRemoval);
    CPPUNIT_TEST(aTransportAddedWhileRunningServesDefinitions);
    CPPUNIT_TEST(aReplacedTransportDrainsItsServersOntoTheNewVersion);
    CPPUNIT_TEST(aRemovedTransportLeavesItsServersWaitingForAnother);
    CPPUNIT_TEST(aTransportReplacedTwiceInARowEndsOnTheNewest);
    CPPUNIT_TEST(theAnswerDoesNotWaitForTheCallsStartRecords);
    CPPUNIT_TEST_SUITE_END();

public:
    // A transport plugin file replaced while a call is in flight on it: the new version's instance
    // starts, the call in flight finishes on the old connection (drained, not failed), a call made
    // meanwhile waits and goes out on the new one, and the old instance stops and its library is
    // unloaded once nothing uses it; the plugin's status row stays the new instance's.
    void aReplacedTransportDrainsItsServersOntoTheNewVersion() {
        DroppedRig rig;
        auto& dropped = rig.dropped;
        auto& plugins = rig.plugins;
        auto& config = rig.config;
        auto& gateway = *rig.gateway;
        auto status = [&] { return rig.summary()->getValue<std::string>("status"); };
        CPPUNIT_ASSERT(eventually([&] { return status() == "connected"; }));

        Calls calls;
        calls.call(gateway, "in flight", R"({"text":"finished on the old version","delay_ms":600})");
        std::this_thread::sleep_for(std::chrono::milliseconds(150)); // sent: the fixture sleeps on it
        dropped.put();
        auto changes = plugins.rescan(dropped.dir.path());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), changes.replaced.size());
        std::weak_ptr<const LoadedPlugin> oldVersion = changes.replaced[0].first;
        std::string error;
        CPPUNIT_ASSERT(gateway.replaceTransport(changes.replaced[0].second, *config, error));
        CPPUNIT_ASSERT_EQUAL(std::string(), error);
        changes = {};
        calls.call(gateway, "meanwhile", R"({"text":"sent on the new version"})");

        calls.waitFor(2);
        CPPUNIT_ASSERT_EQUAL(std::string("in flight"), calls.done[0].first); // drained first
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), calls.done[0].second.outcome);
        CPPUNIT_ASSERT_EQUAL(std::string("finished on the old version"), calls.text(0));
        CPPUNIT_ASSERT_EQUAL(std::string("meanwhile"), calls.done[1].first);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(calls.done[1].second.message, std::string("ok"), calls.done[1].second.outcome);
        CPPUNIT_ASSERT_EQUAL(std::string("sent on the new version"), calls.text(1));
        CPPUNIT_ASSERT_EQUAL(std::string("connected"), status());

        CPPUNIT_ASSERT(eventually([&] { return gateway.transports().retiredCount() == 0; }));
        // The last use of the old library ends on the thread that closed its instance, just after.
        CPPUNIT_ASSERT_MESSAGE("the old library is still loaded", eventually([&] { return oldVersion.expired(); }));
        InstanceStatus row;
        CPPUNIT_ASSERT(plugins.statuses().find("fixture-transport", "default", row));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(row.message, MC_COMPONENT_OK, row.status); // not the old one's "stopped"
        gateway.stop();
    }

    // A second new version while the server is still connecting on the first new one (each open
    // takes 300 ms here): once connected on the retired instance, it moves on to the newest, and
    // neither older version stays loaded.
    void aTransportReplacedTwiceInARowEndsOnTheNewest() {
        DroppedRig rig(std::map<std::string, std::string>{{"mcp.fixture.open_delay_ms", "300"}});
        CPPUNIT_ASSERT(eventually([&] { return rig.summary()->getValue<std::string>("status") == "connected"; }));
        std::vector<std::weak_ptr<const LoadedPlugin>> older;
        std::vector<std::shared_ptr<const LoadedPlugin>> newer;
        for (int round = 0; round < 2; ++round) { // both files loaded first
            rig.dropped.put();
            auto changes = rig.plugins.rescan(rig.dropped.dir.path());
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), changes.replaced.size());
            if (round == 0) older.push_back(changes.replaced[0].first);
            newer.push_back(changes.replaced[0].second);
        }
        older.push_back(newer[0]);
        std::string error;
        CPPUNIT_ASSERT(rig.gateway->replaceTransport(newer[0], *rig.config, error));
        // Connecting on it now (its open takes 300 ms): the next version retires it under the attempt.
        CPPUNIT_ASSERT(eventually([&] { return rig.summary()->getValue<std::string>("status") == "connecting"; }));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        CPPUNIT_ASSERT(rig.gateway->replaceTransport(newer[1], *rig.config, error));
        newer.clear();
        CPPUNIT_ASSERT(eventually([&] {
            return rig.gateway->transports().retiredCount() == 0 && rig.summary()->getValue<std::string>("status") == "connected";
        }));
        for (const auto& version : older) CPPUNIT_ASSERT_MESSAGE("an older version is still loaded", version.expired());
        Calls calls;
        calls.call(*rig.gateway, "newest", R"({"text":"on the newest"})");
        calls.waitFor(1);
        CPPUNIT_ASSERT_EQUAL(std::string("on the newest"), calls.text(0));
        rig.gateway->stop();
    }

    // A transport plugin file removed: its servers disconnect saying why, calls are refused with it,
    // its library is unloaded; a plugin serving the transport added again connects them at once
    // (not after their backoff, an hour here).
    void aRemovedTransportLeavesItsServersWaitingForAnother() {
        DroppedRig rig({{"gateway.reconnect.initial_ms", "3600000"}, {"gateway.reconnect.max_ms", "3600000"}});
        auto& dropped = rig.dropped;
        auto& plugins = rig.plugins;
        auto& config = rig.config;
        auto& gateway = *rig.gateway;
        auto summary = [&] { return rig.summary(); };
        CPPUNIT_ASSERT(eventually([&] { return summary()->getValue<std::string>("status") == "connected"; }));

        std::filesystem::remove(dropped.file);
        auto changes = plugins.rescan(dropped.dir.path());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), changes.removed.size());
        std::weak_ptr<const LoadedPlugin> removed = changes.removed[0];
        gateway.removeTransport(changes.removed[0]->info.id);
        changes = {};
        CPPUNIT_ASSERT(!gateway.transports().has("fixture-transport"));
        // First its reload's own disconnect ("... removed"), then the attempt that finds no plugin.
        CPPUNIT_ASSERT(eventually([&] {
            auto s = summary();
            return s->getValue<std::string>("status") == "disconnected" &&
                   s->optValue<std::string>("last_error", "").rfind("no transport plugin", 0) == 0;
        }));
        CPPUNIT_ASSERT_EQUAL(std::string("no transport plugin serves 'fixture' (loaded transports: none)"),
                             summary()->getValue<std::string>("last_error"));
        CPPUNIT_ASSERT(eventually([&] { return removed.expired(); }));
        Calls calls;
        calls.call(gateway, "refused", R"({"text":"nobody carries this"})");
        calls.waitFor(1);
        CPPUNIT_ASSERT_EQUAL(std::string("disconnected"), calls.done[0].second.outcome);
        CPPUNIT_ASSERT_EQUAL(std::string("the MCP server 'echo' is disconnected (last error: no transport plugin serves "
                                         "'fixture' (loaded transports: none))"),
                             calls.done[0].second.message);

        dropped.put();
        changes = plugins.rescan(dropped.dir.path());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), changes.added.size());
        gateway.addTransport(changes.added[0], *config);
        CPPUNIT_ASSERT(eventually([&] { return summary()->getValue<std::string>("status") == "connected"; }, 5000));
        calls.call(gateway, "carried", R"({"text":"carried again"})");
        calls.waitFor(2);
        CPPUNIT_ASSERT_EQUAL(std::string("carried again"), calls.text(1));
        gateway.stop();
    }

    // A transport plugin dropped into plugins.dir after start (HostRuntime::rescanPlugins) gets its
    // instance from its keys and checks and serves definitions from then on.
    void aTransportAddedWhileRunningServesDefinitions() {
        PluginRegistry plugins;
        Broadcaster broadcaster;
        EventRouter events{broadcaster};
        Poco::AutoPtr<Poco::Util::MapConfiguration> config{new Poco::Util::MapConfiguration};
        config->setString("mcp.fixture.queue", "8");
        McpGateway gateway(readGatewaySettings(*config), plugins, events);
        gateway.configure(*config);
        gateway.startTransports(*config);
        gateway.start();
        const std::string definition = R"({"id":"late","transport":"fixture","endpoint":"in-process"})";
        std::string error;
        CPPUNIT_ASSERT_EQUAL(MC_ERR_UNSUPPORTED, gateway.transports().validate("fixture", definition, error));
        CPPUNIT_ASSERT_EQUAL(std::string("transport: no transport plugin serves 'fixture' (loaded transports: none)"), error);
        CPPUNIT_ASSERT(!gateway.transports().has("fixture-transport"));

        CPPUNIT_ASSERT(plugins.loadFile(std::string(MC_TEST_FIXTURE_PLUGIN_DIR) + "/good-transport.so"));
        gateway.addTransport(plugins.find("fixture-transport"), *config);
        CPPUNIT_ASSERT(gateway.transports().has("fixture-transport"));
        error.clear();
        CPPUNIT_ASSERT_EQUAL(MC_OK, gateway.transports().validate("fixture", definition, error));
        CPPUNIT_ASSERT(gateway.transports().names() == std::vector<std::string>{"fixture"});
        InstanceStatus row;
        CPPUNIT_ASSERT(plugins.statuses().find("fixture-transport", "default", row));
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_OK, row.status);
        gateway.stop();
    }

    void configuredServerConnectsThroughTheInstance() {
        Rig rig;
        CPPUNIT_ASSERT(eventually([&] { return rig.status("echo") == "connected"; }));
        auto summary = object(rig.gateway->find("echo")->summaryJson());
        CPPUNIT_ASSERT_EQUAL(std::string("fixture"), summary->getValue<std::string>("transport"));
        CPPUNIT_ASSERT_EQUAL(std::string("fixture:echo"), summary->getValue<std::string>("endpoint"));
        CPPUNIT_ASSERT_EQUAL(std::string("2025-06-18"), summary->getValue<std::string>("protocol_version"));
        CPPUNIT_ASSERT_EQUAL(1, summary->getValue<int>("tool_count"));
        auto transport = summary->getObject("transport_status");
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), transport->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("fixture connection open"), transport->getValue<std::string>("message"));

        InstanceStatus row;
        CPPUNIT_ASSERT(rig.plugins.statuses().find("fixture-transport", "default", row));
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_OK, row.status);
        rig.gateway->stop();
        CPPUNIT_ASSERT(rig.plugins.statuses().find("fixture-transport", "default", row));
        CPPUNIT_ASSERT_EQUAL(MC_COMPONENT_STOPPED, row.status);
    }

    void toolCallTravelsTheConnection() {
        Rig rig;
        CPPUNIT_ASSERT(eventually([&] { return rig.status("echo") == "connected"; }));
        std::mutex mutex;
        std::condition_variable done;
        std::optional<ToolCallOutcome> outcome;
        ToolCallRequest request;
        request.tool = "echo";
        request.argumentsJson = R"({"text":"hello over ABI 2"})";
        request.user = "tester";
        request.role = "admin";
        request.timeout = std::chrono::milliseconds(5000);
        rig.gateway->callTool("echo", request, [&](ToolCallOutcome o) {
            std::lock_guard<std::mutex> lock(mutex);
            outcome = std::move(o);
            done.notify_all();
        });
        std::unique_lock<std::mutex> lock(mutex);
        CPPUNIT_ASSERT(done.wait_for(lock, std::chrono::seconds(10), [&] { return outcome.has_value(); }));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), outcome->outcome);
        auto result = object(outcome->resultJson);
        CPPUNIT_ASSERT_EQUAL(std::string("hello over ABI 2"),
                             result->getArray("content")->getObject(0)->getValue<std::string>("text"));
    }

    // A transport of another project may pass on what its server wrote unchecked: text that is not
    // JSON, a bare value and a method that is not a string are set aside, and a batch's answer among a
    // notification and a number reaches its call; the connection carries on.
    void whatIsNotOneMessageIsSetAsideAndABatchIsReadByElement() {
        Rig rig;
        CPPUNIT_ASSERT(eventually([&] { return rig.status("echo") == "connected"; }));
        Calls calls;
        calls.call(*rig.gateway, "odd", R"({"text":"in a batch","odd":true})");
        calls.waitFor(1);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), calls.done.at(0).second.outcome);
        CPPUNIT_ASSERT_EQUAL(std::string("in a batch"), calls.text(0));
        calls.call(*rig.gateway, "after", R"({"text":"still there"})");
        calls.waitFor(2);
        CPPUNIT_ASSERT_EQUAL(std::string("still there"), calls.text(1));
        CPPUNIT_ASSERT_EQUAL(std::string("connected"), rig.status("echo"));
    }

    void registeredServerIsClosedOnRemoval() {
        Rig rig;
        auto config = parseMcpServerConfig(*object(R"({"id":"second","transport":"fixture","endpoint":"x"})"));
        rig.gateway->add(config, "api");
        CPPUNIT_ASSERT(eventually([&] { return rig.status("second") == "connected"; }));
        CPPUNIT_ASSERT(rig.gateway->remove("second"));
        CPPUNIT_ASSERT_EQUAL(std::string("gone"), rig.status("second"));
        CPPUNIT_ASSERT(eventually([&] { return rig.status("echo") == "connected"; })); // the other connection stays
    }

    // The server answers while the gateway is still recording the call's start (its thread's step, its
    // permission event: made after the call went out, to keep them off its way): the caller has the
    // answer at once, and only the call's end records (the step's completion, the tool_call event)
    // wait for the start's. Here the start's recording waits for the answer: were the answer held
    // behind it, the recording would give up after 5 s and the order below would differ.
    void theAnswerDoesNotWaitForTheCallsStartRecords() {
        PluginRegistry plugins;
        Broadcaster broadcaster;
        EventRouter events{broadcaster};
        CPPUNIT_ASSERT(plugins.loadFile(std::string(MC_TEST_FIXTURE_PLUGIN_DIR) + "/good-transport.so"));
        Poco::AutoPtr<Poco::Util::MapConfiguration> config{new Poco::Util::MapConfiguration};
        config->setString("mcp.servers.echo.transport", "fixture");
        config->setString("mcp.servers.echo.endpoint", "in-process");
        McpGateway gateway(readGatewaySettings(*config), plugins, events);
        Happenings happened;
        broadcaster.subscribe("permissions", &happened);
        broadcaster.subscribe("events:tool_call", &happened);
        McpGateway::ToolCallObserver observer;
        observer.started = [&](const std::string& mcpId, const ToolCallRequest& request, const std::string&) {
            const bool answered = happened.waitFor("answered", std::chrono::seconds(5));
            happened.add("start recorded " + mcpId + " " + request.threadId + (answered ? " after the answer" : " without it"));
        };
        observer.completed = [&](const std::string&, const ToolCallRequest&, const ToolCallOutcome& outcome, const std::string&) {
            happened.add("end recorded " + outcome.outcome);
        };
        gateway.setToolCallObserver(std::move(observer));
        gateway.configure(*config);
        gateway.startTransports(*config);
        gateway.start();
        CPPUNIT_ASSERT(eventually([&] {
            auto c = gateway.find("echo");
            return c && object(c->summaryJson())->getValue<std::string>("status") == "connected";
        }));

        ToolCallRequest request;
        request.tool = "echo";
        request.argumentsJson = R"({"text":"at once"})";
        request.threadId = "T-1";
        request.user = "tester";
        request.role = "admin";
        std::string text;
        gateway.callTool("echo", request, [&](ToolCallOutcome o) {
            text = o.outcome == "ok" ? object(o.resultJson)->getArray("content")->getObject(0)->getValue<std::string>("text") : o.message;
            happened.add("answered");
        });
        CPPUNIT_ASSERT(happened.waitFor("event tool_call", std::chrono::seconds(15)));
        CPPUNIT_ASSERT_EQUAL(std::string("at once"), text);
        const std::vector<std::string> expected{"answered", "start recorded echo T-1 after the answer", "event permission",
                                                "end recorded ok", "event tool_call"};
        const auto seen = happened.all();
        std::string shown;
        for (const auto& s : seen) shown += "[" + s + "] ";
        CPPUNIT_ASSERT_MESSAGE(shown, seen == expected);
        broadcaster.unsubscribeAll(&happened);
        gateway.stop();
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GatewayTransportTest);
