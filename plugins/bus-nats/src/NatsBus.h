#pragma once
// bus-nats: the bus of a cluster on NATS. The event log is a JetStream stream (one subject,
// "<prefix>.log"): appends are published asynchronously with the entry id as Nats-Msg-Id (the stream's
// duplicate window drops a retry of an entry it already has), and the log is followed with an
// ordered consumer, which the client library recreates from the last delivered entry after a
// reconnect. Messages between hosts are core NATS (at most once), with queue groups.
//
// Threads: libnats's (its connection, one per subscription) deliver; one worker of the plugin sets the
// stream and the follower up once connected and feeds the appends to the connection; host threads only
// queue.
#include "Subjects.h"

#include <mc/sdk.hpp>

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace mc::bus_nats {

struct Settings {
    std::vector<std::string> servers;
    std::string prefix;
    std::string stream;
    std::string storage;
    std::int64_t maxAgeSeconds = 0;
    std::int64_t maxBytes = 0;
    std::int64_t replicas = 0;
    std::int64_t duplicateWindowSeconds = 0;
    std::int64_t appendQueue = 0;
    std::int64_t ackTimeoutMs = 0;
    std::int64_t connectTimeoutMs = 0;
    std::int64_t reconnectWaitMs = 0;
    std::int64_t pingIntervalMs = 0;
    std::string user;
    std::string password;
    std::string token;
};

constexpr mc::sdk::Key<Settings> kSettings[] = {
    mc::sdk::key("servers", &Settings::servers).byDefault("nats://127.0.0.1:4222")
        .help("The NATS servers (URLs, comma-separated) of the cluster's bus; the client moves between them"),
    mc::sdk::key("prefix", &Settings::prefix).byDefault("mc")
        .help("The subject prefix every subject of this cluster goes under, so several clusters can share one NATS"),
    mc::sdk::key("stream", &Settings::stream).byDefault("MC_EVENTS")
        .help("The JetStream stream that keeps the event log (created when missing, its limits updated when present)"),
    mc::sdk::key("storage", &Settings::storage).choices("file,memory").byDefault("file")
        .help("Where the stream keeps the log: file survives a NATS restart, memory does not (the log starts over)"),
    mc::sdk::key("max_age_s", &Settings::maxAgeSeconds).byDefault("3600").range(1, 31536000)
        .help("How long the log keeps an entry: the window in which a host that was away catches up"),
    mc::sdk::key("max_bytes", &Settings::maxBytes).byDefault("1073741824").range(1048576, 1099511627776.0)
        .help("The most bytes the log keeps; the oldest entries go first"),
    mc::sdk::key("replicas", &Settings::replicas).byDefault("1").range(1, 5)
        .help("Copies of the stream in a clustered NATS (1 on a single server)"),
    mc::sdk::key("duplicate_window_s", &Settings::duplicateWindowSeconds).byDefault("120").range(1, 86400)
        .help("How long the stream remembers entry ids: a retried append within it is not appended twice"),
    mc::sdk::key("append_queue", &Settings::appendQueue).byDefault("100000").range(16, 10000000)
        .help("Appends kept while NATS is away or slow; past it an append is refused (the event still reaches the store)"),
    mc::sdk::key("ack_timeout_ms", &Settings::ackTimeoutMs).byDefault("5000").range(100, 600000)
        .help("An append the stream has not acknowledged within this time is sent again (with the same id)"),
    mc::sdk::key("connect_timeout_ms", &Settings::connectTimeoutMs).byDefault("2000").range(100, 600000)
        .help("Time allowed to connect to one server"),
    mc::sdk::key("reconnect_wait_ms", &Settings::reconnectWaitMs).byDefault("250").range(10, 600000)
        .help("Pause between reconnection attempts to the same server (the client retries forever)"),
    mc::sdk::key("ping_interval_ms", &Settings::pingIntervalMs).byDefault("2000").range(100, 600000)
        .help("How often the client pings the server; three unanswered pings count as a lost connection"),
    mc::sdk::key("user", &Settings::user).byDefault("").help("The user name to authenticate with (with password)"),
    mc::sdk::key("password", &Settings::password).byDefault("").secret().help("The password of `user`"),
    mc::sdk::key("token", &Settings::token).byDefault("").secret().help("A token to authenticate with instead of a user"),
};

class NatsBus final : public mc::sdk::BusPlugin {
public:
    NatsBus(mc::sdk::Host host, const Settings& settings, mc::sdk::BusDeliveries out);
    ~NatsBus() override;

    void start() override;
    void stop() override;
    void append(std::string_view entryId, std::string_view payload) override;
    void follow(mc_bus_follow_from from, std::uint64_t afterSeq) override;
    void publish(std::string_view subject, std::string_view replyTo, std::string_view payload) override;
    void subscribe(std::uint64_t subscription, std::string_view subject, std::string_view queueGroup) override;
    void unsubscribe(std::uint64_t subscription) override;
    void describe(mc::sdk::Sink& details) override;

    // What libnats's threads reach the instance through; it outlives the instance (see NatsBus.cpp).
    struct Gate;

private:
    struct Entry {
        std::string id;
        std::string payload;
        std::chrono::steady_clock::time_point sentAt{}; // the epoch: to be sent again (its append failed)
        std::uint64_t order = 0;                          // the append's place among this host's appends
        // The message of its latest send (libnats's, compared, never read): an answer to an earlier
        // send of the entry (lost with a connection or a deleted stream, sent again since) is not its.
        const natsMsg* sent = nullptr;
    };
    // One host subscription: libnats's closure, freed by libnats's on-complete callback once no
    // handler runs for it any more.
    struct Subscription {
        Gate* gate = nullptr;
        std::uint64_t id = 0;
        std::mutex mutex; // held while delivering; unsubscribe takes it, so nothing is delivered after
        bool live = true;
        natsSubscription* sub = nullptr;
    };

    void run();                                           // the worker
    bool setUpStream(std::string& error);                 // creates or updates the stream
    bool setUpFollower(std::string& error);               // the ordered consumer, from lastSeq_
    void sendQueued(std::unique_lock<std::mutex>& lock);  // appends to the connection, in order
    void resendOverdue();                                 // refused, or unacknowledged past ack_timeout_ms
    // Under mutex_: the first `count` entries in flight go back to the queue, to be sent again before
    // anything appended after them (the stream drops any it already has).
    void requeueInflight(std::size_t count);
    void requeue(std::vector<Entry> entries); // into the queue, which stays in append order
    void connectedChanged(bool connected, const char* why);
    static void end(Subscription* sub); // unsubscribes; libnats frees it

    static void onConnected(natsConnection* nc, void* closure);
    static void onDisconnected(natsConnection* nc, void* closure);
    static void onReconnected(natsConnection* nc, void* closure);
    static void onError(natsConnection* nc, natsSubscription* sub, natsStatus status, void* closure);
    static void onAck(jsCtx* js, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure);
    static void onEntry(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
    static void onMessage(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
    static void onSubscriptionComplete(void* closure);
    template <class F>
    static void through(void* gate, F&& f);

    Settings settings_;
    std::string logSubject_;
    natsOptions* options_ = nullptr;
    natsConnection* connection_ = nullptr;
    jsCtx* js_ = nullptr;
    natsSubscription* follower_ = nullptr;

    Gate* gate_ = nullptr;

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool connected_ = false;
    bool streamReady_ = false;
    bool followWanted_ = false;
    bool followerBroken_ = false;
    std::chrono::steady_clock::time_point pausedUntil_{}; // after the stream refused an append: nothing sent before
    mc_bus_follow_from followFrom_ = MC_BUS_FOLLOW_NEW;
    std::deque<Entry> queued_;                                              // not yet sent
    std::list<Entry> inflight_;                                             // sent, not acknowledged
    std::unordered_map<std::string, std::list<Entry>::iterator> inflightById_;
    std::map<std::uint64_t, Subscription*> subscriptions_; // owned by libnats (see Subscription)
    std::string lastError_;
    std::thread worker_;

    std::atomic<std::uint64_t> lastSeq_{0}; // the last entry delivered
    std::atomic<std::uint64_t> appended_{0}, acknowledged_{0}, duplicates_{0}, resent_{0}, refused_{0};
    std::atomic<std::uint64_t> delivered_{0}, messagesIn_{0}, messagesOut_{0}, reconnects_{0};
};

} // namespace mc::bus_nats
