// mDNS discovery end to end through the whole host, inside a network namespace the test creates
// (tests/support/NetworkNamespace.h): python3-zeroconf announces a running server-everything; the
// host's discovery-mdns finds it, the discovery service probes it and (auto-connect) connects it
// through the gateway, which lists its tools. Withdrawn by the responder (goodbye), it is reported
// lost and the MCP is removed.
#include "DiscoveryApi.h"
#include "GatewayTestSupport.h"
#include "InProcessHost.h"
#include "HostProcess.h"
#include "NetworkNamespace.h"
#include "RegistryFixture.h"
#include "TestHttp.h"
#include "TestWebSocket.h"

#include <Poco/JSON/Array.h>
#include <cppunit/extensions/HelperMacros.h>

using mc::test::discovery;
using mc::test::eventually;
using mc::test::foundWithKey;
using mc::test::httpGet;
using mc::test::InProcessHost;
using mc::test::sourceNamed;

namespace {

const std::string kEverything = mc::test::everythingServerScript();
const std::string kKey = "Everything Server._mcp._tcp.local";

// The announced servers are on loopback (the namespace has nothing else): allowed explicitly.
InProcessHost::Overrides mdnsOnly(const std::string& policy) {
    return {{"discovery.mdns.enabled", "true"},
            {"discovery.mdns.interface", "lo"},
            {"discovery.mdns.policy", policy},
            {"discovery.mdns.allow_private_addresses", "loopback"},
            {"discovery.mdns.allow_remotes", "127.0.0.1"},
            {"discovery.registry.enabled", "false"},
            {"discovery.files.enabled", "false"},
            {"discovery.probe_timeout_ms", "5000"}};
}

Poco::JSON::Object::Ptr mdnsSource(unsigned short port) { return sourceNamed(discovery(port), "mdns"); }

// The endpoint of the next host discovery event on `mcps` with this change ("found", "probed",
// "registered", "lost"; other events are skipped). ABI 2.0: the plugin's own reports are not on `mcps`.
Poco::JSON::Object::Ptr nextEndpoint(mc::test::TestWebSocket& events, const std::string& change) {
    for (int i = 0; i < 50; ++i) {
        auto payload = events.receiveType("discovery", 20000)->getObject("payload");
        if (payload->getValue<std::string>("action") == "endpoint" && payload->getValue<std::string>("change") == change)
            return payload->getObject("endpoint");
    }
    CPPUNIT_FAIL("no '" + change + "' endpoint event on mcps among 50");
    return nullptr;
}

// The key the endpoint has in source `source`.
std::string keyIn(const Poco::JSON::Object::Ptr& endpoint, const std::string& source) {
    auto sources = endpoint->getArray("sources");
    for (std::size_t i = 0; sources && i < sources->size(); ++i)
        if (sources->getObject(static_cast<unsigned>(i))->getValue<std::string>("source") == source)
            return sources->getObject(static_cast<unsigned>(i))->getValue<std::string>("key");
    return {};
}

} // namespace

class MdnsDiscoveryHostTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MdnsDiscoveryHostTest);
    CPPUNIT_TEST(announcedServerIsProbedConnectedAndRemovedOnGoodbye);
    CPPUNIT_TEST(listOnlyProbesButDoesNotConnect);
    CPPUNIT_TEST(mdnsIsOffUnlessEnabled);
    CPPUNIT_TEST(announcedLoopbackServerIsNotProbedUnlessAllowed);
    CPPUNIT_TEST_SUITE_END();

public:
    void announcedServerIsProbedConnectedAndRemovedOnGoodbye() {
        mc::test::inNetworkNamespace("MdnsDiscoveryHostTest::announcedServerIsProbedConnectedAndRemovedOnGoodbye", [] {
            mc::test::NodeHttpPeer server({kEverything, "streamableHttp"});
            CPPUNIT_ASSERT_MESSAGE("server-everything (streamableHttp) did not start", server.ready());
            InProcessHost host(mdnsOnly("auto-connect"));
            mc::test::TestWebSocket events(host.port());
            events.receiveType("welcome");
            events.sendText(R"({"type":"subscribe","channel":"mcps"})");
            events.receiveType("subscribed");

            mc::test::MdnsResponder responder("Everything Server", server.port(), {"path=/mcp"});
            auto found = nextEndpoint(events, "found");
            CPPUNIT_ASSERT_EQUAL(kKey, keyIn(found, "mdns"));
            const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/mcp";
            CPPUNIT_ASSERT_EQUAL(url, found->getValue<std::string>("endpoint"));

            const bool connected = eventually([&] {
                auto m = mc::test::mcp(host.port(), "everything-server");
                return m && m->getValue<std::string>("status") == "connected" && m->getArray("tools")->size() >= 3;
            });
            CPPUNIT_ASSERT_MESSAGE(httpGet(host.port(), "/api/discovery").body, connected);
            auto detail = mc::test::mcp(host.port(), "everything-server");
            CPPUNIT_ASSERT_EQUAL(std::string("discovery:mdns"), detail->getValue<std::string>("origin"));
            bool hasEcho = false;
            auto tools = detail->getArray("tools");
            for (std::size_t i = 0; i < tools->size(); ++i) hasEcho |= tools->getObject(i)->getValue<std::string>("name") == "echo";
            CPPUNIT_ASSERT_MESSAGE("server-everything's echo tool is listed", hasEcho);

            auto source = mdnsSource(host.port());
            CPPUNIT_ASSERT(source);
            CPPUNIT_ASSERT_EQUAL(std::string("discovery-mdns"), source->getValue<std::string>("plugin"));
            CPPUNIT_ASSERT_EQUAL(std::string("auto-connect"), source->getValue<std::string>("policy"));
            CPPUNIT_ASSERT(eventually([&] { return mdnsSource(host.port())->getValue<std::string>("status") == "ok"; }));
            // ABI 2.0: last_scan is the time of the source's last scan_complete; mDNS keeps a cache
            // and reports found/lost as announcements come, never a complete scan.
            CPPUNIT_ASSERT(mdnsSource(host.port())->has("last_scan"));
            auto entry = foundWithKey(mdnsSource(host.port()), kKey);
            CPPUNIT_ASSERT(entry);
            CPPUNIT_ASSERT_EQUAL(std::string("everything-server"), entry->getValue<std::string>("mcp_id"));
            CPPUNIT_ASSERT_EQUAL(std::string("ok"), entry->getObject("probe")->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(true, entry->getValue<bool>("connectable"));
            CPPUNIT_ASSERT_EQUAL(std::string("/mcp"), entry->getObject("details")->getObject("txt")->getValue<std::string>("path"));

            // Withdrawn: goodbye -> lost -> the MCP is removed.
            responder.unregister();
            // (ABI 2.0: `lost` carries no reason; the host's endpoint event is "lost".)
            auto lost = nextEndpoint(events, "lost");
            CPPUNIT_ASSERT_EQUAL(url, lost->getValue<std::string>("endpoint"));
            CPPUNIT_ASSERT(eventually([&] { return httpGet(host.port(), "/api/mcps/everything-server").status == 404; }));
            CPPUNIT_ASSERT(eventually([&] { return !foundWithKey(mdnsSource(host.port()), kKey); }));
        });
    }

    void listOnlyProbesButDoesNotConnect() {
        mc::test::inNetworkNamespace("MdnsDiscoveryHostTest::listOnlyProbesButDoesNotConnect", [] {
            mc::test::NodeHttpPeer server({kEverything, "streamableHttp"});
            CPPUNIT_ASSERT_MESSAGE("server-everything (streamableHttp) did not start", server.ready());
            mc::test::MdnsResponder responder("Everything Server", server.port(), {"path=/mcp"});
            InProcessHost host(mdnsOnly("list-only"));
            CPPUNIT_ASSERT_MESSAGE(httpGet(host.port(), "/api/discovery").body, eventually([&] {
                auto entry = foundWithKey(mdnsSource(host.port()), kKey);
                return entry && entry->getObject("probe")->getValue<std::string>("status") == "ok";
            }));
            auto entry = foundWithKey(mdnsSource(host.port()), kKey);
            CPPUNIT_ASSERT(entry->isNull("mcp_id"));
            CPPUNIT_ASSERT_EQUAL(std::string("source 'mdns' is list-only"), entry->getValue<std::string>("reason"));
            CPPUNIT_ASSERT_EQUAL(0, httpGet(host.port(), "/api/mcps").json()->getValue<int>("count"));
        });
    }

    // The real binary with no discovery.mdns key at all (in a namespace, so had it browsed, no packet
    // could have left): the plugin is loaded, not started; its declared default says so in /api/plugins.
    void mdnsIsOffUnlessEnabled() {
        mc::test::inNetworkNamespace("MdnsDiscoveryHostTest::mdnsIsOffUnlessEnabled", [] {
            mc::test::TempDir dir;
            const unsigned short port = mc::test::freePort();
            mc::test::HostProcess host({"-Dplugins.dir=" MC_TEST_PLUGIN_DIR, "-Dstore.sqlite.path=" + dir.file("mc.db"),
                                        "-Dhttp.port=" + std::to_string(port)});
            CPPUNIT_ASSERT_MESSAGE(host.output(), host.waitHealthy(port));
            CPPUNIT_ASSERT(!mdnsSource(port));
            CPPUNIT_ASSERT_MESSAGE(host.output(), host.output().find("discovery-mdns is off (discovery.mdns.enabled = false, "
                                                                     "its default)") != std::string::npos);
            CPPUNIT_ASSERT(host.output().find("browsing _mcp._tcp.local") == std::string::npos);
            auto plugins = httpGet(port, "/api/plugins").json()->getArray("plugins");
            std::string enabledDefault;
            for (std::size_t i = 0; i < plugins->size(); ++i) {
                auto p = plugins->getObject(i);
                if (p->optValue<std::string>("id", "") != "discovery-mdns") continue;
                auto keys = p->getArray("config_keys");
                for (std::size_t k = 0; k < keys->size(); ++k)
                    if (keys->getObject(k)->getValue<std::string>("name") == "enabled")
                        enabledDefault = keys->getObject(k)->getValue<std::string>("default");
            }
            CPPUNIT_ASSERT_EQUAL(std::string("false"), enabledDefault);
        });
    }

    // Enabled under auto-connect, without allow_private_addresses: a server announced on loopback
    // is listed, never probed (the "server" here records every request: none arrives) nor connected.
    void announcedLoopbackServerIsNotProbedUnlessAllowed() {
        mc::test::inNetworkNamespace("MdnsDiscoveryHostTest::announcedLoopbackServerIsNotProbedUnlessAllowed", [] {
            mc::test::RegistryFixture server;
            auto overrides = mdnsOnly("auto-connect");
            overrides.erase("discovery.mdns.allow_private_addresses");
            overrides["discovery.mdns.allow_remotes"] = "*";
            InProcessHost host(overrides);
            mc::test::MdnsResponder responder("Everything Server", server.port(), {"path=/mcp"});
            Poco::JSON::Object::Ptr entry;
            CPPUNIT_ASSERT_MESSAGE(httpGet(host.port(), "/api/discovery").body, eventually([&] {
                entry = foundWithKey(mdnsSource(host.port()), kKey);
                return entry && entry->getObject("probe")->getValue<std::string>("status") == "refused";
            }));
            CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1 (loopback) is not allowed by discovery.mdns.allow_private_addresses"),
                                 entry->getObject("probe")->getValue<std::string>("error"));
            CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1 (loopback), which discovery.mdns.allow_private_addresses does not allow"),
                                 entry->getValue<std::string>("reason"));
            CPPUNIT_ASSERT(entry->isNull("mcp_id"));
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            CPPUNIT_ASSERT_EQUAL(std::size_t(0), server.requests().size());
            CPPUNIT_ASSERT_EQUAL(0, httpGet(host.port(), "/api/mcps").json()->getValue<int>("count"));
        });
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MdnsDiscoveryHostTest);
