#pragma once
// A fixed-size log-linear histogram of latencies in microseconds: exact below 64 µs, then 32 buckets
// per power of two (at most ~3% relative error). Recording is a few instructions and never
// allocates, so every delivery of a multi-million-message run is counted, not a sample.
#include <algorithm>
#include <array>
#include <cstdint>

namespace mc::loadgen {

class LatencyHistogram {
public:
    void record(std::uint64_t micros) {
        ++counts_[indexOf(micros)];
        ++total_;
        max_ = std::max(max_, micros);
    }

    void merge(const LatencyHistogram& other) {
        for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
        total_ += other.total_;
        max_ = std::max(max_, other.max_);
    }

    std::uint64_t count() const { return total_; }
    double maxMs() const { return static_cast<double>(max_) / 1000.0; }

    // The value at quantile q (0..1) in milliseconds: the middle of the bucket holding it.
    double percentileMs(double q) const {
        if (total_ == 0) return 0;
        const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_ - 1)) + 1;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < kBuckets; ++i) {
            seen += counts_[i];
            if (seen >= rank) return std::min(middleOf(i), static_cast<double>(max_)) / 1000.0;
        }
        return maxMs();
    }

private:
    static constexpr unsigned kSubBits = 5; // 32 sub-buckets per power of two
    static constexpr std::uint64_t kExact = 2u << kSubBits; // values below are their own bucket
    static constexpr std::size_t kBuckets = kExact + (64 - kSubBits - 1) * (1u << kSubBits);

    static std::size_t indexOf(std::uint64_t v) {
        if (v < kExact) return static_cast<std::size_t>(v);
        const unsigned msb = 63u - static_cast<unsigned>(__builtin_clzll(v));
        const unsigned shift = msb - kSubBits; // v >> shift lies in [32, 64)
        return kExact + (shift - 1) * (1u << kSubBits) + ((v >> shift) - (1u << kSubBits));
    }
    static double middleOf(std::size_t index) {
        if (index < kExact) return static_cast<double>(index);
        const std::size_t k = index - kExact;
        const unsigned shift = static_cast<unsigned>(k >> kSubBits) + 1;
        const std::uint64_t lower = ((k & ((1u << kSubBits) - 1)) + (1u << kSubBits)) << shift;
        return static_cast<double>(lower) + static_cast<double>(std::uint64_t{1} << shift) / 2.0;
    }

    std::array<std::uint64_t, kBuckets> counts_{};
    std::uint64_t total_ = 0;
    std::uint64_t max_ = 0;
};

} // namespace mc::loadgen
