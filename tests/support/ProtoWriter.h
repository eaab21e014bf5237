#pragma once
// protobuf's wire format, just enough for tests to write OTLP requests by hand (field numbers from
// opentelemetry-proto), so decoders and receivers are tested on bytes no decoder of ours produced.
#include <cstdint>
#include <cstring>
#include <string>

namespace mc::test {

struct Pb {
    std::string out;
    Pb& varint(std::uint64_t v) {
        while (v >= 0x80) {
            out += static_cast<char>((v & 0x7f) | 0x80);
            v >>= 7;
        }
        out += static_cast<char>(v);
        return *this;
    }
    Pb& tag(unsigned field, unsigned wire) { return varint((field << 3) | wire); }
    Pb& len(unsigned field, const std::string& bytes) {
        tag(field, 2).varint(bytes.size());
        out += bytes;
        return *this;
    }
    Pb& number(unsigned field, std::uint64_t v) { return tag(field, 0).varint(v); }
    Pb& fixed64(unsigned field, std::uint64_t v) {
        tag(field, 1);
        for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
        return *this;
    }
    Pb& fixed32(unsigned field, std::uint32_t v) {
        tag(field, 5);
        for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
        return *this;
    }
    Pb& real(unsigned field, double d) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &d, sizeof d);
        return fixed64(field, bits);
    }
};

// Raw bytes from hex digits ("0a0b" -> "\x0a\x0b").
inline std::string bytesOf(const char* hex) {
    std::string out;
    for (std::size_t i = 0; hex[i] && hex[i + 1]; i += 2) out += static_cast<char>(std::stoi(std::string(hex + i, 2), nullptr, 16));
    return out;
}

// KeyValue{key, value} and AnyValue{string_value}.
inline std::string pbKeyValue(const std::string& key, const std::string& anyValue) { return Pb().len(1, key).len(2, anyValue).out; }
inline std::string pbString(const std::string& s) { return Pb().len(1, s).out; }
inline std::string pbInt(std::int64_t n) { return Pb().number(3, static_cast<std::uint64_t>(n)).out; }

} // namespace mc::test
