#pragma once
// Work that must come after something its caller does later. The gateway sends a tool call to its
// server first and records the call's start (thread, permission events) while the server works; an
// answer that comes back before that record is made waits here, so the record of the end never goes
// ahead of the record of the start.
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace mc::host {

class OrderGate {
public:
    // Runs `work` now on this thread when the gate is open; otherwise open() runs it, on its thread.
    void after(std::function<void()> work) {
        std::unique_lock lock(mutex_);
        if (!open_) {
            held_.push_back(std::move(work));
            return;
        }
        lock.unlock();
        work();
    }
    // Opens the gate (once) and runs what waited, in the order it came.
    void open() {
        std::vector<std::function<void()>> held;
        {
            std::lock_guard lock(mutex_);
            if (open_) return;
            open_ = true;
            held.swap(held_);
        }
        for (auto& work : held) work();
    }

private:
    std::mutex mutex_;
    bool open_ = false;
    std::vector<std::function<void()>> held_;
};

} // namespace mc::host
