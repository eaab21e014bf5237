// WebSocket frames (host/src/net/FrameCodec.cpp): FrameParser::feed on what a client (or, for the
// client side used by tests, a server) sends. Byte 0 picks the side and how the rest is split; the
// rest is the byte stream.
//
// Checked: no crash/UB/leak; fed in pieces it finds exactly what it finds fed at once; nothing
// follows an Error or Close; a text message is valid UTF-8; no data message exceeds the limit; a
// control payload stays within 125 bytes; each message re-encoded parses back to itself; a close
// frame built from any valid text keeps a valid UTF-8 reason.
#include "FuzzSupport.h"

#include "net/FrameCodec.h"

#include <vector>

using namespace mc::host::ws;

namespace {

constexpr std::size_t kMaxMessage = 4096; // small, so the limit is reached often

bool sameEvents(const std::vector<FrameEvent>& a, const std::vector<FrameEvent>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].kind != b[i].kind || a[i].opcode != b[i].opcode || a[i].payload != b[i].payload ||
            a[i].closeCode != b[i].closeCode)
            return false;
    return true;
}

std::string describe(const std::vector<FrameEvent>& events) {
    std::string out;
    for (const auto& e : events)
        out += "[kind " + std::to_string(static_cast<int>(e.kind)) + " op " + std::to_string(static_cast<int>(e.opcode)) +
               " code " + std::to_string(e.closeCode) + " '" + mc::fuzz::shown(e.payload, 40) + "'] ";
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    FrameParser::Options options;
    options.maxMessageBytes = kMaxMessage;
    options.fromClient = (data[0] & 0x80) == 0;
    const char* stream = reinterpret_cast<const char*>(data + 1);
    const std::size_t length = size - 1;

    FrameParser whole(options);
    std::vector<FrameEvent> all;
    whole.feed(stream, length, all);

    FrameParser pieces(options);
    std::vector<FrameEvent> split;
    mc::fuzz::feedInPieces(stream, length, mc::fuzz::ChunkSizes(data[0], 1 + (data[0] & 0x1F)),
                           [&](const char* p, std::size_t n) { pieces.feed(p, n, split); });
    MC_FUZZ_CHECK(sameEvents(all, split), "at once: " + describe(all) + "\nin pieces: " + describe(split));
    MC_FUZZ_CHECK(whole.finished() == pieces.finished(), "finished differs");
    MC_FUZZ_CHECK(whole.bufferedBytes() <= length, "buffers more than it was given");

    for (std::size_t i = 0; i < all.size(); ++i) {
        const FrameEvent& e = all[i];
        const bool last = i + 1 == all.size();
        switch (e.kind) {
        case FrameEvent::Kind::Error:
            MC_FUZZ_CHECK(last, "an event after an Error");
            MC_FUZZ_CHECK(isValidCloseCode(e.closeCode), "Error with close code " + std::to_string(e.closeCode));
            MC_FUZZ_CHECK(whole.finished(), "not finished after an Error");
            break;
        case FrameEvent::Kind::Close:
            MC_FUZZ_CHECK(last, "an event after a Close");
            MC_FUZZ_CHECK(e.closeCode == close_code::NoStatus || isValidCloseCode(e.closeCode), "Close code");
            MC_FUZZ_CHECK(isValidUtf8(e.payload), "close reason not UTF-8");
            MC_FUZZ_CHECK(e.payload.size() <= 123, "close reason over 123 bytes");
            break;
        case FrameEvent::Kind::Ping:
        case FrameEvent::Kind::Pong:
            MC_FUZZ_CHECK(e.payload.size() <= 125, "control payload over 125 bytes");
            break;
        case FrameEvent::Kind::Message: {
            MC_FUZZ_CHECK(e.opcode == Opcode::Text || e.opcode == Opcode::Binary, "message opcode");
            MC_FUZZ_CHECK(e.payload.size() <= kMaxMessage, "message over the limit");
            if (e.opcode == Opcode::Text) MC_FUZZ_CHECK(isValidUtf8(e.payload), "text message not UTF-8");
            // What the host would send back (unmasked) parses, on the client side, to the same message.
            FrameParser client(FrameParser::Options{kMaxMessage, false});
            std::vector<FrameEvent> echoed;
            client.feed(encodeFrame(e.opcode, e.payload), echoed);
            MC_FUZZ_CHECK(echoed.size() == 1 && echoed[0].kind == FrameEvent::Kind::Message &&
                              echoed[0].payload == e.payload && echoed[0].opcode == e.opcode,
                          "re-encoded message does not parse back: " + describe(echoed));
            MC_FUZZ_CHECK(unmaskedFramePayload(encodeFrame(e.opcode, e.payload)) == e.payload, "unmaskedFramePayload");
            if (e.opcode == Opcode::Text) {
                // A close frame whose reason is this text (cut to fit) is still a valid close frame.
                std::vector<FrameEvent> closed;
                FrameParser peer(FrameParser::Options{kMaxMessage, false});
                peer.feed(encodeClose(close_code::PolicyViolation, e.payload), closed);
                MC_FUZZ_CHECK(closed.size() == 1 && closed[0].kind == FrameEvent::Kind::Close &&
                                  closed[0].closeCode == close_code::PolicyViolation,
                              "encodeClose of a text does not parse as a close frame: " + describe(closed));
                MC_FUZZ_CHECK(e.payload.compare(0, closed[0].payload.size(), closed[0].payload) == 0,
                              "close reason is not a prefix of the text");
            }
            break;
        }
        }
    }
    return 0;
}
