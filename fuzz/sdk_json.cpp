// The SDK's JSON reader (sdk/include/mc/json_value.hpp), compiled into every plugin: it reads
// config_json, server definitions (from POST /api/mcps, discovery sources) and store query
// parameters. The input is one document.
//
// Checked: no crash/UB/leak/hang; a refusal is ParseError only, at an offset within the text; what
// parses dumps to JSON that parses back to the same dump.
#include "FuzzSupport.h"

#include "mc/json_value.hpp"

#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    mc::sdk::json::Value value;
    try {
        value = mc::sdk::json::parse(text);
    } catch (const mc::sdk::json::ParseError& e) {
        MC_FUZZ_CHECK(e.offset() <= size, "a refusal points past the text");
        return 0;
    }
    const std::string dumped = value.dump();
    std::string again;
    try {
        again = mc::sdk::json::parse(dumped).dump();
    } catch (const mc::sdk::json::ParseError& e) {
        MC_FUZZ_CHECK(false, std::string("a dump does not parse: ") + e.what());
    }
    MC_FUZZ_CHECK(again == dumped, "a dump parses to another document");
    return 0;
}
