#pragma once
// Command-line flags of the benchmark programs (`--name value`), without any dependency, so that the
// benchmarks that link nothing of the host (mc-bench-json, mc-bench-handoff) share them too.
#include <cstdlib>
#include <cstring>
#include <string>

namespace mc::bench {

// The value after `name`, or `fallback` when it is not given.
inline std::string flag(int argc, char** argv, const char* name, const std::string& fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
    return fallback;
}

// The same, read as a count.
inline std::size_t countFlag(int argc, char** argv, const char* name, std::size_t fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return std::strtoull(argv[i + 1], nullptr, 10);
    return fallback;
}

} // namespace mc::bench
