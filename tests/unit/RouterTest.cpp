// The HTTP router over a real Poco HTTPServer on loopback: auth before anything under /api, roles,
// path parameters, and the JSON error shape for 401/403/404/405/413/500.
#include "TestHttp.h"
#include "web/HttpUtil.h"
#include "web/Router.h"

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
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
    Router* router;
    std::unique_ptr<Poco::Net::HTTPServer> server;

    explicit Server(const std::string& secret) : auth(secret), router(new Router(auth, 64)) {
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
        Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
        server = std::make_unique<Poco::Net::HTTPServer>(router, socket, new Poco::Net::HTTPServerParams);
        server->start();
    }
    ~Server() { server->stopAll(true); }
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(RouterTest);
