#include "mc/records/RecordSchema.h"

#include "mc/records/JsonText.h"
#include "mc/records/RandomId.h"


#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <sstream>
#include <stdexcept>

namespace mc::records {
namespace {

FieldSpec field(std::string name, FieldType type, bool required = false) {
    FieldSpec f;
    f.column = name;
    f.jsonName = std::move(name);
    f.type = type;
    f.required = required;
    return f;
}

FieldSpec timestampNowByDefault(std::string name) {
    FieldSpec f = field(std::move(name), FieldType::Timestamp, true);
    f.defaultsToNow = true;
    return f;
}

FieldSpec oneOf(std::string name, std::vector<std::string> allowed, bool upperCase = false) {
    FieldSpec f = field(std::move(name), FieldType::Text, true);
    f.allowed = std::move(allowed);
    f.upperCase = upperCase;
    return f;
}

FieldSpec renamed(std::string jsonName, std::string column, FieldType type, bool required) {
    FieldSpec f = field(std::move(column), type, required);
    f.jsonName = std::move(jsonName);
    return f;
}

const std::vector<std::string> kRoles = {"system", "user", "assistant", "tool"};

KindSpec kind(std::string name, std::string table, std::string prefix, std::vector<FieldSpec> fields,
              WriteMode mode = WriteMode::InsertOnce, bool sequenced = false, bool hostOwned = false) {
    KindSpec k;
    k.kind = std::move(name);
    k.table = std::move(table);
    k.idPrefix = std::move(prefix);
    k.fields = std::move(fields);
    k.mode = mode;
    k.sequenced = sequenced;
    k.hostOwned = hostOwned;
    return k;
}

} // namespace

const std::vector<KindSpec>& allKinds() {
    static const std::vector<KindSpec> all = {
        kind("thread", "threads", "T-",
             {field("parent_id", FieldType::Text), field("mcp_id", FieldType::Text, true),
              oneOf("status", {"running", "paused", "complete", "error", "cancelled"}),
              field("user_input", FieldType::Text), field("execution_context", FieldType::Json),
              timestampNowByDefault("started_at"), field("ended_at", FieldType::Timestamp),
              field("memory_usage", FieldType::Integer), field("cpu_usage", FieldType::Real)},
             WriteMode::Lifecycle),
        kind("step", "execution_steps", "S-",
             {field("thread_id", FieldType::Text, true), field("sequence", FieldType::Integer, true),
              timestampNowByDefault("timestamp"), field("duration_ms", FieldType::Real),
              renamed("step_type", "type", FieldType::Text, true), field("description", FieldType::Text),
              field("details", FieldType::Json), field("status", FieldType::Text),
              field("mcp_id", FieldType::Text), field("tool", FieldType::Text)},
             WriteMode::InsertOnce, true),
        kind("log", "logs", "L-",
             {timestampNowByDefault("timestamp"), oneOf("level", {"DEBUG", "INFO", "WARN", "ERROR"}, true),
              field("service", FieldType::Text, true), field("thread_id", FieldType::Text),
              field("mcp_id", FieldType::Text, true), field("message", FieldType::Text),
              field("context", FieldType::Json), field("exception", FieldType::Text)}),
        kind("permission", "permission_events", "P-",
             {timestampNowByDefault("timestamp"), field("thread_id", FieldType::Text),
              field("user_id", FieldType::Text), field("resource", FieldType::Text),
              field("action", FieldType::Text), field("granted", FieldType::Boolean, true),
              field("reason", FieldType::Text), field("mcp_id", FieldType::Text)},
             WriteMode::InsertOnce, false, true),
        kind("transcript", "transcripts", "M-",
             {field("thread_id", FieldType::Text, true), field("sequence", FieldType::Integer, true),
              timestampNowByDefault("timestamp"), oneOf("role", kRoles), field("content", FieldType::Text),
              field("model", FieldType::Text), field("prompt_tokens", FieldType::Integer),
              field("completion_tokens", FieldType::Integer), field("total_tokens", FieldType::Integer),
              field("metadata", FieldType::Json)},
             WriteMode::InsertOnce, true),
        kind("mcp_status", "mcp_status_history", "MS-",
             {timestampNowByDefault("timestamp"), field("mcp_id", FieldType::Text, true),
              field("status", FieldType::Text, true), field("previous_status", FieldType::Text),
              field("endpoint", FieldType::Text), field("detail", FieldType::Text)},
             WriteMode::InsertOnce, false, true),
        kind("audit", "audit_events", "A-",
             {timestampNowByDefault("timestamp"), field("actor", FieldType::Text, true),
              field("action", FieldType::Text, true), field("target", FieldType::Text),
              field("outcome", FieldType::Text), field("details", FieldType::Json)},
             WriteMode::InsertOnce, false, true),
        // OpenTelemetry spans as received (receiver-otlp): each whole, found by trace and by thread.
        kind("span", "spans", "SP-",
             {field("trace_id", FieldType::Text, true), field("span_id", FieldType::Text, true),
              field("parent_span_id", FieldType::Text), field("thread_id", FieldType::Text),
              field("name", FieldType::Text, true),
              oneOf("kind", {"unspecified", "internal", "server", "client", "producer", "consumer"}),
              field("service", FieldType::Text), timestampNowByDefault("start_time"), field("end_time", FieldType::Timestamp),
              field("duration_ms", FieldType::Real), oneOf("status", {"unset", "ok", "error"}),
              field("status_message", FieldType::Text), field("attributes", FieldType::Json),
              field("events", FieldType::Json), field("resource", FieldType::Json),
              // The MCP server whose own telemetry it is (joined by service.name; migration 008).
              field("mcp_id", FieldType::Text)}),
        // OpenTelemetry metric data points as received (receiver-otlp). `increment` is what a monotonic
        // sum added since the series' previous point (its value when delta); `usage` names the token or
        // cost counters an agent's usage is added up from (the "usage" query).
        kind("metric", "metric_points", "MP-",
             {field("name", FieldType::Text, true), field("thread_id", FieldType::Text), field("service", FieldType::Text),
              [] {
                  // "type" names the event kind in an ingested event: the metric's own type is metric_type.
                  FieldSpec type = renamed("metric_type", "type", FieldType::Text, true);
                  type.allowed = {"gauge", "sum", "histogram", "exponential_histogram", "summary"};
                  return type;
              }(),
              field("unit", FieldType::Text), oneOf("temporality", {"unspecified", "delta", "cumulative"}),
              field("monotonic", FieldType::Boolean), field("start_time", FieldType::Timestamp),
              timestampNowByDefault("timestamp"), field("value", FieldType::Real), field("increment", FieldType::Real),
              field("count", FieldType::Integer), field("sum", FieldType::Real), field("min", FieldType::Real),
              field("max", FieldType::Real), field("buckets", FieldType::Json),
              [] {
                  FieldSpec usage = field("usage", FieldType::Text);
                  usage.allowed = {"input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens", "cost_usd"};
                  return usage;
              }(),
              field("model", FieldType::Text), field("attributes", FieldType::Json), field("resource", FieldType::Json),
              field("mcp_id", FieldType::Text)}),
        // The protocol inspector's captures (gateway.capture): a message between the gateway and an MCP
        // server, or the HTTP exchange that carried one, as the inspector's ring holds it.
        kind("protocol_message", "protocol_messages", "PM-",
             {timestampNowByDefault("timestamp"), field("mcp_id", FieldType::Text, true), field("seq", FieldType::Integer, true),
              oneOf("direction", {"out", "in"}), oneOf("kind", {"request", "response", "error", "notification", "http"}),
              field("method", FieldType::Text), field("jsonrpc_id", FieldType::Text), field("duration_ms", FieldType::Real),
              field("bytes", FieldType::Integer, true), field("truncated", FieldType::Boolean, true),
              field("message", FieldType::Json), field("excerpt", FieldType::Text), field("http", FieldType::Json)},
             WriteMode::InsertOnce, false, true),
    };
    return all;
}

namespace {

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ", ";
        out += item;
    }
    return out;
}

[[noreturn]] void reject(const FieldSpec& f, const std::string& what) {
    throw std::invalid_argument("field '" + f.jsonName + "' " + what);
}

// How deep a JSON field may nest: a record travels inside envelopes (the store writer's batch array,
// a broadcast frame, a query's page) that every JSON parser on the way (Poco: 128 levels) must read.
constexpr std::size_t kMaxJsonFieldDepth = 64;

// Levels of objects and arrays in a value (a scalar: 0).
std::size_t nesting(const Poco::Dynamic::Var& value) {
    std::size_t deepest = 0;
    if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
        if (const auto object = value.extract<Poco::JSON::Object::Ptr>())
            for (const auto& member : *object) deepest = std::max(deepest, nesting(member.second));
        return deepest + 1;
    }
    if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
        if (const auto array = value.extract<Poco::JSON::Array::Ptr>())
            for (const auto& element : *array) deepest = std::max(deepest, nesting(element));
        return deepest + 1;
    }
    return 0;
}

// A text field's value: upper-cased when the field says so, then its rules (non-empty, allowed values).
std::string checkedText(const FieldSpec& f, std::string text) {
    if (f.upperCase) std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
    if (f.required && text.empty()) reject(f, "must not be empty");
    if (!f.allowed.empty() && std::find(f.allowed.begin(), f.allowed.end(), text) == f.allowed.end())
        reject(f, "must be one of " + join(f.allowed) + " (got '" + text + "')");
    return text;
}

ColumnValue convert(const FieldSpec& f, const Poco::Dynamic::Var& value) {
    switch (f.type) {
    case FieldType::Text: {
        if (!value.isString()) reject(f, "must be a string");
        return checkedText(f, value.extract<std::string>());
    }
    case FieldType::Timestamp: {
        std::string normalized;
        if (!value.isString() || !normalizeTimestamp(value.extract<std::string>(), normalized))
            reject(f, "must be an RFC 3339 timestamp such as 2026-01-02T03:04:05.123456Z");
        return normalized;
    }
    case FieldType::Integer: {
        if (value.isInteger() && !value.isBoolean()) return value.convert<std::int64_t>();
        if (value.isNumeric() && !value.isBoolean()) {
            const double d = value.convert<double>();
            if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(d);
        }
        reject(f, "must be an integer");
    }
    case FieldType::Real: {
        if (!value.isNumeric() || value.isBoolean()) reject(f, "must be a number");
        return value.convert<double>();
    }
    case FieldType::Boolean: {
        if (!value.isBoolean()) reject(f, "must be true or false");
        return static_cast<std::int64_t>(value.extract<bool>() ? 1 : 0);
    }
    case FieldType::Json: {
        if (nesting(value) > kMaxJsonFieldDepth)
            reject(f, "nests deeper than " + std::to_string(kMaxJsonFieldDepth) + " levels of objects and arrays");
        std::ostringstream out;
        Poco::JSON::Stringifier::condense(value, out);
        return out.str();
    }
    }
    reject(f, "has an unknown type");
}

// convert() for a typed value: the same rules, the same reasons.
ColumnValue convertInput(const FieldSpec& f, const FieldInput& in) {
    using K = FieldInput::Kind;
    switch (f.type) {
    case FieldType::Text: {
        if (in.kind != K::Text) reject(f, "must be a string");
        return checkedText(f, std::string(in.text));
    }
    case FieldType::Timestamp: {
        std::string normalized;
        if (in.kind != K::Text || !normalizeTimestamp(in.text, normalized))
            reject(f, "must be an RFC 3339 timestamp such as 2026-01-02T03:04:05.123456Z");
        return normalized;
    }
    case FieldType::Integer:
        if (in.kind == K::Integer) return in.integer;
        if (in.kind == K::Real && std::isfinite(in.real) && std::floor(in.real) == in.real && std::fabs(in.real) < 9.0e15)
            return static_cast<std::int64_t>(in.real);
        reject(f, "must be an integer");
    case FieldType::Real:
        if (in.kind == K::Integer) return static_cast<double>(in.integer);
        if (in.kind != K::Real) reject(f, "must be a number");
        if (!std::isfinite(in.real)) reject(f, "must be a finite number"); // JSON has no NaN or infinity
        return in.real;
    case FieldType::Boolean:
        if (in.kind != K::Integer || (in.integer != 0 && in.integer != 1)) reject(f, "must be true or false");
        return in.integer;
    case FieldType::Json: {
        if (in.kind != K::Text) reject(f, "must be JSON text");
        if (const std::string problem = jsonFieldProblem(in.text); !problem.empty()) reject(f, problem);
        return std::string(in.text);
    }
    }
    reject(f, "has an unknown type");
}

} // namespace

std::string jsonFieldProblem(std::string_view jsonText) {
    const std::string problem = jsonTextProblem(jsonText, kMaxJsonFieldDepth);
    return problem.empty() ? problem : "is not JSON of at most " + std::to_string(kMaxJsonFieldDepth) + " levels: " + problem;
}

const FieldSpec* retentionField(const KindSpec& spec) {
    if (spec.kind == "thread" || spec.sequenced) return nullptr;
    for (const auto& field : spec.fields)
        if (field.type == FieldType::Timestamp && field.defaultsToNow) return &field;
    return nullptr;
}

const KindSpec* findKind(std::string_view kind) {
    for (const auto& spec : allKinds())
        if (spec.kind == kind) return &spec;
    return nullptr;
}

std::string knownKinds() {
    std::vector<std::string> names;
    for (const auto& spec : allKinds()) names.push_back(spec.kind);
    return join(names);
}

std::string hostOwnedReason(std::string_view kind) {
    return "event type '" + std::string(kind) +
           "' is recorded by the host itself (audit trail, permission decisions, MCP status history) and cannot be submitted";
}

NormalizedRecord normalize(const KindSpec& spec, const Poco::JSON::Object& record,
                           const std::function<std::string()>& newId, const std::function<std::string()>& now) {
    NormalizedRecord out;
    if (record.has("id") && !record.isNull("id")) {
        const auto id = record.get("id");
        if (!id.isString() || id.extract<std::string>().empty()) throw std::invalid_argument("field 'id' must be a non-empty string");
        out.id = id.extract<std::string>();
        if (out.id.size() > 256) throw std::invalid_argument("field 'id' is longer than 256 characters");
    } else {
        out.id = newId();
        out.idGenerated = true;
    }
    out.values.reserve(spec.fields.size());
    out.present.reserve(spec.fields.size());
    for (const auto& f : spec.fields) {
        const bool present = record.has(f.jsonName) && !record.isNull(f.jsonName);
        out.present.push_back(present);
        if (!present) {
            if (f.defaultsToNow) {
                out.values.emplace_back(now());
            } else if (f.required) {
                reject(f, "is required");
            } else {
                out.values.emplace_back(std::monostate{});
            }
            continue;
        }
        try {
            out.values.push_back(convert(f, record.get(f.jsonName)));
        } catch (const Poco::Exception& e) { // e.g. an integer beyond 64 bits
            reject(f, "cannot be stored: " + e.displayText());
        }
    }
    return out;
}

NormalizedRecord normalizeInputs(const KindSpec& spec, std::string_view id, const std::vector<FieldInput>& inputs,
                                 const std::function<std::string()>& newId, const std::function<std::string()>& now) {
    if (inputs.size() != spec.fields.size())
        throw std::invalid_argument("a '" + spec.kind + "' record needs " + std::to_string(spec.fields.size()) +
                                    " values in the catalog's order, got " + std::to_string(inputs.size()));
    NormalizedRecord out;
    if (!id.empty()) {
        if (id.size() > 256) throw std::invalid_argument("field 'id' is longer than 256 characters");
        out.id = std::string(id);
    } else {
        out.id = newId();
        out.idGenerated = true;
    }
    out.values.reserve(spec.fields.size());
    out.present.reserve(spec.fields.size());
    for (std::size_t i = 0; i < spec.fields.size(); ++i) {
        const FieldSpec& f = spec.fields[i];
        const bool present = inputs[i].kind != FieldInput::Kind::Absent;
        out.present.push_back(present);
        if (present) out.values.push_back(convertInput(f, inputs[i]));
        else if (f.defaultsToNow) out.values.emplace_back(now());
        else if (f.required) reject(f, "is required");
        else out.values.emplace_back(std::monostate{});
    }
    return out;
}

RecordBuilder::RecordBuilder(const KindSpec& spec)
    : spec_(&spec), inputs_(spec.fields.size()), texts_(spec.fields.size()) {}

std::size_t RecordBuilder::at(std::string_view field) const {
    for (std::size_t i = 0; i < spec_->fields.size(); ++i)
        if (spec_->fields[i].jsonName == field) return i;
    throw std::logic_error("a '" + spec_->kind + "' record has no field '" + std::string(field) + "'");
}

RecordBuilder& RecordBuilder::text(std::string_view field, std::string value) {
    const std::size_t i = at(field);
    inputs_[i].kind = FieldInput::Kind::Text;
    texts_[i] = std::move(value);
    return *this;
}

RecordBuilder& RecordBuilder::json(std::string_view field, std::string jsonText) { return text(field, std::move(jsonText)); }

RecordBuilder& RecordBuilder::integer(std::string_view field, std::int64_t value) {
    FieldInput& in = inputs_[at(field)];
    in.kind = FieldInput::Kind::Integer;
    in.integer = value;
    return *this;
}

RecordBuilder& RecordBuilder::boolean(std::string_view field, bool value) { return integer(field, value ? 1 : 0); }

RecordBuilder& RecordBuilder::real(std::string_view field, double value) {
    FieldInput& in = inputs_[at(field)];
    in.kind = FieldInput::Kind::Real;
    in.real = value;
    return *this;
}

RecordBuilder& RecordBuilder::id(std::string value) {
    id_ = std::move(value);
    return *this;
}

TypedRecord RecordBuilder::build(const std::function<std::string()>& now) const {
    std::vector<FieldInput> inputs = inputs_;
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (inputs[i].kind == FieldInput::Kind::Text) inputs[i].text = texts_[i];
    const KindSpec* spec = spec_;
    return TypedRecord{spec, normalizeInputs(*spec, id_, inputs, [spec] { return generateId(*spec); }, now)};
}

const ColumnValue& NormalizedRecord::value(const KindSpec& spec, std::string_view jsonName) const {
    static const ColumnValue none;
    for (std::size_t i = 0; i < spec.fields.size() && i < values.size(); ++i)
        if (spec.fields[i].jsonName == jsonName) return values[i];
    return none;
}

std::optional<std::string> NormalizedRecord::text(const KindSpec& spec, std::string_view jsonName) const {
    if (auto* s = std::get_if<std::string>(&value(spec, jsonName))) return *s;
    return std::nullopt;
}

void appendJson(std::string& out, const KindSpec& spec, const NormalizedRecord& record) {
    out += "{\"id\":";
    appendJsonString(out, record.id);
    for (std::size_t i = 0; i < spec.fields.size(); ++i) {
        const FieldSpec& f = spec.fields[i];
        out += ',';
        appendJsonString(out, f.jsonName);
        out += ':';
        const ColumnValue& v = i < record.values.size() ? record.values[i] : ColumnValue{};
        if (std::holds_alternative<std::monostate>(v)) {
            out += "null";
        } else if (auto* n = std::get_if<std::int64_t>(&v)) {
            out += f.type == FieldType::Boolean ? (*n ? "true" : "false") : std::to_string(*n);
        } else if (auto* d = std::get_if<double>(&v)) {
            out += Poco::Dynamic::Var(*d).convert<std::string>();
        } else if (f.type == FieldType::Json) {
            out += std::get<std::string>(v); // condensed JSON text already
        } else {
            appendJsonString(out, std::get<std::string>(v));
        }
    }
    out += '}';
}

std::size_t TypedRecord::sizeBytes() const {
    std::size_t bytes = record.id.size();
    for (const auto& v : record.values) {
        bytes += 16;
        if (const auto* text = std::get_if<std::string>(&v)) bytes += text->size();
    }
    return bytes;
}

void appendEventJson(std::string& out, const TypedRecord& r) {
    const std::size_t start = out.size();
    appendJson(out, *r.spec, r.record); // {"id":...}
    std::string type = "{\"type\":";
    appendJsonString(type, r.spec->kind);
    type += ',';
    out.replace(start, 1, type);
}

std::string toJson(const KindSpec& spec, const NormalizedRecord& record) {
    std::string out;
    appendJson(out, spec, record);
    return out;
}

std::string generateId(const KindSpec& spec) {
    return spec.idPrefix + timeOrderedUuid();
}

bool isTerminalStatus(std::string_view status) {
    return status == "complete" || status == "error" || status == "cancelled";
}

std::optional<std::string> transitionError(std::string_view threadId, std::string_view from, std::string_view to) {
    if (from == to) return std::nullopt;
    const auto reason = [&](const std::string& why) {
        return "thread '" + std::string(threadId) + "' cannot go from " + std::string(from) + " to " +
               std::string(to) + " (" + why + ")";
    };
    if (isTerminalStatus(from)) return reason(std::string(from) + " is final");
    if (from == "running" || from == "paused") return std::nullopt; // to: the other one, or a terminal state
    return reason("unknown status " + std::string(from));
}

std::string missingThreadReason(std::string_view threadId) {
    return "thread_id '" + std::string(threadId) + "' does not exist (write the thread first)";
}

std::string missingParentReason(std::string_view parentId) {
    return "parent_id '" + std::string(parentId) + "' does not exist (write the parent first)";
}

std::string sequenceConflictReason(std::string_view kind, std::string_view threadId, std::int64_t sequence,
                                   std::string_view existingId) {
    return std::string(kind) + " sequence " + std::to_string(sequence) + " of thread '" + std::string(threadId) +
           "' is already taken by '" + std::string(existingId) + "'";
}

} // namespace mc::records
