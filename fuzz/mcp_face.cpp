// The host's MCP server face (host/src/mcpserver/McpServerFace.cpp): one JSON-RPC message as an agent
// POSTs it to /mcp, with or without a session of its own. Byte 0 chooses: bit 0, initialize a session
// first and send its id; bit 1, send an MCP-Protocol-Version header (2025-06-18); bit 2, send the
// 2026-07-28 era's headers as a client would derive them from the body (MCP-Protocol-Version
// 2026-07-28, Mcp-Method, Mcp-Name); bit 3 with bit 2, leave Mcp-Name out. The rest is the body.
// A gateway with no servers and an ingest path whose writer never runs stand behind it.
//
// Checked: no crash/UB/leak/hang; the reply comes exactly once and at once (nothing waits without a
// server); an answer or a malformed-message reply is one JSON-RPC 2.0 object with a result or an
// error (an error with an integer code and a message); only an answered initialize issues a session;
// the other outcomes say why (a 2026-07-28 refusal with a JSON-RPC error).
#include "FuzzSupport.h"

#include "core/Broadcaster.h"
#include "core/EventRouter.h"
#include "gateway/McpGateway.h"
#include "ingest/IngestService.h"
#include "ingest/StoreWriter.h"
#include "mcpserver/McpServerFace.h"
#include "plugin/PluginRegistry.h"

#include <Poco/JSON/Parser.h>

#include <memory>
#include <optional>
#include <string>

using namespace mc::host;

namespace {

struct Face {
    Broadcaster broadcaster;
    EventRouter events{broadcaster};
    PluginRegistry plugins;
    McpGateway gateway{GatewaySettings{}, plugins, events};
    StoreWriter writer{[] {
                           StoreWriterSettings s;
                           s.maxQueuedEvents = 1000; // never started: what it holds stays bounded
                           return s;
                       }(),
                       [](const StoreWriter::Batch&, std::string&, std::string&) { return MC_OK; }};
    IngestService ingest{events, writer, 1000, [](const std::vector<std::string>&) { return std::nullopt; }};
    McpServerFace face{gateway, ingest, 16, "0.0.0"};
};

Face& face() {
    static Face* f = new Face; // lives for the whole run (libFuzzer exits without unwinding)
    return *f;
}

McpFaceReply handle(const std::string& body, const std::string& session, const std::string& version, ModernHeaders modern = {}) {
    std::optional<McpFaceReply> got;
    int calls = 0;
    McpRequestContext context;
    context.sessionId = session;
    context.protocolVersion = version;
    context.modern = std::move(modern);
    context.caller = McpCaller{"fuzz", "operator"};
    face().face.handle(body, context, [&](McpFaceReply r) {
        ++calls;
        got = std::move(r);
    });
    MC_FUZZ_CHECK(calls == 1, "the reply came " + std::to_string(calls) + " times");
    return *got;
}

void checkRpc(const std::string& json, bool mustBeError) {
    Poco::JSON::Object::Ptr o;
    try {
        o = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception& e) {
        MC_FUZZ_CHECK(false, std::string("a reply that is not a JSON object: ") + e.what() + ": " + json);
    }
    MC_FUZZ_CHECK(o->getValue<std::string>("jsonrpc") == "2.0", "jsonrpc is not 2.0");
    MC_FUZZ_CHECK(o->has("id"), "a reply without id");
    MC_FUZZ_CHECK(o->has("result") != o->has("error"), "a reply needs a result or an error, not both");
    if (mustBeError) MC_FUZZ_CHECK(o->has("error"), "a malformed message answered with a result");
    if (const auto error = o->getObject("error")) {
        MC_FUZZ_CHECK(error->get("code").isInteger(), "an error code that is not an integer");
        MC_FUZZ_CHECK(!error->getValue<std::string>("message").empty(), "an error without a message");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
    const std::string version = (data[0] & 2) ? "2025-06-18" : "";
    std::string session;
    if (data[0] & 1) {
        const auto init = handle(R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})", "", "");
        MC_FUZZ_CHECK(init.outcome == McpFaceReply::Outcome::Answer && !init.sessionId.empty(), "initialize issued no session");
        session = init.sessionId;
    }
    ModernHeaders modern;
    if (data[0] & 4) { // as a client of the new era derives them from the message
        modern.protocolVersion = "2026-07-28";
        try {
            const auto message = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
            if (message->has("method")) modern.method = message->get("method").toString();
            const auto params = message->getObject("params");
            if (params && !(data[0] & 8))
                for (const char* member : {"name", "uri"})
                    if (params->has(member)) modern.name = params->get(member).toString();
        } catch (const std::exception&) {
        }
    }
    const auto reply = handle(body, session, version, modern);
    switch (reply.outcome) {
    case McpFaceReply::Outcome::Answer: checkRpc(reply.json, false); break;
    case McpFaceReply::Outcome::Malformed:
    case McpFaceReply::Outcome::Rejected:
    case McpFaceReply::Outcome::NoSuchMethod: checkRpc(reply.json, true); break;
    case McpFaceReply::Outcome::Accepted: MC_FUZZ_CHECK(reply.json.empty(), "an accepted notification with a reply"); break;
    default: MC_FUZZ_CHECK(!reply.message.empty(), "a refusal without its reason"); break;
    }
    if (reply.outcome != McpFaceReply::Outcome::Answer) MC_FUZZ_CHECK(reply.sessionId.empty(), "a session issued without an answer");
    if (!reply.sessionId.empty()) face().face.endSession(reply.sessionId); // sessions stay few (the LRU is tested elsewhere)
    if (!session.empty()) face().face.endSession(session);
    return 0;
}
