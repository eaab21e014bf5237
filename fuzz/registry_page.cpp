// MCP Registry pages (plugins/discovery-registry/src/RegistryPage.cpp): the JSON a registry answers
// GET /v0.1/servers with, turned into discovery reports. The input is one page.
//
// Checked: no crash/UB/leak; a page that is not the ServerList shape is refused with MalformedPage and
// nothing else; every server has its name, is found under it, and its server_json is a JSON object with a
// "transport" (details_json, when set, a JSON object).
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
        MC_FUZZ_CHECK(server.found.key == server.name, "found key " + mc::fuzz::shown(server.found.key));
        Poco::JSON::Object::Ptr json;
        try {
            json = Poco::JSON::Parser().parse(server.found.serverJson).extract<Poco::JSON::Object::Ptr>();
        } catch (const Poco::Exception& e) {
            MC_FUZZ_CHECK(false, "server_json is not a JSON object (" + e.displayText() + "): " + mc::fuzz::shown(server.found.serverJson));
        }
        MC_FUZZ_CHECK(json->has("transport"), "server_json without a transport");
        if (!server.found.detailsJson.empty()) {
            try {
                Poco::JSON::Parser().parse(server.found.detailsJson).extract<Poco::JSON::Object::Ptr>();
            } catch (const Poco::Exception& e) {
                MC_FUZZ_CHECK(false, "details_json is not a JSON object (" + e.displayText() + "): " + mc::fuzz::shown(server.found.detailsJson));
            }
        }
    }
    return 0;
}
