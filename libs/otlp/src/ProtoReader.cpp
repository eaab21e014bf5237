#include "ProtoReader.h"

#include <cstring>

namespace mc::otlp::detail {

void ProtoReader::fail(const std::string& reason) const {
    throw DecodeError(path_ + ": " + reason + " (at byte " + std::to_string(tagAt_) + " of " + std::to_string(data_.size()) + ")");
}

std::uint64_t ProtoReader::rawVarint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (at_ >= data_.size()) fail("a varint runs past the end");
        const auto byte = static_cast<std::uint8_t>(data_[at_++]);
        value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return value;
    }
    fail("a varint longer than 10 bytes");
}

bool ProtoReader::next() {
    if (at_ >= data_.size()) return false;
    tagAt_ = at_;
    const std::uint64_t tag = rawVarint();
    const auto wire = static_cast<unsigned>(tag & 7);
    field_ = static_cast<std::uint32_t>(tag >> 3);
    if (field_ == 0 || (tag >> 3) > 0x1fffffff) fail("field number " + std::to_string(tag >> 3) + " is not valid");
    if (wire != 0 && wire != 1 && wire != 2 && wire != 5)
        fail("wire type " + std::to_string(wire) + " of field " + std::to_string(field_) + " is not supported (groups are not used by OTLP)");
    wire_ = static_cast<Wire>(wire);
    return true;
}

void ProtoReader::expect(Wire wire, const char* what) {
    if (wire_ != wire)
        fail(std::string("field ") + std::to_string(field_) + " (" + what + ") has wire type " +
             std::to_string(static_cast<int>(wire_)) + ", expected " + std::to_string(static_cast<int>(wire)));
}

std::uint64_t ProtoReader::varint() {
    expect(Wire::Varint, "varint");
    return rawVarint();
}

std::uint64_t ProtoReader::fixed64() {
    expect(Wire::I64, "fixed64");
    if (data_.size() - at_ < 8) fail("a fixed64 runs past the end");
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(data_[at_ + static_cast<std::size_t>(i)]);
    at_ += 8;
    return v;
}

double ProtoReader::real() {
    const std::uint64_t bits = fixed64();
    double d = 0;
    std::memcpy(&d, &bits, sizeof d);
    return d;
}

std::uint32_t ProtoReader::fixed32() {
    expect(Wire::I32, "fixed32");
    if (data_.size() - at_ < 4) fail("a fixed32 runs past the end");
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(data_[at_ + static_cast<std::size_t>(i)]);
    at_ += 4;
    return v;
}

std::string_view ProtoReader::bytes() {
    expect(Wire::Len, "length-delimited");
    const std::uint64_t length = rawVarint();
    if (length > data_.size() - at_) fail("a field of " + std::to_string(length) + " bytes runs past the end");
    const std::string_view out = data_.substr(at_, static_cast<std::size_t>(length));
    at_ += static_cast<std::size_t>(length);
    return out;
}

std::string_view ProtoReader::fixedBytes(std::size_t expected, const char* what) {
    const std::string_view b = bytes();
    if (!b.empty() && b.size() != expected)
        fail(std::string(what) + " is " + std::to_string(b.size()) + " bytes, expected " + std::to_string(expected) + " or none");
    return b;
}

void ProtoReader::skip() {
    switch (wire_) {
    case Wire::Varint: rawVarint(); return;
    case Wire::I64: fixed64(); return;
    case Wire::I32: fixed32(); return;
    case Wire::Len: bytes(); return;
    }
}

} // namespace mc::otlp::detail
