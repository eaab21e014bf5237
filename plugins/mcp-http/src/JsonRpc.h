#pragma once
// Just enough JSON-RPC 2.0 for a transport: what kind of message goes out (the initialize request
// matters to the session), splitting what comes in (batches) and making an error response for a
// request the transport could not get answered.
#include <string>
#include <string_view>
#include <vector>

namespace mc::mcp_http {

struct OutgoingInfo {
    bool isRequest = false;      // has method and id
    bool isNotification = false; // has method, no id
    bool isResponse = false;     // has result or error
    std::string method;
    std::string idJson; // the id as JSON text ("7", "\"a\""), empty for notifications
    // A message of the 2026-07-28 era names its protocol version in params._meta: it belongs to no
    // session and its headers mirror it (MCP-Protocol-Version, Mcp-Method, Mcp-Name).
    std::string modernVersion; // "" for a message of the 2025 era
    std::string mcpName;       // the Mcp-Name header's value, encoded ("" when the method has none)
    std::string cancelsIdJson; // notifications/cancelled: the id of the request it cancels, as JSON text
    bool isInitialize() const { return isRequest && method == "initialize"; }
    bool isModern() const { return !modernVersion.empty(); }
};

// Throws mc::sdk::Error(MC_ERR_INVALID_ARGUMENT) for text that is not one JSON-RPC message.
OutgoingInfo inspectOutgoing(std::string_view json);

struct IncomingMessage {
    std::string json;   // one message
    bool isResponse = false;
    std::string idJson; // for responses
    std::string protocolVersion; // result.protocolVersion when present (initialize results)
};

// One message or a batch, split into single messages. Throws std::runtime_error on invalid JSON or
// anything that is not an object or an array of objects.
std::vector<IncomingMessage> splitIncoming(std::string_view body);

// {"jsonrpc":"2.0","id":<idJson>,"error":{"code":-32000,"message":...,"data":{...}}}
std::string transportErrorResponse(const std::string& idJson, const std::string& message, int httpStatus);

// The first `max` bytes of `text` for an error message, with "..." when cut.
std::string snippet(std::string_view text, std::size_t max = 300);

} // namespace mc::mcp_http
