#include "web/ws/IoLoop.h"

#include <spdlog/spdlog.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mc::host::ws {
namespace {
constexpr int kMaxEvents = 256;
constexpr int kTickMillis = 100; // deadline sweep granularity (close handshakes only)
} // namespace

IoLoop::IoLoop(HubState& hub, std::size_t index) : hub_(hub), index_(index) {
    epollFd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epollFd_ < 0 || wakeFd_ < 0) throw std::runtime_error(std::string("ws loop setup failed: ") + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wakeFd_;
    ::epoll_ctl(epollFd_, EPOLL_CTL_ADD, wakeFd_, &ev);
}

IoLoop::~IoLoop() {
    stop();
    if (wakeFd_ >= 0) ::close(wakeFd_);
    if (epollFd_ >= 0) ::close(epollFd_);
}

void IoLoop::start() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
}

void IoLoop::stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    wake();
    thread_.join();
}

void IoLoop::wake() {
    if (wakePending_.exchange(true)) return; // one eventfd write per batch of work
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wakeFd_, &one, sizeof one);
}

void IoLoop::add(std::shared_ptr<ClientSession> session) {
    {
        std::lock_guard lock(inboxMutex_);
        pendingAdds_.push_back(std::move(session));
    }
    wake();
}

void IoLoop::scheduleWrite(std::shared_ptr<ClientSession> session) {
    {
        std::lock_guard lock(inboxMutex_);
        pendingWrites_.push_back(std::move(session));
    }
    if (!onLoopThread()) wake(); // on the loop thread the inbox is drained before the next wait
}

void IoLoop::post(std::function<void()> task) {
    {
        std::lock_guard lock(inboxMutex_);
        tasks_.push_back(std::move(task));
    }
    wake();
}

void IoLoop::closeAll(std::uint16_t code, std::string reason) {
    post([this, code, reason = std::move(reason)] {
        for (auto& [fd, session] : sessions_) session->close(code, reason);
    });
}

void IoLoop::drainInbox() {
    std::vector<std::shared_ptr<ClientSession>> adds, writes;
    std::vector<std::function<void()>> tasks;
    {
        std::lock_guard lock(inboxMutex_);
        adds.swap(pendingAdds_);
        writes.swap(pendingWrites_);
        tasks.swap(tasks_);
    }
    for (auto& session : adds) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.fd = session->fd_;
        if (::epoll_ctl(epollFd_, EPOLL_CTL_ADD, session->fd_, &ev) != 0) {
            hub_.log->warn("client {}: cannot watch socket: {}", session->id(), std::strerror(errno));
            session->finish();
            continue;
        }
        sessions_.emplace(session->fd_, session);
        sessionCount_ = sessions_.size();
        session->flush(); // the welcome message
    }
    for (auto& session : writes) {
        session->writeScheduled_ = false;
        if (!session->finished_) session->flush();
    }
    for (auto& task : tasks) task();
}

void IoLoop::remove(ClientSession& session) {
    ::epoll_ctl(epollFd_, EPOLL_CTL_DEL, session.fd_, nullptr);
    sessions_.erase(session.fd_); // may drop the last owning reference: callers hold their own
    sessionCount_ = sessions_.size();
}

void IoLoop::sweepDeadlines() {
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<ClientSession>> expired;
    for (auto& [fd, session] : sessions_)
        if (session->expired(now)) expired.push_back(session);
    for (auto& session : expired) {
        hub_.log->debug("client {}: close handshake timed out", session->id());
        session->finish();
    }
}

void IoLoop::run() {
    threadId_ = std::this_thread::get_id();
    epoll_event events[kMaxEvents];
    auto lastSweep = std::chrono::steady_clock::now();
    while (!stopping_) {
        const int n = ::epoll_wait(epollFd_, events, kMaxEvents, kTickMillis);
        if (n < 0 && errno != EINTR) {
            hub_.log->error("ws loop {}: epoll_wait failed: {}", index_, std::strerror(errno));
            break;
        }
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd == wakeFd_) {
                std::uint64_t count;
                [[maybe_unused]] auto r = ::read(wakeFd_, &count, sizeof count);
                wakePending_ = false;
                continue;
            }
            auto it = sessions_.find(fd);
            if (it == sessions_.end()) continue;
            std::shared_ptr<ClientSession> session = it->second; // keep alive through finish()
            const std::uint32_t mask = events[i].events;
            if (mask & EPOLLOUT) session->onWritable();
            if (!session->finished_ && (mask & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) session->onReadable();
        }
        drainInbox();
        const auto now = std::chrono::steady_clock::now();
        if (now - lastSweep >= std::chrono::milliseconds(kTickMillis)) {
            sweepDeadlines();
            lastSweep = now;
        }
    }
    // Stopping: run what was queued (close requests), then drop every remaining client.
    drainInbox();
    std::vector<std::shared_ptr<ClientSession>> remaining;
    for (auto& [fd, session] : sessions_) remaining.push_back(session);
    for (auto& session : remaining) {
        session->flush(); // best effort: the socket is non-blocking
        session->finish();
    }
}

} // namespace mc::host::ws
