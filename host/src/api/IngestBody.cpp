#include "api/IngestBody.h"

#include "util/Json.h"
#include "web/Router.h"

#include <Poco/String.h>

namespace mc::host {

std::vector<RawEvent> eventsOf(const Poco::JSON::Array& array) {
    std::vector<RawEvent> out;
    out.reserve(array.size());
    for (std::size_t i = 0; i < array.size(); ++i) {
        RawEvent e;
        e.object = array.getObject(static_cast<unsigned>(i));
        if (!e.object) e.error = "event is not a JSON object";
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<RawEvent> parseJsonEvents(const std::string& body) {
    Poco::Dynamic::Var parsed;
    try {
        parsed = json::parse(body);
    } catch (const Poco::Exception& e) {
        throw HttpError(400, "invalid_json", "the request body is not valid JSON: " + e.displayText());
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
        throw HttpError(400, "bad_request", "the request body must be a JSON object {\"events\":[...]}");
    auto object = parsed.extract<Poco::JSON::Object::Ptr>();
    if (!object->has("events") || object->get("events").type() != typeid(Poco::JSON::Array::Ptr))
        throw HttpError(400, "bad_request", "the request body needs an \"events\" array", "{\"field\":\"events\"}");
    return eventsOf(*object->getArray("events"));
}

std::vector<RawEvent> parseNdjsonEvents(const std::string& body) {
    std::vector<RawEvent> out;
    std::size_t start = 0;
    std::size_t line = 0;
    while (start <= body.size()) {
        std::size_t end = body.find('\n', start);
        if (end == std::string::npos) end = body.size();
        ++line;
        const std::string text = Poco::trim(body.substr(start, end - start));
        start = end + 1;
        if (text.empty()) continue;
        RawEvent e;
        try {
            auto parsed = json::parse(text);
            if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) e.object = parsed.extract<Poco::JSON::Object::Ptr>();
            else e.error = "line " + std::to_string(line) + ": not a JSON object";
        } catch (const Poco::Exception& ex) {
            e.error = "line " + std::to_string(line) + ": not valid JSON: " + ex.displayText();
        }
        out.push_back(std::move(e));
    }
    return out;
}

} // namespace mc::host
