#include "metrics/TextFormat.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace mc::host::metrics {

const char* typeName(MetricType type) {
    switch (type) {
    case MetricType::Counter: return "counter";
    case MetricType::Gauge: return "gauge";
    case MetricType::Histogram: return "histogram";
    }
    return "untyped";
}

std::string escapeLabelValue(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string escapeHelp(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string formatValue(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char text[40];
    // Counts are integers: written as such (10, not 1e+01).
    if (value == std::floor(value) && std::fabs(value) < 1e15) {
        std::snprintf(text, sizeof text, "%.0f", value);
        return text;
    }
    // The fewest digits that read back exactly (0.0005, not 0.00050000000000000001), with an exponent
    // only for very small or large values (as Prometheus' own clients write them).
    int digits = 1;
    for (; digits < 17; ++digits) {
        std::snprintf(text, sizeof text, "%.*g", digits, value);
        if (std::strtod(text, nullptr) == value) break;
    }
    std::snprintf(text, sizeof text, "%.*g", digits < 6 ? 6 : digits, value);
    return text;
}

namespace {

// {a="x",b="y"} of one series, with `extraName="extraValue"` last when given (a histogram's le).
void appendLabels(std::string& out, const std::vector<std::string>& names, const std::vector<std::string>& values,
                  const char* extraName = nullptr, const std::string& extraValue = {}) {
    if (names.empty() && !extraName) return;
    out += '{';
    bool first = true;
    for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
        out += first ? "" : ",";
        out += names[i] + "=\"" + escapeLabelValue(values[i]) + "\"";
        first = false;
    }
    if (extraName) {
        out += first ? "" : ",";
        out += std::string(extraName) + "=\"" + extraValue + "\"";
    }
    out += '}';
}

void appendHistogram(std::string& out, const FamilySnapshot& family, const SeriesSnapshot& series) {
    for (std::size_t i = 0; i < family.bounds.size(); ++i) {
        out += family.name + "_bucket";
        appendLabels(out, family.labelNames, series.labelValues, "le", formatValue(family.bounds[i]));
        out += ' ' + std::to_string(i < series.buckets.size() ? series.buckets[i] : series.count) + '\n';
    }
    out += family.name + "_bucket";
    appendLabels(out, family.labelNames, series.labelValues, "le", "+Inf");
    out += ' ' + std::to_string(series.count) + '\n';
    out += family.name + "_sum";
    appendLabels(out, family.labelNames, series.labelValues);
    out += ' ' + formatValue(series.sum) + '\n';
    out += family.name + "_count";
    appendLabels(out, family.labelNames, series.labelValues);
    out += ' ' + std::to_string(series.count) + '\n';
}

} // namespace

std::string textExposition(const std::vector<FamilySnapshot>& families) {
    std::string out;
    for (const auto& family : families) {
        out += "# HELP " + family.name + ' ' + escapeHelp(family.help) + '\n';
        out += "# TYPE " + family.name + ' ' + typeName(family.type) + '\n';
        for (const auto& series : family.series) {
            if (family.type == MetricType::Histogram) {
                appendHistogram(out, family, series);
                continue;
            }
            out += family.name;
            appendLabels(out, family.labelNames, series.labelValues);
            out += ' ' + formatValue(series.value) + '\n';
        }
    }
    return out;
}

} // namespace mc::host::metrics
