#pragma once
// protobuf's wire format, written: the few field forms OTLP messages use. Shared by the trace encoder
// and the receiver's replies (partial_success, google.rpc.Status). proto3: a zero or empty scalar is
// not written (the *NonZero / text forms skip it).
#include <cstdint>
#include <string>
#include <string_view>

namespace mc::otlp::wire {

inline void varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    out += static_cast<char>(v);
}
inline void tag(std::string& out, unsigned field, unsigned wireType) {
    varint(out, (static_cast<std::uint64_t>(field) << 3) | wireType);
}
// A LEN field: bytes, a string, or a nested message built whole first.
inline void lenField(std::string& out, unsigned field, std::string_view bytes) {
    tag(out, field, 2);
    varint(out, bytes.size());
    out.append(bytes.data(), bytes.size());
}
inline void textField(std::string& out, unsigned field, std::string_view text) {
    if (!text.empty()) lenField(out, field, text);
}
inline void varintField(std::string& out, unsigned field, std::uint64_t v) {
    if (v == 0) return;
    tag(out, field, 0);
    varint(out, v);
}
inline void fixed64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
inline void fixed64Field(std::string& out, unsigned field, std::uint64_t v) {
    if (v == 0) return;
    tag(out, field, 1);
    fixed64(out, v);
}
inline void fixed32Field(std::string& out, unsigned field, std::uint32_t v) {
    if (v == 0) return;
    tag(out, field, 5);
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

} // namespace mc::otlp::wire
