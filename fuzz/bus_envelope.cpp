// An entry of the cluster's event log as a host reads it from the bus (host/src/core/EventEnvelope.cpp):
// written by another host, or by anything else that can publish on the log's subject.
//
// Checked: no crash/UB/leak; what decodes has an origin, at most 64 non-empty channels, a head and a
// tail that make one JSON object with any seq spliced in; encoding what was decoded decodes to the same.
#include "FuzzSupport.h"

#include "core/EventEnvelope.h"
#include "mc/records/JsonText.h"

#include <stdexcept>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    mc::host::EventEnvelope e;
    try {
        e = mc::host::decodeEnvelope(text);
    } catch (const std::invalid_argument&) {
        return 0;
    }
    MC_FUZZ_CHECK(!e.origin.empty(), "decoded without an origin");
    MC_FUZZ_CHECK(e.channels.size() <= 64, "more than 64 channels");
    for (const auto& c : e.channels) MC_FUZZ_CHECK(!c.empty(), "an empty channel");
    const std::string event = e.head + "18446744073709551615" + e.tail;
    MC_FUZZ_CHECK(mc::records::jsonTextProblem(event, 80).empty() && event.front() == '{',
                  "not one JSON object: " + mc::fuzz::shown(event, 200));
    const auto again = mc::host::decodeEnvelope(mc::host::encodeEnvelope(e.origin, e.channels, e.head, e.tail));
    MC_FUZZ_CHECK(again.origin == e.origin && again.channels == e.channels && again.head == e.head && again.tail == e.tail,
                  "encode(decode(x)) does not decode to the same");
    return 0;
}
