// discovery-mdns against an independent responder, inside a network namespace this test creates:
// each networked test re-runs itself under `unshare -n` (tests/support/NetworkNamespace.h), so not
// one packet reaches a real network. The responder is Debian's python3-zeroconf
// (tests/mdns-responder.py) announcing a real running server-everything; the built
// discovery-mdns.so runs in the SDK's fake host (tests/plugins/DiscoveryFakeHarness.h), which collects
// its found/lost reports and statuses.
#include "DiscoveryFakeHarness.h"
#include "DnsMessage.h"
#include "GatewayTestSupport.h"
#include "NetworkNamespace.h"
#include "TestHttp.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using mc::test::DiscoveryFakeHarness;

namespace {

// The plugin as the host runs it (keys resolved with the declared defaults), started.
std::unique_ptr<DiscoveryFakeHarness> startPlugin(const std::map<std::string, std::string>& keys) {
    auto plugin = std::make_unique<DiscoveryFakeHarness>("discovery-mdns", keys);
    plugin->start();
    return plugin;
}

std::function<bool(const Poco::JSON::Object&)> report(const std::string& action, const std::string& key) {
    return [=](const Poco::JSON::Object& r) { return DiscoveryFakeHarness::is(r, action, key); };
}

std::size_t countOf(const DiscoveryFakeHarness& plugin, const std::string& action) {
    std::size_t n = 0;
    for (const auto& r : plugin.reports()) n += r->getValue<std::string>("action") == action;
    return n;
}

// `count` PTR records for _mcp._tcp.local from `source`:5353 (a LAN host flooding the browser).
void sendPtrFlood(const std::string& source, int count) {
    Poco::Net::DatagramSocket socket(Poco::Net::SocketAddress::IPv4);
    socket.bind(Poco::Net::SocketAddress(source, 5353), true, true);
    const Poco::Net::SocketAddress group("224.0.0.251", 5353);
    const auto type = mc::mdns::DnsName::fromText("_mcp._tcp.local");
    for (int first = 0; first < count; first += 100) {
        mc::mdns::DnsMessage message;
        message.flags = mc::mdns::DnsMessage::kResponseFlag | mc::mdns::DnsMessage::kAuthoritativeFlag;
        for (int i = first; i < std::min(count, first + 100); ++i)
            message.answers.push_back(mc::mdns::DnsRecord::makePtr(type, 120, mc::mdns::DnsName::fromText("flood-" + std::to_string(i) + "._mcp._tcp.local")));
        const std::string bytes = mc::mdns::buildMessage(message);
        socket.sendTo(bytes.data(), static_cast<int>(bytes.size()), group);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
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
    CPPUNIT_TEST(aFloodFromOneSenderIsCappedAndCounted);
    CPPUNIT_TEST_SUITE_END();

public:
    // The plugin browses first; the responder's announcement finds it. Goodbye -> lost "goodbye".
    void findsAnAnnouncedServerAndLosesItOnGoodbye() {
        mc::test::inNetworkNamespace("MdnsDiscoveryTest::findsAnAnnouncedServerAndLosesItOnGoodbye", [] {
            mc::test::NodeHttpPeer server({mc::test::everythingServerScript(), "streamableHttp"});
            CPPUNIT_ASSERT_MESSAGE("server-everything (streamableHttp) did not start", server.ready());
            auto plugin = startPlugin({{"interface", "lo"}});
            auto starting = plugin->reports().at(0);
            CPPUNIT_ASSERT_EQUAL(std::string("starting"), starting->getValue<std::string>("state"));
            CPPUNIT_ASSERT_EQUAL(std::string("browsing _mcp._tcp.local"), starting->getValue<std::string>("message"));

            mc::test::MdnsResponder responder("Everything Server", server.port(), {"path=/mcp", "transport=streamable-http", "owner=mc"});
            const std::string key = "Everything Server._mcp._tcp.local";
            auto found = plugin->waitFor(report("found", key));
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
            const std::size_t before = plugin->count();
            responder.unregister();
            plugin->waitFor(report("lost", key), before);
            CPPUNIT_ASSERT(plugin->logged("lost '" + key + "': goodbye"));

            auto ok = plugin->waitForState(1);
            CPPUNIT_ASSERT_EQUAL(std::string("ok"), ok->getValue<std::string>("state"));
            CPPUNIT_ASSERT_MESSAGE(ok->getValue<std::string>("message"),
                                   ok->getValue<std::string>("message").find("_mcp._tcp.local on lo (127.0.0.1)") != std::string::npos);
            plugin->stop();
        });
    }

    // The responder is up first; the plugin's query finds it (an SSE server at a custom path). The
    // record refresh at 80% of a 4 s TTL keeps it alive past its TTL; killed without goodbye, it
    // is lost when the TTL runs out.
    void findsARunningServiceByQueryAndLosesItWhenItsTtlExpires() {
        mc::test::inNetworkNamespace("MdnsDiscoveryTest::findsARunningServiceByQueryAndLosesItWhenItsTtlExpires", [] {
            mc::test::NodeHttpPeer server({mc::test::everythingServerScript(), "sse"});
            CPPUNIT_ASSERT_MESSAGE("server-everything (sse) did not start", server.ready());
            mc::test::MdnsResponder responder("legacy sse", server.port(), {"--ttl", "4", "path=sse", "transport=SSE"});
            std::this_thread::sleep_for(std::chrono::seconds(2)); // its announcements are over
            auto plugin = startPlugin({{"types", "_other._udp, _mcp._tcp"}, {"max_query_interval_ms", "2000"}});
            const std::string key = "legacy sse._mcp._tcp.local";
            auto found = plugin->waitFor(report("found", key));
            CPPUNIT_ASSERT_EQUAL(std::string("sse"), found->getValue<std::string>("transport"));
            CPPUNIT_ASSERT_EQUAL("http://127.0.0.1:" + std::to_string(server.port()) + "/sse", found->getValue<std::string>("url"));
            CPPUNIT_ASSERT_EQUAL(4, found->getObject("details")->getValue<int>("ttl"));

            // Past two TTLs: refreshed, never lost, reported once.
            std::this_thread::sleep_for(std::chrono::seconds(9));
            CPPUNIT_ASSERT_EQUAL(std::size_t(0), countOf(*plugin, "lost"));
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), countOf(*plugin, "found"));

            const std::size_t before = plugin->count();
            responder.kill();
            plugin->waitFor(report("lost", key), before);
            CPPUNIT_ASSERT(plugin->logged("lost '" + key + "': ttl expired"));
            plugin->stop();
        });
    }

    // Configuration errors name the key; they need no network.
    void unknownInterfaceIsAConfigurationError() {
        DiscoveryFakeHarness plugin("discovery-mdns", {{"interface", "mc-no-such-if0"}});
        try {
            plugin.start();
            CPPUNIT_FAIL("start() accepted an interface that does not exist");
        } catch (const std::runtime_error& e) {
            const std::string what = e.what();
            CPPUNIT_ASSERT_MESSAGE(what, what.find("configuration key 'interface': no interface named or addressed "
                                                   "'mc-no-such-if0' (interfaces: ") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(what, what.find("lo (127.0.0.1)") != std::string::npos);
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), plugin.count());
    }

    void invalidServiceTypeIsAConfigurationError() {
        for (const std::string types : {"mcp.tcp", "_mcp._sctp", "_this-name-is-too-long._tcp", ","}) {
            try {
                DiscoveryFakeHarness plugin("discovery-mdns", {{"types", types}});
                CPPUNIT_FAIL("accepted types = '" + types + "'");
            } catch (const std::runtime_error& e) {
                const std::string what = e.what();
                CPPUNIT_ASSERT_MESSAGE(what, what.find("configuration key 'types' = '" + types + "': ") != std::string::npos);
            }
        }
    }

    // 500 PTR records from one LAN address (127.0.0.2 here) against a cap of 64 per sender: the rest
    // are dropped and counted in the status message; a real responder (127.0.0.1) is still found.
    void aFloodFromOneSenderIsCappedAndCounted() {
        mc::test::inNetworkNamespace("MdnsDiscoveryTest::aFloodFromOneSenderIsCappedAndCounted", [] {
            auto plugin = startPlugin({{"interface", "lo"}, {"max_records_per_sender", "64"}, {"max_query_interval_ms", "1000"}});
            plugin->waitForState(0); // browsing
            sendPtrFlood("127.0.0.2", 500);
            mc::test::MdnsResponder responder("Everything Server", 3001, {"path=/mcp"});
            auto found = plugin->waitFor(report("found", "Everything Server._mcp._tcp.local"));
            CPPUNIT_ASSERT_EQUAL(std::string("http://127.0.0.1:3001/mcp"), found->getValue<std::string>("url"));
            // A status from before the responder's records arrived also counts the drops (cached from
            // 1 sender): wait for the one that has both.
            auto counted = plugin->waitFor([](const Poco::JSON::Object& r) {
                if (r.getValue<std::string>("action") != "state") return false;
                const std::string message = r.optValue<std::string>("message", "");
                return message.find("; 436 record(s) dropped by the per-sender cap or a full cache "
                                    "(1 sender(s) capped)") != std::string::npos &&
                       message.find(" record(s) cached from 2 sender(s)") != std::string::npos;
            });
            const std::string message = counted->getValue<std::string>("message");
            const auto cached = message.rfind("; ");
            CPPUNIT_ASSERT_MESSAGE(message, cached != std::string::npos);
            // "; <n> record(s) cached from 2 sender(s)": the flood's share and the real service
            CPPUNIT_ASSERT_MESSAGE(message, std::stoi(message.substr(cached + 2)) >= 64 + 4);
            CPPUNIT_ASSERT_MESSAGE(message, message.find(" record(s) cached from 2 sender(s)") != std::string::npos);
            plugin->stop();
        });
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MdnsDiscoveryTest);
