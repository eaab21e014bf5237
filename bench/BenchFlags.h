#pragma once
// Command-line flags of the benchmark programs (`--name value`), without any dependency, so that the
// benchmarks that link nothing of the host (mc-bench-json, mc-bench-handoff) share them too.
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace mc::bench {

// The value after `name`, or `fallback` when it is not given.
inline std::string flag(int argc, char** argv, const char* name, const std::string& fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
    return fallback;
}

// Every value given after `name`, in order (a flag that may be repeated).
inline std::vector<std::string> flagValues(int argc, char** argv, const char* name) {
    std::vector<std::string> values;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) values.emplace_back(argv[++i]);
    return values;
}

// The same as flag, read as a count.
inline std::size_t countFlag(int argc, char** argv, const char* name, std::size_t fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return std::strtoull(argv[i + 1], nullptr, 10);
    return fallback;
}

} // namespace mc::bench
