#pragma once
// HTTP routing on Poco's HTTPRequestHandlerFactory. A route names its method, a path pattern with
// {params}, the least role it needs, the media types of the bodies it accepts, and a handler. The
// router decides from the head alone (on the server's event loop, before any body is read) and answers
// everything else itself with the one JSON error shape: 403 (Host or Origin refused by the
// RequestGuard, or the role), 401 (auth), 404 (no route), 405 (+Allow), 413 (body too large), 415
// (media type), CORS preflights of allowed origins, and 500 when a handler throws (logged with the
// request; the client sees no stack trace).
#include "util/Refusal.h"
#include "web/Auth.h"
#include "web/RequestGuard.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace mc::host {

// A response a handler completes later, from any thread (see RequestContext::defer).
class DeferredReply {
public:
    using Writer = std::function<void(Poco::Net::HTTPServerResponse&)>;
    virtual ~DeferredReply() = default;
    // Writes and sends the response; `write` may throw HttpError (answered with the error shape).
    // Only the first completion counts (the timeout's included); later ones are ignored.
    virtual void complete(Writer write) = 0;
    // `then` runs once, on the server's event loop, when the client disconnects before the reply is
    // written (at once when it already has); never after complete().
    virtual void onAbandoned(std::function<void()> then) = 0;
    // Instead of complete(): answers with a stream that stays open (server-sent events); `head` sets the
    // status and headers. False when the reply was already written (the timeout's included). Then
    // onAbandoned's `then` runs when the client disconnects while the stream is open.
    virtual bool openStream(Writer head) = 0;
    // One piece of the open stream, from any thread; never waits. False once the client is gone or fell
    // too far behind (it is disconnected; an SSE client reconnects and resumes).
    virtual bool send(std::string bytes) = 0;
    // Ends the open stream.
    virtual void end() = 0;
};

struct RequestContext {
    Poco::Net::HTTPServerRequest& request;
    Poco::Net::HTTPServerResponse& response;
    std::map<std::string, std::string> pathParams;
    // The query parameters the route declares, validated and normalized (timestamps in the stored
    // form, enums as declared); `token` (authentication) is not among them.
    std::map<std::string, std::string> query;
    Principal principal;
    std::size_t maxBodyBytes;

    // The whole request body; throws HttpError 413 past the limit.
    std::string readBody();

    // For handlers that wait for something (a tool call, a store commit): the handler returns at once
    // and its worker is free; the reply is written by complete(), or by `onTimeout` (on the server's
    // event loop) when `timeout` passes first. Call it before starting the work that completes it.
    std::shared_ptr<DeferredReply> defer(std::chrono::milliseconds timeout, DeferredReply::Writer onTimeout);
};

// Throw from a handler to answer with that status and the JSON error shape.
// The HTTP status of each kind of refusal the domain modules report.
int httpStatusOf(Refusal refusal);

class HttpError : public std::runtime_error {
public:
    HttpError(int status, std::string code, const std::string& message, std::string detailsJson = "{}")
        : std::runtime_error(message), status(status), code(std::move(code)), detailsJson(std::move(detailsJson)) {}
    HttpError(Refusal refusal, std::string code, const std::string& message, std::string detailsJson = "{}")
        : HttpError(httpStatusOf(refusal), std::move(code), message, std::move(detailsJson)) {}
    int status;
    std::string code;
    std::string detailsJson;
};

using RouteHandler = std::function<void(RequestContext&)>;

enum class ParamType {
    String,
    Integer,   // within [minimum, maximum]
    Boolean,   // true | false
    Timestamp, // RFC 3339; handed on normalized to UTC with six fractional digits
    Enum,      // one of `values`
    EnumList   // comma-separated subset of `values`
};

// One query parameter a route accepts. The route's list is the single source for validation (the
// router rejects anything else before the handler runs) and for the API documentation.
struct QueryParam {
    std::string name;
    ParamType type = ParamType::String;
    std::string description;
    std::vector<std::string> values = {}; // Enum, EnumList
    long long minimum = 0;           // Integer
    long long maximum = 0;
    bool required = false;
    std::string defaultValue = {};   // documentation: what the handler uses when absent
};

struct Route {
    Route(std::string method, std::string pattern, std::optional<Role> minimumRole, RouteHandler handler,
          std::string summary, std::vector<QueryParam> query = {}, std::string contentType = "application/json",
          std::vector<std::string> requestTypes = {"application/json"})
        : method(std::move(method)), pattern(std::move(pattern)), minimumRole(minimumRole), handler(std::move(handler)),
          summary(std::move(summary)), query(std::move(query)), contentType(std::move(contentType)),
          requestTypes(std::move(requestTypes)) {}

    std::string method;   // GET, POST, DELETE, ...
    std::string pattern;  // "/api/mcps/{id}"
    std::optional<Role> minimumRole; // nullopt: open to everyone (e.g. /health)
    RouteHandler handler;
    std::string summary;  // one line for the API docs
    std::vector<QueryParam> query; // every query parameter accepted; any other is a 400
    std::string contentType;       // of a successful response, for the docs
    // Media types a request body may have (a request without a body needs none); others get 415.
    std::vector<std::string> requestTypes;
    // An ingest key (auth.ingest_keys.*) may call it in place of a token of minimumRole: set on the
    // routes that only take events and telemetry in.
    bool acceptsIngestKeys = false;
    // The handler never waits (it hands its work on and answers through ctx.defer): it runs on the
    // HTTP event loop, not a worker (net::LoopHandler), saving a thread hand-off per request.
    bool neverWaits = false;
};

// "application/json" from "Application/JSON; charset=utf-8".
std::string mediaType(const std::string& contentType);

// A request's query string checked against `params` ("token" always passes: it authenticates).
// Throws HttpError 400 naming the parameter and why (unknown ones with the known list).
std::map<std::string, std::string> validateQuery(const std::vector<QueryParam>& params,
                                                 const std::map<std::string, std::string>& given);

// Answers a route that does its own protocol handling (the WebSocket upgrade).
using RawHandlerFactory = std::function<Poco::Net::HTTPRequestHandler*()>;

class Router : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Router(const Authenticator& auth, std::size_t maxBodyBytes, RequestGuard guard = RequestGuard());

    void add(Route route);
    void addRaw(std::string method, std::string path, RawHandlerFactory factory, std::string summary);
    const std::vector<Route>& routes() const { return routes_; }

    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override;

    // Exposed for tests: matches `path` against `pattern`, filling params.
    static bool match(const std::string& pattern, const std::string& path, std::map<std::string, std::string>& params);

    struct RawRoute {
        std::string method;
        std::string path;
        RawHandlerFactory factory;
        std::string summary;
    };
    const std::vector<RawRoute>& rawRoutes() const { return raw_; }

private:
    // A pattern taken apart once, when its route is added: its segments, a parameter's without braces.
    struct Segment {
        std::string text;
        bool parameter = false;
    };
    using Segments = std::vector<Segment>;
    static Segments compile(std::string_view pattern);
    // `path` as its non-empty segments (views of it).
    static std::vector<std::string_view> split(std::string_view path);
    static bool matches(const Segments& pattern, const std::vector<std::string_view>& path,
                        std::map<std::string, std::string>& params);

    const Authenticator& auth_;
    std::size_t maxBodyBytes_;
    RequestGuard guard_;
    std::vector<Route> routes_;
    std::vector<Segments> patterns_; // routes_[i]'s pattern
    std::vector<RawRoute> raw_;
};

} // namespace mc::host
