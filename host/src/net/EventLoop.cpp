#include "net/EventLoop.h"

#include "log/Logging.h"
#include "mc/thread_name.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mc::host::net {
namespace {
constexpr int kMaxEvents = 256;
constexpr int kTickMillis = 100; // deadline granularity
thread_local EventLoop* t_currentLoop = nullptr;
std::atomic<std::uint64_t> g_watchesReadable{0}, g_watchesPastDeadline{0}, g_watchesStopped{0};

// A one-shot wait for a socket the loop does not own: removed before it reports, never closes the fd.
class ReadableWatch final : public IoHandler {
public:
    ReadableWatch(EventLoop& loop, int fd, std::chrono::steady_clock::time_point deadline, std::function<void(bool)> ready)
        : loop_(loop), fd_(fd), deadline_(deadline), ready_(std::move(ready)) {}
    int fd() const override { return fd_; }
    void onEvents(std::uint32_t) override { fire(true, g_watchesReadable); }
    void onTick(std::chrono::steady_clock::time_point now) override {
        if (now >= deadline_) fire(false, g_watchesPastDeadline);
    }
    void onLoopStopping() override { fire(false, g_watchesStopped); }

private:
    void fire(bool readable, std::atomic<std::uint64_t>& counted) {
        if (!ready_) return;
        counted.fetch_add(1, std::memory_order_relaxed);
        auto ready = std::move(ready_);
        ready_ = nullptr;
        loop_.remove(*this); // first: `ready` may watch the same fd again
        ready(readable);
    }
    EventLoop& loop_;
    const int fd_;
    const std::chrono::steady_clock::time_point deadline_;
    std::function<void(bool)> ready_;
};
} // namespace

EventLoop* EventLoop::current() { return t_currentLoop; }

EventLoop::WatchCounts EventLoop::watchCounts() {
    return {g_watchesReadable.load(std::memory_order_relaxed), g_watchesPastDeadline.load(std::memory_order_relaxed),
            g_watchesStopped.load(std::memory_order_relaxed)};
}

bool EventLoop::watchReadable(int fd, std::chrono::steady_clock::time_point deadline, std::function<void(bool)> ready) {
    if (stopping_ || fd < 0 || handlers_.count(fd)) return false;
    auto watch = std::make_shared<ReadableWatch>(*this, fd, deadline, std::move(ready));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (::epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev) != 0) return false;
    handlers_[fd] = std::move(watch);
    handlerCount_ = handlers_.size();
    return true;
}

EventLoop::EventLoop(std::string name) : name_(std::move(name)) {
    epollFd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epollFd_ < 0 || wakeFd_ < 0)
        throw std::runtime_error("event loop " + name_ + ": setup failed: " + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wakeFd_;
    ::epoll_ctl(epollFd_, EPOLL_CTL_ADD, wakeFd_, &ev);
}

EventLoop::~EventLoop() {
    stop();
    if (wakeFd_ >= 0) ::close(wakeFd_);
    if (epollFd_ >= 0) ::close(epollFd_);
}

void EventLoop::start() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] {
        mc::sdk::nameThisThread("mc-" + name_);
        run();
    });
}

void EventLoop::stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    signal();
    thread_.join();
}

void EventLoop::signal() {
    if (signalPending_.exchange(true)) return; // one eventfd write per batch of work
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wakeFd_, &one, sizeof one);
}

void EventLoop::add(std::shared_ptr<IoHandler> handler, std::uint32_t events, std::function<void()> onAdded) {
    {
        std::lock_guard lock(inboxMutex_);
        pendingAdds_.push_back(PendingAdd{std::move(handler), events, std::move(onAdded)});
    }
    signal();
}

void EventLoop::wake(std::shared_ptr<IoHandler> handler) {
    {
        std::lock_guard lock(inboxMutex_);
        pendingWakes_.push_back(std::move(handler));
    }
    if (!onLoopThread()) signal(); // on the loop thread the inbox is drained before the next wait
}

void EventLoop::post(std::function<void()> task) {
    {
        std::lock_guard lock(inboxMutex_);
        tasks_.push_back(std::move(task));
    }
    if (!onLoopThread()) signal();
}

void EventLoop::postLazily(std::function<void()> task) {
    std::lock_guard lock(inboxMutex_);
    tasks_.push_back(std::move(task));
}

void EventLoop::modify(IoHandler& handler, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = handler.fd();
    ::epoll_ctl(epollFd_, EPOLL_CTL_MOD, handler.fd(), &ev);
}

void EventLoop::remove(IoHandler& handler) {
    const int fd = handler.fd();
    auto it = handlers_.find(fd);
    if (it == handlers_.end() || it->second.get() != &handler) return;
    ::epoll_ctl(epollFd_, EPOLL_CTL_DEL, fd, nullptr);
    handlers_.erase(it);
    handlerCount_ = handlers_.size();
}

void EventLoop::forEach(const std::function<void(const std::shared_ptr<IoHandler>&)>& visit) {
    std::vector<std::shared_ptr<IoHandler>> all;
    all.reserve(handlers_.size());
    for (auto& [fd, handler] : handlers_) all.push_back(handler);
    for (auto& handler : all) visit(handler);
}

void EventLoop::drainInbox() {
    // Tasks and wakes may queue more work; loop until the inbox stays empty for one pass.
    for (int pass = 0; pass < 4; ++pass) {
        std::vector<PendingAdd> adds;
        std::vector<std::shared_ptr<IoHandler>> wakes;
        std::vector<std::function<void()>> tasks;
        {
            std::lock_guard lock(inboxMutex_);
            adds.swap(pendingAdds_);
            wakes.swap(pendingWakes_);
            tasks.swap(tasks_);
        }
        if (adds.empty() && wakes.empty() && tasks.empty()) return;
        for (auto& add : adds) {
            const int fd = add.handler->fd();
            epoll_event ev{};
            ev.events = add.events;
            ev.data.fd = fd;
            if (::epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
                logging::get("net")->warn("{}: cannot watch socket {}: {}", name_, fd, std::strerror(errno));
                add.handler->onLoopStopping();
                continue;
            }
            handlers_[fd] = add.handler;
            handlerCount_ = handlers_.size();
            if (add.onAdded) add.onAdded();
        }
        for (auto& handler : wakes) handler->onWake();
        for (auto& task : tasks) task();
    }
    // Still more: let the next epoll_wait return at once instead of after a tick.
    std::lock_guard lock(inboxMutex_);
    if (!pendingAdds_.empty() || !pendingWakes_.empty() || !tasks_.empty()) signal();
}

void EventLoop::run() {
    threadId_ = std::this_thread::get_id();
    t_currentLoop = this;
    epoll_event events[kMaxEvents];
    auto lastTick = std::chrono::steady_clock::now();
    while (!stopping_) {
        const int n = ::epoll_wait(epollFd_, events, kMaxEvents, kTickMillis);
        if (n < 0 && errno != EINTR) {
            logging::get("net")->error("{}: epoll_wait failed: {}", name_, std::strerror(errno));
            break;
        }
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd == wakeFd_) {
                std::uint64_t count;
                [[maybe_unused]] auto r = ::read(wakeFd_, &count, sizeof count);
                signalPending_ = false;
                continue;
            }
            auto it = handlers_.find(fd);
            if (it == handlers_.end()) continue;
            std::shared_ptr<IoHandler> handler = it->second; // alive through its own removal
            handler->onEvents(events[i].events);
        }
        drainInbox();
        const auto now = std::chrono::steady_clock::now();
        if (now - lastTick >= std::chrono::milliseconds(kTickMillis)) {
            forEach([now](const std::shared_ptr<IoHandler>& handler) { handler->onTick(now); });
            lastTick = now;
        }
    }
    // Stopping: run what was queued (close requests), then release every handler.
    drainInbox();
    std::vector<std::shared_ptr<IoHandler>> remaining;
    for (auto& [fd, handler] : handlers_) remaining.push_back(handler);
    for (auto& handler : remaining) handler->onLoopStopping();
    for (auto& [fd, handler] : handlers_) ::epoll_ctl(epollFd_, EPOLL_CTL_DEL, fd, nullptr);
    handlers_.clear();
    handlerCount_ = 0;
    // Work queued after this point can no longer run; dropping it releases what it holds.
    std::lock_guard lock(inboxMutex_);
    for (auto& add : pendingAdds_) add.handler->onLoopStopping();
    pendingAdds_.clear();
    pendingWakes_.clear();
    tasks_.clear();
}

EventLoopGroup::EventLoopGroup(const std::string& name, std::size_t threads) {
    if (threads == 0) throw std::invalid_argument(name + ": at least one event loop thread is needed");
    for (std::size_t i = 0; i < threads; ++i) loops_.push_back(std::make_unique<EventLoop>(name + "-" + std::to_string(i)));
}

void EventLoopGroup::start() {
    for (auto& loop : loops_) loop->start();
}

void EventLoopGroup::stop() {
    for (auto& loop : loops_) loop->stop();
}

EventLoop& EventLoopGroup::next() { return *loops_[next_++ % loops_.size()]; }

} // namespace mc::host::net
