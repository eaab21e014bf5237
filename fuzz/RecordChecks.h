#pragma once
// Checks shared by the targets that validate records (ingest_body, records_batch): what normalize()
// makes of an event is stable, and the store's parse of it agrees with the host's.
#include "FuzzSupport.h"

#include "mc/records/BatchWrite.h"
#include "mc/records/JsonText.h"
#include "mc/records/RecordSchema.h"

#include <Poco/JSON/Parser.h>

namespace mc::fuzz {

inline std::string fixedNow() { return "2026-01-02T03:04:05.000000Z"; }

// The canonical JSON of a normalized record normalizes to itself (what the host broadcasts and what
// a store reads back are the same record), and the store's batch parse accepts it unchanged.
inline void checkCanonical(const mc::records::KindSpec& spec, const mc::records::NormalizedRecord& record) {
    const std::string canonical = mc::records::toJson(spec, record);
    Poco::JSON::Object::Ptr object;
    try {
        object = Poco::JSON::Parser().parse(canonical).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        MC_FUZZ_CHECK(false, "canonical JSON does not parse (" + e.displayText() + "): " + shown(canonical));
    }
    mc::records::NormalizedRecord again;
    try {
        again = mc::records::normalize(spec, *object, [] { return std::string("generated"); }, fixedNow);
    } catch (const std::invalid_argument& e) {
        MC_FUZZ_CHECK(false, std::string("canonical JSON is refused: ") + e.what() + ": " + shown(canonical));
    }
    const std::string twice = mc::records::toJson(spec, again);
    MC_FUZZ_CHECK(twice == canonical, "normalize is not stable:\n  " + shown(canonical) + "\n  " + shown(twice));

    // The store's side: the same object in a write("events") batch, kind in the envelope.
    std::string batch = "[{\"type\":";
    mc::records::appendJsonString(batch, spec.kind);
    batch += ',';
    batch.append(canonical, 1, std::string::npos);
    batch += ']';
    const auto parsed = mc::records::parseBatch(mc::records::kEventsKind, batch, fixedNow);
    MC_FUZZ_CHECK(parsed.rejected.empty(), "the store refuses what the host accepted: " +
                                               (parsed.rejected.empty() ? std::string() : parsed.rejected[0].reason));
    MC_FUZZ_CHECK(parsed.entries.size() == 1 && mc::records::toJson(spec, parsed.entries[0].record) == canonical,
                  "the store reads another record than the host wrote");
}

} // namespace mc::fuzz
