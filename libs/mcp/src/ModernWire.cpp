#include "mc/mcp/ModernWire.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>

#include <algorithm>
#include <iterator>
#include <sstream>

namespace mc::mcp::modern {
namespace {
constexpr std::string_view kEncodedPrefix = "=?base64?";
constexpr std::string_view kEncodedSuffix = "?=";

bool looksEncoded(const std::string& value) {
    return value.size() >= kEncodedPrefix.size() + kEncodedSuffix.size() && value.compare(0, kEncodedPrefix.size(), kEncodedPrefix) == 0 &&
           value.compare(value.size() - kEncodedSuffix.size(), kEncodedSuffix.size(), kEncodedSuffix) == 0;
}
} // namespace

const char* nameMember(std::string_view method) {
    if (method == "tools/call" || method == "prompts/get") return "name";
    if (method == "resources/read") return "uri";
    return nullptr;
}

std::string encodeHeaderValue(const std::string& value) {
    const bool plain = !value.empty() && value.front() != ' ' && value.back() != ' ' &&
                       std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c <= 0x7e; }) && !looksEncoded(value);
    if (plain) return value;
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << value;
    encoder.close();
    return std::string(kEncodedPrefix) + out.str() + std::string(kEncodedSuffix);
}

std::optional<std::string> decodeHeaderValue(const std::string& value) {
    if (!looksEncoded(value)) return value;
    const std::string encoded = value.substr(kEncodedPrefix.size(), value.size() - kEncodedPrefix.size() - kEncodedSuffix.size());
    if (encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != std::string::npos) return std::nullopt;
    try {
        std::istringstream in(encoded);
        Poco::Base64Decoder decoder(in);
        return std::string((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
}

} // namespace mc::mcp::modern
