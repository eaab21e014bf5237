#include "core/EventRouter.h"

#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>

#include <cctype>

namespace mc::host {
namespace {

constexpr std::size_t kMaxTypeLength = 64;

// The id in `field` as text: strings as they are, integers in decimal; "" when absent or another type.
std::string idField(const Poco::JSON::Object& payload, const char* field) {
    if (!payload.has(field)) return {};
    const Poco::Dynamic::Var value = payload.get(field);
    if (value.isEmpty()) return {};
    if (value.isString()) return value.extract<std::string>();
    if (value.isInteger()) return value.convert<std::string>();
    return {};
}

std::string firstIdField(const Poco::JSON::Object& payload, const char* first, const char* second) {
    std::string id = idField(payload, first);
    return id.empty() ? idField(payload, second) : id;
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

void setError(std::string* error, std::string message) {
    if (error) *error = std::move(message);
}

} // namespace

std::vector<std::string> EventRouter::channelsFor(std::string_view type, const Poco::JSON::Object& payload) {
    std::vector<std::string> channels;
    if (type == "log") {
        channels.emplace_back("logs:*");
        if (auto thread = idField(payload, "thread_id"); !thread.empty()) channels.push_back("logs:" + thread);
        if (auto mcp = idField(payload, "mcp_id"); !mcp.empty()) channels.push_back("logs:mcp:" + mcp);
        if (auto level = idField(payload, "level"); !level.empty()) channels.push_back("logs:" + upper(level));
    } else if (type == "thread" || type == "step" || type == "transcript") {
        channels.emplace_back("threads");
        if (auto id = firstIdField(payload, "thread_id", "id"); !id.empty()) channels.push_back("threads:" + id);
    } else if (type == "mcp") {
        channels.emplace_back("mcps");
        if (auto id = firstIdField(payload, "id", "mcp_id"); !id.empty()) channels.push_back("mcps:" + id);
    } else if (type == "permission") {
        channels.emplace_back("permissions");
        if (auto thread = idField(payload, "thread_id"); !thread.empty())
            channels.push_back("permissions:" + thread);
    } else if (type == "discovery") {
        channels.emplace_back("mcps");
    } else {
        channels.push_back("events:" + std::string(type));
    }
    return channels;
}

mc_status EventRouter::route(std::string_view source, std::string_view type, std::string_view payloadJson,
                             std::string* error) {
    if (type.empty() || type.size() > kMaxTypeLength) {
        setError(error, "event type must be 1 to " + std::to_string(kMaxTypeLength) + " characters");
        return MC_ERR_INVALID_ARGUMENT;
    }
    for (char c : type) {
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
        if (!ok) {
            setError(error, "event type '" + std::string(type) + "' may only contain letters, digits, '_', '-' and '.'");
            return MC_ERR_INVALID_ARGUMENT;
        }
    }
    Poco::JSON::Object::Ptr payload;
    try {
        Poco::JSON::Parser parser;
        Poco::Dynamic::Var parsed = parser.parse(std::string(payloadJson));
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
            setError(error, "event payload must be a JSON object");
            return MC_ERR_INVALID_ARGUMENT;
        }
        payload = parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        setError(error, "event payload is not valid JSON: " + e.displayText());
        return MC_ERR_INVALID_ARGUMENT;
    }
    if (!payload) {
        setError(error, "event payload must be a JSON object");
        return MC_ERR_INVALID_ARGUMENT;
    }
    try {
        broadcaster_.publish(type, payloadJson, channelsFor(type, *payload), source);
    } catch (const std::invalid_argument& e) {
        setError(error, e.what());
        return MC_ERR_INVALID_ARGUMENT;
    }
    return MC_OK;
}

} // namespace mc::host
