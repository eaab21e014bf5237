#include "core/Broadcaster.h"

#include "util/Json.h"
#include "net/FrameCodec.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <stdexcept>

namespace mc::host {
namespace {

std::string_view trimmed(std::string_view s) {
    const auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
    return s;
}

long long nowUnixMicros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

std::uint64_t Broadcaster::publish(std::string_view type, std::string_view payloadJson,
                                   const std::vector<std::string>& channels, std::string_view source) {
    const std::string_view payload = trimmed(payloadJson);
    if (payload.size() < 2 || payload.front() != '{' || payload.back() != '}')
        throw std::invalid_argument("event payload must be a JSON object");
    if (type.empty()) throw std::invalid_argument("event type must not be empty");

    // Everything but the seq is serialized outside the lock; the lock only splices the seq in.
    std::string head = "{\"type\":";
    head += json::quote(type);
    head += ",\"seq\":";
    std::string tail = ",\"timestamp\":\"";
    tail += json::isoTimestamp(nowUnixMicros());
    tail += "\",\"source\":";
    tail += json::quote(source);
    tail += ",\"channels\":[";
    for (std::size_t i = 0; i < channels.size(); ++i) {
        if (i) tail += ',';
        tail += json::quote(channels[i]);
    }
    tail += "],\"payload\":";
    tail.append(payload.data(), payload.size());
    tail += '}';

    if (const auto relay = std::atomic_load(&relay_)) {
        // In a cluster the log numbers it, and every host (this one too) delivers it from there.
        (*relay)(head, tail, channels);
        return 0;
    }
    std::lock_guard lock(mutex_);
    const std::uint64_t seq = ++lastSeq_;
    fanOut(seq, head, tail, channels);
    return seq;
}

void Broadcaster::setRelay(Relay relay) {
    // Read without the lock by every publish: swapped atomically, and a publish under way keeps the
    // relay it loaded alive until it returns.
    std::atomic_store(&relay_, relay ? std::make_shared<const Relay>(std::move(relay)) : std::shared_ptr<const Relay>());
}

bool Broadcaster::publishNumbered(std::uint64_t seq, std::string_view head, std::string_view tail,
                                  const std::vector<std::string>& channels) {
    std::lock_guard lock(mutex_);
    if (seq <= lastSeq_) return false;
    // The first event this host has is not the cluster's first: what came before is not replayable here.
    if (lastSeq_ == 0) evictedUpTo_ = seq - 1;
    lastSeq_ = seq;
    fanOut(seq, head, tail, channels);
    return true;
}

void Broadcaster::fanOut(std::uint64_t seq, std::string_view head, std::string_view tail,
                         const std::vector<std::string>& channels) {
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, seq);
    const std::size_t jsonSize = head.size() + static_cast<std::size_t>(end - digits) + tail.size();
    auto frame = std::make_shared<std::string>();
    frame->reserve(ws::frameHeaderSize(jsonSize) + jsonSize);
    // Header first, then the JSON pieces: one allocation, no intermediate JSON string.
    ws::appendFrameHeader(*frame, ws::Opcode::Text, jsonSize);
    frame->append(head);
    frame->append(digits, end);
    frame->append(tail);
    SharedFrame shared = std::move(frame);
    ++published_;

    // Collect the subscribers of every channel; a subscriber of several gets the event once.
    scratch_.clear();
    for (const auto& channel : channels) {
        auto it = byChannel_.find(channel);
        if (it != byChannel_.end()) scratch_.insert(scratch_.end(), it->second.begin(), it->second.end());
    }
    if (channels.size() > 1) {
        std::sort(scratch_.begin(), scratch_.end());
        scratch_.erase(std::unique(scratch_.begin(), scratch_.end()), scratch_.end());
    }
    if (!floors_.empty()) {
        // Clients that resumed from further on than this host had come: nothing they already saw.
        std::size_t kept = 0;
        for (BroadcastSubscriber* subscriber : scratch_) {
            auto floor = floors_.find(subscriber);
            if (floor != floors_.end()) {
                if (seq <= floor->second) continue;
                floors_.erase(floor);
            }
            scratch_[kept++] = subscriber;
        }
        scratch_.resize(kept);
    }
    for (BroadcastSubscriber* subscriber : scratch_) subscriber->deliver(seq, shared);
    deliveries_ += scratch_.size();
    if (historyMaxEvents_ > 0) {
        historyBytes_ += shared->size();
        history_.push_back(Kept{seq, std::move(shared), channels});
        while (!history_.empty() && (history_.size() > historyMaxEvents_ || historyBytes_ > historyMaxBytes_)) {
            historyBytes_ -= history_.front().frame->size();
            evictedUpTo_ = history_.front().seq;
            history_.pop_front();
        }
    } else {
        evictedUpTo_ = seq;
    }
}

void Broadcaster::setHistoryLimits(std::size_t events, std::size_t bytes) {
    std::lock_guard lock(mutex_);
    historyMaxEvents_ = events;
    historyMaxBytes_ = bytes;
    while (!history_.empty() && (history_.size() > historyMaxEvents_ || historyBytes_ > historyMaxBytes_)) {
        historyBytes_ -= history_.front().frame->size();
        evictedUpTo_ = history_.front().seq;
        history_.pop_front();
    }
}

ResumeOutcome Broadcaster::resume(BroadcastSubscriber* subscriber, const std::vector<std::string>& channels,
                                  std::uint64_t afterSeq, std::size_t maxReplay,
                                  const std::function<void(const ResumeOutcome&)>& announce,
                                  const std::function<void(const ResumeOutcome&)>& finish) {
    std::lock_guard lock(mutex_);
    for (const auto& channel : channels) {
        if (!bySubscriber_[subscriber].insert(channel).second) continue;
        byChannel_[channel].push_back(subscriber);
    }
    ResumeOutcome outcome;
    outcome.lastSeq = lastSeq_;
    const auto wanted = [&](const Kept& kept) {
        for (const auto& c : kept.channels)
            if (std::find(channels.begin(), channels.end(), c) != channels.end()) return true;
        return false;
    };
    // Newest first, to keep the newest `maxReplay` when there are more.
    std::vector<const Kept*> replay;
    std::uint64_t oldestReplayable = evictedUpTo_ + 1;
    for (auto it = history_.rbegin(); it != history_.rend() && it->seq > afterSeq; ++it) {
        if (!wanted(*it)) continue;
        if (replay.size() == maxReplay) {
            oldestReplayable = replay.back()->seq; // older matches than this cannot be replayed
            break;
        }
        replay.push_back(&*it);
    }
    if (afterSeq < lastSeq_ && afterSeq + 1 < oldestReplayable) {
        outcome.gapFrom = afterSeq + 1;
        outcome.gapTo = oldestReplayable - 1;
    }
    outcome.replayed = replay.size();
    // A client that saw more than this host has yet (it resumed here from a host further on) gets
    // what follows it only.
    if (afterSeq > lastSeq_) floors_[subscriber] = afterSeq;
    if (announce) announce(outcome);
    for (auto it = replay.rbegin(); it != replay.rend(); ++it) subscriber->deliver((*it)->seq, (*it)->frame);
    deliveries_ += replay.size();
    if (finish) finish(outcome);
    return outcome;
}

bool Broadcaster::subscribe(const std::string& channel, BroadcastSubscriber* subscriber) {
    std::lock_guard lock(mutex_);
    if (!bySubscriber_[subscriber].insert(channel).second) return false;
    byChannel_[channel].push_back(subscriber);
    return true;
}

bool Broadcaster::unsubscribe(const std::string& channel, BroadcastSubscriber* subscriber) {
    std::lock_guard lock(mutex_);
    auto sub = bySubscriber_.find(subscriber);
    if (sub == bySubscriber_.end() || sub->second.erase(channel) == 0) return false;
    if (sub->second.empty()) bySubscriber_.erase(sub);
    auto it = byChannel_.find(channel);
    if (it != byChannel_.end()) {
        auto& list = it->second;
        list.erase(std::remove(list.begin(), list.end(), subscriber), list.end());
        if (list.empty()) byChannel_.erase(it);
    }
    return true;
}

void Broadcaster::unsubscribeAll(BroadcastSubscriber* subscriber) {
    std::lock_guard lock(mutex_);
    floors_.erase(subscriber);
    auto sub = bySubscriber_.find(subscriber);
    if (sub == bySubscriber_.end()) return;
    for (const auto& channel : sub->second) {
        auto it = byChannel_.find(channel);
        if (it == byChannel_.end()) continue;
        auto& list = it->second;
        list.erase(std::remove(list.begin(), list.end(), subscriber), list.end());
        if (list.empty()) byChannel_.erase(it);
    }
    bySubscriber_.erase(sub);
}

std::size_t Broadcaster::subscriptionCount(BroadcastSubscriber* subscriber) const {
    std::lock_guard lock(mutex_);
    auto it = bySubscriber_.find(subscriber);
    return it == bySubscriber_.end() ? 0 : it->second.size();
}

std::size_t Broadcaster::subscriberCount(const std::string& channel) const {
    std::lock_guard lock(mutex_);
    auto it = byChannel_.find(channel);
    return it == byChannel_.end() ? 0 : it->second.size();
}

BroadcasterStats Broadcaster::stats() const {
    std::lock_guard lock(mutex_);
    return BroadcasterStats{published_, lastSeq_, deliveries_, byChannel_.size()};
}

std::string_view Broadcaster::eventJson(const SharedFrame& frame) {
    return frame ? ws::unmaskedFramePayload(*frame) : std::string_view();
}

} // namespace mc::host
