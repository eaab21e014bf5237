// MCP Registry pages (plugins/discovery-registry/src/RegistryPage.cpp): the JSON a registry answers
// GET /v0.1/servers with, turned into discovery reports. The input is one page.
//
// Checked: no crash/UB/leak; a page that is not the ServerList shape is refused with MalformedPage and
// nothing else; every server has its name and a found report that is a JSON object keyed by it.
#include "FuzzSupport.h"

#include "RegistryPage.h"

#include <Poco/JSON/Parser.h>

using namespace mc::discovery_registry;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::map<std::string, std::string> variables = {{"region", "eu"}, {"tenant", "t-1"}};
    RegistryPage page;
    try {
        page = parseRegistryPage(std::string(reinterpret_cast<const char*>(data), size), variables);
    } catch (const MalformedPage& e) {
        MC_FUZZ_CHECK(*e.what() != '\0', "malformed without a reason");
        return 0;
    }
    for (const auto& server : page.servers) {
        MC_FUZZ_CHECK(!server.name.empty(), "a server without a name");
        Poco::JSON::Object::Ptr report;
        try {
            report = Poco::JSON::Parser().parse(server.foundJson).extract<Poco::JSON::Object::Ptr>();
        } catch (const Poco::Exception& e) {
            MC_FUZZ_CHECK(false, "found report is not a JSON object (" + e.displayText() + "): " + mc::fuzz::shown(server.foundJson));
        }
        MC_FUZZ_CHECK(report->getValue<std::string>("key") == server.name, "report key");
        MC_FUZZ_CHECK(report->getValue<std::string>("action") == "found", "report action");
        MC_FUZZ_CHECK(report->has("transport"), "report without a transport");
    }
    return 0;
}
