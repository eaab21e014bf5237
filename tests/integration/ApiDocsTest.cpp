// The API documentation against the running host: every route the router serves is in the OpenAPI
// document (same methods, path and query parameters), every documented operation is served, the
// router's real validation accepts exactly the documented query parameters, and /docs renders the
// same routes without external assets.
#include "InProcessHost.h"
#include "TestHttp.h"
#include "app/HostRuntime.h"
#include "web/Router.h"

#include <Poco/JSON/Array.h>
#include <cppunit/extensions/HelperMacros.h>

#include <set>

using mc::test::httpGet;
using mc::test::httpRequest;
using mc::test::InProcessHost;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// "/api/mcps/{id}/tools/{tool}/call" -> "/api/mcps/x/tools/x/call"
std::string concrete(const std::string& pattern) {
    std::string out;
    bool inParam = false;
    for (char c : pattern) {
        if (c == '{') {
            inParam = true;
            out += 'x';
        } else if (c == '}') {
            inParam = false;
        } else if (!inParam) {
            out += c;
        }
    }
    return out;
}

std::string names(const Array::Ptr& params, const std::string& in) {
    std::string out;
    for (std::size_t i = 0; i < params->size(); ++i) {
        auto p = params->getObject(static_cast<unsigned>(i));
        if (p->getValue<std::string>("in") == in) out += (out.empty() ? "" : ",") + p->getValue<std::string>("name");
    }
    return out;
}

} // namespace

class ApiDocsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ApiDocsTest);
    CPPUNIT_TEST(everyRouteIsDocumentedWithItsParameters);
    CPPUNIT_TEST(everyDocumentedOperationIsServedAndValidatesAsDocumented);
    CPPUNIT_TEST(docsPageListsEveryRouteWithoutExternalAssets);
    CPPUNIT_TEST_SUITE_END();

public:
    void everyRouteIsDocumentedWithItsParameters() {
        InProcessHost host({}, InProcessHost::Until::AllButGateway);
        auto r = httpGet(host.port(), "/api/openapi.json");
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        auto doc = r.json();
        CPPUNIT_ASSERT_EQUAL(std::string("3.1.0"), doc->getValue<std::string>("openapi"));
        auto paths = doc->getObject("paths");
        const auto& router = *host.runtime->router();
        std::size_t operations = 0;
        for (const auto& route : router.routes()) {
            const std::string where = route.method + " " + route.pattern;
            CPPUNIT_ASSERT_MESSAGE(where, paths->has(route.pattern));
            auto op = paths->getObject(route.pattern)->getObject(lower(route.method));
            CPPUNIT_ASSERT_MESSAGE(where, op);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(where, route.summary, op->getValue<std::string>("summary"));
            std::string query;
            for (const auto& q : route.query) query += (query.empty() ? "" : ",") + q.name;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(where, query, names(op->getArray("parameters"), "query"));
            std::string path;
            for (std::size_t open = route.pattern.find('{'); open != std::string::npos; open = route.pattern.find('{', open + 1))
                path += (path.empty() ? "" : ",") + route.pattern.substr(open + 1, route.pattern.find('}', open) - open - 1);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(where, path, names(op->getArray("parameters"), "path"));
            ++operations;
        }
        for (const auto& raw : router.rawRoutes()) {
            CPPUNIT_ASSERT_MESSAGE(raw.path, paths->has(raw.path));
            CPPUNIT_ASSERT(paths->getObject(raw.path)->getObject(lower(raw.method)));
            ++operations;
        }
        // Nothing documented that is not served.
        std::size_t documented = 0;
        for (const auto& [pattern, item] : *paths) {
            for (const auto& [method, unused] : *item.extract<Object::Ptr>()) {
                ++documented;
                bool served = false;
                for (const auto& route : router.routes()) served |= route.pattern == pattern && route.method == upper(method);
                for (const auto& raw : router.rawRoutes()) served |= raw.path == pattern && raw.method == upper(method);
                CPPUNIT_ASSERT_MESSAGE(method + " " + pattern, served);
            }
        }
        CPPUNIT_ASSERT_EQUAL(operations, documented);
        // The routes this host must serve (existing and the query API) are all there.
        for (const char* p : {"/health", "/api/health", "/api/plugins", "/api/mcps", "/api/mcps/{id}", "/api/mcps/{id}/history",
                              "/api/mcps/{id}/tools/{tool}/call", "/ws", "/api/threads", "/api/threads/{id}",
                              "/api/threads/{id}/timeline", "/api/threads/{id}/transcript", "/api/threads/{id}/children",
                              "/api/logs", "/api/logs/export", "/api/graph", "/api/permissions", "/api/audit", "/api/search",
                              "/api/openapi.json", "/docs", "/api/ingest"})
            CPPUNIT_ASSERT_MESSAGE(p, paths->has(p));
        auto logs = paths->getObject("/api/logs")->getObject("get");
        auto limit = logs->getArray("parameters")->getObject(8);
        CPPUNIT_ASSERT_EQUAL(std::string("limit"), limit->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(1000, limit->getObject("schema")->getValue<int>("maximum"));
        CPPUNIT_ASSERT_EQUAL(std::string("#/components/schemas/Error"),
                             logs->getObject("responses")->getObject("400")->getObject("content")->getObject("application/json")
                                 ->getObject("schema")->getValue<std::string>("$ref"));
    }

    void everyDocumentedOperationIsServedAndValidatesAsDocumented() {
        InProcessHost host({}, InProcessHost::Until::AllButGateway);
        auto paths = httpGet(host.port(), "/api/openapi.json").json()->getObject("paths");
        for (const auto& [pattern, item] : *paths) {
            for (const auto& [method, opVar] : *item.extract<Object::Ptr>()) {
                if (pattern == "/ws") continue; // an upgrade, checked by WebSocketTest
                auto op = opVar.extract<Object::Ptr>();
                const std::string where = upper(method) + " " + pattern;
                // An undeclared parameter is refused with exactly the documented ones as "known".
                auto r = httpRequest(upper(method), host.port(), concrete(pattern) + "?zz_unknown=1");
                CPPUNIT_ASSERT_EQUAL_MESSAGE(where + " " + r.body, 400, r.status);
                auto details = r.json()->getObject("error")->getObject("details");
                CPPUNIT_ASSERT_EQUAL_MESSAGE(where, std::string("unknown_parameter"),
                                             r.json()->getObject("error")->getValue<std::string>("code"));
                std::string known;
                auto knownArray = details->getArray("known");
                for (std::size_t i = 0; i < knownArray->size(); ++i)
                    known += (known.empty() ? "" : ",") + knownArray->getElement<std::string>(static_cast<unsigned>(i));
                CPPUNIT_ASSERT_EQUAL_MESSAGE(where, names(op->getArray("parameters"), "query"), known);
                // Without it, the route is there: whatever the answer, it is not "no route".
                auto plain = httpRequest(upper(method), host.port(), concrete(pattern), method == "get" ? "" : "{}");
                if (plain.status == 404)
                    CPPUNIT_ASSERT_MESSAGE(where + " " + plain.body,
                                           plain.json()->getObject("error")->getValue<std::string>("message").rfind("no route", 0) != 0);
            }
        }
    }

    void docsPageListsEveryRouteWithoutExternalAssets() {
        InProcessHost host({}, InProcessHost::Until::AllButGateway);
        auto r = httpGet(host.port(), "/docs");
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("text/html; charset=utf-8"), r.headers["Content-Type"]);
        for (const auto& route : host.runtime->router()->routes()) {
            CPPUNIT_ASSERT_MESSAGE(route.pattern, r.body.find(">" + route.method + "</span>" + route.pattern + "</h2>") != std::string::npos);
            for (const auto& q : route.query)
                CPPUNIT_ASSERT_MESSAGE(route.pattern + " " + q.name, r.body.find("<code>" + q.name + "</code>") != std::string::npos);
        }
        CPPUNIT_ASSERT(r.body.find("/ws</h2>") != std::string::npos);
        for (const char* external : {"http://", "https://", "<script", "<link"})
            CPPUNIT_ASSERT_MESSAGE(external, r.body.find(external) == std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ApiDocsTest);
