#include "cluster/RemoteToolCall.h"

#include "util/Json.h"
#include "util/JsonObject.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <array>
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

RemoteMessage decodeRemoteMessage(std::string_view text) {
    Poco::JSON::Object::Ptr o;
    try {
        // Key order kept: the arguments and the result go on as their author wrote them.
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        o = parser.parse(std::string(text)).extract<Poco::JSON::Object::Ptr>();
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
        const std::uint64_t timeout = countOf(*o, "timeout_ms");
        if (timeout == 0 || timeout > 3600000) throw std::invalid_argument("remote call: timeout_ms is not in 1..3600000");
        m.request.timeout = std::chrono::milliseconds(timeout);
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
    } else {
        throw std::invalid_argument("remote call: unknown type '" + type + "'");
    }
    return m;
}

} // namespace mc::host
