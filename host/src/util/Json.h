#pragma once
// The host uses the SDK's JSON text helpers (one implementation for host and plugins), plus the few
// Poco-based ones every host module needs.
#include "mc/json_text.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>
#include <string>

namespace mc::host::json {
using mc::sdk::json::appendEscaped;
using mc::sdk::json::isoTimestamp;
using mc::sdk::json::quote;

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
