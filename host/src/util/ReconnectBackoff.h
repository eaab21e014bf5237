#pragma once
// Exponential backoff with jitter and a cap for reconnect attempts: the n-th delay is drawn from
// [base/2, base] where base = min(max, initial * 2^n) ("equal jitter"), so many servers that fail
// together do not retry in lock-step, and no delay exceeds the cap.
#include <chrono>
#include <cstdint>
#include <random>

namespace mc::host {

class ReconnectBackoff {
public:
    // Throws std::invalid_argument when initial <= 0 or max < initial.
    ReconnectBackoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, std::uint64_t seed);

    std::chrono::milliseconds next(); // the delay before the next attempt; counts the attempt
    void reset();                     // after a successful connection
    unsigned attempts() const { return attempts_; }
    // The upper bound of the n-th delay (0-based), without jitter.
    std::chrono::milliseconds ceilingFor(unsigned attempt) const;

private:
    std::chrono::milliseconds initial_;
    std::chrono::milliseconds max_;
    unsigned attempts_ = 0;
    std::mt19937_64 random_;
};

} // namespace mc::host
