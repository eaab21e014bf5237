// Server-sent events (libs/sse/src/SseParser.cpp): the text/event-stream an MCP server
// answers with. Byte 0 picks how the rest is split into chunks; the rest is the stream.
//
// Checked: no crash/UB/leak; fed in pieces the parser dispatches exactly the events (type, data, id),
// keeps the same last event id and retry it does fed at once; a small buffer limit refuses with
// std::length_error and nothing else.
#include "FuzzSupport.h"

#include "mc/sse/SseParser.h"

#include <optional>
#include <stdexcept>
#include <vector>

using mc::sse::SseEvent;
using mc::sse::SseParser;

namespace {

struct Outcome {
    std::vector<SseEvent> events;
    std::string lastEventId;
    std::optional<long long> retry;
};

std::string describe(const Outcome& o) {
    std::string out;
    for (const auto& e : o.events)
        out += "[" + mc::fuzz::shown(e.type, 30) + " '" + mc::fuzz::shown(e.data, 60) + "' id " + mc::fuzz::shown(e.id, 30) + "] ";
    return out + "last id '" + mc::fuzz::shown(o.lastEventId, 30) + "' retry " + (o.retry ? std::to_string(*o.retry) : "-");
}

bool same(const Outcome& a, const Outcome& b) {
    if (a.events.size() != b.events.size() || a.lastEventId != b.lastEventId || a.retry != b.retry) return false;
    for (std::size_t i = 0; i < a.events.size(); ++i)
        if (a.events[i].type != b.events[i].type || a.events[i].data != b.events[i].data || a.events[i].id != b.events[i].id)
            return false;
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const char* stream = reinterpret_cast<const char*>(data + 1);
    const std::size_t length = size - 1;

    Outcome whole;
    SseParser once([&](const SseEvent& e) { whole.events.push_back(e); });
    once.feed(std::string_view(stream, length));
    once.finish();
    whole.lastEventId = once.lastEventId();
    whole.retry = once.retryMs();

    Outcome split;
    SseParser pieces([&](const SseEvent& e) { split.events.push_back(e); });
    mc::fuzz::feedInPieces(stream, length, mc::fuzz::ChunkSizes(data[0], 1 + (data[0] & 0x0F)),
                           [&](const char* p, std::size_t n) { pieces.feed(std::string_view(p, n)); });
    pieces.finish();
    split.lastEventId = pieces.lastEventId();
    split.retry = pieces.retryMs();
    MC_FUZZ_CHECK(same(whole, split), "at once: " + describe(whole) + "\nin pieces: " + describe(split));

    for (const auto& e : whole.events) {
        MC_FUZZ_CHECK(!e.type.empty(), "an event without a type");
        MC_FUZZ_CHECK(e.id.find('\0') == std::string::npos, "an id with NUL");
    }

    // A tight limit: refused with length_error, never anything else.
    SseParser small([](const SseEvent& e) { MC_FUZZ_CHECK(e.data.size() <= 64, "event data over the limit"); }, 64);
    try {
        mc::fuzz::feedInPieces(stream, length, mc::fuzz::ChunkSizes(data[0] ^ 0x5A, 16),
                               [&](const char* p, std::size_t n) { small.feed(std::string_view(p, n)); });
        small.finish();
    } catch (const std::length_error&) {
    }
    return 0;
}
