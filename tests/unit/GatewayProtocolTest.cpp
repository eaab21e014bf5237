// Protocol versions, log level mapping, notifications/message mapping, argument validation and the
// reconnect backoff.
#include "gateway/McpConnection.h"
#include "gateway/McpProtocol.h"
#include "mc/records/RecordSchema.h"
#include "util/ReconnectBackoff.h"
#include "TestHttp.h"

#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>

#include <set>

using namespace mc::host;

namespace {
Poco::Dynamic::Var parse(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text);
}
} // namespace

class GatewayProtocolTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(GatewayProtocolTest);
    CPPUNIT_TEST(offersTheNewestAndAcceptsOlderRevisions);
    CPPUNIT_TEST(mapsRfc5424LevelsOntoStructuredLevels);
    CPPUNIT_TEST(mapsLogNotifications);
    CPPUNIT_TEST(logEventsHaveTheStructuredLogShape);
    CPPUNIT_TEST(validatesArgumentsAgainstTheInputSchema);
    CPPUNIT_TEST(backoffGrowsWithJitterUpToTheCap);
    CPPUNIT_TEST_SUITE_END();

public:
    void offersTheNewestAndAcceptsOlderRevisions() {
        CPPUNIT_ASSERT_EQUAL(std::string("2025-11-25"), std::string(mcp::kOfferedProtocolVersion));
        // The sessionless revision first, then the first one initialize offers.
        CPPUNIT_ASSERT_EQUAL(std::string("2026-07-28"), std::string(mcp::supportedRevisions().front().version));
        CPPUNIT_ASSERT(!mcp::supportedRevisions().front().initializeHandshake);
        CPPUNIT_ASSERT_EQUAL(std::string(mcp::kOfferedProtocolVersion), std::string(mcp::supportedRevisions()[1].version));
        for (const char* v : {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}) {
            CPPUNIT_ASSERT_MESSAGE(v, mcp::findRevision(v) != nullptr);
            CPPUNIT_ASSERT(mcp::findRevision(v)->initializeHandshake);
        }
        CPPUNIT_ASSERT(mcp::findRevision("2024-10-07") == nullptr);
        CPPUNIT_ASSERT(mcp::findRevision("") == nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("2026-07-28, 2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05"), mcp::supportedVersionList());
        CPPUNIT_ASSERT_EQUAL(std::string("auto, 2026-07-28, 2025-11-25"), mcp::protocolChoiceList());
        CPPUNIT_ASSERT(mcp::isProtocolChoice("auto") && mcp::isProtocolChoice("2026-07-28") && mcp::isProtocolChoice("2025-11-25"));
        CPPUNIT_ASSERT(!mcp::isProtocolChoice("2025-06-18") && !mcp::isProtocolChoice("Auto") && !mcp::isProtocolChoice(""));
        // What every request of the new era carries in _meta, as object members.
        CPPUNIT_ASSERT_EQUAL(std::string(R"("io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":)") +
                                 mcp::clientInfoJson() + R"(,"io.modelcontextprotocol/clientCapabilities":{"elicitation":{}},)"
                                 R"("io.modelcontextprotocol/logLevel":"warning")",
                             mcp::modernMetaMembers(R"({"elicitation":{}})", "warning"));
        CPPUNIT_ASSERT(mcp::modernMetaMembers("{}", "").find("logLevel") == std::string::npos);
    }

    void mapsRfc5424LevelsOntoStructuredLevels() {
        const std::vector<std::pair<std::string, std::string>> expected = {
            {"debug", "DEBUG"}, {"info", "INFO"},      {"notice", "INFO"}, {"warning", "WARN"},
            {"error", "ERROR"}, {"critical", "ERROR"}, {"alert", "ERROR"}, {"emergency", "ERROR"}};
        for (const auto& [in, out] : expected) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(in, out, std::string(mcp::structuredLevelFor(in)));
            CPPUNIT_ASSERT(mcp::isLoggingLevel(in));
        }
        CPPUNIT_ASSERT_EQUAL(std::string("INFO"), std::string(mcp::structuredLevelFor(std::string("verbose"))));
        CPPUNIT_ASSERT(!mcp::isLoggingLevel("warn"));
        CPPUNIT_ASSERT_EQUAL(std::string("DEBUG"), std::string(mcp::structuredLevelFor(MC_LOG_TRACE)));
        CPPUNIT_ASSERT_EQUAL(std::string("INFO"), std::string(mcp::structuredLevelFor(MC_LOG_INFO)));
        CPPUNIT_ASSERT_EQUAL(std::string("WARN"), std::string(mcp::structuredLevelFor(MC_LOG_WARN)));
        CPPUNIT_ASSERT_EQUAL(std::string("ERROR"), std::string(mcp::structuredLevelFor(MC_LOG_ERROR)));
    }

    void mapsLogNotifications() {
        auto text = McpConnection::mapLogNotification("fs", parse(R"({"level":"warning","logger":"indexer","data":"disk almost full"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("WARN"), text.level);
        CPPUNIT_ASSERT_EQUAL(std::string("indexer"), text.service);
        CPPUNIT_ASSERT_EQUAL(std::string("disk almost full"), text.message);
        CPPUNIT_ASSERT(text.context.isNull()); // a text message has no context object
        CPPUNIT_ASSERT_EQUAL(std::string("warning"), text.mcpLevel);

        auto object = McpConnection::mapLogNotification("fs", parse(R"({"level":"critical","data":{"message":"db down","retries":3}})"));
        CPPUNIT_ASSERT_EQUAL(std::string("ERROR"), object.level);
        CPPUNIT_ASSERT_EQUAL(std::string("fs"), object.service); // no logger: the MCP's id
        CPPUNIT_ASSERT_EQUAL(std::string("db down"), object.message);
        CPPUNIT_ASSERT(!object.context.isNull());
        CPPUNIT_ASSERT_EQUAL(3, object.context->getValue<int>("retries"));

        auto number = McpConnection::mapLogNotification("fs", parse(R"({"level":"notice","data":42})"));
        CPPUNIT_ASSERT_EQUAL(std::string("INFO"), number.level);
        CPPUNIT_ASSERT_EQUAL(std::string("42"), number.message);
    }

    void logEventsHaveTheStructuredLogShape() {
        const auto event = McpConnection::logEvent(1700000000000000LL, "WARN", "indexer", "fs", "careful",
                                                   parse(R"({"k":1})").extract<Poco::JSON::Object::Ptr>(), "warning");
        CPPUNIT_ASSERT_EQUAL(std::string("log"), event.spec->kind);
        const auto text = [&](const char* field) { return event.record.text(*event.spec, field).value_or("(absent)"); };
        CPPUNIT_ASSERT_EQUAL(std::string("2023-11-14T22:13:20.000000Z"), text("timestamp"));
        CPPUNIT_ASSERT_EQUAL(std::string("WARN"), text("level"));
        CPPUNIT_ASSERT_EQUAL(std::string("indexer"), text("service"));
        CPPUNIT_ASSERT_EQUAL(std::string("fs"), text("mcp_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("careful"), text("message"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"k":1,"mcp_level":"warning"})"), text("context"));
        CPPUNIT_ASSERT_EQUAL(std::string("(absent)"), text("thread_id")); // null in the record
        CPPUNIT_ASSERT_EQUAL(std::string("(absent)"), text("exception"));
        CPPUNIT_ASSERT(event.record.idGenerated);
        // Without a context, an empty one; a level the catalog does not know is refused.
        const auto bare = McpConnection::logEvent(1700000000000000LL, "INFO", "s", "fs", "m", nullptr, "");
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), bare.record.text(*bare.spec, "context").value_or(""));
        CPPUNIT_ASSERT_THROW(McpConnection::logEvent(1700000000000000LL, "LOUD", "s", "fs", "m", nullptr, ""), std::invalid_argument);

        // Data nested deeper than a record's JSON field takes: the line is kept, its context as text.
        std::string deep = "1";
        for (int level = 0; level < 65; ++level) deep = "[" + deep + "]";
        const auto nested = McpConnection::logEvent(1700000000000000LL, "INFO", "s", "fs", "deep data",
                                                    parse("{\"data\":" + deep + "}").extract<Poco::JSON::Object::Ptr>(), "info");
        CPPUNIT_ASSERT_EQUAL(std::string("deep data"), nested.record.text(*nested.spec, "message").value_or(""));
        const auto kept = parse(nested.record.text(*nested.spec, "context").value_or("")).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::string("info"), kept->getValue<std::string>("mcp_level"));
        CPPUNIT_ASSERT_EQUAL("{\"data\":" + deep + ",\"mcp_level\":\"info\"}", kept->getValue<std::string>("context_text"));
        CPPUNIT_ASSERT_EQUAL(std::string("context is not JSON of at most 64 levels: more than 64 levels of objects and arrays at byte 71"),
                             kept->getValue<std::string>("context_problem"));
    }

    void validatesArgumentsAgainstTheInputSchema() {
        const std::string schema =
            R"({"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"},"name":{"type":"string"},"n":{"type":"integer"}},"required":["a","b"]})";
        std::string field;
        CPPUNIT_ASSERT_EQUAL(std::string(), McpConnection::validateArguments(schema, parse(R"({"a":1,"b":2.5})"), field));
        CPPUNIT_ASSERT_EQUAL(std::string("missing required argument \"b\""),
                             McpConnection::validateArguments(schema, parse(R"({"a":1})"), field));
        CPPUNIT_ASSERT_EQUAL(std::string("b"), field);
        CPPUNIT_ASSERT_EQUAL(std::string("argument \"a\" must be of type number"),
                             McpConnection::validateArguments(schema, parse(R"({"a":"one","b":2})"), field));
        CPPUNIT_ASSERT_EQUAL(std::string("a"), field);
        CPPUNIT_ASSERT_EQUAL(std::string("argument \"n\" must be of type integer"),
                             McpConnection::validateArguments(schema, parse(R"({"a":1,"b":2,"n":1.5})"), field));
        CPPUNIT_ASSERT_EQUAL(std::string("argument \"name\" must be of type string"),
                             McpConnection::validateArguments(schema, parse(R"({"a":1,"b":2,"name":true})"), field));
        CPPUNIT_ASSERT_EQUAL(std::string("\"arguments\" must be a JSON object"),
                             McpConnection::validateArguments(schema, parse("[1,2]"), field));
        // Undeclared arguments and tools without a schema are left to the server.
        CPPUNIT_ASSERT_EQUAL(std::string(), McpConnection::validateArguments(schema, parse(R"({"a":1,"b":2,"extra":[]})"), field));
        CPPUNIT_ASSERT_EQUAL(std::string(), McpConnection::validateArguments("", parse(R"({"x":1})"), field));
    }

    void backoffGrowsWithJitterUpToTheCap() {
        ReconnectBackoff backoff(std::chrono::milliseconds(100), std::chrono::milliseconds(1000), 42);
        const std::vector<long long> ceilings = {100, 200, 400, 800, 1000, 1000, 1000};
        std::set<long long> seen;
        for (std::size_t i = 0; i < ceilings.size(); ++i) {
            CPPUNIT_ASSERT_EQUAL(ceilings[i], static_cast<long long>(backoff.ceilingFor(static_cast<unsigned>(i)).count()));
            const long long delay = backoff.next().count();
            CPPUNIT_ASSERT_MESSAGE(std::to_string(delay), delay >= ceilings[i] / 2 && delay <= ceilings[i]);
            seen.insert(delay);
        }
        CPPUNIT_ASSERT_EQUAL(7u, backoff.attempts());
        CPPUNIT_ASSERT(seen.size() > 3); // jittered, not a fixed schedule
        backoff.reset();
        CPPUNIT_ASSERT_EQUAL(0u, backoff.attempts());
        CPPUNIT_ASSERT(backoff.next().count() <= 100);
        // Two servers failing together do not retry in lock-step.
        ReconnectBackoff a(std::chrono::milliseconds(1000), std::chrono::milliseconds(60000), 1);
        ReconnectBackoff b(std::chrono::milliseconds(1000), std::chrono::milliseconds(60000), 2);
        int equal = 0;
        for (int i = 0; i < 5; ++i) equal += a.next() == b.next() ? 1 : 0;
        CPPUNIT_ASSERT(equal < 5);
        CPPUNIT_ASSERT_THROW(ReconnectBackoff(std::chrono::milliseconds(0), std::chrono::milliseconds(10), 1), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(ReconnectBackoff(std::chrono::milliseconds(100), std::chrono::milliseconds(10), 1), std::invalid_argument);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GatewayProtocolTest);
