#include "JsonRpc.h"

#include "mc/json/Scan.h"
#include "mc/json_text.hpp"
#include "mc/mcp/ModernWire.h"
#include "mc/sdk.hpp"

#include <stdexcept>

namespace mc::mcp_http {
namespace {

// What a message's JSON may hold: any JSON a peer sends, nested as deep as the stdio transport allows.
const mc::json::ScanRules kMessageRules{};

// An id as the transport compares and quotes it: a string re-quoted from its decoded value (so
// "a\u0062" and "ab" are one id), anything else (a number) as written.
std::string canonicalId(std::string_view idText) {
    if (idText.empty() || idText.front() != '"') return std::string(idText);
    return mc::sdk::json::quote(mc::json::decodeString(idText));
}

// The members of an object value's text (scanned again: only the parts looked into are).
mc::json::Scan objectOf(std::optional<std::string_view> value) {
    if (!value || value->front() != '{') return {};
    return mc::json::scan(*value, kMessageRules);
}

bool has(const mc::json::Scan& object, std::string_view key) { return object.member(key).has_value(); }

IncomingMessage describe(const mc::json::Scan& object, std::string json) {
    IncomingMessage message;
    message.json = std::move(json);
    message.isResponse = !has(object, "method") && (has(object, "result") || has(object, "error"));
    if (!message.isResponse) return message;
    if (auto id = object.member("id")) message.idJson = canonicalId(*id);
    // Only an initialize result names a protocol version: other results (a tool's, maybe large) are
    // not scanned again unless they may hold one (its name as written, or escapes, which could spell it).
    const auto result = object.member("result");
    if (result && (result->find("\"protocolVersion\"") != std::string_view::npos || result->find("\\u") != std::string_view::npos)) {
        if (auto version = mc::json::stringValue(objectOf(result).member("protocolVersion"))) message.protocolVersion = *version;
    }
    return message;
}

} // namespace

OutgoingInfo inspectOutgoing(std::string_view json) {
    const mc::json::Scan message = mc::json::scan(json, kMessageRules);
    if (!message.ok())
        throw sdk::Error(MC_ERR_INVALID_ARGUMENT, "not a JSON-RPC message (invalid JSON: " + message.problem + "): " + snippet(json, 120));
    if (message.kind != '{')
        throw sdk::Error(MC_ERR_INVALID_ARGUMENT, "not a JSON-RPC message (send one object, not a batch): " + snippet(json, 120));
    OutgoingInfo info;
    if (const auto method = message.member("method")) {
        auto name = mc::json::stringValue(method);
        if (!name) throw sdk::Error(MC_ERR_INVALID_ARGUMENT, "JSON-RPC 'method' must be a string");
        info.method = std::move(*name);
        const auto id = message.member("id");
        if (id && *id != "null") {
            info.isRequest = true;
            info.idJson = canonicalId(*id);
        } else {
            info.isNotification = true;
        }
        const auto params = objectOf(message.member("params"));
        if (info.isNotification && info.method == "notifications/cancelled")
            if (auto cancelled = params.member("requestId")) info.cancelsIdJson = canonicalId(*cancelled);
        const auto meta = objectOf(params.member("_meta"));
        if (auto version = mc::json::stringValue(meta.member(mc::mcp::modern::kMetaVersion))) {
            info.modernVersion = std::move(*version);
            const char* nameMember = mc::mcp::modern::nameMember(info.method);
            if (nameMember)
                if (auto named = mc::json::stringValue(params.member(nameMember)))
                    info.mcpName = mc::mcp::modern::encodeHeaderValue(*named);
        }
    } else if (has(message, "result") || has(message, "error")) {
        info.isResponse = true;
        if (auto id = message.member("id")) info.idJson = canonicalId(*id);
    } else {
        throw sdk::Error(MC_ERR_INVALID_ARGUMENT, "not a JSON-RPC message (no method, result or error): " + snippet(json, 120));
    }
    return info;
}

std::vector<IncomingMessage> splitIncoming(std::string_view body) {
    const mc::json::Scan scanned = mc::json::scan(body, kMessageRules);
    if (!scanned.ok()) throw std::runtime_error("invalid JSON from the server (" + scanned.problem + "): " + snippet(body, 120));
    std::vector<IncomingMessage> out;
    if (scanned.kind == '{') {
        out.push_back(describe(scanned, std::string(body)));
    } else if (scanned.kind == '[') {
        for (const std::string_view element : scanned.elements) {
            if (element.front() != '{') throw std::runtime_error("a batch from the server holds a non-object: " + snippet(body, 120));
            out.push_back(describe(mc::json::scan(element, kMessageRules), std::string(element)));
        }
    } else {
        throw std::runtime_error("the server sent JSON that is not a JSON-RPC message: " + snippet(body, 120));
    }
    return out;
}

std::string transportErrorResponse(const std::string& idJson, const std::string& message, int httpStatus) {
    std::string out = "{\"jsonrpc\":\"2.0\",\"id\":";
    out += idJson.empty() ? "null" : idJson;
    out += ",\"error\":{\"code\":-32000,\"message\":\"";
    mc::sdk::json::appendEscaped(out, message);
    out += "\",\"data\":{\"transport\":\"mcp-http\"";
    if (httpStatus > 0) out += ",\"http_status\":" + std::to_string(httpStatus);
    out += "}}}";
    return out;
}

std::string snippet(std::string_view text, std::size_t max) {
    if (text.size() <= max) return std::string(text);
    return std::string(text.substr(0, max)) + "...";
}

} // namespace mc::mcp_http
