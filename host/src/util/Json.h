#pragma once
// The host uses the SDK's JSON text helpers (one implementation for host and plugins), plus the few
// Poco-based ones every host module needs.
#include "mc/json_text.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>
#include <string>
#include <string_view>

namespace mc::host::json {
using mc::sdk::json::appendEscaped;
using mc::sdk::json::isoTimestamp;
using mc::sdk::json::quote;

// How a parsed object keeps its keys: sorted (Poco's default), or in the order the text wrote them.
enum class KeyOrder { Sorted, AsWritten };
// As many levels of objects and arrays as Poco's parser takes.
inline constexpr std::size_t kMaxDepth = 128;

// JSON text parsed into Poco's objects, the one way the host parses: the same tree Poco's parser builds
// (numbers as Poco::Int64, Poco::UInt64 beyond it, or double; null as an empty value) in about half
// the instructions (bench/README.md, mc-bench-json): the text is checked once by the strict scanner
// (mc/json/Scan.h), then the tree is built from it without a tokenizer. Throws
// Poco::JSON::JSONException saying what is wrong and at which byte when the text is not one JSON
// object or array (a single value is refused, as by Poco's parser) or nests more than kMaxDepth deep,
// and Poco::SyntaxException for a number a double cannot hold.
Poco::Dynamic::Var parse(std::string_view text, KeyOrder order = KeyOrder::Sorted);
// The same for text that must be an object.
Poco::JSON::Object::Ptr parseObject(std::string_view text, KeyOrder order = KeyOrder::Sorted);

// A parsed JSON value back to compact text; "null" for an empty value.
inline std::string stringify(const Poco::Dynamic::Var& v) {
    if (v.isEmpty()) return "null";
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(v, out);
    return out.str();
}

// A quoted RFC 3339 timestamp, or null for 0 (never happened).
inline std::string timestampOrNull(long long unixMicros) {
    return unixMicros ? quote(isoTimestamp(unixMicros)) : std::string("null");
}
} // namespace mc::host::json
