#pragma once
// The gateway's bookkeeping of tool calls (the start's thread and permission records, the end's record
// and events) runs here, on a thread of its own, in the order it was handed over. The thread that sent
// a call, or delivered its answer to the caller, goes back to the next call at once: on a small machine
// the scheduler runs the waker and the woken on one core, so bookkeeping left on that thread sat
// between one call's answer and the next call (measured in bench/README.md).
//
// When it falls more than kMaxQueued tasks behind, the caller does its own bookkeeping: memory stays
// bounded and a flood of calls slows itself down. An OrderGate still keeps each call's start record
// before its end record whichever thread runs them.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace mc::host {

class CallRecorder {
public:
    static constexpr std::size_t kMaxQueued = 4096;

    CallRecorder() = default;
    ~CallRecorder();
    CallRecorder(const CallRecorder&) = delete;
    CallRecorder& operator=(const CallRecorder&) = delete;

    void start();
    // Runs `task` on the recorder's thread after what was posted before it; on this thread, now, when
    // the recorder is not running (before start, after stop) or kMaxQueued tasks wait.
    void post(std::function<void()> task);
    // Runs what is queued, then joins the thread; later posts run on their caller's thread. Idempotent.
    void stop();

private:
    void run();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    bool running_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace mc::host
