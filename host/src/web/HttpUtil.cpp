#include "web/HttpUtil.h"

#include "util/Json.h"

#include <Poco/URI.h>

#include <stdexcept>

namespace mc::host::http {

void sendBody(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
              const std::string& contentType, std::string_view body) {
    response.setStatus(status);
    response.setContentType(contentType);
    // API answers are never cached; a handler that allows caching (the console's files) says so first.
    if (!response.has("Cache-Control")) response.set("Cache-Control", "no-store");
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.send().write(body.data(), static_cast<std::streamsize>(body.size()));
}

void sendJson(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
              std::string_view json) {
    sendBody(response, status, "application/json", json);
}

void sendError(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
               std::string_view code, std::string_view message, std::string_view detailsJson) {
    std::string body = "{\"error\":{\"code\":";
    body += json::quote(code);
    body += ",\"message\":";
    body += json::quote(message);
    body += ",\"details\":";
    body += detailsJson.empty() ? std::string_view("{}") : detailsJson;
    body += "}}";
    sendJson(response, status, body);
}

std::string htmlEscape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '&': out += "&amp;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

std::map<std::string, std::string> queryParameters(const Poco::Net::HTTPServerRequest& request) {
    return queryParameters(request.getURI());
}

std::map<std::string, std::string> queryParameters(const std::string& target) {
    std::map<std::string, std::string> out;
    try {
        Poco::URI uri(target);
        for (auto& [key, value] : uri.getQueryParameters()) out[key] = value;
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument("malformed query string: " + e.message());
    }
    return out;
}

std::string requestPath(const Poco::Net::HTTPServerRequest& request) {
    const std::string& uri = request.getURI();
    auto q = uri.find('?');
    return q == std::string::npos ? uri : uri.substr(0, q);
}

} // namespace mc::host::http
