// How a stdio server's stderr lines name their level (libs/mcp StderrLine): a table of the shapes
// logging libraries write, and of lines that must not be taken for levelled ones.
#include "mc/mcp/StderrLine.h"

#include <Poco/JSON/Stringifier.h>
#include <cppunit/extensions/HelperMacros.h>

#include <sstream>
#include <string>
#include <vector>

using mc::mcp::parseStderrLine;

namespace {

std::string fieldsOf(const mc::mcp::StderrRecord& r) {
    if (!r.fields) return "null";
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(r.fields, out);
    return out.str();
}

struct Case {
    const char* line;
    const char* form; // "" when not recognized
    const char* level;
    const char* message;
    const char* logger;
};

} // namespace

class StderrLineTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StderrLineTest);
    CPPUNIT_TEST(theCommonShapesNameTheirLevel);
    CPPUNIT_TEST(jsonMembersBesidesLevelAndMessageAreTheContext);
    CPPUNIT_TEST(logfmtPairsAreTheContext);
    CPPUNIT_TEST(levelWordsOfTheLibrariesMapOntoMcpLevels);
    CPPUNIT_TEST_SUITE_END();

public:
    void theCommonShapesNameTheirLevel() {
        const std::vector<Case> cases = {
            // JSON lines
            {R"({"level":30,"time":1,"msg":"pino info"})", "json", "info", "pino info", ""},
            {R"({"level":50,"msg":"pino error","name":"srv"})", "json", "error", "pino error", "srv"},
            {R"({"level":60,"msg":"pino fatal"})", "json", "critical", "pino fatal", ""},
            {R"({"level":"warn","message":"winston warning"})", "json", "warning", "winston warning", ""},
            {R"({"event":"structlog debug","level":"debug","logger":"app.db"})", "json", "debug", "structlog debug", "app.db"},
            {R"({"levelname":"ERROR","message":"python json","levelno":40})", "json", "error", "python json", ""},
            {R"({"levelno":30,"msg":"python number"})", "json", "warning", "python number", ""},
            {R"({"severity":"CRITICAL","message":"gcp"})", "json", "critical", "gcp", ""},
            {R"({"log.level":"info","message":"ecs"})", "json", "info", "ecs", ""},
            {R"({"msg":"no level"})", "", "", "", ""},
            {R"({"level":"chatty","msg":"unknown level"})", "", "", "", ""},
            {R"({"level":30,"msg":"broken)", "", "", "", ""},
            // prefixes
            {"WARNING:root:python default format", "prefix", "warning", "python default format", "root"},
            {"ERROR: something failed: badly", "prefix", "error", "something failed: badly", ""},
            {"Error: ENOENT: no such file", "prefix", "error", "ENOENT: no such file", ""},
            {"[info] bracketed", "prefix", "info", "bracketed", ""},
            {"[2026-12-03 10:00:00] [WARN] after a timestamp", "prefix", "warning", "after a timestamp", ""},
            {"2026-12-03T17:00:00Z [debug] iso then bracket", "prefix", "debug", "iso then bracket", ""},
            {"2026-12-03 10:00:00,123 ERROR log4j style", "prefix", "error", "log4j style", ""},
            {"INFO  Starting server", "prefix", "info", "Starting server", ""},
            {"  fatal: not a git repository", "prefix", "critical", "not a git repository", ""},
            // logfmt
            {R"(level=info msg="logfmt line" component=peer)", "logfmt", "info", "logfmt line", ""},
            {R"(time=2026-12-03T10:00:00Z lvl=eror msg="go kit")", "logfmt", "error", "go kit", ""},
            // not levelled: the transport's own guess stands
            {"Secure MCP Filesystem Server running on stdio", "", "", "", ""},
            {"info about the weather", "", "", "", ""},
            {"No errors found", "", "", "", ""},
            {"10:00:00 something", "", "", "", ""},
            {"x=1 y=2", "", "", "", ""},
            {R"(level=info msg="unterminated)", "", "", "", ""},
            {"[unclosed bracket", "", "", "", ""},
            {"", "", "", "", ""},
        };
        for (const auto& c : cases) {
            const auto r = parseStderrLine(c.line);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.line, std::string(c.form).empty() ? false : true, r.recognized);
            if (!r.recognized) continue;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.line, std::string(c.form), std::string(r.form));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.line, std::string(c.level), r.level);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.line, std::string(c.message), r.message);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.line, std::string(c.logger), r.logger);
        }
    }

    void jsonMembersBesidesLevelAndMessageAreTheContext() {
        const auto r = parseStderrLine(R"({"level":40,"msg":"slow","pid":7,"req":{"id":"r1"}})");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"pid":7,"req":{"id":"r1"}})"), fieldsOf(r));
        // A JSON line without a message member keeps the whole line as its message.
        const auto bare = parseStderrLine(R"({"level":"error","code":3})");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"level":"error","code":3})"), bare.message);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"code":3})"), fieldsOf(bare));
        CPPUNIT_ASSERT_EQUAL(std::string("null"), fieldsOf(parseStderrLine("[info] prefixes have no fields")));
    }

    void logfmtPairsAreTheContext() {
        const auto r = parseStderrLine(R"(level=warn msg="disk \"low\"" free=3% path="/var/lib x")");
        CPPUNIT_ASSERT_EQUAL(std::string("warning"), r.level);
        CPPUNIT_ASSERT_EQUAL(std::string("disk \"low\""), r.message);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"free":"3%","path":"/var/lib x"})"), fieldsOf(r));
    }

    void levelWordsOfTheLibrariesMapOntoMcpLevels() {
        const std::vector<std::pair<std::string, std::string>> words = {
            {"TRACE", "debug"}, {"verbose", "debug"}, {"Information", "info"}, {"NOTICE", "notice"}, {"wrn", "warning"},
            {"Warning", "warning"}, {"ERR", "error"}, {"severe", "error"}, {"crit", "critical"}, {"FATAL", "critical"},
            {"alert", "alert"}, {"panic", "emergency"}, {"EMERG", "emergency"}, {"30", ""}, {"loud", ""}, {"", ""}};
        for (const auto& [word, level] : words) CPPUNIT_ASSERT_EQUAL_MESSAGE(word, level, mc::mcp::mcpLevelOf(word));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StderrLineTest);
