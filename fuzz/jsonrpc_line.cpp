// An MCP server's stdout (plugins/mcp-stdio/src/LineBuffer.h, libs/json): the stream is cut into
// lines with a length cap, and each line is checked as one JSON value; a top-level array (a JSON-RPC
// batch) is split into its elements. Byte 0 picks the line cap and how the rest is split into reads.
//
// Checked: no crash/UB/leak/hang; read in pieces, the lines and oversize reports are exactly those of
// one read; every line is within the cap; a scan that fails says where (within the line); a scan that
// passes names the value's kind, and each batch element is a slice of the line that scans on its own.
#include "FuzzSupport.h"

#include "LineBuffer.h"
#include "mc/json/Scan.h"

#include <vector>

using mc::mcp_stdio::LineBuffer;

namespace {

struct Lines {
    std::vector<std::string> lines;
    std::vector<std::string> oversize;
};

template <class FeedAll>
Lines collect(std::size_t maxLine, FeedAll&& feedAll) {
    Lines out;
    LineBuffer buffer(maxLine);
    auto onLine = [&](std::string_view line) { out.lines.emplace_back(line); };
    auto onOversize = [&](std::string_view head) { out.oversize.emplace_back(head); };
    feedAll([&](const char* p, std::size_t n) { buffer.feed(p, n, onLine, onOversize); });
    buffer.finish(onLine);
    return out;
}

void checkScan(const std::string& line) {
    const mc::json::Scan scan = mc::json::scan(line);
    if (!scan.ok()) {
        MC_FUZZ_CHECK(scan.offset <= line.size(), "problem offset past the line");
        MC_FUZZ_CHECK(scan.problem.find(" at byte " + std::to_string(scan.offset)) != std::string::npos,
                      "the problem does not name its byte: " + scan.problem);
        MC_FUZZ_CHECK(mc::json::problem(line) == scan.problem, "problem() and scan() disagree");
        return;
    }
    const std::size_t first = line.find_first_not_of(" \t\r\n");
    MC_FUZZ_CHECK(first != std::string::npos, "an empty line passed");
    const char c = line[first];
    MC_FUZZ_CHECK(scan.kind == (c == '-' || (c >= '0' && c <= '9') ? '0' : c), "kind");
    if (scan.kind != '[') {
        MC_FUZZ_CHECK(scan.elements.empty(), "elements of a non-array");
        return;
    }
    for (std::string_view element : scan.elements) {
        MC_FUZZ_CHECK(element.data() >= line.data() && element.data() + element.size() <= line.data() + line.size(),
                      "an element outside the line");
        const std::string inner = mc::json::problem(element);
        MC_FUZZ_CHECK(inner.empty(), "an element does not scan alone: " + mc::fuzz::shown(std::string(element)) + ": " + inner);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::size_t maxLine = 1 + (data[0] & 0x7F) * 8; // 1 .. 1017 bytes
    const char* stream = reinterpret_cast<const char*>(data + 1);
    const std::size_t length = size - 1;

    const Lines once = collect(maxLine, [&](auto&& feed) { feed(stream, length); });
    const Lines pieces = collect(maxLine, [&](auto&& feed) {
        mc::fuzz::feedInPieces(stream, length, mc::fuzz::ChunkSizes(data[0], 1 + (data[0] & 0x1F) * 3), feed);
    });
    MC_FUZZ_CHECK(once.lines == pieces.lines, "lines differ when read in pieces");
    MC_FUZZ_CHECK(once.oversize == pieces.oversize, "oversize reports differ when read in pieces");
    for (const auto& line : once.lines) {
        MC_FUZZ_CHECK(line.size() <= maxLine, "a line over the cap");
        MC_FUZZ_CHECK(line.find('\n') == std::string::npos, "a line with a newline");
        checkScan(line);
    }
    for (const auto& head : once.oversize) MC_FUZZ_CHECK(head.size() == maxLine, "oversize head is not the cap");
    // The whole input as one message, as StdioConnection::send checks what the host writes.
    checkScan(std::string(stream, length));
    return 0;
}
