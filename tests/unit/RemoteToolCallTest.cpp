// A tool call forwarded between the hosts of a cluster and its outcome: what one host encodes the
// other decodes to the same; what is not one is refused with the reason.
#include "cluster/RemoteToolCall.h"

#include <cppunit/extensions/HelperMacros.h>

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

class RemoteToolCallTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RemoteToolCallTest);
    CPPUNIT_TEST(testCallRoundTrip);
    CPPUNIT_TEST(testResultRoundTrip);
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
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RemoteToolCallTest);
