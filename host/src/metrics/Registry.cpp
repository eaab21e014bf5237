#include "metrics/Registry.h"

#include <algorithm>
#include <stdexcept>

namespace mc::host::metrics {

void Gauge::add(double delta) {
    double current = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
    }
}

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
    for (std::size_t i = 0; i <= bounds.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value) {
    // A bucket counts the observations <= its bound; past the last bound, +Inf.
    const auto index = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
    counts_[index].fetch_add(1, std::memory_order_relaxed);
    double current = sum_.load(std::memory_order_relaxed);
    while (!sum_.compare_exchange_weak(current, current + value, std::memory_order_relaxed)) {
    }
}

void Histogram::read(SeriesSnapshot& out) const {
    out.buckets.assign(bounds_.size(), 0);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
        cumulative += counts_[i].load(std::memory_order_relaxed);
        out.buckets[i] = cumulative;
    }
    out.count = cumulative + counts_[bounds_.size()].load(std::memory_order_relaxed);
    out.sum = sum_.load(std::memory_order_relaxed);
}

const std::vector<double>& latencySecondsBuckets() {
    static const std::vector<double> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                               0.1,    0.25,  0.5,    1,     2.5,  5,     10};
    return bounds;
}

template <class Series>
void Family<Series>::checkArity(std::size_t given) const {
    if (given != labelNames_.size())
        throw std::invalid_argument("a metric series needs " + std::to_string(labelNames_.size()) + " label value(s), got " +
                                    std::to_string(given));
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

bool Registry::validMetricName(const std::string& name) {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

bool Registry::validLabelName(const std::string& name) {
    if (name.empty() || name.rfind("__", 0) == 0) return false; // __ is Prometheus' own
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

Registry::Entry& Registry::add(const std::string& name, const std::string& help, MetricType type,
                               std::vector<std::string> labelNames) {
    if (!validMetricName(name)) throw std::invalid_argument("'" + name + "' is not a valid metric name");
    for (const auto& label : labelNames) {
        if (!validLabelName(label))
            throw std::invalid_argument("metric " + name + ": '" + label + "' is not a valid label name");
        if (label == "le" && type == MetricType::Histogram)
            throw std::invalid_argument("metric " + name + ": the label name 'le' is reserved for histogram buckets");
    }
    std::lock_guard lock(mutex_);
    for (const auto& entry : entries_)
        if (entry->head.name == name) throw std::invalid_argument("metric " + name + " is already registered");
    auto entry = std::make_unique<Entry>();
    entry->head.name = name;
    entry->head.help = help;
    entry->head.type = type;
    entry->head.labelNames = std::move(labelNames);
    entries_.push_back(std::move(entry));
    return *entries_.back();
}

CounterFamily& Registry::counter(const std::string& name, const std::string& help, std::vector<std::string> labelNames) {
    Entry& entry = add(name, help, MetricType::Counter, labelNames);
    entry.counters = std::make_unique<CounterFamily>(std::move(labelNames), [] { return std::make_unique<Counter>(); });
    return *entry.counters;
}

GaugeFamily& Registry::gauge(const std::string& name, const std::string& help, std::vector<std::string> labelNames) {
    Entry& entry = add(name, help, MetricType::Gauge, labelNames);
    entry.gauges = std::make_unique<GaugeFamily>(std::move(labelNames), [] { return std::make_unique<Gauge>(); });
    return *entry.gauges;
}

HistogramFamily& Registry::histogram(const std::string& name, const std::string& help, std::vector<std::string> labelNames,
                                     std::vector<double> bounds) {
    if (bounds.empty() || !std::is_sorted(bounds.begin(), bounds.end()) ||
        std::adjacent_find(bounds.begin(), bounds.end()) != bounds.end())
        throw std::invalid_argument("metric " + name + ": histogram bounds must be non-empty and strictly ascending");
    Entry& entry = add(name, help, MetricType::Histogram, labelNames);
    entry.head.bounds = std::move(bounds);
    const std::vector<double>* shared = &entry.head.bounds; // lives as long as the entry
    entry.histograms =
        std::make_unique<HistogramFamily>(std::move(labelNames), [shared] { return std::make_unique<Histogram>(*shared); });
    return *entry.histograms;
}

void Registry::sampled(MetricType type, const std::string& name, const std::string& help, std::vector<std::string> labelNames,
                       Sampler sampler) {
    if (type == MetricType::Histogram) throw std::invalid_argument("metric " + name + ": a sampled family is a counter or a gauge");
    Entry& entry = add(name, help, type, std::move(labelNames));
    entry.sampler = std::move(sampler);
}

namespace {

SeriesSnapshot plainSeries(std::vector<std::string> labelValues, double value) {
    SeriesSnapshot series;
    series.labelValues = std::move(labelValues);
    series.value = value;
    return series;
}

} // namespace

void Registry::read(const Entry& entry, FamilySnapshot& out) {
    out = entry.head;
    if (entry.counters) {
        entry.counters->forEach([&](const std::vector<std::string>& values, const Counter& c) {
            out.series.push_back(plainSeries(values, static_cast<double>(c.value())));
        });
    } else if (entry.gauges) {
        entry.gauges->forEach([&](const std::vector<std::string>& values, const Gauge& g) {
            out.series.push_back(plainSeries(values, g.value()));
        });
    } else if (entry.histograms) {
        entry.histograms->forEach([&](const std::vector<std::string>& values, const Histogram& h) {
            SeriesSnapshot series;
            series.labelValues = values;
            h.read(series);
            out.series.push_back(std::move(series));
        });
    } else if (entry.sampler) {
        for (auto& sample : entry.sampler()) {
            if (sample.labelValues.size() != out.labelNames.size())
                throw std::logic_error("metric " + out.name + ": a sample has " + std::to_string(sample.labelValues.size()) +
                                       " label value(s) for " + std::to_string(out.labelNames.size()) + " label name(s)");
            out.series.push_back(plainSeries(std::move(sample.labelValues), sample.value));
        }
    }
}

std::vector<FamilySnapshot> Registry::snapshot() const {
    std::vector<const Entry*> entries;
    {
        std::lock_guard lock(mutex_);
        for (const auto& entry : entries_) entries.push_back(entry.get());
    }
    std::vector<FamilySnapshot> out(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) read(*entries[i], out[i]);
    return out;
}

} // namespace mc::host::metrics
