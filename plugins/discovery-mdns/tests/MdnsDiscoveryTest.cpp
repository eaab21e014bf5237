// discovery-mdns against an independent responder, inside a network namespace this test creates:
// each networked test re-runs itself under `unshare -n` (lo up, multicast on, 224.0.0.0/4 routed to
// lo), so not one packet reaches a real network. The responder is Debian's python3-zeroconf
// (tests/mdns-responder.py) announcing a real running server-everything; the built
// discovery-mdns.so is loaded through the host's PluginRegistry and its emits are collected.
#include "GatewayTestSupport.h"
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
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <cppunit/extensions/HelperMacros.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace mc::host;
namespace fs = std::filesystem;

namespace {

constexpr const char* kInsideNamespace = "MC_MDNS_TEST_IN_NETNS";
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

// The interfaces of this process's network namespace (/proc/self/net follows the namespace; /sys does
// not unless remounted).
std::vector<std::string> networkInterfaces() {
    std::vector<std::string> out;
    std::ifstream dev("/proc/self/net/dev");
    std::string line;
    while (std::getline(dev, line)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue; // the two header lines
        const auto start = line.find_first_not_of(' ');
        out.push_back(line.substr(start, colon - start));
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Runs `body` inside a fresh network namespace: this test program re-executes itself there with
// just `testPath` selected. Fails (never skips) when the namespace cannot be made.
void inNetworkNamespace(const std::string& testPath, const std::function<void()>& body) {
    if (std::getenv(kInsideNamespace)) {
        const auto interfaces = networkInterfaces();
        if (interfaces != std::vector<std::string>{"lo"}) {
            std::string list;
            for (const auto& i : interfaces) list += " " + i;
            CPPUNIT_FAIL("refusing to multicast: " + std::string(kInsideNamespace) +
                         " is set but this is not an isolated network namespace (interfaces:" + list + ")");
        }
        body();
        return;
    }
    const std::string self = fs::read_symlink("/proc/self/exe").string();
    Poco::Pipe output;
    Poco::Process::Env env;
    env[kInsideNamespace] = "1";
    const std::vector<std::string> args = {
        "-n", "--", "/bin/sh", "-c",
        "ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo && exec \"$0\" \"$1\"",
        self, testPath};
    Poco::ProcessHandle child = Poco::Process::launch("unshare", args, ".", nullptr, &output, &output, env);
    Poco::PipeInputStream in(output);
    std::stringstream text;
    text << in.rdbuf();
    const int status = child.wait();
    if (status == 0) return;
    if (text.str().find("unshare:") != std::string::npos)
        CPPUNIT_FAIL("cannot create a network namespace with `unshare -n` (the mDNS tests never multicast on a real "
                     "network; they need root or CAP_SYS_ADMIN, and iproute2):\n" + text.str());
    CPPUNIT_FAIL("'" + testPath + "' failed inside its network namespace (exit " + std::to_string(status) + "):\n" + text.str());
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

// python3-zeroconf announcing one service; see tests/mdns-responder.py.
class Responder {
public:
    Responder(const std::string& name, unsigned short port, const std::vector<std::string>& extra) {
        std::vector<std::string> args = {std::string(MC_TEST_SOURCE_DIR) + "/plugins/discovery-mdns/tests/mdns-responder.py",
                                         "--name", name, "--port", std::to_string(port)};
        args.insert(args.end(), extra.begin(), extra.end());
        handle_ = std::make_unique<Poco::ProcessHandle>(
            Poco::Process::launch("/usr/bin/python3", args, &input_, &output_, nullptr));
        in_ = std::make_unique<Poco::PipeInputStream>(output_);
        out_ = std::make_unique<Poco::PipeOutputStream>(input_);
        expectLine("registered");
    }
    ~Responder() {
        if (!handle_) return;
        try {
            Poco::Process::kill(*handle_);
            handle_->wait();
        } catch (...) {
        }
    }
    void unregister() {
        *out_ << "unregister" << std::endl;
        expectLine("unregistered");
    }
    // Leaves without a goodbye.
    void kill() {
        Poco::Process::kill(*handle_);
        handle_->wait();
        handle_.reset();
    }

private:
    void expectLine(const std::string& want) {
        std::string line;
        if (!std::getline(*in_, line) || line != want)
            CPPUNIT_FAIL("mdns-responder.py: expected '" + want + "', got '" + line +
                         "' (is python3-zeroconf installed? scripts/deps.sh test)");
    }
    Poco::Pipe input_;
    Poco::Pipe output_;
    std::unique_ptr<Poco::ProcessHandle> handle_;
    std::unique_ptr<Poco::PipeInputStream> in_;
    std::unique_ptr<Poco::PipeOutputStream> out_;
};

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
        inNetworkNamespace("MdnsDiscoveryTest::findsAnAnnouncedServerAndLosesItOnGoodbye", [] {
            mc::test::NodeHttpPeer server({everythingScript(), "streamableHttp"});
            CPPUNIT_ASSERT_MESSAGE("server-everything (streamableHttp) did not start", server.ready());
            EmittedEvents events;
            auto plugin = startPlugin(events, {{"interface", "lo"}});
            auto starting = events.waitFor("state");
            CPPUNIT_ASSERT_EQUAL(std::string("starting"), starting->getValue<std::string>("state"));
            CPPUNIT_ASSERT_EQUAL(std::string("browsing _mcp._tcp.local"), starting->getValue<std::string>("message"));

            Responder responder("Everything Server", server.port(), {"path=/mcp", "transport=streamable-http", "owner=mc"});
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
        inNetworkNamespace("MdnsDiscoveryTest::findsARunningServiceByQueryAndLosesItWhenItsTtlExpires", [] {
            mc::test::NodeHttpPeer server({everythingScript(), "sse"});
            CPPUNIT_ASSERT_MESSAGE("server-everything (sse) did not start", server.ready());
            Responder responder("legacy sse", server.port(), {"--ttl", "3", "path=sse", "transport=SSE"});
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
