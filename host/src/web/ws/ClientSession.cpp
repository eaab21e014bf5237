#include "web/ws/ClientSession.h"

#include <spdlog/spdlog.h>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

namespace mc::host {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kMaxReadsPerWakeup = 4;   // fairness between clients of one loop
constexpr int kMaxIovecs = 64;
constexpr std::size_t kMaxDroppedNoticeBytes = 64; // {"type":"dropped","count":N} framed, N < 2^64

SharedFrame textFrame(std::string_view json) {
    return std::make_shared<const std::string>(ws::encodeFrame(ws::Opcode::Text, json));
}

} // namespace

ClientSession::ClientSession(ws::HubState& hub, net::EventLoop& loop, std::unique_ptr<net::Transport> transport,
                             std::string id, Principal principal)
    : hub_(hub),
      loop_(loop),
      transport_(std::move(transport)),
      fd_(transport_->fd()),
      id_(std::move(id)),
      principal_(std::move(principal)),
      parser_(ws::FrameParser::Options{hub.settings.maxMessageBytes, true}) {}

ClientSession::~ClientSession() = default;

void ClientSession::begin(const std::string& early) {
    flush();
    if (!early.empty() && !finished_) consume(early.data(), early.size());
}

void ClientSession::onEvents(std::uint32_t events) {
    if (events & EPOLLOUT) flush();
    if (!finished_ && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) onReadable();
}

void ClientSession::onTick(std::chrono::steady_clock::time_point now) {
    if (finished_ || !expired(now)) return;
    hub_.log->debug("client {}: close handshake timed out", id_);
    finish();
}

void ClientSession::onWake() {
    writeScheduled_ = false;
    if (!finished_) flush();
}

void ClientSession::onLoopStopping() {
    if (finished_) return;
    flush(); // best effort: the socket is non-blocking
    finish();
}

bool ClientSession::isOpen() const {
    std::lock_guard lock(mutex_);
    return state_ == State::Open;
}

std::size_t ClientSession::subscriptionCount() const {
    return hub_.broadcaster.subscriptionCount(const_cast<ClientSession*>(this));
}

void ClientSession::requestWrite() {
    // A client that is not reading has EPOLLOUT armed: the loop writes when it can, no wake needed
    // (a stuck client must cost its neighbours nothing per event).
    if (waitingForWritable_) return;
    if (!writeScheduled_.exchange(true)) loop_.wake(shared_from_this());
}

bool ClientSession::send(std::string_view json) { return enqueueControl(ws::encodeFrame(ws::Opcode::Text, json), false); }

bool ClientSession::sendError(std::string_view code, std::string_view message, std::string_view requestIdJson) {
    return send(errorJson(code, message, requestIdJson));
}

void ClientSession::close(std::uint16_t code, std::string_view reason) {
    if (beginClose(code, reason, {}, false)) requestWrite();
}

bool ClientSession::enqueueControl(std::string frame, bool isCloseFrame) {
    bool overflow = false;
    {
        std::lock_guard lock(mutex_);
        if (state_ != State::Open) return false;
        // Replies bypass the event limits but not forever: a client that never reads while sending
        // requests would otherwise grow its queue without bound.
        const auto& s = hub_.settings;
        if (queue_.size() >= 2 * s.queueMaxMessages || queuedBytes_ + frame.size() > 2 * s.queueMaxBytes) {
            overflow = true;
        } else {
            queuedBytes_ += frame.size();
            queue_.push_back(std::make_shared<const std::string>(std::move(frame)));
            if (isCloseFrame) closeQueued_ = true;
        }
    }
    if (overflow) {
        ++hub_.overflowDisconnects;
        beginClose(ws::close_code::PolicyViolation, "outbound queue overflow",
                   errorJson("queue_overflow", "outbound queue full: the client does not read fast enough", {}), true);
    }
    requestWrite();
    return !overflow;
}

bool ClientSession::beginClose(std::uint16_t code, std::string_view reason, std::string_view errorText,
                               bool discardBacklog) {
    std::lock_guard lock(mutex_);
    if (state_ != State::Open) return false;
    state_ = State::Closing;
    closeDeadline_ = std::chrono::steady_clock::now() + hub_.settings.closeTimeout;
    if (discardBacklog) {
        // Keep only a frame already partly on the wire: cutting it would corrupt the stream.
        const bool keepFront = frontOffset_ > 0 && !queue_.empty();
        SharedFrame front = keepFront ? queue_.front() : nullptr;
        queue_.clear();
        queuedBytes_ = 0;
        if (keepFront) {
            queue_.push_back(front);
            queuedBytes_ = front->size();
        } else {
            frontOffset_ = 0;
        }
    }
    if (!errorText.empty()) {
        auto frame = textFrame(errorText);
        queuedBytes_ += frame->size();
        queue_.push_back(std::move(frame));
    }
    auto closeFrame = std::make_shared<const std::string>(ws::encodeClose(code, reason));
    queuedBytes_ += closeFrame->size();
    queue_.push_back(std::move(closeFrame));
    closeQueued_ = true;
    return true;
}

void ClientSession::deliver(std::uint64_t /*seq*/, const SharedFrame& frame) {
    bool overflow = false;
    {
        std::lock_guard lock(mutex_);
        if (state_ != State::Open) return;
        const auto& s = hub_.settings;
        const auto fits = [&](std::size_t frames, std::size_t bytes) {
            return queue_.size() + frames <= s.queueMaxMessages && queuedBytes_ + bytes <= s.queueMaxBytes;
        };
        // A stuck client gets here for every event: the notice is only built once it can fit.
        if (droppedPending_ > 0 && fits(2, kMaxDroppedNoticeBytes + frame->size())) {
            std::string notice = "{\"type\":\"dropped\",\"count\":" + std::to_string(droppedPending_) + "}";
            auto noticeFrame = textFrame(notice);
            queuedBytes_ += noticeFrame->size();
            queue_.push_back(std::move(noticeFrame));
            droppedPending_ = 0;
        }
        if (droppedPending_ == 0 && fits(1, frame->size())) {
            queuedBytes_ += frame->size();
            queue_.push_back(frame);
        } else if (s.overflowPolicy == WebSocketSettings::OverflowPolicy::Drop) {
            ++droppedPending_;
            ++hub_.droppedMessages;
            return;
        } else {
            overflow = true;
        }
    }
    if (overflow) {
        ++hub_.overflowDisconnects;
        hub_.log->warn("client {} ({}): outbound queue overflow, disconnecting", id_, principal_.subject);
        beginClose(ws::close_code::PolicyViolation, "outbound queue overflow",
                   errorJson("queue_overflow", "outbound queue full: the client does not read fast enough", {}), true);
    }
    requestWrite();
}

void ClientSession::setWriteInterest(bool wanted) {
    wanted = wanted || transport_->wantsWrite(); // TLS may need writability to read
    if (wanted == writeInterest_ || finished_) return;
    loop_.modify(*this, EPOLLIN | EPOLLRDHUP | (wanted ? EPOLLOUT : 0u));
    writeInterest_ = wanted;
    waitingForWritable_ = wanted;
}

bool ClientSession::expired(std::chrono::steady_clock::time_point now) const {
    std::lock_guard lock(mutex_);
    return state_ == State::Closing && now >= closeDeadline_;
}

void ClientSession::flush() {
    if (finished_) return;
    iovec iov[kMaxIovecs];
    SharedFrame hold[kMaxIovecs]; // keeps the buffers alive while the lock is released
    for (;;) {
        int count = 0;
        std::size_t total = 0;
        {
            std::lock_guard lock(mutex_);
            if (queue_.empty()) {
                if (droppedPending_ > 0 && state_ == State::Open) {
                    // Drop policy: the backlog is gone, so tell the client what it missed.
                    auto notice = textFrame("{\"type\":\"dropped\",\"count\":" + std::to_string(droppedPending_) + "}");
                    queuedBytes_ += notice->size();
                    queue_.push_back(std::move(notice));
                    droppedPending_ = 0;
                } else {
                    break;
                }
            }
            std::size_t offset = frontOffset_;
            for (auto it = queue_.begin(); it != queue_.end() && count < kMaxIovecs; ++it) {
                hold[count] = *it;
                iov[count].iov_base = const_cast<char*>((*it)->data() + offset);
                iov[count].iov_len = (*it)->size() - offset;
                total += iov[count].iov_len;
                offset = 0;
                ++count;
            }
        }
        const ssize_t written = transport_->writev(iov, count);
        if (written < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                setWriteInterest(true);
                return;
            }
            if (errno == EINTR) continue;
            hub_.log->debug("client {}: write failed: {}", id_, std::strerror(errno));
            finish();
            return;
        }
        bool closeFrameDone = false;
        {
            std::lock_guard lock(mutex_);
            std::size_t remaining = static_cast<std::size_t>(written);
            while (remaining > 0 && !queue_.empty()) {
                const std::size_t left = queue_.front()->size() - frontOffset_;
                if (remaining >= left) {
                    remaining -= left;
                    queuedBytes_ -= queue_.front()->size();
                    queue_.pop_front();
                    frontOffset_ = 0;
                    ++hub_.messagesSent;
                } else {
                    frontOffset_ += remaining;
                    remaining = 0;
                }
            }
            closeFrameDone = closeQueued_ && queue_.empty();
        }
        for (int i = 0; i < count; ++i) hold[i].reset();
        if (closeFrameDone) {
            closeSent_ = true;
            setWriteInterest(false);
            if (peerClosed_) {
                finish();
            } else if (!writeShutdown_) {
                // Our close is on the wire: send FIN and wait (bounded) for the peer's close or EOF,
                // so unread input never turns into a reset that could destroy what we sent.
                transport_->shutdownWrite();
                writeShutdown_ = true;
            }
            return;
        }
        if (static_cast<std::size_t>(written) < total) {
            setWriteInterest(true);
            return;
        }
    }
    setWriteInterest(false);
    // A frame queued while EPOLLOUT was still armed did not wake the loop: look once more.
    bool more;
    {
        std::lock_guard lock(mutex_);
        more = !queue_.empty();
    }
    if (more) requestWrite();
}

void ClientSession::onReadable() {
    char buffer[kReadChunk];
    for (int i = 0; i < kMaxReadsPerWakeup && !finished_; ++i) {
        const ssize_t n = transport_->read(buffer, sizeof buffer);
        if (n == 0) {
            finish(); // peer EOF: nothing more will come
            return;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (transport_->wantsWrite()) setWriteInterest(true);
                return;
            }
            if (errno == EINTR) continue;
            finish();
            return;
        }
        consume(buffer, static_cast<std::size_t>(n));
    }
    // Fairness cut the reads short, or TLS holds decrypted bytes epoll cannot see: come back soon.
    if (!finished_ && transport_->hasBufferedInput()) {
        auto session = self();
        loop_.post([session] {
            if (!session->finished_) session->onReadable();
        });
    }
}

void ClientSession::consume(const char* data, std::size_t size) {
    if (parser_.finished()) return; // after a protocol error or close: discard until EOF
    std::vector<ws::FrameEvent> events;
    parser_.feed(data, size, events);
    for (const auto& event : events) {
        if (finished_) return;
        handleFrameEvent(event);
    }
}

void ClientSession::handleFrameEvent(const ws::FrameEvent& event) {
    using Kind = ws::FrameEvent::Kind;
    switch (event.kind) {
    case Kind::Message:
        if (!isOpen()) return; // closing: data is ignored
        if (event.opcode == ws::Opcode::Binary) {
            ++hub_.protocolErrors;
            sendError("invalid_message", "binary messages are not supported: send JSON text");
            return;
        }
        handleTextMessage(event.payload);
        return;
    case Kind::Ping:
        enqueueControl(ws::encodeFrame(ws::Opcode::Pong, event.payload), false);
        return;
    case Kind::Pong:
        return;
    case Kind::Close: {
        peerClosed_ = true;
        // Echo the peer's code (1000 when it sent none), then close the TCP connection once flushed.
        const std::uint16_t code = event.closeCode == ws::close_code::NoStatus ? ws::close_code::Normal : event.closeCode;
        if (beginClose(code, {}, {}, true)) {
            requestWrite();
        } else if (closeSent_) {
            finish();
        }
        return;
    }
    case Kind::Error:
        ++hub_.protocolErrors;
        hub_.log->info("client {}: protocol error ({}): {}", id_, event.closeCode, event.payload);
        if (event.closeCode == ws::close_code::MessageTooBig) {
            beginClose(event.closeCode, "message too big", errorJson("message_too_big", event.payload, {}), false);
        } else {
            beginClose(event.closeCode, event.payload, {}, false);
        }
        requestWrite();
        return;
    }
}

void ClientSession::handleTextMessage(const std::string& text) {
    ClientMessage message;
    if (auto refusal = parseClientMessage(text, message)) {
        ++hub_.protocolErrors;
        sendError(refusal->code, refusal->message, refusal->requestIdJson);
        return;
    }

    ws::HubState::HandlerEntry entry;
    {
        std::shared_lock lock(hub_.handlersMutex);
        auto it = hub_.handlers.find(message.type);
        if (it == hub_.handlers.end()) {
            lock.unlock();
            ++hub_.protocolErrors;
            const MessageRefusal refusal = unknownTypeRefusal(message);
            sendError(refusal.code, refusal.message, refusal.requestIdJson);
            return;
        }
        entry = it->second;
    }
    if (static_cast<int>(principal_.role) < static_cast<int>(entry.minimumRole)) {
        sendError("forbidden",
                  "\"" + message.type + "\" needs the " + roleName(entry.minimumRole) + " role; you are " +
                      roleName(principal_.role),
                  message.requestIdJson);
        return;
    }
    try {
        entry.handler(self(), message);
    } catch (const std::exception& e) {
        hub_.log->error("client {}: handler for \"{}\" failed: {}", id_, message.type, e.what());
        sendError("internal_error", "the server failed to handle \"" + message.type + "\"", message.requestIdJson);
    }
}

void ClientSession::finish() {
    if (finished_) return;
    finished_ = true;
    auto keep = shared_from_this(); // the loop's map may hold the last reference
    {
        std::lock_guard lock(mutex_);
        state_ = State::Closed;
        queue_.clear();
        queuedBytes_ = 0;
        frontOffset_ = 0;
    }
    hub_.broadcaster.unsubscribeAll(this);
    loop_.remove(*this);
    transport_.reset(); // closes the socket
    --hub_.connected;
    hub_.log->debug("client {} disconnected", id_);
}

} // namespace mc::host
