// MCP config files (plugins/discovery-files/src/FilesDiscovery.cpp parseConfigFile): Claude Desktop's
// claude_desktop_config.json and Cursor / VS Code mcp.json as users keep them. Byte 0 picks the file
// name (it decides the format name); the rest is the file's text.
//
// Checked: no crash/UB/leak; a file that is not a JSON object is refused with std::runtime_error
// naming the file and nothing else; every entry becomes a found report, a JSON object keyed
// "<path>#<name>".
#include "FuzzSupport.h"

#include "FilesDiscovery.h"

#include <Poco/JSON/Parser.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string path = data[0] & 1 ? "/home/u/.config/Claude/claude_desktop_config.json" : "/work/p/.vscode/mcp.json";
    const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    std::map<std::string, std::string> entries;
    try {
        entries = mc::discovery_files::parseConfigFile(path, text);
    } catch (const std::runtime_error& e) {
        MC_FUZZ_CHECK(std::string(e.what()).rfind(path + ": ", 0) == 0, std::string("reason does not name the file: ") + e.what());
        return 0;
    }
    for (const auto& [key, json] : entries) {
        MC_FUZZ_CHECK(key.rfind(path + "#", 0) == 0, "key " + mc::fuzz::shown(key));
        Poco::JSON::Object::Ptr report;
        try {
            report = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
        } catch (const Poco::Exception& e) {
            MC_FUZZ_CHECK(false, "found report is not a JSON object (" + e.displayText() + "): " + mc::fuzz::shown(json));
        }
        MC_FUZZ_CHECK(report->getValue<std::string>("key") == key, "report key");
        MC_FUZZ_CHECK(report->getValue<std::string>("action") == "found", "report action");
    }
    return 0;
}
