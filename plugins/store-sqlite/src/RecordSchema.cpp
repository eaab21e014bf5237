#include "RecordSchema.h"

#include "JsonText.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace mc::store_sqlite {
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

const std::vector<KindSpec>& kinds() {
    static const std::vector<KindSpec> all = {
        {"thread", "threads", "T-",
         {field("parent_id", FieldType::Text), field("mcp_id", FieldType::Text, true),
          oneOf("status", {"running", "paused", "complete", "error", "cancelled"}),
          field("user_input", FieldType::Text), field("execution_context", FieldType::Json),
          timestampNowByDefault("started_at"), field("ended_at", FieldType::Timestamp),
          field("memory_usage", FieldType::Integer), field("cpu_usage", FieldType::Real)}},
        {"step", "execution_steps", "S-",
         {field("thread_id", FieldType::Text, true), field("sequence", FieldType::Integer, true),
          timestampNowByDefault("timestamp"), field("duration_ms", FieldType::Real),
          renamed("step_type", "type", FieldType::Text, true), field("description", FieldType::Text),
          field("details", FieldType::Json), field("status", FieldType::Text)}},
        {"log", "logs", "L-",
         {timestampNowByDefault("timestamp"), oneOf("level", {"DEBUG", "INFO", "WARN", "ERROR"}, true),
          field("service", FieldType::Text, true), field("thread_id", FieldType::Text),
          field("mcp_id", FieldType::Text, true), field("message", FieldType::Text),
          field("context", FieldType::Json), field("exception", FieldType::Text)}},
        {"permission", "permission_events", "P-",
         {timestampNowByDefault("timestamp"), field("thread_id", FieldType::Text),
          field("user_id", FieldType::Text), field("resource", FieldType::Text),
          field("action", FieldType::Text), field("granted", FieldType::Boolean),
          field("reason", FieldType::Text)}},
    };
    return all;
}

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

ColumnValue convert(const FieldSpec& f, const Poco::Dynamic::Var& value) {
    switch (f.type) {
    case FieldType::Text: {
        if (!value.isString()) reject(f, "must be a string");
        std::string text = value.extract<std::string>();
        if (f.upperCase)
            std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
        if (f.required && text.empty()) reject(f, "must not be empty");
        if (!f.allowed.empty() && std::find(f.allowed.begin(), f.allowed.end(), text) == f.allowed.end())
            reject(f, "must be one of " + join(f.allowed) + " (got '" + text + "')");
        return text;
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
        std::ostringstream out;
        Poco::JSON::Stringifier::condense(value, out);
        return out.str();
    }
    }
    reject(f, "has an unknown type");
}

} // namespace

const KindSpec* findKind(const std::string& kind) {
    for (const auto& spec : kinds())
        if (spec.kind == kind) return &spec;
    return nullptr;
}

std::string knownKinds() {
    std::vector<std::string> names;
    for (const auto& spec : kinds()) names.push_back(spec.kind);
    return join(names);
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
    }
    out.values.reserve(spec.fields.size());
    for (const auto& f : spec.fields) {
        if (!record.has(f.jsonName) || record.isNull(f.jsonName)) {
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

} // namespace mc::store_sqlite
