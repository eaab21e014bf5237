#pragma once
// The one writer between the ingest path and the store: a bounded queue (events and bytes) drained by
// one thread with group commit. Each batch takes whatever is queued, up to `batchMaxEvents`, waiting
// at most `batchMaxDelay` for more (`backgroundBatchMaxDelay` while no queued submitter awaits its
// commit: a commit costs the store about the same for one record as for a hundred), and goes to the
// store as ONE write call (one transaction) of the typed records the edge parsed (mc/records'
// TypedRecord; no JSON in between). Each submitter's callback runs after its events' commit, with the
// store's per-event rejects mapped back to it.
//
// Store down (MC_ERR_UNAVAILABLE / MC_ERR_IO for the whole batch): the batch and everything behind it
// stay queued in order and the same batch is retried with backoff (ids make retries idempotent); the
// queue keeps counting them, so a long outage fills it and submitters are refused instead of losing
// events. stop() flushes what is queued before the store closes.
#include "mc/records/RecordSchema.h"
#include "util/ReconnectBackoff.h"
#include "mc/plugin_abi.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace mc::host {

struct StoreWriterSettings {
    std::size_t maxQueuedEvents = 100000;
    std::size_t maxQueuedBytes = 64u << 20;
    // Room above those limits that only the host's own records may use (audit, permission decisions,
    // MCP status, tool-call steps): a flood of logs or ingest can never crowd them out.
    std::size_t reservedEvents = 10000;
    std::size_t reservedBytes = 8u << 20;
    std::size_t batchMaxEvents = 1000;
    std::chrono::milliseconds batchMaxDelay{5};
    std::chrono::milliseconds backgroundBatchMaxDelay{50};
    std::chrono::milliseconds retryInitial{100};
    std::chrono::milliseconds retryMax{5000};
};

// Per submitted event, in submission order: "" when committed, else why the store did not take it.
using CommitCallback = std::function<void(std::vector<std::string> rejects)>;

class StoreWriter {
public:
    // One write of the batch (in submission order) -> the store's result object text, as write("events").
    using Batch = std::vector<const mc::records::TypedRecord*>;
    using WriteFunction = std::function<mc_status(const Batch& batch, std::string& resultJson, std::string& error)>;
    // Called on the writer thread when the store goes down (true) or comes back (false).
    using StateListener = std::function<void(bool down, const std::string& reason)>;

    enum class Enqueued { Queued, Full, Stopped };
    enum class Priority { Normal, Reserved }; // Reserved: may use the reserved room

    StoreWriter(StoreWriterSettings settings, WriteFunction write);
    ~StoreWriter(); // stop(0)
    StoreWriter(const StoreWriter&) = delete;
    StoreWriter& operator=(const StoreWriter&) = delete;

    void setStateListener(StateListener listener) { listener_ = std::move(listener); }
    void start();
    // Writes everything queued, retrying a down store until `flushTimeout` has passed; what is still
    // unwritten then is reported to its submitters as not written. Idempotent.
    void stop(std::chrono::milliseconds flushTimeout);

    // All or nothing: Full when the events would not fit (nothing is queued). `done` may be empty.
    // `awaited`: a submitter waits for the commit (an acknowledgement), so the batch waits
    // batchMaxDelay at most; otherwise (fire and forget) backgroundBatchMaxDelay.
    Enqueued enqueue(std::vector<mc::records::TypedRecord> events, CommitCallback done, Priority priority = Priority::Normal,
                     bool awaited = true);

    struct Stats {
        bool down = false;
        bool stopped = false;
        std::size_t queuedEvents = 0; // waiting or being written
        std::size_t queuedBytes = 0;
        std::uint64_t committed = 0;  // events the store accepted
        std::uint64_t rejected = 0;   // events the store refused
        std::uint64_t batches = 0;    // successful write calls
        std::uint64_t retries = 0;    // write calls retried after the store was down
        std::uint64_t refusedFull = 0; // submissions refused because the queue was full
        std::string lastError;
    };
    // Runs `job` on the writer thread between two writes: store maintenance (retention) that must never
    // run beside a write, and that delays ingest by one job at most. The future is ready when it ran;
    // it holds std::future_error (broken promise) when the writer stopped first.
    std::future<void> between(std::function<void()> job);

    Stats stats() const;
    // {"status":"ok|recoverable_error|stopped","queued_events",...,"committed","retries","last_error"}
    std::string healthJson() const;

    // Parses a write("events") result into per-index rejects for a batch of `count` events.
    // Throws std::invalid_argument on another shape.
    static std::vector<std::string> parseRejects(const std::string& resultJson, std::size_t count);

private:
    struct Submission {
        std::vector<mc::records::TypedRecord> events;
        std::size_t bytes = 0;
        CommitCallback done;
        bool awaited = true;
    };
    void run();
    // Writes one batch until it is committed or refused, or shutdown gives up; per-event rejects.
    std::vector<std::string> writeBatch(const Batch& batch);

    StoreWriterSettings settings_;
    WriteFunction write_;
    StateListener listener_;
    ReconnectBackoff backoff_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Submission> queue_;
    std::deque<std::packaged_task<void()>> jobs_; // between(): run before the next batch
    Stats stats_;
    bool started_ = false;
    bool stopping_ = false;
    bool gathering_ = false; // the writer waits out batch_max_delay for more: an enqueue wakes it only to fill a batch
    bool gatheringLong_ = false; // ... for the background delay: an awaited submission wakes it to shorten the wait
    std::size_t awaitedQueued_ = 0; // queued submissions a submitter awaits
    std::chrono::steady_clock::time_point flushDeadline_;
    std::thread thread_;
};

} // namespace mc::host
