#pragma once
// The HTTP edge of receiver plugins: each route a receiver declared (OTLP's POST /v1/logs, ...) as a
// route of a Router, operator role, with the media types it declared. The host reads the request
// (limits, deadlines, authentication, Host/Origin) and hands it whole to the receiver; the receiver
// answers through a responder, usually after its records are committed, without holding a worker.
#include "receive/ReceiverService.h"

#include <chrono>

namespace mc::host {

class Router;

void registerReceiverRoutes(Router& router, Receiver& receiver, std::chrono::milliseconds ackTimeout);

} // namespace mc::host
