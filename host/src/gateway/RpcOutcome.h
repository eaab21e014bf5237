#pragma once
// What one JSON-RPC request to an MCP server came to. A result stays the text the server wrote, its
// top-level members found by the scanner: it is passed on as written, and only a reader that needs a
// tree builds one.
#include "mc/json/Scan.h"

#include <Poco/JSON/Object.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace mc::host {

// A result as the server wrote it, its top-level members found by the scanner (views into `json`;
// never changed once made, so shared freely).
struct ResultText {
    ResultText() = default;
    ResultText(const ResultText&) = delete; // `scanned` points into this one's `json`
    ResultText& operator=(const ResultText&) = delete;
    std::string json;
    mc::json::Scan scanned;
    // Null when `json` is not one JSON object.
    static std::shared_ptr<const ResultText> of(std::string_view json);
};

// The outcome of one JSON-RPC request.
struct RpcOutcome {
    enum class Kind { Result, Error, Timeout, Disconnected, Cancelled };
    Kind kind = Kind::Disconnected;
    // Kind::Result: the "result" member as the server wrote it; null when it is absent or not an object.
    // Answers pass on as text: only a reader that needs a tree builds one (resultObject).
    std::shared_ptr<const ResultText> result;
    int errorCode = 0;          // Kind::Error
    std::string errorMessage;   // Error: the server's message; Timeout/Disconnected/Cancelled: why
    std::string errorDataJson;  // Error: "data" as JSON text, or empty
    // Error: set when the gateway ended the request, not the server: "input_required" (the server asked
    // for input nobody could give).
    std::string gatewayCode;

    // The result parsed into a tree, anew on each call; null when there is none.
    Poco::JSON::Object::Ptr resultObject() const;
    // Kind::Result with `json` (one JSON object) as the result.
    static RpcOutcome resulting(std::string_view json);
};
using RpcCallback = std::function<void(RpcOutcome)>;

} // namespace mc::host
