// What the mcp-http transport reads of JSON-RPC (plugins/mcp-http/src/JsonRpc.cpp): a message the host
// sends (byte 0 even: inspectOutgoing) or a body a server answers with (odd: splitIncoming), found by
// the scanner without building a tree, against the same read through Poco's JSON objects.
//
// Checked: no crash/UB/leak/hang; refusals are mc::sdk::Error(MC_ERR_INVALID_ARGUMENT) going out and
// std::runtime_error coming in, with a reason; a message is exactly one of request, notification or
// response; where Poco can read the text (numbers within 64 bits and a double's range), the method,
// the id (the same value, whatever its escapes), the cancelled request, the 2026-07-28 version, the
// response flag and an initialize result's protocol version are Poco's; an incoming batch passes on
// as its elements' own text, each one object.
#include "FuzzSupport.h"

#include "JsonRpc.h"
#include "mc/json/Scan.h"
#include "mc/mcp/ModernWire.h"
#include "mc/sdk.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

using namespace mc::mcp_http;
using Poco::JSON::Object;

namespace {

std::string dump(const Poco::Dynamic::Var& value) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(value, out);
    return out.str();
}

// The text as Poco reads it, when Poco can (nothing otherwise): numbers it holds, and no \u0000
// (Poco cuts a string there).
Poco::Dynamic::Var poco(std::string_view text) {
    mc::json::ScanRules portable;
    portable.portableNumbers = true;
    if (!mc::json::problem(text, portable).empty() || text.find("\\u0000") != std::string_view::npos) return {};
    try { // Poco reads no bare scalar at the top: the value inside an array
        return Poco::JSON::Parser().parse("[" + std::string(text) + "]").extract<Poco::JSON::Array::Ptr>()->get(0);
    } catch (const Poco::Exception& e) {
        MC_FUZZ_CHECK(false, "scanned, but Poco does not parse it: " + e.displayText());
    }
    return {};
}

Object::Ptr objectOf(const Poco::Dynamic::Var& value) {
    return value.type() == typeid(Object::Ptr) ? value.extract<Object::Ptr>() : nullptr;
}

// An id the transport wrote is the same JSON value as Poco's.
void checkId(const std::string& idJson, const Poco::Dynamic::Var& expected, const std::string& what) {
    const Poco::Dynamic::Var id = poco(idJson);
    MC_FUZZ_CHECK(dump(id) == dump(expected), what + " " + mc::fuzz::shown(idJson) + " is not " + mc::fuzz::shown(dump(expected)));
}

void checkOutgoing(std::string_view text) {
    OutgoingInfo info;
    try {
        info = inspectOutgoing(text);
    } catch (const mc::sdk::Error& e) {
        MC_FUZZ_CHECK(e.status() == MC_ERR_INVALID_ARGUMENT && *e.what(), "a refusal of another kind or without a reason");
        return;
    }
    MC_FUZZ_CHECK(info.isRequest + info.isNotification + info.isResponse == 1, "not exactly one kind of message");
    MC_FUZZ_CHECK(info.isRequest != info.idJson.empty() || info.isResponse, "a request without an id or a notification with one");
    const auto message = objectOf(poco(text));
    if (!message) return;
    if (info.isResponse) {
        MC_FUZZ_CHECK(!message->has("method") && (message->has("result") || message->has("error")), "a response Poco does not see");
        if (message->has("id")) checkId(info.idJson, message->get("id"), "the response's id");
        return;
    }
    MC_FUZZ_CHECK(message->get("method").toString() == info.method, "method " + mc::fuzz::shown(info.method));
    MC_FUZZ_CHECK(info.isRequest == (message->has("id") && !message->get("id").isEmpty()), "request or notification unlike Poco");
    if (info.isRequest) checkId(info.idJson, message->get("id"), "the request's id");
    const auto params = objectOf(message->get("params"));
    const bool cancels = info.isNotification && info.method == "notifications/cancelled" && params && params->has("requestId");
    MC_FUZZ_CHECK(cancels != info.cancelsIdJson.empty(), "a cancelled request unlike Poco's");
    if (cancels) checkId(info.cancelsIdJson, params->get("requestId"), "the cancelled request");
    const auto meta = params ? objectOf(params->get("_meta")) : nullptr;
    const bool modern = meta && meta->has(mc::mcp::modern::kMetaVersion) && meta->get(mc::mcp::modern::kMetaVersion).isString();
    MC_FUZZ_CHECK(modern == info.isModern() && (!modern || meta->get(mc::mcp::modern::kMetaVersion).toString() == info.modernVersion),
                  "the 2026-07-28 version unlike Poco's");
}

void checkIncoming(std::string_view body) {
    std::vector<IncomingMessage> messages;
    try {
        messages = splitIncoming(body);
    } catch (const std::runtime_error& e) {
        MC_FUZZ_CHECK(*e.what(), "a refusal without a reason");
        return;
    }
    const mc::json::Scan whole = mc::json::scan(body);
    MC_FUZZ_CHECK(whole.ok() && (whole.kind == '{' ? messages.size() == 1 : messages.size() == whole.elements.size()),
                  "messages other than the body's");
    const Poco::Dynamic::Var parsed = poco(body);
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const IncomingMessage& m = messages[i];
        MC_FUZZ_CHECK(m.json == (whole.kind == '{' ? body : whole.elements[i]), "a message is not its own text");
        MC_FUZZ_CHECK(mc::json::scan(m.json).kind == '{', "a message that is not one object");
        if (parsed.isEmpty()) continue;
        const auto message = whole.kind == '{' ? objectOf(parsed) : objectOf(parsed.extract<Poco::JSON::Array::Ptr>()->get(static_cast<unsigned>(i)));
        MC_FUZZ_CHECK(message, "Poco has no object here");
        MC_FUZZ_CHECK(m.isResponse == (!message->has("method") && (message->has("result") || message->has("error"))), "response unlike Poco's");
        if (m.isResponse && message->has("id")) checkId(m.idJson, message->get("id"), "the response's id");
        const auto result = m.isResponse ? objectOf(message->get("result")) : nullptr;
        const std::string version = result && result->has("protocolVersion") && result->get("protocolVersion").isString()
                                        ? result->get("protocolVersion").toString()
                                        : "";
        MC_FUZZ_CHECK(m.protocolVersion == version, "protocol version " + mc::fuzz::shown(m.protocolVersion) + " is not Poco's");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    if (data[0] & 1) checkIncoming(text);
    else checkOutgoing(text);
    return 0;
}
