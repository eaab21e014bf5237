// bridge/StdioBridge: the arguments of `mission-control bridge` (the bridge itself runs against real
// hosts and clients in tests/integration/McpBridgeTest.cpp).
#include "bridge/StdioBridge.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

using mc::host::BridgeOptions;
using mc::host::parseBridgeArguments;

namespace {

// The reason parseBridgeArguments refuses `args` with ("" when it accepts them).
std::string refusal(const std::vector<std::string>& args) {
    bool help = false;
    try {
        parseBridgeArguments(args, nullptr, help);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

} // namespace

class StdioBridgeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StdioBridgeTest);
    CPPUNIT_TEST(everyOptionIsRead);
    CPPUNIT_TEST(wrongArgumentsSayWhatIsWrong);
    CPPUNIT_TEST_SUITE_END();

public:
    void everyOptionIsRead() {
        bool help = false;
        const BridgeOptions o = parseBridgeArguments({"--url", "https://mc.example:8443/mcp", "--header", "X-Team:  blue", "--header",
                                                      "X-Empty:", "--timeout-ms", "2500"},
                                                     "from-env", help);
        CPPUNIT_ASSERT(!help);
        CPPUNIT_ASSERT_EQUAL(std::string("https://mc.example:8443/mcp"), o.url);
        CPPUNIT_ASSERT_EQUAL(std::string("from-env"), o.token); // MC_BRIDGE_TOKEN
        CPPUNIT_ASSERT_EQUAL(std::string("blue"), o.headers.at("X-Team"));
        CPPUNIT_ASSERT_EQUAL(std::string(), o.headers.at("X-Empty"));
        CPPUNIT_ASSERT_EQUAL(2500LL, static_cast<long long>(o.timeout.count()));
        // --token beats the environment; --help stops reading.
        CPPUNIT_ASSERT_EQUAL(std::string("t"), parseBridgeArguments({"--url", "http://127.0.0.1:1/mcp", "--token", "t"}, "env", help).token);
        parseBridgeArguments({"--help", "--nonsense"}, nullptr, help);
        CPPUNIT_ASSERT(help);
        CPPUNIT_ASSERT(mc::host::bridgeUsage().find("--timeout-ms") != std::string::npos);
    }

    void wrongArgumentsSayWhatIsWrong() {
        CPPUNIT_ASSERT_EQUAL(std::string("--url is required (the host's MCP endpoint, e.g. http://127.0.0.1:8000/mcp)"), refusal({}));
        CPPUNIT_ASSERT_EQUAL(std::string("--url needs a value"), refusal({"--url"}));
        CPPUNIT_ASSERT_EQUAL(std::string("unknown argument '--verbose'"), refusal({"--url", "http://h/mcp", "--verbose"}));
        CPPUNIT_ASSERT_EQUAL(std::string("--header 'NoColon': expected 'Name: value'"), refusal({"--url", "http://h/mcp", "--header", "NoColon"}));
        CPPUNIT_ASSERT_EQUAL(std::string("--header ': x': expected 'Name: value'"), refusal({"--url", "http://h/mcp", "--header", ": x"}));
        for (const std::string ms : {"0", "-5", "abc", "3600001"})
            CPPUNIT_ASSERT_EQUAL(std::string("--timeout-ms '" + ms + "': expected milliseconds in 1..3600000"),
                                 refusal({"--url", "http://h/mcp", "--timeout-ms", ms}));
        CPPUNIT_ASSERT_EQUAL(std::string("--url 'ws://h/mcp': expected an http:// or https:// URL"), refusal({"--url", "ws://h/mcp"}));
        CPPUNIT_ASSERT_EQUAL(std::string("--url 'http:///mcp': expected an http:// or https:// URL"), refusal({"--url", "http:///mcp"}));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StdioBridgeTest);
