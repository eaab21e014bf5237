#pragma once
// The body of an ingest request as events, before any validation of the events themselves: a JSON
// {"events":[...]} body (POST /api/ingest, WS publish's payload) or NDJSON. Pure, so it is tested and
// fuzzed on its own (fuzz/ingest.cpp).
#include "ingest/IngestService.h"

#include <Poco/JSON/Array.h>

#include <string>
#include <vector>

namespace mc::host {

// The events of an array: each an object, or an event with its error ("event is not a JSON object").
std::vector<RawEvent> eventsOf(const Poco::JSON::Array& array);

// A {"events":[...]} body; throws HttpError 400 naming what is wrong with it.
std::vector<RawEvent> parseJsonEvents(const std::string& body);

// An NDJSON body as events: one per non-blank line; a line that is not a JSON object becomes an
// event with its error ("line 3: not valid JSON: ..."), so the other lines still count.
std::vector<RawEvent> parseNdjsonEvents(const std::string& body);

} // namespace mc::host
