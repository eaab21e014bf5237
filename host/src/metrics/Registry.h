#pragma once
// The host's metrics: counters, gauges and histograms in families with label sets, plus families
// sampled at scrape time from counts other modules already keep. One Registry per host
// (HostRuntime::metrics()); any module handed it may add its own families.
//
// Hot paths stay cheap: a series is found under a shared (reader) lock and created once under the
// exclusive one; updating it is a few relaxed atomic operations. A caller with fixed labels keeps the
// series reference and skips the lookup. Families and series live as long as the registry.
#include "metrics/TextFormat.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace mc::host::metrics {

class Counter {
public:
    void inc(std::uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
    std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

class Gauge {
public:
    void set(double value) { value_.store(value, std::memory_order_relaxed); }
    void add(double delta);
    double value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

class Histogram {
public:
    explicit Histogram(const std::vector<double>& bounds); // ascending upper bounds, shared by the family
    void observe(double value);
    // Cumulative counts per bound, the total count and the sum.
    void read(SeriesSnapshot& out) const;

private:
    const std::vector<double>& bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts_; // per bucket (not cumulative), +Inf last
    std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 0.5 ms to 10 s.
const std::vector<double>& latencySecondsBuckets();

// The series of one metric by label values (given in the order of the family's label names).
template <class Series>
class Family {
public:
    Family(std::vector<std::string> labelNames, std::function<std::unique_ptr<Series>()> make)
        : labelNames_(std::move(labelNames)), make_(std::move(make)) {}

    // Created on first use. Throws std::invalid_argument when the number of values is wrong.
    Series& labels(const std::vector<std::string>& values) {
        {
            std::shared_lock read(mutex_);
            auto it = series_.find(values);
            if (it != series_.end()) return *it->second;
        }
        checkArity(values.size());
        std::unique_lock write(mutex_);
        auto& slot = series_[values];
        if (!slot) slot = make_();
        return *slot;
    }
    const std::vector<std::string>& labelNames() const { return labelNames_; }

    // Each series' label values and the series, in label order.
    void forEach(const std::function<void(const std::vector<std::string>&, const Series&)>& visit) const {
        std::shared_lock read(mutex_);
        for (const auto& [values, series] : series_) visit(values, *series);
    }

private:
    void checkArity(std::size_t given) const;

    const std::vector<std::string> labelNames_;
    const std::function<std::unique_ptr<Series>()> make_;
    mutable std::shared_mutex mutex_;
    std::map<std::vector<std::string>, std::unique_ptr<Series>> series_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// One series of a sampled family: label values and the value read at scrape time.
struct Sample {
    std::vector<std::string> labelValues;
    double value = 0;
};
using Sampler = std::function<std::vector<Sample>()>;

class Registry {
public:
    Registry() = default;
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    // Each throws std::invalid_argument when the name or a label name is not a valid Prometheus name
    // or the name is taken; `le` is reserved for histogram buckets.
    CounterFamily& counter(const std::string& name, const std::string& help, std::vector<std::string> labelNames = {});
    GaugeFamily& gauge(const std::string& name, const std::string& help, std::vector<std::string> labelNames = {});
    HistogramFamily& histogram(const std::string& name, const std::string& help, std::vector<std::string> labelNames,
                               std::vector<double> bounds);
    // A counter or gauge whose series are read by `sampler` at every scrape (counts kept elsewhere).
    // `sampler` runs on the scraping thread, without the registry's lock.
    void sampled(MetricType type, const std::string& name, const std::string& help, std::vector<std::string> labelNames,
                 Sampler sampler);

    // Every family, in registration order; a sampler that throws or returns the wrong number of label
    // values throws (std::logic_error naming the family).
    std::vector<FamilySnapshot> snapshot() const;
    std::string exposition() const { return textExposition(snapshot()); }

    static bool validMetricName(const std::string& name);
    static bool validLabelName(const std::string& name);

private:
    struct Entry {
        FamilySnapshot head; // name, help, type, label names, bounds
        std::unique_ptr<CounterFamily> counters;
        std::unique_ptr<GaugeFamily> gauges;
        std::unique_ptr<HistogramFamily> histograms;
        Sampler sampler;
    };
    Entry& add(const std::string& name, const std::string& help, MetricType type, std::vector<std::string> labelNames);
    static void read(const Entry& entry, FamilySnapshot& out);

    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<Entry>> entries_;
};

} // namespace mc::host::metrics
