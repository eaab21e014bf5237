#pragma once
// How long a store keeps OTLP metric points (kind metric): the points older than `hours` are deleted by
// a sweep the store runs inside a write, at most once per interval and at most kSweepRows rows at a time
// (a write never waits long for it; a backlog goes over the next sweeps). 0 hours: kept forever.
// Shared by the stores so both keep the same rule; thread-safe.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace mc::records {

class MetricRetention {
public:
    static constexpr std::int64_t kSweepRows = 10000;
    static constexpr long long kIntervalUs = 60LL * 1000 * 1000;

    explicit MetricRetention(std::int64_t hours) : hours_(hours) {}

    // The cutoff timestamp (points before it expire) when a sweep is due at `nowUnixUs`, which is then
    // counted as done; nullopt otherwise (retention off, or swept less than an interval ago).
    std::optional<std::string> due(long long nowUnixUs);
    // The next due() sweeps whatever the interval (the schema changed, or the last sweep failed).
    void soon();

private:
    std::mutex mutex_;
    const std::int64_t hours_;
    long long lastSweepUs_ = 0;
    bool swept_ = false;
};

} // namespace mc::records
