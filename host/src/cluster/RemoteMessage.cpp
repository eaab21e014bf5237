#include "cluster/RemoteMessage.h"

#include "util/Json.h"
#include "util/JsonObject.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <stdexcept>

namespace mc::host {
namespace {

constexpr std::array<std::pair<Refusal, const char*>, 9> kRefusals{{{Refusal::InvalidInput, "invalid_input"},
                                                                    {Refusal::Forbidden, "forbidden"},
                                                                    {Refusal::NotFound, "not_found"},
                                                                    {Refusal::Conflict, "conflict"},
                                                                    {Refusal::InvalidArguments, "invalid_arguments"},
                                                                    {Refusal::NotSupported, "not_supported"},
                                                                    {Refusal::UpstreamFailed, "upstream_failed"},
                                                                    {Refusal::Unavailable, "unavailable"},
                                                                    {Refusal::TimedOut, "timed_out"}}};

std::string textOf(const Poco::JSON::Object& o, const char* key, bool required = false) {
    if (!o.has(key) || o.isNull(key)) {
        if (required) throw std::invalid_argument(std::string("remote call: no \"") + key + "\"");
        return {};
    }
    const auto v = o.get(key);
    if (!v.isString()) throw std::invalid_argument(std::string("remote call: \"") + key + "\" is not a string");
    return v.extract<std::string>();
}

std::uint64_t countOf(const Poco::JSON::Object& o, const char* key) {
    if (!o.has(key)) throw std::invalid_argument(std::string("remote call: no \"") + key + "\"");
    const auto n = json::integerValue(o.get(key));
    if (!n || *n < 0) throw std::invalid_argument(std::string("remote call: \"") + key + "\" is not a count");
    return static_cast<std::uint64_t>(*n);
}

// A member that must be a JSON object (or absent/null: `absent`), as compact text.
std::string objectOf(const Poco::JSON::Object& o, const char* key, const std::string& absent) {
    if (!o.has(key) || o.isNull(key)) return absent;
    const auto v = o.get(key);
    if (v.type() != typeid(Poco::JSON::Object::Ptr)) throw std::invalid_argument(std::string("remote call: \"") + key + "\" is not an object");
    return json::stringify(v);
}

constexpr std::array<std::pair<RpcOutcome::Kind, const char*>, 5> kKinds{{{RpcOutcome::Kind::Result, "result"},
                                                                          {RpcOutcome::Kind::Error, "error"},
                                                                          {RpcOutcome::Kind::Timeout, "timeout"},
                                                                          {RpcOutcome::Kind::Disconnected, "disconnected"},
                                                                          {RpcOutcome::Kind::Cancelled, "cancelled"}}};
// What an agent may have passed on to another host's server (McpServerFace::passOn).
constexpr std::array<const char*, 3> kPassedMethods{"resources/read", "prompts/get", "completion/complete"};

std::chrono::milliseconds timeoutOf(const Poco::JSON::Object& o) {
    const std::uint64_t timeout = countOf(o, "timeout_ms");
    if (timeout == 0 || timeout > 3600000) throw std::invalid_argument("remote call: timeout_ms is not in 1..3600000");
    return std::chrono::milliseconds(timeout);
}

// One list of a catalog: objects named by `key` (a string), in their order.
McpConnection::Offerings listOf(const Poco::JSON::Object& catalog, const char* member, const char* key) {
    auto out = std::make_shared<std::vector<McpConnection::Offered>>();
    if (!catalog.has(member)) return out;
    const auto v = catalog.get(member);
    if (v.type() != typeid(Poco::JSON::Array::Ptr)) throw std::invalid_argument(std::string("remote call: catalog.") + member + " is not an array");
    const auto items = v.extract<Poco::JSON::Array::Ptr>();
    for (std::size_t i = 0; i < items->size(); ++i) {
        const auto item = items->getObject(static_cast<unsigned>(i));
        if (!item) throw std::invalid_argument(std::string("remote call: catalog.") + member + "[" + std::to_string(i) + "] is not an object");
        std::string name = textOf(*item, key);
        if (name.empty())
            throw std::invalid_argument(std::string("remote call: catalog.") + member + "[" + std::to_string(i) + "] has no " + key);
        out->push_back(McpConnection::Offered{std::move(name), item});
    }
    return out;
}

void member(std::string& out, const char* key, const std::string& value) {
    out += ",\"";
    out += key;
    out += "\":";
    out += json::quote(value);
}

} // namespace

const char* refusalName(Refusal refusal) {
    for (const auto& [r, name] : kRefusals)
        if (r == refusal) return name;
    return "unavailable";
}

std::string encodeRemoteCall(std::uint64_t call, const std::string& mcpId, const ToolCallRequest& request) {
    std::string out = "{\"type\":\"tool_call\",\"call\":" + std::to_string(call);
    member(out, "mcp_id", mcpId);
    member(out, "tool", request.tool);
    out += ",\"arguments\":" + (request.argumentsJson.empty() ? std::string("{}") : request.argumentsJson);
    member(out, "thread_id", request.threadId);
    member(out, "call_id", request.callId);
    member(out, "traceparent", request.traceparent);
    member(out, "user", request.user);
    member(out, "role", request.role);
    out += ",\"timeout_ms\":" + std::to_string(request.timeout.count()) + "}";
    return out;
}

std::string encodeRemoteResult(std::uint64_t call, const ToolCallOutcome& o) {
    std::string out = "{\"type\":\"tool_call_result\",\"call\":" + std::to_string(call);
    member(out, "outcome", o.outcome);
    out += ",\"refusal\":" + (o.refusal ? json::quote(refusalName(*o.refusal)) : std::string("null"));
    member(out, "error_code", o.errorCode);
    member(out, "message", o.message);
    out += ",\"details\":" + (o.detailsJson.empty() ? std::string("{}") : o.detailsJson);
    out += ",\"result\":" + (o.resultJson.empty() ? std::string("null") : o.resultJson);
    out += ",\"duration_ms\":" + std::to_string(o.durationMs) + "}";
    return out;
}

std::string encodeRemoteRequest(std::uint64_t call, const std::string& mcpId, const PassedRequest& request) {
    std::string out = "{\"type\":\"request\",\"call\":" + std::to_string(call);
    member(out, "mcp_id", mcpId);
    member(out, "method", request.method);
    out += ",\"params\":" + (request.paramsJson.empty() ? std::string("{}") : request.paramsJson);
    member(out, "target", request.target);
    member(out, "thread_id", request.threadId);
    member(out, "traceparent", request.traceparent);
    out += ",\"timeout_ms\":" + std::to_string(request.timeout.count()) + "}";
    return out;
}

std::string encodeRemoteAnswer(std::uint64_t call, const RpcOutcome& o) {
    std::string out = "{\"type\":\"request_result\",\"call\":" + std::to_string(call);
    const char* kind = "disconnected";
    for (const auto& [k, name] : kKinds)
        if (k == o.kind) kind = name;
    member(out, "kind", kind);
    out += ",\"result\":" + (o.kind == RpcOutcome::Kind::Result && o.result ? o.result->json : std::string("null"));
    out += ",\"error_code\":" + std::to_string(o.errorCode);
    member(out, "message", o.errorMessage);
    out += ",\"data\":" + (o.errorDataJson.empty() ? std::string("null") : o.errorDataJson);
    member(out, "gateway_code", o.gatewayCode);
    return out + "}";
}

std::string encodeCatalogRequest(std::uint64_t call, const std::string& mcpId) {
    std::string out = "{\"type\":\"catalog_request\",\"call\":" + std::to_string(call);
    member(out, "mcp_id", mcpId);
    return out + "}";
}

std::string encodeCatalog(std::uint64_t call, const std::string& mcpId, const std::string& owner, const std::string& stamp,
                          const std::string& catalogJson) {
    std::string out = "{\"type\":\"catalog\",\"call\":" + std::to_string(call);
    member(out, "mcp_id", mcpId);
    member(out, "owner", owner);
    member(out, "stamp", stamp);
    out += ",\"catalog\":" + (catalogJson.empty() ? std::string("null") : catalogJson);
    return out + "}";
}

RemoteMessage decodeRemoteMessage(std::string_view text) {
    Poco::JSON::Object::Ptr o;
    try {
        // Key order kept: the arguments and the result go on as their author wrote them.
        o = json::parse(text, json::KeyOrder::AsWritten).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("remote call: not a JSON object: ") + e.what());
    }
    if (!o) throw std::invalid_argument("remote call: not a JSON object");
    RemoteMessage m;
    const std::string type = textOf(*o, "type", true);
    m.call = countOf(*o, "call");
    if (type == "tool_call") {
        m.type = RemoteMessage::Type::Call;
        m.mcpId = textOf(*o, "mcp_id", true);
        m.request.tool = textOf(*o, "tool", true);
        if (m.mcpId.empty() || m.request.tool.empty()) throw std::invalid_argument("remote call: empty mcp_id or tool");
        m.request.argumentsJson = objectOf(*o, "arguments", "{}");
        m.request.threadId = textOf(*o, "thread_id");
        m.request.callId = textOf(*o, "call_id");
        m.request.traceparent = textOf(*o, "traceparent");
        m.request.user = textOf(*o, "user");
        m.request.role = textOf(*o, "role");
        m.request.timeout = timeoutOf(*o);
        m.request.cannotAnswer = "the call was forwarded from another host of the cluster";
    } else if (type == "tool_call_result") {
        m.type = RemoteMessage::Type::Result;
        m.outcome.outcome = textOf(*o, "outcome", true);
        const std::string refusal = textOf(*o, "refusal");
        if (!refusal.empty()) {
            bool known = false;
            for (const auto& [r, name] : kRefusals)
                if (refusal == name) {
                    m.outcome.refusal = r;
                    known = true;
                }
            if (!known) throw std::invalid_argument("remote call: unknown refusal '" + refusal + "'");
        }
        m.outcome.errorCode = textOf(*o, "error_code");
        m.outcome.message = textOf(*o, "message");
        m.outcome.detailsJson = objectOf(*o, "details", "{}");
        m.outcome.resultJson = objectOf(*o, "result", "");
        m.outcome.durationMs = static_cast<long long>(countOf(*o, "duration_ms"));
    } else if (type == "request") {
        m.type = RemoteMessage::Type::Request;
        m.mcpId = textOf(*o, "mcp_id", true);
        m.passed.method = textOf(*o, "method", true);
        if (m.mcpId.empty()) throw std::invalid_argument("remote call: empty mcp_id");
        if (std::find(kPassedMethods.begin(), kPassedMethods.end(), m.passed.method) == kPassedMethods.end())
            throw std::invalid_argument("remote call: method '" + m.passed.method + "' is not one an agent passes on");
        m.passed.paramsJson = objectOf(*o, "params", "{}");
        m.passed.target = textOf(*o, "target");
        m.passed.threadId = textOf(*o, "thread_id");
        m.passed.traceparent = textOf(*o, "traceparent");
        m.passed.timeout = timeoutOf(*o);
    } else if (type == "request_result") {
        m.type = RemoteMessage::Type::RequestResult;
        const std::string kind = textOf(*o, "kind", true);
        const auto known = std::find_if(kKinds.begin(), kKinds.end(), [&](const auto& k) { return kind == k.second; });
        if (known == kKinds.end()) throw std::invalid_argument("remote call: unknown kind '" + kind + "'");
        m.answer.kind = known->first;
        if (m.answer.kind == RpcOutcome::Kind::Result) {
            if (!o->has("result") || o->get("result").type() != typeid(Poco::JSON::Object::Ptr))
                throw std::invalid_argument("remote call: a result without a \"result\" object");
            m.answer.result = ResultText::of(json::stringify(o->get("result")));
        }
        const auto code = o->has("error_code") ? json::integerValue(o->get("error_code")) : std::optional<long long>(0);
        if (!code || *code < INT32_MIN || *code > INT32_MAX) throw std::invalid_argument("remote call: \"error_code\" is not an integer");
        m.answer.errorCode = static_cast<int>(*code);
        m.answer.errorMessage = textOf(*o, "message");
        if (o->has("data") && !o->isNull("data")) m.answer.errorDataJson = json::stringify(o->get("data"));
        m.answer.gatewayCode = textOf(*o, "gateway_code");
    } else if (type == "catalog_request") {
        m.type = RemoteMessage::Type::CatalogRequest;
        m.mcpId = textOf(*o, "mcp_id", true);
        if (m.mcpId.empty()) throw std::invalid_argument("remote call: empty mcp_id");
    } else if (type == "catalog") {
        m.type = RemoteMessage::Type::Catalog;
        m.mcpId = textOf(*o, "mcp_id", true);
        if (m.mcpId.empty()) throw std::invalid_argument("remote call: empty mcp_id");
        if (o->has("catalog") && !o->isNull("catalog")) {
            const auto v = o->get("catalog");
            if (v.type() != typeid(Poco::JSON::Object::Ptr)) throw std::invalid_argument("remote call: \"catalog\" is not an object");
            const auto& catalog = *v.extract<Poco::JSON::Object::Ptr>();
            McpConnection::Mirror mirror;
            mirror.owner = textOf(*o, "owner", true);
            mirror.stamp = textOf(*o, "stamp", true);
            if (mirror.owner.empty() || mirror.stamp.empty()) throw std::invalid_argument("remote call: a catalog without its owner or stamp");
            mirror.lists = {listOf(catalog, "tools", "name"), listOf(catalog, "resources", "uri"),
                            listOf(catalog, "resource_templates", "uriTemplate"), listOf(catalog, "prompts", "name")};
            m.catalog = std::move(mirror);
        }
    } else {
        throw std::invalid_argument("remote call: unknown type '" + type + "'");
    }
    return m;
}

} // namespace mc::host
