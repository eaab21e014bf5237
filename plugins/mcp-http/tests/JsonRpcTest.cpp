// What mcp-http reads of the JSON-RPC it sends and receives (src/JsonRpc.cpp): the kind, method and id
// of an outgoing message and the headers of the 2026-07-28 era, an incoming batch cut into its
// elements as the server wrote them, ids in one form whatever their escapes, and refusals that say why.
#include "JsonRpc.h"

#include "mc/mcp/ModernWire.h"
#include "mc/sdk.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>
#include <string>

using namespace mc::mcp_http;

namespace {

std::string refusalOf(std::string_view json) {
    try {
        inspectOutgoing(json);
    } catch (const mc::sdk::Error& e) {
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, e.status());
        return e.what();
    }
    return "";
}

std::string splitRefusalOf(std::string_view body) {
    try {
        splitIncoming(body);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

} // namespace

class JsonRpcTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(JsonRpcTest);
    CPPUNIT_TEST(anOutgoingMessageIsARequestANotificationOrAResponse);
    CPPUNIT_TEST(idsTakeOneFormWhateverTheirEscapes);
    CPPUNIT_TEST(aModernMessageNamesItsVersionAndItsMcpName);
    CPPUNIT_TEST(aCancellationNamesTheRequestItCancels);
    CPPUNIT_TEST(whatIsNotOneMessageIsRefusedWithItsReason);
    CPPUNIT_TEST(anIncomingBatchPassesOnAsItsElementsText);
    CPPUNIT_TEST(anInitializeResultNamesItsProtocolVersion);
    CPPUNIT_TEST(whatTheServerSendsThatIsNotJsonRpcIsRefused);
    CPPUNIT_TEST_SUITE_END();

public:
    void anOutgoingMessageIsARequestANotificationOrAResponse() {
        const OutgoingInfo request = inspectOutgoing(R"({"jsonrpc":"2.0","id":7,"method":"initialize","params":{"protocolVersion":"2025-11-25"}})");
        CPPUNIT_ASSERT(request.isRequest && !request.isNotification && !request.isResponse && request.isInitialize());
        CPPUNIT_ASSERT_EQUAL(std::string("initialize"), request.method);
        CPPUNIT_ASSERT_EQUAL(std::string("7"), request.idJson);
        CPPUNIT_ASSERT(!request.isModern());

        const OutgoingInfo notification = inspectOutgoing(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
        CPPUNIT_ASSERT(notification.isNotification && !notification.isRequest);
        CPPUNIT_ASSERT_EQUAL(std::string(), notification.idJson);
        // An id of null is no id: a notification.
        CPPUNIT_ASSERT(inspectOutgoing(R"({"jsonrpc":"2.0","id":null,"method":"x"})").isNotification);

        const OutgoingInfo response = inspectOutgoing(R"({"jsonrpc":"2.0","id":"s-1","result":{}})");
        CPPUNIT_ASSERT(response.isResponse && !response.isRequest);
        CPPUNIT_ASSERT_EQUAL(std::string("\"s-1\""), response.idJson);
        CPPUNIT_ASSERT(inspectOutgoing(R"({"id":3,"error":{"code":-1,"message":"no"}})").isResponse);
    }

    void idsTakeOneFormWhateverTheirEscapes() {
        // The request as the host wrote it and the answer as a server escaped it match.
        CPPUNIT_ASSERT_EQUAL(std::string("\"ab\""), inspectOutgoing(R"({"id":"a\u0062","method":"m"})").idJson);
        CPPUNIT_ASSERT_EQUAL(std::string("\"ab\""), splitIncoming(R"({"id":"ab","result":1})")[0].idJson);
        CPPUNIT_ASSERT_EQUAL(std::string("\"ab\""), splitIncoming(R"({"id":"\u0061b","result":1})")[0].idJson);
        CPPUNIT_ASSERT_EQUAL(std::string("\"q\\\"\""), inspectOutgoing(R"({"id":"q\"","method":"m"})").idJson);
        CPPUNIT_ASSERT_EQUAL(std::string("12"), splitIncoming(R"({"result":{},"id":12})")[0].idJson);
    }

    void aModernMessageNamesItsVersionAndItsMcpName() {
        const OutgoingInfo call = inspectOutgoing(
            R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"gr\u00fc\u00dfe","arguments":{"name":"not this"},)"
            R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}})");
        CPPUNIT_ASSERT(call.isModern());
        CPPUNIT_ASSERT_EQUAL(std::string("2026-07-28"), call.modernVersion);
        CPPUNIT_ASSERT_EQUAL(std::string("tools/call"), call.method);
        CPPUNIT_ASSERT_EQUAL(mc::mcp::modern::encodeHeaderValue("gr\xc3\xbc\xc3\x9f" "e"), call.mcpName);
        // A resource read names its uri; a version that is not a string is no version.
        CPPUNIT_ASSERT_EQUAL(std::string("file:///a"),
                             inspectOutgoing(R"({"id":2,"method":"resources/read","params":{"uri":"file:///a",)"
                                             R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}})").mcpName);
        CPPUNIT_ASSERT(!inspectOutgoing(R"({"id":3,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":7}}})").isModern());
        CPPUNIT_ASSERT(!inspectOutgoing(R"({"id":4,"method":"tools/list","params":[1]})").isModern());
    }

    void aCancellationNamesTheRequestItCancels() {
        CPPUNIT_ASSERT_EQUAL(std::string("\"r7\""),
                             inspectOutgoing(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"r\u0037"}})").cancelsIdJson);
        CPPUNIT_ASSERT_EQUAL(std::string("9"),
                             inspectOutgoing(R"({"method":"notifications/cancelled","params":{"reason":"x","requestId":9}})").cancelsIdJson);
        CPPUNIT_ASSERT_EQUAL(std::string(), inspectOutgoing(R"({"method":"notifications/progress","params":{"requestId":9}})").cancelsIdJson);
    }

    void whatIsNotOneMessageIsRefusedWithItsReason() {
        CPPUNIT_ASSERT_EQUAL(std::string("not a JSON-RPC message (invalid JSON: a missing ',' or '}' at byte 8): {\"id\":1 \"method\":\"m\"}"),
                             refusalOf(R"({"id":1 "method":"m"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("not a JSON-RPC message (invalid JSON: a byte that is not UTF-8 at byte 11): {\"method\":\"\xff\"}"),
                             refusalOf("{\"method\":\"\xff\"}"));
        CPPUNIT_ASSERT_EQUAL(std::string("not a JSON-RPC message (send one object, not a batch): [{\"id\":1,\"method\":\"m\"}]"),
                             refusalOf(R"([{"id":1,"method":"m"}])"));
        CPPUNIT_ASSERT_EQUAL(std::string("JSON-RPC 'method' must be a string"), refusalOf(R"({"id":1,"method":7})"));
        CPPUNIT_ASSERT_EQUAL(std::string("not a JSON-RPC message (no method, result or error): {\"id\":1}"), refusalOf(R"({"id":1})"));
    }

    void anIncomingBatchPassesOnAsItsElementsText() {
        const std::string body = R"([ {"jsonrpc":"2.0","id":1,"result":{"a" : 1}} , {"jsonrpc":"2.0","method":"notifications/message","params":{}} ])";
        const auto messages = splitIncoming(body);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), messages.size());
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"jsonrpc":"2.0","id":1,"result":{"a" : 1}})"), messages[0].json); // as written
        CPPUNIT_ASSERT(messages[0].isResponse);
        CPPUNIT_ASSERT_EQUAL(std::string("1"), messages[0].idJson);
        CPPUNIT_ASSERT(!messages[1].isResponse);
        CPPUNIT_ASSERT_EQUAL(std::string(), messages[1].idJson);
        // One message is passed on whole.
        const std::string one = "{\"id\":2,\"error\":{\"code\":-32601,\"message\":\"no\"}}\n";
        CPPUNIT_ASSERT_EQUAL(one, splitIncoming(one)[0].json);
        CPPUNIT_ASSERT(splitIncoming(one)[0].isResponse);
        // A request from the server that happens to carry "result" in its params is no response.
        CPPUNIT_ASSERT(!splitIncoming(R"({"id":5,"method":"sampling/createMessage","result":1})")[0].isResponse);
    }

    void anInitializeResultNamesItsProtocolVersion() {
        CPPUNIT_ASSERT_EQUAL(std::string("2025-11-25"),
                             splitIncoming(R"({"id":0,"result":{"capabilities":{},"protocolVersion":"2025-11-25"}})")[0].protocolVersion);
        // Its name written with escapes is the same name.
        CPPUNIT_ASSERT_EQUAL(std::string("2025-11-25"),
                             splitIncoming(R"({"id":0,"result":{"protocol\u0056ersion":"2025-11-25"}})")[0].protocolVersion);
        // Only the result's own member counts, not one nested deeper or of another type.
        CPPUNIT_ASSERT_EQUAL(std::string(),
                             splitIncoming(R"({"id":0,"result":{"content":[{"protocolVersion":"x"}]}})")[0].protocolVersion);
        CPPUNIT_ASSERT_EQUAL(std::string(), splitIncoming(R"({"id":0,"result":{"protocolVersion":1}})")[0].protocolVersion);
        CPPUNIT_ASSERT_EQUAL(std::string(), splitIncoming(R"({"id":0,"result":"protocolVersion"})")[0].protocolVersion);
    }

    void whatTheServerSendsThatIsNotJsonRpcIsRefused() {
        CPPUNIT_ASSERT_EQUAL(std::string("invalid JSON from the server (an unterminated string at byte 8): {\"id\":\"1"),
                             splitRefusalOf(R"({"id":"1)"));
        CPPUNIT_ASSERT_EQUAL(std::string("a batch from the server holds a non-object: [{\"id\":1,\"result\":2},3]"),
                             splitRefusalOf(R"([{"id":1,"result":2},3])"));
        CPPUNIT_ASSERT_EQUAL(std::string("the server sent JSON that is not a JSON-RPC message: \"hello\""), splitRefusalOf("\"hello\""));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JsonRpcTest);
