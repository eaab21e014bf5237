// JSON text helpers for plugins and the host alike: the ABI moves JSON as text, so both sides build
// small documents by hand on hot paths (rows, events) instead of allocating a tree. Header-only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>

namespace mc::sdk::json {

// The length of the UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0 when the bytes there are
// not one (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF, none cut short).
inline std::size_t utf8SequenceLength(std::string_view s, std::size_t i) {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = at(0);
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF; // the range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        length = 3;
        if (c == 0xE0) low = 0xA0;
        if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        length = 4;
        if (c == 0xF0) low = 0x90;
        if (c == 0xF4) high = 0x8F;
    } else {
        return 0;
    }
    if (s.size() - i < length || at(1) < low || at(1) > high) return 0;
    for (std::size_t k = 2; k < length; ++k)
        if ((at(k) & 0xC0) != 0x80) return 0;
    return length;
}

// Where the run of characters that stand for themselves in a JSON string (printable ASCII but the
// quote and the backslash) that starts at s[from] ends: the index of the first other byte, or s.size().
// Eight bytes at a time: most of a message's or a record's text is such runs.
inline std::size_t plainRunEnd(std::string_view s, std::size_t from) {
    constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const auto hasZero = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
    std::size_t at = from;
    for (; at + 8 <= s.size(); at += 8) {
        std::uint64_t v;
        std::memcpy(&v, s.data() + at, 8);
        const std::uint64_t special = (v & highs) | hasZero(v ^ (ones * '"')) | hasZero(v ^ (ones * '\\')) | ((v - ones * 0x20) & ~v & highs);
        if (special) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            // The lowest flag is exact (a borrow can flag only bytes after a true one): the first such byte.
            return at + static_cast<std::size_t>(__builtin_ctzll(special)) / 8;
#else
            break;
#endif
        }
    }
    for (; at < s.size(); ++at) {
        const unsigned char c = static_cast<unsigned char>(s[at]);
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
    }
    return at;
}

// Appends `s` as JSON string content (no quotes), escaped per RFC 8259. UTF-8 passes through; a byte
// that is not part of valid UTF-8 (an error text from a library, a Latin-1 line on a server's stderr)
// becomes U+FFFD, so the result is always valid JSON text that every reader and WebSocket accepts.
inline void appendEscaped(std::string& out, std::string_view s) {
    static const char* hex = "0123456789abcdef";
    std::size_t i = 0;
    while (i < s.size()) {
        // Most text stands for itself: a run of it is appended at once, not a character at a time.
        const std::size_t end = plainRunEnd(s, i);
        out.append(s.data() + i, end - i);
        if (end == s.size()) return;
        i = end;
        const unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t taken = 1;
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
            } else if (const std::size_t n = utf8SequenceLength(s, i)) {
                out.append(s.data() + i, n);
                taken = n;
            } else {
                out += "\xEF\xBF\xBD"; // U+FFFD REPLACEMENT CHARACTER
            }
        }
        i += taken;
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
    // The date and time of day change once a second and every record carries a few timestamps:
    // gmtime_r and the formatting run once per second per thread, the microseconds each time.
    thread_local std::time_t cachedSecs = 0;
    thread_local char head[80];
    thread_local std::size_t headLength = 0;
    if (headLength == 0 || secs != cachedSecs) {
        std::tm tm{};
        gmtime_r(&secs, &tm);
        const int n = std::snprintf(head, sizeof head, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1,
                                    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        headLength = n > 0 ? static_cast<std::size_t>(n) : 0;
        cachedSecs = secs;
    }
    std::string out(head, headLength);
    char digits[7] = {'0', '0', '0', '0', '0', '0', 'Z'};
    for (int i = 5; i >= 0 && micros > 0; --i, micros /= 10) digits[i] = static_cast<char>('0' + micros % 10);
    out.append(digits, sizeof digits);
    return out;
}

} // namespace mc::sdk::json
