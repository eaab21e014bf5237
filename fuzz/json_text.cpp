// The JSON check of typed records' JSON fields (libs/records jsonTextProblem): what a receiver plugin
// submits as a step's details or a span's attributes is kept as the text it gave, so this check is all
// that stands between that text and every JSON reader downstream (the broadcast, the stores, clients).
//
// Checked: no crash/UB/leak/hang; text it accepts also parses with Poco's JSON parser (a second,
// independent reader) and nests no deeper than the limit given in byte 0.
#include "FuzzSupport.h"

#include "mc/records/JsonText.h"

#include <Poco/JSON/Parser.h>

#include <string>
#include <string_view>

namespace {

// Levels of objects and arrays, counted outside strings: the text is valid JSON here.
std::size_t depthOf(std::string_view text) {
    std::size_t depth = 0, deepest = 0;
    bool inString = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\') ++i;
            else if (c == '"') inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++depth);
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return deepest;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t maxDepth = 1 + data[0] % 64;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    const std::string problem = mc::records::jsonTextProblem(text, maxDepth);
    if (!problem.empty()) {
        MC_FUZZ_CHECK(problem.find(" at byte ") != std::string::npos, "a reason without its place: " + problem);
        return 0;
    }
    try {
        Poco::JSON::Parser().parse("[" + std::string(text) + "]"); // Poco reads no bare scalar at the top
    } catch (const Poco::Exception& e) {
        MC_FUZZ_CHECK(false, "accepted, but Poco does not parse it: " + e.displayText());
    }
    MC_FUZZ_CHECK(depthOf(text) <= maxDepth, "accepted text nests deeper than " + std::to_string(maxDepth));
    return 0;
}
