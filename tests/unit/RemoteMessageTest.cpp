// What the hosts of a cluster send one another (a tool call and its outcome, an agent's other request
// and its answer, a server's catalog asked for and sent): what one host encodes the other decodes to
// the same; what is not one is refused with the reason.
#include "cluster/RemoteMessage.h"

#include "util/Json.h"

#include <cppunit/extensions/HelperMacros.h>
#include <Poco/JSON/Object.h>

#include <stdexcept>
#include <string>

using namespace mc::host;

namespace {
std::string refusal(const std::string& text) {
    try {
        decodeRemoteMessage(text);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}
} // namespace

class RemoteMessageTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RemoteMessageTest);
    CPPUNIT_TEST(testCallRoundTrip);
    CPPUNIT_TEST(testResultRoundTrip);
    CPPUNIT_TEST(testRequestRoundTrip);
    CPPUNIT_TEST(testAnswerRoundTrip);
    CPPUNIT_TEST(testCatalogRoundTrip);
    CPPUNIT_TEST(testRefusals);
    CPPUNIT_TEST_SUITE_END();

public:
    void testCallRoundTrip() {
        ToolCallRequest r;
        r.tool = "echo";
        r.argumentsJson = R"({"message":"hi \"there\""})";
        r.threadId = "T-1";
        r.callId = "toolu_1";
        r.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        r.user = "ana";
        r.role = "operator";
        r.timeout = std::chrono::milliseconds(2500);
        const auto m = decodeRemoteMessage(encodeRemoteCall(42, "every", r));
        CPPUNIT_ASSERT(m.type == RemoteMessage::Type::Call);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(42), m.call);
        CPPUNIT_ASSERT_EQUAL(std::string("every"), m.mcpId);
        CPPUNIT_ASSERT_EQUAL(std::string("echo"), m.request.tool);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"message":"hi \"there\""})"), m.request.argumentsJson);
        CPPUNIT_ASSERT_EQUAL(std::string("T-1"), m.request.threadId);
        CPPUNIT_ASSERT_EQUAL(std::string("toolu_1"), m.request.callId);
        CPPUNIT_ASSERT_EQUAL(r.traceparent, m.request.traceparent);
        CPPUNIT_ASSERT_EQUAL(std::string("ana"), m.request.user);
        CPPUNIT_ASSERT_EQUAL(std::string("operator"), m.request.role);
        CPPUNIT_ASSERT_EQUAL(2500LL, static_cast<long long>(m.request.timeout.count()));
        CPPUNIT_ASSERT(!m.request.cannotAnswer.empty()); // the owner refuses the server's requests for it
    }

    void testResultRoundTrip() {
        ToolCallOutcome ok;
        ok.outcome = "ok";
        ok.resultJson = R"({"content":[{"type":"text","text":"Echo: hi"}],"isError":false})";
        ok.durationMs = 12;
        auto m = decodeRemoteMessage(encodeRemoteResult(7, ok));
        CPPUNIT_ASSERT(m.type == RemoteMessage::Type::Result);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(7), m.call);
        CPPUNIT_ASSERT(!m.outcome.refusal);
        CPPUNIT_ASSERT_EQUAL(ok.resultJson, m.outcome.resultJson);
        CPPUNIT_ASSERT_EQUAL(12LL, m.outcome.durationMs);
        ToolCallOutcome no;
        no.refusal = Refusal::TimedOut;
        no.errorCode = "timeout";
        no.outcome = "timeout";
        no.message = "no answer in 60000 ms";
        no.detailsJson = R"({"mcp_id":"every"})";
        m = decodeRemoteMessage(encodeRemoteResult(8, no));
        CPPUNIT_ASSERT(m.outcome.refusal == Refusal::TimedOut);
        CPPUNIT_ASSERT_EQUAL(std::string("timeout"), m.outcome.errorCode);
        CPPUNIT_ASSERT_EQUAL(no.message, m.outcome.message);
        CPPUNIT_ASSERT_EQUAL(no.detailsJson, m.outcome.detailsJson);
        CPPUNIT_ASSERT_EQUAL(std::string(), m.outcome.resultJson);
    }

    void testRequestRoundTrip() {
        PassedRequest r{"resources/read", R"({"uri":"demo://a b"})", "demo://a b", "T-2", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                        std::chrono::milliseconds(3000)};
        const auto m = decodeRemoteMessage(encodeRemoteRequest(5, "every", r));
        CPPUNIT_ASSERT(m.type == RemoteMessage::Type::Request);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), m.call);
        CPPUNIT_ASSERT_EQUAL(std::string("every"), m.mcpId);
        CPPUNIT_ASSERT_EQUAL(r.method, m.passed.method);
        CPPUNIT_ASSERT_EQUAL(r.paramsJson, m.passed.paramsJson);
        CPPUNIT_ASSERT_EQUAL(r.target, m.passed.target);
        CPPUNIT_ASSERT_EQUAL(r.threadId, m.passed.threadId);
        CPPUNIT_ASSERT_EQUAL(r.traceparent, m.passed.traceparent);
        CPPUNIT_ASSERT_EQUAL(3000LL, static_cast<long long>(m.passed.timeout.count()));
    }

    void testAnswerRoundTrip() {
        const RpcOutcome ok = RpcOutcome::resulting(R"({"z":1,"a":"two"})");
        CPPUNIT_ASSERT(ok.result);
        auto m = decodeRemoteMessage(encodeRemoteAnswer(9, ok));
        CPPUNIT_ASSERT(m.type == RemoteMessage::Type::RequestResult);
        CPPUNIT_ASSERT(m.answer.kind == RpcOutcome::Kind::Result);
        CPPUNIT_ASSERT(m.answer.result);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"z":1,"a":"two"})"), m.answer.result->json); // key order kept
        CPPUNIT_ASSERT_EQUAL(std::string("\"two\""), std::string(m.answer.result->scanned.member("a").value_or("")));
        RpcOutcome error;
        error.kind = RpcOutcome::Kind::Error;
        error.errorCode = -32602;
        error.errorMessage = "Unknown prompt";
        error.errorDataJson = R"({"name":"x"})";
        error.gatewayCode = "input_required";
        m = decodeRemoteMessage(encodeRemoteAnswer(10, error));
        CPPUNIT_ASSERT(m.answer.kind == RpcOutcome::Kind::Error);
        CPPUNIT_ASSERT_EQUAL(-32602, m.answer.errorCode);
        CPPUNIT_ASSERT_EQUAL(error.errorMessage, m.answer.errorMessage);
        CPPUNIT_ASSERT_EQUAL(error.errorDataJson, m.answer.errorDataJson);
        CPPUNIT_ASSERT_EQUAL(error.gatewayCode, m.answer.gatewayCode);
        RpcOutcome late;
        late.kind = RpcOutcome::Kind::Timeout;
        late.errorMessage = "no answer";
        m = decodeRemoteMessage(encodeRemoteAnswer(11, late));
        CPPUNIT_ASSERT(m.answer.kind == RpcOutcome::Kind::Timeout);
        CPPUNIT_ASSERT(!m.answer.result);
    }

    void testCatalogRoundTrip() {
        auto m = decodeRemoteMessage(encodeCatalogRequest(3, "every"));
        CPPUNIT_ASSERT(m.type == RemoteMessage::Type::CatalogRequest);
        CPPUNIT_ASSERT_EQUAL(std::string("every"), m.mcpId);
        const std::string lists = R"({"tools":[{"name":"echo","inputSchema":{"type":"object"}},{"name":"add"}],)"
                                  R"("resources":[{"uri":"demo://r/1","name":"one"}],"resource_templates":[{"uriTemplate":"demo://r/{id}"}],)"
                                  R"("prompts":[{"name":"simple"}]})";
        m = decodeRemoteMessage(encodeCatalog(4, "every", "h2", "17", lists));
        CPPUNIT_ASSERT(m.type == RemoteMessage::Type::Catalog);
        CPPUNIT_ASSERT(m.catalog.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("h2"), m.catalog->owner);
        CPPUNIT_ASSERT_EQUAL(std::string("17"), m.catalog->stamp);
        const auto& tools = *m.catalog->lists[0];
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), tools.size());
        CPPUNIT_ASSERT_EQUAL(std::string("echo"), tools[0].key);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"name":"echo","inputSchema":{"type":"object"}})"), json::stringify(tools[0].object));
        CPPUNIT_ASSERT_EQUAL(std::string("add"), tools[1].key);
        CPPUNIT_ASSERT_EQUAL(std::string("demo://r/1"), (*m.catalog->lists[1])[0].key);
        CPPUNIT_ASSERT_EQUAL(std::string("demo://r/{id}"), (*m.catalog->lists[2])[0].key);
        CPPUNIT_ASSERT_EQUAL(std::string("simple"), (*m.catalog->lists[3])[0].key);
        // Not connected there (any more): no lists.
        m = decodeRemoteMessage(encodeCatalog(5, "every", "h2", "", ""));
        CPPUNIT_ASSERT(!m.catalog.has_value());
    }

    void testRefusals() {
        CPPUNIT_ASSERT(refusal("[1]").find("remote call: not a JSON object") == 0);
        CPPUNIT_ASSERT_EQUAL(std::string("remote call: no \"type\""), refusal(R"({"call":1})"));
        CPPUNIT_ASSERT_EQUAL(std::string("remote call: unknown type 'x'"), refusal(R"({"type":"x","call":1})"));
        CPPUNIT_ASSERT_EQUAL(std::string("remote call: \"call\" is not a count"), refusal(R"({"type":"tool_call","call":-1})"));
        CPPUNIT_ASSERT_EQUAL(std::string("remote call: no \"mcp_id\""), refusal(R"({"type":"tool_call","call":1,"tool":"t","timeout_ms":5})"));
        CPPUNIT_ASSERT_EQUAL(std::string("remote call: \"arguments\" is not an object"),
                             refusal(R"({"type":"tool_call","call":1,"mcp_id":"m","tool":"t","arguments":[],"timeout_ms":5})"));
        CPPUNIT_ASSERT_EQUAL(std::string("remote call: timeout_ms is not in 1..3600000"),
                             refusal(R"({"type":"tool_call","call":1,"mcp_id":"m","tool":"t","timeout_ms":0})"));
        CPPUNIT_ASSERT_EQUAL(std::string("remote call: unknown refusal 'nope'"),
                             refusal(R"({"type":"tool_call_result","call":1,"outcome":"x","refusal":"nope","duration_ms":0})"));
        CPPUNIT_ASSERT_EQUAL(std::string("remote call: \"user\" is not a string"),
                             refusal(R"({"type":"tool_call","call":1,"mcp_id":"m","tool":"t","user":5,"timeout_ms":5})"));
        CPPUNIT_ASSERT_EQUAL(std::string("remote call: method 'tools/list' is not one an agent passes on"),
                             refusal(R"({"type":"request","call":1,"mcp_id":"m","method":"tools/list","timeout_ms":5})"));
        CPPUNIT_ASSERT_EQUAL(std::string("remote call: unknown kind 'maybe'"), refusal(R"({"type":"request_result","call":1,"kind":"maybe"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("remote call: a result without a \"result\" object"),
                             refusal(R"({"type":"request_result","call":1,"kind":"result","result":[1]})"));
        CPPUNIT_ASSERT_EQUAL(std::string("remote call: \"error_code\" is not an integer"),
                             refusal(R"({"type":"request_result","call":1,"kind":"error","error_code":1.5})"));
        CPPUNIT_ASSERT_EQUAL(std::string("remote call: catalog.tools[1] has no name"),
                             refusal(R"({"type":"catalog","call":1,"mcp_id":"m","owner":"h","stamp":"1","catalog":{"tools":[{"name":"a"},{"title":"b"}]}})"));
        CPPUNIT_ASSERT_EQUAL(std::string("remote call: catalog.prompts is not an array"),
                             refusal(R"({"type":"catalog","call":1,"mcp_id":"m","owner":"h","stamp":"1","catalog":{"prompts":{}}})"));
        CPPUNIT_ASSERT_EQUAL(std::string("remote call: a catalog without its owner or stamp"),
                             refusal(R"({"type":"catalog","call":1,"mcp_id":"m","owner":"","stamp":"1","catalog":{}})"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RemoteMessageTest);
