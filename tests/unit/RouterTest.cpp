// The HTTP router over a real Poco HTTPServer on loopback: auth before anything under /api, roles,
// path parameters, and the JSON error shape for 401/403/404/405/413/500.
#include "TestHttp.h"
#include "web/HttpUtil.h"
#include "web/Router.h"

#include "net/HttpServer.h"
#include <cppunit/extensions/HelperMacros.h>

#include <memory>

using namespace mc::host;
using mc::test::httpGet;
using mc::test::httpRequest;
using Status = Poco::Net::HTTPResponse::HTTPStatus;

namespace {
const std::string kSecret = "router-test-secret-0123456789";

struct Server {
    Authenticator auth;
    std::unique_ptr<Router> router;
    std::unique_ptr<mc::host::net::HttpServer> server;

    explicit Server(const std::string& secret, RequestGuardSettings guard = {})
        : auth(secret), router(std::make_unique<Router>(auth, 64, RequestGuard(guard))) {
        router->add(Route{"GET", "/health", std::nullopt,
                          [](RequestContext& c) { http::sendJson(c.response, Status::HTTP_OK, "{\"status\":\"ok\"}"); }, ""});
        router->add(Route{"GET", "/api/things/{id}", Role::Viewer,
                          [](RequestContext& c) {
                              http::sendJson(c.response, Status::HTTP_OK,
                                             "{\"id\":\"" + c.pathParams.at("id") + "\",\"who\":\"" + c.principal.subject + "\"}");
                          },
                          ""});
        router->add(Route{"POST", "/api/things", Role::Admin,
                          [](RequestContext& c) {
                              std::string body = c.readBody();
                              http::sendJson(c.response, Status::HTTP_CREATED, "{\"bytes\":" + std::to_string(body.size()) + "}");
                          },
                          ""});
        router->add(Route{"GET", "/api/broken", Role::Viewer,
                          [](RequestContext&) -> void { throw std::runtime_error("secret internal detail"); }, ""});
        router->add(Route{"GET", "/api/teapot", Role::Viewer,
                          [](RequestContext&) -> void { throw HttpError(418, "teapot", "short and stout", "{\"spout\":1}"); }, ""});
        mc::host::net::HttpServerSettings settings;
        settings.limits.maxBodyBytes = 64;
        server = std::make_unique<mc::host::net::HttpServer>(settings, *router);
        server->start();
    }
    ~Server() { server->stop(); }
    unsigned short port() const { return static_cast<unsigned short>(server->port()); }
    std::map<std::string, std::string> bearer(Role role) const {
        return {{"Authorization", "Bearer " + auth.issue("tester", role)}};
    }
};

std::string errorCode(const mc::test::HttpResult& r) { return r.json()->getObject("error")->getValue<std::string>("code"); }
std::string errorMessage(const mc::test::HttpResult& r) {
    return r.json()->getObject("error")->getValue<std::string>("message");
}
} // namespace

class RouterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RouterTest);
    CPPUNIT_TEST(patternsCaptureParameters);
    CPPUNIT_TEST(openRoutesNeedNoToken);
    CPPUNIT_TEST(apiNeedsATokenEvenForUnknownPaths);
    CPPUNIT_TEST(tokenInQueryStringIsAccepted);
    CPPUNIT_TEST(rolesAreEnforcedWith403);
    CPPUNIT_TEST(unknownRouteAndWrongMethodAreJson);
    CPPUNIT_TEST(oversizeBodyIs413);
    CPPUNIT_TEST(handlerFailureIs500WithoutDetails);
    CPPUNIT_TEST(httpErrorKeepsItsStatusCodeAndDetails);
    CPPUNIT_TEST(withoutSecretEverythingIsOpen);
    CPPUNIT_TEST(hostMustNameThisServer);
    CPPUNIT_TEST(foreignOriginsAreRefusedAndAllowedOnesGetCors);
    CPPUNIT_TEST(bodiesNeedADeclaredMediaType);
    CPPUNIT_TEST_SUITE_END();

public:
    void patternsCaptureParameters() {
        std::map<std::string, std::string> p;
        CPPUNIT_ASSERT(Router::match("/api/mcps/{id}/tools/{tool}/call", "/api/mcps/files/tools/read/call", p));
        CPPUNIT_ASSERT_EQUAL(std::string("files"), p.at("id"));
        CPPUNIT_ASSERT_EQUAL(std::string("read"), p.at("tool"));
        CPPUNIT_ASSERT(!Router::match("/api/mcps/{id}", "/api/mcps", p));
        CPPUNIT_ASSERT(!Router::match("/api/mcps/{id}", "/api/mcps/a/b", p));
        CPPUNIT_ASSERT(!Router::match("/api/logs", "/api/threads", p));
        CPPUNIT_ASSERT(!Router::match("/api/logs", "/api/logs/x", p));
        CPPUNIT_ASSERT(!Router::match("/api/logsx", "/api/logs", p));
        // A miss leaves the last match's parameters as they were.
        CPPUNIT_ASSERT_EQUAL(std::string("files"), p.at("id"));
        // Empty segments do not count: doubled and trailing slashes match; the root is no segment.
        CPPUNIT_ASSERT(Router::match("/api/threads/{id}", "//api/threads//T-1/", p));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), p.size());
        CPPUNIT_ASSERT_EQUAL(std::string("T-1"), p.at("id"));
        CPPUNIT_ASSERT(Router::match("/", "/", p));
        CPPUNIT_ASSERT(p.empty());
        CPPUNIT_ASSERT(!Router::match("/", "/mcp", p));
        CPPUNIT_ASSERT(!Router::match("/{x}", "/", p));
    }

    void openRoutesNeedNoToken() {
        Server s(kSecret);
        auto r = httpGet(s.port(), "/health");
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), r.json()->getValue<std::string>("status"));
    }

    void apiNeedsATokenEvenForUnknownPaths() {
        Server s(kSecret);
        for (const std::string path : {"/api/things/1", "/api/does-not-exist"}) {
            auto r = httpGet(s.port(), path);
            CPPUNIT_ASSERT_EQUAL(401, r.status);
            CPPUNIT_ASSERT_EQUAL(std::string("unauthorized"), errorCode(r));
            CPPUNIT_ASSERT_EQUAL(std::string("application/json"), r.headers["Content-Type"]);
            CPPUNIT_ASSERT(r.body.find("things") == std::string::npos);
        }
        auto bad = httpGet(s.port(), "/api/things/1", {{"Authorization", "Bearer nonsense"}});
        CPPUNIT_ASSERT_EQUAL(401, bad.status);
        auto basic = httpGet(s.port(), "/api/things/1", {{"Authorization", "Basic dXNlcjpwYXNz"}});
        CPPUNIT_ASSERT_EQUAL(401, basic.status);
        CPPUNIT_ASSERT_EQUAL(std::string("the Authorization header must use the Bearer scheme"), errorMessage(basic));
        auto ok = httpGet(s.port(), "/api/things/42", s.bearer(Role::Viewer));
        CPPUNIT_ASSERT_EQUAL(200, ok.status);
        CPPUNIT_ASSERT_EQUAL(std::string("42"), ok.json()->getValue<std::string>("id"));
        CPPUNIT_ASSERT_EQUAL(std::string("tester"), ok.json()->getValue<std::string>("who"));
    }

    void tokenInQueryStringIsAccepted() {
        Server s(kSecret);
        auto r = httpGet(s.port(), "/api/things/7?token=" + s.auth.issue("browser", Role::Viewer));
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("browser"), r.json()->getValue<std::string>("who"));
    }

    void rolesAreEnforcedWith403() {
        Server s(kSecret);
        auto viewer = httpRequest("POST", s.port(), "/api/things", "{}", s.bearer(Role::Viewer));
        CPPUNIT_ASSERT_EQUAL(403, viewer.status);
        CPPUNIT_ASSERT_EQUAL(std::string("this request needs the admin role; the token has viewer"), errorMessage(viewer));
        auto op = httpRequest("POST", s.port(), "/api/things", "{}", s.bearer(Role::Operator));
        CPPUNIT_ASSERT_EQUAL(403, op.status);
        auto admin = httpRequest("POST", s.port(), "/api/things", "{\"a\":1}", s.bearer(Role::Admin));
        CPPUNIT_ASSERT_EQUAL(201, admin.status);
        CPPUNIT_ASSERT_EQUAL(7, admin.json()->getValue<int>("bytes"));
    }

    void unknownRouteAndWrongMethodAreJson() {
        Server s(kSecret);
        auto missing = httpGet(s.port(), "/nowhere");
        CPPUNIT_ASSERT_EQUAL(404, missing.status);
        CPPUNIT_ASSERT_EQUAL(std::string("not_found"), errorCode(missing));
        CPPUNIT_ASSERT_EQUAL(std::string("no route for GET /nowhere"), errorMessage(missing));
        auto method = httpRequest("DELETE", s.port(), "/api/things/1", "", s.bearer(Role::Admin));
        CPPUNIT_ASSERT_EQUAL(405, method.status);
        CPPUNIT_ASSERT_EQUAL(std::string("GET"), method.headers["Allow"]);
        CPPUNIT_ASSERT_EQUAL(std::string("method_not_allowed"), errorCode(method));
    }

    void oversizeBodyIs413() {
        Server s(kSecret);
        auto r = httpRequest("POST", s.port(), "/api/things", std::string(65, 'x'), s.bearer(Role::Admin));
        CPPUNIT_ASSERT_EQUAL(413, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("payload_too_large"), errorCode(r));
    }

    void handlerFailureIs500WithoutDetails() {
        Server s(kSecret);
        auto r = httpGet(s.port(), "/api/broken", s.bearer(Role::Viewer));
        CPPUNIT_ASSERT_EQUAL(500, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("internal_error"), errorCode(r));
        CPPUNIT_ASSERT(r.body.find("secret internal detail") == std::string::npos);
    }

    void httpErrorKeepsItsStatusCodeAndDetails() {
        Server s(kSecret);
        auto r = httpGet(s.port(), "/api/teapot", s.bearer(Role::Viewer));
        CPPUNIT_ASSERT_EQUAL(418, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("teapot"), errorCode(r));
        CPPUNIT_ASSERT_EQUAL(1, r.json()->getObject("error")->getObject("details")->getValue<int>("spout"));
    }

    void withoutSecretEverythingIsOpen() {
        Server s("");
        auto r = httpRequest("POST", s.port(), "/api/things", "{}");
        CPPUNIT_ASSERT_EQUAL(201, r.status);
        auto g = httpGet(s.port(), "/api/things/x");
        CPPUNIT_ASSERT_EQUAL(std::string("anonymous"), g.json()->getValue<std::string>("who"));
    }

    // DNS rebinding: a page on attacker.example whose name now resolves to 127.0.0.1 still sends
    // Host: attacker.example. Only this host's names (and IP literals of the bind address) pass.
    void hostMustNameThisServer() {
        Server s("", RequestGuardSettings{"127.0.0.1", {"mc.example.com", "*.corp.example"}, {}});
        const std::string port = std::to_string(s.port());
        for (const std::string& host : std::vector<std::string>{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST", "app.localhost:" + port,
                                       "[::1]:" + port, "mc.example.com", "a.corp.example:" + port}) {
            auto r = httpGet(s.port(), "/api/things/1", {{"Host", host}});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(host + ": " + r.body, 200, r.status);
        }
        for (const std::string& host : std::vector<std::string>{"attacker.example", "attacker.example:" + port, "10.0.0.7", "corp.example",
                                       "mc.example.com.evil.net"}) {
            auto r = httpGet(s.port(), "/api/things/1", {{"Host", host}});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(host, 403, r.status);
            CPPUNIT_ASSERT_EQUAL(std::string("host_not_allowed"), errorCode(r));
        }
        auto r = httpGet(s.port(), "/health", {{"Host", "attacker.example"}});
        CPPUNIT_ASSERT_EQUAL(403, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Host 'attacker.example' does not name this server: add it to http.allowed_hosts to accept it"),
                             errorMessage(r));
        // Bound to every interface, any IP literal names this host (a literal cannot be rebound), names still cannot.
        Server all("", RequestGuardSettings{"0.0.0.0", {}, {}});
        CPPUNIT_ASSERT_EQUAL(200, httpGet(all.port(), "/health", {{"Host", "192.168.1.20:8000"}}).status);
        CPPUNIT_ASSERT_EQUAL(403, httpGet(all.port(), "/health", {{"Host", "rebind.example"}}).status);
    }

    // A page elsewhere may not drive the API; an origin the operator allowed gets CORS answers.
    void foreignOriginsAreRefusedAndAllowedOnesGetCors() {
        Server s("", RequestGuardSettings{"127.0.0.1", {}, {"http://localhost:5173"}});
        const std::string self = "http://127.0.0.1:" + std::to_string(s.port());
        auto foreign = httpRequest("POST", s.port(), "/api/things", "{}", {{"Origin", "https://evil.example"}});
        CPPUNIT_ASSERT_EQUAL(403, foreign.status);
        CPPUNIT_ASSERT_EQUAL(std::string("origin_not_allowed"), errorCode(foreign));
        CPPUNIT_ASSERT_EQUAL(403, httpGet(s.port(), "/api/things/1", {{"Origin", "null"}}).status);
        // Same origin (the console served by the host itself).
        auto same = httpRequest("POST", s.port(), "/api/things", "{}", {{"Origin", self}});
        CPPUNIT_ASSERT_EQUAL(201, same.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), same.headers.count("Access-Control-Allow-Origin"));
        // An allowed origin: preflight, then the request with its CORS header.
        auto preflight = httpRequest("OPTIONS", s.port(), "/api/things",  "",
                                     {{"Origin", "http://localhost:5173"}, {"Access-Control-Request-Method", "POST"}});
        CPPUNIT_ASSERT_EQUAL(204, preflight.status);
        CPPUNIT_ASSERT_EQUAL(std::string("http://localhost:5173"), preflight.headers["Access-Control-Allow-Origin"]);
        CPPUNIT_ASSERT_EQUAL(std::string("POST"), preflight.headers["Access-Control-Allow-Methods"]);
        auto allowed = httpRequest("POST", s.port(), "/api/things", "{}", {{"Origin", "http://localhost:5173"}});
        CPPUNIT_ASSERT_EQUAL(201, allowed.status);
        CPPUNIT_ASSERT_EQUAL(std::string("http://localhost:5173"), allowed.headers["Access-Control-Allow-Origin"]);
    }

    // A cross-site form can only send text/plain, urlencoded or multipart bodies (no preflight): none
    // of them is a valid request here.
    void bodiesNeedADeclaredMediaType() {
        Server s("");
        for (const std::string type : {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"}) {
            auto r = httpRequest("POST", s.port(), "/api/things", "{\"a\":1}", {{"Content-Type", type}});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(type, 415, r.status);
            CPPUNIT_ASSERT_EQUAL(std::string("unsupported_media_type"), errorCode(r));
        }
        auto r = httpRequest("POST", s.port(), "/api/things", "{}", {{"Content-Type", "text/plain"}});
        CPPUNIT_ASSERT_EQUAL(std::string("Content-Type must be application/json, not 'text/plain'"), errorMessage(r));
        CPPUNIT_ASSERT_EQUAL(201, httpRequest("POST", s.port(), "/api/things", "{}", {{"Content-Type", "application/json; charset=utf-8"}}).status);
        // No body, no media type needed.
        CPPUNIT_ASSERT_EQUAL(405, httpRequest("DELETE", s.port(), "/api/things/1").status);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RouterTest);
