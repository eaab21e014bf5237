// The console's routes on a running host: / and /assets/{file} as built into the build tree (open to
// everyone even with auth on, cacheable as they should be), and / without a console says why.
#include "InProcessHost.h"
#include "TestHttp.h"

#include <cppunit/extensions/HelperMacros.h>

#include <regex>

using mc::test::httpGet;
using mc::test::InProcessHost;

class ConsoleRoutesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConsoleRoutesTest);
    CPPUNIT_TEST(theBuiltConsoleIsServedToEveryone);
    CPPUNIT_TEST(withoutAConsoleTheRootSaysWhy);
    CPPUNIT_TEST_SUITE_END();

public:
    void theBuiltConsoleIsServedToEveryone() {
        InProcessHost host({{"auth.jwt.secret", "a-secret-of-at-least-16-bytes"}}, InProcessHost::Until::AllButGateway);
        const auto page = httpGet(host.port(), "/");
        CPPUNIT_ASSERT_EQUAL(200, page.status);
        CPPUNIT_ASSERT_EQUAL(std::string("text/html; charset=utf-8"), page.headers.at("Content-Type"));
        CPPUNIT_ASSERT_EQUAL(std::string("no-cache"), page.headers.at("Cache-Control"));
        CPPUNIT_ASSERT_EQUAL(std::string("DENY"), page.headers.at("X-Frame-Options"));
        CPPUNIT_ASSERT(page.headers.at("Content-Security-Policy").find("frame-ancestors 'none'") != std::string::npos);
        std::smatch script;
        CPPUNIT_ASSERT(std::regex_search(page.body, script, std::regex("src=\"(assets/main-[A-Z0-9]+\\.js)\"")));
        const auto asset = httpGet(host.port(), "/" + script[1].str());
        CPPUNIT_ASSERT_EQUAL(200, asset.status);
        CPPUNIT_ASSERT_EQUAL(std::string("public, max-age=31536000, immutable"), asset.headers.at("Cache-Control"));
        CPPUNIT_ASSERT_EQUAL(std::string("nosniff"), asset.headers.at("X-Content-Type-Options"));
        const auto unchanged = httpGet(host.port(), "/" + script[1].str(), {{"If-None-Match", asset.headers.at("ETag")}});
        CPPUNIT_ASSERT_EQUAL(304, unchanged.status);
        CPPUNIT_ASSERT(unchanged.body.empty());
        const auto unknown = httpGet(host.port(), "/assets/main.js");
        CPPUNIT_ASSERT_EQUAL(404, unknown.status);
        CPPUNIT_ASSERT_EQUAL(std::string("the console has no asset 'main.js'"),
                             unknown.json()->getObject("error")->getValue<std::string>("message"));
        // The API behind it still wants the token.
        CPPUNIT_ASSERT_EQUAL(401, httpGet(host.port(), "/api/health").status);
    }

    void withoutAConsoleTheRootSaysWhy() {
        InProcessHost off({{"http.console_dir", "off"}}, InProcessHost::Until::AllButGateway);
        const auto page = httpGet(off.port(), "/");
        CPPUNIT_ASSERT_EQUAL(404, page.status);
        CPPUNIT_ASSERT_EQUAL(std::string("text/html; charset=utf-8"), page.headers.at("Content-Type"));
        CPPUNIT_ASSERT(page.body.find("<p>the console is off (http.console_dir = off).</p>") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(404, httpGet(off.port(), "/assets/anything.js").status);

        InProcessHost elsewhere({{"http.console_dir", "/nonexistent/<console>"}}, InProcessHost::Until::AllButGateway);
        const auto missing = httpGet(elsewhere.port(), "/");
        CPPUNIT_ASSERT_EQUAL(404, missing.status);
        CPPUNIT_ASSERT(missing.body.find("there is no /nonexistent/&lt;console&gt;/index.html") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsoleRoutesTest);
