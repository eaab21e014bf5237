#include "web/WebSocketHub.h"

#include "log/Logging.h"
#include "util/Json.h"
#include "util/JsonObject.h"
#include "net/HttpServer.h"
#include "web/HttpUtil.h"

#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <sys/epoll.h>
#include <sys/socket.h>

#include <stdexcept>
#include <thread>

namespace mc::host {
namespace {

constexpr std::size_t kMaxChannelLength = 128;
constexpr std::size_t kMaxSubscriptionsPerClient = 1024;

// Runs on the HTTP server's event loop as soon as the head is parsed: no worker is involved.
class UpgradeHandler final : public net::ImmediateHandler {
public:
    explicit UpgradeHandler(WebSocketHub& hub) : hub_(hub) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        hub_.handleUpgrade(request, response);
    }

private:
    WebSocketHub& hub_;
};

bool headerHasToken(const Poco::Net::HTTPServerRequest& request, const std::string& header, const std::string& token) {
    Poco::StringTokenizer tokens(request.get(header, ""), ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& t : tokens)
        if (Poco::icompare(t, token) == 0) return true;
    return false;
}

std::string withRequestId(std::string json, const std::string& requestIdJson) {
    if (!requestIdJson.empty()) {
        json += ",\"request_id\":";
        json += requestIdJson;
    }
    json += '}';
    return json;
}

// Checks the "channel" of a subscribe/unsubscribe; on failure sends the error and returns "".
std::string channelOf(ClientSession& session, const ClientMessage& message) {
    if (!message.body->has("channel") || message.body->get("channel").isEmpty()) {
        session.sendError("missing_channel", "\"" + message.type + "\" needs a \"channel\"", message.requestIdJson);
        return {};
    }
    const Poco::Dynamic::Var value = message.body->get("channel");
    if (!value.isString()) {
        session.sendError("invalid_channel", "\"channel\" must be a string", message.requestIdJson);
        return {};
    }
    std::string channel = value.extract<std::string>();
    if (channel.empty()) {
        session.sendError("missing_channel", "\"channel\" must not be empty", message.requestIdJson);
        return {};
    }
    if (channel.size() > kMaxChannelLength) {
        session.sendError("invalid_channel",
                          "channel name longer than " + std::to_string(kMaxChannelLength) + " bytes",
                          message.requestIdJson);
        return {};
    }
    for (char c : channel) {
        if (c < 0x21 || c > 0x7E) {
            session.sendError("invalid_channel", "channel names are printable ASCII without spaces",
                              message.requestIdJson);
            return {};
        }
    }
    // The protocol inspector's channels carry tool arguments and results, as GET /api/mcps/{id}/messages.
    if ((channel == "protocol" || channel.rfind("protocol:", 0) == 0) && session.principal().role < Role::Operator) {
        session.sendError("forbidden", "the channel " + channel + " carries MCP messages whole (tool arguments and results): operator or admin",
                          message.requestIdJson);
        return {};
    }
    return channel;
}

} // namespace

WebSocketHub::WebSocketHub(WebSocketSettings settings, Broadcaster& broadcaster, const Authenticator& authenticator)
    : state_(std::move(settings), broadcaster), authenticator_(authenticator),
      loops_("ws", state_.settings.ioThreads == 0 ? 1 : state_.settings.ioThreads) {
    const auto& s = state_.settings;
    if (s.ioThreads == 0) throw std::invalid_argument("ws.io_threads must be at least 1");
    if (s.maxMessageBytes < 128) throw std::invalid_argument("ws.max_message_bytes must be at least 128");
    if (s.queueMaxMessages == 0) throw std::invalid_argument("ws.queue.max_messages must be at least 1");
    if (s.queueMaxBytes < 1024) throw std::invalid_argument("ws.queue.max_bytes must be at least 1024");
    if (s.maxConnections == 0) throw std::invalid_argument("ws.max_connections must be at least 1");
    state_.log = logging::get("ws");
    // Seqs restart with the process (in a cluster, with its log): a resume from another epoch replays
    // from the beginning.
    epoch_ = !s.epoch.empty() ? s.epoch
                              : std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                                   std::chrono::system_clock::now().time_since_epoch()).count());
    broadcaster.setHistoryLimits(s.resumeHistoryEvents, s.resumeHistoryBytes);
    registerBuiltins();
}

WebSocketHub::~WebSocketHub() { shutdown(state_.settings.closeTimeout); }

WebSocketSettings::OverflowPolicy WebSocketHub::parseOverflowPolicy(const std::string& name) {
    if (name == "disconnect") return WebSocketSettings::OverflowPolicy::Disconnect;
    if (name == "drop") return WebSocketSettings::OverflowPolicy::Drop;
    throw std::invalid_argument("unknown ws.overflow_policy '" + name + "' (expected disconnect or drop)");
}

void WebSocketHub::registerBuiltins() {
    Broadcaster& broadcaster = state_.broadcaster;
    registerHandler("subscribe", Role::Viewer, [&broadcaster](const std::shared_ptr<ClientSession>& session, const ClientMessage& message) {
        const std::string channel = channelOf(*session, message);
        if (channel.empty()) return;
        if (session->subscriptionCount() >= kMaxSubscriptionsPerClient) {
            session->sendError("too_many_subscriptions",
                               "at most " + std::to_string(kMaxSubscriptionsPerClient) + " channels per client",
                               message.requestIdJson);
            return;
        }
        broadcaster.subscribe(channel, session.get());
        session->send(withRequestId("{\"type\":\"subscribed\",\"channel\":" + json::quote(channel), message.requestIdJson));
    });
    registerHandler("unsubscribe", Role::Viewer, [&broadcaster](const std::shared_ptr<ClientSession>& session, const ClientMessage& message) {
        const std::string channel = channelOf(*session, message);
        if (channel.empty()) return;
        broadcaster.unsubscribe(channel, session.get()); // unsubscribing twice is not an error
        session->send(withRequestId("{\"type\":\"unsubscribed\",\"channel\":" + json::quote(channel), message.requestIdJson));
    });
    registerHandler("resume", Role::Viewer, [this, &broadcaster](const std::shared_ptr<ClientSession>& session,
                                                                  const ClientMessage& message) {
        const auto& body = *message.body;
        const auto last = body.has("last_seq") ? body.get("last_seq") : Poco::Dynamic::Var();
        if (json::integerValue(last).value_or(-1) < 0) {
            session->sendError("invalid_message", "\"resume\" needs \"last_seq\": the seq of the last event received (0: none)",
                               message.requestIdJson);
            return;
        }
        if (!body.has("channels") || body.get("channels").type() != typeid(Poco::JSON::Array::Ptr)) {
            session->sendError("invalid_message", "\"resume\" needs \"channels\": the channels to subscribe to again",
                               message.requestIdJson);
            return;
        }
        auto array = body.getArray("channels");
        if (array->size() > kMaxSubscriptionsPerClient) {
            session->sendError("too_many_subscriptions", "at most " + std::to_string(kMaxSubscriptionsPerClient) + " channels per client",
                               message.requestIdJson);
            return;
        }
        std::vector<std::string> channels;
        for (std::size_t i = 0; i < array->size(); ++i) {
            ClientMessage one{message.type, new Poco::JSON::Object, message.requestIdJson};
            one.body->set("channel", array->get(static_cast<unsigned>(i)));
            const std::string channel = channelOf(*session, one);
            if (channel.empty()) return;
            channels.push_back(channel);
        }
        std::uint64_t after = last.convert<std::uint64_t>();
        const std::string epoch = body.has("epoch") && body.get("epoch").isString() ? body.getValue<std::string>("epoch") : epoch_;
        if (epoch != epoch_) after = 0; // the host restarted since: everything kept is new to the client
        std::string channelsJson;
        for (const auto& c : channels) channelsJson += (channelsJson.empty() ? "" : ",") + json::quote(c);
        broadcaster.resume(
            session.get(), channels, after, state_.settings.queueMaxMessages / 2,
            [&](const ResumeOutcome& o) {
                if (o.gapFrom <= o.gapTo)
                    session->send(withRequestId("{\"type\":\"resume_gap\",\"from\":" + std::to_string(o.gapFrom) +
                                                    ",\"to\":" + std::to_string(o.gapTo),
                                                message.requestIdJson));
            },
            [&](const ResumeOutcome& o) {
                session->send(withRequestId("{\"type\":\"resumed\",\"channels\":[" + channelsJson +
                                                "],\"replayed\":" + std::to_string(o.replayed) +
                                                ",\"last_seq\":" + std::to_string(o.lastSeq),
                                            message.requestIdJson));
            });
    });
    registerHandler("ping", Role::Viewer, [](const std::shared_ptr<ClientSession>& session, const ClientMessage& message) {
        session->send(withRequestId("{\"type\":\"pong\"", message.requestIdJson));
    });
}

void WebSocketHub::registerHandler(std::string type, Role minimumRole, MessageHandler handler) {
    if (type.empty() || !handler) throw std::invalid_argument("a message handler needs a type and a function");
    std::unique_lock lock(state_.handlersMutex);
    state_.handlers[std::move(type)] = ws::HubState::HandlerEntry{minimumRole, std::move(handler)};
}

void WebSocketHub::start() {
    std::lock_guard lock(lifecycleMutex_);
    if (started_ || stopped_) return;
    loops_.start();
    started_ = true;
    state_.log->info("websocket hub started: {} I/O threads, max {} connections", loops_.loops().size(),
                     state_.settings.maxConnections);
}

void WebSocketHub::shutdown(std::chrono::milliseconds drainTimeout) {
    std::lock_guard lock(lifecycleMutex_);
    if (stopped_) return;
    stopping_ = true;
    if (started_) {
        for (auto& loop : loops_.loops()) {
            net::EventLoop* l = loop.get();
            l->post([l] {
                l->forEach([](const std::shared_ptr<net::IoHandler>& handler) {
                    if (auto* session = dynamic_cast<ClientSession*>(handler.get()))
                        session->close(ws::close_code::GoingAway, "server shutdown");
                });
            });
        }
        const auto deadline = std::chrono::steady_clock::now() + drainTimeout;
        while (state_.connected.load() > 0 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        loops_.stop();
    }
    stopped_ = true;
    state_.log->info("websocket hub stopped ({} clients left at the deadline)", state_.connected.load());
}

Poco::Net::HTTPRequestHandler* WebSocketHub::createHandler() { return new UpgradeHandler(*this); }

WebSocketHub::Stats WebSocketHub::stats() const {
    return Stats{state_.connected.load(),           state_.accepted.load(),      state_.overflowDisconnects.load(),
                 state_.droppedMessages.load(),     state_.protocolErrors.load(), state_.messagesSent.load()};
}

void WebSocketHub::handleUpgrade(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    using Poco::Net::HTTPResponse;
    if (stopping_ || !started_) {
        http::sendError(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "shutting_down",
                        "the WebSocket hub is not accepting connections");
        return;
    }
    if (request.getMethod() != Poco::Net::HTTPRequest::HTTP_GET || !headerHasToken(request, "Upgrade", "websocket") ||
        !headerHasToken(request, "Connection", "upgrade")) {
        http::sendError(response, HTTPResponse::HTTP_BAD_REQUEST, "not_websocket",
                        "expected a WebSocket upgrade (GET with Upgrade: websocket and Connection: Upgrade)");
        return;
    }
    if (request.get("Sec-WebSocket-Version", "") != "13") {
        response.set("Sec-WebSocket-Version", "13");
        http::sendError(response, HTTPResponse::HTTP_BAD_REQUEST, "unsupported_version",
                        "only WebSocket version 13 is supported");
        return;
    }
    const std::string key = request.get("Sec-WebSocket-Key", "");
    if (key.size() != 24) {
        http::sendError(response, HTTPResponse::HTTP_BAD_REQUEST, "invalid_key",
                        "Sec-WebSocket-Key must be 16 random bytes in base64");
        return;
    }
    const AuthResult auth = authenticator_.authenticate(request);
    if (!auth.principal) {
        http::sendError(response, HTTPResponse::HTTP_UNAUTHORIZED, "unauthorized",
                        auth.error.empty() ? "authentication required" : auth.error);
        return;
    }
    if (auth.principal->ingestOnly) {
        http::sendError(response, HTTPResponse::HTTP_FORBIDDEN, "forbidden",
                        "an ingest key (" + auth.principal->subject + ") may only send events and telemetry, not open /ws");
        return;
    }
    if (state_.connected.fetch_add(1) >= state_.settings.maxConnections) {
        --state_.connected;
        http::sendError(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "too_many_connections",
                        "the WebSocket connection limit (" + std::to_string(state_.settings.maxConnections) +
                            ") is reached");
        return;
    }

    auto* upgradable = dynamic_cast<net::BufferedRequest*>(&request);
    if (!upgradable) {
        --state_.connected;
        http::sendError(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                        "this server cannot hand a connection over to the WebSocket hub");
        return;
    }
    response.setStatusAndReason(HTTPResponse::HTTP_SWITCHING_PROTOCOLS);
    response.set("Upgrade", "websocket");
    response.set("Connection", "Upgrade");
    response.set("Sec-WebSocket-Accept", ws::computeAcceptKey(key));
    // The connection slot taken above becomes the session's (released in ClientSession::finish), or is
    // given back if the 101 never reaches the client and the takeover never happens.
    struct Slot {
        std::atomic<std::size_t>& connected;
        bool handedOver = false;
        ~Slot() {
            if (!handedOver) --connected;
        }
    };
    std::shared_ptr<Slot> slot(new Slot{state_.connected});
    const Principal principal = *auth.principal;
    upgradable->upgrade([this, principal, slot](std::unique_ptr<net::Transport> transport, std::string early) {
        slot->handedOver = true;
        if (state_.settings.socketSendBufferBytes > 0) {
            const int size = static_cast<int>(state_.settings.socketSendBufferBytes);
            ::setsockopt(transport->fd(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        }
        const std::uint64_t number = ++nextClientId_;
        ++state_.accepted;
        auto& loop = loops_.next();
        auto session = std::make_shared<ClientSession>(state_, loop, std::move(transport), "c" + std::to_string(number), principal);
        session->send(std::string("{\"type\":\"welcome\",\"client_id\":") + json::quote(session->id()) +
                      ",\"server\":\"mission-control\",\"version\":" + json::quote(MC_VERSION) + ",\"epoch\":" +
                      json::quote(epoch_) + ",\"role\":\"" + roleName(principal.role) + "\"}");
        state_.log->debug("client {} connected ({}, {})", session->id(), principal.subject, roleName(principal.role));
        loop.add(session, EPOLLIN | EPOLLRDHUP, [session, early = std::move(early)] { session->begin(early); });
    });
}

} // namespace mc::host
