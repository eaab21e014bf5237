#include "core/EventEnvelope.h"

#include "mc/json_value.hpp"
#include "mc/records/JsonText.h"
#include "util/Json.h"

#include <charconv>
#include <stdexcept>

namespace mc::host {
namespace {

constexpr std::string_view kMagic = "mce1 ";
constexpr std::string_view kHeadStart = "{\"type\":";
constexpr std::string_view kHeadEnd = ",\"seq\":";
constexpr std::string_view kTailStart = ",\"timestamp\":";
constexpr std::size_t kMaxChannels = 64;
constexpr std::size_t kMaxDepth = 80; // the payload's 64 levels and the event's own

// The next line of `text` from `at` (without its \n); std::invalid_argument naming `what` when none.
std::string_view line(std::string_view text, std::size_t& at, const char* what) {
    const std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) throw std::invalid_argument(std::string("event envelope: no ") + what + " line");
    const std::string_view out = text.substr(at, end - at);
    at = end + 1;
    return out;
}

} // namespace

std::string encodeEnvelope(std::string_view origin, const std::vector<std::string>& channels, std::string_view head,
                           std::string_view tail) {
    std::string out;
    out.reserve(kMagic.size() + origin.size() + head.size() + tail.size() + 32 + channels.size() * 16);
    out += kMagic;
    out += origin;
    out += "\n[";
    for (std::size_t i = 0; i < channels.size(); ++i) {
        if (i) out += ',';
        out += json::quote(channels[i]);
    }
    out += "]\n";
    out += std::to_string(head.size());
    out += '\n';
    out += head;
    out += tail;
    return out;
}

EventEnvelope decodeEnvelope(std::string_view text) {
    EventEnvelope e;
    std::size_t at = 0;
    const std::string_view first = line(text, at, "header");
    if (first.substr(0, kMagic.size()) != kMagic)
        throw std::invalid_argument("event envelope: it does not start with 'mce1 ' (another version, or not an event)");
    e.origin = std::string(first.substr(kMagic.size()));
    if (e.origin.empty()) throw std::invalid_argument("event envelope: no origin host");
    const std::string_view channels = line(text, at, "channels");
    mc::sdk::json::Value array;
    try {
        array = mc::sdk::json::parse(channels);
    } catch (const std::exception& ex) {
        throw std::invalid_argument(std::string("event envelope: channels: ") + ex.what());
    }
    if (!array.isArray()) throw std::invalid_argument("event envelope: channels: expected a JSON array");
    if (array.items().size() > kMaxChannels)
        throw std::invalid_argument("event envelope: more than " + std::to_string(kMaxChannels) + " channels");
    for (const auto& item : array.items()) {
        if (!item.isString() || item.str().empty())
            throw std::invalid_argument("event envelope: channels: expected non-empty strings");
        e.channels.push_back(item.str());
    }
    const std::string_view length = line(text, at, "head length");
    std::size_t headSize = 0;
    const auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), headSize);
    if (ec != std::errc() || end != length.data() + length.size() || length.empty())
        throw std::invalid_argument("event envelope: the head length is not a number");
    const std::string_view rest = text.substr(at);
    if (headSize > rest.size()) throw std::invalid_argument("event envelope: the head is longer than what follows");
    const std::string_view head = rest.substr(0, headSize);
    const std::string_view tail = rest.substr(headSize);
    if (head.size() < kHeadStart.size() + 2 + kHeadEnd.size() || head.substr(0, kHeadStart.size()) != kHeadStart ||
        head.substr(head.size() - kHeadEnd.size()) != kHeadEnd)
        throw std::invalid_argument("event envelope: the head is not {\"type\":…,\"seq\":");
    if (tail.substr(0, kTailStart.size()) != kTailStart || tail.back() != '}')
        throw std::invalid_argument("event envelope: the tail is not ,\"timestamp\":…}");
    e.head = std::string(head);
    e.tail = std::string(tail);
    // What every host will send its viewers must be one JSON object: checked by a scan, once per host.
    if (const std::string problem = mc::records::jsonTextProblem(e.head + "0" + e.tail, kMaxDepth); !problem.empty())
        throw std::invalid_argument("event envelope: the event is not JSON: " + problem);
    return e;
}

} // namespace mc::host
