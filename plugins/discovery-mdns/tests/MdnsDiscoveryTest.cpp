// discovery-mdns against an independent responder, inside a network namespace this test creates:
// each networked test re-runs itself under `unshare -n` (tests/support/NetworkNamespace.h), so not
// one packet reaches a real network. The responder is Debian's python3-zeroconf
// (tests/mdns-responder.py) announcing a real running server-everything; the built
// discovery-mdns.so is loaded through the host's PluginRegistry and its emits are collected.
#include "GatewayTestSupport.h"
#include "NetworkNamespace.h"
#include "TestHttp.h"
#include "app/HostConfig.h"
#include "plugin/HostContext.h"
#include "plugin/PluginInstance.h"
#include "plugin/PluginRegistry.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace mc::host;

namespace {

constexpr auto kPatience = std::chrono::seconds(20); // only against hangs

std::shared_ptr<const LoadedPlugin> mdnsPlugin() {
    static const std::shared_ptr<const LoadedPlugin> plugin = [] {
        PluginRegistry registry;
        const std::string path = std::string(MC_TEST_PLUGIN_DIR) + "/discovery-mdns.so";
        if (!registry.loadFile(path)) throw std::runtime_error("discovery-mdns.so refused: " + registry.report().back().reason);
        return registry.find("discovery-mdns");
    }();
    return plugin;
}

Poco::JSON::Object::Ptr parse(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

// Everything the plugin emitted, in order.
class EmittedEvents {
public:
    EmitFunction emitter() {
        return [this](std::string_view, std::string_view type, std::string_view payload) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (type != "discovery") {
                unexpected_.push_back(std::string(type));
                return MC_OK;
            }
            events_.push_back(parse(std::string(payload)));
            cv_.notify_all();
            return MC_OK;
        };
    }

    // The first event from index `from` on with this action (and key, when given); fails after kPatience.
    Poco::JSON::Object::Ptr waitFor(const std::string& action, const std::string& key = {}, std::size_t from = 0,
                                     std::size_t* index = nullptr) {
        std::unique_lock<std::mutex> lock(mutex_);
        const auto deadline = std::chrono::steady_clock::now() + kPatience;
        for (;;) {
            for (std::size_t i = from; i < events_.size(); ++i) {
                const auto& e = events_[i];
                if (e->getValue<std::string>("action") == action && (key.empty() || e->optValue<std::string>("key", "") == key)) {
                    if (index) *index = i;
                    return e;
                }
            }
            if (cv_.wait_until(lock, deadline) == std::cv_status::timeout)
                CPPUNIT_FAIL("no '" + action + "' event for '" + key + "' arrived; events so far:\n" + dumpLocked());
        }
    }
    std::size_t count(const std::string& action, std::size_t from = 0) {
        std::lock_guard<std::mutex> lock(mutex_);
        std::size_t n = 0;
        for (std::size_t i = from; i < events_.size(); ++i) n += events_[i]->getValue<std::string>("action") == action;
        return n;
    }
    std::size_t size() {
        std::lock_guard<std::mutex> lock(mutex_);
        return events_.size();
    }
    std::string dump() {
        std::lock_guard<std::mutex> lock(mutex_);
        return dumpLocked();
    }

private:
    std::string dumpLocked() const {
        std::string out;
        for (const auto& e : events_) {
            std::ostringstream line;
            e->stringify(line);
            out += "  " + line.str() + "\n";
        }
        for (const auto& t : unexpected_) out += "  (an event of type '" + t + "')\n";
        return out;
    }
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<Poco::JSON::Object::Ptr> events_;
    std::vector<std::string> unexpected_;
};

// The plugin as the host runs it: configured through pluginInstanceConfig (declared defaults applied).
std::unique_ptr<PluginInstance> startPlugin(EmittedEvents& events, std::map<std::string, std::string> keys) {
    auto plugin = mdnsPlugin();
    auto config = pluginInstanceConfig(keys, "discovery.mdns", plugin->info.configKeys);
    auto instance = std::make_unique<PluginInstance>(
        plugin, std::make_unique<HostContext>("discovery-mdns", "test", std::move(config), events.emitter()));
    instance->start();
    return instance;
}

std::string everythingScript() {
    return std::string(MC_TEST_MCP_PEERS_DIR) + "/node_modules/@modelcontextprotocol/server-everything/dist/index.js";
}

// Garbage on the mDNS group from port 5353, as a broken or hostile responder would send it.
void sendMalformedPackets() {
    Poco::Net::DatagramSocket socket(Poco::Net::SocketAddress::IPv4);
    socket.bind(Poco::Net::SocketAddress("0.0.0.0", 5353), true, true);
    const Poco::Net::SocketAddress group("224.0.0.251", 5353);
    const std::vector<std::string> packets = {
        std::string("\x00\x00\x84\x00\x00\x00\x00\x01", 8),                                       // header cut off
        std::string("\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00\xc0\x0c\x00\x0c\x00\x01", 18), // self-pointer
        std::string(40, '\xff')};
    for (const auto& p : packets) socket.sendTo(p.data(), static_cast<int>(p.size()), group);
}

} // namespace

class MdnsDiscoveryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MdnsDiscoveryTest);
    CPPUNIT_TEST(findsAnAnnouncedServerAndLosesItOnGoodbye);
    CPPUNIT_TEST(findsARunningServiceByQueryAndLosesItWhenItsTtlExpires);
    CPPUNIT_TEST(unknownInterfaceIsAConfigurationError);
    CPPUNIT_TEST(invalidServiceTypeIsAConfigurationError);
    CPPUNIT_TEST_SUITE_END();

public:
    // The plugin browses first; the responder's announcement finds it. Goodbye -> lost "goodbye".
    void findsAnAnnouncedServerAndLosesItOnGoodbye() {
        mc::test::inNetworkNamespace("MdnsDiscoveryTest::findsAnAnnouncedServerAndLosesItOnGoodbye", [] {
            mc::test::NodeHttpPeer server({everythingScript(), "streamableHttp"});
            CPPUNIT_ASSERT_MESSAGE("server-everything (streamableHttp) did not start", server.ready());
            EmittedEvents events;
            auto plugin = startPlugin(events, {{"interface", "lo"}});
            auto starting = events.waitFor("state");
            CPPUNIT_ASSERT_EQUAL(std::string("starting"), starting->getValue<std::string>("state"));
            CPPUNIT_ASSERT_EQUAL(std::string("browsing _mcp._tcp.local"), starting->getValue<std::string>("message"));

            mc::test::MdnsResponder responder("Everything Server", server.port(), {"path=/mcp", "transport=streamable-http", "owner=mc"});
            const std::string key = "Everything Server._mcp._tcp.local";
            auto found = events.waitFor("found", key);
            const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/mcp";
            CPPUNIT_ASSERT_EQUAL(std::string("Everything Server"), found->getValue<std::string>("name"));
            CPPUNIT_ASSERT_EQUAL(std::string("http"), found->getValue<std::string>("transport"));
            CPPUNIT_ASSERT_EQUAL(url, found->getValue<std::string>("url"));
            CPPUNIT_ASSERT_EQUAL(std::size_t(0), found->getObject("headers")->size());
            auto details = found->getObject("details");
            CPPUNIT_ASSERT_EQUAL(std::string("_mcp._tcp"), details->getValue<std::string>("type"));
            CPPUNIT_ASSERT_EQUAL(std::string("mc-test-responder.local"), details->getValue<std::string>("host"));
            CPPUNIT_ASSERT_EQUAL(int(server.port()), details->getValue<int>("port"));
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), details->getArray("addresses")->size());
            CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), details->getArray("addresses")->getElement<std::string>(0));
            CPPUNIT_ASSERT_EQUAL(std::string("/mcp"), details->getObject("txt")->getValue<std::string>("path"));
            CPPUNIT_ASSERT_EQUAL(std::string("mc"), details->getObject("txt")->getValue<std::string>("owner"));
            CPPUNIT_ASSERT_EQUAL(120, details->getValue<int>("ttl"));

            // The URL is the real server: it answers an MCP initialize.
            const auto reply = mc::test::httpRequest(
                "POST", server.port(), "/mcp",
                R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"mdns-test","version":"1"}}})",
                {{"Content-Type", "application/json"}, {"Accept", "application/json, text/event-stream"}});
            CPPUNIT_ASSERT_EQUAL(200, reply.status);
            CPPUNIT_ASSERT_MESSAGE(reply.body, reply.body.find("\"serverInfo\"") != std::string::npos);

            // Malformed packets are dropped; browsing goes on.
            sendMalformedPackets();
            std::size_t before = events.size();
            responder.unregister();
            auto lost = events.waitFor("lost", key, before);
            CPPUNIT_ASSERT_EQUAL(std::string("goodbye"), lost->getValue<std::string>("reason"));
            CPPUNIT_ASSERT_EQUAL(std::string("Everything Server"), lost->getValue<std::string>("name"));

            auto ok = events.waitFor("state", {}, 1);
            CPPUNIT_ASSERT_EQUAL(std::string("ok"), ok->getValue<std::string>("state"));
            CPPUNIT_ASSERT_MESSAGE(ok->getValue<std::string>("message"),
                                   ok->getValue<std::string>("message").find("_mcp._tcp.local on lo (127.0.0.1)") != std::string::npos);
            plugin->stop();
        });
    }

    // The responder is up first; the plugin's query finds it (an SSE server at a custom path). The
    // record refresh at 80% of a 3 s TTL keeps it alive past its TTL; killed without goodbye, it
    // is lost when the TTL runs out.
    void findsARunningServiceByQueryAndLosesItWhenItsTtlExpires() {
        mc::test::inNetworkNamespace("MdnsDiscoveryTest::findsARunningServiceByQueryAndLosesItWhenItsTtlExpires", [] {
            mc::test::NodeHttpPeer server({everythingScript(), "sse"});
            CPPUNIT_ASSERT_MESSAGE("server-everything (sse) did not start", server.ready());
            mc::test::MdnsResponder responder("legacy sse", server.port(), {"--ttl", "3", "path=sse", "transport=SSE"});
            std::this_thread::sleep_for(std::chrono::seconds(2)); // its announcements are over
            EmittedEvents events;
            auto plugin = startPlugin(events, {{"types", "_other._udp, _mcp._tcp"}, {"max_query_interval_ms", "2000"}});
            const std::string key = "legacy sse._mcp._tcp.local";
            auto found = events.waitFor("found", key);
            CPPUNIT_ASSERT_EQUAL(std::string("sse"), found->getValue<std::string>("transport"));
            CPPUNIT_ASSERT_EQUAL("http://127.0.0.1:" + std::to_string(server.port()) + "/sse", found->getValue<std::string>("url"));
            CPPUNIT_ASSERT_EQUAL(3, found->getObject("details")->getValue<int>("ttl"));

            // Past two TTLs: refreshed, never lost, reported once.
            std::this_thread::sleep_for(std::chrono::seconds(7));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(events.dump(), std::size_t(0), events.count("lost"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(events.dump(), std::size_t(1), events.count("found"));

            const std::size_t before = events.size();
            responder.kill();
            auto lost = events.waitFor("lost", key, before);
            CPPUNIT_ASSERT_EQUAL(std::string("ttl expired"), lost->getValue<std::string>("reason"));
            plugin->stop();
        });
    }

    // Configuration errors name the key; they need no network.
    void unknownInterfaceIsAConfigurationError() {
        EmittedEvents events;
        try {
            startPlugin(events, {{"interface", "mc-no-such-if0"}});
            CPPUNIT_FAIL("start() accepted an interface that does not exist");
        } catch (const std::runtime_error& e) {
            const std::string what = e.what();
            CPPUNIT_ASSERT_MESSAGE(what, what.find("configuration key 'interface': no interface named or addressed "
                                                   "'mc-no-such-if0' (interfaces: ") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(what, what.find("lo (127.0.0.1)") != std::string::npos);
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), events.size());
    }

    void invalidServiceTypeIsAConfigurationError() {
        EmittedEvents events;
        for (const std::string types : {"mcp.tcp", "_mcp._sctp", "_this-name-is-too-long._tcp", ","}) {
            try {
                startPlugin(events, {{"types", types}});
                CPPUNIT_FAIL("accepted types = '" + types + "'");
            } catch (const std::runtime_error& e) {
                const std::string what = e.what();
                CPPUNIT_ASSERT_MESSAGE(what, what.find("configuration key 'types' = '" + types + "': ") != std::string::npos);
            }
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MdnsDiscoveryTest);
