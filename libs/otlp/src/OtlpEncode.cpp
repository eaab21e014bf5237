// ExportTraceServiceRequest written in OTLP/HTTP's two encodings (the host's own export), and the
// partial_success of the collector's reply read back. Field numbers from opentelemetry-proto's
// collector/trace/v1 and trace/v1, as the decoder in Otlp.cpp reads them.
#include "mc/otlp/Otlp.h"
#include "mc/otlp/ProtoWire.h"

#include "ProtoReader.h"
#include "TextForms.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstring>
#include <stdexcept>

#include "mc/json_text.hpp"

namespace mc::otlp {
namespace {

// ---- protobuf ----------------------------------------------------------------------------------
// Nested messages are written inside out: each is built whole, then framed with its length.

using namespace wire;

std::string rawId(const std::string& hex, std::size_t bytes, const char* what) {
    if (hex.empty()) return {};
    std::string raw = fromHex(hex);
    if (raw.size() != bytes) throw std::invalid_argument(std::string(what) + " '" + hex + "' is not " + std::to_string(bytes * 2) + " hex digits");
    return raw;
}

std::string anyValueProto(const AnyValue& v);

std::string keyValueProto(const std::string& key, const AnyValue& value) {
    std::string kv;
    lenField(kv, 1, key);
    lenField(kv, 2, anyValueProto(value));
    return kv;
}

std::string anyValueProto(const AnyValue& v) {
    std::string out;
    switch (v.type) {
    case AnyValue::Type::Empty: break;
    case AnyValue::Type::String: lenField(out, 1, v.text); break;
    case AnyValue::Type::Bool: tag(out, 2, 0); varint(out, v.boolean ? 1 : 0); break;
    case AnyValue::Type::Int: tag(out, 3, 0); varint(out, static_cast<std::uint64_t>(v.integer)); break;
    case AnyValue::Type::Double: {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &v.real, sizeof bits);
        tag(out, 4, 1);
        wire::fixed64(out, bits);
        break;
    }
    case AnyValue::Type::Array: {
        std::string values;
        for (const auto& item : v.array) lenField(values, 1, anyValueProto(item));
        lenField(out, 5, values);
        break;
    }
    case AnyValue::Type::KeyValueList: {
        std::string values;
        for (const auto& [key, value] : v.kvlist) lenField(values, 1, keyValueProto(key, value));
        lenField(out, 6, values);
        break;
    }
    case AnyValue::Type::Bytes: lenField(out, 7, v.text); break;
    }
    return out;
}

void attributesProto(std::string& out, unsigned field, const KeyValues& attributes) {
    for (const auto& [key, value] : attributes) lenField(out, field, keyValueProto(key, value));
}

std::string spanProto(const Span& s) {
    std::string out;
    lenField(out, 1, rawId(s.traceId, 16, "trace id"));
    lenField(out, 2, rawId(s.spanId, 8, "span id"));
    textField(out, 3, s.traceState);
    if (!s.parentSpanId.empty()) lenField(out, 4, rawId(s.parentSpanId, 8, "parent span id"));
    textField(out, 5, s.name);
    varintField(out, 6, static_cast<std::uint64_t>(s.kind));
    fixed64Field(out, 7, s.startTimeUnixNano);
    fixed64Field(out, 8, s.endTimeUnixNano);
    attributesProto(out, 9, s.attributes);
    for (const auto& e : s.events) {
        std::string event;
        fixed64Field(event, 1, e.timeUnixNano);
        textField(event, 2, e.name);
        attributesProto(event, 3, e.attributes);
        lenField(out, 11, event);
    }
    if (s.statusCode != 0 || !s.statusMessage.empty()) {
        std::string status;
        textField(status, 2, s.statusMessage);
        varintField(status, 3, static_cast<std::uint64_t>(s.statusCode));
        lenField(out, 15, status);
    }
    fixed32Field(out, 16, s.flags);
    return out;
}

std::string scopeProto(const Scope& scope) {
    std::string out;
    textField(out, 1, scope.name);
    textField(out, 2, scope.version);
    attributesProto(out, 3, scope.attributes);
    return out;
}

// ---- OTLP/JSON -----------------------------------------------------------------------------------

void quoted(std::string& out, std::string_view s) {
    out += '"';
    mc::sdk::json::appendEscaped(out, s);
    out += '"';
}

void anyValueJson(std::string& out, const AnyValue& v);

void keyValuesJson(std::string& out, const KeyValues& attributes) {
    out += '[';
    for (std::size_t i = 0; i < attributes.size(); ++i) {
        if (i) out += ',';
        out += "{\"key\":";
        quoted(out, attributes[i].first);
        out += ",\"value\":";
        anyValueJson(out, attributes[i].second);
        out += '}';
    }
    out += ']';
}

void anyValueJson(std::string& out, const AnyValue& v) {
    switch (v.type) {
    case AnyValue::Type::Empty: out += "{}"; return;
    case AnyValue::Type::String: out += "{\"stringValue\":"; quoted(out, v.text); break;
    case AnyValue::Type::Bool: out += v.boolean ? "{\"boolValue\":true" : "{\"boolValue\":false"; break;
    case AnyValue::Type::Int: out += "{\"intValue\":\"" + std::to_string(v.integer) + "\""; break; // int64: a string in proto3 JSON
    case AnyValue::Type::Double: out += "{\"doubleValue\":" + detail::number(v.real); break;
    case AnyValue::Type::Bytes: out += "{\"bytesValue\":"; quoted(out, detail::base64(v.text)); break;
    case AnyValue::Type::Array:
        out += "{\"arrayValue\":{\"values\":[";
        for (std::size_t i = 0; i < v.array.size(); ++i) {
            if (i) out += ',';
            anyValueJson(out, v.array[i]);
        }
        out += "]}";
        break;
    case AnyValue::Type::KeyValueList:
        out += "{\"kvlistValue\":{\"values\":";
        keyValuesJson(out, v.kvlist);
        out += '}';
        break;
    }
    out += '}';
}

void nanosJson(std::string& out, const char* name, std::uint64_t nanos) {
    out += ",\"";
    out += name;
    out += "\":\"" + std::to_string(nanos) + "\"";
}

void spanJson(std::string& out, const Span& s) {
    // Checked as the protobuf form checks them: a collector refuses a malformed id either way.
    rawId(s.traceId, 16, "trace id");
    rawId(s.spanId, 8, "span id");
    rawId(s.parentSpanId, 8, "parent span id");
    out += "{\"traceId\":\"" + s.traceId + "\",\"spanId\":\"" + s.spanId + "\"";
    if (!s.traceState.empty()) {
        out += ",\"traceState\":";
        quoted(out, s.traceState);
    }
    if (!s.parentSpanId.empty()) out += ",\"parentSpanId\":\"" + s.parentSpanId + "\"";
    if (s.flags) out += ",\"flags\":" + std::to_string(s.flags);
    out += ",\"name\":";
    quoted(out, s.name);
    out += ",\"kind\":" + std::to_string(s.kind);
    nanosJson(out, "startTimeUnixNano", s.startTimeUnixNano);
    nanosJson(out, "endTimeUnixNano", s.endTimeUnixNano);
    out += ",\"attributes\":";
    keyValuesJson(out, s.attributes);
    if (!s.events.empty()) {
        out += ",\"events\":[";
        for (std::size_t i = 0; i < s.events.size(); ++i) {
            if (i) out += ',';
            out += "{\"name\":";
            quoted(out, s.events[i].name);
            nanosJson(out, "timeUnixNano", s.events[i].timeUnixNano);
            out += ",\"attributes\":";
            keyValuesJson(out, s.events[i].attributes);
            out += '}';
        }
        out += ']';
    }
    out += ",\"status\":{\"code\":" + std::to_string(s.statusCode);
    if (!s.statusMessage.empty()) {
        out += ",\"message\":";
        quoted(out, s.statusMessage);
    }
    out += "}}";
}

} // namespace

std::string fromHex(std::string_view hex) {
    auto digit = [&](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        throw std::invalid_argument("'" + std::string(hex) + "' is not hex");
    };
    if (hex.size() % 2) throw std::invalid_argument("'" + std::string(hex) + "' has an odd number of hex digits");
    std::string raw;
    raw.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) raw += static_cast<char>(digit(hex[i]) * 16 + digit(hex[i + 1]));
    return raw;
}

std::string encodeTracesProtobuf(const TracesRequest& request) {
    std::string out;
    for (const auto& resource : request.resources) {
        std::string resourceSpans, resourceMessage;
        attributesProto(resourceMessage, 1, resource.resource);
        lenField(resourceSpans, 1, resourceMessage);
        for (const auto& scope : resource.scopes) {
            std::string scopeSpans;
            lenField(scopeSpans, 1, scopeProto(scope.scope));
            for (const auto& span : scope.spans) lenField(scopeSpans, 2, spanProto(span));
            lenField(resourceSpans, 2, scopeSpans);
        }
        lenField(out, 1, resourceSpans);
    }
    return out;
}

std::string encodeTracesJson(const TracesRequest& request) {
    std::string out = "{\"resourceSpans\":[";
    for (std::size_t r = 0; r < request.resources.size(); ++r) {
        const auto& resource = request.resources[r];
        if (r) out += ',';
        out += "{\"resource\":{\"attributes\":";
        keyValuesJson(out, resource.resource);
        out += "},\"scopeSpans\":[";
        for (std::size_t s = 0; s < resource.scopes.size(); ++s) {
            const auto& scope = resource.scopes[s];
            if (s) out += ',';
            out += "{\"scope\":{\"name\":";
            quoted(out, scope.scope.name);
            if (!scope.scope.version.empty()) {
                out += ",\"version\":";
                quoted(out, scope.scope.version);
            }
            out += ",\"attributes\":";
            keyValuesJson(out, scope.scope.attributes);
            out += "},\"spans\":[";
            for (std::size_t i = 0; i < scope.spans.size(); ++i) {
                if (i) out += ',';
                spanJson(out, scope.spans[i]);
            }
            out += "]}";
        }
        out += "]}";
    }
    out += "]}";
    return out;
}

PartialSuccess decodeTracesResponse(std::string_view body, bool json) {
    PartialSuccess result;
    if (body.empty()) return result;
    if (json) {
        Poco::JSON::Object::Ptr reply;
        try {
            reply = Poco::JSON::Parser().parse(std::string(body)).extract<Poco::JSON::Object::Ptr>();
        } catch (const std::exception& e) {
            throw DecodeError(std::string("ExportTraceServiceResponse: not a JSON object: ") + e.what());
        }
        auto partial = reply->getObject("partialSuccess");
        if (!partial) partial = reply->getObject("partial_success");
        if (!partial) return result;
        for (const char* name : {"rejectedSpans", "rejected_spans"})
            if (partial->has(name)) {
                try {
                    result.rejected = std::stoll(partial->get(name).toString());
                } catch (const std::exception&) {
                    throw DecodeError("ExportTraceServiceResponse.partialSuccess.rejectedSpans: not an integer");
                }
            }
        for (const char* name : {"errorMessage", "error_message"})
            if (partial->has(name)) result.message = partial->getValue<std::string>(name);
        return result;
    }
    detail::ProtoReader reply(body, "ExportTraceServiceResponse");
    while (reply.next()) {
        if (reply.field() != 1) {
            reply.skip();
            continue;
        }
        detail::ProtoReader partial(reply.bytes(), "ExportTraceServiceResponse.partial_success");
        while (partial.next()) {
            if (partial.field() == 1) result.rejected = static_cast<std::int64_t>(partial.varint());
            else if (partial.field() == 2) result.message = std::string(partial.bytes());
            else partial.skip();
        }
    }
    return result;
}

} // namespace mc::otlp
