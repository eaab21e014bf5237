#include "web/ws/ClientMessage.h"

#include "util/Json.h"

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace mc::host {

std::optional<MessageRefusal> parseClientMessage(const std::string& text, ClientMessage& out) {
    Poco::Dynamic::Var parsed;
    try {
        Poco::JSON::Parser parser;
        parsed = parser.parse(text);
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
    const std::string shown = message.type.size() > 64 ? message.type.substr(0, 64) + "..." : message.type;
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
