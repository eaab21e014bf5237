// OTLP/JSON: proto3's JSON mapping with OTLP's rules. Field names in lowerCamelCase (the original
// snake_case names are accepted as well: proto3 JSON parsers do), trace and span ids as hex, enums
// as integers, 64-bit integers as strings or numbers, bytes values as base64, unknown fields ignored.
#include "mc/otlp/Otlp.h"

#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cctype>
#include <cmath>
#include <limits>
#include <sstream>

namespace mc::otlp {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using Var = Poco::Dynamic::Var;

[[noreturn]] void fail(const std::string& path, const std::string& reason) { throw DecodeError(path + ": " + reason); }

// The member `camel` (or its snake_case twin), or an empty Var.
Var member(const Object& o, const char* camel, const char* snake = nullptr) {
    if (o.has(camel)) return o.get(camel);
    if (snake && o.has(snake)) return o.get(snake);
    return Var();
}

Object::Ptr object(const Var& v, const std::string& path) {
    if (v.isEmpty()) return nullptr;
    if (v.type() != typeid(Object::Ptr)) fail(path, "expected an object");
    return v.extract<Object::Ptr>();
}

Array::Ptr array(const Var& v, const std::string& path) {
    if (v.isEmpty()) return nullptr;
    if (v.type() != typeid(Array::Ptr)) fail(path, "expected an array");
    return v.extract<Array::Ptr>();
}

std::string text(const Var& v, const std::string& path) {
    if (v.isEmpty()) return {};
    if (!v.isString()) fail(path, "expected a string");
    return v.extract<std::string>();
}

// An integer given as a JSON number or a decimal string, within [min, max].
template <class T>
T integer(const Var& v, const std::string& path) {
    if (v.isEmpty()) return 0;
    long double value = 0;
    if (v.isString()) {
        const std::string s = v.extract<std::string>();
        std::size_t used = 0;
        try {
            if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) throw std::invalid_argument("empty");
            if constexpr (std::is_signed_v<T>) {
                const long long n = std::stoll(s, &used);
                if (used != s.size()) throw std::invalid_argument("trailing");
                value = static_cast<long double>(n);
            } else {
                if (s[0] == '-') throw std::invalid_argument("negative");
                const unsigned long long n = std::stoull(s, &used);
                if (used != s.size()) throw std::invalid_argument("trailing");
                if (n > std::numeric_limits<T>::max()) throw std::out_of_range("range");
                return static_cast<T>(n);
            }
        } catch (const std::exception&) {
            fail(path, "'" + s + "' is not an integer of this field's range");
        }
    } else if (v.isInteger() || v.isNumeric()) {
        if (v.isInteger()) {
            if (v.isSigned()) value = static_cast<long double>(v.convert<Poco::Int64>());
            else value = static_cast<long double>(v.convert<Poco::UInt64>());
        } else {
            const double d = v.convert<double>();
            if (!std::isfinite(d) || d != std::floor(d)) fail(path, "expected an integer");
            value = d;
        }
    } else {
        fail(path, "expected an integer (a number or a decimal string)");
    }
    if (value < static_cast<long double>(std::numeric_limits<T>::min()) || value > static_cast<long double>(std::numeric_limits<T>::max()))
        fail(path, "integer out of range");
    return static_cast<T>(value);
}

double real(const Var& v, const std::string& path) {
    if (v.isEmpty()) return 0;
    if (v.isString()) {
        const std::string s = v.extract<std::string>();
        if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
        if (s == "Infinity") return std::numeric_limits<double>::infinity();
        if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
        try {
            std::size_t used = 0;
            const double d = std::stod(s, &used);
            if (used == s.size()) return d;
        } catch (const std::exception&) {
        }
        fail(path, "'" + s + "' is not a number");
    }
    if (!v.isNumeric()) fail(path, "expected a number");
    return v.convert<double>();
}

// A hex id of `bytes` bytes (case-insensitive), returned lower-case; empty allowed.
std::string hexId(const Var& v, std::size_t bytes, const std::string& path) {
    std::string s = text(v, path);
    if (s.empty()) return s;
    if (s.size() != bytes * 2) fail(path, "expected " + std::to_string(bytes * 2) + " hex digits, got " + std::to_string(s.size()) + " characters");
    for (char& c : s) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) fail(path, "'" + s + "' is not hex");
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

std::string fromBase64(const std::string& encoded, const std::string& path) {
    std::istringstream in(encoded);
    Poco::Base64Decoder decoder(in);
    std::string out;
    char c;
    while (decoder.get(c)) out += c;
    if (decoder.bad()) fail(path, "bytesValue is not base64");
    return out;
}

AnyValue anyValue(const Var& v, const std::string& path, int depth);

KeyValues keyValues(const Var& v, const std::string& path, int depth) {
    KeyValues out;
    auto list = array(v, path);
    if (!list) return out;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string at = path + "[" + std::to_string(i) + "]";
        auto kv = object(list->get(static_cast<unsigned>(i)), at);
        if (!kv) fail(at, "expected an object");
        const std::string key = text(member(*kv, "key"), at + ".key");
        out.emplace_back(key, anyValue(member(*kv, "value"), path + "." + key, depth));
    }
    return out;
}

AnyValue anyValue(const Var& v, const std::string& path, int depth) {
    if (depth > kMaxValueDepth) fail(path, "values nest deeper than " + std::to_string(kMaxValueDepth) + " levels");
    AnyValue out;
    auto o = object(v, path);
    if (!o) return out;
    if (o->has("stringValue") || o->has("string_value")) {
        out.type = AnyValue::Type::String;
        out.text = text(member(*o, "stringValue", "string_value"), path);
    } else if (o->has("boolValue") || o->has("bool_value")) {
        const Var b = member(*o, "boolValue", "bool_value");
        if (!b.isBoolean()) fail(path, "boolValue must be true or false");
        out.type = AnyValue::Type::Bool;
        out.boolean = b.extract<bool>();
    } else if (o->has("intValue") || o->has("int_value")) {
        out.type = AnyValue::Type::Int;
        out.integer = integer<std::int64_t>(member(*o, "intValue", "int_value"), path);
    } else if (o->has("doubleValue") || o->has("double_value")) {
        out.type = AnyValue::Type::Double;
        out.real = real(member(*o, "doubleValue", "double_value"), path);
    } else if (o->has("arrayValue") || o->has("array_value")) {
        out.type = AnyValue::Type::Array;
        if (auto a = object(member(*o, "arrayValue", "array_value"), path))
            if (auto values = array(member(*a, "values"), path))
                for (std::size_t i = 0; i < values->size(); ++i)
                    out.array.push_back(anyValue(values->get(static_cast<unsigned>(i)), path + "[" + std::to_string(i) + "]", depth + 1));
    } else if (o->has("kvlistValue") || o->has("kvlist_value")) {
        out.type = AnyValue::Type::KeyValueList;
        if (auto l = object(member(*o, "kvlistValue", "kvlist_value"), path)) out.kvlist = keyValues(member(*l, "values"), path, depth + 1);
    } else if (o->has("bytesValue") || o->has("bytes_value")) {
        out.type = AnyValue::Type::Bytes;
        out.text = fromBase64(text(member(*o, "bytesValue", "bytes_value"), path), path);
    }
    return out;
}

Scope scope(const Var& v, const std::string& path) {
    Scope s;
    auto o = object(v, path);
    if (!o) return s;
    s.name = text(member(*o, "name"), path + ".name");
    s.version = text(member(*o, "version"), path + ".version");
    s.attributes = keyValues(member(*o, "attributes"), path + ".attributes", 0);
    return s;
}

KeyValues resource(const Var& v, const std::string& path) {
    auto o = object(v, path);
    return o ? keyValues(member(*o, "attributes"), path + ".attributes", 0) : KeyValues{};
}

Object::Ptr root(std::string_view text, const char* what) {
    Var parsed;
    try {
        Poco::JSON::Parser parser;
        parsed = parser.parse(std::string(text));
    } catch (const Poco::Exception& e) {
        throw DecodeError(std::string(what) + ": not valid JSON: " + e.displayText());
    }
    auto o = object(parsed, what);
    if (!o) fail(what, "expected an object");
    return o;
}

// Calls each(element object, its path) for the objects of an array member.
template <class Each>
void forEach(const Object& o, const char* camel, const char* snake, const std::string& path, Each each) {
    auto list = array(member(o, camel, snake), path + "." + camel);
    if (!list) return;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string at = path + "." + camel + "[" + std::to_string(i) + "]";
        auto element = object(list->get(static_cast<unsigned>(i)), at);
        if (!element) fail(at, "expected an object");
        each(*element, at);
    }
}

} // namespace

LogsRequest decodeLogsJson(std::string_view json) {
    LogsRequest request;
    const auto top = root(json, "ExportLogsServiceRequest");
    forEach(*top, "resourceLogs", "resource_logs", "ExportLogsServiceRequest", [&](const Object& r, const std::string& rpath) {
        ResourceLogs resourceLogs;
        resourceLogs.resource = resource(member(r, "resource"), rpath + ".resource");
        forEach(r, "scopeLogs", "scope_logs", rpath, [&](const Object& s, const std::string& spath) {
            ScopeLogs scopeLogs;
            scopeLogs.scope = scope(member(s, "scope"), spath + ".scope");
            forEach(s, "logRecords", "log_records", spath, [&](const Object& l, const std::string& lpath) {
                LogRecord log;
                log.timeUnixNano = integer<std::uint64_t>(member(l, "timeUnixNano", "time_unix_nano"), lpath + ".timeUnixNano");
                log.observedTimeUnixNano =
                    integer<std::uint64_t>(member(l, "observedTimeUnixNano", "observed_time_unix_nano"), lpath + ".observedTimeUnixNano");
                log.severityNumber = integer<std::int32_t>(member(l, "severityNumber", "severity_number"), lpath + ".severityNumber");
                log.severityText = text(member(l, "severityText", "severity_text"), lpath + ".severityText");
                log.body = anyValue(member(l, "body"), lpath + ".body", 0);
                log.attributes = keyValues(member(l, "attributes"), lpath + ".attributes", 0);
                log.flags = integer<std::uint32_t>(member(l, "flags"), lpath + ".flags");
                log.traceId = hexId(member(l, "traceId", "trace_id"), 16, lpath + ".traceId");
                log.spanId = hexId(member(l, "spanId", "span_id"), 8, lpath + ".spanId");
                log.eventName = text(member(l, "eventName", "event_name"), lpath + ".eventName");
                scopeLogs.records.push_back(std::move(log));
            });
            resourceLogs.scopes.push_back(std::move(scopeLogs));
        });
        request.resources.push_back(std::move(resourceLogs));
    });
    return request;
}

TracesRequest decodeTracesJson(std::string_view json) {
    TracesRequest request;
    const auto top = root(json, "ExportTraceServiceRequest");
    forEach(*top, "resourceSpans", "resource_spans", "ExportTraceServiceRequest", [&](const Object& r, const std::string& rpath) {
        ResourceSpans resourceSpans;
        resourceSpans.resource = resource(member(r, "resource"), rpath + ".resource");
        forEach(r, "scopeSpans", "scope_spans", rpath, [&](const Object& s, const std::string& spath) {
            ScopeSpans scopeSpans;
            scopeSpans.scope = scope(member(s, "scope"), spath + ".scope");
            forEach(s, "spans", "spans", spath, [&](const Object& o, const std::string& path) {
                Span span;
                span.traceId = hexId(member(o, "traceId", "trace_id"), 16, path + ".traceId");
                span.spanId = hexId(member(o, "spanId", "span_id"), 8, path + ".spanId");
                if (span.traceId.empty() || span.spanId.empty()) fail(path, "a span needs a traceId and a spanId");
                span.parentSpanId = hexId(member(o, "parentSpanId", "parent_span_id"), 8, path + ".parentSpanId");
                span.traceState = text(member(o, "traceState", "trace_state"), path + ".traceState");
                span.name = text(member(o, "name"), path + ".name");
                span.kind = integer<std::int32_t>(member(o, "kind"), path + ".kind");
                span.startTimeUnixNano = integer<std::uint64_t>(member(o, "startTimeUnixNano", "start_time_unix_nano"), path + ".startTimeUnixNano");
                span.endTimeUnixNano = integer<std::uint64_t>(member(o, "endTimeUnixNano", "end_time_unix_nano"), path + ".endTimeUnixNano");
                span.attributes = keyValues(member(o, "attributes"), path + ".attributes", 0);
                span.flags = integer<std::uint32_t>(member(o, "flags"), path + ".flags");
                forEach(o, "events", "events", path, [&](const Object& e, const std::string& epath) {
                    SpanEvent event;
                    event.timeUnixNano = integer<std::uint64_t>(member(e, "timeUnixNano", "time_unix_nano"), epath + ".timeUnixNano");
                    event.name = text(member(e, "name"), epath + ".name");
                    event.attributes = keyValues(member(e, "attributes"), epath + ".attributes", 0);
                    span.events.push_back(std::move(event));
                });
                if (auto status = object(member(o, "status"), path + ".status")) {
                    span.statusCode = integer<std::int32_t>(member(*status, "code"), path + ".status.code");
                    span.statusMessage = text(member(*status, "message"), path + ".status.message");
                }
                scopeSpans.spans.push_back(std::move(span));
            });
            resourceSpans.scopes.push_back(std::move(scopeSpans));
        });
        request.resources.push_back(std::move(resourceSpans));
    });
    return request;
}

namespace {

Metric::Temporality temporality(const Var& v, const std::string& path) {
    if (v.isString()) {
        const std::string name = v.extract<std::string>();
        if (name == "AGGREGATION_TEMPORALITY_DELTA") return Metric::Temporality::Delta;
        if (name == "AGGREGATION_TEMPORALITY_CUMULATIVE") return Metric::Temporality::Cumulative;
        if (name == "AGGREGATION_TEMPORALITY_UNSPECIFIED") return Metric::Temporality::Unspecified;
    }
    const auto n = integer<std::int32_t>(v, path);
    return n == 1 ? Metric::Temporality::Delta : n == 2 ? Metric::Temporality::Cumulative : Metric::Temporality::Unspecified;
}

MetricPoint point(const Object& o, const std::string& path, Metric::Type type) {
    MetricPoint p;
    p.attributes = keyValues(member(o, "attributes"), path + ".attributes", 0);
    p.startTimeUnixNano = integer<std::uint64_t>(member(o, "startTimeUnixNano", "start_time_unix_nano"), path + ".startTimeUnixNano");
    p.timeUnixNano = integer<std::uint64_t>(member(o, "timeUnixNano", "time_unix_nano"), path + ".timeUnixNano");
    p.flags = integer<std::uint32_t>(member(o, "flags"), path + ".flags");
    if (type == Metric::Type::Gauge || type == Metric::Type::Sum) {
        if (const Var i = member(o, "asInt", "as_int"); !i.isEmpty()) {
            p.value = static_cast<double>(integer<std::int64_t>(i, path + ".asInt"));
            p.isInt = true;
        } else {
            p.value = real(member(o, "asDouble", "as_double"), path + ".asDouble");
        }
        return p;
    }
    p.count = integer<std::uint64_t>(member(o, "count"), path + ".count");
    if (const Var sum = member(o, "sum"); !sum.isEmpty()) {
        p.sum = real(sum, path + ".sum");
        p.hasSum = true;
    }
    if (type == Metric::Type::Summary) return p;
    if (const Var min = member(o, "min"); !min.isEmpty()) {
        p.min = real(min, path + ".min");
        p.hasMin = true;
    }
    if (const Var max = member(o, "max"); !max.isEmpty()) {
        p.max = real(max, path + ".max");
        p.hasMax = true;
    }
    if (type != Metric::Type::Histogram) return p;
    if (auto counts = array(member(o, "bucketCounts", "bucket_counts"), path + ".bucketCounts"))
        for (std::size_t i = 0; i < counts->size(); ++i)
            p.bucketCounts.push_back(integer<std::uint64_t>(counts->get(static_cast<unsigned>(i)), path + ".bucketCounts[" + std::to_string(i) + "]"));
    if (auto bounds = array(member(o, "explicitBounds", "explicit_bounds"), path + ".explicitBounds"))
        for (std::size_t i = 0; i < bounds->size(); ++i)
            p.explicitBounds.push_back(real(bounds->get(static_cast<unsigned>(i)), path + ".explicitBounds[" + std::to_string(i) + "]"));
    if (!p.bucketCounts.empty() && p.bucketCounts.size() != p.explicitBounds.size() + 1)
        fail(path, "a histogram point has " + std::to_string(p.bucketCounts.size()) + " bucket counts for " +
                       std::to_string(p.explicitBounds.size()) + " bounds (expected one more count than bounds)");
    return p;
}

Metric metric(const Object& o, const std::string& path) {
    Metric m;
    m.name = text(member(o, "name"), path + ".name");
    if (m.name.empty()) fail(path, "a metric needs a name");
    m.description = text(member(o, "description"), path + ".description");
    m.unit = text(member(o, "unit"), path + ".unit");
    struct Shape {
        const char* camel;
        const char* snake;
        Metric::Type type;
    };
    static const Shape shapes[] = {{"gauge", "gauge", Metric::Type::Gauge},
                                   {"sum", "sum", Metric::Type::Sum},
                                   {"histogram", "histogram", Metric::Type::Histogram},
                                   {"exponentialHistogram", "exponential_histogram", Metric::Type::ExponentialHistogram},
                                   {"summary", "summary", Metric::Type::Summary}};
    for (const auto& shape : shapes) {
        auto data = object(member(o, shape.camel, shape.snake), path + "." + shape.camel);
        if (!data) continue;
        m.type = shape.type;
        const std::string dpath = path + "." + shape.camel;
        m.temporality = temporality(member(*data, "aggregationTemporality", "aggregation_temporality"), dpath + ".aggregationTemporality");
        if (const Var monotonic = member(*data, "isMonotonic", "is_monotonic"); !monotonic.isEmpty()) {
            if (!monotonic.isBoolean()) fail(dpath + ".isMonotonic", "must be true or false");
            m.monotonic = monotonic.extract<bool>();
        }
        forEach(*data, "dataPoints", "data_points", dpath, [&](const Object& p, const std::string& ppath) {
            m.points.push_back(point(p, ppath, shape.type));
        });
        break;
    }
    return m;
}

} // namespace

MetricsRequest decodeMetricsJson(std::string_view json) {
    MetricsRequest request;
    const auto top = root(json, "ExportMetricsServiceRequest");
    forEach(*top, "resourceMetrics", "resource_metrics", "ExportMetricsServiceRequest", [&](const Object& r, const std::string& rpath) {
        ResourceMetrics resourceMetrics;
        resourceMetrics.resource = resource(member(r, "resource"), rpath + ".resource");
        forEach(r, "scopeMetrics", "scope_metrics", rpath, [&](const Object& s, const std::string& spath) {
            ScopeMetrics scopeMetrics;
            scopeMetrics.scope = scope(member(s, "scope"), spath + ".scope");
            forEach(s, "metrics", "metrics", spath, [&](const Object& m, const std::string& mpath) {
                scopeMetrics.metrics.push_back(metric(m, mpath));
            });
            resourceMetrics.scopes.push_back(std::move(scopeMetrics));
        });
        request.resources.push_back(std::move(resourceMetrics));
    });
    return request;
}

} // namespace mc::otlp
