#pragma once
// The record kinds a store accepts (the seed's models) as data: one table per kind, one FieldSpec per
// column. Validation turns a JSON record into typed column values or a reason; adding a kind or a
// field is an edit of the tables in RecordSchema.cpp, not of the write path.
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace mc::store_sqlite {

enum class FieldType { Text, Timestamp, Integer, Real, Boolean, Json };

struct FieldSpec {
    std::string jsonName;            // as it travels in a record
    std::string column;              // as it is stored
    FieldType type = FieldType::Text;
    bool required = false;
    bool defaultsToNow = false;      // Timestamp fields: absent -> the time of the write
    std::vector<std::string> allowed; // Text fields: the only accepted values (empty: any)
    bool upperCase = false;          // Text fields: normalized to upper case before the check
};

struct KindSpec {
    std::string kind;     // "thread", "step", ...
    std::string table;
    std::string idPrefix; // generated ids: prefix + UUID
    std::vector<FieldSpec> fields; // "id" is implicit and first
};

using ColumnValue = std::variant<std::monostate, std::int64_t, double, std::string>;

struct NormalizedRecord {
    std::string id;
    std::vector<ColumnValue> values; // parallel to KindSpec::fields
};

const KindSpec* findKind(const std::string& kind);
std::string knownKinds(); // "thread, step, log, permission"

// Throws std::invalid_argument with the reason ("field 'mcp_id' is required") when invalid.
NormalizedRecord normalize(const KindSpec& spec, const Poco::JSON::Object& record,
                           const std::function<std::string()>& newId, const std::function<std::string()>& now);

} // namespace mc::store_sqlite
