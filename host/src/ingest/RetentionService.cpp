#include "ingest/RetentionService.h"

#include "log/Logging.h"
#include "util/Json.h"
#include "mc/thread_name.hpp"

namespace mc::host {

const std::vector<RetentionGroup>& retentionGroups() {
    static const std::vector<RetentionGroup> groups = {
        {"retention.logs.days", {"log"}},
        {"retention.telemetry.days", {"span", "metric"}},
        {"retention.protocol_messages.days", {"protocol_message"}},
        {"retention.mcp_status.days", {"mcp_status"}},
        {"retention.permissions.days", {"permission"}},
        {"retention.audit.days", {"audit"}},
    };
    return groups;
}

RetentionService::RetentionService(RetentionSettings settings, StoreWriter& writer, Expire expire, Clock clock)
    : settings_(std::move(settings)), writer_(writer), expire_(std::move(expire)), clock_(std::move(clock)) {
    for (const auto& [kind, days] : settings_.daysByKind) kinds_[kind].days = days;
}

RetentionService::~RetentionService() { stop(); }

void RetentionService::start() {
    bool any = false;
    for (const auto& [kind, state] : kinds_) any = any || state.days > 0;
    if (!any || thread_.joinable()) return;
    thread_ = std::thread([this] {
        mc::sdk::nameThisThread("mc-retention");
        run();
    });
}

void RetentionService::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool RetentionService::pauseFor(std::chrono::milliseconds ms) {
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, ms, [this] { return stopping_; });
    return !stopping_;
}

void RetentionService::run() {
    // The first sweep a moment after start: the host's own start-up writes go first.
    if (!pauseFor(std::min(settings_.interval, std::chrono::milliseconds(5000)))) return;
    do {
        sweepNow();
    } while (pauseFor(settings_.interval));
}

void RetentionService::sweepNow() {
    std::vector<std::pair<std::string, std::int64_t>> due;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [kind, state] : kinds_)
            if (state.days > 0) due.emplace_back(kind, state.days);
    }
    for (const auto& [kind, days] : due) sweep(kind, days);
}

void RetentionService::sweep(const std::string& kind, std::int64_t days) {
    const std::string before = json::isoTimestamp(clock_() - days * 86400LL * 1000000LL);
    std::uint64_t total = 0;
    std::string error;
    for (;;) {
        // What the batch found, kept by the job itself: stop() may leave before the job ran (the writer
        // can be retrying a down store), and the job must then touch nothing of this frame.
        struct Outcome {
            mc_status status = MC_OK;
            std::uint64_t deleted = 0;
            std::string error;
        };
        auto outcome = std::make_shared<Outcome>();
        auto done = writer_.between([outcome, expire = expire_, kind, before, rows = settings_.batchRows] {
            outcome->status = expire(kind, before, rows, outcome->deleted, outcome->error);
        });
        // On the writer thread, between two writes; this thread waits for it, or for stop().
        while (done.wait_for(std::chrono::milliseconds(100)) == std::future_status::timeout)
            if (!pauseFor(std::chrono::milliseconds(0))) return;
        try {
            done.get();
        } catch (const std::exception&) {
            return; // the writer stopped first: the host is stopping
        }
        const mc_status status = outcome->status;
        const std::uint64_t deleted = outcome->deleted;
        error = outcome->error;
        if (status != MC_OK) {
            if (status == MC_ERR_UNSUPPORTED) error = "the store keeps everything: " + error;
            break;
        }
        total += deleted;
        if (deleted < settings_.batchRows || !pauseFor(settings_.pause)) break;
    }
    if (total > 0) logging::get("store")->info("retention: deleted {} {} record(s) older than {} ({} days)", total, kind, before, days);
    if (!error.empty()) logging::get("store")->warn("retention of {} records failed: {}", kind, error);
    std::lock_guard lock(mutex_);
    auto& state = kinds_[kind];
    state.deleted += total;
    state.lastSweepUs = clock_();
    state.lastError = error;
}

std::string RetentionService::healthJson() const {
    std::lock_guard lock(mutex_);
    std::string out = "{\"interval_ms\":" + std::to_string(settings_.interval.count()) + ",\"kinds\":{";
    bool first = true;
    for (const auto& [kind, s] : kinds_) {
        out += (first ? "" : ",") + json::quote(kind) + ":{\"days\":" + std::to_string(s.days) +
               ",\"deleted\":" + std::to_string(s.deleted) + ",\"last_sweep\":" + json::timestampOrNull(s.lastSweepUs) +
               ",\"last_error\":" + (s.lastError.empty() ? std::string("null") : json::quote(s.lastError)) + "}";
        first = false;
    }
    return out + "}}";
}

} // namespace mc::host
