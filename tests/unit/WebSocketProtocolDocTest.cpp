// docs/websocket-protocol.md against the code: every error code the WebSocket code can send (in-band
// {"type":"error","code":...} and the upgrade's HTTP error shape) and every message type it sends or
// accepts is named in the document, so a new one cannot ship undocumented.
#include "TestHttp.h"

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using mc::test::readFile;

namespace {

std::set<std::string> matches(const std::string& text, const std::regex& pattern) {
    std::set<std::string> out;
    for (std::sregex_iterator it(text.begin(), text.end(), pattern), end; it != end; ++it) out.insert((*it)[1].str());
    return out;
}

} // namespace

class WebSocketProtocolDocTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(WebSocketProtocolDocTest);
    CPPUNIT_TEST(everyErrorCodeAndMessageTypeIsDocumented);
    CPPUNIT_TEST_SUITE_END();

public:
    void everyErrorCodeAndMessageTypeIsDocumented() {
        const std::string root = MC_TEST_SOURCE_DIR;
        std::string code;
        for (const char* file : {"host/src/web/WebSocketHub.cpp", "host/src/web/ws/ClientSession.cpp", "host/src/web/ws/ClientMessage.cpp",
                                 "host/src/api/GatewayApi.cpp", "host/src/api/IngestApi.cpp"})
            code += readFile(root + "/" + file);
        const std::string doc = readFile(root + "/docs/websocket-protocol.md");
        CPPUNIT_ASSERT(!code.empty() && !doc.empty());

        std::set<std::string> codes = matches(code, std::regex(R"re(sendError\(\s*"([a-z_]+)")re"));
        for (const auto& c : matches(code, std::regex(R"re(sendError\(response,[^"]*"([a-z_]+)")re"))) codes.insert(c);
        for (const auto& c : matches(code, std::regex(R"re(MessageRefusal\{"([a-z_]+)")re"))) codes.insert(c);
        std::set<std::string> types = matches(code, std::regex(R"re(\\"type\\":\\"([a-z_]+)\\")re"));
        for (const auto& t : matches(code, std::regex(R"re(registerHandler\("([a-z_]+)")re"))) types.insert(t);
        for (const auto& t : matches(code, std::regex(R"re(message\.type == "([a-z_]+)")re"))) types.insert(t);
        CPPUNIT_ASSERT_MESSAGE("the scan found the in-band codes", codes.count("unknown_type") && codes.count("invalid_json"));
        CPPUNIT_ASSERT_MESSAGE("the scan found the upgrade codes", codes.count("too_many_connections"));
        CPPUNIT_ASSERT_MESSAGE("the scan found the message types", types.count("welcome") && types.count("call_tool"));
        for (const auto& c : codes) CPPUNIT_ASSERT_MESSAGE("error code " + c, doc.find("`" + c + "`") != std::string::npos);
        for (const auto& t : types) CPPUNIT_ASSERT_MESSAGE("message type " + t, doc.find("`" + t + "`") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(WebSocketProtocolDocTest);
