#include "net/FrameCodec.h"

#include <Poco/Base64Encoder.h>
#include <Poco/SHA1Engine.h>

#include <cstring>
#include <sstream>

namespace mc::host::ws {
namespace {

bool isControl(std::uint8_t opcode) { return (opcode & 0x8) != 0; }

bool isKnownOpcode(std::uint8_t opcode) {
    switch (opcode) {
    case 0x0: case 0x1: case 0x2: case 0x8: case 0x9: case 0xA: return true;
    default: return false;
    }
}

void unmask(char* data, std::size_t size, const std::uint8_t mask[4], std::size_t phase = 0) {
    for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>(data[i] ^ mask[(i + phase) & 3]);
}

} // namespace

void FrameParser::fail(std::vector<FrameEvent>& out, std::uint16_t code, std::string reason) {
    finished_ = true;
    buffer_.clear();
    consumed_ = 0;
    fragmented_.clear();
    FrameEvent event;
    event.kind = FrameEvent::Kind::Error;
    event.closeCode = code;
    event.payload = std::move(reason);
    out.push_back(std::move(event));
}

void FrameParser::feed(const char* data, std::size_t size, std::vector<FrameEvent>& out) {
    if (finished_ || size == 0) return;
    // Compact lazily: only move the unconsumed tail when it is cheap relative to what was consumed.
    if (consumed_ > 0 && consumed_ >= buffer_.size() / 2) {
        buffer_.erase(0, consumed_);
        consumed_ = 0;
    }
    buffer_.append(data, size);
    while (!finished_ && parseOne(out)) {
    }
    if (consumed_ == buffer_.size()) {
        buffer_.clear();
        consumed_ = 0;
    }
}

bool FrameParser::parseOne(std::vector<FrameEvent>& out) {
    const std::size_t available = buffer_.size() - consumed_;
    if (available < 2) return false;
    const auto* p = reinterpret_cast<const std::uint8_t*>(buffer_.data() + consumed_);
    const bool fin = (p[0] & 0x80) != 0;
    const std::uint8_t rsv = p[0] & 0x70;
    const std::uint8_t opcode = p[0] & 0x0F;
    const bool masked = (p[1] & 0x80) != 0;
    std::uint64_t length = p[1] & 0x7F;

    // Header checks that need no more than the first two bytes, so a violation is reported at once.
    if (rsv != 0) {
        fail(out, close_code::ProtocolError, "reserved bits set without a negotiated extension");
        return false;
    }
    if (!isKnownOpcode(opcode)) {
        fail(out, close_code::ProtocolError, "unknown opcode " + std::to_string(opcode));
        return false;
    }
    if (options_.fromClient && !masked) {
        fail(out, close_code::ProtocolError, "client frames must be masked");
        return false;
    }
    if (!options_.fromClient && masked) {
        fail(out, close_code::ProtocolError, "server frames must not be masked");
        return false;
    }
    if (isControl(opcode)) {
        if (!fin) {
            fail(out, close_code::ProtocolError, "control frames must not be fragmented");
            return false;
        }
        if (length > 125) {
            fail(out, close_code::ProtocolError, "control frame payload longer than 125 bytes");
            return false;
        }
    } else if (opcode == 0x0 && !inFragmentedMessage_) {
        fail(out, close_code::ProtocolError, "continuation frame without a message to continue");
        return false;
    } else if (opcode != 0x0 && inFragmentedMessage_) {
        fail(out, close_code::ProtocolError, "new data frame while a fragmented message is incomplete");
        return false;
    }

    std::size_t headerSize = 2;
    if (length == 126) {
        if (available < 4) return false;
        length = (std::uint64_t(p[2]) << 8) | p[3];
        headerSize = 4;
    } else if (length == 127) {
        if (available < 10) return false;
        length = 0;
        for (int i = 0; i < 8; ++i) length = (length << 8) | p[2 + i];
        if (length >> 63) {
            fail(out, close_code::ProtocolError, "frame length has its most significant bit set");
            return false;
        }
        headerSize = 10;
    }
    if (!isControl(opcode)) {
        const std::uint64_t soFar = inFragmentedMessage_ ? fragmented_.size() : 0;
        if (length > options_.maxMessageBytes || soFar + length > options_.maxMessageBytes) {
            fail(out, close_code::MessageTooBig,
                 "message larger than the limit of " + std::to_string(options_.maxMessageBytes) + " bytes");
            return false;
        }
    }
    std::uint8_t mask[4] = {0, 0, 0, 0};
    if (masked) {
        if (available < headerSize + 4) return false;
        std::memcpy(mask, p + headerSize, 4);
        headerSize += 4;
    }
    if (available < headerSize + length) return false;

    char* payload = buffer_.data() + consumed_ + headerSize;
    const std::size_t payloadSize = static_cast<std::size_t>(length);
    if (masked) unmask(payload, payloadSize, mask);
    consumed_ += headerSize + payloadSize;

    switch (static_cast<Opcode>(opcode)) {
    case Opcode::Ping:
    case Opcode::Pong: {
        FrameEvent event;
        event.kind = opcode == 0x9 ? FrameEvent::Kind::Ping : FrameEvent::Kind::Pong;
        event.payload.assign(payload, payloadSize);
        out.push_back(std::move(event));
        return true;
    }
    case Opcode::Close: {
        FrameEvent event;
        event.kind = FrameEvent::Kind::Close;
        if (payloadSize == 0) {
            event.closeCode = close_code::NoStatus;
        } else if (payloadSize == 1) {
            fail(out, close_code::ProtocolError, "close frame payload of one byte");
            return false;
        } else {
            const auto* b = reinterpret_cast<const std::uint8_t*>(payload);
            event.closeCode = static_cast<std::uint16_t>((b[0] << 8) | b[1]);
            if (!isValidCloseCode(event.closeCode)) {
                fail(out, close_code::ProtocolError, "invalid close code " + std::to_string(event.closeCode));
                return false;
            }
            event.payload.assign(payload + 2, payloadSize - 2);
            if (!isValidUtf8(event.payload)) {
                fail(out, close_code::InvalidPayload, "close reason is not valid UTF-8");
                return false;
            }
        }
        out.push_back(std::move(event));
        finished_ = true; // nothing after a close frame is meaningful
        return false;
    }
    case Opcode::Text:
    case Opcode::Binary:
    case Opcode::Continuation: {
        if (opcode != 0x0) fragmentedOpcode_ = static_cast<Opcode>(opcode);
        if (!fin) {
            inFragmentedMessage_ = true;
            fragmented_.append(payload, payloadSize);
            return true;
        }
        FrameEvent event;
        event.kind = FrameEvent::Kind::Message;
        event.opcode = fragmentedOpcode_;
        if (inFragmentedMessage_) {
            fragmented_.append(payload, payloadSize);
            event.payload.swap(fragmented_);
            fragmented_.clear();
            inFragmentedMessage_ = false;
        } else {
            event.payload.assign(payload, payloadSize);
        }
        if (event.opcode == Opcode::Text && !isValidUtf8(event.payload)) {
            fail(out, close_code::InvalidPayload, "text message is not valid UTF-8");
            return false;
        }
        out.push_back(std::move(event));
        return true;
    }
    }
    return true;
}

std::size_t frameHeaderSize(std::size_t payloadSize) {
    if (payloadSize < 126) return 2;
    if (payloadSize <= 0xFFFF) return 4;
    return 10;
}

void appendFrameHeader(std::string& out, Opcode opcode, std::size_t payloadSize) {
    out += static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode));
    if (payloadSize < 126) {
        out += static_cast<char>(payloadSize);
    } else if (payloadSize <= 0xFFFF) {
        out += static_cast<char>(126);
        out += static_cast<char>((payloadSize >> 8) & 0xFF);
        out += static_cast<char>(payloadSize & 0xFF);
    } else {
        out += static_cast<char>(127);
        for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((std::uint64_t(payloadSize) >> shift) & 0xFF);
    }
}

void appendFrame(std::string& out, Opcode opcode, std::string_view payload, const std::uint8_t* mask, bool fin) {
    const std::size_t size = payload.size();
    const std::uint8_t maskBit = mask ? 0x80 : 0x00;
    out += static_cast<char>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(opcode));
    if (size < 126) {
        out += static_cast<char>(maskBit | size);
    } else if (size <= 0xFFFF) {
        out += static_cast<char>(maskBit | 126);
        out += static_cast<char>((size >> 8) & 0xFF);
        out += static_cast<char>(size & 0xFF);
    } else {
        out += static_cast<char>(maskBit | 127);
        for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((std::uint64_t(size) >> shift) & 0xFF);
    }
    if (mask) {
        out.append(reinterpret_cast<const char*>(mask), 4);
        const std::size_t start = out.size();
        out.append(payload.data(), payload.size());
        unmask(out.data() + start, size, mask);
    } else {
        out.append(payload.data(), payload.size());
    }
}

std::string encodeFrame(Opcode opcode, std::string_view payload, const std::uint8_t* mask, bool fin) {
    std::string out;
    out.reserve(payload.size() + 14);
    appendFrame(out, opcode, payload, mask, fin);
    return out;
}

std::string encodeClose(std::uint16_t code, std::string_view reason, const std::uint8_t* mask) {
    std::string payload;
    payload += static_cast<char>(code >> 8);
    payload += static_cast<char>(code & 0xFF);
    std::size_t keep = std::min<std::size_t>(reason.size(), 123);
    // Never cut a UTF-8 sequence in half: back up to a lead byte.
    while (keep < reason.size() && keep > 0 && (static_cast<unsigned char>(reason[keep]) & 0xC0) == 0x80) --keep;
    payload.append(reason.data(), keep);
    return encodeFrame(Opcode::Close, payload, mask);
}

std::string_view unmaskedFramePayload(std::string_view frame) {
    if (frame.size() < 2) return {};
    const std::uint8_t len = static_cast<std::uint8_t>(frame[1]) & 0x7F;
    const std::size_t header = len < 126 ? 2 : (len == 126 ? 4 : 10);
    return frame.size() < header ? std::string_view() : frame.substr(header);
}

bool isValidUtf8(std::string_view text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        // Fast path for ASCII runs, the common case for JSON.
        if (s[i] < 0x80) {
            ++i;
            continue;
        }
        unsigned char c = s[i];
        std::size_t extra;
        std::uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) { extra = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { extra = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { extra = 3; cp = c & 0x07; }
        else return false;
        if (i + extra >= n) return false; // truncated sequence
        for (std::size_t k = 1; k <= extra; ++k) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000)) return false; // overlong
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;                              // surrogate
        if (cp > 0x10FFFF) return false;
        i += extra + 1;
    }
    return true;
}

bool isValidCloseCode(std::uint16_t code) {
    if (code >= 3000 && code <= 4999) return true;
    switch (code) {
    case 1000: case 1001: case 1002: case 1003: case 1007: case 1008: case 1009: case 1010: case 1011:
    case 1012: case 1013: case 1014:
        return true;
    default:
        return false;
    }
}

std::string computeAcceptKey(std::string_view clientKey) {
    Poco::SHA1Engine sha1;
    sha1.update(std::string(clientKey) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    const Poco::DigestEngine::Digest& digest = sha1.digest();
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.write(reinterpret_cast<const char*>(digest.data()), static_cast<std::streamsize>(digest.size()));
    encoder.close();
    return out.str();
}

} // namespace mc::host::ws
