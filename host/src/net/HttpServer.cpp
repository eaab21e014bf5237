#include "net/HttpServer.h"

#include "log/Logging.h"
#include "mc/thread_name.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/FileStream.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <future>
#include <stdexcept>

namespace mc::host::net {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kMaxBufferedInput = 64 * 1024; // pipelined bytes kept while a request is handled
constexpr int kMaxIovecs = 64;
constexpr std::size_t kStreamChunk = 16 * 1024;
constexpr std::size_t kStreamHighWater = 256 * 1024; // a streaming writer waits beyond this
constexpr int kMaxAcceptsPerWakeup = 64;
const std::string kServerName = "mission-control/" MC_VERSION;

using Clock = std::chrono::steady_clock;

const Poco::Net::HTTPServerParams& sharedParams() {
    static const Poco::Net::HTTPServerParams::Ptr params(new Poco::Net::HTTPServerParams);
    return *params;
}

std::string addressText(const Poco::Net::SocketAddress& address) { return address.host().toString(); }

// The Date header's value, formatted once a second per thread (it names whole seconds).
const std::string& httpDate() {
    thread_local std::time_t second = -1;
    thread_local std::string text;
    const Poco::Timestamp now;
    if (now.epochTime() != second) {
        second = now.epochTime();
        text = Poco::DateTimeFormatter::format(now, Poco::DateTimeFormat::HTTP_FORMAT);
    }
    return text;
}

// "HTTP/1.1 200 OK\r\n" + the response's headers + our framing headers (no blank line).
std::string responseHead(const Poco::Net::HTTPResponse& response, const std::string& serverName, bool keepAlive,
                         const std::string& framing) {
    // The status's own reason phrase: a handler sets the status alone (Poco's setStatus keeps "OK").
    std::string out;
    out.reserve(256);
    out.append("HTTP/1.1 ").append(std::to_string(static_cast<int>(response.getStatus()))).append(" ")
        .append(Poco::Net::HTTPResponse::getReasonForStatus(response.getStatus())).append("\r\n");
    bool hasServer = false, hasDate = false;
    for (const auto& [name, value] : response) {
        if (Poco::icompare(name, "Content-Length") == 0 || Poco::icompare(name, "Transfer-Encoding") == 0 ||
            Poco::icompare(name, "Connection") == 0)
            continue;
        if (Poco::icompare(name, "Server") == 0) hasServer = true;
        if (Poco::icompare(name, "Date") == 0) hasDate = true;
        out.append(name).append(": ").append(value).append("\r\n");
    }
    if (!hasServer) out.append("Server: ").append(serverName).append("\r\n");
    if (!hasDate) out.append("Date: ").append(httpDate()).append("\r\n");
    out += framing;
    out += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    return out;
}

bool bodyAllowed(int status) { return status >= 200 && status != 204 && status != 304; }

// A plain JSON error (the web layer's shape) for what the server answers itself.
std::string errorResponse(int status, const std::string& reason, const std::string& code, const std::string& message,
                          const std::string& serverName, const std::string& extraHeaders = {}) {
    std::string escaped;
    for (char c : message) {
        if (c == '"' || c == '\\') escaped += '\\';
        if (static_cast<unsigned char>(c) < 0x20) continue;
        escaped += c;
    }
    const std::string body = "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + escaped + "\",\"details\":{}}}";
    return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nServer: " + serverName +
           "\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n" + extraHeaders +
           "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

// The machine code of an error the parser found (the JSON error shape's "code").
std::string errorCodeFor(int status) {
    switch (status) {
    case 408: return "request_timeout";
    case 413: return "payload_too_large";
    case 414: return "uri_too_long";
    case 431: return "headers_too_large";
    case 501: return "not_implemented";
    case 505: return "http_version_not_supported";
    default: return "bad_request";
    }
}

std::string reasonFor(int status) {
    return Poco::Net::HTTPResponse::getReasonForStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
}

} // namespace

// ---- the worker pool ----------------------------------------------------------------------------------

class HttpServer::WorkerPool {
public:
    WorkerPool(std::size_t threads, std::size_t maxQueued) : maxQueued_(maxQueued) {
        for (std::size_t i = 0; i < threads; ++i)
            threads_.emplace_back([this] {
                mc::sdk::nameThisThread("mc-http-worker");
                run();
            });
    }
    ~WorkerPool() { stop(); }

    bool submit(std::function<void()> job) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_ || queue_.size() >= maxQueued_) return false;
            queue_.push_back(std::move(job));
        }
        changed_.notify_one();
        return true;
    }
    bool waitIdle(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return idle_.wait_for(lock, timeout, [this] { return queue_.empty() && busy_ == 0; });
    }
    void stop() {
        {
            std::lock_guard lock(mutex_);
            if (stopping_ && threads_.empty()) return;
            stopping_ = true;
        }
        changed_.notify_all();
        for (auto& t : threads_)
            if (t.joinable()) t.join();
        threads_.clear();
    }
    std::size_t busy() const {
        std::lock_guard lock(mutex_);
        return busy_;
    }
    std::size_t queued() const {
        std::lock_guard lock(mutex_);
        return queue_.size();
    }

private:
    void run() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(mutex_);
                changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) return; // stopping and drained
                job = std::move(queue_.front());
                queue_.pop_front();
                ++busy_;
            }
            try {
                job();
            } catch (const std::exception& e) {
                logging::get("http")->error("a request handler escaped with an exception: {}", e.what());
            }
            {
                std::lock_guard lock(mutex_);
                --busy_;
                if (queue_.empty() && busy_ == 0) idle_.notify_all();
            }
        }
    }

    const std::size_t maxQueued_;
    mutable std::mutex mutex_;
    std::condition_variable changed_, idle_;
    std::deque<std::function<void()>> queue_;
    std::vector<std::thread> threads_;
    std::size_t busy_ = 0;
    bool stopping_ = false;
};

// ---- one connection ----------------------------------------------------------------------------------

class HttpConnection final : public IoHandler {
public:
    HttpConnection(HttpServer& server, EventLoop& loop, std::unique_ptr<Transport> transport, Poco::Net::SocketAddress peer)
        : server_(server), loop_(loop), transport_(std::move(transport)), fd_(transport_->fd()), peer_(std::move(peer)),
          address_(addressText(peer_)), parser_(server.settings_.limits) {
        const auto now = Clock::now();
        state_ = transport_->secure() ? State::Handshake : State::ReadHead;
        deadline_ = now + server_.settings_.headerTimeout;
    }

    int fd() const override { return fd_; }
    EventLoop& loop() { return loop_; }

    void onEvents(std::uint32_t events) override {
        if (state_ == State::Closed) return;
        if (events & (EPOLLERR | EPOLLHUP)) {
            close();
            return;
        }
        if (events & EPOLLOUT) flush();
        if (state_ == State::Closed) return;
        if (state_ == State::Handshake) {
            handshake();
            return;
        }
        if (((events & (EPOLLIN | EPOLLRDHUP)) && reading()) || ((events & EPOLLIN) && state_ == State::Waiting)) readInput();
        if ((events & EPOLLRDHUP) && state_ == State::Waiting) peerHungUp();
        updateInterest();
    }

    void onTick(Clock::time_point now) override {
        if (state_ == State::Closed) return;
        if (!out_.empty() && now - lastWriteProgress_ > server_.settings_.writeTimeout) {
            logging::get("http")->debug("{}: closed: the client read nothing for {} ms", address_,
                                        server_.settings_.writeTimeout.count());
            ++server_.timedOut_;
            close();
            return;
        }
        if (state_ == State::Waiting && exchange_ && exchange_->deferred_ && now >= exchange_->deferDeadline_) {
            auto exchange = exchange_;
            if (!exchange->answered_.exchange(true)) {
                if (exchange->onTimeout_) exchange->onTimeout_(exchange->response_);
                exchange->finish();
            }
            return;
        }
        if ((state_ == State::Handshake || state_ == State::ReadHead || state_ == State::ReadBody) && now >= deadline_) {
            ++server_.timedOut_;
            if (state_ == State::ReadHead && requestStarted_) {
                answerAndClose(408, "request_timeout",
                               "the request head was not received within " +
                                   std::to_string(server_.settings_.headerTimeout.count()) + " ms (http.header_timeout_ms)");
            } else if (state_ == State::ReadBody) {
                answerAndClose(408, "request_timeout",
                               "the request body was not received within " +
                                   std::to_string(server_.settings_.bodyTimeout.count()) + " ms (http.body_timeout_ms)");
            } else {
                close(); // nothing of a request arrived: just hang up
            }
        }
    }

    void onLoopStopping() override { close(); }

    // Server stopping: idle connections go now, busy ones after their response.
    void closeWhenIdle() {
        stopping_ = true;
        if (state_ == State::ReadHead && !requestStarted_ && out_.empty()) close();
    }

    // --- from HttpExchange (posted to the loop) ---
    // `bytes`: what the exchange's thread did not write itself (writeDirectly), possibly nothing.
    void responseReady(const std::shared_ptr<HttpExchange>& exchange, std::string bytes, bool keepAlive) {
        if (state_ == State::Closed || exchange != exchange_) return;
        if (!bytes.empty()) queue(std::move(bytes), nullptr);
        endExchange(keepAlive);
    }

    // --- from HttpExchange, on the thread that has the answer ---
    // A waiting plain connection with nothing queued lets the thread that completes its exchange write
    // the answer itself (non-blocking), once: the client has it without waiting for this loop to wake.
    // The loop then only does its bookkeeping (responseReady with what the socket did not take).
    // Returns the bytes written (0 when it may not, or the socket took nothing).
    std::size_t writeDirectly(const HttpExchange* exchange, const std::string& bytes, bool keepAlive) {
        std::lock_guard lock(directMutex_);
        if (directExchange_ != exchange || bytes.empty()) return 0;
        directExchange_ = nullptr;
        ssize_t written;
        do {
            written = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        } while (written < 0 && errno == EINTR);
        if (written == static_cast<ssize_t>(bytes.size()) && keepAlive) answeredWhole_ = exchange;
        return written > 0 ? static_cast<std::size_t>(written) : 0; // an error: the loop meets it writing the rest
    }
    // Whether the client sent more while its request waited (then the answer's bookkeeping may not
    // wait for the loop's next wake-up: that arrival was it).
    bool bufferedWhileWaiting() const { return bufferedWhileWaiting_; }
    void streamBytes(const std::shared_ptr<HttpExchange>& exchange, std::string bytes) {
        if (state_ == State::Closed || exchange != exchange_) {
            exchange->streamProgress(bytes.size());
            exchange->failStream();
            return;
        }
        queue(std::move(bytes), exchange);
        updateInterest();
    }
    // The handler returned having deferred its answer: a client that already left gives it up.
    void exchangeDeferred(const std::shared_ptr<HttpExchange>& exchange) {
        if (state_ != State::Closed && exchange == exchange_ && peerDone_) peerHungUp();
    }
    // A held stream's client fell too far behind (HttpExchange::sendOnStream): disconnect it.
    void streamBacklogged(const std::shared_ptr<HttpExchange>& exchange) {
        if (state_ == State::Closed || exchange != exchange_) return;
        logging::get("http")->info("{}: closed: the client fell more than {} bytes behind its stream", address_,
                                   HttpExchange::kHeldStreamBacklog);
        close();
    }
    void streamEnded(const std::shared_ptr<HttpExchange>& exchange, bool keepAlive) {
        if (state_ == State::Closed || exchange != exchange_) return;
        endExchange(keepAlive);
    }

private:
    enum class State { Handshake, ReadHead, ReadBody, Waiting, Upgrading, Closed };

    struct Output {
        std::string bytes;
        std::size_t offset = 0;
        std::shared_ptr<HttpExchange> stream; // told about progress (streamed responses)
    };

    bool reading() const { return state_ == State::ReadHead || state_ == State::ReadBody; }

    void handshake() {
        std::string error;
        switch (transport_->handshake(error)) {
        case Transport::Step::Done:
            state_ = State::ReadHead;
            deadline_ = Clock::now() + server_.settings_.headerTimeout;
            readInput(); // a client may have sent its request with the last handshake flight
            break;
        case Transport::Step::Again: break;
        case Transport::Step::Failed:
            logging::get("http")->debug("{}: TLS handshake failed: {}", address_, error);
            close();
            return;
        }
        updateInterest();
    }

    // Reading a request, or keeping what the client sends while its request waits for the answer:
    // the socket stays watched for input then too (no epoll change per request), and what came (its
    // next request) is parsed once the answer is out (endExchange). The answer's bookkeeping may then
    // come lazily (HttpExchange::finish): the next request's arrival is what wakes this loop for both.
    bool takesInput() const { return reading() || (state_ == State::Waiting && !peerDone_); }
    void readInput() {
        char buffer[kReadChunk];
        for (int i = 0; i < 4 && takesInput() && in_.size() < kMaxBufferedInput; ++i) {
            const ssize_t n = transport_->read(buffer, sizeof buffer);
            if (n == 0 && state_ == State::Waiting) {
                peerHungUp(); // a deferred answer is cancelled
                return;
            }
            if (n == 0) {
                // The client is done sending. Nothing pending: hang up; a request in progress is cut.
                if (out_.empty()) {
                    close();
                } else {
                    closeAfterFlush_ = true;
                    peerDone_ = true;
                }
                return;
            }
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                if (errno == EINTR) continue;
                close();
                return;
            }
            in_.append(buffer, static_cast<std::size_t>(n));
            // A short read emptied the socket: epoll (level-triggered) reports what comes next, so no
            // read is spent meeting EAGAIN.
            const bool drained = static_cast<std::size_t>(n) < sizeof buffer;
            if (state_ == State::Waiting) {
                // The answer may be out already, written whole by the thread that had it: its
                // bookkeeping is done here and the request is read now, not at that thread's wake-up.
                if (answeredDirectly()) {
                    endExchange(true);
                    if (state_ == State::Closed) return;
                    if (drained) break;
                    continue;
                }
                bufferedWhileWaiting_ = true;
                if (drained) break;
                continue;
            }
            process();
            if (state_ == State::Closed) return;
            if (drained) break;
        }
        // TLS may hold decrypted input epoll will not report: come back for it.
        if (reading() && transport_->hasBufferedInput()) {
            auto self = std::static_pointer_cast<HttpConnection>(shared_from_this());
            loop_.post([self] {
                if (self->reading()) self->readInput();
                self->updateInterest();
            });
        }
    }

    // Parses what is buffered, as far as the current state allows.
    void process() {
        while (reading() && inPos_ < in_.size()) {
            if (state_ == State::ReadHead && !requestStarted_) {
                requestStarted_ = true;
                deadline_ = Clock::now() + server_.settings_.headerTimeout;
            }
            const std::size_t used = parser_.feed(in_.data() + inPos_, in_.size() - inPos_);
            inPos_ += used;
            switch (parser_.state()) {
            case HttpRequestParser::State::Error:
                answerAndClose(parser_.errorStatus(), errorCodeFor(parser_.errorStatus()), parser_.errorMessage());
                return;
            case HttpRequestParser::State::HeadDone: onHead(); break;
            case HttpRequestParser::State::Complete: onComplete(); break;
            default: break;
            }
            if (used == 0 && parser_.state() != HttpRequestParser::State::HeadDone) break;
        }
        compactInput();
    }

    void compactInput() {
        if (inPos_ == 0) return;
        in_.erase(0, inPos_);
        inPos_ = 0;
    }

    void onHead() {
        ++server_.requests_;
        auto self = std::static_pointer_cast<HttpConnection>(shared_from_this());
        exchange_ = std::make_shared<HttpExchange>(self, parser_.head(), peer_, server_.serverAddress_, transport_->secure(),
                                                   server_.settings_.writeTimeout);
        if (stopping_) exchange_->keepAlive_ = false;
        Poco::Net::HTTPRequestHandler* raw = nullptr;
        try {
            raw = server_.factory_.createRequestHandler(exchange_->request());
        } catch (const std::exception& e) {
            logging::get("http")->error("routing {} {} failed: {}", parser_.head().method, parser_.head().target, e.what());
        }
        handler_.reset(raw);
        if (!handler_) {
            answerAndClose(500, "internal_error", "the request could not be routed");
            return;
        }
        if (dynamic_cast<ImmediateHandler*>(handler_.get())) {
            // Decided from the head alone (an error answer, a WebSocket upgrade). An unread body
            // cannot be skipped safely, so such a connection closes after the answer.
            if (parser_.hasBody()) exchange_->keepAlive_ = false;
            state_ = State::Waiting;
            auto exchange = exchange_;
            runHandler(*handler_, exchange);
            handler_.reset();
            if (exchange->takeOver_ && static_cast<int>(exchange->response_.getStatus()) == 101) state_ = State::Upgrading;
            if (!exchange->deferred()) exchange->finish();
            return;
        }
        if (parser_.expectsContinue() && parser_.hasBody()) queue("HTTP/1.1 100 Continue\r\n\r\n", nullptr);
        parser_.startBody();
        state_ = State::ReadBody;
        deadline_ = Clock::now() + server_.settings_.bodyTimeout;
        if (parser_.state() == HttpRequestParser::State::Complete) onComplete();
    }

    void onComplete() {
        state_ = State::Waiting;
        bufferedWhileWaiting_ = false;
        if (out_.empty() && !transport_->secure()) {
            std::lock_guard lock(directMutex_);
            directExchange_ = exchange_.get();
            answeredWhole_ = nullptr;
        }
        exchange_->request().setBody(std::move(parser_.body()));
        std::shared_ptr<Poco::Net::HTTPRequestHandler> handler(handler_.release());
        auto exchange = exchange_;
        if (dynamic_cast<LoopHandler*>(handler.get())) { // it never waits: run here
            runHandler(*handler, exchange);
            if (!exchange->deferred()) exchange->finish();
            else exchange->deferredByHandler();
            return;
        }
        const bool queued = server_.dispatch([handler, exchange] {
            runHandler(*handler, exchange);
            if (!exchange->deferred()) exchange->finish();
            else exchange->deferredByHandler();
        });
        if (!queued) {
            ++server_.rejectedBusy_;
            exchange_.reset();
            queue(errorResponse(503, "Service Unavailable", "busy",
                                "every request worker is busy and the queue is full (http.max_threads, http.max_queued); retry shortly",
                                kServerName, "Retry-After: 1\r\n"),
                  nullptr);
            closeAfterFlush_ = true;
            state_ = State::Waiting;
            flush();
        }
    }

    static void runHandler(Poco::Net::HTTPRequestHandler& handler, const std::shared_ptr<HttpExchange>& exchange) {
        try {
            handler.handleRequest(exchange->request(), exchange->response());
        } catch (const std::exception& e) {
            logging::get("http")->error("{} {} failed: {}", exchange->request().getMethod(), exchange->request().getURI(), e.what());
            if (!exchange->response().sent() && !exchange->deferred()) {
                exchange->response().setStatus(Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
                exchange->response().setContentType("application/json");
                exchange->response().send() << R"({"error":{"code":"internal_error","message":"the request failed inside the host; the log has the details","details":{}}})";
            }
        }
    }

    // The response of the current exchange is queued: what now?
    void endExchange(bool keepAlive) {
        revokeDirectWrite();
        exchange_.reset();
        if (!keepAlive || stopping_ || peerDone_) {
            closeAfterFlush_ = true;
            flush();
            return;
        }
        parser_.reset();
        requestStarted_ = false;
        state_ = State::ReadHead;
        deadline_ = Clock::now() + server_.settings_.idleTimeout;
        flush();
        if (state_ == State::Closed) return;
        process(); // a pipelined request may be waiting
        if (state_ == State::ReadHead && !requestStarted_) deadline_ = Clock::now() + server_.settings_.idleTimeout;
        updateInterest();
    }

    void answerAndClose(int status, const std::string& code, const std::string& message) {
        exchange_.reset();
        handler_.reset();
        state_ = State::Waiting;
        queue(errorResponse(status, reasonFor(status), code, message, kServerName),
              nullptr);
        closeAfterFlush_ = true;
        flush();
    }

    bool answeredDirectly() {
        std::lock_guard lock(directMutex_);
        return answeredWhole_ != nullptr && answeredWhole_ == exchange_.get();
    }

    // Before the loop writes anything itself, and before the socket closes.
    void revokeDirectWrite() {
        std::lock_guard lock(directMutex_);
        directExchange_ = nullptr;
        answeredWhole_ = nullptr; // its exchange may be freed, and its address taken by the next one
    }

    void queue(std::string bytes, std::shared_ptr<HttpExchange> stream) {
        revokeDirectWrite();
        if (out_.empty()) lastWriteProgress_ = Clock::now();
        out_.push_back(Output{std::move(bytes), 0, std::move(stream)});
    }

    void flush() {
        while (!out_.empty() && state_ != State::Closed) {
            iovec iov[kMaxIovecs];
            int count = 0;
            for (auto it = out_.begin(); it != out_.end() && count < kMaxIovecs; ++it, ++count) {
                iov[count].iov_base = const_cast<char*>(it->bytes.data() + it->offset);
                iov[count].iov_len = it->bytes.size() - it->offset;
            }
            const ssize_t written = transport_->writev(iov, count);
            if (written < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                if (errno == EINTR) continue;
                close();
                return;
            }
            lastWriteProgress_ = Clock::now();
            std::size_t left = static_cast<std::size_t>(written);
            while (left > 0 && !out_.empty()) {
                Output& front = out_.front();
                const std::size_t take = std::min(left, front.bytes.size() - front.offset);
                front.offset += take;
                left -= take;
                if (front.stream) front.stream->streamProgress(take);
                if (front.offset == front.bytes.size()) out_.pop_front();
            }
        }
        if (state_ == State::Closed) return;
        if (out_.empty()) {
            if (state_ == State::Upgrading) {
                upgrade();
                return;
            }
            if (closeAfterFlush_) {
                transport_->shutdownWrite();
                close();
                return;
            }
        }
        updateInterest();
    }

    // The client shut its side while its request waits for an answer. A deferred answer nobody will
    // read is given up (whoever does the work hears of it, HttpExchange::onAbandoned); otherwise the
    // answer is still written, then the connection closes.
    void peerHungUp() {
        // Paired with HttpExchange::deferredByHandler: whichever of the two runs second sees the other.
        if (exchange_) exchange_->peerGone_ = true;
        if (exchange_ && exchange_->deferred()) {
            logging::get("http")->debug("{}: the client went away before its answer", address_);
            close();
            return;
        }
        peerDone_ = true;
        closeAfterFlush_ = true;
    }

    void upgrade() {
        revokeDirectWrite();
        auto exchange = std::move(exchange_);
        auto takeOver = std::move(exchange->takeOver_);
        compactInput();
        std::string early = std::move(in_);
        loop_.remove(*this);
        state_ = State::Closed;
        server_.released(address_);
        takeOver(std::move(transport_), std::move(early));
    }

    void updateInterest() {
        if (state_ == State::Closed || state_ == State::Upgrading) {
            if (state_ == State::Upgrading && !out_.empty()) setInterest(EPOLLOUT);
            return;
        }
        std::uint32_t wanted = 0;
        if (state_ == State::Handshake) {
            wanted = transport_->wantsWrite() ? EPOLLOUT : EPOLLIN;
        } else {
            if (reading() && in_.size() < kMaxBufferedInput) wanted |= EPOLLIN | EPOLLRDHUP;
            // Waiting for an answer: learn when the client goes away (deferred work can be cancelled),
            // and keep what it sends meanwhile (readInput).
            if (state_ == State::Waiting && !peerDone_) {
                wanted |= EPOLLRDHUP;
                if (in_.size() < kMaxBufferedInput) wanted |= EPOLLIN;
            }
            if (!out_.empty() || transport_->wantsWrite()) wanted |= EPOLLOUT;
        }
        setInterest(wanted);
    }

    void setInterest(std::uint32_t events) {
        if (events == interest_) return;
        interest_ = events;
        loop_.modify(*this, events);
    }

    void close() {
        if (state_ == State::Closed) return;
        state_ = State::Closed;
        revokeDirectWrite();
        auto self = shared_from_this(); // the loop's map may hold the last reference
        for (auto& o : out_)
            if (o.stream) o.stream->failStream();
        out_.clear();
        if (exchange_) {
            exchange_->failStream();
            exchange_->abandoned();
        }
        exchange_.reset();
        handler_.reset();
        loop_.remove(*this);
        transport_.reset();
        server_.released(address_);
    }

    HttpServer& server_;
    EventLoop& loop_;
    std::unique_ptr<Transport> transport_;
    const int fd_;
    const Poco::Net::SocketAddress peer_;
    const std::string address_;
    HttpRequestParser parser_;
    State state_;
    Clock::time_point deadline_;
    Clock::time_point lastWriteProgress_{};
    bool requestStarted_ = false;
    bool closeAfterFlush_ = false;
    bool peerDone_ = false;
    bool stopping_ = false;
    std::uint32_t interest_ = EPOLLIN | EPOLLRDHUP;
    std::string in_;
    std::size_t inPos_ = 0;
    std::deque<Output> out_;
    std::shared_ptr<HttpExchange> exchange_;
    std::unique_ptr<Poco::Net::HTTPRequestHandler> handler_;
    std::mutex directMutex_; // held while another thread writes the socket; close() takes it first
    std::atomic<bool> bufferedWhileWaiting_{false}; // set by the loop (readInput), read by an answering thread
    const HttpExchange* directExchange_ = nullptr; // guarded by directMutex_: the exchange that may write itself
    const HttpExchange* answeredWhole_ = nullptr;  // guarded by directMutex_: it wrote its whole answer, connection kept
};

// ---- request, response, exchange ---------------------------------------------------------------------

BufferedRequest::BufferedRequest(HttpExchange& exchange, const HttpRequestHead& head, Poco::Net::SocketAddress client,
                                 Poco::Net::SocketAddress server, bool secure)
    : exchange_(exchange), client_(std::move(client)), server_(std::move(server)), secure_(secure) {
    setMethod(head.method);
    setURI(head.target);
    setVersion(head.versionMinor == 0 ? HTTP_1_0 : HTTP_1_1);
    for (const auto& [name, value] : head.headers) add(name, value);
}

const Poco::Net::HTTPServerParams& BufferedRequest::serverParams() const { return sharedParams(); }

Poco::Net::HTTPServerResponse& BufferedRequest::response() const { return exchange_.response_; }

void BufferedRequest::upgrade(TakeOver takeOver) { exchange_.takeOver_ = std::move(takeOver); }

class BufferedResponse::BodyBuffer final : public std::streambuf {
public:
    explicit BodyBuffer(HttpExchange& exchange) : exchange_(exchange) {}
    std::string& data() { return data_; }
    bool streaming = false;
    bool failed = false;

    // Streaming: hands what is buffered to the connection as one chunk.
    bool flushChunk() {
        if (!streaming || data_.empty() || failed) return !failed;
        char size[20];
        std::snprintf(size, sizeof size, "%zx\r\n", data_.size());
        std::string chunk = size;
        chunk += data_;
        chunk += "\r\n";
        data_.clear();
        failed = !exchange_.pushStream(std::move(chunk));
        return !failed;
    }

protected:
    int_type overflow(int_type c) override {
        if (failed) return traits_type::eof();
        if (c != traits_type::eof()) data_ += static_cast<char>(c);
        if (streaming && data_.size() >= kStreamChunk && !flushChunk()) return traits_type::eof();
        return traits_type::not_eof(c);
    }
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        if (failed) return 0;
        data_.append(s, static_cast<std::size_t>(n));
        if (streaming && data_.size() >= kStreamChunk && !flushChunk()) return 0;
        return n;
    }
    int sync() override { return flushChunk() ? 0 : -1; }

private:
    HttpExchange& exchange_;
    std::string data_;
};

BufferedResponse::BufferedResponse(HttpExchange& exchange)
    : exchange_(exchange), buffer_(std::make_unique<BodyBuffer>(exchange)), stream_(std::make_unique<std::ostream>(buffer_.get())) {}

BufferedResponse::~BufferedResponse() = default;

std::ostream& BufferedResponse::send() {
    if (sent_) return *stream_;
    sent_ = true;
    if (getChunkedTransferEncoding() && bodyAllowed(static_cast<int>(getStatus()))) {
        buffer_->streaming = true;
        exchange_.streaming_ = true;
        std::string head = responseHead(*this, kServerName, exchange_.keepAlive_, "Transfer-Encoding: chunked\r\n");
        head += "\r\n";
        exchange_.headSent_ = true;
        if (!exchange_.pushStream(std::move(head))) buffer_->failed = true;
    }
    return *stream_;
}

void BufferedResponse::sendFile(const std::string& path, const std::string& mediaType) {
    Poco::FileInputStream in(path);
    setContentType(mediaType);
    Poco::StreamCopier::copyStream(in, send());
}

void BufferedResponse::sendBuffer(const void* buffer, std::size_t length) {
    send().write(static_cast<const char*>(buffer), static_cast<std::streamsize>(length));
}

void BufferedResponse::redirect(const std::string& uri, HTTPStatus status) {
    setStatusAndReason(status);
    set("Location", uri);
    setContentLength(0);
    send();
}

void BufferedResponse::requireAuthentication(const std::string& realm) {
    setStatusAndReason(HTTP_UNAUTHORIZED);
    set("WWW-Authenticate", "Basic realm=\"" + realm + "\"");
    setContentLength(0);
    send();
}

HttpExchange::HttpExchange(std::shared_ptr<HttpConnection> connection, const HttpRequestHead& head, Poco::Net::SocketAddress client,
                           Poco::Net::SocketAddress server, bool secure, std::chrono::milliseconds writeTimeout)
    : connection_(connection), loop_(connection->loop()), request_(*this, head, std::move(client), std::move(server), secure),
      response_(*this), writeTimeout_(writeTimeout), keepAlive_(head.keepAlive()) {}

HttpExchange::~HttpExchange() = default;

HttpExchange* HttpExchange::of(Poco::Net::HTTPServerResponse& response) {
    auto* buffered = dynamic_cast<BufferedResponse*>(&response);
    return buffered ? &buffered->exchange_ : nullptr;
}

void HttpExchange::defer(std::chrono::milliseconds timeout, Writer onTimeout) {
    onTimeout_ = std::move(onTimeout);
    deferDeadline_ = Clock::now() + timeout;
    deferred_ = true;
}

bool HttpExchange::complete(const Writer& write) {
    if (answered_.exchange(true)) return false;
    write(response_);
    finish();
    return true;
}

void HttpExchange::deferredByHandler() {
    // Only a client that left while the handler ran needs the loop again (deferred_ is set by now).
    if (!peerGone_) return;
    auto connection = connection_.lock();
    if (!connection) return;
    auto self = shared_from_this();
    loop_.post([connection, self] { connection->exchangeDeferred(self); });
}

void HttpExchange::onAbandoned(std::function<void()> then) {
    std::unique_lock lock(abandonMutex_);
    if (!abandoned_) {
        onAbandoned_ = std::move(then);
        return;
    }
    lock.unlock();
    if (then && (!answered_ || (streamHeld_ && !finished_))) then();
}

bool HttpExchange::openStream(const Writer& head) {
    if (answered_.exchange(true)) return false;
    streamHeld_ = true;
    head(response_);
    response_.setChunkedTransferEncoding(true);
    response_.send();
    return true;
}

bool HttpExchange::sendOnStream(std::string bytes) {
    if (!streamHeld_ || finished_ || bytes.empty()) return false;
    char size[20];
    std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
    std::string chunk = size;
    chunk += bytes;
    chunk += "\r\n";
    return pushStream(std::move(chunk), false);
}

void HttpExchange::endStream() {
    if (streamHeld_) finish();
}

void HttpExchange::abandoned() {
    std::function<void()> then;
    {
        std::lock_guard lock(abandonMutex_);
        if (abandoned_ || !deferred_ || (answered_ && !streamHeld_) || finished_) return;
        abandoned_ = true;
        then.swap(onAbandoned_);
    }
    if (then) then();
}

void HttpExchange::finish() {
    if (finished_.exchange(true)) return;
    auto self = shared_from_this();
    auto connection = connection_.lock();
    if (Poco::icompare(response_.get("Connection", ""), "close") == 0) keepAlive_ = false;
    if (streaming_) {
        response_.buffer_->flushChunk();
        const bool ok = !response_.buffer_->failed && pushStream("0\r\n\r\n", !streamHeld_);
        if (!connection) return;
        const bool keepAlive = keepAlive_ && ok;
        loop_.post([connection, self, keepAlive] { connection->streamEnded(self, keepAlive); });
        return;
    }
    std::string& body = response_.buffer_->data();
    const int status = static_cast<int>(response_.getStatus());
    std::string bytes;
    if (status == 101) {
        bytes = "HTTP/1.1 101 " + response_.getReason() + "\r\n";
        for (const auto& [name, value] : response_)
            if (Poco::icompare(name, "Content-Length") != 0) bytes += name + ": " + value + "\r\n";
        bytes += "\r\n";
    } else {
        const bool withBody = bodyAllowed(status);
        bytes = responseHead(response_, kServerName, keepAlive_,
                             withBody ? "Content-Length: " + std::to_string(body.size()) + "\r\n" : std::string());
        bytes.reserve(bytes.size() + 2 + body.size()); // head and body in one piece, one send
        bytes += "\r\n";
        if (withBody && request_.getMethod() != "HEAD") bytes += body;
    }
    body.clear();
    if (!connection) return;
    const bool keepAlive = keepAlive_;
    if (status == 101) {
        // The upgrade handler ran on the loop: queue directly, the connection flushes and hands over.
        loop_.post([connection, self, bytes = std::move(bytes)]() mutable { connection->streamBytes(self, std::move(bytes)); });
        return;
    }
    // Off the loop (a worker, a transport's reader) the answer is written from here when the connection
    // allows it; the loop then has the rest, if any, and its bookkeeping.
    if (!loop_.onLoopThread()) bytes.erase(0, connection->writeDirectly(this, bytes, keepAlive));
    const bool whole = bytes.empty();
    auto ready = [connection, self, bytes = std::move(bytes), keepAlive]() mutable {
        connection->responseReady(self, std::move(bytes), keepAlive);
    };
    // Answered whole, the connection kept: the loop's bookkeeping waits for its next wake-up (the
    // client's next request, which the connection buffers meanwhile, or the tick), not a wake-up of its own.
    if (!whole || !keepAlive) return loop_.post(std::move(ready));
    loop_.postLazily(std::move(ready));
    // The client had the answer before that: its next request may have woken the loop already, and
    // found no bookkeeping to do yet. Checked after queuing it, so one of the two sees the other.
    if (connection->bufferedWhileWaiting()) loop_.post([] {});
}

bool HttpExchange::pushStream(std::string bytes, bool wait) {
    auto connection = connection_.lock();
    if (!connection) return false;
    {
        std::unique_lock lock(flowMutex_);
        if (streamFailed_) return false;
        if (!wait && streamPending_ + bytes.size() > kHeldStreamBacklog) {
            streamFailed_ = true;
            lock.unlock();
            flowChanged_.notify_all();
            auto self = shared_from_this();
            loop_.post([connection, self] { connection->streamBacklogged(self); });
            return false;
        }
        // Wait while the client is behind; a client that reads nothing for writeTimeout fails the stream.
        if (wait && !loop_.onLoopThread() &&
            !flowChanged_.wait_for(lock, writeTimeout_, [this] { return streamFailed_ || streamPending_ < kStreamHighWater; })) {
            streamFailed_ = true;
            return false;
        }
        if (streamFailed_) return false;
        streamPending_ += bytes.size();
    }
    auto self = shared_from_this();
    loop_.post([connection, self, bytes = std::move(bytes)]() mutable { connection->streamBytes(self, std::move(bytes)); });
    return true;
}

void HttpExchange::streamProgress(std::size_t bytes) {
    {
        std::lock_guard lock(flowMutex_);
        streamPending_ -= std::min(streamPending_, bytes);
    }
    flowChanged_.notify_all();
}

void HttpExchange::failStream() {
    {
        std::lock_guard lock(flowMutex_);
        streamFailed_ = true;
    }
    flowChanged_.notify_all();
}

// ---- accepting ---------------------------------------------------------------------------------------

class HttpAcceptor final : public IoHandler {
public:
    HttpAcceptor(HttpServer& server, EventLoop& loop, int fd) : server_(server), loop_(loop), fd_(fd) {}
    int fd() const override { return fd_; }
    void onEvents(std::uint32_t) override {
        for (int i = 0; i < kMaxAcceptsPerWakeup; ++i) {
            sockaddr_storage peer{};
            socklen_t length = sizeof peer;
            const int client = ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (client < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                    // Out of descriptors: the pending connection stays readable, so a level-triggered
                    // loop would spin. Stop watching until the next tick.
                    logging::get("http")->warn("accept paused for 100 ms: {}", std::strerror(errno));
                    loop_.modify(*this, 0);
                    paused_ = true;
                } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                    logging::get("http")->warn("accept failed: {}", std::strerror(errno));
                }
                return;
            }
            server_.accepted(client, Poco::Net::SocketAddress(reinterpret_cast<sockaddr*>(&peer), length));
        }
    }
    void onTick(std::chrono::steady_clock::time_point) override {
        if (!paused_) return;
        paused_ = false;
        loop_.modify(*this, EPOLLIN);
    }
    void onLoopStopping() override {}

private:
    HttpServer& server_;
    EventLoop& loop_;
    int fd_;
    bool paused_ = false;
};

// ---- the server --------------------------------------------------------------------------------------

HttpServer::HttpServer(HttpServerSettings settings, Poco::Net::HTTPRequestHandlerFactory& factory)
    : settings_(std::move(settings)), factory_(factory), loops_("http", settings_.ioThreads) {
    // A peer that vanishes mid-write is an error to handle, never a signal that ends the process.
    std::signal(SIGPIPE, SIG_IGN);
    if (!settings_.tlsCertificateFile.empty() || !settings_.tlsKeyFile.empty()) {
        if (settings_.tlsCertificateFile.empty() || settings_.tlsKeyFile.empty())
            throw std::runtime_error("TLS needs both http.tls.cert and http.tls.key");
        tls_ = std::make_unique<TlsContext>(settings_.tlsCertificateFile, settings_.tlsKeyFile);
    }
    Poco::Net::SocketAddress address;
    try {
        address = Poco::Net::SocketAddress(settings_.host, settings_.port);
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("cannot resolve " + settings_.host + ": " + e.displayText());
    }
    listenFd_ = ::socket(address.af(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listenFd_ < 0) throw std::runtime_error(std::string("cannot create a socket: ") + std::strerror(errno));
    const int one = 1;
    ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listenFd_, address.addr(), address.length()) != 0 || ::listen(listenFd_, 1024) != 0) {
        const std::string why = std::strerror(errno);
        ::close(listenFd_);
        listenFd_ = -1;
        throw std::runtime_error("cannot listen on " + address.toString() + ": " + why);
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&bound), &length);
    serverAddress_ = Poco::Net::SocketAddress(reinterpret_cast<sockaddr*>(&bound), length);
    port_ = serverAddress_.port();
    workers_ = std::make_unique<WorkerPool>(settings_.workerThreads, settings_.maxQueued);
}

HttpServer::~HttpServer() {
    stop();
    if (listenFd_ >= 0) ::close(listenFd_);
}

void HttpServer::start() {
    loops_.start();
    acceptor_ = std::make_shared<HttpAcceptor>(*this, *loops_.loops().front(), listenFd_);
    accepting_ = true;
    loops_.loops().front()->add(acceptor_, EPOLLIN);
}

void HttpServer::stopAccepting() {
    if (!accepting_.exchange(false)) return;
    auto& first = *loops_.loops().front();
    auto removed = std::make_shared<std::promise<void>>();
    auto done = removed->get_future();
    first.post([this, &first, removed] {
        if (acceptor_) first.remove(*acceptor_);
        removed->set_value();
    });
    done.wait_for(std::chrono::seconds(5));
    if (listenFd_ >= 0) {
        ::close(listenFd_);
        listenFd_ = -1;
    }
    for (auto& loop : loops_.loops()) {
        EventLoop* l = loop.get();
        l->post([l] {
            l->forEach([](const std::shared_ptr<IoHandler>& handler) {
                if (auto* connection = dynamic_cast<HttpConnection*>(handler.get())) connection->closeWhenIdle();
            });
        });
    }
}

bool HttpServer::waitForWorkers(std::chrono::milliseconds timeout) { return workers_->waitIdle(timeout); }

void HttpServer::stop() {
    if (stopped_.exchange(true)) return;
    stopAccepting();
    loops_.stop();    // closes every connection
    workers_->stop(); // runs what was queued (their responses go nowhere) and joins
}

void HttpServer::accepted(int fd, const Poco::Net::SocketAddress& peer) {
    const std::string address = addressText(peer);
    {
        std::lock_guard lock(connectionsMutex_);
        auto& mine = perAddress_[address];
        if (connections_ >= settings_.maxConnections || mine >= settings_.maxConnectionsPerAddress) {
            const bool perAddress = mine >= settings_.maxConnectionsPerAddress;
            if (mine == 0) perAddress_.erase(address);
            ++refused_;
            // Best effort, never blocking: a short answer, then the connection is closed.
            const std::string answer = errorResponse(
                503, "Service Unavailable", "too_many_connections",
                perAddress ? "too many connections from " + address + " (http.max_connections_per_address)"
                           : std::string("the server's connection limit is reached (http.max_connections)"),
                kServerName, "Retry-After: 1\r\n");
            if (!tls_) [[maybe_unused]] auto n = ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            ::close(fd);
            return;
        }
        ++mine;
        ++connections_;
    }
    ++accepted_;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::unique_ptr<Transport> transport;
    if (tls_) {
        SSL* session = tls_->newSession(fd);
        if (!session) {
            ::close(fd);
            released(address);
            return;
        }
        transport = Transport::tls(fd, session);
    } else {
        transport = Transport::plain(fd);
    }
    auto& loop = loops_.next();
    auto connection = std::make_shared<HttpConnection>(*this, loop, std::move(transport), peer);
    loop.add(connection, EPOLLIN | EPOLLRDHUP);
}

void HttpServer::released(const std::string& address) {
    std::lock_guard lock(connectionsMutex_);
    auto it = perAddress_.find(address);
    if (it != perAddress_.end() && --it->second == 0) perAddress_.erase(it);
    if (connections_ > 0) --connections_;
}

bool HttpServer::dispatch(std::function<void()> job) { return workers_->submit(std::move(job)); }

HttpServerStats HttpServer::stats() const {
    std::size_t connections;
    {
        std::lock_guard lock(connectionsMutex_);
        connections = connections_;
    }
    return HttpServerStats{connections,         accepted_.load(),  refused_.load(),  timedOut_.load(),
                           rejectedBusy_.load(), requests_.load(), workers_->busy(), workers_->queued()};
}

} // namespace mc::host::net
