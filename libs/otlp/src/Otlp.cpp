#include "mc/otlp/Otlp.h"

#include "ProtoReader.h"
#include "TextForms.h"

#include <Poco/Base64Encoder.h>
#include <Poco/JSONString.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <type_traits>
#include <sstream>

#include "mc/json_text.hpp"

namespace mc::otlp {

using detail::ProtoReader;
using detail::base64;
using detail::number;

namespace {

// Valid UTF-8 always (other bytes become U+FFFD): the text is stored and re-read as JSON, and OTLP
// senders do not all check that their strings are UTF-8.
void appendQuoted(std::string& out, std::string_view s) {
    out += '"';
    mc::sdk::json::appendEscaped(out, s);
    out += '"';
}

void appendJson(std::string& out, const AnyValue& v) {
    switch (v.type) {
    case AnyValue::Type::Empty: out += "null"; return;
    case AnyValue::Type::String: appendQuoted(out, v.text); return;
    case AnyValue::Type::Bool: out += v.boolean ? "true" : "false"; return;
    case AnyValue::Type::Int: out += std::to_string(v.integer); return;
    case AnyValue::Type::Double: out += number(v.real); return;
    case AnyValue::Type::Bytes: appendQuoted(out, base64(v.text)); return;
    case AnyValue::Type::Array:
        out += '[';
        for (std::size_t i = 0; i < v.array.size(); ++i) {
            if (i) out += ',';
            appendJson(out, v.array[i]);
        }
        out += ']';
        return;
    case AnyValue::Type::KeyValueList:
        out += '{';
        for (std::size_t i = 0; i < v.kvlist.size(); ++i) {
            if (i) out += ',';
            appendQuoted(out, v.kvlist[i].first);
            out += ':';
            appendJson(out, v.kvlist[i].second);
        }
        out += '}';
        return;
    }
}

// ---- protobuf ----------------------------------------------------------------------------------

AnyValue readAnyValue(std::string_view bytes, const std::string& path, int depth);

KeyValues::value_type readKeyValue(std::string_view bytes, const std::string& path, int depth) {
    ProtoReader r(bytes, path);
    KeyValues::value_type kv;
    while (r.next()) {
        switch (r.field()) {
        case 1: kv.first = std::string(r.bytes()); break;
        case 2: kv.second = readAnyValue(r.bytes(), path + "." + (kv.first.empty() ? std::string("value") : kv.first), depth); break;
        default: r.skip();
        }
    }
    return kv;
}

AnyValue readAnyValue(std::string_view bytes, const std::string& path, int depth) {
    if (depth > kMaxValueDepth) throw DecodeError(path + ": values nest deeper than " + std::to_string(kMaxValueDepth) + " levels");
    ProtoReader r(bytes, path);
    AnyValue v;
    while (r.next()) {
        switch (r.field()) {
        case 1: v = AnyValue{}; v.type = AnyValue::Type::String; v.text = std::string(r.bytes()); break;
        case 2: v = AnyValue{}; v.type = AnyValue::Type::Bool; v.boolean = r.varint() != 0; break;
        case 3: v = AnyValue{}; v.type = AnyValue::Type::Int; v.integer = static_cast<std::int64_t>(r.varint()); break;
        case 4: v = AnyValue{}; v.type = AnyValue::Type::Double; v.real = r.real(); break;
        case 5: {
            v = AnyValue{};
            v.type = AnyValue::Type::Array;
            ProtoReader items(r.bytes(), path);
            while (items.next()) {
                if (items.field() == 1) v.array.push_back(readAnyValue(items.bytes(), path + "[" + std::to_string(v.array.size()) + "]", depth + 1));
                else items.skip();
            }
            break;
        }
        case 6: {
            v = AnyValue{};
            v.type = AnyValue::Type::KeyValueList;
            ProtoReader items(r.bytes(), path);
            while (items.next()) {
                if (items.field() == 1) v.kvlist.push_back(readKeyValue(items.bytes(), path, depth + 1));
                else items.skip();
            }
            break;
        }
        case 7: v = AnyValue{}; v.type = AnyValue::Type::Bytes; v.text = std::string(r.bytes()); break;
        default: r.skip(); // string_value_strindex (profiles only) and anything newer
        }
    }
    return v;
}

void readAttribute(ProtoReader& r, KeyValues& into) {
    into.push_back(readKeyValue(r.bytes(), r.path() + ".attributes", 0));
}

KeyValues readResource(std::string_view bytes, const std::string& path) {
    ProtoReader r(bytes, path);
    KeyValues attributes;
    while (r.next()) {
        if (r.field() == 1) readAttribute(r, attributes);
        else r.skip();
    }
    return attributes;
}

Scope readScope(std::string_view bytes, const std::string& path) {
    ProtoReader r(bytes, path);
    Scope scope;
    while (r.next()) {
        switch (r.field()) {
        case 1: scope.name = std::string(r.bytes()); break;
        case 2: scope.version = std::string(r.bytes()); break;
        case 3: readAttribute(r, scope.attributes); break;
        default: r.skip();
        }
    }
    return scope;
}

LogRecord readLogRecord(std::string_view bytes, const std::string& path) {
    ProtoReader r(bytes, path);
    LogRecord log;
    while (r.next()) {
        switch (r.field()) {
        case 1: log.timeUnixNano = r.fixed64(); break;
        case 11: log.observedTimeUnixNano = r.fixed64(); break;
        case 2: log.severityNumber = static_cast<std::int32_t>(r.varint()); break;
        case 3: log.severityText = std::string(r.bytes()); break;
        case 5: log.body = readAnyValue(r.bytes(), path + ".body", 0); break;
        case 6: readAttribute(r, log.attributes); break;
        case 8: log.flags = r.fixed32(); break;
        case 9: log.traceId = toHex(r.fixedBytes(16, "trace_id")); break;
        case 10: log.spanId = toHex(r.fixedBytes(8, "span_id")); break;
        case 12: log.eventName = std::string(r.bytes()); break;
        default: r.skip();
        }
    }
    return log;
}

SpanEvent readSpanEvent(std::string_view bytes, const std::string& path) {
    ProtoReader r(bytes, path);
    SpanEvent e;
    while (r.next()) {
        switch (r.field()) {
        case 1: e.timeUnixNano = r.fixed64(); break;
        case 2: e.name = std::string(r.bytes()); break;
        case 3: readAttribute(r, e.attributes); break;
        default: r.skip();
        }
    }
    return e;
}

Span readSpan(std::string_view bytes, const std::string& path) {
    ProtoReader r(bytes, path);
    Span span;
    while (r.next()) {
        switch (r.field()) {
        case 1: span.traceId = toHex(r.fixedBytes(16, "trace_id")); break;
        case 2: span.spanId = toHex(r.fixedBytes(8, "span_id")); break;
        case 3: span.traceState = std::string(r.bytes()); break;
        case 4: span.parentSpanId = toHex(r.fixedBytes(8, "parent_span_id")); break;
        case 5: span.name = std::string(r.bytes()); break;
        case 6: span.kind = static_cast<std::int32_t>(r.varint()); break;
        case 7: span.startTimeUnixNano = r.fixed64(); break;
        case 8: span.endTimeUnixNano = r.fixed64(); break;
        case 9: readAttribute(r, span.attributes); break;
        case 11: span.events.push_back(readSpanEvent(r.bytes(), path + ".events[" + std::to_string(span.events.size()) + "]")); break;
        case 15: {
            ProtoReader status(r.bytes(), path + ".status");
            while (status.next()) {
                if (status.field() == 2) span.statusMessage = std::string(status.bytes());
                else if (status.field() == 3) span.statusCode = static_cast<std::int32_t>(status.varint());
                else status.skip();
            }
            break;
        }
        case 16: span.flags = r.fixed32(); break;
        default: r.skip();
        }
    }
    if (span.traceId.empty() || span.spanId.empty()) r.fail("a span needs a trace_id and a span_id");
    return span;
}

// A repeated fixed64 or double: packed (one LEN field) or, as proto3 parsers must also accept, one
// I64 field per element.
template <class T>
void readRepeated64(ProtoReader& r, std::vector<T>& into, const char* what) {
    const auto take = [&into](std::uint64_t bits) {
        if constexpr (std::is_same_v<T, double>) {
            double d;
            std::memcpy(&d, &bits, sizeof d);
            into.push_back(d);
        } else {
            into.push_back(bits);
        }
    };
    if (r.wire() == detail::Wire::I64) return take(r.fixed64());
    const std::string_view packed = r.bytes();
    if (packed.size() % 8 != 0) r.fail(std::string(what) + " is " + std::to_string(packed.size()) + " bytes, not a multiple of 8");
    for (std::size_t at = 0; at < packed.size(); at += 8) {
        std::uint64_t bits = 0;
        for (int i = 7; i >= 0; --i) bits = (bits << 8) | static_cast<std::uint8_t>(packed[at + static_cast<std::size_t>(i)]);
        take(bits);
    }
}

double signedFixed64AsDouble(std::uint64_t bits, bool& isInt) {
    isInt = true;
    return static_cast<double>(static_cast<std::int64_t>(bits));
}

// NumberDataPoint (gauge, sum), HistogramDataPoint, ExponentialHistogramDataPoint, SummaryDataPoint:
// the field numbers differ per message; `type` says which one `bytes` holds.
MetricPoint readPoint(std::string_view bytes, const std::string& path, Metric::Type type) {
    ProtoReader r(bytes, path);
    MetricPoint p;
    const bool number = type == Metric::Type::Gauge || type == Metric::Type::Sum;
    const bool exponential = type == Metric::Type::ExponentialHistogram;
    const std::uint32_t attributesField = number || type == Metric::Type::Summary ? 7 : exponential ? 1 : 9;
    const std::uint32_t minField = exponential ? 12 : 11, maxField = exponential ? 13 : 12;
    while (r.next()) {
        const std::uint32_t f = r.field();
        if (f == attributesField) readAttribute(r, p.attributes);
        else if (f == 2) p.startTimeUnixNano = r.fixed64();
        else if (f == 3) p.timeUnixNano = r.fixed64();
        else if (number && f == 4) { p.value = r.real(); p.isInt = false; }
        else if (number && f == 6) p.value = signedFixed64AsDouble(r.fixed64(), p.isInt);
        else if (number && f == 8) p.flags = static_cast<std::uint32_t>(r.varint());
        else if (!number && f == 4) p.count = r.fixed64();
        else if (!number && f == 5) { p.sum = r.real(); p.hasSum = true; }
        else if (type == Metric::Type::Histogram && f == 6) readRepeated64(r, p.bucketCounts, "bucket_counts");
        else if (type == Metric::Type::Histogram && f == 7) readRepeated64(r, p.explicitBounds, "explicit_bounds");
        else if ((type == Metric::Type::Histogram || exponential) && f == minField) { p.min = r.real(); p.hasMin = true; }
        else if ((type == Metric::Type::Histogram || exponential) && f == maxField) { p.max = r.real(); p.hasMax = true; }
        else if (f == (type == Metric::Type::Summary ? 8u : 10u)) p.flags = static_cast<std::uint32_t>(r.varint());
        else r.skip();
    }
    if (type == Metric::Type::Histogram && !p.bucketCounts.empty() && p.bucketCounts.size() != p.explicitBounds.size() + 1)
        r.fail("a histogram point has " + std::to_string(p.bucketCounts.size()) + " bucket counts for " +
               std::to_string(p.explicitBounds.size()) + " bounds (expected one more count than bounds)");
    return p;
}

Metric::Temporality temporalityOf(std::uint64_t value) {
    return value == 1 ? Metric::Temporality::Delta : value == 2 ? Metric::Temporality::Cumulative : Metric::Temporality::Unspecified;
}

Metric readMetric(std::string_view bytes, const std::string& path) {
    ProtoReader r(bytes, path);
    Metric m;
    while (r.next()) {
        Metric::Type type = Metric::Type::Empty;
        switch (r.field()) {
        case 1: m.name = std::string(r.bytes()); continue;
        case 2: m.description = std::string(r.bytes()); continue;
        case 3: m.unit = std::string(r.bytes()); continue;
        case 5: type = Metric::Type::Gauge; break;
        case 7: type = Metric::Type::Sum; break;
        case 9: type = Metric::Type::Histogram; break;
        case 10: type = Metric::Type::ExponentialHistogram; break;
        case 11: type = Metric::Type::Summary; break;
        default: r.skip(); continue;
        }
        m = Metric{std::move(m.name), std::move(m.description), std::move(m.unit), type, {}, false, {}};
        ProtoReader data(r.bytes(), path);
        while (data.next()) {
            if (data.field() == 1)
                m.points.push_back(readPoint(data.bytes(), path + ".data_points[" + std::to_string(m.points.size()) + "]", type));
            else if (data.field() == 2 && type != Metric::Type::Gauge && type != Metric::Type::Summary)
                m.temporality = temporalityOf(data.varint());
            else if (data.field() == 3 && type == Metric::Type::Sum)
                m.monotonic = data.varint() != 0;
            else
                data.skip();
        }
    }
    if (m.name.empty()) r.fail("a metric needs a name");
    return m;
}

} // namespace

namespace detail {

std::string base64(std::string_view raw) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder.write(raw.data(), static_cast<std::streamsize>(raw.size()));
    encoder.close();
    return out.str();
}

std::string number(double d) {
    if (!std::isfinite(d)) return std::isnan(d) ? "\"NaN\"" : (d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", d);
    return text;
}

} // namespace detail

std::string toHex(std::string_view bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string AnyValue::toText() const {
    switch (type) {
    case Type::Empty: return {};
    case Type::String: return text;
    default: {
        std::string out;
        appendJson(out, *this);
        if (type == Type::Bytes) out = out.substr(1, out.size() - 2); // base64 without the quotes
        return out;
    }
    }
}

std::string AnyValue::toJson() const {
    std::string out;
    appendJson(out, *this);
    return out;
}

const AnyValue* find(const KeyValues& attributes, std::string_view key) {
    for (const auto& [k, v] : attributes)
        if (k == key) return &v;
    return nullptr;
}

std::size_t LogsRequest::recordCount() const {
    std::size_t n = 0;
    for (const auto& r : resources)
        for (const auto& s : r.scopes) n += s.records.size();
    return n;
}

std::size_t TracesRequest::spanCount() const {
    std::size_t n = 0;
    for (const auto& r : resources)
        for (const auto& s : r.scopes) n += s.spans.size();
    return n;
}

std::size_t MetricsRequest::pointCount() const {
    std::size_t n = 0;
    for (const auto& r : resources)
        for (const auto& s : r.scopes)
            for (const auto& m : s.metrics) n += m.points.size();
    return n;
}

namespace {

// Request { repeated Resource{resource, repeated Scope{scope, repeated Item}} }: the shape logs and
// traces share; `items` names the item list of the scope struct, `readItem` reads one item.
template <class Request, class ScopeT, class Item, class ReadItem>
Request decodeProtobuf(std::string_view bytes, const char* request, const char* resources, const char* scopes,
                       const char* itemsName, std::vector<Item> ScopeT::*items, ReadItem readItem) {
    Request out;
    ProtoReader top(bytes, request);
    while (top.next()) {
        if (top.field() != 1) {
            top.skip();
            continue;
        }
        const std::string rpath = std::string(resources) + "[" + std::to_string(out.resources.size()) + "]";
        typename decltype(out.resources)::value_type resource;
        ProtoReader r(top.bytes(), rpath);
        while (r.next()) {
            if (r.field() == 1) {
                resource.resource = readResource(r.bytes(), rpath + ".resource");
            } else if (r.field() == 2) {
                const std::string spath = rpath + "." + scopes + "[" + std::to_string(resource.scopes.size()) + "]";
                ScopeT scope;
                ProtoReader s(r.bytes(), spath);
                while (s.next()) {
                    if (s.field() == 1) scope.scope = readScope(s.bytes(), spath + ".scope");
                    else if (s.field() == 2)
                        (scope.*items).push_back(readItem(s.bytes(), spath + "." + itemsName + "[" + std::to_string((scope.*items).size()) + "]"));
                    else s.skip();
                }
                resource.scopes.push_back(std::move(scope));
            } else {
                r.skip();
            }
        }
        out.resources.push_back(std::move(resource));
    }
    return out;
}

} // namespace

LogsRequest decodeLogsProtobuf(std::string_view bytes) {
    return decodeProtobuf<LogsRequest>(bytes, "ExportLogsServiceRequest", "resource_logs", "scope_logs", "log_records",
                                       &ScopeLogs::records, readLogRecord);
}

TracesRequest decodeTracesProtobuf(std::string_view bytes) {
    return decodeProtobuf<TracesRequest>(bytes, "ExportTraceServiceRequest", "resource_spans", "scope_spans", "spans",
                                         &ScopeSpans::spans, readSpan);
}

MetricsRequest decodeMetricsProtobuf(std::string_view bytes) {
    return decodeProtobuf<MetricsRequest>(bytes, "ExportMetricsServiceRequest", "resource_metrics", "scope_metrics", "metrics",
                                          &ScopeMetrics::metrics, readMetric);
}

} // namespace mc::otlp
