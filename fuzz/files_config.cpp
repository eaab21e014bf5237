// MCP config files (plugins/discovery-files/src/FilesDiscovery.cpp parseConfigFile): Claude Desktop's
// claude_desktop_config.json and Cursor / VS Code mcp.json as users keep them. Byte 0 picks the file
// name (it decides the format name); the rest is the file's text.
//
// Checked: no crash/UB/leak; a file that is not a JSON object is refused with std::runtime_error
// naming the file and nothing else; every entry becomes a found server keyed "<path>#<name>" whose
// server_json is a JSON object with a "transport" and whose details_json (when set) is a JSON object.
#include "FuzzSupport.h"

#include "FilesDiscovery.h"

#include <Poco/JSON/Parser.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string path = data[0] & 1 ? "/home/u/.config/Claude/claude_desktop_config.json" : "/work/p/.vscode/mcp.json";
    const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    std::map<std::string, mc::sdk::FoundServer> entries;
    try {
        entries = mc::discovery_files::parseConfigFile(path, text);
    } catch (const std::runtime_error& e) {
        MC_FUZZ_CHECK(std::string(e.what()).rfind(path + ": ", 0) == 0, std::string("reason does not name the file: ") + e.what());
        return 0;
    }
    for (const auto& [key, found] : entries) {
        MC_FUZZ_CHECK(key.rfind(path + "#", 0) == 0, "key " + mc::fuzz::shown(key));
        MC_FUZZ_CHECK(found.key == key, "found key " + mc::fuzz::shown(found.key));
        Poco::JSON::Object::Ptr server;
        try {
            server = Poco::JSON::Parser().parse(found.serverJson).extract<Poco::JSON::Object::Ptr>();
        } catch (const Poco::Exception& e) {
            MC_FUZZ_CHECK(false, "server_json is not a JSON object (" + e.displayText() + "): " + mc::fuzz::shown(found.serverJson));
        }
        MC_FUZZ_CHECK(server->has("transport"), "server_json without a transport: " + mc::fuzz::shown(found.serverJson));
        if (!found.detailsJson.empty()) {
            try {
                Poco::JSON::Parser().parse(found.detailsJson).extract<Poco::JSON::Object::Ptr>();
            } catch (const Poco::Exception& e) {
                MC_FUZZ_CHECK(false, "details_json is not a JSON object (" + e.displayText() + "): " + mc::fuzz::shown(found.detailsJson));
            }
        }
    }
    return 0;
}
