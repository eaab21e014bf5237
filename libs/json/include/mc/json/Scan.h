#pragma once
// One strict reader of JSON text that decodes nothing and builds no tree: RFC 8259, strings in UTF-8
// (shortest forms, no surrogates, at most U+10FFFF), \u escapes of UTF-16 surrogates in pairs, and a
// nesting limit. It says whether text is one JSON value and, for a top-level object or array, where its
// members or elements are, as views of the text. So a JSON-RPC message's method and id are found
// without parsing its params or result into objects, and a batch's elements pass on as their own text.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mc::json {

struct ScanRules {
    std::size_t maxDepth = 256; // levels of objects and arrays
    // A record's JSON must stay readable wherever it goes: integers within 64 bits, numbers within a
    // double's range (RFC 8259 allows more; many readers, the host's among them, refuse it).
    bool portableNumbers = false;
};

struct Member {
    std::string_view key;   // as written between its quotes, escapes not decoded
    std::string_view value; // the value's text
};

struct Scan {
    std::string problem;    // "" when the text is one JSON value; else what and where ("a missing ':' at byte 7")
    std::size_t offset = 0; // the byte the problem is at
    char kind = 0;          // the value's first character: '{', '[', '"', 't', 'f', 'n', or '0' for a number
    std::vector<Member> members;            // a top-level object's, in order
    std::vector<std::string_view> elements; // a top-level array's, in order

    bool ok() const { return problem.empty(); }
    // The value of the top-level member named `key`: the last one when a key repeats (as readers that
    // keep one value per key do), keys compared decoded.
    std::optional<std::string_view> member(std::string_view key) const;
};

// Surrounding whitespace is allowed.
Scan scan(std::string_view text, const ScanRules& rules = {});
// The problem alone ("" when none), without collecting the parts.
std::string problem(std::string_view text, const ScanRules& rules = {});

// A string value's text, quotes included, as scan accepted it, decoded to UTF-8.
std::string decodeString(std::string_view quoted);
// The decoded string when `value` is a string value's text; nothing otherwise (absent, or another kind).
std::optional<std::string> stringValue(std::optional<std::string_view> value);

} // namespace mc::json
