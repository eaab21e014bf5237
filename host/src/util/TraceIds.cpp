#include "util/TraceIds.h"

#include <cstdint>
#include <cstdio>
#include <random>

namespace mc::host {
namespace {

// FNV-1a, 64 bits, from `basis`: stable across runs and builds (std::hash is not).
std::uint64_t fnv1a(std::string_view text, std::uint64_t basis) {
    std::uint64_t h = basis;
    for (unsigned char c : text) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

std::string hex64(std::uint64_t v) {
    char out[17];
    std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(v));
    return out;
}

std::uint64_t nonZero(std::uint64_t v) { return v ? v : 1; }

std::uint64_t random64() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return engine();
}

constexpr std::uint64_t kBasis = 0xcbf29ce484222325ULL;
constexpr std::uint64_t kSecondBasis = 0x84222325cbf29ce4ULL;

} // namespace

std::string traceIdForThread(std::string_view threadId) {
    return hex64(fnv1a(threadId, kBasis)) + hex64(nonZero(fnv1a(threadId, kSecondBasis)));
}

std::string spanIdForRecord(std::string_view kind, std::string_view id) {
    std::string key(kind);
    key += '\0';
    key += id;
    return hex64(nonZero(fnv1a(key, kBasis)));
}

std::string randomTraceId() { return hex64(random64()) + hex64(nonZero(random64())); }
std::string randomSpanId() { return hex64(nonZero(random64())); }

std::string traceparent(std::string_view traceId, std::string_view spanId) {
    std::string out = "00-";
    out += traceId;
    out += '-';
    out += spanId;
    out += "-01";
    return out;
}

namespace {
bool lowerHex(std::string_view text) {
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}
bool allZeros(std::string_view text) { return text.find_first_not_of('0') == std::string_view::npos; }
} // namespace

std::optional<TraceContext> parseTraceparent(std::string_view text) {
    // 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55 characters in version 00, which has nothing after them.
    if (text.size() < 55 || text[2] != '-' || text[35] != '-' || text[52] != '-') return std::nullopt;
    const auto version = text.substr(0, 2), trace = text.substr(3, 32), span = text.substr(36, 16), flags = text.substr(53, 2);
    if (!lowerHex(version) || version == "ff" || !lowerHex(trace) || !lowerHex(span) || !lowerHex(flags)) return std::nullopt;
    if (text.size() > 55 && (version == "00" || text[55] != '-')) return std::nullopt;
    if (allZeros(trace) || allZeros(span)) return std::nullopt;
    return TraceContext{std::string(trace), std::string(span)};
}

} // namespace mc::host
