#pragma once
// The ingest surfaces: POST /api/ingest (JSON or NDJSON) and the WebSocket `publish` message.
// Documented in docs/ingest.md, docs/rest-api.md and docs/websocket-protocol.md.
#include "api/IngestBody.h"
#include "ingest/IngestService.h"

#include <chrono>
#include <string>
#include <vector>

namespace mc::host {

class Router;
class WebSocketHub;

void registerIngestRoutes(Router& router, IngestService& ingest, std::chrono::milliseconds ackTimeout);
void registerIngestMessages(WebSocketHub& hub, IngestService& ingest);

} // namespace mc::host
