#pragma once
// C concurrent publishers POSTing batches of log events to /api/ingest on keep-alive connections,
// paced on one global schedule (batch k is due at k * batch / rate seconds) or flat out.
#include "LoadEvents.h"

#include <atomic>
#include <cstdint>
#include <string>

namespace mc::loadgen {

struct PublishPlan {
    std::string host;
    std::uint16_t port = 0;
    std::string runId;            // makes event ids unique across runs against one server
    std::size_t clients = 16;
    std::size_t batch = 100;
    double rate = 0;              // events per second over all clients; 0 = flat out
    double seconds = 10;          // stop scheduling after this long (when events == 0)
    std::uint64_t events = 0;     // stop after this many events (0 = use seconds)
};

struct PublishResult {
    SeqBitmap acknowledged;       // every event a 200 answer accepted
    std::uint64_t sent = 0;       // events in requests that were answered or failed
    std::uint64_t acked = 0;
    std::uint64_t requests = 0;
    std::uint64_t retried = 0;    // 503 answers (backpressure): the same batch is sent again
    std::uint64_t errors = 0;     // failed exchanges, other statuses, partly accepted batches
    std::string firstError;
    double seconds = 0;           // first send to last answer
    std::int64_t lateNs = 0;      // paced: the worst delay of a batch behind its schedule
};

// Runs the plan to completion (blocking) and merges what every publisher saw.
PublishResult publish(const PublishPlan& plan);

} // namespace mc::loadgen
