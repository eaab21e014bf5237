#include "web/ws/ClientMessage.h"

#include "util/Json.h"

#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace mc::host {

std::optional<MessageRefusal> parseClientMessage(const std::string& text, ClientMessage& out) {
    Poco::Dynamic::Var parsed;
    try {
        parsed = json::parse(text);
    } catch (const Poco::Exception& e) {
        return MessageRefusal{"invalid_json", "message is not valid JSON: " + e.message(), {}};
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr) || !parsed.extract<Poco::JSON::Object::Ptr>())
        return MessageRefusal{"invalid_message", "message must be a JSON object with a \"type\"", {}};
    out.body = parsed.extract<Poco::JSON::Object::Ptr>();
    if (out.body->has("request_id")) {
        const Poco::Dynamic::Var id = out.body->get("request_id");
        std::ostringstream text;
        Poco::JSON::Stringifier::stringify(id, text);
        out.requestIdJson = text.str();
    }
    const Poco::Dynamic::Var type = out.body->get("type");
    if (type.isEmpty() || !type.isString() || type.extract<std::string>().empty())
        return MessageRefusal{"invalid_message", "message needs a non-empty string \"type\"", out.requestIdJson};
    out.type = type.extract<std::string>();
    return std::nullopt;
}

MessageRefusal unknownTypeRefusal(const ClientMessage& message) {
    std::string shown = message.type;
    if (shown.size() > 64) {
        std::size_t keep = 64; // on a character boundary: never half a UTF-8 sequence
        while (keep > 0 && (static_cast<unsigned char>(shown[keep]) & 0xC0) == 0x80) --keep;
        shown = shown.substr(0, keep) + "...";
    }
    return MessageRefusal{"unknown_type", "unknown message type \"" + shown + "\"", message.requestIdJson};
}

std::string errorJson(std::string_view code, std::string_view message, std::string_view requestIdJson) {
    std::string out = "{\"type\":\"error\",\"code\":";
    out += json::quote(code);
    out += ",\"message\":";
    out += json::quote(message);
    if (!requestIdJson.empty()) {
        out += ",\"request_id\":";
        out += requestIdJson;
    }
    out += '}';
    return out;
}

} // namespace mc::host
