#pragma once
// Small helpers the benchmark programs share: command-line flags and latency percentiles.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace mc::bench {

// The value after `name` on the command line, or `fallback`.
inline std::string flag(int argc, char** argv, const char* name, const std::string& fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
    return fallback;
}

// Percentile of latencies in microseconds, reported in milliseconds.
inline double percentileMs(std::vector<long long> v, double p) {
    if (v.empty()) return 0;
    const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1)));
    std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
    return v[i] / 1000.0;
}

} // namespace mc::bench
