#include "JsonRpc.h"

#include "mc/json_text.hpp"
#include "mc/mcp/ModernWire.h"
#include "mc/sdk.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>
#include <stdexcept>

namespace mc::mcp_http {
namespace {

std::string toJson(const Poco::Dynamic::Var& value) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

IncomingMessage describe(const Poco::JSON::Object::Ptr& obj, std::string json) {
    IncomingMessage message;
    message.json = std::move(json);
    message.isResponse = !obj->has("method") && (obj->has("result") || obj->has("error"));
    if (message.isResponse && obj->has("id")) message.idJson = toJson(obj->get("id"));
    if (message.isResponse && obj->has("result")) {
        const auto result = obj->get("result");
        if (result.type() == typeid(Poco::JSON::Object::Ptr)) {
            const auto resultObj = result.extract<Poco::JSON::Object::Ptr>();
            if (resultObj->has("protocolVersion") && resultObj->get("protocolVersion").isString())
                message.protocolVersion = resultObj->get("protocolVersion").toString();
        }
    }
    return message;
}

} // namespace

OutgoingInfo inspectOutgoing(std::string_view json) {
    Poco::Dynamic::Var parsed;
    try {
        parsed = Poco::JSON::Parser().parse(std::string(json));
    } catch (const std::exception&) {
        throw sdk::Error(MC_ERR_INVALID_ARGUMENT, "not a JSON-RPC message (invalid JSON): " + snippet(json, 120));
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
        throw sdk::Error(MC_ERR_INVALID_ARGUMENT, "not a JSON-RPC message (send one object, not a batch): " + snippet(json, 120));
    const auto obj = parsed.extract<Poco::JSON::Object::Ptr>();
    OutgoingInfo info;
    if (obj->has("method")) {
        if (!obj->get("method").isString()) throw sdk::Error(MC_ERR_INVALID_ARGUMENT, "JSON-RPC 'method' must be a string");
        info.method = obj->get("method").toString();
        if (obj->has("id") && !obj->get("id").isEmpty()) {
            info.isRequest = true;
            info.idJson = toJson(obj->get("id"));
        } else {
            info.isNotification = true;
        }
        const auto params = obj->has("params") && obj->get("params").type() == typeid(Poco::JSON::Object::Ptr)
                                ? obj->get("params").extract<Poco::JSON::Object::Ptr>()
                                : nullptr;
        if (info.isNotification && info.method == "notifications/cancelled" && params && params->has("requestId"))
            info.cancelsIdJson = toJson(params->get("requestId"));
        const auto meta = params ? params->getObject("_meta") : nullptr;
        if (meta && meta->has(mc::mcp::modern::kMetaVersion) && meta->get(mc::mcp::modern::kMetaVersion).isString()) {
            info.modernVersion = meta->get(mc::mcp::modern::kMetaVersion).toString();
            const char* nameMember = mc::mcp::modern::nameMember(info.method);
            if (nameMember && params->has(nameMember) && params->get(nameMember).isString())
                info.mcpName = mc::mcp::modern::encodeHeaderValue(params->get(nameMember).toString());
        }
    } else if (obj->has("result") || obj->has("error")) {
        info.isResponse = true;
        if (obj->has("id")) info.idJson = toJson(obj->get("id"));
    } else {
        throw sdk::Error(MC_ERR_INVALID_ARGUMENT, "not a JSON-RPC message (no method, result or error): " + snippet(json, 120));
    }
    return info;
}

std::vector<IncomingMessage> splitIncoming(std::string_view body) {
    Poco::Dynamic::Var parsed;
    try {
        parsed = Poco::JSON::Parser().parse(std::string(body));
    } catch (const std::exception& e) {
        throw std::runtime_error("invalid JSON from the server: " + snippet(body, 120));
    }
    std::vector<IncomingMessage> out;
    if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) {
        out.push_back(describe(parsed.extract<Poco::JSON::Object::Ptr>(), std::string(body)));
    } else if (parsed.type() == typeid(Poco::JSON::Array::Ptr)) {
        const auto batch = parsed.extract<Poco::JSON::Array::Ptr>();
        for (std::size_t i = 0; i < batch->size(); ++i) {
            const auto element = batch->get(static_cast<unsigned>(i));
            if (element.type() != typeid(Poco::JSON::Object::Ptr))
                throw std::runtime_error("a batch from the server holds a non-object: " + snippet(body, 120));
            out.push_back(describe(element.extract<Poco::JSON::Object::Ptr>(), toJson(element)));
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
