#pragma once
// Wall-clock time as the host records it (microseconds since the Unix epoch).
#include <chrono>

namespace mc::host {
inline long long nowUnixUs() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}
} // namespace mc::host
