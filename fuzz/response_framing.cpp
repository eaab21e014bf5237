// Whether a server's response is all there (plugins/mcp-http/src/ResponseFraming.cpp): the check that
// lets a host I/O thread read an MCP server's answer without ever waiting for more bytes.
//
// Checked: no crash/UB; the verdict on a prefix only moves forward as bytes come (Incomplete may
// become anything; Complete and Unreadable stay what they are), so a response judged whole stays
// whole and nothing past the verdict changes it; a Complete response names a status of 200 or more
// and a head that ends; its parts (what the host thread handles it from) are those of its own bytes:
// its length is within the input, the message cut there is Complete with the same parts, and its body
// is no longer than the bytes after its head.
#include "FuzzSupport.h"

#include "ResponseFraming.h"

#include <string>
#include <string_view>

using mc::mcp_http::ResponseFraming;
using mc::mcp_http::responseFraming;
using mc::mcp_http::WholeResponse;

namespace {
const char* name(ResponseFraming f) {
    switch (f) {
    case ResponseFraming::Complete: return "Complete";
    case ResponseFraming::Incomplete: return "Incomplete";
    case ResponseFraming::Unreadable: return "Unreadable";
    }
    return "?";
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    WholeResponse parts;
    const ResponseFraming whole = responseFraming(bytes, &parts);
    MC_FUZZ_CHECK(whole == responseFraming(bytes), "the verdict depends on whether the parts are asked for");
    if (whole == ResponseFraming::Complete) {
        const auto headEnd = bytes.find("\r\n\r\n");
        MC_FUZZ_CHECK(headEnd != std::string_view::npos, "a complete response without the end of its head");
        MC_FUZZ_CHECK(bytes.size() >= 12 && bytes.substr(0, 7) == "HTTP/1." && bytes[9] >= '2', "a complete response that is not a final one");
        MC_FUZZ_CHECK(parts.status >= 200 && parts.status <= 999, "a complete response's status " + std::to_string(parts.status));
        MC_FUZZ_CHECK(parts.length >= headEnd + 4 && parts.length <= bytes.size(), "a length outside the input: " + std::to_string(parts.length));
        MC_FUZZ_CHECK(parts.body.size() <= parts.length - (headEnd + 4), "a body longer than the bytes after the head");
        WholeResponse cut;
        MC_FUZZ_CHECK(responseFraming(bytes.substr(0, parts.length), &cut) == ResponseFraming::Complete, "the message cut at its length is not whole");
        MC_FUZZ_CHECK(cut.length == parts.length && cut.body == parts.body && cut.status == parts.status &&
                          cut.fields.size() == parts.fields.size(),
                      "the message cut at its length has other parts");
    }
    // Prefixes at up to 64 cut points, in order: once decided, the verdict stays.
    const std::size_t step = size / 64 + 1;
    ResponseFraming decided = ResponseFraming::Incomplete;
    for (std::size_t cut = 0; cut <= size; cut += step) {
        const ResponseFraming now = responseFraming(bytes.substr(0, cut));
        MC_FUZZ_CHECK(decided == ResponseFraming::Incomplete || now == decided,
                      std::string("decided ") + name(decided) + ", then " + name(now) + " at byte " + std::to_string(cut));
        decided = now;
    }
    MC_FUZZ_CHECK(decided == ResponseFraming::Incomplete || whole == decided,
                  std::string("decided ") + name(decided) + ", then " + name(whole) + " for the whole input");
    return 0;
}
