#pragma once
// What a scrape sees (a snapshot of every metric family) and its rendering in the Prometheus text
// exposition format 0.0.4: HELP and TYPE lines, then one line per sample; histograms as cumulative
// `_bucket{le="..."}` lines ending in `le="+Inf"`, then `_sum` and `_count`.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mc::host::metrics {

enum class MetricType { Counter, Gauge, Histogram };
const char* typeName(MetricType type); // "counter", "gauge", "histogram"

struct SeriesSnapshot {
    std::vector<std::string> labelValues; // in the order of the family's label names
    double value = 0;                     // counter, gauge
    std::vector<std::uint64_t> buckets;   // histogram: cumulative count per bound (+Inf is `count`)
    double sum = 0;
    std::uint64_t count = 0;
};

struct FamilySnapshot {
    std::string name;
    std::string help;
    MetricType type = MetricType::Gauge;
    std::vector<std::string> labelNames;
    std::vector<double> bounds; // histogram: the buckets' upper bounds, ascending
    std::vector<SeriesSnapshot> series;
};

// The whole exposition, families in the given order.
std::string textExposition(const std::vector<FamilySnapshot>& families);

// A label value with backslash, double quote and newline escaped (\\, \", \n).
std::string escapeLabelValue(std::string_view value);
// HELP text with backslash and newline escaped.
std::string escapeHelp(std::string_view text);
// The shortest text that reads back as `value` ("1", "0.0005", "2.5e-07"), or +Inf, -Inf, NaN.
std::string formatValue(double value);

} // namespace mc::host::metrics
