#include "HttpConnection.h"
#include "ResponseFraming.h"
#include "mc/thread_name.hpp"

#include <Poco/Exception.h>
#include <Poco/MemoryStream.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/String.h>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <istream>
#include <sstream>

namespace mc::mcp_http {
namespace {

constexpr const char* kAccept = "application/json, text/event-stream";
constexpr long long kDefaultRetryMs = 1000;
constexpr int kMaxResumeAttempts = 5;
constexpr int kKeepAliveSeconds = 4;
constexpr long kStreamEndWaitUs = 50000;
// How long a host I/O thread that sent a POST waits for its whole answer before a worker takes over:
// a quick answer is delivered by the thread that took the agent's request (one thread switch per call
// less, bench/README.md); a slower one, or one that streams, is read as it comes by a worker.
constexpr auto kHostThreadWait = std::chrono::milliseconds(50);
// When a session ends (404, the server gone), how long the answers to requests already in flight
// may still take before on_closed: an answer the server gave before it forgot the session is not lost.
constexpr int kEndedSessionGraceMs = 2000;
constexpr int kUnreachableAfterFailures = 3;

// The connection whose thread we are on: close() from inside a callback would wait for itself.
thread_local const HttpConnection* t_connectionThread = nullptr;
// The generation of the POST whose answer this thread reads (0: none): a session end it reports does
// not wait for itself.
thread_local std::uint64_t t_awaitedGeneration = 0;

std::string lower(std::string s) { return Poco::toLower(s); }

bool isEventStream(const Poco::Net::HTTPResponse& response) {
    return lower(response.getContentType()).rfind("text/event-stream", 0) == 0;
}
bool isJson(const Poco::Net::HTTPResponse& response) {
    return lower(response.getContentType()).rfind("application/json", 0) == 0;
}

std::string readBody(std::istream& in, std::size_t limit) {
    std::string body;
    char buffer[8192];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        body.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (body.size() > limit) throw std::length_error("response body larger than " + std::to_string(limit) + " bytes");
    }
    return body;
}

bool isBlank(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

std::string statusText(const Poco::Net::HTTPResponse& response) {
    return "HTTP " + std::to_string(static_cast<int>(response.getStatus())) + " " + response.getReason();
}

// HTTPS to a pinned address: the socket connects to the address the session was made with, while
// SNI and the certificate check use the URL's host name (set before Poco would use the address).
class PinnedHttpsSession : public Poco::Net::HTTPSClientSession {
public:
    PinnedHttpsSession(const std::string& address, Poco::UInt16 port, Poco::Net::Context::Ptr context, std::string hostName)
        : HTTPSClientSession(address, port, context), hostName_(std::move(hostName)) {}

protected:
    void connect(const Poco::Net::SocketAddress& address) override {
        Poco::Net::SecureStreamSocket(socket()).setPeerHostName(hostName_);
        HTTPSClientSession::connect(address);
    }

private:
    std::string hostName_;
};

} // namespace

// ------------------------------------------------------------------------------------------------

class HttpConnection::ActiveSession {
public:
    ActiveSession(HttpConnection& owner, std::unique_ptr<Poco::Net::HTTPClientSession> session)
        : owner_(owner), session_(std::move(session)) {}
    ~ActiveSession() { finish(); }
    Poco::Net::HTTPClientSession& http() { return *session_; }
    // The response (headers and body) was read completely and the server keeps the connection open.
    void markReusable(const Poco::Net::HTTPResponse& response) { reusable_ = response.getKeepAlive(); }
    // Done with it: a reusable connection goes back to the idle pool at once (before the response is
    // delivered, so the request that delivery prompts finds it), any other is closed.
    // A request of the 2026-07-28 era in flight on this session, which a cancellation of its id ends.
    void carries(const std::string& requestIdJson) {
        std::lock_guard<std::mutex> lock(owner_.sessionsMutex_);
        requestIdJson_ = requestIdJson;
        owner_.modernInFlight_[requestIdJson] = this;
    }
    void finish() {
        std::lock_guard<std::mutex> lock(owner_.sessionsMutex_);
        owner_.activeSessions_.erase(this);
        if (!requestIdJson_.empty()) {
            if (auto it = owner_.modernInFlight_.find(requestIdJson_); it != owner_.modernInFlight_.end() && it->second == this)
                owner_.modernInFlight_.erase(it);
            requestIdJson_.clear();
        }
        if (session_ && reusable_ && !owner_.stopping_ && session_->connected() &&
            owner_.idle_.size() < owner_.config_.maxConnections)
            owner_.idle_.push_back({std::move(session_), std::chrono::steady_clock::now()});
        session_.reset();
    }
    // Carries a POST whose answer is awaited: when the session ends, it is left to finish (see
    // kEndedSessionGraceMs). Set with awaitAnswer; read under owner_.sessionsMutex_.
    bool awaitsAnswer = false;
    void awaitAnswer() {
        std::lock_guard<std::mutex> lock(owner_.sessionsMutex_);
        awaitsAnswer = true;
    }
    // Wakes a thread blocked on this session's socket; shutdown(2) is safe while another thread reads.
    void shutdown() {
        if (!session_) return;
        const auto fd = session_->socket().impl()->sockfd();
        if (fd != POCO_INVALID_SOCKET) ::shutdown(fd, SHUT_RDWR);
    }

private:
    HttpConnection& owner_;
    std::unique_ptr<Poco::Net::HTTPClientSession> session_;
    bool reusable_ = false;
    std::string requestIdJson_;
};

HttpConnection::HttpConnection(HttpTransportConfig config, sdk::Host host, sdk::ConnectionEvents events)
    : config_(std::move(config)), host_(host), events_(events) {}

HttpConnection::~HttpConnection() {
    try {
        close();
    } catch (...) {
    }
}

void HttpConnection::open() {
    if (config_.isHttps()) {
        static std::once_flag sslInit;
        std::call_once(sslInit, [] { Poco::Net::initializeSSL(); });
        tls_ = new Poco::Net::Context(Poco::Net::Context::CLIENT_USE, "",
                                      config_.tlsVerify ? Poco::Net::Context::VERIFY_RELAXED : Poco::Net::Context::VERIFY_NONE,
                                      9, true /* the system's CA certificates */);
    }
    // Streamable HTTP opens nothing until the first message; a TCP connect now turns "connection
    // refused" into a clear open() failure instead of a later on_closed.
    try {
        Poco::Net::StreamSocket probe;
        probe.connect(Poco::Net::SocketAddress(connectHost(), config_.url.getPort()),
                      Poco::Timespan(config_.connectTimeoutMs * 1000));
        probe.close();
    } catch (const Poco::Exception& e) {
        throw sdk::Error(MC_ERR_IO, "cannot connect to MCP server " + config_.describe() + ": " + e.displayText());
    }
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        usingLegacy_ = config_.mode == TransportMode::LegacySse;
        opened_ = true;
    }
    writer_ = std::thread([this] {
        mc::sdk::nameThisThread("http-write");
        t_connectionThread = this;
        writerLoop();
    });
}

void HttpConnection::send(std::string_view text) {
    Outgoing message{std::string(text), inspectOutgoing(text)};
    if (!message.info.cancelsIdJson.empty()) {
        // In the 2026-07-28 era a request is cancelled by closing its stream: no notification to send.
        std::lock_guard<std::mutex> lock(sessionsMutex_);
        if (auto it = modernInFlight_.find(message.info.cancelsIdJson); it != modernInFlight_.end()) {
            it->second->shutdown();
            host_.debug("cancelled request " + message.info.cancelsIdJson + " by closing its stream");
            return;
        }
    }
    std::unique_lock<std::mutex> lock(stateMutex_);
    if (!opened_ || closing_) throw sdk::Error(MC_ERR_UNAVAILABLE, "transport is closed");
    if (endedReason_ && !message.info.isInitialize())
        throw sdk::Error(MC_ERR_UNAVAILABLE, "connection to " + config_.describe() + " ended: " + *endedReason_ +
                                                 " (send initialize to start a new session)");
    if (queue_.size() >= config_.maxQueuedMessages)
        throw sdk::Error(MC_ERR_UNAVAILABLE, "send queue full (" + std::to_string(config_.maxQueuedMessages) +
                                                 " messages; mcp.http.max_queued_messages)");
    if (message.info.isInitialize()) endedReason_.reset(); // a new session may begin
    if (mayPostInline(message)) {
        inlineSending_ = true;
        const std::uint64_t generation = generation_;
        lock.unlock();
        bool posted = false;
        try {
            posted = postInline(message, generation);
        } catch (...) { // e.g. no thread for its response: the writer and close() must not wait on it
            lock.lock();
            inlineSending_ = false;
            wakeup_.notify_all();
            throw;
        }
        lock.lock();
        inlineSending_ = false;
        // Only the writer (for what came meanwhile) and close() wait for this send to end: waking the
        // writer for nothing would cost every call a context switch.
        if (!queue_.empty() || closing_) wakeup_.notify_all();
        if (posted) return;
        if (closing_) throw sdk::Error(MC_ERR_UNAVAILABLE, "transport is closed");
        queue_.push_front(std::move(message)); // before whatever came while it was tried
        wakeup_.notify_all();
        return;
    }
    queue_.push_back(std::move(message));
    wakeup_.notify_all();
}

bool HttpConnection::mayPostInline(const Outgoing& message) const {
    // Small enough for an idle connection's empty socket buffer: the write cannot block.
    constexpr std::size_t kInlineBodyBytes = 16 * 1024;
    return !usingLegacy_ && queue_.empty() && !writerBusy_ && !inlineSending_ && !config_.isHttps() &&
           !message.info.isInitialize() && message.info.method != "subscriptions/listen" &&
           message.body.size() <= kInlineBodyBytes;
}

bool HttpConnection::postInline(const Outgoing& message, std::uint64_t generation) {
    if (!tryAcquireSlot()) return false;
    auto sent = std::make_shared<SentPost>();
    sent->session = takeFreshIdleSession(generation);
    if (!sent->session) {
        releaseSlot();
        return false;
    }
    sent->reused = true;
    try {
        writePost(*sent, message, true);
    } catch (const std::exception&) {
        // The idle connection broke (closed by the server, or closing): not reused; the writer sends
        // the message on another one and reports what fails there.
        sent->session.reset();
        releaseSlot();
        return false;
    }
    holdAnswer(*sent->session, generation);
    auto watch = std::make_unique<AnswerWatch>(
        AnswerWatch{this, std::move(sent), message, generation, std::chrono::steady_clock::now() + kHostThreadWait});
    if (!watchAnswer(watch)) handOff(std::move(watch->sent), std::move(watch->message), generation);
    return true;
}

bool HttpConnection::watchAnswer(std::unique_ptr<AnswerWatch>& watch) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(watch->handOffAt - std::chrono::steady_clock::now());
    const int fd = static_cast<int>(watch->sent->session->http().socket().impl()->sockfd());
    if (fd < 0 || left.count() <= 0) return false;
    {
        std::lock_guard<std::mutex> lock(poolMutex_);
        if (poolStopping_) return false;
        ++watchedAnswers_;
    }
    if (host_.watchReadable(fd, left.count(), &HttpConnection::onAnswerReadable, watch.get()) == MC_OK) {
        watch.release(); // the host's until it calls back
        return true;
    }
    endWatch();
    return false;
}

void HttpConnection::onAnswerReadable(void* ctx, int readable) noexcept {
    std::unique_ptr<AnswerWatch> watch(static_cast<AnswerWatch*>(ctx));
    HttpConnection& self = *watch->connection;
    const HttpConnection* outer = t_connectionThread;
    t_connectionThread = &self; // its callbacks may not close it from here either
    try {
        self.answerReadable(watch, readable != 0);
    } catch (const std::exception& e) { // an exception barrier: this is the host's thread
        self.host_.error(std::string("mcp-http: reading an answer on the host's thread failed: ") + e.what());
    } catch (...) {
    }
    watch.reset(); // its session goes back while the connection surely exists (close waits for endWatch)
    t_connectionThread = outer;
    self.endWatch();
}

void HttpConnection::answerReadable(std::unique_ptr<AnswerWatch>& watch, bool readable) {
    SentPost& sent = *watch->sent;
    ResponseFraming framing = ResponseFraming::Unreadable;
    // What the server sent so far, left on the socket until it is known to be the whole response: a
    // small answer in a buffer on the stack, a larger one (up to 64 KiB) in one from the heap. (No
    // thread_local buffer: its destructor would keep this library loaded until the host's thread ends.)
    char small[4096];
    std::unique_ptr<char[]> large;
    char* buffer = small;
    WholeResponse whole;
    const int fd = static_cast<int>(sent.session->http().socket().impl()->sockfd());
    if (readable && !stopping_) {
        std::size_t size = sizeof small;
        ssize_t n = ::recv(fd, buffer, size, MSG_PEEK | MSG_DONTWAIT);
        if (n == static_cast<ssize_t>(size)) {
            size = 64 * 1024;
            large.reset(new char[size]);
            buffer = large.get();
            n = ::recv(fd, buffer, size, MSG_PEEK | MSG_DONTWAIT);
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) framing = ResponseFraming::Incomplete;
        else if (n > 0 && static_cast<std::size_t>(n) < size)
            framing = responseFraming(std::string_view(buffer, static_cast<std::size_t>(n)), &whole);
        // else: closed, failed, or larger than checked here: the worker's blocking reader reports or reads it
    }
    if (framing == ResponseFraming::Complete) {
        // All there: taken off the socket (the same bytes as peeked, into the same buffer) and handled
        // from its parts by the thread that took the agent's request.
        std::size_t taken = 0;
        int error = 0;
        while (taken < whole.length) {
            const ssize_t got = ::recv(fd, buffer + taken, whole.length - taken, MSG_DONTWAIT);
            if (got > 0) taken += static_cast<std::size_t>(got);
            else if (got < 0 && errno == EINTR) continue;
            else {
                error = got < 0 ? errno : ECONNRESET;
                break;
            }
        }
        if (taken == whole.length) {
            sent.inHand = &whole;
            receiveHeldPost(sent, watch->message, watch->generation);
            sent.inHand = nullptr;
        } else {
            // Cannot happen (the bytes were there): the connection is dropped, the request fails (it
            // is not sent again: the server has answered it).
            sent.session->shutdown();
            releaseAnswer(watch->generation);
            if (!stopping_ && current(watch->generation))
                failRequest(watch->message, "reading the answer to POST " + config_.url.toString() + " failed: " + std::strerror(error));
        }
        watch->sent->session.reset(); // back to the pool before the slot is free again
        releaseSlot();
        return;
    }
    if (framing == ResponseFraming::Incomplete && watchAnswer(watch)) return;
    try {
        handOff(std::move(watch->sent), std::move(watch->message), watch->generation);
    } catch (...) { // no worker for it (no thread to start): the request's own deadline answers it
        releaseAnswer(watch->generation);
        releaseSlot();
        throw;
    }
}

void HttpConnection::endWatch() {
    {
        std::lock_guard<std::mutex> lock(poolMutex_);
        --watchedAnswers_;
    }
    watchesEnded_.notify_all();
}

void HttpConnection::close() {
    if (t_connectionThread == this)
        throw sdk::Error(MC_ERR_CONFLICT, "close() called from inside a transport callback; call it from another thread");
    std::string sessionToDelete;
    bool wasLegacy = false;
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        if (!opened_ || closing_) return;
        closing_ = true;
        stopping_ = true;
        sessionToDelete = sessionId_;
        wasLegacy = usingLegacy_;
        queue_.clear();
        wakeup_.notify_all();
    }
    { std::lock_guard<std::mutex> barrier(deliverMutex_); } // a callback in progress finishes; no new one starts
    {
        std::lock_guard<std::mutex> lock(poolMutex_);
        poolStopping_ = true;
    }
    jobReady_.notify_all();
    slotFree_.notify_all();
    abortSessions(true, 0);
    {
        // A message a caller's thread is writing (send) ends first: it may not touch the connection
        // after close returns. Its write is short, or fails on the socket just shut down.
        std::unique_lock<std::mutex> lock(stateMutex_);
        wakeup_.wait(lock, [this] { return !inlineSending_; });
    }
    {
        // Answers host I/O threads wait for: their sockets, just shut down, read as closed, so each
        // watch ends at once (close is never called on such a thread: the host closes from its gateway).
        abortSessions(true, 0); // a POST written inline meanwhile
        std::unique_lock<std::mutex> lock(poolMutex_);
        watchesEnded_.wait(lock, [this] { return watchedAnswers_ == 0; });
    }
    if (writer_.joinable()) writer_.join();
    abortSessions(true, 0); // what the writer opened last
    for (auto& t : poolThreads_)
        if (t.joinable()) t.join();
    {
        std::lock_guard<std::mutex> lock(poolMutex_);
        jobs_.clear(); // never run: their sessions were aborted
    }
    {
        std::lock_guard<std::mutex> lock(sessionsMutex_);
        idle_.clear();
    }
    for (;;) {
        Worker worker;
        {
            std::lock_guard<std::mutex> lock(workersMutex_);
            if (workers_.empty()) break;
            worker = std::move(workers_.front());
            workers_.pop_front();
        }
        abortSessions(true, 0);
        if (worker.thread.joinable()) worker.thread.join();
    }
    // Ends the session on the server (spec: the client SHOULD DELETE it); 405 means it does not allow that.
    if (!sessionToDelete.empty() && !wasLegacy) {
        try {
            std::unique_ptr<Poco::Net::HTTPClientSession> http = newSession(config_.url);
            const long long ms = std::min<long long>(config_.readTimeoutMs, 5000);
            http->setTimeout(Poco::Timespan(std::min<long long>(config_.connectTimeoutMs, 5000) * 1000),
                             Poco::Timespan(ms * 1000), Poco::Timespan(ms * 1000));
            OneWriteRequest request = makeRequest(Poco::Net::HTTPRequest::HTTP_DELETE, config_.url, false);
            request.set("Mcp-Session-Id", sessionToDelete);
            if (!protocolVersion_.empty()) request.set("MCP-Protocol-Version", protocolVersion_);
            http->sendRequest(request);
            Poco::Net::HTTPResponse response;
            http->receiveResponse(response);
            host_.debug("DELETE session " + sessionToDelete + ": " + statusText(response));
        } catch (const Poco::Exception& e) {
            host_.debug("DELETE session " + sessionToDelete + " failed: " + e.displayText());
        }
    }
}

// ------------------------------------------------------------------------------------------------

void HttpConnection::writerLoop() {
    for (;;) {
        Outgoing message;
        {
            std::unique_lock<std::mutex> lock(stateMutex_);
            writerBusy_ = false;
            wakeup_.wait(lock, [this] { return closing_ || (!queue_.empty() && !inlineSending_); });
            if (closing_) return;
            message = std::move(queue_.front());
            queue_.pop_front();
            writerBusy_ = true;
        }
        try {
            process(message);
        } catch (const std::exception& e) {
            if (stopping_) return;
            failRequest(message, e.what());
        }
    }
}

void HttpConnection::process(const Outgoing& message) {
    if (message.info.isInitialize()) beginSession(message);
    std::uint64_t generation;
    bool legacy;
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        generation = generation_;
        legacy = usingLegacy_;
    }
    if (!legacy) {
        postStreamable(message, generation);
        return;
    }
    if (message.info.isInitialize()) {
        try {
            connectLegacyStream(generation);
        } catch (const std::exception& e) {
            failRequest(message, std::string("legacy HTTP+SSE: ") + e.what());
            return;
        }
    }
    postLegacy(message, generation);
}

void HttpConnection::beginSession(const Outgoing& message) {
    std::uint64_t previous;
    {
        std::unique_lock<std::mutex> lock(stateMutex_);
        // The previous session's end is reported (on_closed) before a new one begins.
        wakeup_.wait(lock, [this] { return closing_ || !draining_; });
        previous = generation_++;
        if (!sessionId_.empty()) host_.debug("starting a new session; dropping " + sessionId_);
        sessionId_.clear();
        protocolVersion_.clear();
        initializeIdJson_ = message.info.idJson;
        serverStreamStarted_ = false;
        legacyStreamAlive_ = false;
        endedReason_.reset();
        wakeup_.notify_all();
    }
    abortSessions(false, previous + 1); // streams of the old session
    std::lock_guard<std::mutex> lock(deliverMutex_);
    silencedBelow_ = std::max(silencedBelow_, previous + 1); // its late answers are not this session's
}

OneWriteRequest HttpConnection::makeRequest(const std::string& method, const Poco::URI& uri, bool withSession) const {
    OneWriteRequest request(method, uri.getPathAndQuery());
    // Pinned: the session holds the address, the server must still see the name it serves.
    if (config_.connectAddress) request.setHost(uri.getHost(), uri.getPort());
    for (const auto& [name, value] : config_.headers) request.set(name, value);
    if (withSession) {
        if (!sessionId_.empty()) request.set("Mcp-Session-Id", sessionId_);
        if (!protocolVersion_.empty()) request.set("MCP-Protocol-Version", protocolVersion_);
    }
    return request;
}

std::string HttpConnection::connectHost() const {
    return config_.connectAddress ? config_.connectAddress->toString() : config_.url.getHost();
}

std::unique_ptr<Poco::Net::HTTPClientSession> HttpConnection::newSession(const Poco::URI& uri) const {
    // Every URI here has the configured URL's origin (the legacy endpoint is checked for that), so a
    // pinned address applies to all of them.
    if (uri.getScheme() == "https") {
        if (config_.connectAddress)
            return std::make_unique<PinnedHttpsSession>(connectHost(), uri.getPort(), tls_, uri.getHost());
        return std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), tls_);
    }
    return std::make_unique<Poco::Net::HTTPClientSession>(config_.connectAddress ? connectHost() : uri.getHost(),
                                                          uri.getPort());
}

std::unique_ptr<HttpConnection::ActiveSession> HttpConnection::openSession(const Poco::URI& uri, std::uint64_t generation) {
    std::unique_ptr<Poco::Net::HTTPClientSession> http = newSession(uri);
    http->setTimeout(Poco::Timespan(config_.connectTimeoutMs * 1000), Poco::Timespan(config_.readTimeoutMs * 1000),
                     Poco::Timespan(config_.readTimeoutMs * 1000));
    return activate(std::move(http), generation);
}

std::unique_ptr<HttpConnection::ActiveSession> HttpConnection::openPostSession(std::uint64_t generation, bool mayReuse,
                                                                               bool& reused) {
    std::unique_ptr<Poco::Net::HTTPClientSession> http;
    {
        std::lock_guard<std::mutex> lock(sessionsMutex_);
        if (stopping_) throw Poco::Net::NetException("transport is closing");
        if (mayReuse && !idle_.empty()) {
            http = std::move(idle_.back().http);
            idle_.pop_back();
        }
    }
    reused = static_cast<bool>(http);
    if (!http) {
        http = newSession(config_.url);
        http->setTimeout(Poco::Timespan(config_.connectTimeoutMs * 1000), Poco::Timespan(config_.readTimeoutMs * 1000),
                         Poco::Timespan(config_.readTimeoutMs * 1000));
        http->setKeepAlive(true);
        // Below the 5 s idle timeout of Node's and uvicorn's servers: a connection idle longer is
        // reconnected before the request rather than found closed after it.
        http->setKeepAliveTimeout(Poco::Timespan(kKeepAliveSeconds, 0));
    }
    return activate(std::move(http), generation);
}

std::unique_ptr<HttpConnection::ActiveSession> HttpConnection::takeFreshIdleSession(std::uint64_t generation) {
    // Poco reconnects a session idle longer than its keep-alive time inside sendRequest (a blocking
    // connect); half a second's margin keeps such a session for the writer thread.
    const auto freshSince = std::chrono::steady_clock::now() - std::chrono::seconds(kKeepAliveSeconds) + std::chrono::milliseconds(500);
    std::unique_ptr<Poco::Net::HTTPClientSession> http;
    {
        std::lock_guard<std::mutex> lock(sessionsMutex_);
        if (stopping_ || idle_.empty() || idle_.back().since < freshSince) return nullptr;
        http = std::move(idle_.back().http);
        idle_.pop_back();
    }
    try {
        return activate(std::move(http), generation);
    } catch (const Poco::Net::NetException&) {
        return nullptr; // closing
    }
}

std::unique_ptr<HttpConnection::ActiveSession> HttpConnection::activate(std::unique_ptr<Poco::Net::HTTPClientSession> http,
                                                                        std::uint64_t generation) {
    auto active = std::make_unique<ActiveSession>(*this, std::move(http));
    std::lock_guard<std::mutex> lock(sessionsMutex_);
    if (stopping_) throw Poco::Net::NetException("transport is closing");
    activeSessions_[active.get()] = generation;
    return active;
}

bool HttpConnection::tryAcquireSlot() {
    std::lock_guard<std::mutex> lock(poolMutex_);
    if (poolStopping_ || inFlight_ >= config_.maxConnections) return false;
    ++inFlight_;
    return true;
}

bool HttpConnection::acquireSlot() {
    std::unique_lock<std::mutex> lock(poolMutex_);
    slotFree_.wait(lock, [this] { return poolStopping_ || inFlight_ < config_.maxConnections; });
    if (poolStopping_) return false;
    ++inFlight_;
    return true;
}

void HttpConnection::releaseSlot() {
    {
        std::lock_guard<std::mutex> lock(poolMutex_);
        --inFlight_;
    }
    slotFree_.notify_one();
}

void HttpConnection::submit(std::function<void()> job) {
    {
        std::lock_guard<std::mutex> lock(poolMutex_);
        if (poolStopping_) return;
        jobs_.push_back(std::move(job));
        // A worker per request in flight, at most max_connections, kept until close.
        if (idleWorkers_ < jobs_.size() && poolThreads_.size() < config_.maxConnections)
            poolThreads_.emplace_back([this] {
                mc::sdk::nameThisThread("http-post");
                t_connectionThread = this;
                poolWorker();
            });
    }
    // Woken after the lock is free: a worker woken under it blocks on the lock at once (two more
    // futex calls and a switch per request, seen with strace on the call path).
    jobReady_.notify_one();
}

void HttpConnection::poolWorker() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock<std::mutex> lock(poolMutex_);
            ++idleWorkers_;
            jobReady_.wait(lock, [this] { return poolStopping_ || !jobs_.empty(); });
            --idleWorkers_;
            if (poolStopping_) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        try {
            job();
        } catch (const std::exception& e) {
            host_.error(std::string("mcp-http worker failed: ") + e.what());
        }
    }
}

void HttpConnection::abortSessions(bool all, std::uint64_t belowGeneration, bool sparingAnswers) {
    std::lock_guard<std::mutex> lock(sessionsMutex_);
    for (auto& [session, generation] : activeSessions_)
        if (all || (generation < belowGeneration && !(sparingAnswers && session->awaitsAnswer))) session->shutdown();
}

// ------------------------------------------------------------------------------------------------
// Streamable HTTP

void HttpConnection::postStreamable(const Outgoing& message, std::uint64_t generation) {
    if (message.info.isInitialize()) {
        // On the writer thread: nothing else may go out before the session (or the fallback) exists.
        if (auto sent = sendPost(message, generation, true)) {
            holdAnswer(*sent->session, generation);
            receiveHeldPost(*sent, message, generation);
        }
        return;
    }
    if (message.info.isModern() && message.info.method == "subscriptions/listen") {
        // A listen stream lasts as long as the subscription: a thread of its own, no request slot and
        // no read deadline (closing the connection aborts it).
        spawn([this, message, generation] {
            auto sent = sendPost(message, generation, false);
            if (!sent) return;
            sent->session->http().setTimeout(Poco::Timespan(config_.connectTimeoutMs * 1000), Poco::Timespan(config_.readTimeoutMs * 1000),
                                             Poco::Timespan(0));
            sent->session->http().socket().setReceiveTimeout(Poco::Timespan(0));
            receivePost(*sent, message, generation);
        });
        return;
    }
    if (!acquireSlot()) return; // closing
    auto sent = sendPost(message, generation, true);
    if (!sent) {
        releaseSlot();
        return;
    }
    awaitResponse(std::move(sent), message, generation);
}

void HttpConnection::awaitResponse(std::shared_ptr<SentPost> sent, const Outgoing& message, std::uint64_t generation) {
    holdAnswer(*sent->session, generation);
    handOff(std::move(sent), message, generation);
}

void HttpConnection::handOff(std::shared_ptr<SentPost> sent, Outgoing message, std::uint64_t generation) {
    submit([this, sent = std::move(sent), message = std::move(message), generation] {
        receiveHeldPost(*sent, message, generation);
        sent->session.reset(); // back to the pool before the slot is free again
        releaseSlot();
    });
}

void HttpConnection::receiveHeldPost(SentPost& sent, const Outgoing& message, std::uint64_t generation) {
    // The answer holdAnswer counted is released however the read ends.
    struct Held {
        HttpConnection& connection;
        std::uint64_t generation;
        ~Held() {
            t_awaitedGeneration = 0;
            connection.releaseAnswer(generation);
        }
    } held{*this, generation};
    t_awaitedGeneration = generation;
    receivePost(sent, message, generation);
}

void HttpConnection::holdAnswer(ActiveSession& session, std::uint64_t generation) {
    session.awaitAnswer();
    std::lock_guard<std::mutex> lock(stateMutex_);
    ++awaitedAnswers_[generation];
}

void HttpConnection::releaseAnswer(std::uint64_t generation) {
    std::lock_guard<std::mutex> lock(stateMutex_);
    if (auto it = awaitedAnswers_.find(generation); it != awaitedAnswers_.end() && --it->second <= 0) awaitedAnswers_.erase(it);
    if (draining_) wakeup_.notify_all(); // a session end waiting for its answers (no one else waits for this)
}

std::shared_ptr<HttpConnection::SentPost> HttpConnection::sendPost(const Outgoing& message, std::uint64_t generation,
                                                                 bool mayReuse) {
    for (bool retried = false;; retried = true) {
        auto sent = std::make_shared<SentPost>();
        try {
            sent->session = openPostSession(generation, mayReuse && !retried, sent->reused);
        } catch (const Poco::Exception& e) {
            return nullptr; // closing
        }
        try {
            writePost(*sent, message);
            return sent;
        } catch (const Poco::Net::SSLException& e) {
            // Reachable, but not trusted (or no common TLS ground): the request fails with the reason.
            if (stopping_) return nullptr;
            const std::string reason = "TLS with " + config_.url.toString() + " failed: " + e.displayText();
            reportExchange(sent->exchange, nullptr, reason);
            failRequest(message, reason);
            return nullptr;
        } catch (const Poco::Exception& e) {
            if (stopping_) return nullptr;
            if (sent->reused && !retried) continue; // the server closed the idle connection: a new one
            reportExchange(sent->exchange, nullptr, e.displayText());
            reportClosed(MC_ERR_IO, "server unreachable: POST " + config_.url.toString() + ": " + e.displayText(), generation);
            return nullptr;
        }
    }
}

void HttpConnection::writePost(SentPost& sent, const Outgoing& message, bool direct) {
    const bool modern = message.info.isModern(); // of no session: its own headers say what it is
    const bool withSession = !message.info.isInitialize() && !modern;
    OneWriteRequest request = [&] {
        std::lock_guard<std::mutex> lock(stateMutex_);
        sent.sentWithSession = withSession && !sessionId_.empty();
        return makeRequest(Poco::Net::HTTPRequest::HTTP_POST, config_.url, withSession);
    }();
    if (modern) {
        request.set("MCP-Protocol-Version", message.info.modernVersion);
        request.set("Mcp-Method", message.info.method);
        if (!message.info.mcpName.empty()) request.set("Mcp-Name", message.info.mcpName);
    }
    request.set("Accept", kAccept);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(message.body.size()));
    const auto started = std::chrono::steady_clock::now();
    try {
        if (modern && message.info.isRequest) sent.session->carries(message.info.idJson);
        if (direct) {
            // Head and body in one send on the idle keep-alive connection, with the fields Poco's session
            // would add (Host, Connection): its request streams (the head written twice, once to count
            // it) are not on the call's way. Its answer is read from the socket too (answerReadable), or
            // by Poco's reader, which needs nothing of the sending.
            if (!request.has(Poco::Net::HTTPRequest::HOST)) request.setHost(config_.url.getHost(), config_.url.getPort());
            request.setKeepAlive(true);
            std::string wire = request.head();
            wire += message.body;
            const int fd = static_cast<int>(sent.session->http().socket().impl()->sockfd());
            std::size_t written = 0;
            while (written < wire.size()) {
                const ssize_t n = ::send(fd, wire.data() + written, wire.size() - written, MSG_NOSIGNAL);
                if (n > 0) written += static_cast<std::size_t>(n);
                else if (n < 0 && errno == EINTR) continue;
                else throw Poco::Net::NetException(std::string("writing the request failed: ") + std::strerror(n < 0 ? errno : EPIPE));
            }
        } else {
            std::ostream& out = sent.session->http().sendRequest(request);
            out << message.body;
            out.flush();
            if (!out) throw Poco::Net::NetException("writing the request failed");
        }
        // After the write: the inspector's copy of the headers is not on the request's way.
        sent.exchange = sentExchange(request, message.body.size(), message.info.idJson, started);
    } catch (const Poco::Exception&) {
        sent.exchange = sentExchange(request, message.body.size(), message.info.idJson, started); // for its report
        throw;
    }
}

void HttpConnection::receivePost(SentPost& sent, const Outgoing& message, std::uint64_t generation) {
    Poco::Net::HTTPResponse response;
    std::optional<Poco::MemoryInputStream> inHandBody;
    bool reported = false;
    try {
        std::istream* body = nullptr;
        if (const WholeResponse* whole = sent.inHand) {
            // Off the socket already: the response as read from its parts, not through Poco's session.
            response.setVersion(std::string(whole->version));
            response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(whole->status), std::string(whole->reason));
            for (const auto& [name, value] : whole->fields) response.add(std::string(name), std::string(value));
            body = &inHandBody.emplace(whole->body.data(), whole->body.size());
        } else {
            body = &sent.session->http().receiveResponse(response);
        }
        body->exceptions(std::ios::badbit);
        reportExchange(sent.exchange, &response);
        reported = true;
        handlePostResponse(*sent.session, response, *body, message, sent.sentWithSession, sent.inHand != nullptr, generation);
    } catch (const Poco::Net::NoMessageException& e) {
        if (stopping_ || !current(generation)) return;
        // A pooled connection the server had closed before reading the request: once more on a new one.
        if (sent.reused) {
            sent.session.reset();
            if (auto again = sendPost(message, generation, false)) {
                again->session->awaitAnswer(); // the answer this thread already awaits
                receivePost(*again, message, generation);
            }
            return;
        }
        reportExchange(sent.exchange, nullptr, e.displayText());
        failRequest(message, "no response to POST " + config_.url.toString() + ": " + e.displayText());
    } catch (const std::exception& e) {
        if (stopping_ || !current(generation)) return;
        if (!reported) reportExchange(sent.exchange, nullptr, e.what());
        failRequest(message, "no response to POST " + config_.url.toString() + ": " + e.what());
    }
}

void HttpConnection::handlePostResponse(ActiveSession& session, Poco::Net::HTTPResponse& response, std::istream& body,
                                        const Outgoing& message, bool sentWithSession, bool inHand, std::uint64_t generation) {
    const int status = static_cast<int>(response.getStatus());
    const bool isInitialize = message.info.isInitialize();
    if (isInitialize) {
        bool mayFallBack;
        {
            std::lock_guard<std::mutex> lock(stateMutex_);
            mayFallBack = config_.mode == TransportMode::StreamableWithFallback && !streamableConfirmed_;
        }
        if ((status == 400 || status == 404 || status == 405) && mayFallBack) {
            // A JSON-RPC error for this initialize is the server's own answer (a server of the
            // 2026-07-28 era only refuses the 2025 versions, -32022): no reason to try the legacy transport.
            const std::string text = finishBody(session, response, body);
            if (answersItself(message, text)) return refused(message, status, response.getReason(), text);
            fallBackToLegacy(message, status, generation);
            return;
        }
        if (status / 100 == 2) {
            std::lock_guard<std::mutex> lock(stateMutex_);
            if (generation_ == generation) {
                streamableConfirmed_ = true;
                if (response.has("Mcp-Session-Id")) sessionId_ = response.get("Mcp-Session-Id");
            }
        }
    }
    if (status == 404 && sentWithSession) {
        reportClosed(MC_ERR_NOT_FOUND, "session expired", generation);
        return;
    }
    if (status / 100 != 2) {
        const std::string text = finishBody(session, response, body);
        refused(message, status, response.getReason(), text);
        return;
    }
    if (message.info.method == "notifications/initialized") startServerStream(generation);
    if (status == 202 || status == 204) {
        try {
            readBody(body, 1 << 16); // usually empty; read to its end so the connection can be reused
            session.markReusable(response);
        } catch (const std::exception&) {
        }
        session.finish();
        if (message.info.isRequest) failRequest(message, "the server accepted the request without answering it", status);
        return;
    }
    if (isEventStream(response)) {
        if (inHand) {
            // All of the stream is here: its connection goes back to the pool before the answer is
            // delivered, so that the request that delivery prompts finds it (and goes out inline).
            session.markReusable(response);
            session.finish();
            readResponseStream(body, message, generation);
            return;
        }
        if (readResponseStream(body, message, generation)) {
            // The TypeScript SDK ends a POST's stream right after the response: read it to its end and
            // the connection can be reused. A stream the server keeps open is dropped after 50 ms.
            try {
                auto socket = session.http().socket();
                socket.setReceiveTimeout(Poco::Timespan(0, kStreamEndWaitUs));
                char rest[512];
                while (body.read(rest, sizeof rest) || body.gcount() > 0) {
                }
                socket.setReceiveTimeout(Poco::Timespan(config_.readTimeoutMs * 1000));
                if (body.eof()) session.markReusable(response);
            } catch (const std::exception&) {
            }
            session.finish();
        }
        return;
    }
    const std::string text = readBody(body, config_.maxBodyBytes);
    session.markReusable(response);
    session.finish();
    if (isBlank(text)) {
        if (message.info.isRequest) failRequest(message, "the server answered with an empty body", status);
        return;
    }
    if (!isJson(response)) host_.debug("response without a JSON Content-Type (" + response.getContentType() + "); parsing it anyway");
    const auto ids = deliverBody(text, generation);
    if (message.info.isRequest && !ids.count(message.info.idJson))
        failRequest(message, "the server's JSON response did not answer request " + message.info.idJson, status);
}

bool HttpConnection::readResponseStream(std::istream& body, const Outgoing& message, std::uint64_t generation) {
    std::set<std::string> pending;
    if (message.info.isRequest) pending.insert(message.info.idJson);
    std::vector<SseEvent> inbox;
    SseParser parser([&inbox](const SseEvent& event) { inbox.push_back(event); });
    auto onEvent = [&](const SseEvent& event) {
        if (event.type != "message" || isBlank(event.data)) return true; // e.g. a priming event: id only
        for (const auto& id : deliverBody(event.data, generation)) pending.erase(id);
        return !(message.info.isRequest && pending.empty());
    };
    std::string failure = "the stream ended";
    try {
        pumpEvents(body, parser, inbox, onEvent);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    if (pending.empty() || stopping_ || !current(generation)) return pending.empty();

    // The stream broke before the response: resume it with GET + Last-Event-ID (the server replays
    // what we missed), after the retry interval it asked for.
    int attempts = 0;
    while (!pending.empty() && attempts < kMaxResumeAttempts) {
        if (parser.lastEventId().empty()) break;
        if (!pause(parser.retryMs().value_or(kDefaultRetryMs), generation)) return false;
        ++attempts;
        std::unique_ptr<ActiveSession> session;
        try {
            session = openSession(config_.url, generation);
            OneWriteRequest request = [&] {
                std::lock_guard<std::mutex> lock(stateMutex_);
                return makeRequest(Poco::Net::HTTPRequest::HTTP_GET, config_.url, true);
            }();
            request.set("Accept", "text/event-stream");
            request.set("Last-Event-ID", parser.lastEventId());
            const auto started = std::chrono::steady_clock::now();
            session->http().sendRequest(request);
            const Exchange exchange = sentExchange(request, 0, {}, started);
            Poco::Net::HTTPResponse response;
            std::istream& resumed = [&]() -> std::istream& {
                try {
                    return session->http().receiveResponse(response);
                } catch (const Poco::Exception& e) {
                    reportExchange(exchange, nullptr, e.displayText());
                    throw;
                }
            }();
            reportExchange(exchange, &response);
            resumed.exceptions(std::ios::badbit);
            const int status = static_cast<int>(response.getStatus());
            if (status == 404) {
                bool hadSession;
                {
                    std::lock_guard<std::mutex> lock(stateMutex_);
                    hadSession = !sessionId_.empty();
                }
                if (hadSession) {
                    reportClosed(MC_ERR_NOT_FOUND, "session expired", generation);
                    return false;
                }
            }
            if (status != 200 || !isEventStream(response)) {
                failure = "resuming with Last-Event-ID answered " + statusText(response);
                if (status == 405) break;
                continue;
            }
            diag(MC_LOG_DEBUG, "resumed the response stream after event " + parser.lastEventId());
            parser.finish();
            const std::string before = parser.lastEventId();
            pumpEvents(resumed, parser, inbox, onEvent);
            if (parser.lastEventId() != before) attempts = 0; // progress: the budget is for failures in a row
        } catch (const std::exception& e) {
            if (stopping_) return false;
            failure = e.what();
        }
    }
    if (!pending.empty() && !stopping_ && current(generation))
        failRequest(message, "the response stream ended before the response arrived (" + failure + ")");
    return false;
}

void HttpConnection::startServerStream(std::uint64_t generation) {
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        if (serverStreamStarted_ || usingLegacy_ || generation_ != generation) return;
        serverStreamStarted_ = true;
    }
    spawn([this, generation] { runServerStream(generation); });
}

void HttpConnection::runServerStream(std::uint64_t generation) {
    std::vector<SseEvent> inbox;
    SseParser parser([&inbox](const SseEvent& event) { inbox.push_back(event); });
    int failures = 0;
    while (!stopping_ && current(generation)) {
        long long delay = parser.retryMs().value_or(kDefaultRetryMs);
        try {
            auto session = openSession(config_.url, generation);
            bool hadSession;
            OneWriteRequest request = [&] {
                std::lock_guard<std::mutex> lock(stateMutex_);
                hadSession = !sessionId_.empty();
                return makeRequest(Poco::Net::HTTPRequest::HTTP_GET, config_.url, true);
            }();
            request.set("Accept", "text/event-stream");
            if (!parser.lastEventId().empty()) request.set("Last-Event-ID", parser.lastEventId());
            const auto started = std::chrono::steady_clock::now();
            try {
                session->http().sendRequest(request);
            } catch (const Poco::Exception& e) {
                if (stopping_ || !current(generation)) return;
                reportExchange(sentExchange(request, 0, {}, started), nullptr, e.displayText());
                if (++failures >= kUnreachableAfterFailures) {
                    reportClosed(MC_ERR_IO, "server unreachable: GET " + config_.url.toString() + ": " + e.displayText(), generation);
                    return;
                }
                pause(delay * failures, generation);
                continue;
            }
            const Exchange exchange = sentExchange(request, 0, {}, started);
            Poco::Net::HTTPResponse response;
            std::istream& body = [&]() -> std::istream& {
                try {
                    return session->http().receiveResponse(response);
                } catch (const Poco::Exception& e) {
                    if (!stopping_) reportExchange(exchange, nullptr, e.displayText());
                    throw;
                }
            }();
            reportExchange(exchange, &response);
            body.exceptions(std::ios::badbit);
            const int status = static_cast<int>(response.getStatus());
            if (status == 405) {
                diag(MC_LOG_DEBUG, "the server offers no stream for server-initiated messages (GET answered 405)");
                return;
            }
            if (status == 404 && hadSession) {
                reportClosed(MC_ERR_NOT_FOUND, "session expired", generation);
                return;
            }
            if (status != 200 || !isEventStream(response)) {
                if (++failures >= 5) {
                    diag(MC_LOG_WARN, "giving up on the server-message stream: GET answered " + statusText(response));
                    return;
                }
                pause(std::min<long long>(30000, delay << failures), generation);
                continue;
            }
            failures = 0;
            host_.debug("server-message stream open" +
                        (parser.lastEventId().empty() ? std::string() : " (resumed after event " + parser.lastEventId() + ")"));
            try {
                pumpEvents(body, parser, inbox, [&](const SseEvent& event) {
                    if (event.type == "message" && !isBlank(event.data)) deliverBody(event.data, generation);
                    return true;
                });
            } catch (const std::exception& e) {
                host_.debug(std::string("server-message stream dropped: ") + e.what());
            }
            parser.finish();
        } catch (const std::exception& e) {
            if (stopping_ || !current(generation)) return;
            host_.debug(std::string("server-message stream: ") + e.what());
            ++failures;
        }
        if (!pause(parser.retryMs().value_or(kDefaultRetryMs), generation)) return;
    }
}

// ------------------------------------------------------------------------------------------------
// Legacy HTTP+SSE (2024-11-05)

void HttpConnection::fallBackToLegacy(const Outgoing& initialize, int status, std::uint64_t generation) {
    diag(MC_LOG_INFO, "POST initialize answered HTTP " + std::to_string(status) +
                          ": the server does not speak Streamable HTTP; falling back to the HTTP+SSE transport");
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        usingLegacy_ = true;
    }
    try {
        connectLegacyStream(generation);
    } catch (const std::exception& e) {
        failRequest(initialize, "the server speaks neither Streamable HTTP (POST answered HTTP " + std::to_string(status) +
                                    ") nor HTTP+SSE (" + e.what() + ")",
                    status);
        return;
    }
    postLegacy(initialize, generation);
}

void HttpConnection::connectLegacyStream(std::uint64_t generation) {
    auto session = openSession(config_.url, generation);
    OneWriteRequest request = makeRequest(Poco::Net::HTTPRequest::HTTP_GET, config_.url, false);
    request.set("Accept", "text/event-stream");
    Poco::Net::HTTPResponse response;
    std::istream* body = nullptr;
    const auto started = std::chrono::steady_clock::now();
    try {
        session->http().sendRequest(request);
        body = &session->http().receiveResponse(response);
    } catch (const Poco::Exception& e) {
        reportExchange(sentExchange(request, 0, {}, started), nullptr, e.displayText());
        throw std::runtime_error("GET " + config_.url.toString() + ": " + e.displayText());
    }
    reportExchange(sentExchange(request, 0, {}, started), &response);
    body->exceptions(std::ios::badbit);
    if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK || !isEventStream(response))
        throw std::runtime_error("GET " + config_.url.toString() + " answered " + statusText(response) + " (" +
                                 response.getContentType() + "), not an event stream");

    auto inbox = std::make_shared<std::vector<SseEvent>>();
    auto parser = std::make_shared<SseParser>([inbox](const SseEvent& event) { inbox->push_back(event); });
    std::string endpoint;
    pumpEvents(*body, *parser, *inbox, [&](const SseEvent& event) {
        if (event.type == "endpoint") {
            endpoint = event.data;
            return false;
        }
        if (event.type == "message" && !isBlank(event.data)) deliverBody(event.data, generation);
        return true;
    });
    // Events that arrived in the same chunk as the endpoint are handled by the stream reader below.
    if (endpoint.empty()) throw std::runtime_error("the event stream ended without an 'endpoint' event");
    Poco::URI resolved(config_.url);
    resolved.resolve(Poco::trim(endpoint));
    if (resolved.getScheme() != config_.url.getScheme() || resolved.getHost() != config_.url.getHost() ||
        resolved.getPort() != config_.url.getPort())
        throw std::runtime_error("the endpoint '" + endpoint + "' is on another origin; refusing to send messages there");
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        legacyEndpoint_ = resolved;
        legacyStreamAlive_ = true;
    }
    host_.debug("legacy SSE endpoint: " + resolved.toString());

    auto shared = std::shared_ptr<ActiveSession>(std::move(session));
    spawn([this, shared, parser, inbox, body, generation] {
        auto onEvent = [&](const SseEvent& event) {
            if (event.type == "message" && !isBlank(event.data)) deliverBody(event.data, generation);
            return true;
        };
        std::string why = "the server closed the SSE stream";
        try {
            // Whatever the first read brought after the endpoint event.
            for (std::size_t i = 0; i < inbox->size(); ++i)
                if ((*inbox)[i].type != "endpoint") onEvent((*inbox)[i]);
            inbox->clear();
            pumpEvents(*body, *parser, *inbox, onEvent);
        } catch (const std::exception& e) {
            why = std::string("the SSE stream failed: ") + e.what();
        }
        if (stopping_ || !current(generation)) return;
        {
            std::lock_guard<std::mutex> lock(stateMutex_);
            legacyStreamAlive_ = false;
        }
        reportClosed(MC_ERR_IO, why, generation);
    });
}

void HttpConnection::postLegacy(const Outgoing& message, std::uint64_t generation) {
    Poco::URI endpoint;
    bool alive;
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        alive = legacyStreamAlive_;
        endpoint = legacyEndpoint_;
    }
    if (!alive) { // outside the lock: the host may send from inside the callback
        failRequest(message, "no SSE stream to the server");
        return;
    }
    // The endpoint has the configured URL's origin (checked when the stream named it): pooled connections serve it.
    bool reused = false;
    std::unique_ptr<ActiveSession> session;
    try {
        session = openPostSession(generation, true, reused);
    } catch (const Poco::Exception&) {
        return; // closing
    }
    OneWriteRequest request = makeRequest(Poco::Net::HTTPRequest::HTTP_POST, endpoint, false);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(message.body.size()));
    Poco::Net::HTTPResponse response;
    std::string text;
    const auto started = std::chrono::steady_clock::now();
    try {
        std::ostream& out = session->http().sendRequest(request);
        out << message.body;
        out.flush();
    } catch (const Poco::Exception& e) {
        if (stopping_) return;
        reportExchange(sentExchange(request, message.body.size(), message.info.idJson, started), nullptr, e.displayText());
        reportClosed(MC_ERR_IO, "server unreachable: POST " + endpoint.toString() + ": " + e.displayText(), generation);
        return;
    }
    const Exchange exchange = sentExchange(request, message.body.size(), message.info.idJson, started);
    bool answered = false;
    try {
        std::istream& body = session->http().receiveResponse(response);
        answered = true;
        reportExchange(exchange, &response);
        body.exceptions(std::ios::badbit);
        text = readBody(body, 1 << 16);
        session->markReusable(response);
    } catch (const std::exception& e) {
        if (stopping_) return;
        if (!answered) reportExchange(exchange, nullptr, e.what());
        failRequest(message, "no answer to POST " + endpoint.toString() + ": " + e.what());
        return;
    }
    const int status = static_cast<int>(response.getStatus());
    if (status / 100 == 2) return; // the response arrives on the SSE stream
    if (status == 404) {
        reportClosed(MC_ERR_NOT_FOUND, "session expired", generation);
        return;
    }
    refused(message, status, response.getReason(), text);
}

// ------------------------------------------------------------------------------------------------

bool HttpConnection::pumpEvents(std::istream& in, SseParser& parser, std::vector<SseEvent>& inbox,
                                const std::function<bool(const SseEvent&)>& onEvent) {
    char buffer[16384];
    for (;;) {
        if (stopping_) return false;
        // peek() waits for data; readsome() then takes only what is buffered, so each event is
        // handled as soon as it arrives instead of when a fixed-size read fills up.
        if (in.peek() == std::char_traits<char>::eof()) {
            parser.finish();
            return true;
        }
        const std::streamsize n = in.readsome(buffer, sizeof buffer);
        if (n <= 0) continue;
        parser.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
        for (std::size_t i = 0; i < inbox.size(); ++i) {
            if (!onEvent(inbox[i])) {
                inbox.erase(inbox.begin(), inbox.begin() + static_cast<std::ptrdiff_t>(i) + 1);
                return false;
            }
        }
        inbox.clear();
    }
}

std::set<std::string> HttpConnection::deliverBody(std::string_view body, std::uint64_t generation) {
    std::set<std::string> responseIds;
    std::vector<IncomingMessage> messages;
    try {
        messages = splitIncoming(body);
    } catch (const std::exception& e) {
        diag(MC_LOG_WARN, e.what());
        return responseIds;
    }
    for (auto& message : messages) {
        if (message.isResponse) {
            responseIds.insert(message.idJson);
            std::lock_guard<std::mutex> lock(stateMutex_);
            if (generation_ == generation && !initializeIdJson_.empty() && message.idJson == initializeIdJson_ &&
                !message.protocolVersion.empty()) {
                protocolVersion_ = message.protocolVersion;
                initializeIdJson_.clear();
            }
        }
        deliver(message.json, generation);
    }
    return responseIds;
}

HttpConnection::Exchange HttpConnection::sentExchange(const Poco::Net::HTTPRequest& request, std::size_t bodyBytes,
                                                      const std::string& jsonrpcId,
                                                      std::chrono::steady_clock::time_point started) const {
    Exchange exchange;
    if (!events_.wantsExchanges()) return exchange;
    exchange.wanted = true;
    exchange.method = request.getMethod();
    exchange.target = request.getURI();
    exchange.requestHeaders = headerLines(request);
    exchange.requestBytes = bodyBytes;
    exchange.jsonrpcId = jsonrpcId;
    exchange.started = started;
    return exchange;
}

void HttpConnection::reportExchange(const Exchange& exchange, const Poco::Net::HTTPResponse* response, const std::string& error) {
    if (!exchange.wanted) return;
    const std::string responseHeaders = response ? headerLines(*response) : std::string();
    sdk::HttpExchange report;
    report.method = exchange.method;
    report.target = exchange.target;
    report.status = response ? static_cast<int>(response->getStatus()) : 0;
    report.requestHeaders = exchange.requestHeaders;
    report.responseHeaders = responseHeaders;
    report.requestBytes = exchange.requestBytes;
    report.responseBytes = !response ? 0 : response->hasContentLength() ? response->getContentLength64() : -1;
    report.durationMicros =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - exchange.started).count();
    report.jsonrpcId = exchange.jsonrpcId;
    report.error = response ? std::string_view() : std::string_view(error);
    std::lock_guard<std::mutex> lock(deliverMutex_);
    if (stopping_) return;
    events_.exchange(report);
}

void HttpConnection::deliver(const std::string& json, std::uint64_t generation) {
    std::lock_guard<std::mutex> lock(deliverMutex_);
    if (stopping_ || generation < silencedBelow_) return;
    if (!answered_) {
        // The first message from the server: the connection works (its health).
        answered_ = true;
        events_.status(MC_COMPONENT_OK, "the server answers");
    }
    events_.message(json);
}

void HttpConnection::failRequest(const Outgoing& message, const std::string& reason, int httpStatus) {
    diag(MC_LOG_WARN, (message.info.method.empty() ? std::string("response") : message.info.method) + ": " + reason);
    if (message.info.isRequest) deliver(transportErrorResponse(message.info.idJson, "mcp-http: " + reason, httpStatus));
}

std::string HttpConnection::finishBody(ActiveSession& session, Poco::Net::HTTPResponse& response, std::istream& body) {
    std::string text;
    try {
        text = readBody(body, 1 << 16);
        session.markReusable(response);
    } catch (const std::exception&) {
    }
    session.finish();
    return text;
}

bool HttpConnection::answersItself(const Outgoing& message, const std::string& body) {
    if (!message.info.isRequest || isBlank(body)) return false;
    try {
        const auto messages = splitIncoming(body);
        return messages.size() == 1 && messages[0].isResponse && messages[0].idJson == message.info.idJson;
    } catch (const std::exception&) {
        return false;
    }
}

void HttpConnection::refused(const Outgoing& message, int status, const std::string& reason, const std::string& body) {
    // A JSON-RPC error for this very request is the server's own answer: pass it on as it is.
    if (answersItself(message, body)) {
        deliver(splitIncoming(body)[0].json);
        return;
    }
    failRequest(message, "HTTP " + std::to_string(status) + " " + reason + (isBlank(body) ? "" : ": " + snippet(body)), status);
}

void HttpConnection::reportClosed(mc_status status, const std::string& detail, std::uint64_t generation) {
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        if (closing_ || endedReason_ || generation_ != generation) return;
        endedReason_ = detail;
        ++generation_; // every stream of the ended session stops
        draining_ = true;
        serverStreamStarted_ = false;
        legacyStreamAlive_ = false;
        if (status == MC_ERR_NOT_FOUND) sessionId_.clear();
        wakeup_.notify_all();
    }
    abortSessions(false, generation + 1, true); // its streams; POSTs awaiting answers are left to finish
    diag(status == MC_ERR_NOT_FOUND ? MC_LOG_INFO : MC_LOG_WARN, "connection to " + config_.describe() + " ended: " + detail);
    {
        // The answers to requests in flight come first (the server may have answered them before it
        // forgot the session, e.g. a GET stream's 404 overtaking a POST's answer), within the grace.
        std::unique_lock<std::mutex> lock(stateMutex_);
        const int own = t_awaitedGeneration == generation ? 1 : 0;
        wakeup_.wait_for(lock, std::chrono::milliseconds(kEndedSessionGraceMs), [&] {
            auto it = awaitedAnswers_.find(generation);
            return closing_ || it == awaitedAnswers_.end() || it->second <= own;
        });
        draining_ = false;
        wakeup_.notify_all(); // an initialize waiting for this end to be reported
    }
    abortSessions(false, generation + 1); // what is still unanswered gets no answer now
    std::lock_guard<std::mutex> lock(deliverMutex_);
    silencedBelow_ = std::max(silencedBelow_, generation + 1); // nothing of the ended session after on_closed
    if (stopping_) return;
    events_.closed(status, detail);
}

void HttpConnection::diag(mc_log_level level, const std::string& text) {
    host_.log(level, text);
    if (level < MC_LOG_INFO) return;
    std::lock_guard<std::mutex> lock(deliverMutex_);
    if (stopping_) return;
    events_.log(level, text);
}

bool HttpConnection::current(std::uint64_t generation) {
    std::lock_guard<std::mutex> lock(stateMutex_);
    return generation_ == generation && !closing_;
}

bool HttpConnection::pause(long long ms, std::uint64_t generation) {
    std::unique_lock<std::mutex> lock(stateMutex_);
    wakeup_.wait_for(lock, std::chrono::milliseconds(std::max<long long>(ms, 0)),
                     [&] { return closing_ || generation_ != generation; });
    return !closing_ && generation_ == generation;
}

void HttpConnection::spawn(std::function<void()> body) {
    std::lock_guard<std::mutex> lock(workersMutex_);
    for (auto it = workers_.begin(); it != workers_.end();) {
        if (it->done->load()) {
            it->thread.join();
            it = workers_.erase(it);
        } else {
            ++it;
        }
    }
    if (stopping_) return;
    auto done = std::make_shared<std::atomic<bool>>(false);
    workers_.push_back(Worker{std::thread([this, body = std::move(body), done] {
                                  mc::sdk::nameThisThread("http-stream");
                                  t_connectionThread = this;
                                  try {
                                      body();
                                  } catch (const std::exception& e) {
                                      host_.error(std::string("mcp-http worker failed: ") + e.what());
                                  }
                                  done->store(true);
                              }),
                              done});
}

} // namespace mc::mcp_http
