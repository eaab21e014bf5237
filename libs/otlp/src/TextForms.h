#pragma once
// How OTLP/JSON writes what JSON has no form for, shared by the decoder's attribute text and the encoder.
#include <string>
#include <string_view>

namespace mc::otlp::detail {

// Standard base64, no line breaks (OTLP/JSON bytes values).
std::string base64(std::string_view raw);
// A double as JSON: shortest round-trip digits; NaN and infinities as proto3 JSON's strings.
std::string number(double d);

} // namespace mc::otlp::detail
