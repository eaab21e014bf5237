#pragma once
// A strict, allocation-light JSON syntax check (RFC 8259) for whole messages. The transport does not
// interpret JSON-RPC, but it refuses to pass on a line that is not JSON and splits a batch (a
// top-level array) into its elements without re-serializing them.
#include <string>
#include <string_view>
#include <vector>

namespace mc::mcp_stdio {

struct JsonScan {
    bool ok = false;
    std::string error;                      // e.g. "unexpected character 'x' at offset 12"
    std::size_t offset = 0;                 // where the error is (bytes from the start)
    char kind = 0;                          // '{', '[', or 'v' for any other value
    std::vector<std::string_view> elements; // the raw text of each element of a top-level array
};

// `text` must hold exactly one JSON value (surrounding whitespace allowed).
JsonScan scanJson(std::string_view text);

} // namespace mc::mcp_stdio
