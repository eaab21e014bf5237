// The metrics registry and its Prometheus text exposition: the exact text of each metric type (label
// escaping, histogram buckets), values written as Prometheus reads them, exact sums under concurrent
// updates, refused names, and the per-server cap on tool label values.
#include "core/Broadcaster.h"
#include "core/EventRouter.h"
#include "gateway/GatewayMetrics.h"
#include "gateway/McpGateway.h"
#include "metrics/LabelValueCap.h"
#include "metrics/Registry.h"
#include "plugin/PluginRegistry.h"

#include <cppunit/extensions/HelperMacros.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>

using namespace mc::host;
using namespace mc::host::metrics;

namespace {

const FamilySnapshot& family(const std::vector<FamilySnapshot>&& all, const std::string& name) = delete; // would dangle
const FamilySnapshot& family(const std::vector<FamilySnapshot>& all, const std::string& name) {
    for (const auto& f : all)
        if (f.name == name) return f;
    throw std::runtime_error("no family " + name);
}

std::string refusal(const std::function<void()>& action) {
    try {
        action();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(accepted)";
}

} // namespace

class MetricsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MetricsTest);
    CPPUNIT_TEST(counterText);
    CPPUNIT_TEST(gaugeWithEscapedLabelsText);
    CPPUNIT_TEST(histogramText);
    CPPUNIT_TEST(sampledFamiliesReadAtScrapeTime);
    CPPUNIT_TEST(valuesAreWrittenAsPrometheusReadsThem);
    CPPUNIT_TEST(concurrentUpdatesSumExactly);
    CPPUNIT_TEST(badNamesAndLabelCountsAreRefused);
    CPPUNIT_TEST(labelValueCapFoldsNewValuesPastTheLimit);
    CPPUNIT_TEST(gatewayToolSeriesAreCappedPerServer);
    CPPUNIT_TEST_SUITE_END();

public:
    void counterText() {
        Registry registry;
        registry.counter("mc_things_total", "Things counted.").labels({}).inc(3);
        CPPUNIT_ASSERT_EQUAL(std::string("# HELP mc_things_total Things counted.\n"
                                         "# TYPE mc_things_total counter\n"
                                         "mc_things_total 3\n"),
                             registry.exposition());
    }

    void gaugeWithEscapedLabelsText() {
        Registry registry;
        auto& gauge = registry.gauge("mc_level_bytes", "A level;\nhelp with a \\ backslash.", {"path", "note"});
        gauge.labels({"C:\\dir", "say \"hi\"\nbye"}).set(2.5);
        gauge.labels({"/tmp", "plain"}).set(-1);
        gauge.labels({"/tmp", "plain"}).add(0.25);
        // Series in label order; backslash, quote and newline escaped in values, backslash and newline in HELP.
        CPPUNIT_ASSERT_EQUAL(std::string("# HELP mc_level_bytes A level;\\nhelp with a \\\\ backslash.\n"
                                         "# TYPE mc_level_bytes gauge\n"
                                         "mc_level_bytes{path=\"/tmp\",note=\"plain\"} -0.75\n"
                                         "mc_level_bytes{path=\"C:\\\\dir\",note=\"say \\\"hi\\\"\\nbye\"} 2.5\n"),
                             registry.exposition());
    }

    void histogramText() {
        Registry registry;
        auto& latency = registry.histogram("mc_call_duration_seconds", "Call latency.", {"tool"}, {0.5, 1, 10});
        auto& echo = latency.labels({"echo"});
        for (double v : {0.25, 0.5, 0.75, 20.0}) echo.observe(v); // 0.5 lands in le="0.5": bounds are inclusive
        CPPUNIT_ASSERT_EQUAL(std::string("# HELP mc_call_duration_seconds Call latency.\n"
                                         "# TYPE mc_call_duration_seconds histogram\n"
                                         "mc_call_duration_seconds_bucket{tool=\"echo\",le=\"0.5\"} 2\n"
                                         "mc_call_duration_seconds_bucket{tool=\"echo\",le=\"1\"} 3\n"
                                         "mc_call_duration_seconds_bucket{tool=\"echo\",le=\"10\"} 3\n"
                                         "mc_call_duration_seconds_bucket{tool=\"echo\",le=\"+Inf\"} 4\n"
                                         "mc_call_duration_seconds_sum{tool=\"echo\"} 21.5\n"
                                         "mc_call_duration_seconds_count{tool=\"echo\"} 4\n"),
                             registry.exposition());

        // Without labels, le is the only one; the default latency buckets run from 0.5 ms to 10 s.
        Registry plain;
        plain.histogram("mc_write_seconds", "Writes.", {}, latencySecondsBuckets()).labels({}).observe(0.0003);
        const std::string text = plain.exposition();
        CPPUNIT_ASSERT(text.find("mc_write_seconds_bucket{le=\"0.0005\"} 1\n") != std::string::npos);
        CPPUNIT_ASSERT(text.find("mc_write_seconds_bucket{le=\"10\"} 1\n") != std::string::npos);
        CPPUNIT_ASSERT(text.find("mc_write_seconds_sum 0.0003\nmc_write_seconds_count 1\n") != std::string::npos);
    }

    void sampledFamiliesReadAtScrapeTime() {
        Registry registry;
        double queued = 4;
        registry.sampled(MetricType::Gauge, "mc_queue_events", "Queued.", {}, [&] {
            return std::vector<Sample>{{{}, queued}};
        });
        registry.sampled(MetricType::Counter, "mc_sent_total", "Sent.", {"channel"}, [] {
            return std::vector<Sample>{{{"logs"}, 7}, {{"threads"}, 2}};
        });
        CPPUNIT_ASSERT_EQUAL(std::string("# HELP mc_queue_events Queued.\n# TYPE mc_queue_events gauge\nmc_queue_events 4\n"
                                         "# HELP mc_sent_total Sent.\n# TYPE mc_sent_total counter\n"
                                         "mc_sent_total{channel=\"logs\"} 7\nmc_sent_total{channel=\"threads\"} 2\n"),
                             registry.exposition());
        queued = 9;
        CPPUNIT_ASSERT(registry.exposition().find("mc_queue_events 9\n") != std::string::npos);

        // A sampler with the wrong number of label values is a programming error, named.
        registry.sampled(MetricType::Gauge, "mc_broken", "Broken.", {"a", "b"}, [] { return std::vector<Sample>{{{"x"}, 1}}; });
        try {
            registry.exposition();
            CPPUNIT_FAIL("expected std::logic_error");
        } catch (const std::logic_error& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("metric mc_broken: a sample has 1 label value(s) for 2 label name(s)"),
                                 std::string(e.what()));
        }
    }

    void valuesAreWrittenAsPrometheusReadsThem() {
        CPPUNIT_ASSERT_EQUAL(std::string("10"), formatValue(10));
        CPPUNIT_ASSERT_EQUAL(std::string("0"), formatValue(0));
        CPPUNIT_ASSERT_EQUAL(std::string("123456789012"), formatValue(123456789012.0));
        CPPUNIT_ASSERT_EQUAL(std::string("0.0005"), formatValue(0.0005));
        CPPUNIT_ASSERT_EQUAL(std::string("0.1"), formatValue(0.1));
        CPPUNIT_ASSERT_EQUAL(std::string("2.5e-07"), formatValue(2.5e-7));
        CPPUNIT_ASSERT_EQUAL(std::string("1796188512.745352"), formatValue(1796188512.745352));
        CPPUNIT_ASSERT_EQUAL(std::string("+Inf"), formatValue(std::numeric_limits<double>::infinity()));
        CPPUNIT_ASSERT_EQUAL(std::string("-Inf"), formatValue(-std::numeric_limits<double>::infinity()));
        CPPUNIT_ASSERT_EQUAL(std::string("NaN"), formatValue(std::nan("")));
        CPPUNIT_ASSERT_EQUAL(std::string("a\\\\b\\\"c\\nd"), escapeLabelValue("a\\b\"c\nd"));
    }

    void concurrentUpdatesSumExactly() {
        Registry registry;
        auto& calls = registry.counter("mc_calls_total", "Calls.", {"server"});
        auto& latency = registry.histogram("mc_latency_seconds", "Latency.", {"server"}, {0.5, 1});
        auto& level = registry.gauge("mc_level", "Level.");
        constexpr int kThreads = 8;
        constexpr int kPerThread = 50000;
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                // Every update looks its series up again, half of them racing to create the second one.
                const std::string server = t % 2 ? "odd" : "even";
                for (int i = 0; i < kPerThread; ++i) {
                    calls.labels({"all"}).inc();
                    calls.labels({server}).inc(2);
                    latency.labels({"all"}).observe(i % 2 ? 0.25 : 0.75);
                    level.labels({}).add(1);
                }
            });
        }
        for (auto& t : threads) t.join();
        const auto all = registry.snapshot();
        const auto& c = family(all, "mc_calls_total");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), c.series.size());
        CPPUNIT_ASSERT(c.series[0].labelValues == std::vector<std::string>{"all"});
        CPPUNIT_ASSERT_EQUAL(double(kThreads * kPerThread), c.series[0].value);
        CPPUNIT_ASSERT_EQUAL(double(kThreads / 2 * kPerThread * 2), c.series[1].value); // even
        CPPUNIT_ASSERT_EQUAL(double(kThreads / 2 * kPerThread * 2), c.series[2].value); // odd
        const auto& h = family(all, "mc_latency_seconds").series.at(0);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(kThreads * kPerThread), h.count);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(kThreads * kPerThread / 2), h.buckets.at(0));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(kThreads * kPerThread), h.buckets.at(1));
        CPPUNIT_ASSERT_EQUAL(kThreads * kPerThread / 2 * 1.0, h.sum); // 0.25 + 0.75 per pair, exact in binary
        CPPUNIT_ASSERT_EQUAL(double(kThreads * kPerThread), family(all, "mc_level").series.at(0).value);
    }

    void badNamesAndLabelCountsAreRefused() {
        Registry registry;
        registry.counter("mc_ok_total", "Fine.", {"server"});
        CPPUNIT_ASSERT_EQUAL(std::string("metric mc_ok_total is already registered"),
                             refusal([&] { registry.gauge("mc_ok_total", "Again."); }));
        CPPUNIT_ASSERT_EQUAL(std::string("'1mc' is not a valid metric name"), refusal([&] { registry.gauge("1mc", "x"); }));
        CPPUNIT_ASSERT_EQUAL(std::string("'mc-dash' is not a valid metric name"), refusal([&] { registry.gauge("mc-dash", "x"); }));
        CPPUNIT_ASSERT_EQUAL(std::string("metric mc_x: '__name' is not a valid label name"),
                             refusal([&] { registry.gauge("mc_x", "x", {"__name"}); }));
        CPPUNIT_ASSERT_EQUAL(std::string("metric mc_h: the label name 'le' is reserved for histogram buckets"),
                             refusal([&] { registry.histogram("mc_h", "x", {"le"}, {1}); }));
        CPPUNIT_ASSERT_EQUAL(std::string("metric mc_h2: histogram bounds must be non-empty and strictly ascending"),
                             refusal([&] { registry.histogram("mc_h2", "x", {}, {1, 1}); }));
        const auto snapshot = registry.snapshot();
        const auto& ok = family(snapshot, "mc_ok_total");
        CPPUNIT_ASSERT(ok.series.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("a metric series needs 1 label value(s), got 2"),
                             refusal([&] { registry.counter("mc_more_total", "x", {"server"}).labels({"a", "b"}); }));
    }

    void labelValueCapFoldsNewValuesPastTheLimit() {
        LabelValueCap cap(3);
        CPPUNIT_ASSERT_EQUAL(std::string("a"), cap.admit("s1", "a"));
        CPPUNIT_ASSERT_EQUAL(std::string("b"), cap.admit("s1", "b"));
        CPPUNIT_ASSERT_EQUAL(std::string("c"), cap.admit("s1", "c"));
        CPPUNIT_ASSERT_EQUAL(std::string("other"), cap.admit("s1", "d"));
        CPPUNIT_ASSERT_EQUAL(std::string("a"), cap.admit("s1", "a")); // admitted values keep their series
        CPPUNIT_ASSERT_EQUAL(std::string("d"), cap.admit("s2", "d")); // each group has its own budget
    }

    void gatewayToolSeriesAreCappedPerServer() {
        Broadcaster broadcaster;
        EventRouter events(broadcaster);
        PluginRegistry plugins;
        McpGateway gateway(GatewaySettings{}, plugins, events);
        Registry registry;
        GatewayMetrics metrics(registry, gateway);
        const std::size_t cap = GatewayMetrics::kMaxToolsPerServer;
        CPPUNIT_ASSERT_EQUAL(std::size_t(200), cap);
        for (std::size_t i = 0; i < cap + 50; ++i) metrics.recordCall("fs", "tool" + std::to_string(i), "ok", 0.001);
        metrics.recordCall("fs", "tool0", "ok", 0.002);                 // admitted before the cap: its own series
        metrics.recordCall("web", "fetch", "timeout", 0.5);              // another server: its own budget
        metrics.recordCall("nope", "anything", "unknown_mcp", 0);        // caller-made names fold
        metrics.recordCall("fs", "teleport", "unknown_tool", 0);
        metrics.recordCall("fs", "tool1", "permission_denied", 0);

        const auto all = registry.snapshot();
        const auto& calls = family(all, "mc_gateway_tool_calls_total");
        std::map<std::vector<std::string>, double> byLabels;
        for (const auto& s : calls.series) byLabels[s.labelValues] = s.value;
        std::size_t fsOkSeries = 0;
        for (const auto& [labels, value] : byLabels)
            if (labels[0] == "fs" && labels[2] == "ok") ++fsOkSeries;
        CPPUNIT_ASSERT_EQUAL(cap + 1, fsOkSeries); // 200 tools + "other"
        CPPUNIT_ASSERT_EQUAL(50.0, (byLabels[{"fs", "other", "ok"}]));
        CPPUNIT_ASSERT_EQUAL(2.0, (byLabels[{"fs", "tool0", "ok"}]));
        CPPUNIT_ASSERT_EQUAL(1.0, (byLabels[{"web", "fetch", "timeout"}]));
        CPPUNIT_ASSERT_EQUAL(1.0, (byLabels[{"other", "other", "unknown_mcp"}]));
        CPPUNIT_ASSERT_EQUAL(1.0, (byLabels[{"fs", "other", "unknown_tool"}]));
        CPPUNIT_ASSERT_EQUAL(1.0, (byLabels[{"fs", "tool1", "permission_denied"}]));
        CPPUNIT_ASSERT_EQUAL(cap + 5, calls.series.size());

        // Latency: only calls that were routed; the same cap.
        const auto& latency = family(all, "mc_gateway_tool_call_duration_seconds");
        CPPUNIT_ASSERT_EQUAL(cap + 2, latency.series.size()); // fs: 200 + other; web: fetch
        for (const auto& s : latency.series) {
            if (s.labelValues == std::vector<std::string>{"fs", "tool0"}) {
                CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), s.count);
                CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), s.buckets.at(1)); // 0.001 <= le 0.001
            }
            if (s.labelValues == std::vector<std::string>{"fs", "other"}) CPPUNIT_ASSERT_EQUAL(std::uint64_t(50), s.count);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetricsTest);
