#pragma once
// OTLP export requests (opentelemetry-proto: collector/logs/v1, trace/v1, metrics/v1) as one model,
// encoded (traces, for the host's own export) and decoded from either encoding of OTLP/HTTP: `application/x-protobuf` (proto3 binary) and
// `application/json` (proto3 JSON with OTLP's rules: hex trace and span ids, integer enums,
// lowerCamelCase names, 64-bit integers as strings or numbers, unknown fields ignored).
//
// What a decoder refuses it refuses whole, with DecodeError naming where: the receiver answers 400
// (the client must not retry). Fields this model has no use for are skipped, as unknown ones are.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mc::otlp {

// Nesting of arrays and key-value lists inside one value, at most.
inline constexpr int kMaxValueDepth = 32;

class DecodeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct AnyValue;
using KeyValues = std::vector<std::pair<std::string, AnyValue>>;

struct AnyValue {
    enum class Type { Empty, String, Bool, Int, Double, Array, KeyValueList, Bytes };
    Type type = Type::Empty;
    std::string text; // String; Bytes (raw bytes)
    bool boolean = false;
    std::int64_t integer = 0;
    double real = 0;
    std::vector<AnyValue> array;
    KeyValues kvlist;

    // The value as an attribute reads best as text: a string as it is, a number or boolean in JSON
    // form, an array or list as JSON, bytes as base64; "" when empty.
    std::string toText() const;
    // The value as JSON (a string quoted, bytes as a base64 string, Empty as null).
    std::string toJson() const;
};

// The first value of `key` among `attributes`, or nullptr.
const AnyValue* find(const KeyValues& attributes, std::string_view key);

struct Scope {
    std::string name;
    std::string version;
    KeyValues attributes;
};

struct LogRecord {
    std::uint64_t timeUnixNano = 0; // 0: unknown
    std::uint64_t observedTimeUnixNano = 0;
    std::int32_t severityNumber = 0; // 1-4 TRACE, 5-8 DEBUG, 9-12 INFO, 13-16 WARN, 17-20 ERROR, 21-24 FATAL
    std::string severityText;
    AnyValue body;
    KeyValues attributes;
    std::uint32_t flags = 0;
    std::string traceId; // lower-case hex, 32 digits, or empty
    std::string spanId;  // lower-case hex, 16 digits, or empty
    std::string eventName;
};

struct ScopeLogs {
    Scope scope;
    std::vector<LogRecord> records;
};

struct ResourceLogs {
    KeyValues resource;
    std::vector<ScopeLogs> scopes;
};

struct LogsRequest {
    std::vector<ResourceLogs> resources;
    std::size_t recordCount() const;
};

struct SpanEvent {
    std::uint64_t timeUnixNano = 0;
    std::string name;
    KeyValues attributes;
};

struct Span {
    std::string traceId; // lower-case hex, 32 digits
    std::string spanId;  // lower-case hex, 16 digits
    std::string parentSpanId; // empty for a root span
    std::string traceState;
    std::string name;
    std::int32_t kind = 0; // 1 INTERNAL, 2 SERVER, 3 CLIENT, 4 PRODUCER, 5 CONSUMER
    std::uint64_t startTimeUnixNano = 0;
    std::uint64_t endTimeUnixNano = 0;
    KeyValues attributes;
    std::vector<SpanEvent> events;
    std::int32_t statusCode = 0; // 0 UNSET, 1 OK, 2 ERROR
    std::string statusMessage;
    std::uint32_t flags = 0;
};

struct ScopeSpans {
    Scope scope;
    std::vector<Span> spans;
};

struct ResourceSpans {
    KeyValues resource;
    std::vector<ScopeSpans> scopes;
};

struct TracesRequest {
    std::vector<ResourceSpans> resources;
    std::size_t spanCount() const;
};

// One point of a metric. Gauge and Sum points carry `value` (as_double or as_int, which `isInt`
// tells); Histogram, ExponentialHistogram and Summary points carry count and sum (and min/max when
// the sender measured them); only Histogram points carry explicit buckets (bounds and counts; an
// exponential histogram's buckets and a summary's quantiles are not kept).
struct MetricPoint {
    KeyValues attributes;
    std::uint64_t startTimeUnixNano = 0;
    std::uint64_t timeUnixNano = 0;
    double value = 0;
    bool isInt = false;
    std::uint64_t count = 0;
    bool hasSum = false, hasMin = false, hasMax = false;
    double sum = 0, min = 0, max = 0;
    std::vector<double> explicitBounds;
    std::vector<std::uint64_t> bucketCounts;
    std::uint32_t flags = 0;
};

struct Metric {
    enum class Type { Empty, Gauge, Sum, Histogram, ExponentialHistogram, Summary };
    enum class Temporality { Unspecified = 0, Delta = 1, Cumulative = 2 };
    std::string name;
    std::string description;
    std::string unit;
    Type type = Type::Empty;
    Temporality temporality = Temporality::Unspecified;
    bool monotonic = false;
    std::vector<MetricPoint> points;
};

struct ScopeMetrics {
    Scope scope;
    std::vector<Metric> metrics;
};

struct ResourceMetrics {
    KeyValues resource;
    std::vector<ScopeMetrics> scopes;
};

struct MetricsRequest {
    std::vector<ResourceMetrics> resources;
    std::size_t pointCount() const; // data points, what OTLP's partial_success counts
};

// ExportLogsServiceRequest / ExportTraceServiceRequest / ExportMetricsServiceRequest. Throw DecodeError.
LogsRequest decodeLogsProtobuf(std::string_view bytes);
LogsRequest decodeLogsJson(std::string_view text);
TracesRequest decodeTracesProtobuf(std::string_view bytes);
TracesRequest decodeTracesJson(std::string_view text);
MetricsRequest decodeMetricsProtobuf(std::string_view bytes);
MetricsRequest decodeMetricsJson(std::string_view text);

// Lower-case hex of raw bytes, and back (std::invalid_argument on a digit that is not hex or an odd count).
std::string toHex(std::string_view bytes);
std::string fromHex(std::string_view hex);

// The other direction, for the host's own export: ExportTraceServiceRequest in either encoding.
// Trace and span ids must be hex of 32 and 16 digits (a root span's parent empty):
// std::invalid_argument otherwise. Times and enums are written as the decoders above read them.
std::string encodeTracesProtobuf(const TracesRequest& request);
std::string encodeTracesJson(const TracesRequest& request);

// What a collector's ExportTraceServiceResponse says it did not take (0 and "" for a full success;
// an empty body is one). DecodeError when the body is not a response in that encoding.
struct PartialSuccess {
    std::int64_t rejected = 0;
    std::string message;
};
PartialSuccess decodeTracesResponse(std::string_view body, bool json);

} // namespace mc::otlp
