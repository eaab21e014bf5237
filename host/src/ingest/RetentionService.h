#pragma once
// Retention: records older than their kind's retention.<group>.days are deleted in the background,
// oldest first, in small batches. Each batch runs on the store writer thread between two writes
// (StoreWriter::between): a store never expires beside a write, and ingest waits for one batch at
// most. A pause between batches lets the writes queued meanwhile go first.
#include "ingest/StoreWriter.h"
#include "mc/plugin_abi.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mc::host {

struct RetentionSettings {
    // Days kept per record kind (0: forever), from the retention.<group>.days keys.
    std::map<std::string, std::int64_t> daysByKind;
    std::chrono::milliseconds interval{60000}; // retention.interval_ms: between sweeps
    std::size_t batchRows = 1000;              // retention.batch_rows: one batch's most rows
    std::chrono::milliseconds pause{20};       // retention.pause_ms: between two batches of a sweep
};

// The retention.<group>.days keys and the kinds each covers, in the order sweeps take them.
struct RetentionGroup {
    const char* key;
    std::vector<const char*> kinds;
};
const std::vector<RetentionGroup>& retentionGroups();

class RetentionService {
public:
    // Deletes at most `maxRows` records of `kind` older than `before` (RFC 3339); *deleted.
    using Expire = std::function<mc_status(const std::string& kind, const std::string& before, std::size_t maxRows,
                                           std::uint64_t& deleted, std::string& error)>;
    using Clock = std::function<long long()>; // now, Unix microseconds

    RetentionService(RetentionSettings settings, StoreWriter& writer, Expire expire, Clock clock);
    ~RetentionService(); // stop()
    RetentionService(const RetentionService&) = delete;
    RetentionService& operator=(const RetentionService&) = delete;

    void start(); // no thread when every kind is kept forever
    // Returns at once, also while a batch waits for the writer (a down store it retries): that batch
    // runs later or never, and changes nothing here.
    void stop();
    // One sweep of every kind now, on the caller's thread (tests; the thread does the same).
    void sweepNow();

    // {"kinds":{"log":{"days":30,"deleted":N,"last_sweep":"...","last_error":null},...},"interval_ms":...}
    std::string healthJson() const;

private:
    struct KindState {
        std::int64_t days = 0;
        std::uint64_t deleted = 0;
        long long lastSweepUs = 0;
        std::string lastError;
    };
    void run();
    void sweep(const std::string& kind, std::int64_t days);
    bool pauseFor(std::chrono::milliseconds ms); // false: stopping

    const RetentionSettings settings_;
    StoreWriter& writer_;
    const Expire expire_;
    const Clock clock_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::map<std::string, KindState> kinds_;
    std::thread thread_;
};

} // namespace mc::host
