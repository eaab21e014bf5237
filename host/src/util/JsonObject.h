#pragma once
// Reading members of a parsed JSON object (Poco) the one way every host module does.
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>

#include <optional>
#include <string>

namespace mc::host::json {

// The member `key` of `o` when it is a string; "" when `o` is null, the member is absent or not a string.
inline std::string stringMember(const Poco::JSON::Object::Ptr& o, const std::string& key) {
    if (!o || !o->has(key)) return {};
    const auto v = o->get(key);
    return v.isString() ? v.extract<std::string>() : std::string();
}

// `v` when it is a JSON integer (not a boolean) that fits 64 signed bits; nullopt otherwise. Poco
// reads 9223372036854775808 and above as unsigned, and converting those throws: check with this first.
inline std::optional<long long> integerValue(const Poco::Dynamic::Var& v) {
    if (v.isEmpty() || !v.isInteger() || v.isBoolean()) return std::nullopt;
    try {
        return v.convert<long long>();
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
}

} // namespace mc::host::json
