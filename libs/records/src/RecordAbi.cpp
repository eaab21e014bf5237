#include "mc/records/RecordAbi.h"

#include "mc/sdk.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace mc::records {
namespace {

mc_str borrow(const std::string& s) { return mc_str{s.data(), s.size()}; }
std::string_view view(mc_str s) { return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view(); }

mc_value toValue(const ColumnValue& v) {
    mc_value out{};
    if (const auto* i = std::get_if<std::int64_t>(&v)) {
        out.type = MC_VALUE_INT;
        out.integer = *i;
    } else if (const auto* d = std::get_if<double>(&v)) {
        out.type = MC_VALUE_REAL;
        out.real = *d;
    } else if (const auto* t = std::get_if<std::string>(&v)) {
        out.type = MC_VALUE_TEXT;
        out.text = borrow(*t);
    } else {
        out.type = MC_VALUE_NULL;
    }
    return out;
}

const char* typeName(FieldType type) {
    switch (type) {
    case FieldType::Text: return "text";
    case FieldType::Timestamp: return "timestamp";
    case FieldType::Integer: return "integer";
    case FieldType::Real: return "real";
    case FieldType::Boolean: return "boolean";
    case FieldType::Json: return "JSON";
    }
    return "unknown";
}

// The value's type tag as the plugin wrote it: any integer may come across the C ABI, and reading one
// outside mc_value_type's values through the enum is undefined behaviour.
int rawType(const mc_value& v) {
    std::underlying_type_t<mc_value_type> raw;
    std::memcpy(&raw, &v.type, sizeof raw);
    return static_cast<int>(raw);
}

// The value as its field's column holds it, or why it cannot be ("" when it fits).
std::string fromValue(const FieldSpec& field, const mc_value& v, ColumnValue& out) {
    const auto mismatch = [&](const char* value) {
        return "is a " + std::string(typeName(field.type)) + " field; the value is " + value;
    };
    switch (rawType(v)) {
    case MC_VALUE_NULL: out = std::monostate{}; return field.required ? "is required" : "";
    case MC_VALUE_INT:
        if (field.type != FieldType::Integer && field.type != FieldType::Boolean) return mismatch("an integer");
        if (field.type == FieldType::Boolean && v.integer != 0 && v.integer != 1) return mismatch("neither 0 nor 1");
        out = static_cast<std::int64_t>(v.integer);
        return "";
    case MC_VALUE_REAL:
        if (field.type != FieldType::Real) return mismatch("a real");
        out = v.real;
        return "";
    case MC_VALUE_TEXT:
        if (field.type != FieldType::Text && field.type != FieldType::Timestamp && field.type != FieldType::Json)
            return mismatch("text");
        if (v.text.len && !v.text.ptr) return "has a NULL text pointer";
        out = std::string(view(v.text));
        return "";
    default: return "has an unknown value type " + std::to_string(rawType(v));
    }
}

} // namespace

AbiRecords toAbi(const std::vector<const TypedRecord*>& records) {
    AbiRecords out;
    std::size_t valueCount = 0;
    for (const auto* r : records) valueCount += r->record.values.size();
    out.values.reserve(valueCount);
    out.present.reserve(valueCount);
    out.records.reserve(records.size());
    for (const auto* r : records) {
        mc_record record{};
        record.struct_size = sizeof(mc_record);
        record.kind = borrow(r->spec->kind);
        record.id = borrow(r->record.id);
        record.value_count = r->record.values.size();
        for (std::size_t i = 0; i < r->record.values.size(); ++i) {
            out.values.push_back(toValue(r->record.values[i]));
            out.present.push_back(i < r->record.present.size() && r->record.present[i] ? 1 : 0);
        }
        out.records.push_back(record);
    }
    // The arrays are complete: point each record into them.
    std::size_t at = 0;
    for (auto& record : out.records) {
        record.values = record.value_count ? out.values.data() + at : nullptr;
        record.present = record.value_count ? out.present.data() + at : nullptr;
        at += record.value_count;
    }
    return out;
}

mc_record recordAt(const mc_record* records, std::size_t i, std::size_t recordSize) {
    const auto* at = reinterpret_cast<const char*>(records) + i * recordSize;
    mc_record r{};
    std::size_t size = 0;
    std::memcpy(&size, at, sizeof size);
    std::memcpy(&r, at, std::min({size, recordSize, sizeof r}));
    return r;
}

TypedRecord normalizeRecord(const mc_record& r, const std::function<std::string()>& now) {
    const KindSpec* spec = findKind(view(r.kind));
    if (!spec) throw std::invalid_argument("unknown event type '" + std::string(view(r.kind)) + "' (known: " + knownKinds() + ")");
    if (r.value_count && !r.values) throw std::invalid_argument("a '" + spec->kind + "' record has no values");
    std::vector<FieldInput> inputs(r.value_count);
    for (std::size_t f = 0; f < r.value_count; ++f) {
        const mc_value& v = r.values[f];
        FieldInput& in = inputs[f];
        const auto name = [&] { return f < spec->fields.size() ? spec->fields[f].jsonName : std::to_string(f); };
        switch (rawType(v)) {
        case MC_VALUE_NULL: break;
        case MC_VALUE_INT: in.kind = FieldInput::Kind::Integer; in.integer = v.integer; break;
        case MC_VALUE_REAL: in.kind = FieldInput::Kind::Real; in.real = v.real; break;
        case MC_VALUE_TEXT:
            if (v.text.len && !v.text.ptr) throw std::invalid_argument("field '" + name() + "' has a NULL text pointer");
            in.kind = FieldInput::Kind::Text;
            in.text = view(v.text);
            break;
        default:
            throw std::invalid_argument("field '" + name() + "' has an invalid value type " + std::to_string(rawType(v)));
        }
    }
    return TypedRecord{spec, normalizeInputs(*spec, view(r.id), inputs, [spec] { return generateId(*spec); }, now)};
}

ParsedBatch fromAbi(const mc_record* records, std::size_t count, std::size_t recordSize) {
    ParsedBatch batch;
    if (count && (!records || recordSize < sizeof(mc_record)))
        throw mc::sdk::Error(MC_ERR_INVALID_ARGUMENT, "records: NULL or record_size " + std::to_string(recordSize) +
                                                          " smaller than the " + std::to_string(sizeof(mc_record)) +
                                                          " bytes of mc_record");
    const auto* base = reinterpret_cast<const char*>(records);
    for (std::size_t i = 0; i < count; ++i) {
        mc_record r{};
        std::memcpy(&r, base + i * recordSize, sizeof r);
        const KindSpec* spec = findKind(view(r.kind));
        if (!spec) {
            batch.rejected.push_back({i, "unknown event type '" + std::string(view(r.kind)) + "' (known: " + knownKinds() + ")"});
            continue;
        }
        if (r.value_count != spec->fields.size() || (r.value_count && (!r.values || !r.present))) {
            batch.rejected.push_back({i, spec->kind + " record has " + std::to_string(r.value_count) + " values; the kind has " +
                                             std::to_string(spec->fields.size()) + " fields"});
            continue;
        }
        if (view(r.id).empty()) {
            batch.rejected.push_back({i, spec->kind + " record has no id"});
            continue;
        }
        NormalizedRecord record;
        record.id = std::string(view(r.id));
        record.values.resize(spec->fields.size());
        record.present.resize(spec->fields.size());
        std::string reason;
        for (std::size_t f = 0; f < spec->fields.size() && reason.empty(); ++f) {
            const std::string problem = fromValue(spec->fields[f], r.values[f], record.values[f]);
            if (!problem.empty()) reason = "field '" + spec->fields[f].jsonName + "' " + problem;
            record.present[f] = r.present[f] != 0;
        }
        if (!reason.empty()) {
            batch.rejected.push_back({i, reason});
            continue;
        }
        batch.entries.push_back({i, spec, std::move(record)});
    }
    return batch;
}

} // namespace mc::records
