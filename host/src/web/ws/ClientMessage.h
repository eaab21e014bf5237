#pragma once
// A client's WebSocket text message read as the protocol's envelope (docs/websocket-protocol.md):
// a JSON object with a non-empty string "type" and an optional "request_id" echoed in the answer.
// Pure (no session, no socket), so it is tested and fuzzed on its own (fuzz/ws_message.cpp).
#include <Poco/JSON/Object.h>

#include <optional>
#include <string>
#include <string_view>

namespace mc::host {

// A client message after JSON parsing: `type` is its non-empty "type"; `requestIdJson` is its
// "request_id" re-serialized as JSON (empty when absent), ready to be echoed.
struct ClientMessage {
    std::string type;
    Poco::JSON::Object::Ptr body;
    std::string requestIdJson;
};

// Why a message is refused: the error answer's code and message, and the request_id to echo ("" for none).
struct MessageRefusal {
    std::string code;
    std::string message;
    std::string requestIdJson;
};

// Reads `text` into `out`; returns the refusal instead when it is not valid JSON, not an object, or
// has no non-empty string "type".
std::optional<MessageRefusal> parseClientMessage(const std::string& text, ClientMessage& out);

// The refusal of a message whose type no handler takes (a long type is shown cut to 64 bytes).
MessageRefusal unknownTypeRefusal(const ClientMessage& message);

// {"type":"error","code":...,"message":...,"request_id":...}; `requestIdJson` may be empty.
std::string errorJson(std::string_view code, std::string_view message, std::string_view requestIdJson);

} // namespace mc::host
