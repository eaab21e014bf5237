#pragma once
// HTTP routing on Poco's HTTPRequestHandlerFactory. A route names its method, a path pattern with
// {params}, the least role it needs, and a handler. The router answers everything else itself with
// the one JSON error shape: 401/403 (auth), 404 (no route), 405 (+Allow), 413 (body too large), and 500
// when a handler throws (logged with the request; the client sees no stack trace).
#include "web/Auth.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <functional>
#include <optional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace mc::host {

struct RequestContext {
    Poco::Net::HTTPServerRequest& request;
    Poco::Net::HTTPServerResponse& response;
    std::map<std::string, std::string> pathParams;
    Principal principal;
    std::size_t maxBodyBytes;

    // The whole request body; throws HttpError 413 past the limit.
    std::string readBody();
};

// Throw from a handler to answer with that status and the JSON error shape.
class HttpError : public std::runtime_error {
public:
    HttpError(int status, std::string code, const std::string& message, std::string detailsJson = "{}")
        : std::runtime_error(message), status(status), code(std::move(code)), detailsJson(std::move(detailsJson)) {}
    int status;
    std::string code;
    std::string detailsJson;
};

using RouteHandler = std::function<void(RequestContext&)>;

struct Route {
    std::string method;   // GET, POST, DELETE, ...
    std::string pattern;  // "/api/mcps/{id}"
    std::optional<Role> minimumRole; // nullopt: open to everyone (e.g. /health)
    RouteHandler handler;
    std::string summary;  // one line for the API docs
};

// Answers a route that does its own protocol handling (the WebSocket upgrade).
using RawHandlerFactory = std::function<Poco::Net::HTTPRequestHandler*()>;

class Router : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Router(const Authenticator& auth, std::size_t maxBodyBytes);

    void add(Route route);
    void addRaw(std::string method, std::string path, RawHandlerFactory factory, std::string summary);
    const std::vector<Route>& routes() const { return routes_; }

    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override;

    // Exposed for tests: matches `path` against `pattern`, filling params.
    static bool match(const std::string& pattern, const std::string& path, std::map<std::string, std::string>& params);

private:
    struct RawRoute {
        std::string method;
        std::string path;
        RawHandlerFactory factory;
        std::string summary;
    };
    const Authenticator& auth_;
    std::size_t maxBodyBytes_;
    std::vector<Route> routes_;
    std::vector<RawRoute> raw_;
};

} // namespace mc::host
