#pragma once
// A bounds-checked reader of protobuf's wire format (varint, I64, LEN, I32 fields), for the OTLP
// decoder. Every error throws DecodeError naming the path of the message and the byte offset.
#include "mc/otlp/Otlp.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace mc::otlp::detail {

enum class Wire { Varint = 0, I64 = 1, Len = 2, I32 = 5 };

class ProtoReader {
public:
    ProtoReader(std::string_view data, std::string path) : data_(data), path_(std::move(path)) {}

    // Reads the next field's tag; false at the end of the message.
    bool next();
    std::uint32_t field() const { return field_; }
    Wire wire() const { return wire_; }

    std::uint64_t varint();          // a Varint field's value
    std::uint64_t fixed64();         // an I64 field's value
    std::uint32_t fixed32();         // an I32 field's value
    std::string_view bytes();        // a Len field's payload
    double real();                   // an I64 field as a double
    void skip();                     // the current field, whatever its wire type

    // A Len payload that must be `expected` bytes long (or empty): ids. Names `what` in the error.
    std::string_view fixedBytes(std::size_t expected, const char* what);

    [[noreturn]] void fail(const std::string& reason) const;
    const std::string& path() const { return path_; }

private:
    std::uint64_t rawVarint();
    void expect(Wire wire, const char* what);

    std::string_view data_;
    std::string path_;
    std::size_t at_ = 0;
    std::size_t tagAt_ = 0;
    std::uint32_t field_ = 0;
    Wire wire_ = Wire::Varint;
};

} // namespace mc::otlp::detail
