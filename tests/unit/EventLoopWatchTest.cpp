// A plugin's socket waited for on a host I/O thread (mc_host_api.watch_readable, ABI 2.4, through
// HostContext onto net::EventLoop::watchReadable): exactly one ready per watch, on the loop's own
// thread, for data, a closed peer, a deadline or the loop stopping; refused off a loop thread.
#include "net/EventLoop.h"
#include "plugin/HostContext.h"

#include <cppunit/extensions/HelperMacros.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

using mc::host::HostContext;
using mc::host::net::EventLoop;

namespace {

struct Calls {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<int> readable;              // each ready's argument, in order
    std::vector<std::thread::id> threads;   // and the thread it ran on
    std::vector<EventLoop*> loops;          // EventLoop::current() there
    int fd = -1;
    int rewatches = 0;                      // watch again from inside ready this many times
    std::vector<mc_status> rewatchStatus;

    bool waitFor(std::size_t n) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, std::chrono::seconds(5), [&] { return readable.size() >= n; });
    }
};

void ready(void* ctx, int readable) {
    auto* calls = static_cast<Calls*>(ctx);
    bool again = false;
    {
        std::lock_guard lock(calls->mutex);
        calls->readable.push_back(readable);
        calls->threads.push_back(std::this_thread::get_id());
        calls->loops.push_back(EventLoop::current());
        again = calls->rewatches > 0;
        if (again) --calls->rewatches;
    }
    if (again) {
        // The fd is still readable: the new watch fires at the loop's next turn.
        const mc_status status = HostContext::api()->watch_readable(nullptr, calls->fd, 5'000'000, &ready, calls);
        std::lock_guard lock(calls->mutex);
        calls->rewatchStatus.push_back(status);
    }
    calls->changed.notify_all();
}

// Runs `body` on the loop's thread and returns what it returned.
mc_status onLoop(EventLoop& loop, std::function<mc_status()> body) {
    std::promise<mc_status> done;
    auto result = done.get_future();
    loop.post([&] { done.set_value(body()); });
    return result.get();
}

struct SocketPair {
    int fds[2]{-1, -1};
    SocketPair() { CPPUNIT_ASSERT_EQUAL(0, ::socketpair(AF_UNIX, SOCK_STREAM, 0, fds)); }
    ~SocketPair() {
        for (int fd : fds)
            if (fd >= 0) ::close(fd);
    }
};

} // namespace

class EventLoopWatchTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EventLoopWatchTest);
    CPPUNIT_TEST(offALoopThreadTheWatchIsRefused);
    CPPUNIT_TEST(dataCallsReadyOnceOnTheLoopThread);
    CPPUNIT_TEST(aClosedPeerAndADeadlineCallReadyToo);
    CPPUNIT_TEST(readyMayWatchAgain);
    CPPUNIT_TEST(aStoppingLoopEndsEveryWatch);
    CPPUNIT_TEST_SUITE_END();

public:
    void offALoopThreadTheWatchIsRefused() {
        const mc_host_api* api = HostContext::api();
        CPPUNIT_ASSERT_EQUAL(static_cast<uint32_t>(4), api->abi_minor);
        CPPUNIT_ASSERT(api->struct_size >= offsetof(mc_host_api, watch_readable) + sizeof api->watch_readable);
        Calls calls;
        SocketPair pair;
        CPPUNIT_ASSERT_EQUAL(MC_ERR_UNSUPPORTED, api->watch_readable(nullptr, pair.fds[0], 1000, &ready, &calls));
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, api->watch_readable(nullptr, -1, 1000, &ready, &calls));
        CPPUNIT_ASSERT_EQUAL(MC_ERR_INVALID_ARGUMENT, api->watch_readable(nullptr, pair.fds[0], 1000, nullptr, &calls));
        CPPUNIT_ASSERT(calls.readable.empty());
    }

    void dataCallsReadyOnceOnTheLoopThread() {
        EventLoop loop("watch-test");
        loop.start();
        Calls calls;
        SocketPair pair;
        CPPUNIT_ASSERT_EQUAL(MC_OK, onLoop(loop, [&] { return HostContext::api()->watch_readable(nullptr, pair.fds[0], 5'000'000, &ready, &calls); }));
        // The same fd twice is refused while the first watch lasts.
        CPPUNIT_ASSERT_EQUAL(MC_ERR_UNAVAILABLE,
                             onLoop(loop, [&] { return HostContext::api()->watch_readable(nullptr, pair.fds[0], 5'000'000, &ready, &calls); }));
        std::this_thread::sleep_for(std::chrono::milliseconds(150)); // a tick passes: nothing to read, no call
        CPPUNIT_ASSERT(calls.readable.empty());
        CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(1), ::write(pair.fds[1], "x", 1));
        CPPUNIT_ASSERT(calls.waitFor(1));
        std::thread::id loopThread;
        onLoop(loop, [&] {
            loopThread = std::this_thread::get_id();
            return MC_OK;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(150)); // still readable: no second call
        std::lock_guard lock(calls.mutex);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, calls.readable.size());
        CPPUNIT_ASSERT_EQUAL(1, calls.readable[0]);
        CPPUNIT_ASSERT(calls.threads[0] == loopThread);
        CPPUNIT_ASSERT_EQUAL(&loop, calls.loops[0]);
        char byte = 0; // the fd is still the caller's, open and unread
        CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(1), ::read(pair.fds[0], &byte, 1));
        CPPUNIT_ASSERT_EQUAL('x', byte);
    }

    void aClosedPeerAndADeadlineCallReadyToo() {
        EventLoop loop("watch-test");
        loop.start();
        Calls closedPeer, deadline;
        SocketPair a, b;
        CPPUNIT_ASSERT_EQUAL(MC_OK, onLoop(loop, [&] { return HostContext::api()->watch_readable(nullptr, a.fds[0], 5'000'000, &ready, &closedPeer); }));
        const auto asked = std::chrono::steady_clock::now();
        CPPUNIT_ASSERT_EQUAL(MC_OK, onLoop(loop, [&] { return HostContext::api()->watch_readable(nullptr, b.fds[0], 1'000, &ready, &deadline); }));
        ::shutdown(a.fds[1], SHUT_WR);
        CPPUNIT_ASSERT(closedPeer.waitFor(1));
        CPPUNIT_ASSERT(deadline.waitFor(1));
        const auto waited = std::chrono::steady_clock::now() - asked;
        CPPUNIT_ASSERT_EQUAL(1, closedPeer.readable[0]);
        CPPUNIT_ASSERT_EQUAL(0, deadline.readable[0]);
        CPPUNIT_ASSERT_MESSAGE("the deadline is kept within the loop's tick", waited < std::chrono::seconds(2));
    }

    void readyMayWatchAgain() {
        EventLoop loop("watch-test");
        loop.start();
        Calls calls;
        SocketPair pair;
        calls.fd = pair.fds[0];
        calls.rewatches = 2;
        CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(1), ::write(pair.fds[1], "x", 1));
        CPPUNIT_ASSERT_EQUAL(MC_OK, onLoop(loop, [&] { return HostContext::api()->watch_readable(nullptr, pair.fds[0], 5'000'000, &ready, &calls); }));
        CPPUNIT_ASSERT(calls.waitFor(3));
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        std::lock_guard lock(calls.mutex);
        CPPUNIT_ASSERT_EQUAL(std::size_t{3}, calls.readable.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, calls.rewatchStatus.size());
        CPPUNIT_ASSERT_EQUAL(MC_OK, calls.rewatchStatus[0]);
        CPPUNIT_ASSERT_EQUAL(MC_OK, calls.rewatchStatus[1]);
    }

    void aStoppingLoopEndsEveryWatch() {
        Calls calls;
        SocketPair a, b;
        {
            EventLoop loop("watch-test");
            loop.start();
            CPPUNIT_ASSERT_EQUAL(MC_OK, onLoop(loop, [&] { return HostContext::api()->watch_readable(nullptr, a.fds[0], 60'000'000, &ready, &calls); }));
            CPPUNIT_ASSERT_EQUAL(MC_OK, onLoop(loop, [&] { return HostContext::api()->watch_readable(nullptr, b.fds[0], 60'000'000, &ready, &calls); }));
            loop.stop();
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, calls.readable.size());
        CPPUNIT_ASSERT_EQUAL(0, calls.readable[0]);
        CPPUNIT_ASSERT_EQUAL(0, calls.readable[1]);
        // The sockets stay open: the watch never owned them.
        CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(1), ::write(a.fds[1], "x", 1));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventLoopWatchTest);
