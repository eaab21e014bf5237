#include "web/Router.h"

#include "log/Logging.h"
#include "mc/records/JsonText.h"
#include "net/HttpServer.h"
#include "util/Json.h"
#include "web/HttpUtil.h"

#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <algorithm>
#include <chrono>
#include <istream>

namespace mc::host {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

// The next non-empty segment of a path ("" at its end), taken off the front of `rest`.
std::string_view nextSegment(std::string_view& rest) {
    while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
    const auto end = std::min(rest.find('/'), rest.size());
    const auto segment = rest.substr(0, end);
    rest.remove_prefix(end);
    return segment;
}

// Decided from the head: runs on the server's event loop, before any body is read.
class ErrorHandler final : public net::ImmediateHandler {
public:
    ErrorHandler(Status status, std::string code, std::string message, std::string allow = {})
        : status_(status), code_(std::move(code)), message_(std::move(message)), allow_(std::move(allow)) {}
    void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override {
        if (!allow_.empty()) response.set("Allow", allow_);
        if (status_ == Status::HTTP_UNAUTHORIZED) response.set("WWW-Authenticate", "Bearer");
        http::sendError(response, status_, code_, message_);
    }

private:
    Status status_;
    std::string code_;
    std::string message_;
    std::string allow_;
};

// The answer to a CORS preflight of an allowed origin.
class PreflightHandler final : public net::ImmediateHandler {
public:
    PreflightHandler(std::string origin, std::string allow) : origin_(std::move(origin)), allow_(std::move(allow)) {}
    void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override {
        response.set("Access-Control-Allow-Origin", origin_);
        response.set("Vary", "Origin");
        response.set("Access-Control-Allow-Methods", allow_);
        response.set("Access-Control-Allow-Headers", "Authorization, Content-Type");
        response.set("Access-Control-Max-Age", "600");
        response.setStatus(Status::HTTP_NO_CONTENT);
        response.setContentLength(0);
        response.send();
    }

private:
    std::string origin_;
    std::string allow_;
};

void answerError(Poco::Net::HTTPServerResponse& response, const std::exception& error, const std::string& what) {
    if (const auto* e = dynamic_cast<const HttpError*>(&error)) {
        http::sendError(response, static_cast<Status>(e->status), e->code, e->what(), e->detailsJson);
        return;
    }
    logging::get("http")->error("{} failed: {}", what, error.what());
    http::sendError(response, Status::HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                    "the request failed inside the host; the log has the details");
}

class ExchangeReply final : public DeferredReply {
public:
    ExchangeReply(std::shared_ptr<net::HttpExchange> exchange, std::string what)
        : exchange_(std::move(exchange)), what_(std::move(what)) {}
    void complete(Writer write) override {
        exchange_->complete([&](Poco::Net::HTTPServerResponse& response) {
            try {
                write(response);
            } catch (const std::exception& e) {
                if (!response.sent()) answerError(response, e, what_);
            }
        });
    }
    void onAbandoned(std::function<void()> then) override { exchange_->onAbandoned(std::move(then)); }
    bool openStream(Writer head) override { return exchange_->openStream(head); }
    bool send(std::string bytes) override { return exchange_->sendOnStream(std::move(bytes)); }
    void end() override { exchange_->endStream(); }

private:
    std::shared_ptr<net::HttpExchange> exchange_;
    std::string what_;
};

// One request of a route: its checks, then its handler. `Base` says where the server runs it: a
// worker (Poco::Net::HTTPRequestHandler) or the event loop (net::LoopHandler, Route::neverWaits).
template <class Base>
class RouteRunner final : public Base {
public:
    RouteRunner(const Route& route, std::map<std::string, std::string> params, Principal principal, std::size_t maxBody,
                std::string corsOrigin)
        : route_(route), params_(std::move(params)), principal_(std::move(principal)), maxBody_(maxBody),
          corsOrigin_(std::move(corsOrigin)) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        static auto log = logging::get("http");
        const auto started = std::chrono::steady_clock::now();
        if (!corsOrigin_.empty()) {
            response.set("Access-Control-Allow-Origin", corsOrigin_);
            response.set("Vary", "Origin");
        }
        RequestContext ctx{request, response, params_, {}, principal_, maxBody_};
        try {
            if (request.hasContentLength() && request.getContentLength64() > static_cast<Poco::Int64>(maxBody_))
                throw HttpError(413, "payload_too_large",
                                "request body of " + std::to_string(request.getContentLength64()) +
                                    " bytes exceeds http.max_body_bytes (" + std::to_string(maxBody_) + ")");
            std::map<std::string, std::string> given;
            try {
                given = http::queryParameters(request);
            } catch (const std::invalid_argument& e) {
                throw HttpError(400, "bad_request", e.what());
            }
            ctx.query = validateQuery(route_.query, given);
            route_.handler(ctx);
        } catch (const std::exception& e) {
            const std::string what = request.getMethod() + " " + request.getURI();
            auto* exchange = net::HttpExchange::of(response);
            if (exchange && exchange->deferred()) {
                // Failed after deferring: answer through the deferred path (unless already answered).
                exchange->complete([&](Poco::Net::HTTPServerResponse& r) { answerError(r, e, what); });
            } else if (!response.sent()) {
                answerError(response, e, what);
            }
        }
        const auto micros =
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
        log->debug("{} {} -> {} in {} us ({})", request.getMethod(), request.getURI(),
                   static_cast<int>(response.getStatus()), micros, principal_.subject);
    }

private:
    const Route& route_;
    std::map<std::string, std::string> params_;
    Principal principal_;
    std::size_t maxBody_;
    std::string corsOrigin_;
};

[[noreturn]] void badParameter(const std::string& name, const std::string& why) {
    throw HttpError(400, "invalid_parameter", "query parameter '" + name + "' " + why,
                    "{\"parameter\":" + json::quote(name) + "}");
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

std::string checkedValue(const QueryParam& p, const std::string& value) {
    switch (p.type) {
    case ParamType::String:
        if (value.empty()) badParameter(p.name, "must not be empty");
        return value;
    case ParamType::Integer: {
        long long n = 0;
        std::size_t used = 0;
        try {
            n = std::stoll(value, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != value.size() || value.empty() || n < p.minimum || n > p.maximum)
            badParameter(p.name, "must be an integer from " + std::to_string(p.minimum) + " to " +
                                     std::to_string(p.maximum) + " (got '" + value + "')");
        return std::to_string(n);
    }
    case ParamType::Boolean:
        if (value != "true" && value != "false") badParameter(p.name, "must be true or false (got '" + value + "')");
        return value;
    case ParamType::Timestamp: {
        std::string normalized;
        if (!mc::records::normalizeTimestamp(value, normalized))
            badParameter(p.name, "must be an RFC 3339 timestamp such as 2026-01-02T03:04:05Z (got '" + value + "')");
        return normalized;
    }
    case ParamType::Enum: {
        // Any letter case is accepted (min_level=warn); the declared spelling is what travels on.
        const auto match = std::find_if(p.values.begin(), p.values.end(),
                                         [&](const std::string& v) { return Poco::icompare(v, value) == 0; });
        if (match == p.values.end())
            badParameter(p.name, "must be one of " + joined(p.values) + " (got '" + value + "')");
        return *match;
    }
    case ParamType::EnumList: {
        Poco::StringTokenizer items(value, ",", Poco::StringTokenizer::TOK_TRIM);
        std::string out;
        for (const auto& item : items) {
            if (std::find(p.values.begin(), p.values.end(), item) == p.values.end())
                badParameter(p.name, "takes a comma-separated list of " + joined(p.values) + " (got '" + item + "')");
            out += (out.empty() ? "" : ",") + item;
        }
        if (out.empty()) badParameter(p.name, "must name at least one of " + joined(p.values));
        return out;
    }
    }
    return value;
}

} // namespace

std::map<std::string, std::string> validateQuery(const std::vector<QueryParam>& params,
                                                 const std::map<std::string, std::string>& given) {
    std::map<std::string, std::string> out;
    for (const auto& [name, value] : given) {
        if (name == "token") continue;
        // (an init-capture: clang before C++20 cannot capture a structured binding)
        auto p = std::find_if(params.begin(), params.end(), [&wanted = name](const QueryParam& q) { return q.name == wanted; });
        if (p == params.end()) {
            std::vector<std::string> known;
            for (const auto& q : params) known.push_back(q.name);
            std::string knownJson;
            for (const auto& k : known) knownJson += (knownJson.empty() ? "" : ",") + json::quote(k);
            throw HttpError(400, "unknown_parameter",
                            "unknown query parameter '" + name + "' (known: " + (known.empty() ? "none" : joined(known)) + ")",
                            "{\"parameter\":" + json::quote(name) + ",\"known\":[" + knownJson + "]}");
        }
        out[name] = checkedValue(*p, value);
    }
    for (const auto& p : params)
        if (p.required && !out.count(p.name)) badParameter(p.name, "is required");
    return out;
}

int httpStatusOf(Refusal refusal) {
    switch (refusal) {
    case Refusal::InvalidInput: return 400;
    case Refusal::Forbidden: return 403;
    case Refusal::NotFound: return 404;
    case Refusal::Conflict: return 409;
    case Refusal::InvalidArguments: return 422;
    case Refusal::NotSupported: return 501;
    case Refusal::UpstreamFailed: return 502;
    case Refusal::Unavailable: return 503;
    case Refusal::TimedOut: return 504;
    }
    return 500;
}

std::shared_ptr<DeferredReply> RequestContext::defer(std::chrono::milliseconds timeout, DeferredReply::Writer onTimeout) {
    auto* exchange = net::HttpExchange::of(response);
    if (!exchange) throw std::logic_error("a deferred reply needs a response of the host's HTTP server");
    const std::string what = request.getMethod() + " " + request.getURI();
    exchange->defer(timeout, [onTimeout = std::move(onTimeout), what](Poco::Net::HTTPServerResponse& r) {
        try {
            onTimeout(r);
        } catch (const std::exception& e) {
            if (!r.sent()) answerError(r, e, what);
        }
    });
    return std::make_shared<ExchangeReply>(exchange->shared_from_this(), what);
}

std::string mediaType(const std::string& contentType) {
    return Poco::toLower(Poco::trim(contentType.substr(0, contentType.find(';'))));
}

std::string RequestContext::readBody() {
    std::string body;
    auto& in = request.stream();
    char buf[8192];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        body.append(buf, static_cast<std::size_t>(in.gcount()));
        if (body.size() > maxBodyBytes)
            throw HttpError(413, "payload_too_large",
                            "request body exceeds http.max_body_bytes (" + std::to_string(maxBodyBytes) + ")");
    }
    return body;
}

Router::Router(const Authenticator& auth, std::size_t maxBodyBytes, RequestGuard guard)
    : auth_(auth), maxBodyBytes_(maxBodyBytes), guard_(std::move(guard)) {}

void Router::add(Route route) {
    patterns_.push_back(compile(route.pattern));
    routes_.push_back(std::move(route));
}

void Router::addRaw(std::string method, std::string path, RawHandlerFactory factory, std::string summary) {
    raw_.push_back(RawRoute{std::move(method), std::move(path), std::move(factory), std::move(summary)});
}

Router::Segments Router::compile(std::string_view pattern) {
    Segments segments;
    for (auto w = nextSegment(pattern); !w.empty(); w = nextSegment(pattern)) {
        const bool parameter = w.size() > 2 && w.front() == '{' && w.back() == '}';
        segments.push_back(Segment{std::string(parameter ? w.substr(1, w.size() - 2) : w), parameter});
    }
    return segments;
}

std::vector<std::string_view> Router::split(std::string_view path) {
    std::vector<std::string_view> segments;
    segments.reserve(8);
    for (auto h = nextSegment(path); !h.empty(); h = nextSegment(path)) segments.push_back(h);
    return segments;
}

// Every route is tried against each request's path: its segments are compared with the path's, split
// once per request; parameters are copied out only on a match.
bool Router::matches(const Segments& pattern, const std::vector<std::string_view>& path, std::map<std::string, std::string>& params) {
    if (pattern.size() != path.size()) return false;
    for (std::size_t i = 0; i < pattern.size(); ++i)
        if (!pattern[i].parameter && pattern[i].text != path[i]) return false;
    params.clear();
    for (std::size_t i = 0; i < pattern.size(); ++i)
        if (pattern[i].parameter) params[pattern[i].text] = std::string(path[i]);
    return true;
}

bool Router::match(const std::string& pattern, const std::string& path, std::map<std::string, std::string>& params) {
    return matches(compile(pattern), split(path), params);
}

Poco::Net::HTTPRequestHandler* Router::createRequestHandler(const Poco::Net::HTTPServerRequest& request) {
    const std::string path = http::requestPath(request);
    const std::string& method = request.getMethod();
    const auto segments = split(path);

    // Browsers first: a page elsewhere must not reach anything (the WebSocket included).
    if (auto problem = guard_.hostProblem(request))
        return new ErrorHandler(Status::HTTP_FORBIDDEN, "host_not_allowed", *problem);
    if (auto problem = guard_.originProblem(request))
        return new ErrorHandler(Status::HTTP_FORBIDDEN, "origin_not_allowed", *problem);
    const std::string corsOrigin = guard_.corsOrigin(request);

    for (const auto& raw : raw_)
        if (raw.path == path && raw.method == method) return raw.factory();

    if (method == "OPTIONS" && !corsOrigin.empty() && request.has("Access-Control-Request-Method")) {
        std::string allow;
        std::map<std::string, std::string> params;
        for (std::size_t i = 0; i < routes_.size(); ++i)
            if (matches(patterns_[i], segments, params)) allow += (allow.empty() ? "" : ", ") + routes_[i].method;
        if (!allow.empty()) return new PreflightHandler(corsOrigin, allow);
    }

    // Everything under /api needs a valid token (when auth is on) before anything else is said,
    // so that even a 404 tells an anonymous caller nothing.
    const bool isApi = path == "/api" || path.rfind("/api/", 0) == 0;
    Principal principal{"anonymous", Role::Admin};
    if (isApi && auth_.enabled()) {
        AuthResult auth = auth_.authenticate(request);
        if (!auth.principal) return new ErrorHandler(Status::HTTP_UNAUTHORIZED, "unauthorized", auth.error);
        principal = *auth.principal;
    }

    std::string allow;
    std::map<std::string, std::string> params;
    for (std::size_t i = 0; i < routes_.size(); ++i) {
        const Route& route = routes_[i];
        if (!matches(patterns_[i], segments, params)) continue;
        if (route.method != method) {
            allow += (allow.empty() ? "" : ", ") + route.method;
            continue;
        }
        if (route.minimumRole && auth_.enabled()) {
            if (!isApi) { // a protected route outside /api (none today) authenticates here
                AuthResult auth = auth_.authenticate(request);
                if (!auth.principal) return new ErrorHandler(Status::HTTP_UNAUTHORIZED, "unauthorized", auth.error);
                principal = *auth.principal;
            }
            if (principal.ingestOnly && !route.acceptsIngestKeys)
                return new ErrorHandler(Status::HTTP_FORBIDDEN, "forbidden",
                                        "an ingest key (" + principal.subject +
                                            ") may only send events and telemetry (POST /api/ingest, the receivers' routes)");
            if (!principal.ingestOnly && static_cast<int>(principal.role) < static_cast<int>(*route.minimumRole))
                return new ErrorHandler(Status::HTTP_FORBIDDEN, "forbidden",
                                        std::string("this request needs the ") + roleName(*route.minimumRole) +
                                            " role; the token has " + roleName(principal.role));
        }
        const bool hasBody = (request.hasContentLength() && request.getContentLength64() > 0) ||
                             request.getChunkedTransferEncoding();
        if (hasBody) {
            if (request.hasContentLength() && request.getContentLength64() > static_cast<Poco::Int64>(maxBodyBytes_))
                return new ErrorHandler(Status::HTTP_REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                                        "request body of " + std::to_string(request.getContentLength64()) +
                                            " bytes exceeds http.max_body_bytes (" + std::to_string(maxBodyBytes_) + ")");
            const std::string type = mediaType(request.getContentType());
            if (std::find(route.requestTypes.begin(), route.requestTypes.end(), type) == route.requestTypes.end()) {
                std::string accepted;
                for (const auto& t : route.requestTypes) accepted += (accepted.empty() ? "" : " or ") + t;
                return new ErrorHandler(Status::HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                                        "Content-Type must be " + (accepted.empty() ? std::string("absent: this request takes no body")
                                                                                    : accepted) +
                                            ", not '" + request.getContentType() + "'");
            }
        }
        if (route.neverWaits)
            return new RouteRunner<net::LoopHandler>(route, std::move(params), std::move(principal), maxBodyBytes_, corsOrigin);
        return new RouteRunner<Poco::Net::HTTPRequestHandler>(route, std::move(params), std::move(principal), maxBodyBytes_, corsOrigin);
    }
    for (const auto& raw : raw_)
        if (raw.path == path) allow += (allow.empty() ? "" : ", ") + raw.method;
    if (!allow.empty())
        return new ErrorHandler(Status::HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                                method + " is not allowed on " + path + " (allowed: " + allow + ")", allow);
    return new ErrorHandler(Status::HTTP_NOT_FOUND, "not_found", "no route for " + method + " " + path);
}

} // namespace mc::host
