#include "ingest/StoreWriter.h"

#include "log/Logging.h"
#include "plugin/HostContext.h"
#include "util/Json.h"
#include "mc/thread_name.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <stdexcept>

namespace mc::host {
namespace {

bool isStoreDown(mc_status status) { return status == MC_ERR_UNAVAILABLE || status == MC_ERR_IO; }

} // namespace

StoreWriter::StoreWriter(StoreWriterSettings settings, WriteFunction write)
    : settings_(settings), write_(std::move(write)),
      backoff_(settings.retryInitial, std::max(settings.retryInitial, settings.retryMax), 0x5eed) {
    if (settings_.batchMaxEvents == 0) settings_.batchMaxEvents = 1;
}

StoreWriter::~StoreWriter() { stop(std::chrono::milliseconds(0)); }

void StoreWriter::start() {
    std::lock_guard lock(mutex_);
    if (started_ || stopping_) return;
    started_ = true;
    thread_ = std::thread([this] {
        mc::sdk::nameThisThread("mc-store-writer");
        run();
    });
}

void StoreWriter::stop(std::chrono::milliseconds flushTimeout) {
    std::deque<Submission> unwritten;
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            stopping_ = true;
            flushDeadline_ = std::chrono::steady_clock::now() + flushTimeout;
        }
        if (!started_) { // never started: nothing will write them
            unwritten.swap(queue_);
            awaitedQueued_ = 0;
        }
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    {
        std::lock_guard lock(mutex_);
        stats_.stopped = true;
        for (auto& s : unwritten) {
            stats_.queuedEvents -= s.events.size();
            stats_.queuedBytes -= s.bytes;
        }
    }
    for (auto& s : unwritten)
        if (s.done) s.done(std::vector<std::string>(s.events.size(), "not written: the host stopped before the store opened"));
}

StoreWriter::Enqueued StoreWriter::enqueue(std::vector<mc::records::TypedRecord> events, CommitCallback done,
                                           Priority priority, bool awaited) {
    Submission submission;
    for (const auto& e : events) submission.bytes += e.sizeBytes();
    submission.events = std::move(events);
    submission.done = std::move(done);
    submission.awaited = awaited;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return Enqueued::Stopped;
        const bool reserved = priority == Priority::Reserved;
        const std::size_t maxEvents = settings_.maxQueuedEvents + (reserved ? settings_.reservedEvents : 0);
        const std::size_t maxBytes = settings_.maxQueuedBytes + (reserved ? settings_.reservedBytes : 0);
        if (stats_.queuedEvents + submission.events.size() > maxEvents || stats_.queuedBytes + submission.bytes > maxBytes) {
            ++stats_.refusedFull;
            return Enqueued::Full;
        }
        stats_.queuedEvents += submission.events.size();
        stats_.queuedBytes += submission.bytes;
        if (awaited) ++awaitedQueued_;
        queue_.push_back(std::move(submission));
        // A writer gathering a batch takes this at its deadline: waking it for each event cost the
        // submitting thread (an event loop, a transport's reader) a futex wake-up per event.
        if (gathering_ && stats_.queuedEvents < settings_.batchMaxEvents && !(awaited && gatheringLong_)) return Enqueued::Queued;
    }
    wake_.notify_one();
    return Enqueued::Queued;
}

std::future<void> StoreWriter::between(std::function<void()> job) {
    std::packaged_task<void()> task(std::move(job));
    auto done = task.get_future();
    std::lock_guard lock(mutex_);
    if (stopping_) return done; // the task goes: its future says broken promise
    jobs_.push_back(std::move(task));
    wake_.notify_all();
    return done;
}

void StoreWriter::run() {
    for (;;) {
        std::vector<Submission> batch;
        std::size_t count = 0;
        std::size_t bytes = 0;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !queue_.empty() || !jobs_.empty(); });
            if (!jobs_.empty() && !stopping_) {
                auto job = std::move(jobs_.front());
                jobs_.pop_front();
                lock.unlock();
                job(); // an exception it throws is its future's
                continue;
            }
            jobs_.clear(); // stopping: maintenance waits for the next start
            if (queue_.empty()) return; // stopping and flushed
            // Group commit: give concurrent submitters a moment to join this batch, a longer one while
            // no one waits for its commit (until an awaited submission comes).
            const auto started = std::chrono::steady_clock::now();
            gathering_ = true;
            while (!stopping_ && stats_.queuedEvents < settings_.batchMaxEvents) {
                const bool awaited = awaitedQueued_ > 0;
                gatheringLong_ = !awaited && settings_.backgroundBatchMaxDelay > settings_.batchMaxDelay;
                const auto deadline = started + (awaited ? settings_.batchMaxDelay : settings_.backgroundBatchMaxDelay);
                if (std::chrono::steady_clock::now() >= deadline || wake_.wait_until(lock, deadline) == std::cv_status::timeout) break;
            }
            gathering_ = false;
            gatheringLong_ = false;
            while (!queue_.empty() && (batch.empty() || count + queue_.front().events.size() <= settings_.batchMaxEvents)) {
                count += queue_.front().events.size();
                bytes += queue_.front().bytes;
                if (queue_.front().awaited) --awaitedQueued_;
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        Batch records;
        records.reserve(count);
        for (const auto& s : batch)
            for (const auto& e : s.events) records.push_back(&e);

        std::vector<std::string> rejects = writeBatch(records);
        std::size_t refused = 0;
        for (const auto& r : rejects)
            if (!r.empty()) ++refused;
        {
            std::lock_guard lock(mutex_);
            stats_.queuedEvents -= count;
            stats_.queuedBytes -= bytes;
            stats_.committed += count - refused;
            stats_.rejected += refused;
        }
        std::size_t offset = 0;
        for (auto& s : batch) {
            const std::size_t n = s.events.size();
            if (s.done) {
                try {
                    s.done(std::vector<std::string>(rejects.begin() + static_cast<long>(offset),
                                                    rejects.begin() + static_cast<long>(offset + n)));
                } catch (const std::exception& e) {
                    logging::get("ingest")->error("a commit callback failed: {}", e.what());
                }
            }
            offset += n;
        }
    }
}

std::vector<std::string> StoreWriter::writeBatch(const Batch& batch) {
    const std::size_t count = batch.size();
    auto log = logging::get("ingest");
    for (;;) {
        std::string result, error;
        mc_status status = MC_ERR_INTERNAL;
        try {
            status = write_(batch, result, error);
        } catch (const std::exception& e) {
            error = e.what();
        }
        if (isStoreDown(status)) {
            const std::string reason = std::string("store down (") + statusName(status) + "): " + error;
            std::chrono::milliseconds delay;
            bool newlyDown = false;
            {
                std::lock_guard lock(mutex_);
                stats_.lastError = reason;
                ++stats_.retries;
                newlyDown = !stats_.down;
                stats_.down = true;
                delay = backoff_.next();
            }
            if (newlyDown) {
                log->error("{}; keeping {} event(s) queued and retrying", reason, count);
                if (listener_) listener_(true, reason);
            }
            std::unique_lock lock(mutex_);
            if (stopping_ && std::chrono::steady_clock::now() >= flushDeadline_) {
                log->error("shutdown: {} event(s) not written, the store is still down: {}", count, reason);
                return std::vector<std::string>(count, "not written: the store was down at shutdown (" + reason + ")");
            }
            auto until = std::chrono::steady_clock::now() + delay;
            if (stopping_) until = std::min(until, flushDeadline_);
            wake_.wait_until(lock, until, [&] { return stopping_ && std::chrono::steady_clock::now() >= flushDeadline_; });
            continue;
        }
        bool cameBack = false;
        {
            std::lock_guard lock(mutex_);
            if (stats_.down) {
                stats_.down = false;
                cameBack = true;
            }
            backoff_.reset();
            if (status == MC_OK) ++stats_.batches;
            else stats_.lastError = error;
        }
        if (cameBack) {
            log->info("store is back: writing the backlog");
            if (listener_) listener_(false, "");
        }
        if (status != MC_OK) {
            log->error("the store refused a batch of {} event(s) ({}): {}", count, statusName(status), error);
            return std::vector<std::string>(count, std::string("the store refused the batch (") + statusName(status) + "): " + error);
        }
        try {
            return parseRejects(result, count);
        } catch (const std::invalid_argument& e) {
            log->error("unreadable write result: {}", e.what());
            return std::vector<std::string>(count); // the write itself succeeded
        }
    }
}

std::vector<std::string> StoreWriter::parseRejects(const std::string& resultJson, std::size_t count) {
    std::vector<std::string> rejects(count);
    try {
        auto object = json::parse(resultJson).extract<Poco::JSON::Object::Ptr>();
        auto rejected = object ? object->getArray("rejected") : nullptr;
        for (std::size_t i = 0; rejected && i < rejected->size(); ++i) {
            auto item = rejected->getObject(static_cast<unsigned>(i));
            if (!item) continue;
            const auto index = item->getValue<std::int64_t>("index");
            if (index < 0 || static_cast<std::size_t>(index) >= count) continue;
            std::string reason = item->optValue<std::string>("reason", "");
            rejects[static_cast<std::size_t>(index)] = reason.empty() ? "rejected by the store" : reason;
        }
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument(e.displayText());
    }
    return rejects;
}

StoreWriter::Stats StoreWriter::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

std::string StoreWriter::healthJson() const {
    const Stats s = stats();
    // The component vocabulary (mc_component_status): a down store is a recoverable error the writer
    // retries by itself.
    std::string out = "{\"status\":";
    out += s.stopped ? "\"stopped\"" : s.down ? "\"recoverable_error\"" : "\"ok\"";
    out += ",\"queued_events\":" + std::to_string(s.queuedEvents) + ",\"queued_bytes\":" + std::to_string(s.queuedBytes) +
           ",\"committed\":" + std::to_string(s.committed) + ",\"rejected\":" + std::to_string(s.rejected) +
           ",\"batches\":" + std::to_string(s.batches) + ",\"retries\":" + std::to_string(s.retries) +
           ",\"refused_full\":" + std::to_string(s.refusedFull) +
           ",\"last_error\":" + (s.lastError.empty() ? std::string("null") : json::quote(s.lastError)) + "}";
    return out;
}

} // namespace mc::host
