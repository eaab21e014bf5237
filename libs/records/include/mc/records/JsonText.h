#pragma once
// Minimal JSON text helpers for building query results as strings (rows are streamed, not trees).
#include <string>
#include <string_view>

namespace mc::records {

void appendJsonString(std::string& out, std::string_view s); // with the quotes
std::string jsonString(std::string_view s);

// Normalizes an RFC 3339 timestamp to UTC with exactly six fractional digits
// (2026-01-02T03:04:05.123456Z), so text order is time order. Returns false when `in` is not one.
bool normalizeTimestamp(std::string_view in, std::string& out);
std::string formatTimestamp(long long unixMicros);
// The inverse of formatTimestamp for a timestamp in the stored form (normalizeTimestamp's output).
long long unixMicrosOfStored(std::string_view stored);
// formatTimestamp of the host's clock (mc::sdk::Host::nowUnixUs), or of the system clock when the
// host gives 0 (no clock callback).
std::string timestampFromHostClock(long long hostUnixMicros);
long long unixMicrosFromHostClock(long long hostUnixMicros); // the system clock's when the host gives 0

std::string sha256Hex(std::string_view data);

// Why `text` is not one JSON value (RFC 8259: one value, whitespace around it, strings of valid UTF-8
// without raw control characters) nesting at most `maxDepth` objects and arrays; "" when it is. Reads
// without building anything: records that arrive typed keep their JSON fields' text as it is.
std::string jsonTextProblem(std::string_view text, std::size_t maxDepth);

// JSON text in the form normalize() stores it (parsed, keys sorted, condensed), so a value read back from
// a database that reformats JSON (PostgreSQL JSONB) compares and prints like the one written.
// Returns `json` unchanged when it does not parse.
std::string canonicalJsonText(const std::string& json);

} // namespace mc::records
