#pragma once
// Reading members of a parsed JSON object (Poco) the one way every host module does.
#include <Poco/JSON/Object.h>

#include <string>

namespace mc::host::json {

// The member `key` of `o` when it is a string; "" when `o` is null, the member is absent or not a string.
inline std::string stringMember(const Poco::JSON::Object::Ptr& o, const std::string& key) {
    if (!o || !o->has(key)) return {};
    const auto v = o->get(key);
    return v.isString() ? v.extract<std::string>() : std::string();
}

} // namespace mc::host::json
