#pragma once
// One timer thread for every MCP connection (pings, request deadlines, reconnects) feeding a few
// worker threads that run the tasks. Work that may block (opening or closing a transport) runs on a
// worker, never on a transport's callback thread or on the timer thread itself.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace mc::host {

class GatewayScheduler {
public:
    using Task = std::function<void()>;
    explicit GatewayScheduler(std::size_t workers);
    ~GatewayScheduler();
    GatewayScheduler(const GatewayScheduler&) = delete;
    GatewayScheduler& operator=(const GatewayScheduler&) = delete;

    void start();
    // Drops pending timers and queued tasks, waits for running tasks, joins the threads. Idempotent.
    void stop();

    void post(Task task); // runs as soon as a worker is free; ignored after stop()
    void schedule(std::chrono::milliseconds delay, Task task);

private:
    struct Timer {
        std::chrono::steady_clock::time_point due;
        std::uint64_t order;
        Task task;
        bool operator>(const Timer& other) const { return due != other.due ? due > other.due : order > other.order; }
    };
    void timerLoop();
    void workerLoop();

    std::size_t workerCount_;
    std::mutex mutex_;
    std::condition_variable timerWake_;
    std::condition_variable workWake_;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
    std::deque<Task> ready_;
    std::uint64_t nextOrder_ = 0;
    bool running_ = false;
    bool stopped_ = false;
    std::thread timer_;
    std::vector<std::thread> workers_;
};

} // namespace mc::host
