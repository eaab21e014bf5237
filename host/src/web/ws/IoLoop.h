#pragma once
// One epoll event loop serving many WebSocket clients, woken through an eventfd when another thread
// queues work (a new client, a client with frames to write, a task). Linux only.
#include "web/ws/ClientSession.h"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace mc::host::ws {

class IoLoop {
public:
    IoLoop(HubState& hub, std::size_t index);
    ~IoLoop();
    IoLoop(const IoLoop&) = delete;
    IoLoop& operator=(const IoLoop&) = delete;

    void start();
    // Force-closes every remaining client and joins the thread. Idempotent.
    void stop();

    // Any thread.
    void add(std::shared_ptr<ClientSession> session);
    void scheduleWrite(std::shared_ptr<ClientSession> session);
    void post(std::function<void()> task);
    // Starts the close handshake of every client of this loop (after what each has queued).
    void closeAll(std::uint16_t code, std::string reason);
    std::size_t sessionCount() const { return sessionCount_.load(); }

    int epollFd() const { return epollFd_; }
    bool onLoopThread() const { return std::this_thread::get_id() == threadId_.load(); }

private:
    void run();
    void wake();
    void drainInbox();
    void sweepDeadlines();
    void remove(ClientSession& session);
    friend class mc::host::ClientSession;

    HubState& hub_;
    const std::size_t index_;
    int epollFd_ = -1;
    int wakeFd_ = -1;
    std::thread thread_;
    std::atomic<std::thread::id> threadId_{};
    std::atomic<bool> stopping_{false};
    std::atomic<bool> wakePending_{false};
    std::atomic<std::size_t> sessionCount_{0};

    std::mutex inboxMutex_;
    std::vector<std::shared_ptr<ClientSession>> pendingAdds_;
    std::vector<std::shared_ptr<ClientSession>> pendingWrites_;
    std::vector<std::function<void()>> tasks_;

    std::unordered_map<int, std::shared_ptr<ClientSession>> sessions_; // loop thread only
};

} // namespace mc::host::ws
