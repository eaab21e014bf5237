#include "gateway/GatewayScheduler.h"

#include "log/Logging.h"
#include "mc/thread_name.hpp"

namespace mc::host {

GatewayScheduler::GatewayScheduler(std::size_t workers) : workerCount_(workers == 0 ? 1 : workers) {}

GatewayScheduler::~GatewayScheduler() { stop(); }

void GatewayScheduler::start() {
    std::lock_guard lock(mutex_);
    if (running_ || stopped_) return;
    running_ = true;
    timer_ = std::thread([this] {
        mc::sdk::nameThisThread("mc-gw-timer");
        timerLoop();
    });
    for (std::size_t i = 0; i < workerCount_; ++i)
        workers_.emplace_back([this] {
            mc::sdk::nameThisThread("mc-gw-worker");
            workerLoop();
        });
}

void GatewayScheduler::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopped_) return;
        stopped_ = true;
        running_ = false;
        timers_ = {};
        ready_.clear();
    }
    timerWake_.notify_all();
    workWake_.notify_all();
    if (timer_.joinable()) timer_.join();
    for (auto& w : workers_)
        if (w.joinable()) w.join();
}

void GatewayScheduler::post(Task task) {
    {
        std::lock_guard lock(mutex_);
        if (stopped_) return;
        ready_.push_back(std::move(task));
    }
    workWake_.notify_one();
}

void GatewayScheduler::schedule(std::chrono::milliseconds delay, Task task) {
    bool earliest = false;
    {
        std::lock_guard lock(mutex_);
        if (stopped_) return;
        const auto due = std::chrono::steady_clock::now() + delay;
        earliest = timers_.empty() || due < timers_.top().due;
        timers_.push(Timer{due, nextOrder_++, std::move(task)});
    }
    // The timer thread sleeps until the earliest timer: only a new earliest one needs to wake it (most
    // timers are request deadlines behind an earlier one; waking it for each cost a call a thread wake-up).
    if (earliest) timerWake_.notify_one();
}

void GatewayScheduler::timerLoop() {
    std::unique_lock lock(mutex_);
    while (running_) {
        if (timers_.empty()) {
            timerWake_.wait(lock);
            continue;
        }
        const auto due = timers_.top().due;
        if (std::chrono::steady_clock::now() < due) {
            timerWake_.wait_until(lock, due);
            continue;
        }
        ready_.push_back(std::move(const_cast<Timer&>(timers_.top()).task));
        timers_.pop();
        workWake_.notify_one();
    }
}

void GatewayScheduler::workerLoop() {
    static auto log = logging::get("gateway");
    for (;;) {
        Task task;
        {
            std::unique_lock lock(mutex_);
            workWake_.wait(lock, [this] { return !running_ || !ready_.empty(); });
            if (!running_) return;
            task = std::move(ready_.front());
            ready_.pop_front();
        }
        try {
            task();
        } catch (const std::exception& e) {
            log->error("gateway task failed: {}", e.what());
        } catch (...) {
            log->error("gateway task failed with an unknown exception");
        }
    }
}

} // namespace mc::host
