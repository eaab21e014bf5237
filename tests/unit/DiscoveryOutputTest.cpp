// The typed discovery output (ABI 2): what a source reports through the mc_discovery_output the
// service hands to its create — found (copied, read no further than its struct_size), lost,
// scan_complete (what a scan did not report is gone) — as GET /api/discovery then lists it.
#include "core/Broadcaster.h"
#include "core/EventRouter.h"
#include "discovery/DiscoveryService.h"
#include "gateway/GatewaySettings.h"
#include "gateway/McpGateway.h"
#include "plugin/PluginRegistry.h"
#include "util/Clock.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <string>
#include <vector>

using namespace mc::host;

namespace {

mc_str str(const std::string& s) { return mc_str{s.data(), s.size()}; }

struct Rig {
    PluginRegistry plugins;
    Broadcaster broadcaster;
    EventRouter events{broadcaster};
    Poco::AutoPtr<Poco::Util::MapConfiguration> config{new Poco::Util::MapConfiguration};
    McpGateway gateway{readGatewaySettings(*config), plugins, events};
    DiscoveryService service{plugins, gateway, events, std::chrono::milliseconds(500), std::chrono::milliseconds(500)};

    Rig() {
        DiscoverySourceSettings settings;
        settings.pluginId = "discovery-test";
        settings.name = "test";
        service.addSource(settings, nullptr);
        service.start();
    }
    ~Rig() { service.stop(); }

    // The source's entry in GET /api/discovery.
    Poco::JSON::Object::Ptr source() {
        CPPUNIT_ASSERT(service.idle(std::chrono::seconds(5)));
        auto report = Poco::JSON::Parser().parse(service.reportJson()).extract<Poco::JSON::Object::Ptr>();
        return report->getArray("sources")->getObject(0);
    }
    std::vector<std::string> keys() {
        std::vector<std::string> out;
        auto found = source()->getArray("found");
        for (std::size_t i = 0; i < found->size(); ++i) out.push_back(found->getObject(static_cast<unsigned>(i))->getValue<std::string>("key"));
        return out;
    }
};

void found(const mc_discovery_output* out, const std::string& key, const std::string& serverJson,
           const std::string& details = "", int connectable = 1, const std::string& reason = "") {
    const std::string name = key + " name"; // the struct borrows it: it must outlive the call
    const mc_found_server server{sizeof(mc_found_server), str(key), str(name), str(serverJson), str(details),
                                 connectable, str(reason)};
    out->found(out->ctx, &server);
}

} // namespace

class DiscoveryOutputTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DiscoveryOutputTest);
    CPPUNIT_TEST(foundEntriesAreListedWithTheirReason);
    CPPUNIT_TEST(lostAndScanCompleteRemoveEntries);
    CPPUNIT_TEST(olderFoundServerStructIsReadOnlyAsFarAsItGoes);
    CPPUNIT_TEST_SUITE_END();

public:
    void foundEntriesAreListedWithTheirReason() {
        Rig rig;
        const mc_discovery_output* out = rig.service.outputFor("discovery-test");
        CPPUNIT_ASSERT_EQUAL(sizeof(mc_discovery_output), out->struct_size);
        CPPUNIT_ASSERT(out == rig.service.outputFor("discovery-test")); // one per source, stable
        found(out, "a", R"({"transport":"stdio","command":"x"})", R"({"version":"1.0"})");
        found(out, "b", "", "", 0, "needs an input variable");
        found(out, "c", R"({"transport":"stdio","command":"x","connect_address":"10.0.0.1"})");
        auto source = rig.source();
        CPPUNIT_ASSERT_EQUAL(std::string("stopped"), source->getValue<std::string>("status")); // no instance
        auto list = source->getArray("found");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), list->size());
        auto a = list->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("a name"), a->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("stdio"), a->getValue<std::string>("transport"));
        CPPUNIT_ASSERT_EQUAL(std::string("1.0"), a->getObject("details")->getValue<std::string>("version"));
        // No transport plugin is loaded: the definition cannot be judged, so it is not connectable.
        CPPUNIT_ASSERT_EQUAL(std::string("invalid server definition: transport: no transport plugin serves 'stdio' "
                                         "(loaded transports: none)"),
                             a->getValue<std::string>("reason"));
        CPPUNIT_ASSERT_EQUAL(std::string("needs an input variable"), list->getObject(1)->getValue<std::string>("reason"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid server definition: \"connect_address\" is set by the host (discovery pins "
                                         "the address it judged), never by a definition"),
                             list->getObject(2)->getValue<std::string>("reason"));
    }

    void lostAndScanCompleteRemoveEntries() {
        Rig rig;
        const mc_discovery_output* out = rig.service.outputFor("discovery-test");
        found(out, "old", R"({"transport":"stdio","command":"x"})");
        found(out, "gone", R"({"transport":"stdio","command":"y"})");
        CPPUNIT_ASSERT(rig.keys() == std::vector<std::string>({"gone", "old"}));
        out->lost(out->ctx, str("gone"));
        CPPUNIT_ASSERT(rig.keys() == std::vector<std::string>({"old"}));
        CPPUNIT_ASSERT(rig.source()->isNull("last_scan"));
        // A scan that began now and reported only "new": "old" was not seen by it.
        const long long started = nowUnixUs();
        found(out, "new", R"({"transport":"stdio","command":"z"})");
        out->scan_complete(out->ctx, started);
        CPPUNIT_ASSERT(rig.keys() == std::vector<std::string>({"new"}));
        CPPUNIT_ASSERT(!rig.source()->isNull("last_scan"));
        // A report from a plugin that is no source is ignored.
        const mc_discovery_output* stranger = rig.service.outputFor("discovery-stranger");
        found(stranger, "x", R"({"transport":"stdio","command":"z"})");
        CPPUNIT_ASSERT(rig.keys() == std::vector<std::string>({"new"}));
    }

    void olderFoundServerStructIsReadOnlyAsFarAsItGoes() {
        Rig rig;
        const mc_discovery_output* out = rig.service.outputFor("discovery-test");
        const std::string key = "short", server = R"({"transport":"stdio","command":"x"})", junk = "must not be read";
        // A struct that ends before `details_json`: the fields after it hold values the host must ignore.
        const mc_found_server shortServer{offsetof(mc_found_server, details_json), str(key), str(key), str(server),
                                          str(junk), 0, str(junk)};
        out->found(out->ctx, &shortServer);
        auto entry = rig.source()->getArray("found")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("short"), entry->getValue<std::string>("key"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), entry->getObject("details")->size());
        // connectable reads as 0 (absent): listed with the host's default reason.
        CPPUNIT_ASSERT_EQUAL(std::string("the source reports it as not connectable"), entry->getValue<std::string>("reason"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DiscoveryOutputTest);
