#include "gateway/CallRecorder.h"

#include "log/Logging.h"
#include "mc/thread_name.hpp"

#include <exception>

namespace mc::host {

CallRecorder::~CallRecorder() { stop(); }

void CallRecorder::start() {
    std::lock_guard lock(mutex_);
    if (running_ || stopping_) return;
    running_ = true;
    thread_ = std::thread([this] {
        mc::sdk::nameThisThread("mc-gw-record");
        run();
    });
}

void CallRecorder::post(std::function<void()> task) {
    {
        std::unique_lock lock(mutex_);
        if (running_ && !stopping_ && queue_.size() < kMaxQueued) {
            queue_.push_back(std::move(task));
            const bool wasIdle = queue_.size() == 1;
            lock.unlock();
            if (wasIdle) wake_.notify_one(); // a busy recorder finds it without a wake-up
            return;
        }
    }
    task();
}

void CallRecorder::stop() {
    {
        std::lock_guard lock(mutex_);
        if (!running_ || stopping_) {
            stopping_ = true;
            return;
        }
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void CallRecorder::run() {
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return; // stopping, and everything ran
            task = std::move(queue_.front());
            queue_.pop_front();
        }
        try {
            task();
        } catch (const std::exception& e) {
            logging::get("gateway")->error("recording a tool call failed: {}", e.what());
        }
    }
}

} // namespace mc::host
