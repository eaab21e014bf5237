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

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <condition_variable>
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

} // namespace

class GatewayTransportTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(GatewayTransportTest);
    CPPUNIT_TEST(configuredServerConnectsThroughTheInstance);
    CPPUNIT_TEST(toolCallTravelsTheConnection);
    CPPUNIT_TEST(registeredServerIsClosedOnRemoval);
    CPPUNIT_TEST(aTransportAddedWhileRunningServesDefinitions);
    CPPUNIT_TEST_SUITE_END();

public:
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

    void registeredServerIsClosedOnRemoval() {
        Rig rig;
        auto config = parseMcpServerConfig(*object(R"({"id":"second","transport":"fixture","endpoint":"x"})"));
        rig.gateway->add(config, "api");
        CPPUNIT_ASSERT(eventually([&] { return rig.status("second") == "connected"; }));
        CPPUNIT_ASSERT(rig.gateway->remove("second"));
        CPPUNIT_ASSERT_EQUAL(std::string("gone"), rig.status("second"));
        CPPUNIT_ASSERT(eventually([&] { return rig.status("echo") == "connected"; })); // the other connection stays
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GatewayTransportTest);
