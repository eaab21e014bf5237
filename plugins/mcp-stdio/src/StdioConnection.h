#pragma once
// One running MCP server process and the two threads that move its messages:
//  - the reader polls stdout, stderr, the exit of the process and a wake-up fd. It delivers every
//    callback (so they are serialized), drives the shutdown schedule (stdin closed -> grace -> SIGTERM
//    to the group -> grace -> SIGKILL) and reaps the process;
//  - the writer drains the send queue into stdin, so send() never blocks on a server that does not
//    read. It blocks SIGPIPE for itself: a dead server yields EPIPE, never a signal to the host.
//    When nothing waits in the queue and the process ignores SIGPIPE (the host does; checked when
//    the connection opens), send() writes the line itself without blocking, and the writer takes only
//    what the pipe did not: a message reaches the server without waking another thread.
// Both threads hold a shared_ptr to the connection, so close() called from inside a callback (on the
// reader thread) cannot pull the connection out from under them.
#include "ChildProcess.h"
#include "StdioConfig.h"

#include "mc/sdk.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace mc::mcp_stdio {

class StdioConnection : public std::enable_shared_from_this<StdioConnection> {
public:
    // Starts the process and the threads. Throws mc::sdk::Error (MC_ERR_IO when the command cannot
    // be started); nothing is left running then.
    static std::shared_ptr<StdioConnection> open(const StdioConfig& config, sdk::Host host, sdk::ConnectionEvents events);
    ~StdioConnection();
    StdioConnection(const StdioConnection&) = delete;
    StdioConnection& operator=(const StdioConnection&) = delete;

    // Queues one message (a line break is appended). Throws mc::sdk::Error: MC_ERR_INVALID_ARGUMENT
    // for a message that is empty, not JSON or has a line break; MC_ERR_UNAVAILABLE once the
    // connection is closing or gone, or when the queue is full.
    void send(std::string_view message);

    // Stops callbacks at once, then runs the shutdown schedule and reaps the process. Blocks until
    // done unless called on the reader thread (from a callback): then the reader finishes on its own.
    void close();

    // True while the process is up and no shutdown has begun.
    bool running() const { return !terminating_.load(); }
    pid_t pid() const { return child_->pid(); }

private:
    enum class EndCause { None, Exited, StdoutClosed, OversizeLine, Closed };

    StdioConnection(const StdioConfig& config, sdk::Host host, sdk::ConnectionEvents events);
    void readerLoop();
    void writerLoop();
    bool writeAll(const std::string& data);
    void stopWriter(std::chrono::steady_clock::time_point flushDeadline, const std::string& reason);
    void beginTermination(EndCause cause, const std::string& detail);
    void deliverStdoutLine(std::string_view line);
    void deliverStderrLine(std::string_view line);
    void diagnostic(mc_log_level level, const std::string& text);
    void wake(int fd);
    std::string label() const;

    const StdioConfig config_;
    const sdk::Host host_;
    const sdk::ConnectionEvents events_;
    std::unique_ptr<ChildProcess> child_;
    int readerWakeFd_ = -1;
    int writerWakeFd_ = -1;

    // Callbacks and host calls are made only while this is true; close() clears it first.
    std::atomic<bool> callbacksEnabled_{true};
    std::atomic<bool> closeRequested_{false};
    std::atomic<bool> terminating_{false};
    EndCause cause_ = EndCause::None; // reader thread only
    std::string causeDetail_;         // reader thread only
    bool stdoutDead_ = false;         // reader thread only: an oversize line ended delivery
    bool closedInsideCallback_ = false; // reader thread only
    bool answered_ = false;           // reader thread only: on_status(OK) sent at the first message

    std::mutex queueMutex_;
    std::condition_variable queueCv_;
    std::deque<std::string> queue_;
    std::size_t queuedBytes_ = 0;
    bool writerStopping_ = false;
    bool writerBusy_ = false;   // the writer holds a line it took from the queue (it writes without the lock)
    bool directWrites_ = false; // set at open: SIGPIPE is ignored, so send() may write stdin itself
    std::chrono::steady_clock::time_point flushDeadline_;
    std::string unavailableReason_;

    std::atomic<std::thread::id> readerThreadId_{};
    std::thread reader_;
    std::thread writer_;
};

} // namespace mc::mcp_stdio
