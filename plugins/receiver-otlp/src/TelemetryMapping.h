#pragma once
// OTLP logs and spans -> Mission Control records (docs/otel.md, "Mapping"): agents' sessions become
// threads, their prompts and answers transcript messages, their model requests and tool calls steps,
// their permission decisions permission events and their MCP connections MCP status history; what has
// no such meaning is kept as a log record with every attribute, so nothing received is thrown away.
//
// Ids are derived from what the agent sent (session and event sequence, span id, or a hash of the
// record), so an exporter's retry writes nothing twice.
#include "mc/otlp/Otlp.h"
#include "mc/plugin_abi.h"

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mc::receiver_otlp {

struct FieldValue {
    enum class Type { Null, Int, Real, Text } type = Type::Null;
    std::int64_t integer = 0;
    double real = 0;
    std::string text; // Text; also JSON fields' text
    static FieldValue of(std::string text) { return {Type::Text, 0, 0, std::move(text)}; }
    static FieldValue of(std::int64_t n) { return {Type::Int, n, 0, {}}; }
    static FieldValue ofReal(double d) { return {Type::Real, 0, d, {}}; }
};

// One record of the catalog, its fields by JSON name.
struct MappedRecord {
    std::string kind;
    std::string id;
    std::vector<std::pair<std::string, FieldValue>> fields;
    static constexpr std::size_t kNoItem = static_cast<std::size_t>(-1);
    std::size_t item = kNoItem; // the log record or span (in request order) it came from; kNoItem: a thread
};

// One cumulative point the receiver remembered, and what it remembered before (to undo it).
struct RememberedPoint {
    std::string series;
    bool existed = false;
    std::uint64_t start = 0, previousStart = 0;
    double total = 0, previousTotal = 0;
};

struct Mapped {
    std::vector<MappedRecord> records;
    std::size_t items = 0; // log records, spans or metric data points in the request
    std::vector<RememberedPoint> remembered; // metrics: cumulative points remembered while mapping
};

// What the receiver remembers of each cumulative series (sums and histogram sums) to turn its
// running totals into increments: the series' start and its last total. Bounded: when full, the
// older half is forgotten (a forgotten series' next point counts whole, as a first point does).
// Thread-safe: requests are mapped on several workers at once.
class CumulativeSeries {
public:
    explicit CumulativeSeries(std::size_t capacity = 100000) : capacity_(capacity) {}
    // The increment since this series' previous point: `total` itself for the first point and after a
    // reset (a new start time, or a smaller total). Remembers the point, noting it in `journal`.
    double advance(const std::string& series, std::uint64_t startUnixNano, double total, std::vector<RememberedPoint>& journal);
    // Forgets what advance() remembered for points that were not stored (the sender retries them),
    // unless a later point of the series came meanwhile.
    void undo(const std::vector<RememberedPoint>& journal);
    std::size_t size() const;

private:
    struct Last {
        std::uint64_t start = 0;
        double total = 0;
        std::uint64_t order = 0;
    };
    mutable std::mutex mutex_;
    std::size_t capacity_;
    std::uint64_t clock_ = 0;
    std::unordered_map<std::string, Last> series_;
};

Mapped mapLogs(const otlp::LogsRequest& request);
Mapped mapTraces(const otlp::TracesRequest& request);

// Metric data points, each kept (kind metric) with what it added (`increment`); Claude Code's and the
// GenAI conventions' token and cost counters are marked with their `usage` so the host adds them up
// per thread and per agent. A point with a session (session.id, gen_ai.conversation.id) names its thread.
Mapped mapMetrics(const otlp::MetricsRequest& request, CumulativeSeries& cumulative);

// Who the host authenticated for the request ("ingest:<source>" for an ingest key, a JWT subject) goes
// into each thread's execution_context as "sent_by"; nothing when empty (auth off).
void noteSender(Mapped& mapped, std::string_view principal);

// mc_record views of mapped records, values in the catalog's field order. Borrows from `records`.
struct AbiBatch {
    std::vector<mc_record> records;
    std::vector<std::vector<mc_value>> values;
    std::vector<std::vector<std::uint8_t>> present;
};
// Throws std::logic_error for a kind or field the catalog does not have (a bug of the mapping).
AbiBatch toAbi(const std::vector<MappedRecord>& records);

} // namespace mc::receiver_otlp
