#pragma once
// The host's HTTP/1.1 server: a few event-loop threads own every connection (reading heads and
// bodies, writing responses, TLS), and a bounded worker pool runs request handlers on complete
// requests only. A slow or idle client therefore costs a socket and a little memory, never a worker:
// heads and bodies have deadlines, keep-alive idlers are closed, each client address has a connection
// cap, and handlers that wait for something (a tool call, a store commit) answer later through
// HttpExchange::defer() instead of blocking their worker.
//
// Handlers are Poco HTTPRequestHandlers made by a Poco HTTPRequestHandlerFactory (the Router), called
// with Poco request/response objects backed by memory. The factory is asked on the event loop as soon
// as a head is complete, so authentication, routing and media-type errors are answered before any
// body is read; handlers derived from ImmediateHandler (error answers, WebSocket upgrades) also run
// there. Every other handler runs on a worker once the body is in.
#include "net/EventLoop.h"
#include "net/HttpRequestParser.h"
#include "net/Transport.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SocketAddress.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace mc::host::net {

struct HttpServerSettings {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::size_t ioThreads = 1;            // http.io_threads
    std::size_t workerThreads = 16;       // http.max_threads: handlers running at once
    std::size_t maxQueued = 64;           // http.max_queued: complete requests waiting for a worker
    std::size_t maxConnections = 10000;   // http.max_connections
    std::size_t maxConnectionsPerAddress = 256; // http.max_connections_per_address
    HttpParserLimits limits;              // http.max_header_bytes, http.max_body_bytes
    std::chrono::milliseconds headerTimeout{10000}; // first byte of a request -> end of its head (and the TLS handshake)
    std::chrono::milliseconds bodyTimeout{30000};   // end of the head -> end of the body
    std::chrono::milliseconds idleTimeout{30000};   // keep-alive: a response sent -> the next request's first byte
    std::chrono::milliseconds writeTimeout{30000};  // a response makes no progress to the client for this long
    std::string tlsCertificateFile; // both set: https/wss
    std::string tlsKeyFile;
};

class HttpConnection;
class HttpExchange;

// Handlers of this type run on the event loop the moment the head is parsed; they must not block.
class ImmediateHandler : public Poco::Net::HTTPRequestHandler {};

// Handlers of this type run on the event loop once the body is in, not on a worker: for handlers that
// never wait (they hand their work on and answer through a deferred reply), one thread hand-off less
// per request. They must not block, nor spend long on the CPU.
class LoopHandler : public Poco::Net::HTTPRequestHandler {};

// A request whose body is in memory. Also the way an ImmediateHandler takes the connection over
// (WebSocket): upgrade().
class BufferedRequest final : public Poco::Net::HTTPServerRequest {
public:
    BufferedRequest(HttpExchange& exchange, const HttpRequestHead& head, Poco::Net::SocketAddress client,
                    Poco::Net::SocketAddress server, bool secure);
    std::istream& stream() override { return body_; }
    const Poco::Net::SocketAddress& clientAddress() const override { return client_; }
    const Poco::Net::SocketAddress& serverAddress() const override { return server_; }
    const Poco::Net::HTTPServerParams& serverParams() const override;
    Poco::Net::HTTPServerResponse& response() const override;
    bool secure() const override { return secure_; }

    void setBody(std::string body) { body_.str(std::move(body)); }

    // Takes the connection over once the handler's 101 response is written: `takeOver` receives the
    // transport and any bytes the client already sent after the head. Immediate handlers only.
    using TakeOver = std::function<void(std::unique_ptr<Transport> transport, std::string early)>;
    void upgrade(TakeOver takeOver);

private:
    HttpExchange& exchange_;
    std::istringstream body_;
    Poco::Net::SocketAddress client_;
    Poco::Net::SocketAddress server_;
    bool secure_;
};

// The response a handler writes: in memory, sent in one piece when the handler returns (or completes
// a deferred reply); with chunked transfer encoding set before send(), streamed as it is written,
// the writer waiting while the client is behind (at most writeTimeout).
class BufferedResponse final : public Poco::Net::HTTPServerResponse {
public:
    explicit BufferedResponse(HttpExchange& exchange);
    ~BufferedResponse() override;
    void sendContinue() override {}
    std::ostream& send() override;
    void sendFile(const std::string& path, const std::string& mediaType) override;
    void sendBuffer(const void* buffer, std::size_t length) override;
    void redirect(const std::string& uri, HTTPStatus status = HTTP_FOUND) override;
    void requireAuthentication(const std::string& realm) override;
    bool sent() const override { return sent_; }

private:
    friend class HttpExchange;
    class BodyBuffer;
    HttpExchange& exchange_;
    std::unique_ptr<BodyBuffer> buffer_;
    std::unique_ptr<std::ostream> stream_;
    bool sent_ = false;
};

// One request and its response, shared by the connection's loop and the worker running the handler.
class HttpExchange : public std::enable_shared_from_this<HttpExchange> {
public:
    HttpExchange(std::shared_ptr<HttpConnection> connection, const HttpRequestHead& head, Poco::Net::SocketAddress client,
                 Poco::Net::SocketAddress server, bool secure, std::chrono::milliseconds writeTimeout);
    ~HttpExchange();

    BufferedRequest& request() { return request_; }
    BufferedResponse& response() { return response_; }

    // Answer later, from any thread: the handler returns at once without occupying its worker. Exactly
    // one of complete() or the timeout writes the response; `onTimeout` runs on the event loop when
    // `timeout` passes first (e.g. 504), so a lost completion cannot hold the connection forever.
    using Writer = std::function<void(Poco::Net::HTTPServerResponse&)>;
    void defer(std::chrono::milliseconds timeout, Writer onTimeout);
    bool deferred() const { return deferred_; }
    // Writes the deferred response with `write` (any thread); false when it was already answered.
    bool complete(const Writer& write);
    // `then` runs once, on the event loop, if the client disconnects while a deferred response is
    // unanswered or its held stream open (at once, on the caller's thread, when that has happened already).
    void onAbandoned(std::function<void()> then);

    // Answers the deferred response with a stream that stays open (server-sent events): `head` sets
    // the status and headers, the body is chunked. False when it was already answered.
    bool openStream(const Writer& head);
    // One piece of the held stream, from any thread; never waits: a client more than
    // kHeldStreamBacklog behind is disconnected (false), as is one that reads nothing for writeTimeout.
    bool sendOnStream(std::string bytes);
    // Ends the held stream (the connection may serve the next request).
    void endStream();
    static constexpr std::size_t kHeldStreamBacklog = 1024 * 1024;

    // The exchange behind a response the HttpServer made (nullptr for any other response).
    static HttpExchange* of(Poco::Net::HTTPServerResponse& response);

private:
    friend class HttpConnection;
    friend class BufferedRequest;
    friend class BufferedResponse;
    friend class BufferedResponse::BodyBuffer;
    // The handler is done with the response (or a deferred reply was written): send what is left.
    void finish();
    // Streaming: the head (first) and body chunks, with flow control.
    bool pushStream(std::string bytes, bool wait = true);
    void streamProgress(std::size_t bytes); // the loop wrote `bytes` of this exchange's stream
    void failStream();
    // The loop: the client went away before the deferred response was written.
    void abandoned();
    // The worker: the handler returned having deferred; if the client already left, the loop gives up.
    void deferredByHandler();

    std::weak_ptr<HttpConnection> connection_;
    EventLoop& loop_;
    BufferedRequest request_;
    BufferedResponse response_;
    const std::chrono::milliseconds writeTimeout_;
    bool keepAlive_;
    std::atomic<bool> deferred_{false};
    std::atomic<bool> answered_{false}; // a deferred reply was claimed (by complete() or the timeout)
    std::atomic<bool> finished_{false};
    std::atomic<bool> peerGone_{false}; // the client shut its side (set by the loop)
    std::atomic<bool> streamHeld_{false}; // openStream(): answered, the stream open until endStream()
    std::chrono::steady_clock::time_point deferDeadline_{};
    Writer onTimeout_;
    std::mutex abandonMutex_;
    bool abandoned_ = false;
    std::function<void()> onAbandoned_;
    BufferedRequest::TakeOver takeOver_;
    bool streaming_ = false;
    bool headSent_ = false;

    std::mutex flowMutex_;
    std::condition_variable flowChanged_;
    std::size_t streamPending_ = 0; // bytes handed to the loop but not yet written
    bool streamFailed_ = false;
};

struct HttpServerStats {
    std::size_t connections;
    std::uint64_t accepted;
    std::uint64_t refusedOverCapacity;  // refused at accept: total or per-address cap
    std::uint64_t timedOut;             // closed for a head, body, idle or write timeout
    std::uint64_t rejectedBusy;         // 503: the worker queue was full
    std::uint64_t requests;
    std::size_t workersBusy;
    std::size_t queued;
};

class HttpServer {
public:
    // `factory` is not owned and must outlive the server. Throws std::runtime_error when the address
    // cannot be bound or the TLS files cannot be used.
    HttpServer(HttpServerSettings settings, Poco::Net::HTTPRequestHandlerFactory& factory);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    void start();
    // Stops accepting (the port is released). Idle connections are closed; others finish their request.
    void stopAccepting();
    // Waits until no handler runs on a worker (deferred replies may still be pending), at most `timeout`.
    bool waitForWorkers(std::chrono::milliseconds timeout);
    // Closes every connection and joins the loops and workers. Idempotent.
    void stop();

    std::uint16_t port() const { return port_; }
    bool secure() const { return tls_ != nullptr; }
    HttpServerStats stats() const;
    const HttpServerSettings& settings() const { return settings_; }

private:
    friend class HttpConnection;
    friend class HttpAcceptor;
    class WorkerPool;

    void accepted(int fd, const Poco::Net::SocketAddress& peer);
    void released(const std::string& address);
    // Runs `job` on a worker; false when the queue is full.
    bool dispatch(std::function<void()> job);

    HttpServerSettings settings_;
    Poco::Net::HTTPRequestHandlerFactory& factory_;
    std::unique_ptr<TlsContext> tls_;
    int listenFd_ = -1;
    std::uint16_t port_ = 0;
    Poco::Net::SocketAddress serverAddress_;
    EventLoopGroup loops_;
    std::unique_ptr<WorkerPool> workers_;
    std::shared_ptr<IoHandler> acceptor_;

    mutable std::mutex connectionsMutex_;
    std::map<std::string, std::size_t> perAddress_;
    std::size_t connections_ = 0;
    std::atomic<bool> accepting_{false};
    std::atomic<bool> stopped_{false};
    std::atomic<std::uint64_t> accepted_{0}, refused_{0}, timedOut_{0}, rejectedBusy_{0}, requests_{0};
};

} // namespace mc::host::net
