#pragma once
// The core broadcaster: routes events to channel subscribers. Each event is serialized and framed
// exactly once into an immutable shared buffer (a ready-to-send unmasked WebSocket text frame); fan-out
// hands that pointer to every subscriber of any of the event's channels, once per subscriber.
//
// Ordering: sequence numbers are assigned and delivered under one lock, so every subscriber sees seq
// strictly increasing. Subscribers must not block in deliver() (they enqueue and return).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace mc::host {

// A complete WebSocket frame, shared read-only by every queue it is in.
using SharedFrame = std::shared_ptr<const std::string>;

class BroadcastSubscriber {
public:
    virtual ~BroadcastSubscriber() = default;
    // Called with the broadcaster's lock held: must be quick and must not call back into the broadcaster.
    virtual void deliver(std::uint64_t seq, const SharedFrame& frame) = 0;
};

struct BroadcasterStats {
    std::uint64_t published;  // events published
    std::uint64_t lastSeq;    // the seq of the last event (0 before the first)
    std::uint64_t deliveries; // event handed to a subscriber (one per subscriber per event)
    std::size_t channels;     // channels with at least one subscriber
};

// What a resume replayed, and the seq range it could no longer replay (gapFrom > gapTo: none).
struct ResumeOutcome {
    std::uint64_t replayed = 0;
    std::uint64_t gapFrom = 1;
    std::uint64_t gapTo = 0;
    std::uint64_t lastSeq = 0; // the newest seq when the resume took effect
};

class Broadcaster {
public:
    Broadcaster() = default;

    // The recent events kept for resume (ws.resume.history_events / _bytes); 0 events: none kept.
    void setHistoryLimits(std::size_t events, std::size_t bytes);
    Broadcaster(const Broadcaster&) = delete;
    Broadcaster& operator=(const Broadcaster&) = delete;

    // Publishes an event; returns its seq. `payloadJson` must be a JSON object text (EventRouter
    // validates it; here only its braces are checked: std::invalid_argument otherwise). `type` and
    // `source` are escaped. Never blocks on subscribers' sockets.
    // With a relay set, returns 0: the event goes to the relay instead, and comes back numbered.
    std::uint64_t publish(std::string_view type, std::string_view payloadJson,
                          const std::vector<std::string>& channels, std::string_view source = "host");

    // Cluster mode. The event of each publish() goes to `relay` as its frame JSON cut where the seq
    // goes (head ends with "seq":, tail follows the number) instead of to subscribers; the cluster's
    // log numbers it and hands it back, on every host, through publishNumbered. Set before the first
    // publish; called on the publishing thread, outside the lock.
    using Relay = std::function<void(std::string_view head, std::string_view tail, const std::vector<std::string>& channels)>;
    void setRelay(Relay relay);
    // Delivers an event the log numbered `seq`; false (nothing delivered) when seq is not above the
    // last one (a duplicate, or the log went back).
    bool publishNumbered(std::uint64_t seq, std::string_view head, std::string_view tail,
                         const std::vector<std::string>& channels);

    // Subscriptions. A subscriber must call unsubscribeAll() before it is destroyed; once that returns
    // it receives nothing more. Returns false when it already was (un)subscribed to the channel.
    bool subscribe(const std::string& channel, BroadcastSubscriber* subscriber);
    bool unsubscribe(const std::string& channel, BroadcastSubscriber* subscriber);
    void unsubscribeAll(BroadcastSubscriber* subscriber);
    std::size_t subscriptionCount(BroadcastSubscriber* subscriber) const;
    std::size_t subscriberCount(const std::string& channel) const;

    BroadcasterStats stats() const;

    // A client back after a dropped connection: subscribes `subscriber` to `channels` and replays, in
    // order, every kept event after `afterSeq` on any of them (at most `maxReplay`, the newest), all
    // under the lock, so nothing is missed or doubled between the replay and live delivery. Events it
    // can no longer replay are a gap; `announce` runs (under the lock, before any replayed event) with
    // the outcome when there is one, and `finish` after the replay (before any later live event).
    ResumeOutcome resume(BroadcastSubscriber* subscriber, const std::vector<std::string>& channels, std::uint64_t afterSeq,
                         std::size_t maxReplay, const std::function<void(const ResumeOutcome&)>& announce,
                         const std::function<void(const ResumeOutcome&)>& finish);

    // The JSON text of an event frame built by publish() (tests, diagnostics).
    static std::string_view eventJson(const SharedFrame& frame);

private:
    // Frames the event (head, seq, tail), hands it to the channels' subscribers and keeps it. mutex_ held.
    void fanOut(std::uint64_t seq, std::string_view head, std::string_view tail, const std::vector<std::string>& channels);

    mutable std::mutex mutex_;
    std::shared_ptr<const Relay> relay_; // std::atomic_load/atomic_store: publish reads it without the lock
    std::unordered_map<BroadcastSubscriber*, std::uint64_t> floors_; // seqs a resumed client saw already
    std::uint64_t lastSeq_ = 0;
    std::uint64_t published_ = 0;
    std::uint64_t deliveries_ = 0;
    std::unordered_map<std::string, std::vector<BroadcastSubscriber*>> byChannel_;
    std::unordered_map<BroadcastSubscriber*, std::unordered_set<std::string>> bySubscriber_;
    std::vector<BroadcastSubscriber*> scratch_; // reused fan-out list (guarded by mutex_)

    struct Kept {
        std::uint64_t seq;
        SharedFrame frame;
        std::vector<std::string> channels;
    };
    std::deque<Kept> history_;
    std::size_t historyBytes_ = 0;
    std::size_t historyMaxEvents_ = 0;
    std::size_t historyMaxBytes_ = 0;
    std::uint64_t evictedUpTo_ = 0; // the newest seq no longer kept
};

} // namespace mc::host
