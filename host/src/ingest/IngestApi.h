#pragma once
// The ingest surfaces: POST /api/ingest (JSON or NDJSON) and the WebSocket `publish` message.
// Documented in docs/ingest.md, docs/rest-api.md and docs/websocket-protocol.md.
#include "ingest/IngestService.h"

#include <chrono>
#include <string>
#include <vector>

namespace mc::host {

class Router;
class WebSocketHub;

void registerIngestRoutes(Router& router, IngestService& ingest, std::chrono::milliseconds ackTimeout);
void registerIngestMessages(WebSocketHub& hub, IngestService& ingest);

// An NDJSON body as events: one per non-blank line; a line that is not a JSON object becomes an
// event with its error ("line 3: not valid JSON: ..."), so the other lines still count.
std::vector<RawEvent> parseNdjsonEvents(const std::string& body);

} // namespace mc::host
