#pragma once
// RFC 6455 framing, independent of any socket: an incremental parser that accepts bytes in chunks
// of any size (a frame may arrive one byte at a time) and encoders for the frames a server sends.
// The parser turns every protocol violation into an Error event carrying the close code to use.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mc::host::ws {

enum class Opcode : std::uint8_t { Continuation = 0x0, Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA };

// The close codes this host sends (RFC 6455 section 7.4.1).
namespace close_code {
constexpr std::uint16_t Normal = 1000;
constexpr std::uint16_t GoingAway = 1001;
constexpr std::uint16_t ProtocolError = 1002;
constexpr std::uint16_t NoStatus = 1005;       // received close frame without a code (never sent)
constexpr std::uint16_t Abnormal = 1006;       // connection lost without a close frame (never sent)
constexpr std::uint16_t InvalidPayload = 1007; // text not valid UTF-8
constexpr std::uint16_t PolicyViolation = 1008;
constexpr std::uint16_t MessageTooBig = 1009;
constexpr std::uint16_t InternalError = 1011;
} // namespace close_code

// One thing the parser found in the byte stream.
struct FrameEvent {
    enum class Kind { Message, Ping, Pong, Close, Error } kind = Kind::Message;
    Opcode opcode = Opcode::Text; // Message: Text or Binary (of the whole, reassembled message)
    std::string payload;          // Message/Ping/Pong: the (unmasked) data; Close/Error: the reason
    std::uint16_t closeCode = 0;  // Close: the peer's code (1005 when absent); Error: the code to close with
};

class FrameParser {
public:
    struct Options {
        std::size_t maxMessageBytes = 1 << 20; // a (reassembled) data message above this: Error 1009
        bool fromClient = true; // true: frames must be masked (server side); false: must not be (client side)
    };

    FrameParser() : FrameParser(Options{}) {}
    explicit FrameParser(Options options) : options_(options) {}

    // Consumes `size` bytes and appends every event they complete to `out`, in stream order. After
    // an Error event (or a Close) the parser is finished and ignores further input.
    void feed(const char* data, std::size_t size, std::vector<FrameEvent>& out);
    void feed(std::string_view bytes, std::vector<FrameEvent>& out) { feed(bytes.data(), bytes.size(), out); }

    bool finished() const { return finished_; }
    // Bytes received but not yet part of a complete frame (a partial frame waiting for the rest).
    std::size_t bufferedBytes() const { return buffer_.size() - consumed_; }

private:
    void fail(std::vector<FrameEvent>& out, std::uint16_t code, std::string reason);
    // Parses one complete frame from the buffer if there is one; false when more bytes are needed.
    bool parseOne(std::vector<FrameEvent>& out);

    Options options_;
    std::string buffer_;
    std::size_t consumed_ = 0;
    bool finished_ = false;
    bool inFragmentedMessage_ = false;
    Opcode fragmentedOpcode_ = Opcode::Text;
    std::string fragmented_;
};

// The size of the header of an unmasked frame carrying `payloadSize` bytes.
std::size_t frameHeaderSize(std::size_t payloadSize);

// Appends the header of an unmasked FIN frame whose payload of `payloadSize` bytes follows.
void appendFrameHeader(std::string& out, Opcode opcode, std::size_t payloadSize);

// Appends one complete (FIN) frame. A non-null 4-byte `mask` masks it (what clients send).
void appendFrame(std::string& out, Opcode opcode, std::string_view payload, const std::uint8_t* mask = nullptr,
                 bool fin = true);
std::string encodeFrame(Opcode opcode, std::string_view payload, const std::uint8_t* mask = nullptr,
                        bool fin = true);
// A close frame with `code` and `reason` (reason truncated so the payload stays within 125 bytes).
std::string encodeClose(std::uint16_t code, std::string_view reason, const std::uint8_t* mask = nullptr);

// The payload of an unmasked frame built by encodeFrame (used to read back shared event frames).
std::string_view unmaskedFramePayload(std::string_view frame);

// Strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF).
bool isValidUtf8(std::string_view text);

// True for close codes a peer may legitimately send.
bool isValidCloseCode(std::uint16_t code);

// Sec-WebSocket-Accept for a Sec-WebSocket-Key.
std::string computeAcceptKey(std::string_view clientKey);

} // namespace mc::host::ws
