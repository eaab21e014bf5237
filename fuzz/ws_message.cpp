// WebSocket client messages (host/src/web/ws/ClientMessage.cpp): the envelope every text message of
// a client is read as before it is dispatched by "type" (ClientSession::handleTextMessage). The input
// is one text message; like the frame codec, only valid UTF-8 gets this far.
//
// Checked: no crash/UB/leak; a refusal or an unknown-type answer is a JSON object {"type":"error"} in
// valid UTF-8 (a browser closes the connection on a text frame that is not); an accepted message has
// a non-empty type, and its request_id is echoed as JSON text that parses back.
#include "FuzzSupport.h"

#include "web/ws/ClientMessage.h"
#include "net/FrameCodec.h"

#include <Poco/JSON/Parser.h>

using namespace mc::host;

namespace {

void checkAnswer(const MessageRefusal& refusal, const std::string& input) {
    const std::string answer = errorJson(refusal.code, refusal.message, refusal.requestIdJson);
    MC_FUZZ_CHECK(ws::isValidUtf8(answer), "error answer is not valid UTF-8: " + mc::fuzz::shown(answer));
    Poco::Dynamic::Var parsed;
    try {
        parsed = Poco::JSON::Parser().parse(answer);
    } catch (const Poco::Exception& e) {
        MC_FUZZ_CHECK(false, "error answer is not JSON (" + e.displayText() + "): " + mc::fuzz::shown(answer));
    }
    MC_FUZZ_CHECK(parsed.type() == typeid(Poco::JSON::Object::Ptr), "error answer is not an object");
    auto object = parsed.extract<Poco::JSON::Object::Ptr>();
    MC_FUZZ_CHECK(object->getValue<std::string>("type") == "error", "answer type");
    MC_FUZZ_CHECK(object->getValue<std::string>("code") == refusal.code, "answer code");
    (void)input;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    if (!ws::isValidUtf8(text)) return 0; // the frame codec closes the connection first (1007)
    ClientMessage message;
    if (auto refusal = parseClientMessage(text, message)) {
        checkAnswer(*refusal, text);
        return 0;
    }
    MC_FUZZ_CHECK(!message.type.empty(), "accepted with an empty type");
    MC_FUZZ_CHECK(message.body, "accepted without a body");
    MC_FUZZ_CHECK(message.requestIdJson.empty() == !message.body->has("request_id"), "request_id echo");
    if (!message.requestIdJson.empty()) {
        // Echoed inside the answer object: it must be one JSON value.
        const std::string wrapped = "{\"request_id\":" + message.requestIdJson + "}";
        try {
            Poco::JSON::Parser().parse(wrapped);
        } catch (const Poco::Exception& e) {
            MC_FUZZ_CHECK(false, "request_id echo is not JSON (" + e.displayText() + "): " + mc::fuzz::shown(wrapped));
        }
        MC_FUZZ_CHECK(ws::isValidUtf8(message.requestIdJson), "request_id echo is not UTF-8");
    }
    checkAnswer(unknownTypeRefusal(message), text);
    return 0;
}
