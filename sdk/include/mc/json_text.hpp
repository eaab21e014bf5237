// JSON text helpers for plugins and the host alike: the ABI moves JSON as text, so both sides build
// small documents by hand on hot paths (rows, events) instead of allocating a tree. Header-only.
#pragma once

#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

namespace mc::sdk::json {

// Appends `s` as JSON string content (no quotes), escaped per RFC 8259. Bytes >= 0x80 pass through:
// callers hand in UTF-8.
inline void appendEscaped(std::string& out, std::string_view s) {
    static const char* hex = "0123456789abcdef";
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xf];
            } else {
                out += static_cast<char>(c);
            }
        }
    }
}

// `s` as a quoted JSON string.
inline std::string quote(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    appendEscaped(out, s);
    out += '"';
    return out;
}

// RFC 3339 UTC with exactly six fractional digits (2026-11-23T20:36:01.123456Z): text order is time order.
inline std::string isoTimestamp(long long unixMicros) {
    std::time_t secs = static_cast<std::time_t>(unixMicros / 1000000);
    long long micros = unixMicros % 1000000;
    if (micros < 0) {
        micros += 1000000;
        --secs;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
    return buf;
}

} // namespace mc::sdk::json
