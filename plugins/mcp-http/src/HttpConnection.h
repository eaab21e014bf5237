#pragma once
// One open connection to one MCP server over Streamable HTTP (2025-03-26 and later) or, as a
// fallback, the 2024-11-05 HTTP+SSE transport.
//
// Threads: send() only queues. A writer thread puts every message on the wire in order, each POST on
// a keep-alive TCP connection taken from an idle pool (or a new one); the responses are read by a
// fixed set of workers (at most max_connections, started as needed), one per request in flight, so a
// long tool call does not hold up a ping; a further request waits for a free slot. A connection whose
// response was read to its end goes back to the pool. The GET stream (server-initiated messages) and
// the legacy SSE stream have a thread each. Every callback into the host goes through one mutex, so the host
// never sees two at once; after close() returns there are no more callbacks.
#include "HttpHead.h"
#include "HttpTransportConfig.h"
#include "JsonRpc.h"
#include "ResponseFraming.h"
#include "mc/sse/SseParser.h"

#include "mc/sdk.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace mc::mcp_http {

using mc::sse::SseEvent;
using mc::sse::SseParser;

class HttpConnection {
public:
    HttpConnection(HttpTransportConfig config, sdk::Host host, sdk::ConnectionEvents events);
    ~HttpConnection();
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;

    // Checks the server is reachable (TCP connect within connect_timeout_ms) and starts the writer.
    // Throws sdk::Error(MC_ERR_IO) with the reason when it is not.
    void open();
    // Queues one JSON-RPC message. Throws sdk::Error: MC_ERR_INVALID_ARGUMENT for a non-message,
    // MC_ERR_UNAVAILABLE after close or once the connection ended (an `initialize` request starts
    // a new session then).
    void send(std::string_view message);
    // DELETEs the session, stops every stream and thread. Idempotent. Throws sdk::Error
    // (MC_ERR_CONFLICT) when called from inside one of this connection's callbacks.
    void close();

private:
    struct Outgoing {
        std::string body;
        OutgoingInfo info;
    };
    // An HTTP session registered for abort by close() while it is in use.
    class ActiveSession;
    // One HTTP request on its way to ConnectionEvents::exchange (ABI 2.2), reported once its
    // response's headers came or it failed. Empty (`wanted` false) when the host takes none.
    struct Exchange {
        bool wanted = false;
        std::string method, target, requestHeaders, jsonrpcId;
        std::uint64_t requestBytes = 0;
        std::chrono::steady_clock::time_point started;
    };
    struct Worker {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };

    void writerLoop();
    void process(const Outgoing& message);
    void beginSession(const Outgoing& message);
    void postStreamable(const Outgoing& message, std::uint64_t generation);
    // On the caller's thread, under stateMutex_: nothing is queued or being sent before `message`, and
    // it is an ordinary Streamable HTTP POST (not initialize, not a listen stream, not over TLS, small).
    bool mayPostInline(const Outgoing& message) const;
    // Writes `message` on a pooled keep-alive connection from the caller's thread (a small write to an
    // idle connection does not block) and waits for its response on that thread when it is a host I/O
    // thread (watchAnswer), else hands it to a worker: the writer thread's wake-up is saved. False
    // (nothing sent, nothing reported) when no fresh pooled connection or request slot is free at
    // once, or the write failed; the writer thread then takes the message.
    bool postInline(const Outgoing& message, std::uint64_t generation);
    // A POST sent and waiting for its response.
    struct SentPost {
        std::unique_ptr<ActiveSession> session;
        bool sentWithSession = false;
        bool reused = false; // on a pooled keep-alive connection (the server may have closed it since)
        // The whole response, taken off the socket at once on the host's thread (answerReadable): set
        // while it is handled (its views are of that thread's buffer).
        const WholeResponse* inHand = nullptr;
        Exchange exchange;
    };
    // Sends `message` (the writer thread, or a worker retrying); nullptr when it could not be sent
    // (already reported). `mayReuse`: take a pooled connection.
    std::shared_ptr<SentPost> sendPost(const Outgoing& message, std::uint64_t generation, bool mayReuse);
    // Writes the POST of `message` on sent.session; throws Poco exceptions. `direct`: on the socket
    // itself, not through the session's request stream (an idle keep-alive connection of plain HTTP).
    void writePost(SentPost& sent, const Outgoing& message, bool direct = false);
    // A worker reads the response of a sent POST, then frees its connection and request slot.
    void awaitResponse(std::shared_ptr<SentPost> sent, const Outgoing& message, std::uint64_t generation);
    // The same for a POST whose answer is already held (holdAnswer).
    void handOff(std::shared_ptr<SentPost> sent, Outgoing message, std::uint64_t generation);
    // A POST sent from a host I/O thread, whose answer that thread waits for (mc_host_api.watch_readable,
    // ABI 2.4): read there when it is all there, else handed to a worker.
    struct AnswerWatch {
        HttpConnection* connection;
        std::shared_ptr<SentPost> sent;
        Outgoing message;
        std::uint64_t generation;
        std::chrono::steady_clock::time_point handOffAt; // a slower answer is a worker's (what it streams is not held back)
    };
    // Asks the host to call back when the answer can be read; false (the watch still the caller's)
    // off a host I/O thread, when closing or past handOffAt.
    bool watchAnswer(std::unique_ptr<AnswerWatch>& watch);
    static void onAnswerReadable(void* ctx, int readable) noexcept;
    void answerReadable(std::unique_ptr<AnswerWatch>& watch, bool readable);
    void endWatch();
    void receivePost(SentPost& sent, const Outgoing& message, std::uint64_t generation);
    // receivePost of a POST counted by holdAnswer, released when it returns.
    void receiveHeldPost(SentPost& sent, const Outgoing& message, std::uint64_t generation);
    // Counts a POST whose answer is awaited in its generation: the session's end waits for it (within
    // kEndedSessionGraceMs) before on_closed, and does not abort its connection meanwhile.
    void holdAnswer(ActiveSession& session, std::uint64_t generation);
    void releaseAnswer(std::uint64_t generation);
    // `inHand`: the whole response was on the socket before it was read (nothing of it is waited for).
    void handlePostResponse(ActiveSession& session, Poco::Net::HTTPResponse& response, std::istream& body,
                            const Outgoing& message, bool sentWithSession, bool inHand, std::uint64_t generation);
    // Delivers the messages of a POST's event stream until it answered the request (resuming a broken
    // stream with GET + Last-Event-ID); true when the original stream answered it.
    bool readResponseStream(std::istream& body, const Outgoing& message, std::uint64_t generation);
    void fallBackToLegacy(const Outgoing& initialize, int status, std::uint64_t generation);
    void connectLegacyStream(std::uint64_t generation);
    void postLegacy(const Outgoing& message, std::uint64_t generation);
    void startServerStream(std::uint64_t generation);
    void runServerStream(std::uint64_t generation);

    // Reads event-stream bytes until the end (true) or until onEvent returns false (false).
    // Throws Poco exceptions for I/O errors and timeouts.
    bool pumpEvents(std::istream& in, SseParser& parser, std::vector<SseEvent>& inbox,
                    const std::function<bool(const SseEvent&)>& onEvent);
    // Delivers a JSON body (one message or a batch); returns the ids of responses in it.
    std::set<std::string> deliverBody(std::string_view body, std::uint64_t generation);

    std::unique_ptr<ActiveSession> openSession(const Poco::URI& uri, std::uint64_t generation);
    // A session to the configured origin for a POST: a pooled keep-alive one when `mayReuse` and
    // there is one (`reused` says so), else a new one.
    std::unique_ptr<ActiveSession> openPostSession(std::uint64_t generation, bool mayReuse, bool& reused);
    // A pooled connection idle for less than the keep-alive time (so writing on it needs no reconnect),
    // or nullptr.
    std::unique_ptr<ActiveSession> takeFreshIdleSession(std::uint64_t generation);
    // `http` registered for abort by close(); throws Poco::Net::NetException when closing.
    std::unique_ptr<ActiveSession> activate(std::unique_ptr<Poco::Net::HTTPClientSession> http, std::uint64_t generation);
    // The request slots and the fixed workers that read responses.
    bool acquireSlot(); // waits while max_connections requests are in flight; false when closing
    bool tryAcquireSlot(); // acquireSlot without waiting
    void releaseSlot();
    void submit(std::function<void()> job);
    void poolWorker();
    // An HTTP(S) session to `uri` (the configured origin), to connect_address when one is set.
    std::unique_ptr<Poco::Net::HTTPClientSession> newSession(const Poco::URI& uri) const;
    std::string connectHost() const; // connect_address, else the URL's host
    OneWriteRequest makeRequest(const std::string& method, const Poco::URI& uri, bool withSession) const;
    // Shuts down the sockets of all sessions, or of those below a generation (sparing those that
    // carry a POST awaiting its answer when `sparingAnswers`).
    void abortSessions(bool all, std::uint64_t belowGeneration, bool sparingAnswers = false);

    // `request` as sent (its headers complete), begun at `started`.
    Exchange sentExchange(const Poco::Net::HTTPRequest& request, std::size_t bodyBytes, const std::string& jsonrpcId,
                          std::chrono::steady_clock::time_point started) const;
    // Reports it with the response (its headers) or, when none came, the error.
    void reportExchange(const Exchange& exchange, const Poco::Net::HTTPResponse* response, const std::string& error = {});
    // Passes a message on, unless its generation was silenced (ended and reported, or superseded by
    // a new initialize). The transport's own answers (failRequest) name no generation.
    static constexpr std::uint64_t kAnyGeneration = ~std::uint64_t(0);
    void deliver(const std::string& json, std::uint64_t generation = kAnyGeneration);
    void failRequest(const Outgoing& message, const std::string& reason, int httpStatus = 0);
    // A response's body read (up to 64 KiB) so that its connection can be reused, and the session done.
    static std::string finishBody(ActiveSession& session, Poco::Net::HTTPResponse& response, std::istream& body);
    // Whether `body` is the server's own JSON-RPC response to `message` (an error it answered with HTTP 4xx).
    static bool answersItself(const Outgoing& message, const std::string& body);
    void refused(const Outgoing& message, int status, const std::string& reason, const std::string& body);
    void reportClosed(mc_status status, const std::string& detail, std::uint64_t generation);
    void diag(mc_log_level level, const std::string& text);
    bool current(std::uint64_t generation);
    // Sleeps up to `ms`; false when the connection is closing (or the generation went stale).
    bool pause(long long ms, std::uint64_t generation);
    void spawn(std::function<void()> body);

    const HttpTransportConfig config_;
    const sdk::Host host_;
    const sdk::ConnectionEvents events_;
    Poco::Net::Context::Ptr tls_;

    std::mutex stateMutex_;
    std::condition_variable wakeup_;
    std::deque<Outgoing> queue_;
    bool opened_ = false;
    bool closing_ = false;
    std::atomic<bool> stopping_{false};
    std::uint64_t generation_ = 1;        // bumped by a new initialize and when the connection ends
    bool usingLegacy_ = false;
    bool streamableConfirmed_ = false;    // a Streamable HTTP POST succeeded: no fallback any more
    std::string sessionId_;
    std::string protocolVersion_;
    std::string initializeIdJson_;
    Poco::URI legacyEndpoint_;
    bool legacyStreamAlive_ = false;
    bool serverStreamStarted_ = false;
    std::optional<std::string> endedReason_; // set when the session ended (on_closed follows the drain)
    bool draining_ = false; // an ended session's answers in flight may still arrive; on_closed not yet sent
    std::map<std::uint64_t, int> awaitedAnswers_; // POSTs awaiting their answers, by generation
    bool writerBusy_ = false;    // the writer thread holds a message it took from queue_
    bool inlineSending_ = false; // a caller's thread is writing a message (postInline); the writer waits

    std::mutex deliverMutex_;
    bool answered_ = false; // under deliverMutex_: on_status(OK) sent at the first message
    std::uint64_t silencedBelow_ = 0; // under deliverMutex_: messages of older generations are dropped
    std::mutex sessionsMutex_;
    std::map<ActiveSession*, std::uint64_t> activeSessions_;
    struct IdleSession {
        std::unique_ptr<Poco::Net::HTTPClientSession> http;
        std::chrono::steady_clock::time_point since;
    };
    std::vector<IdleSession> idle_; // under sessionsMutex_: keep-alive, unused
    std::map<std::string, ActiveSession*> modernInFlight_; // under sessionsMutex_: 2026-07-28 requests by id (JSON text)
    std::mutex poolMutex_;
    std::condition_variable jobReady_;
    std::condition_variable slotFree_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> poolThreads_;
    std::size_t idleWorkers_ = 0;
    std::size_t inFlight_ = 0;
    bool poolStopping_ = false;
    std::size_t watchedAnswers_ = 0; // under poolMutex_: answers a host I/O thread waits for (close waits for them)
    std::condition_variable watchesEnded_;
    std::mutex workersMutex_;
    std::list<Worker> workers_;
    std::thread writer_;
};

} // namespace mc::mcp_http
