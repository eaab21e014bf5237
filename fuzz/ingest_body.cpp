// Ingest bodies (host/src/api/IngestBody.cpp, libs/records RecordSchema.cpp): POST /api/ingest as
// {"events":[...]} (byte 0 even) or NDJSON (byte 0 odd), then each event as IngestService validates
// it: its "type" names a kind, normalize() checks and fills its fields.
//
// Checked: no crash/UB/leak; a bad body is refused with HttpError 400 and nothing else; every event
// is accepted or has its reason; an accepted event's canonical JSON normalizes to itself and the
// store's batch parse takes it unchanged.
#include "FuzzSupport.h"
#include "RecordChecks.h"

#include "api/IngestBody.h"
#include "web/Router.h"

using namespace mc::host;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const bool ndjson = data[0] & 1;
    const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
    std::vector<RawEvent> events;
    if (ndjson) {
        events = parseNdjsonEvents(body);
    } else {
        try {
            events = parseJsonEvents(body);
        } catch (const HttpError& e) {
            MC_FUZZ_CHECK(e.status == 400, "status " + std::to_string(e.status));
            return 0;
        }
    }
    for (const auto& event : events) {
        MC_FUZZ_CHECK(event.error.empty() == static_cast<bool>(event.object), "an event with both or neither");
        if (!event.object) continue;
        // IngestService::submit: the envelope's type names the kind.
        if (!event.object->has("type") || !event.object->get("type").isString()) continue;
        const auto* spec = mc::records::findKind(event.object->getValue<std::string>("type"));
        if (!spec) continue;
        mc::records::NormalizedRecord record;
        try {
            record = mc::records::normalize(*spec, *event.object, [] { return std::string("generated"); }, mc::fuzz::fixedNow);
        } catch (const std::invalid_argument& e) {
            MC_FUZZ_CHECK(std::string(e.what()).rfind("field '", 0) == 0, std::string("reason does not name the field: ") + e.what());
            continue;
        }
        mc::fuzz::checkCanonical(*spec, record);
    }
    return 0;
}
