#pragma once
// One epoll event loop thread serving many non-blocking sockets (HTTP connections, WebSocket clients,
// a listening socket). Handlers run on the loop thread only and must never block: anything slow is
// handed to a worker and its result posted back. Other threads talk to the loop through post() and
// wake(), which enqueue and signal an eventfd. Linux only.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace mc::host::net {

class EventLoop;

// Something with a file descriptor the loop watches. Every call comes from the loop's thread.
class IoHandler : public std::enable_shared_from_this<IoHandler> {
public:
    virtual ~IoHandler() = default;
    virtual int fd() const = 0;
    // The epoll events that fired (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP, EPOLLERR).
    virtual void onEvents(std::uint32_t events) = 0;
    // Roughly every 100 ms: deadlines (timeouts of reads, writes, close handshakes).
    virtual void onTick(std::chrono::steady_clock::time_point /*now*/) {}
    // After wake(handler) from any thread: e.g. frames were queued for writing.
    virtual void onWake() {}
    // The loop is stopping: release the socket now.
    virtual void onLoopStopping() {}
};

class EventLoop {
public:
    explicit EventLoop(std::string name);
    ~EventLoop(); // stop()
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    void start();
    // Runs what is queued, tells every handler onLoopStopping() and joins the thread. Idempotent.
    void stop();

    // --- any thread ---
    // Starts watching `handler` for `events` (EPOLLIN, EPOLLOUT...). `onAdded` runs on the loop thread
    // right after registration (e.g. to flush a first message); a failed registration calls
    // handler->onLoopStopping() instead.
    void add(std::shared_ptr<IoHandler> handler, std::uint32_t events, std::function<void()> onAdded = {});
    // Calls handler->onWake() on the loop thread (callers coalesce repeated requests themselves).
    void wake(std::shared_ptr<IoHandler> handler);
    void post(std::function<void()> task);
    // The same without waking the loop: the task runs at its next wake-up, for whatever reason (an
    // event, a post, the tick within kTickMillis). For bookkeeping that may wait that long.
    void postLazily(std::function<void()> task);
    std::size_t handlerCount() const { return handlerCount_.load(); }
    bool onLoopThread() const { return std::this_thread::get_id() == threadId_.load(); }
    // The loop whose thread this is; nullptr on any other thread.
    static EventLoop* current();
    // How the waits of watchReadable ended, over every loop of the process.
    struct WatchCounts {
        std::uint64_t readable, deadline, stopped;
    };
    static WatchCounts watchCounts();

    // --- loop thread only ---
    void modify(IoHandler& handler, std::uint32_t events);
    // Stops watching; the loop drops its reference (callers keep their own while they finish).
    void remove(IoHandler& handler);
    // Every registered handler (e.g. to close them all).
    void forEach(const std::function<void(const std::shared_ptr<IoHandler>&)>& visit);
    // One call of ready(true) once `fd` (someone else's socket, left open) can be read, or of
    // ready(false) at `deadline` (within a tick) or when the loop stops: a plugin waits for its
    // socket here instead of on a thread of its own (mc_host_api.watch_readable). False, and no call,
    // when the loop is stopping or cannot watch `fd`.
    bool watchReadable(int fd, std::chrono::steady_clock::time_point deadline, std::function<void(bool)> ready);

private:
    void run();
    void signal();
    void drainInbox();

    const std::string name_;
    int epollFd_ = -1;
    int wakeFd_ = -1;
    std::thread thread_;
    std::atomic<std::thread::id> threadId_{};
    std::atomic<bool> stopping_{false};
    std::atomic<bool> signalPending_{false};
    std::atomic<std::size_t> handlerCount_{0};

    struct PendingAdd {
        std::shared_ptr<IoHandler> handler;
        std::uint32_t events;
        std::function<void()> onAdded;
    };
    std::mutex inboxMutex_;
    std::vector<PendingAdd> pendingAdds_;
    std::vector<std::shared_ptr<IoHandler>> pendingWakes_;
    std::vector<std::function<void()>> tasks_;

    std::unordered_map<int, std::shared_ptr<IoHandler>> handlers_; // loop thread only
};

// A fixed set of loops; connections are spread over them round-robin.
class EventLoopGroup {
public:
    EventLoopGroup(const std::string& name, std::size_t threads);
    void start();
    void stop();
    EventLoop& next();
    std::vector<std::unique_ptr<EventLoop>>& loops() { return loops_; }

private:
    std::vector<std::unique_ptr<EventLoop>> loops_;
    std::atomic<std::size_t> next_{0};
};

} // namespace mc::host::net
