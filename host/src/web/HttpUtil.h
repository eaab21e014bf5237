#pragma once
// One JSON response shape for the whole HTTP surface:
//   success: the body as given; error: {"error": {"code": "...", "message": "...", "details": {...}}}
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <map>
#include <string>
#include <string_view>

namespace mc::host::http {

// Sends `body` as `contentType` with the given status (not cached).
void sendBody(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
              const std::string& contentType, std::string_view body);

// Sends `json` (already serialized) with the given status.
void sendJson(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
              std::string_view json);

// Sends the error shape. `detailsJson` must be a JSON object text ("{}" when there is nothing).
void sendError(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
               std::string_view code, std::string_view message, std::string_view detailsJson = "{}");

// The query string of a request as key -> value (last one wins); throws std::invalid_argument on a
// malformed escape.
std::map<std::string, std::string> queryParameters(const Poco::Net::HTTPServerRequest& request);
// The same for a request target ("/api/logs?level=warn").
std::map<std::string, std::string> queryParameters(const std::string& target);

// `text` safe inside HTML text and double-quoted attributes.
std::string htmlEscape(std::string_view text);

// The path of a request without its query string.
std::string requestPath(const Poco::Net::HTTPServerRequest& request);

} // namespace mc::host::http
