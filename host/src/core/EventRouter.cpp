#include "core/EventRouter.h"

#include "mc/records/JsonText.h"
#include "mc/records/RecordSchema.h"
#include "util/Json.h"

#include <Poco/JSON/JSONException.h>

#include <cctype>
#include <stdexcept>

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

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

void setError(std::string* error, std::string message) {
    if (error) *error = std::move(message);
}

} // namespace

ChannelKeys EventRouter::keysOf(const Poco::JSON::Object& payload) {
    ChannelKeys keys;
    keys.id = idField(payload, "id");
    keys.threadId = idField(payload, "thread_id");
    keys.mcpId = idField(payload, "mcp_id");
    keys.level = idField(payload, "level");
    return keys;
}

ChannelKeys EventRouter::keysOf(const mc::records::KindSpec& spec, const mc::records::NormalizedRecord& record) {
    ChannelKeys keys;
    keys.id = record.id;
    keys.threadId = record.text(spec, "thread_id").value_or("");
    keys.mcpId = record.text(spec, "mcp_id").value_or("");
    keys.level = record.text(spec, "level").value_or("");
    return keys;
}

std::vector<std::string> EventRouter::channelsFor(std::string_view type, const Poco::JSON::Object& payload) {
    return channelsFor(type, keysOf(payload));
}

std::vector<std::string> EventRouter::channelsFor(std::string_view type, const ChannelKeys& keys) {
    std::vector<std::string> channels;
    const auto either = [](const std::string& first, const std::string& second) { return first.empty() ? second : first; };
    if (type == "log") {
        channels.emplace_back("logs:*");
        if (!keys.threadId.empty()) channels.push_back("logs:" + keys.threadId);
        if (!keys.mcpId.empty()) channels.push_back("logs:mcp:" + keys.mcpId);
        if (!keys.level.empty()) channels.push_back("logs:" + upper(keys.level));
    } else if (type == "thread" || type == "step") {
        channels.emplace_back("threads");
        if (auto id = either(keys.threadId, keys.id); !id.empty()) channels.push_back("threads:" + id);
    } else if (type == "transcript") {
        if (!keys.threadId.empty()) {
            channels.push_back("transcripts:" + keys.threadId);
            channels.push_back("threads:" + keys.threadId);
        } else {
            channels.emplace_back("events:transcript");
        }
    } else if (type == "mcp") {
        channels.emplace_back("mcps");
        if (auto id = either(keys.id, keys.mcpId); !id.empty()) channels.push_back("mcps:" + id);
    } else if (type == "mcp_status") {
        channels.emplace_back("mcps");
        if (!keys.mcpId.empty()) channels.push_back("mcps:" + keys.mcpId);
    } else if (type == "permission") {
        channels.emplace_back("permissions");
        if (!keys.threadId.empty()) channels.push_back("permissions:" + keys.threadId);
    } else if (type == "metric") {
        channels.emplace_back("metrics");
    } else if (type == "span") {
        channels.emplace_back("traces");
        if (!keys.threadId.empty()) channels.push_back("threads:" + keys.threadId);
    } else if (type == "audit") {
        channels.emplace_back("audit");
    } else if (type == "discovery") {
        channels.emplace_back("mcps");
    } else if (type == "protocol") {
        channels.emplace_back("protocol");
        if (!keys.mcpId.empty()) channels.push_back("protocol:" + keys.mcpId);
    } else if (type == "plugins_changed") {
        channels.emplace_back("plugins");
    } else if (type == "plugin_status") {
        channels.emplace_back("plugins");
        if (!keys.id.empty()) channels.push_back("plugins:" + keys.id);
    } else {
        channels.push_back("events:" + std::string(type));
    }
    return channels;
}

bool EventRouter::hasSubscribers(std::string_view type, const ChannelKeys& keys) const {
    for (const auto& channel : channelsFor(type, keys))
        if (broadcaster_.subscriberCount(channel) > 0) return true;
    return false;
}

std::uint64_t EventRouter::publish(std::string_view source, std::string_view type, std::string_view payloadJson,
                                   const ChannelKeys& keys) {
    return broadcaster_.publish(type, payloadJson, channelsFor(type, keys), source);
}

mc_status EventRouter::routeRecord(std::string_view source, mc::records::TypedRecord record, std::string* error) {
    if (persistence_) return persistence_(source, std::move(record), error);
    // No store behind the router (as route does then): published as it is.
    const auto& spec = *record.spec;
    broadcaster_.publish(spec.kind, mc::records::toJson(spec, record.record), channelsFor(spec.kind, keysOf(spec, record.record)),
                         source);
    return MC_OK;
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
        Poco::Dynamic::Var parsed = json::parse(payloadJson);
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
    if (const auto* spec = persistence_ ? mc::records::findKind(type) : nullptr) {
        mc::records::TypedRecord record{spec, {}};
        try {
            record.record = mc::records::normalize(*spec, *payload, [spec] { return mc::records::generateId(*spec); },
                                                   [] { return mc::records::timestampFromHostClock(0); });
        } catch (const std::invalid_argument& e) {
            setError(error, e.what());
            return MC_ERR_INVALID_ARGUMENT;
        }
        return persistence_(source, std::move(record), error);
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
