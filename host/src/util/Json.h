#pragma once
// Small JSON helpers for hot paths where building a Poco::JSON tree would cost more than the work.
#include <string>
#include <string_view>

namespace mc::host::json {

// Appends `s` as JSON string content (no quotes), escaping per RFC 8259. Bytes >= 0x80 pass through:
// callers hand in UTF-8.
void appendEscaped(std::string& out, std::string_view s);

// `s` as a quoted JSON string.
std::string quote(std::string_view s);

// The current time as RFC 3339 UTC with microseconds, e.g. 2026-11-23T20:36:01.123456Z.
std::string isoTimestamp(long long unixMicros);

} // namespace mc::host::json
