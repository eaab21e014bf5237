#pragma once
// The log budget of one MCP server: a token bucket (gateway.log_rate_per_second, refilled
// continuously, at most gateway.log_burst saved up), so one chatty server cannot fill the store
// writer's queue for everyone. Lines over the budget are counted, and the count is reported as one
// persisted notice instead. Thread-safe: stdout and stderr lines arrive on the transport's threads.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace mc::host {

class LogRateLimiter {
public:
    using Clock = std::chrono::steady_clock;
    // perSecond 0: no limit.
    LogRateLimiter(std::uint32_t perSecond, std::uint32_t burst);

    enum class Verdict {
        Pass,
        DropFirst, // dropped, and the first drop since the last report: schedule a report
        Drop
    };
    Verdict admit(Clock::time_point now = Clock::now());
    // The lines dropped since the last call (the report's count), resetting it.
    std::uint64_t takeDropped();
    std::uint64_t droppedTotal() const;

private:
    const double perSecond_;
    const double burst_;
    mutable std::mutex mutex_;
    double tokens_;
    std::optional<Clock::time_point> last_; // the previous refill (none before the first line)
    std::uint64_t dropped_ = 0;
    std::uint64_t droppedTotal_ = 0;
};

} // namespace mc::host
