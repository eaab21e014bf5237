// mcpserver/ModernRequest: what a 2026-07-28 request says of itself in its _meta, and whether its
// headers mirror its body (the =?base64?…?= form decoded first); each refusal's code and words.
#include "mcpserver/ModernRequest.h"

#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>

#include <string>

using namespace mc::host;

namespace {

Poco::JSON::Object::Ptr params(const std::string& json) { return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>(); }

const std::vector<std::string> kAll = {"2026-07-28", "2025-11-25"};

std::string refusalOf(const std::string& json) {
    ModernMeta meta;
    const auto refusal = modern::readMeta(params(json), kAll, meta);
    return refusal ? std::to_string(refusal->code) + " " + refusal->message + (refusal->dataJson.empty() ? "" : " " + refusal->dataJson) : "";
}

} // namespace

class ModernRequestTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ModernRequestTest);
    CPPUNIT_TEST(theMetaSaysWhoAndWhat);
    CPPUNIT_TEST(aMetaThatCannotBeServedIsRefused);
    CPPUNIT_TEST(headersMustMirrorTheBody);
    CPPUNIT_TEST(headerValuesDecode);
    CPPUNIT_TEST_SUITE_END();

public:
    void theMetaSaysWhoAndWhat() {
        CPPUNIT_ASSERT(modern::isModern("server/discover", nullptr));
        CPPUNIT_ASSERT(!modern::isModern("tools/list", params(R"({"_meta":{"progressToken":1}})")));
        const auto p = params(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",)"
                              R"("io.modelcontextprotocol/clientInfo":{"name":"Agent","version":"1.2"},)"
                              R"("io.modelcontextprotocol/clientCapabilities":{"elicitation":{},"roots":{}},)"
                              R"("io.modelcontextprotocol/logLevel":"warning","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}})");
        CPPUNIT_ASSERT(modern::isModern("tools/list", p));
        ModernMeta meta;
        CPPUNIT_ASSERT(!modern::readMeta(p, kAll, meta));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-07-28"), meta.protocolVersion);
        CPPUNIT_ASSERT_EQUAL(std::string("Agent"), meta.clientName);
        CPPUNIT_ASSERT_EQUAL(std::string("1.2"), meta.clientVersion);
        CPPUNIT_ASSERT(!meta.sampling);
        CPPUNIT_ASSERT(meta.elicitation);
        CPPUNIT_ASSERT(meta.roots);
        CPPUNIT_ASSERT_EQUAL(std::string("warning"), meta.logLevel);
        CPPUNIT_ASSERT_EQUAL(std::string("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), meta.traceparent);
    }

    void aMetaThatCannotBeServedIsRefused() {
        CPPUNIT_ASSERT_EQUAL(std::string("-32602 params._meta[\"io.modelcontextprotocol/protocolVersion\"] must name the protocol version (a string)"),
                             refusalOf(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":20260728}})"));
        CPPUNIT_ASSERT_EQUAL(std::string("-32022 Unsupported protocol version \"2025-11-25\": this server speaks 2026-07-28 without a session, "
                                         "and the 2025 versions after initialize {\"supported\":[\"2026-07-28\",\"2025-11-25\"],\"requested\":\"2025-11-25\"}"),
                             refusalOf(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":"2025-11-25","io.modelcontextprotocol/clientCapabilities":{}}})"));
        CPPUNIT_ASSERT_EQUAL(std::string("-32602 params._meta[\"io.modelcontextprotocol/clientCapabilities\"] is required in 2026-07-28 (an object; {} declares none)"),
                             refusalOf(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":[]}})"));
        CPPUNIT_ASSERT_EQUAL(std::string("-32602 params._meta[\"io.modelcontextprotocol/logLevel\"] must be one of debug, info, notice, warning, error, "
                                         "critical, alert, emergency; got \"verbose\""),
                             refusalOf(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},)"
                                       R"("io.modelcontextprotocol/logLevel":"verbose"}})"));
        // A requested version is echoed at most 200 characters long.
        const std::string longVersion(500, 'v');
        const auto refused = refusalOf(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":")" + longVersion + R"("}})");
        CPPUNIT_ASSERT_MESSAGE(refused, refused.find(std::string(201, 'v')) == std::string::npos);
    }

    void headersMustMirrorTheBody() {
        const auto call = params(R"({"name":"every__echo","arguments":{}})");
        const auto mismatch = [&](ModernHeaders h, const std::string& method = "tools/call") {
            const auto refusal = modern::headersAgree(h, method, call, "2026-07-28");
            if (!refusal) return std::string();
            CPPUNIT_ASSERT_EQUAL(modern::kHeaderMismatch, refusal->code);
            return refusal->message;
        };
        CPPUNIT_ASSERT_EQUAL(std::string(), mismatch({"2026-07-28", "tools/call", "every__echo"}));
        CPPUNIT_ASSERT_EQUAL(std::string("Header mismatch: the MCP-Protocol-Version header is required (2026-07-28)"),
                             mismatch({std::nullopt, "tools/call", "every__echo"}));
        CPPUNIT_ASSERT_EQUAL(std::string("Header mismatch: MCP-Protocol-Version header \"2025-11-25\" does not match the body's \"2026-07-28\""),
                             mismatch({"2025-11-25", "tools/call", "every__echo"}));
        CPPUNIT_ASSERT_EQUAL(std::string("Header mismatch: the Mcp-Method header is required (\"tools/call\")"),
                             mismatch({"2026-07-28", std::nullopt, "every__echo"}));
        CPPUNIT_ASSERT_EQUAL(std::string("Header mismatch: Mcp-Method header \"Tools/Call\" does not match the body's \"tools/call\""),
                             mismatch({"2026-07-28", "Tools/Call", "every__echo"})); // values are case-sensitive
        CPPUNIT_ASSERT_EQUAL(std::string("Header mismatch: the Mcp-Name header is required for tools/call (params.name)"),
                             mismatch({"2026-07-28", "tools/call", std::nullopt}));
        CPPUNIT_ASSERT_EQUAL(std::string("Header mismatch: Mcp-Name header value \"other\" does not match the body's \"every__echo\""),
                             mismatch({"2026-07-28", "tools/call", "other"}));
        // Only tools/call, prompts/get and resources/read name something; resources/read by its URI.
        CPPUNIT_ASSERT_EQUAL(std::string(), mismatch({"2026-07-28", "tools/list", std::nullopt}, "tools/list"));
        const auto read = params(R"({"uri":"file:///a b"})");
        CPPUNIT_ASSERT(!modern::headersAgree({"2026-07-28", "resources/read", "=?base64?ZmlsZTovLy9hIGI=?="}, "resources/read", read, "2026-07-28"));
        CPPUNIT_ASSERT(modern::headersAgree({"2026-07-28", "resources/read", "file:///a"}, "resources/read", read, "2026-07-28"));
    }

    void headerValuesDecode() {
        CPPUNIT_ASSERT_EQUAL(std::string("us-west1"), *modern::decodeHeaderValue("us-west1"));
        CPPUNIT_ASSERT_EQUAL(std::string("Hello, 世界"), *modern::decodeHeaderValue("=?base64?SGVsbG8sIOS4lueVjA==?="));
        CPPUNIT_ASSERT_EQUAL(std::string(" padded "), *modern::decodeHeaderValue("=?base64?IHBhZGRlZCA=?="));
        CPPUNIT_ASSERT_EQUAL(std::string("=?base64?literal?="), *modern::decodeHeaderValue("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="));
        CPPUNIT_ASSERT(!modern::decodeHeaderValue("=?base64?not base64!?="));
        // The markers are case-sensitive: another case is a plain value.
        CPPUNIT_ASSERT_EQUAL(std::string("=?BASE64?SGk=?="), *modern::decodeHeaderValue("=?BASE64?SGk=?="));
        CPPUNIT_ASSERT_EQUAL(std::string("=?base64?"), *modern::decodeHeaderValue("=?base64?"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ModernRequestTest);
