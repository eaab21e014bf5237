#pragma once
// OTLP export requests (opentelemetry-proto: collector/logs/v1, collector/trace/v1) as one model,
// decoded from either encoding of OTLP/HTTP: `application/x-protobuf` (proto3 binary) and
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

// ExportLogsServiceRequest / ExportTraceServiceRequest. Throw DecodeError.
LogsRequest decodeLogsProtobuf(std::string_view bytes);
LogsRequest decodeLogsJson(std::string_view text);
TracesRequest decodeTracesProtobuf(std::string_view bytes);
TracesRequest decodeTracesJson(std::string_view text);

// Lower-case hex of raw bytes.
std::string toHex(std::string_view bytes);

} // namespace mc::otlp
