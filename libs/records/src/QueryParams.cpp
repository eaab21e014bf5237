#include "mc/records/QueryParams.h"

#include "mc/records/JsonText.h"
#include "mc/sdk.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>

namespace mc::records {

using mc::sdk::Error;

Poco::JSON::Object::Ptr parseQueryParams(const std::string& json, const std::string& queryName,
                                         const std::set<std::string>& allowed) {
    if (json.find_first_not_of(" \t\r\n") == std::string::npos) return new Poco::JSON::Object;
    Poco::Dynamic::Var parsed;
    try {
        parsed = Poco::JSON::Parser().parse(json);
    } catch (const Poco::Exception& e) {
        throw Error(MC_ERR_INVALID_ARGUMENT, queryName + ": parameters are not valid JSON: " + e.displayText());
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
        throw Error(MC_ERR_INVALID_ARGUMENT, queryName + ": parameters must be a JSON object");
    auto params = parsed.extract<Poco::JSON::Object::Ptr>();
    for (const auto& name : params->getNames())
        if (!allowed.count(name)) {
            std::string known;
            for (const auto& a : allowed) known += (known.empty() ? "" : ", ") + a;
            throw Error(MC_ERR_INVALID_ARGUMENT, queryName + ": unknown parameter '" + name + "' (known: " + known + ")");
        }
    return params;
}

std::optional<std::string> stringParam(const Poco::JSON::Object& params, const std::string& queryName,
                                       const std::string& name) {
    if (!params.has(name) || params.isNull(name)) return std::nullopt;
    const auto v = params.get(name);
    if (!v.isString()) throw Error(MC_ERR_INVALID_ARGUMENT, queryName + ": parameter '" + name + "' must be a string");
    return v.extract<std::string>();
}

std::string requiredStringParam(const Poco::JSON::Object& params, const std::string& queryName, const std::string& name) {
    auto value = stringParam(params, queryName, name);
    if (!value || value->empty()) throw Error(MC_ERR_INVALID_ARGUMENT, queryName + ": parameter '" + name + "' is required");
    return *value;
}

std::int64_t limitParam(const Poco::JSON::Object& params, const std::string& queryName, const std::string& name,
                        std::int64_t fallback, std::int64_t max) {
    if (!params.has(name) || params.isNull(name)) return fallback;
    const auto v = params.get(name);
    std::int64_t n = 0;
    try {
        if (v.isInteger() && !v.isBoolean()) n = v.convert<std::int64_t>();
    } catch (const Poco::RangeException&) { // beyond 64 bits
    }
    if (n < 1 || n > max)
        throw Error(MC_ERR_INVALID_ARGUMENT,
                    queryName + ": parameter '" + name + "' must be an integer from 1 to " + std::to_string(max));
    return n;
}

std::vector<std::string> stringListParam(const Poco::JSON::Object& params, const std::string& queryName,
                                         const std::string& name, std::size_t maxItems) {
    const std::string what = queryName + ": parameter '" + name + "' ";
    if (!params.has(name) || params.isNull(name)) throw Error(MC_ERR_INVALID_ARGUMENT, what + "is required");
    auto array = params.getArray(name);
    if (!array) throw Error(MC_ERR_INVALID_ARGUMENT, what + "must be an array of strings");
    if (array->size() > maxItems)
        throw Error(MC_ERR_INVALID_ARGUMENT, what + "has " + std::to_string(array->size()) + " entries (at most " +
                                                 std::to_string(maxItems) + ")");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto v = array->get(static_cast<unsigned>(i));
        if (!v.isString() || v.extract<std::string>().empty())
            throw Error(MC_ERR_INVALID_ARGUMENT, what + "entry " + std::to_string(i) + " must be a non-empty string");
        out.push_back(v.extract<std::string>());
    }
    return out;
}

void appendThreadState(std::string& out, const std::string& id, const std::string& status,
                       const std::optional<std::string>& parentId, std::optional<std::int64_t> maxStepSequence,
                       std::optional<std::int64_t> maxTranscriptSequence) {
    const auto number = [](std::optional<std::int64_t> n) { return n ? std::to_string(*n) : std::string("null"); };
    out += "{\"id\":" + jsonString(id) + ",\"status\":" + jsonString(status) +
           ",\"parent_id\":" + (parentId ? jsonString(*parentId) : std::string("null")) +
           ",\"max_step_sequence\":" + number(maxStepSequence) +
           ",\"max_transcript_sequence\":" + number(maxTranscriptSequence) + "}";
}

} // namespace mc::records
