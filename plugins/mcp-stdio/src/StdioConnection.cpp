#include "StdioConnection.h"

#include "LineBuffer.h"
#include "mc/json/Scan.h"
#include "mc/thread_name.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>
#include <vector>

namespace mc::mcp_stdio {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// After the leader exits, output still in the pipes is read for at most this long (a daemonized
// grandchild outside the process group could hold them open forever).
constexpr milliseconds kDrainAfterExit{500};
// Without a pidfd the exit of the server is noticed by polling at this interval.
constexpr milliseconds kExitPollInterval{50};
constexpr milliseconds kStdoutEofExitWindow{200};
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kReadsPerWakeup = 16; // fairness between stdout and stderr
constexpr std::size_t kQuotedPrefix = 200;

bool isAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

// True when `word` occurs in `lower` not followed by a letter ("TypeError:" yes, "errors" no).
bool mentions(const std::string& lower, std::string_view word) {
    for (std::size_t at = lower.find(word); at != std::string::npos; at = lower.find(word, at + 1)) {
        const std::size_t end = at + word.size();
        if (end >= lower.size() || !isAlpha(lower[end])) return true;
    }
    return false;
}

// Servers write anything to stderr; only lines that obviously report a problem are raised above INFO.
mc_log_level stderrLevel(std::string_view line) {
    std::string lower(line.substr(0, 256));
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (std::string_view word : {"error", "fatal", "panic", "exception", "traceback", "critical"})
        if (mentions(lower, word)) return MC_LOG_ERROR;
    for (std::string_view word : {"warn", "warning"})
        if (mentions(lower, word)) return MC_LOG_WARN;
    return MC_LOG_INFO;
}

std::string quoted(std::string_view text) {
    std::string out(text.substr(0, kQuotedPrefix));
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20) c = '?';
    return "'" + out + (text.size() > kQuotedPrefix ? "'..." : "'");
}

std::string_view withoutCarriageReturn(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

bool isBlank(std::string_view line) {
    return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

int millisUntil(Clock::time_point when, Clock::time_point now) {
    if (when <= now) return 0;
    return static_cast<int>(std::chrono::ceil<milliseconds>(when - now).count());
}

void drainEventFd(int fd) {
    std::uint64_t value = 0;
    while (::read(fd, &value, sizeof value) > 0) {
    }
}

} // namespace

StdioConnection::StdioConnection(const StdioConfig& config, sdk::Host host, sdk::ConnectionEvents events)
    : config_(config), host_(host), events_(events) {}

std::shared_ptr<StdioConnection> StdioConnection::open(const StdioConfig& config, sdk::Host host, sdk::ConnectionEvents events) {
    std::shared_ptr<StdioConnection> connection(new StdioConnection(config, host, events));
    connection->readerWakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    connection->writerWakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (connection->readerWakeFd_ < 0 || connection->writerWakeFd_ < 0)
        throw sdk::Error(MC_ERR_IO, std::string("cannot create an eventfd: ") + std::strerror(errno));
    connection->child_ = ChildProcess::spawn(config.spawn);
    struct sigaction pipeAction {};
    connection->directWrites_ = ::sigaction(SIGPIPE, nullptr, &pipeAction) == 0 && pipeAction.sa_handler == SIG_IGN;
    try {
        connection->writer_ = std::thread([self = connection] {
            mc::sdk::nameThisThread("stdio-write");
            self->writerLoop();
        });
        connection->reader_ = std::thread([self = connection] {
            mc::sdk::nameThisThread("stdio-read");
            self->readerLoop();
        });
    } catch (const std::system_error& e) {
        // Half-way: stop what runs; the ChildProcess destructor kills and reaps the server.
        connection->callbacksEnabled_ = false;
        connection->stopWriter(Clock::now(), "the connection failed to open");
        if (connection->writer_.joinable()) connection->writer_.join();
        throw sdk::Error(MC_ERR_IO, std::string("cannot start the I/O threads: ") + e.what());
    }
    host.info("started " + connection->label() + ": " + connection->child_->executable() + " (pid " +
              std::to_string(connection->child_->pid()) + ")");
    return connection;
}

StdioConnection::~StdioConnection() {
    for (std::thread* thread : {&reader_, &writer_}) {
        if (!thread->joinable()) continue;
        if (thread->get_id() == std::this_thread::get_id())
            thread->detach(); // the last reference was this thread's own; it is returning now
        else
            thread->join();
    }
    if (readerWakeFd_ >= 0) ::close(readerWakeFd_);
    if (writerWakeFd_ >= 0) ::close(writerWakeFd_);
    child_.reset(); // kills and reaps whatever is left
}

std::string StdioConnection::label() const {
    return config_.id.empty() ? "MCP server '" + config_.spawn.command + "'" : "MCP server '" + config_.id + "'";
}

void StdioConnection::wake(int fd) {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto ignored = ::write(fd, &one, sizeof one);
}

void StdioConnection::send(std::string_view message) {
    if (message.find_first_of("\r\n") != std::string_view::npos)
        throw sdk::Error(MC_ERR_INVALID_ARGUMENT,
                         "message contains a line break; stdio carries one JSON-RPC message per line");
    if (isBlank(message)) throw sdk::Error(MC_ERR_INVALID_ARGUMENT, "empty message");
    const std::string problem = json::problem(message);
    if (!problem.empty()) throw sdk::Error(MC_ERR_INVALID_ARGUMENT, "message is not valid JSON: " + problem);
    const char kind = message[message.find_first_not_of(" \t")];
    if (kind != '{' && kind != '[') throw sdk::Error(MC_ERR_INVALID_ARGUMENT, "message must be a JSON object or array");

    std::lock_guard<std::mutex> lock(queueMutex_);
    if (writerStopping_) throw sdk::Error(MC_ERR_UNAVAILABLE, unavailableReason_);
    if (queuedBytes_ + message.size() + 1 > static_cast<std::size_t>(config_.limits.maxSendQueueBytes))
        throw sdk::Error(MC_ERR_UNAVAILABLE, "send queue is full (" + std::to_string(queuedBytes_) +
                                                 " bytes wait for the server to read its stdin; max_send_queue_bytes = " +
                                                 std::to_string(config_.limits.maxSendQueueBytes) + ")");
    std::string line;
    line.reserve(message.size() + 1);
    line.append(message);
    line.push_back('\n');
    if (directWrites_ && queue_.empty() && !writerBusy_) {
        // Nothing goes before it: write what the pipe takes now (stdin is non-blocking), queue the rest.
        ssize_t written;
        do {
            written = ::write(child_->stdinFd(), line.data(), line.size());
        } while (written < 0 && errno == EINTR);
        if (written == static_cast<ssize_t>(line.size())) return;
        if (written > 0) line.erase(0, static_cast<std::size_t>(written));
        // EAGAIN: the writer waits for room; EPIPE and the like: the writer meets the error and ends.
    }
    queuedBytes_ += line.size();
    queue_.push_back(std::move(line));
    queueCv_.notify_one();
}

void StdioConnection::close() {
    closeRequested_ = true;
    callbacksEnabled_ = false;
    wake(readerWakeFd_);
    if (std::this_thread::get_id() == readerThreadId_.load()) {
        closedInsideCallback_ = true; // the reader finishes by itself, without a word to the host
        return;
    }
    if (reader_.joinable()) reader_.join();
}

void StdioConnection::stopWriter(Clock::time_point flushDeadline, const std::string& reason) {
    {
        std::lock_guard<std::mutex> lock(queueMutex_);
        if (!writerStopping_) {
            writerStopping_ = true;
            flushDeadline_ = flushDeadline;
            unavailableReason_ = reason;
        } else {
            flushDeadline_ = std::min(flushDeadline_, flushDeadline);
        }
    }
    queueCv_.notify_all();
    wake(writerWakeFd_);
}

void StdioConnection::writerLoop() {
    // Writing to a server that died raises SIGPIPE on this very thread; blocked here, it stays pending
    // (and is consumed) instead of killing the host.
    sigset_t pipeSignal;
    sigemptyset(&pipeSignal);
    sigaddset(&pipeSignal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipeSignal, nullptr);

    for (;;) {
        std::string next;
        {
            std::unique_lock<std::mutex> lock(queueMutex_);
            writerBusy_ = false;
            queueCv_.wait(lock, [&] { return !queue_.empty() || writerStopping_; });
            if (queue_.empty()) break;
            if (writerStopping_ && Clock::now() >= flushDeadline_) break;
            next = std::move(queue_.front());
            queue_.pop_front();
            queuedBytes_ -= next.size();
            writerBusy_ = true;
        }
        if (!writeAll(next)) break;
    }
    {
        std::lock_guard<std::mutex> lock(queueMutex_);
        if (!writerStopping_) {
            writerStopping_ = true;
            unavailableReason_ = "the server closed its stdin";
        }
        queue_.clear();
        queuedBytes_ = 0;
    }
    child_->closeStdin(); // EOF: the first step of a graceful shutdown
}

bool StdioConnection::writeAll(const std::string& data) {
    const int fd = child_->stdinFd();
    std::size_t offset = 0;
    while (offset < data.size()) {
        const ssize_t written = ::write(fd, data.data() + offset, data.size() - offset);
        if (written > 0) {
            offset += static_cast<std::size_t>(written);
            continue;
        }
        if (written < 0 && errno == EINTR) continue;
        if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int timeout = -1;
            {
                std::lock_guard<std::mutex> lock(queueMutex_);
                if (writerStopping_) {
                    timeout = millisUntil(flushDeadline_, Clock::now());
                    if (timeout == 0) return false; // the server stopped reading; shutdown goes on without it
                }
            }
            pollfd fds[2] = {{fd, POLLOUT, 0}, {writerWakeFd_, POLLIN, 0}};
            ::poll(fds, 2, timeout);
            if (fds[1].revents & POLLIN) drainEventFd(writerWakeFd_);
            continue;
        }
        if (written < 0 && errno == EPIPE) {
            sigset_t pipeSignal;
            sigemptyset(&pipeSignal);
            sigaddset(&pipeSignal, SIGPIPE);
            const timespec noWait{0, 0};
            ::sigtimedwait(&pipeSignal, nullptr, &noWait);
        }
        return false;
    }
    return true;
}

void StdioConnection::beginTermination(EndCause cause, const std::string& detail) {
    if (terminating_.exchange(true)) return; // the first cause wins; the schedule is already running
    cause_ = cause;
    causeDetail_ = detail;
    stopWriter(Clock::now() + milliseconds(config_.limits.shutdownGraceMs),
               cause == EndCause::Closed ? "the connection is closed" : "the connection is closing: " + detail);
}

void StdioConnection::diagnostic(mc_log_level level, const std::string& text) {
    if (!callbacksEnabled_) return;
    host_.log(level, label() + ": " + text);
    events_.log(level, "[mcp-stdio] " + text);
}

void StdioConnection::deliverStdoutLine(std::string_view rawLine) {
    if (stdoutDead_ || !callbacksEnabled_) return;
    const std::string_view line = withoutCarriageReturn(rawLine);
    if (isBlank(line)) return;
    // Only a batch needs its parts; a message is checked and passed on as it is.
    const char first = line[line.find_first_not_of(" \t\n\r")];
    json::Scan scan;
    if (first == '[') {
        scan = json::scan(line);
    } else {
        scan.problem = json::problem(line);
        scan.kind = first;
    }
    if (!scan.ok()) {
        diagnostic(MC_LOG_WARN, "dropped a stdout line that is not JSON (" + scan.problem + "): " + quoted(line));
        return;
    }
    if (!answered_ && (scan.kind == '{' || scan.kind == '[')) {
        // The first JSON-RPC output: the server is up and speaking (health of the connection).
        answered_ = true;
        events_.status(MC_COMPONENT_OK, "the server answers (pid " + std::to_string(child_->pid()) + ")");
        if (!callbacksEnabled_) return;
    }
    if (scan.kind == '{') {
        events_.message(line);
        return;
    }
    if (scan.kind == '[') {
        if (scan.elements.empty()) diagnostic(MC_LOG_WARN, "dropped an empty JSON-RPC batch from stdout");
        for (std::string_view element : scan.elements) {
            if (!callbacksEnabled_) return;
            if (element.front() == '{')
                events_.message(element);
            else
                diagnostic(MC_LOG_WARN, "dropped a batch element that is not a JSON object: " + quoted(element));
        }
        return;
    }
    diagnostic(MC_LOG_WARN, "dropped a stdout line that is not a JSON object: " + quoted(line));
}

void StdioConnection::deliverStderrLine(std::string_view rawLine) {
    if (!callbacksEnabled_) return;
    const std::string_view line = withoutCarriageReturn(rawLine);
    if (isBlank(line)) return;
    events_.log(stderrLevel(line), line);
}

void StdioConnection::readerLoop() {
    // Set here, not from reader_: a callback may call close() before open() has stored reader_.
    readerThreadId_ = std::this_thread::get_id();
    LineBuffer stdoutLines(static_cast<std::size_t>(config_.limits.maxLineBytes));
    LineBuffer stderrLines(static_cast<std::size_t>(config_.limits.maxStderrLineBytes));
    std::vector<char> chunk(kReadChunk);

    auto onStdoutLine = [this](std::string_view line) { deliverStdoutLine(line); };
    auto onStdoutOversize = [this](std::string_view) {
        if (stdoutDead_) return;
        const std::string detail = "the server wrote a stdout line longer than max_line_bytes (" +
                                   std::to_string(config_.limits.maxLineBytes) + " bytes)";
        diagnostic(MC_LOG_ERROR, detail + "; closing the connection");
        stdoutDead_ = true;
        beginTermination(EndCause::OversizeLine, detail);
    };
    auto onStderrLine = [this](std::string_view line) { deliverStderrLine(line); };
    auto onStderrOversize = [this](std::string_view head) {
        deliverStderrLine(std::string(head) + " ... [truncated: line longer than max_stderr_line_bytes = " +
                          std::to_string(config_.limits.maxStderrLineBytes) + "]");
    };

    // Reads what is available; false at end of stream.
    auto pump = [&](int fd, LineBuffer& lines, auto& onLine, auto& onOversize) {
        for (int round = 0; round < kReadsPerWakeup; ++round) {
            const ssize_t got = ::read(fd, chunk.data(), chunk.size());
            if (got > 0) {
                lines.feed(chunk.data(), static_cast<std::size_t>(got), onLine, onOversize);
                // A short read emptied the pipe: poll says when more comes (no read to meet EAGAIN).
                if (static_cast<std::size_t>(got) < chunk.size()) return true;
                continue;
            }
            if (got < 0 && errno == EINTR) continue;
            if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
            lines.finish(onLine); // EOF, or a read error that ends the stream all the same
            return false;
        }
        return true;
    };

    bool stdoutOpen = true;
    bool stderrOpen = true;
    bool exited = false;
    bool termSent = false;
    bool killSent = false;
    Clock::time_point drainUntil{};
    Clock::time_point termAt{};
    Clock::time_point killAt{};
    bool scheduled = false;
    bool exitSignalled = true; // whether to ask (waitid) if the server exited: at first, then when its pidfd fires

    for (;;) {
        if (closeRequested_) beginTermination(EndCause::Closed, "closed by the host");
        const Clock::time_point now = Clock::now();
        if (terminating_ && !scheduled) {
            scheduled = true;
            termAt = now + milliseconds(config_.limits.shutdownGraceMs);
            killAt = termAt + milliseconds(config_.limits.terminateGraceMs);
        }
        // With a pidfd, poll reports the exit; without one, every round asks (poll wakes at kExitPollInterval).
        if (!exited && (exitSignalled || child_->exitFd() < 0) && child_->hasExited()) {
            exited = true;
            terminating_ = true;
            child_->signalGroup(SIGKILL); // leftovers of the group (the leader is gone) must not linger
            drainUntil = now + kDrainAfterExit;
            stopWriter(now, "the server process has exited");
        }
        if (exited) {
            if ((!stdoutOpen && !stderrOpen) || now >= drainUntil) break;
        } else if (scheduled) {
            if (!termSent && now >= termAt) {
                termSent = true;
                child_->signalGroup(SIGTERM);
            }
            if (!killSent && now >= killAt) {
                killSent = true;
                child_->signalGroup(SIGKILL);
            }
        }

        int timeout = -1;
        auto until = [&](Clock::time_point when) {
            const int ms = millisUntil(when, now);
            timeout = timeout < 0 ? ms : std::min(timeout, ms);
        };
        if (exited)
            until(drainUntil);
        else if (scheduled && !termSent)
            until(termAt);
        else if (scheduled && !killSent)
            until(killAt);
        if (!exited && child_->exitFd() < 0) until(now + kExitPollInterval);

        pollfd fds[4] = {{stdoutOpen ? child_->stdoutFd() : -1, POLLIN, 0},
                         {stderrOpen ? child_->stderrFd() : -1, POLLIN, 0},
                         {readerWakeFd_, POLLIN, 0},
                         {exited ? -1 : child_->exitFd(), POLLIN, 0}};
        if (::poll(fds, 4, timeout) < 0 && errno != EINTR) {
            diagnostic(MC_LOG_ERROR, std::string("poll failed: ") + std::strerror(errno));
            std::this_thread::sleep_for(milliseconds(10));
            continue;
        }
        exitSignalled = fds[3].revents != 0;
        if (fds[2].revents & POLLIN) drainEventFd(readerWakeFd_);
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            stdoutOpen = pump(child_->stdoutFd(), stdoutLines, onStdoutLine, onStdoutOversize);
            // A server that exits closes its pipes a moment before it becomes waitable: that is an
            // exit, not a server that closed stdout and lives on.
            if (!stdoutOpen && !exited && !child_->waitForExit(kStdoutEofExitWindow))
                beginTermination(EndCause::StdoutClosed, "the server closed its stdout");
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
            stderrOpen = pump(child_->stderrFd(), stderrLines, onStderrLine, onStderrOversize);
    }

    const std::string exitText = child_->reap();
    stopWriter(Clock::now(), "the server process has exited");
    if (writer_.joinable()) writer_.join();

    std::string detail = exitText;
    if (cause_ == EndCause::StdoutClosed || cause_ == EndCause::OversizeLine) detail = causeDetail_ + "; " + exitText;
    if (cause_ == EndCause::Closed || cause_ == EndCause::StdoutClosed || cause_ == EndCause::OversizeLine) {
        if (killSent)
            detail += " (SIGKILL: it outlived stdin EOF by shutdown_grace_ms and SIGTERM by terminate_grace_ms)";
        else if (termSent)
            detail += " (SIGTERM: it outlived stdin EOF by shutdown_grace_ms)";
        else
            detail += " (after stdin EOF)";
    }
    if (cause_ == EndCause::Closed) {
        // close() runs on another thread and waits for this one, so the host is still there to hear it,
        // unless close() came from inside a callback (then the instance may already be going away).
        if (!closedInsideCallback_) host_.info(label() + " stopped: " + detail);
        return;
    }
    if (!callbacksEnabled_) return;
    host_.warn(label() + " (pid " + std::to_string(child_->pid()) + ") ended: " + detail);
    events_.closed(MC_ERR_IO, detail);
}

} // namespace mc::mcp_stdio
