#include "bridge/StdioBridge.h"

#include "util/Json.h"
#include "util/JsonObject.h"

#include "mc/mcp/ModernWire.h"
#include "mc/sse/SseParser.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/NumberParser.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <limits>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <memory>
#include <mutex>
#include <set>
#include <algorithm>
#include <sstream>
#include <thread>

namespace mc::host {
namespace {

constexpr std::size_t kMaxMessageBytes = 64u << 20; // a line longer than this is not a message anyone sends
constexpr int kInternalError = -32603;

Poco::JSON::Object::Ptr parseObject(const std::string& text) {
    try {
        const auto parsed = json::parse(text);
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) return parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
    }
    return nullptr;
}

// A JSON body on one line: raw line breaks can only be whitespace between tokens (inside strings they
// are escaped), so they become spaces and nothing else changes.
std::string oneLine(std::string body) {
    for (char& c : body)
        if (c == '\n' || c == '\r') c = ' ';
    while (!body.empty() && body.back() == ' ') body.pop_back();
    return body;
}

std::string rpcError(const std::string& idJson, int code, const std::string& message) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + idJson + ",\"error\":{\"code\":" + std::to_string(code) + ",\"message\":" +
           json::quote(message) + "}}";
}

// What a request of the new era (its _meta names the protocol version) says in its headers: the
// version, the method and, for tools/call, prompts/get and resources/read, the name or URI.
using Headers = std::vector<std::pair<std::string, std::string>>;
Headers modernHeaders(const Poco::JSON::Object::Ptr& message, const std::string& method) {
    const auto params = message ? message->getObject("params") : nullptr;
    const auto meta = params ? params->getObject("_meta") : nullptr;
    const std::string version = json::stringMember(meta, mc::mcp::modern::kMetaVersion);
    if (version.empty()) return {};
    Headers headers{{"MCP-Protocol-Version", version}, {"Mcp-Method", method}};
    const char* name = mc::mcp::modern::nameMember(method);
    if (name && params->has(name)) headers.emplace_back("Mcp-Name", mc::mcp::modern::encodeHeaderValue(json::stringMember(params, name)));
    return headers;
}

class Bridge {
public:
    Bridge(const BridgeOptions& options, int out, std::ostream& diagnostics)
        : options_(options), out_(out), diagnostics_(diagnostics) {
        const Poco::URI uri(options.url);
        scheme_ = uri.getScheme();
        host_ = uri.getHost();
        port_ = uri.getPort();
        path_ = uri.getPathEtc().empty() ? "/" : uri.getPathEtc();
    }

    int run(int in) {
        std::string buffer;
        char chunk[65536];
        bool skipping = false; // the rest of an oversize line
        while (!hostGone_) {
            pollfd p{in, POLLIN, 0};
            const int ready = ::poll(&p, 1, 200);
            if (ready < 0 && errno != EINTR) break;
            if (ready <= 0) continue;
            const ssize_t n = ::read(in, chunk, sizeof chunk);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n <= 0) break; // the client closed its side
            buffer.append(chunk, static_cast<std::size_t>(n));
            std::size_t start = 0, newline;
            while ((newline = buffer.find('\n', start)) != std::string::npos) {
                if (!skipping) dispatch(buffer.substr(start, newline - start));
                skipping = false;
                start = newline + 1;
            }
            buffer.erase(0, start);
            if (buffer.size() > kMaxMessageBytes) {
                diagnostics_ << "mission-control bridge: a message of more than " << (kMaxMessageBytes >> 20)
                             << " MiB from the client is dropped\n";
                buffer.clear();
                skipping = true;
            }
        }
        if (!hostGone_ && !skipping) dispatch(buffer); // a last message without its newline
        {
            std::unique_lock lock(mutex_);
            // A subscriptions/listen stream stays open until it is closed: the client has gone, so it is.
            clientGone_ = true;
            for (auto* stream : longLived_) stream->abort();
            idle_.wait(lock, [this] { return inFlight_ == 0; });
        }
        stopListening();
        if (!hostGone_) endSession();
        return hostGone_ ? 1 : 0;
    }

private:
    void dispatch(std::string line) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) return;
        // What the message is decides how it travels; its text goes as the client wrote it (a message the
        // host cannot read is the host's to refuse, with the error a server gives).
        const auto message = parseObject(line);
        const std::string method = json::stringMember(message, "method");
        const bool request = message && !method.empty() && message->has("id") && !message->get("id").isEmpty();
        const std::string id = request ? json::stringify(message->get("id")) : std::string("null");
        if (method == "initialize" || !request) {
            // initialize first and alone: what it answers (the session) goes with every later message.
            // Notifications and the client's answers are short and keep their order. A line that is not a
            // JSON object is answered like a request (the host's parse error, id null), as a server would.
            forward(line, id, request || !message, method == "initialize");
            // The session is ready: its stream of the host's own messages (list_changed, logs) opens.
            if (method == "notifications/initialized" && !hostGone_ && !listener_.joinable())
                listener_ = std::thread([this] { listen(); });
            return;
        }
        {
            std::lock_guard lock(mutex_);
            ++inFlight_;
        }
        std::thread([this, line = std::move(line), id, headers = modernHeaders(message, method), longLived = method == "subscriptions/listen"] {
            forward(line, id, true, false, headers, longLived);
            std::lock_guard lock(mutex_);
            if (--inFlight_ == 0) idle_.notify_all();
        }).detach();
    }

    std::unique_ptr<Poco::Net::HTTPClientSession> takeSession() {
        {
            std::lock_guard lock(mutex_);
            if (!idleSessions_.empty()) {
                auto session = std::move(idleSessions_.back());
                idleSessions_.pop_back();
                return session;
            }
        }
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
        if (scheme_ == "https") {
            Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                                                     Poco::Net::Context::VERIFY_RELAXED, 9, true);
            session = std::make_unique<Poco::Net::HTTPSClientSession>(host_, port_, context);
        } else {
            session = std::make_unique<Poco::Net::HTTPClientSession>(host_, port_);
        }
        const auto ms = options_.timeout.count();
        session->setTimeout(Poco::Timespan(static_cast<long>(ms / 1000), static_cast<long>(ms % 1000) * 1000));
        return session;
    }

    void giveBack(std::unique_ptr<Poco::Net::HTTPClientSession> session) {
        std::lock_guard lock(mutex_);
        if (idleSessions_.size() < 8) idleSessions_.push_back(std::move(session));
    }

    // The headers of every request to the host.
    void prepare(Poco::Net::HTTPRequest& request) {
        {
            std::lock_guard lock(mutex_);
            if (!sessionId_.empty()) request.set("Mcp-Session-Id", sessionId_);
            if (!protocolVersion_.empty()) request.set("MCP-Protocol-Version", protocolVersion_);
        }
        if (!options_.token.empty()) request.set("Authorization", "Bearer " + options_.token);
        for (const auto& [name, value] : options_.headers) request.set(name, value);
    }

    // `headers`: a request of the new era's (they replace the session's); `longLived`: its answer is a
    // stream that stays open (subscriptions/listen), read without a deadline until the bridge ends.
    void forward(const std::string& line, const std::string& id, bool isRequest, bool isInitialize, const Headers& headers = {},
                 bool longLived = false) {
        try {
            auto session = takeSession();
            // Known while it is open, so that the bridge's end can close it (and forgotten however it ends).
            struct Registration {
                Bridge* bridge;
                Poco::Net::HTTPClientSession* stream;
                ~Registration() {
                    if (!stream) return;
                    std::lock_guard lock(bridge->mutex_);
                    bridge->longLived_.erase(stream);
                }
            } registration{this, nullptr};
            if (longLived) {
                const Poco::Timespan deadline = session->getTimeout();
                session->setTimeout(deadline, deadline, Poco::Timespan(7, 0, 0, 0, 0)); // the host's keep-alives come every 30 s
                std::lock_guard lock(mutex_);
                if (clientGone_) return;
                longLived_.insert(session.get());
                registration.stream = session.get();
            }
            Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path_, Poco::Net::HTTPMessage::HTTP_1_1);
            prepare(request);
            if (!headers.empty()) request.erase("Mcp-Session-Id");
            for (const auto& [name, value] : headers) request.set(name, value);
            request.setContentType("application/json");
            request.set("Accept", "application/json, text/event-stream");
            request.setContentLength(static_cast<std::streamsize>(line.size()));
            session->sendRequest(request) << line;
            Poco::Net::HTTPResponse response;
            std::istream& body = session->receiveResponse(response);
            const int status = static_cast<int>(response.getStatus());
            if (isInitialize && status == 200 && response.has("Mcp-Session-Id")) {
                std::lock_guard lock(mutex_);
                sessionId_ = response.get("Mcp-Session-Id");
            }
            if (response.getContentType().rfind("text/event-stream", 0) == 0) {
                readEvents(body, isInitialize);
            } else {
                std::string text;
                Poco::StreamCopier::copyToString(body, text);
                if (status >= 200 && status < 300) {
                    if (!text.empty()) answer(text, isInitialize);
                } else {
                    refused(status, text, id, isRequest);
                }
            }
            if (longLived) return; // not reused: it ended with its stream
            giveBack(std::move(session));
        } catch (const Poco::TimeoutException&) {
            if (isRequest) write(rpcError(id, kInternalError, "Mission Control did not answer within " +
                                                                  std::to_string(options_.timeout.count()) + " ms"));
        } catch (const Poco::Exception& e) {
            if (longLived && clientGone_) return; // closed at the bridge's end
            // Refused, reset, unreachable: the host is gone; the client learns it from this answer and the exit.
            const std::string why = "cannot reach Mission Control at " + options_.url + ": " + e.displayText();
            diagnostics_ << "mission-control bridge: " << why << "\n";
            if (isRequest) write(rpcError(id, kInternalError, why));
            hostGone_ = true;
        }
    }

    // An event stream's messages (the data of each `message` event), one line each, as they come.
    void readEvents(std::istream& body, bool isInitialize) {
        mc::sse::SseParser parser([&](const mc::sse::SseEvent& event) {
            if (event.type == "message" && !event.data.empty()) answer(event.data, isInitialize);
        });
        // Line by line: an event is passed on when its blank line arrives, not when a buffer fills.
        std::string line;
        while (std::getline(body, line)) {
            line += '\n';
            parser.feed(line);
        }
        parser.finish();
    }

    void answer(const std::string& text, bool isInitialize) {
        if (isInitialize) { // later requests name the version the host answered
            const auto message = parseObject(text);
            const auto result = message ? message->getObject("result") : nullptr;
            const std::string version = json::stringMember(result, "protocolVersion");
            if (!version.empty()) {
                std::lock_guard lock(mutex_);
                protocolVersion_ = version;
            }
        }
        write(oneLine(text));
    }

    // The host refused the message: the client gets a JSON-RPC error for its request, with the host's
    // code and reason (its refusals carry a JSON-RPC error, the API's an {error, message} object).
    void refused(int status, const std::string& text, const std::string& id, bool isRequest) {
        const auto body = parseObject(text);
        int code = kInternalError;
        std::string reason;
        if (const auto error = body ? body->getObject("error") : nullptr) {
            reason = json::stringMember(error, "message");
            const auto given = error->has("code") ? json::integerValue(error->get("code")) : std::nullopt;
            if (given && *given >= std::numeric_limits<int>::min() && *given <= std::numeric_limits<int>::max()) code = static_cast<int>(*given);
        } else if (body) {
            reason = json::stringMember(body, "message");
        }
        if (reason.empty()) reason = text.substr(0, 500);
        const std::string message = "Mission Control answered HTTP " + std::to_string(status) + (reason.empty() ? "" : ": " + reason);
        if (isRequest) write(rpcError(id, code, message));
        else diagnostics_ << "mission-control bridge: " << message << "\n";
    }

    void write(const std::string& message) {
        std::lock_guard lock(outMutex_);
        std::string line = message + "\n";
        const char* p = line.data();
        std::size_t left = line.size();
        while (left > 0) {
            const ssize_t n = ::write(out_, p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return; // the client is gone; stdin's end follows
            p += n;
            left -= static_cast<std::size_t>(n);
        }
    }

    // The session's stream (GET): each message the host sends on its own is written as a line. A stream
    // that ends or breaks is opened again with the last event id, so nothing is missed; a host that
    // offers none (405) or refuses (another 4xx) is not asked again.
    void listen() {
        std::string lastEventId;
        while (!stopping_ && !hostGone_) {
            bool again = true;
            std::unique_ptr<Poco::Net::HTTPClientSession> session; // outlives listening_ (stopListening aborts it)
            try {
                session = takeSession();
                Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path_, Poco::Net::HTTPMessage::HTTP_1_1);
                prepare(request);
                request.set("Accept", "text/event-stream");
                if (!lastEventId.empty()) request.set("Last-Event-ID", lastEventId);
                {
                    std::lock_guard lock(mutex_);
                    if (stopping_) return;
                    listening_ = session.get();
                }
                session->sendRequest(request);
                Poco::Net::HTTPResponse response;
                std::istream& body = session->receiveResponse(response);
                const int status = static_cast<int>(response.getStatus());
                if (status == 200 && response.getContentType().rfind("text/event-stream", 0) == 0) {
                    mc::sse::SseParser parser([&](const mc::sse::SseEvent& event) {
                        if (!event.id.empty()) lastEventId = event.id;
                        if (event.type == "message" && !event.data.empty()) write(oneLine(event.data));
                    });
                    std::string line;
                    while (std::getline(body, line)) parser.feed(line + '\n');
                } else {
                    std::string text;
                    Poco::StreamCopier::copyToString(body, text);
                    if (status != 405)
                        diagnostics_ << "mission-control bridge: the session's stream was refused: HTTP " << status << " " << text.substr(0, 300)
                                     << "\n";
                    again = false;
                }
            } catch (const Poco::Exception& e) {
                if (!stopping_) diagnostics_ << "mission-control bridge: the session's stream broke: " << e.displayText() << "\n";
            } catch (const std::exception& e) {
                if (!stopping_) diagnostics_ << "mission-control bridge: the session's stream broke: " << e.what() << "\n";
            }
            std::unique_lock lock(mutex_);
            listening_ = nullptr;
            lock.unlock();
            session.reset();
            lock.lock();
            if (!again) return;
            wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_.load(); }); // not a busy loop
        }
    }

    void stopListening() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            if (listening_) listening_->abort(); // its blocking read returns
        }
        wake_.notify_all();
        if (listener_.joinable()) listener_.join();
    }

    // Best effort: the host forgets the session now instead of when it ages out.
    void endSession() {
        std::string session;
        {
            std::lock_guard lock(mutex_);
            session = sessionId_;
        }
        if (session.empty()) return;
        try {
            auto http = takeSession();
            http->setTimeout(Poco::Timespan(2, 0));
            Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_DELETE, path_, Poco::Net::HTTPMessage::HTTP_1_1);
            prepare(request);
            request.setContentLength(0);
            http->sendRequest(request);
            Poco::Net::HTTPResponse response;
            std::string ignored;
            Poco::StreamCopier::copyToString(http->receiveResponse(response), ignored);
        } catch (const Poco::Exception& e) {
            diagnostics_ << "mission-control bridge: ending session " << session << ": " << e.displayText() << "\n";
        }
    }

    const BridgeOptions& options_;
    const int out_;
    std::ostream& diagnostics_;
    std::string scheme_, host_, path_;
    std::uint16_t port_ = 0;
    std::mutex mutex_;
    std::condition_variable idle_;
    int inFlight_ = 0;
    std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> idleSessions_;
    std::string sessionId_, protocolVersion_;
    std::atomic<bool> hostGone_{false};
    std::mutex outMutex_;
    std::thread listener_;
    std::atomic<bool> stopping_{false};
    std::condition_variable wake_;
    Poco::Net::HTTPClientSession* listening_ = nullptr; // the stream's connection while it is open (mutex_)
    std::set<Poco::Net::HTTPClientSession*> longLived_; // subscriptions/listen streams' connections while open (mutex_)
    std::atomic<bool> clientGone_{false};               // the client closed stdin: long-lived streams end
};

} // namespace

std::string bridgeUsage() {
    return "usage: mission-control bridge --url http://127.0.0.1:8000/mcp [--token TOKEN] [--header 'Name: value']... "
           "[--timeout-ms N]\n"
           "  Speaks MCP over stdio to the client that started it and Streamable HTTP to Mission Control's /mcp.\n"
           "  --url         the host's MCP endpoint (http or https)\n"
           "  --token       a bearer token when the host's auth is on (or the environment's MC_BRIDGE_TOKEN, which\n"
           "                other users cannot read in the process list)\n"
           "  --header      another header for every request; repeatable\n"
           "  --timeout-ms  the longest wait for one answer (default 600000)\n"
           "  Exits 0 when the client closes stdin, 1 when the host cannot be reached, 2 for wrong arguments.\n";
}

BridgeOptions parseBridgeArguments(const std::vector<std::string>& args, const char* tokenFromEnvironment, bool& help) {
    BridgeOptions options;
    help = false;
    if (tokenFromEnvironment) options.token = tokenFromEnvironment;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--help" || arg == "-h") {
            help = true;
            return options;
        }
        const auto value = [&]() -> std::string {
            if (i + 1 >= args.size()) throw std::invalid_argument(arg + " needs a value");
            return args[++i];
        };
        if (arg == "--url") {
            options.url = value();
        } else if (arg == "--token") {
            options.token = value();
        } else if (arg == "--header") {
            const std::string header = value();
            const auto colon = header.find(':');
            if (colon == std::string::npos || colon == 0)
                throw std::invalid_argument("--header '" + header + "': expected 'Name: value'");
            const auto start = header.find_first_not_of(' ', colon + 1);
            options.headers[header.substr(0, colon)] = start == std::string::npos ? std::string() : header.substr(start);
        } else if (arg == "--timeout-ms") {
            const std::string text = value();
            unsigned ms = 0;
            if (!Poco::NumberParser::tryParseUnsigned(text, ms) || ms == 0 || ms > 3600000)
                throw std::invalid_argument("--timeout-ms '" + text + "': expected milliseconds in 1..3600000");
            options.timeout = std::chrono::milliseconds(ms);
        } else {
            throw std::invalid_argument("unknown argument '" + arg + "'");
        }
    }
    if (options.url.empty()) throw std::invalid_argument("--url is required (the host's MCP endpoint, e.g. http://127.0.0.1:8000/mcp)");
    try {
        const Poco::URI uri(options.url);
        if ((uri.getScheme() != "http" && uri.getScheme() != "https") || uri.getHost().empty())
            throw std::invalid_argument("--url '" + options.url + "': expected an http:// or https:// URL");
    } catch (const Poco::SyntaxException& e) {
        throw std::invalid_argument("--url '" + options.url + "': " + e.displayText());
    }
    return options;
}

int runBridge(const BridgeOptions& options, int in, int out, std::ostream& diagnostics) {
    std::signal(SIGPIPE, SIG_IGN); // a client that went away is seen as a failed write, not a signal
    Bridge bridge(options, out, diagnostics);
    return bridge.run(in);
}

} // namespace mc::host
