#pragma once
// What every fuzz target shares: a check that stops the run with the input saved (libFuzzer treats an
// abort as a crash and writes the input as the reproducer), and deterministic chunk sizes for
// feeding a stream in pieces, so each incremental parser can be held to "in pieces = all at once".
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#define MC_FUZZ_CHECK(condition, what)                                                                 \
    do {                                                                                               \
        if (!(condition)) ::mc::fuzz::fail(#condition, (what), __FILE__, __LINE__);                    \
    } while (0)

namespace mc::fuzz {

[[noreturn]] inline void fail(const char* condition, const std::string& what, const char* file, int line) {
    std::fprintf(stderr, "\n%s:%d: fuzz check failed: %s\n  %s\n", file, line, condition, what.c_str());
    std::abort();
}

// Chunk sizes 1..maxChunk from a seed (xorshift32): the same input always splits the same way.
class ChunkSizes {
public:
    ChunkSizes(std::uint32_t seed, std::size_t maxChunk) : state_(seed * 2654435761u + 1u), max_(maxChunk ? maxChunk : 1) {}
    std::size_t next() {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 17;
        state_ ^= state_ << 5;
        return 1 + state_ % max_;
    }

private:
    std::uint32_t state_;
    std::size_t max_;
};

// Calls feed(data, n) over [data, data + size) in pieces.
template <class Feed>
void feedInPieces(const char* data, std::size_t size, ChunkSizes sizes, Feed&& feed) {
    std::size_t at = 0;
    while (at < size) {
        const std::size_t n = std::min(sizes.next(), size - at);
        feed(data + at, n);
        at += n;
    }
}

// Printable text of bytes for a failure message (the reproducer has the exact bytes).
inline std::string shown(const std::string& bytes, std::size_t max = 200) {
    std::string out;
    for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
        const unsigned char c = static_cast<unsigned char>(bytes[i]);
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        }
    }
    if (bytes.size() > max) out += "...(" + std::to_string(bytes.size()) + " bytes)";
    return out;
}

} // namespace mc::fuzz
