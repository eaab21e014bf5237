// A plugin's background loop: one thread that runs a step now, then again after the delay the step
// returns, or at once when wake() is called (a discovery plugin's refresh hook), until stop().
// Header-only, part of the SDK; stop() joins, so nothing outlives the plugin's stop/destroy.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "mc/thread_name.hpp"

namespace mc::sdk {

class PeriodicWorker {
public:
    // `step` returns how long to wait before the next run; `woken` says whether wake() asked for it.
    using Step = std::function<std::chrono::milliseconds(bool woken)>;

    PeriodicWorker() = default;
    ~PeriodicWorker() { stop(); }
    PeriodicWorker(const PeriodicWorker&) = delete;
    PeriodicWorker& operator=(const PeriodicWorker&) = delete;

    // `name`: the thread's (thread_name.hpp), e.g. the plugin's short name.
    void start(Step step, std::string_view name = "mc-periodic") {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = false;
        woken_ = false;
        thread_ = std::thread([this, step = std::move(step), name = std::string(name)] {
            nameThisThread(name);
            bool woken = false;
            for (;;) {
                const std::chrono::milliseconds wait = step(woken);
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait_for(lock, wait, [this] { return stopping_ || woken_; });
                if (stopping_) return;
                woken = woken_;
                woken_ = false;
            }
        });
    }
    void wake() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            woken_ = true;
        }
        wake_.notify_all();
    }
    void stop() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool woken_ = false;
    std::thread thread_;
};

} // namespace mc::sdk
