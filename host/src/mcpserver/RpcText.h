#pragma once
// JSON-RPC messages of the /mcp face as text: built once where they are answered.
#include "util/Json.h"
#include "util/JsonObject.h"

#include <Poco/Dynamic/Var.h>

#include <string>

namespace mc::host::rpc {

// JSON-RPC 2.0 error codes the face answers with.
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;
constexpr int kInternalError = -32603;
constexpr int kRequestTimeout = -32001;   // the TypeScript SDK's RequestTimeout
constexpr int kResourceNotFound = -32002; // MCP: a resource that does not exist
constexpr int kPermissionDenied = -32003; // the host's: the permission policy denies the request

inline std::string result(const std::string& id, const std::string& resultJson) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + resultJson + "}";
}

// `dataJson`: the error's "data" member ("" for none).
inline std::string error(const std::string& id, int code, const std::string& message, const std::string& dataJson = {}) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"error\":{\"code\":" + std::to_string(code) + ",\"message\":" + json::quote(message) +
           (dataJson.empty() ? std::string() : ",\"data\":" + dataJson) + "}}";
}

// A JSON-RPC id as it is echoed: a string, or an integer of up to 64 bits, signed or not (the caller
// checked it is one of those).
inline std::string idText(const Poco::Dynamic::Var& id) {
    if (id.isString()) return json::quote(id.extract<std::string>());
    const auto signedId = json::integerValue(id);
    return signedId ? std::to_string(*signedId) : std::to_string(id.convert<Poco::UInt64>());
}

} // namespace mc::host::rpc
