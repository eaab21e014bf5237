#include "NatsBus.h"
#include "mc/thread_name.hpp"

#include <mc/json_text.hpp>

#include <algorithm>
#include <iterator>
#include <stdexcept>

namespace mc::bus_nats {
namespace {

using mc::sdk::Error;
using Clock = std::chrono::steady_clock;

constexpr int kMaxInflight = 4096;             // appends sent and not yet acknowledged, at most
constexpr int kPendingMessages = 1000000;       // what libnats may hold for one subscription
constexpr int kPendingBytes = 256 * 1024 * 1024;
constexpr std::chrono::milliseconds kRetryPause{250};
constexpr std::int64_t kHeaderRoom = 64; // an append's headers beside its id ("NATS/1.0", "Nats-Msg-Id: ")

std::string statusText(natsStatus s) {
    std::string text = natsStatus_GetText(s);
    const char* detail = nats_GetLastError(nullptr);
    if (detail && *detail && text != detail) text += std::string(": ") + detail;
    return text;
}

void check(natsStatus s, const std::string& what, mc_status as = MC_ERR_IO) {
    if (s != NATS_OK) throw Error(as, what + ": " + statusText(s));
}

std::string jsError(natsStatus s, jsErrCode code) {
    std::string text = statusText(s);
    if (code != 0) text += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
    return text;
}

} // namespace

// libnats may run a callback after the connection was closed and the instance is gone (a handler
// already dispatched, an acknowledgement in flight). Its closures therefore point at a gate, not at the
// instance: callbacks hold the gate shared and find the instance through it; stop() detaches the
// instance under the exclusive lock, after which no callback reaches it. Gates stay in a registry for
// the life of the process: a few bytes per instance, and a host creates one bus instance.
struct NatsBus::Gate {
    std::shared_mutex mutex;
    NatsBus* bus = nullptr; // null once stopped
};

namespace {
NatsBus::Gate* registerGate(std::unique_ptr<NatsBus::Gate> gate) {
    static std::mutex mutex;
    static std::vector<std::unique_ptr<NatsBus::Gate>> gates;
    std::lock_guard lock(mutex);
    gates.push_back(std::move(gate));
    return gates.back().get();
}
} // namespace

template <class F>
void NatsBus::through(void* gate, F&& f) {
    auto* g = static_cast<Gate*>(gate);
    std::shared_lock lock(g->mutex);
    if (g->bus) f(*g->bus);
}

NatsBus::NatsBus(mc::sdk::Host host, const Settings& settings, mc::sdk::BusDeliveries out)
    : BusPlugin(host, out), settings_(settings) {
    if (settings_.servers.empty()) throw Error(MC_ERR_CONFIG, "servers is empty: name at least one NATS server");
    for (const auto& url : settings_.servers)
        if (url.rfind("nats://", 0) != 0 && url.rfind("tls://", 0) != 0)
            throw Error(MC_ERR_CONFIG, "servers = '" + url + "': expected a nats:// or tls:// URL");
    if (!validSubject(settings_.prefix))
        throw Error(MC_ERR_CONFIG, "prefix = '" + settings_.prefix + "': expected dot-separated tokens of [A-Za-z0-9_-]");
    for (char c : settings_.stream)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            throw Error(MC_ERR_CONFIG, "stream = '" + settings_.stream + "': expected letters, digits, _ and -");
    if (settings_.stream.empty()) throw Error(MC_ERR_CONFIG, "stream is empty");
    if (!settings_.password.empty() && settings_.user.empty())
        throw Error(MC_ERR_CONFIG, "password is set but user is not");
    logSubject_ = settings_.prefix + ".log";
    gate_ = registerGate(std::make_unique<Gate>());
}

NatsBus::~NatsBus() {
    try {
        stop();
    } catch (...) {
    }
}

void NatsBus::start() {
    check(natsOptions_Create(&options_), "natsOptions_Create", MC_ERR_INTERNAL);
    std::vector<const char*> servers;
    for (const auto& s : settings_.servers) servers.push_back(s.c_str());
    check(natsOptions_SetServers(options_, servers.data(), static_cast<int>(servers.size())), "servers", MC_ERR_CONFIG);
    natsOptions_SetName(options_, "mission-control");
    natsOptions_SetTimeout(options_, settings_.connectTimeoutMs);
    natsOptions_SetMaxReconnect(options_, -1);
    natsOptions_SetReconnectWait(options_, settings_.reconnectWaitMs);
    natsOptions_SetPingInterval(options_, settings_.pingIntervalMs);
    natsOptions_SetMaxPingsOut(options_, 3);
    // Nothing is buffered by libnats while it reconnects (a publish then fails and the entry waits in
    // this plugin's queue): a buffered append would go out on reconnecting, before the resends of what
    // was in flight, out of its source's order. libnats refuses a publish while reconnecting once its
    // buffer holds `size` bytes or more, so only 0 refuses the first one too (with 1, one append got
    // in). Its header calls 0 "the default"; the library sets and compares it as given.
    natsOptions_SetReconnectBufSize(options_, 0);
    if (!settings_.user.empty()) natsOptions_SetUserInfo(options_, settings_.user.c_str(), settings_.password.c_str());
    if (!settings_.token.empty()) natsOptions_SetToken(options_, settings_.token.c_str());
    natsOptions_SetDisconnectedCB(options_, &NatsBus::onDisconnected, gate_);
    natsOptions_SetReconnectedCB(options_, &NatsBus::onReconnected, gate_);
    natsOptions_SetErrorHandler(options_, &NatsBus::onError, gate_);
    // The host starts while NATS is away too: the client connects in the background and says so.
    natsOptions_SetRetryOnFailedConnect(options_, true, &NatsBus::onConnected, gate_);
    {
        std::unique_lock gate(gate_->mutex);
        gate_->bus = this;
    }
    const natsStatus s = natsConnection_Connect(&connection_, options_);
    if (s == NATS_OK) {
        connectedChanged(true, "connected");
    } else if (s == NATS_NOT_YET_CONNECTED) {
        host().reportStatus(MC_COMPONENT_RECOVERABLE_ERROR, "connecting to " + settings_.servers.front() + " (not reachable yet)");
    } else {
        natsOptions_Destroy(options_);
        options_ = nullptr;
        throw Error(MC_ERR_IO, "connecting to NATS: " + statusText(s));
    }
    jsOptions js;
    jsOptions_Init(&js);
    js.PublishAsync.MaxPending = kMaxInflight;
    js.PublishAsync.AckHandler = &NatsBus::onAck;
    js.PublishAsync.AckHandlerClosure = gate_;
    js.PublishAsync.StallWait = 50;
    check(natsConnection_JetStream(&js_, connection_, &js), "JetStream context", MC_ERR_INTERNAL);
    worker_ = std::thread([this] {
        mc::sdk::nameThisThread("nats-bus");
        run();
    });
}

void NatsBus::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
    {
        // No callback reaches this instance past here (one running finishes first).
        std::unique_lock gate(gate_->mutex);
        gate_->bus = nullptr;
    }
    std::map<std::uint64_t, Subscription*> subs;
    {
        std::lock_guard lock(mutex_);
        subs.swap(subscriptions_);
    }
    for (auto& [id, sub] : subs) end(sub);
    if (follower_) {
        natsSubscription_Unsubscribe(follower_);
        natsSubscription_Destroy(follower_);
    }
    follower_ = nullptr;
    if (js_) jsCtx_Destroy(js_);
    js_ = nullptr;
    if (connection_) {
        natsConnection_Close(connection_);
        natsConnection_Destroy(connection_);
    }
    connection_ = nullptr;
    if (options_) natsOptions_Destroy(options_);
    options_ = nullptr;
}

void NatsBus::connectedChanged(bool connected, const char* why) {
    {
        std::lock_guard lock(mutex_);
        connected_ = connected;
        // A restarted server may have lost the stream (memory storage): set it up again.
        if (connected) streamReady_ = false;
        // What was in flight may or may not have reached the stream: it goes again first, in its order,
        // before anything newer (the stream drops what it already has), so that an entry lost with the
        // connection does not land after a later one of this host's.
        requeueInflight(inflight_.size());
    }
    wake_.notify_all();
    if (connected) host().reportStatus(MC_COMPONENT_OK, std::string(why) + " to NATS");
    else host().reportStatus(MC_COMPONENT_RECOVERABLE_ERROR, "disconnected from NATS; reconnecting");
}

void NatsBus::onConnected(natsConnection*, void* closure) {
    through(closure, [](NatsBus& bus) { bus.connectedChanged(true, "connected"); });
}
void NatsBus::onDisconnected(natsConnection*, void* closure) {
    through(closure, [](NatsBus& bus) { bus.connectedChanged(false, "disconnected"); });
}
void NatsBus::onReconnected(natsConnection*, void* closure) {
    through(closure, [](NatsBus& bus) {
        ++bus.reconnects_;
        bus.connectedChanged(true, "reconnected");
    });
}
void NatsBus::onError(natsConnection*, natsSubscription* sub, natsStatus status, void* closure) {
    through(closure, [&](NatsBus& bus) {
        bus.host().warn("NATS: " + std::string(natsStatus_GetText(status)));
        // The follower reports a gap it could not mend (its consumer is gone for good): set it up again.
        if (sub && sub == bus.follower_ && (status == NATS_MISMATCH || status == NATS_SLOW_CONSUMER)) {
            std::lock_guard lock(bus.mutex_);
            bus.followerBroken_ = true;
        }
        bus.wake_.notify_all();
    });
}

void NatsBus::run() {
    std::unique_lock lock(mutex_);
    // One set-up step outside the lock; a failure is reported and retried after a pause.
    const auto setUp = [&](bool (NatsBus::*step)(std::string&), const char* what) {
        lock.unlock();
        std::string error;
        const bool ok = (this->*step)(error);
        lock.lock();
        if (!ok) {
            lastError_ = error;
            host().reportStatus(MC_COMPONENT_RECOVERABLE_ERROR, std::string(what) + error);
            wake_.wait_for(lock, kRetryPause * 4, [&] { return stopping_; });
        }
        return ok;
    };
    while (!stopping_) {
        if (connected_ && !streamReady_) {
            if (!setUp(&NatsBus::setUpStream, "the event log's stream: ")) continue;
            streamReady_ = true;
        }
        if (connected_ && streamReady_ && followWanted_ && (!follower_ || followerBroken_)) {
            if (!setUp(&NatsBus::setUpFollower, "following the event log: ")) continue;
            followerBroken_ = false;
        }
        const auto sending = [&] { return connected_ && streamReady_ && Clock::now() >= pausedUntil_; };
        if (sending()) {
            // Refused and overdue entries first: they go back ahead of the queue, which holds only newer ones.
            resendOverdue();
            sendQueued(lock);
        }
        wake_.wait_for(lock, kRetryPause, [&] {
            return stopping_ || (connected_ && ((sending() && !queued_.empty() && inflight_.size() < kMaxInflight) || !streamReady_ ||
                                                (followWanted_ && (!follower_ || followerBroken_))));
        });
    }
}

bool NatsBus::setUpStream(std::string& error) {
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    const char* subjects[] = {logSubject_.c_str()};
    config.Name = settings_.stream.c_str();
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = settings_.storage == "memory" ? js_MemoryStorage : js_FileStorage;
    config.MaxAge = settings_.maxAgeSeconds * 1000000000LL;
    config.MaxBytes = settings_.maxBytes;
    config.Replicas = settings_.replicas;
    config.Duplicates = settings_.duplicateWindowSeconds * 1000000000LL;
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&info, js_, config.Name, nullptr, &code);
    if (s == NATS_OK) {
        jsStreamInfo_Destroy(info);
        info = nullptr;
        s = js_UpdateStream(&info, js_, &config, nullptr, &code);
        if (s != NATS_OK) {
            // Limits that cannot change in place (storage): the stream is used as it is.
            host().warn("the stream " + settings_.stream + " keeps its own settings: " + jsError(s, code));
            s = NATS_OK;
        }
    } else if (s == NATS_NOT_FOUND || code == JSStreamNotFoundErr) {
        s = js_AddStream(&info, js_, &config, nullptr, &code);
        if (s == NATS_OK) host().info("created the stream " + settings_.stream + " for " + logSubject_);
    }
    if (info) jsStreamInfo_Destroy(info);
    if (s != NATS_OK) {
        error = jsError(s, code);
        return false;
    }
    return true;
}

bool NatsBus::setUpFollower(std::string& error) {
    if (follower_) {
        natsSubscription_Destroy(follower_);
        follower_ = nullptr;
    }
    jsSubOptions options;
    jsSubOptions_Init(&options);
    options.Stream = settings_.stream.c_str();
    options.Ordered = true;
    options.Config.Heartbeat = 1000000000LL; // a lost consumer is noticed within seconds
    const std::uint64_t last = lastSeq_.load();
    if (last > 0 || followFrom_ == MC_BUS_FOLLOW_AFTER) {
        options.Config.DeliverPolicy = js_DeliverByStartSequence;
        options.Config.OptStartSeq = last + 1;
    } else {
        options.Config.DeliverPolicy = js_DeliverNew;
    }
    jsErrCode code = static_cast<jsErrCode>(0);
    natsSubscription* sub = nullptr;
    const natsStatus s = js_Subscribe(&sub, js_, logSubject_.c_str(), &NatsBus::onEntry, gate_, nullptr, &options, &code);
    if (s != NATS_OK) {
        error = jsError(s, code);
        return false;
    }
    natsSubscription_SetPendingLimits(sub, kPendingMessages, kPendingBytes);
    follower_ = sub;
    host().info("following the event log from " + (options.Config.DeliverPolicy == js_DeliverNew
                                                       ? std::string("new entries")
                                                       : "entry " + std::to_string(options.Config.OptStartSeq)));
    host().reportStatus(MC_COMPONENT_OK, "connected to NATS; following the event log");
    return true;
}

void NatsBus::sendQueued(std::unique_lock<std::mutex>& lock) {
    // streamReady_ too: a reconnect while this loop publishes (the lock is released for each) asks for
    // the stream to be set up again, and what went out before that would be refused.
    while (!stopping_ && connected_ && streamReady_ && !queued_.empty() && inflight_.size() < kMaxInflight) {
        Entry entry = std::move(queued_.front());
        queued_.pop_front();
        natsMsg* message = nullptr;
        if (natsMsg_Create(&message, logSubject_.c_str(), nullptr, entry.payload.data(), static_cast<int>(entry.payload.size())) != NATS_OK) {
            requeue({std::move(entry)});
            return;
        }
        entry.sent = message;
        entry.sentAt = Clock::now();
        const std::string id = entry.id;
        inflight_.push_back(std::move(entry));
        inflightById_[id] = std::prev(inflight_.end());
        lock.unlock();
        jsPubOptions options;
        jsPubOptions_Init(&options);
        options.MsgId = id.c_str();
        // libnats keeps every append it sent until its answer comes; one lost with a connection never
        // gets one, and once MaxPending of those had gathered each publish stalled and failed: the
        // bus stopped for good after enough restarts. With a deadline libnats answers it itself
        // (a timeout, sent again like any refusal) and forgets it.
        options.MaxWait = settings_.ackTimeoutMs;
        // On success libnats owns the message (and nulls the pointer); on failure it is still ours.
        natsMsg* owned = message;
        const natsStatus s = js_PublishMsgAsync(js_, &owned, &options);
        lock.lock();
        if (s == NATS_OK) continue;
        auto found = inflightById_.find(id);
        const bool stillOurs = found != inflightById_.end() && found->second->sent == message;
        natsMsg_Destroy(owned);
        if (!stillOurs) return; // went back to the queue already (the connection dropped meanwhile)
        Entry back = std::move(*found->second);
        inflight_.erase(found->second);
        inflightById_.erase(found);
        if (s == NATS_MAX_PAYLOAD) {
            // Larger than this server takes (append() refuses those while connected; this server's
            // limit may be lower than the last one's): sending it again would stop the log behind it.
            ++refused_;
            lastError_ = "append: entry " + back.id + " is " + std::to_string(back.payload.size()) + " bytes, more than NATS takes";
            host().warn(lastError_ + "; dropped from the log (the host's store has it)");
            continue;
        }
        // Not sent (disconnected meanwhile, or too many in flight): back to the queue, in its place.
        requeue({std::move(back)});
        return;
    }
}

void NatsBus::resendOverdue() {
    // Refused and timed-out appends are at the front (onAck puts them there), then the oldest sent.
    // libnats times each append out too (MaxWait); this sweep also takes what it never answers
    // about (an id appended twice while both are in flight shares one answer).
    const auto overdue = Clock::now() - std::chrono::milliseconds(settings_.ackTimeoutMs);
    std::size_t count = 0;
    for (auto it = inflight_.begin(); it != inflight_.end() && it->sentAt < overdue; ++it) ++count;
    requeueInflight(count);
}

void NatsBus::requeueInflight(std::size_t count) {
    if (count == 0) return;
    resent_ += count;
    auto end = std::next(inflight_.begin(), static_cast<long>(count));
    for (auto it = inflight_.begin(); it != end; ++it)
        if (auto found = inflightById_.find(it->id); found != inflightById_.end() && found->second == it) inflightById_.erase(found);
    std::vector<Entry> back(std::make_move_iterator(inflight_.begin()), std::make_move_iterator(end));
    inflight_.erase(inflight_.begin(), end);
    requeue(std::move(back));
}

void NatsBus::requeue(std::vector<Entry> back) {
    // The queue is kept in append order whatever comes back and when: the worker sends from its
    // front, so an entry that goes again always goes before every later append still to be sent.
    // (Entries come back in different groups: refused or overdue ones while newer ones are in flight,
    // then all of those when the connection drops.)
    const auto byOrder = [](const Entry& a, const Entry& b) { return a.order < b.order; };
    std::sort(back.begin(), back.end(), byOrder);
    if (queued_.empty() || back.back().order < queued_.front().order) {
        queued_.insert(queued_.begin(), std::make_move_iterator(back.begin()), std::make_move_iterator(back.end()));
        return;
    }
    std::deque<Entry> merged;
    std::merge(std::make_move_iterator(back.begin()), std::make_move_iterator(back.end()), std::make_move_iterator(queued_.begin()),
               std::make_move_iterator(queued_.end()), std::back_inserter(merged), byOrder);
    queued_.swap(merged);
}

void NatsBus::onAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure) {
    through(closure, [&](NatsBus& bus) {
        const char* id = nullptr;
        if (msg) natsMsgHeader_Get(msg, "Nats-Msg-Id", &id);
        {
            std::lock_guard lock(bus.mutex_);
            auto found = id ? bus.inflightById_.find(id) : bus.inflightById_.end();
            if (found != bus.inflightById_.end() && found->second->sent == msg) {
                if (ack) {
                    ++bus.acknowledged_;
                    if (ack->Duplicate) ++bus.duplicates_;
                    bus.inflight_.erase(found->second);
                    bus.inflightById_.erase(found);
                } else if (error) {
                    bus.lastError_ = "append: " + jsError(error->Err, error->ErrCode);
                    if (error->ErrText && *error->ErrText) bus.lastError_ += std::string(": ") + error->ErrText;
                    if (error->Err == NATS_NO_RESPONDERS || error->ErrCode == JSStreamNotFoundErr) {
                        // Nothing takes the log's subject: the stream was deleted under the bus. Every
                        // append in flight went to no stream: all of them go again, in their order,
                        // once the stream is set up again (their own refusals, coming later, are
                        // answers to a send that is not their latest and change nothing).
                        if (bus.streamReady_) bus.host().warn("the stream " + bus.settings_.stream + " is gone (" + bus.lastError_ + "); setting it up again");
                        bus.streamReady_ = false;
                        bus.requeueInflight(bus.inflight_.size());
                    } else {
                        // Timed out or refused: to the front, where the next sweep takes it back to the
                        // queue (in its place there). The stream refusing (a store failing) is not asked
                        // again at once: sending pauses, so that a refusal that lasts does not spin.
                        if (error->Err != NATS_TIMEOUT) bus.pausedUntil_ = Clock::now() + kRetryPause;
                        found->second->sentAt = Clock::time_point{};
                        bus.inflight_.splice(bus.inflight_.begin(), bus.inflight_, found->second);
                    }
                }
            }
        }
        bus.wake_.notify_all();
    });
    if (msg) natsMsg_Destroy(msg);
}

void NatsBus::onEntry(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK && meta) {
        const std::uint64_t seq = meta->Sequence.Stream;
        jsMsgMetaData_Destroy(meta);
        through(closure, [&](NatsBus& bus) {
            if (seq <= bus.lastSeq_.load()) return;
            bus.lastSeq_ = seq; // entries never overlap: set before the host sees it, describe() agrees
            ++bus.delivered_;
            bus.deliveries().entry(seq, std::string_view(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg))));
        });
    }
    natsMsg_Destroy(msg);
}

void NatsBus::onMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* sub = static_cast<Subscription*>(closure);
    {
        std::lock_guard lock(sub->mutex);
        if (sub->live) {
            through(sub->gate, [&](NatsBus& bus) {
                const std::string_view prefix = bus.settings_.prefix;
                const char* reply = natsMsg_GetReply(msg);
                mc::sdk::BusMessage message;
                message.subscription = sub->id;
                message.subject = unqualified(prefix, natsMsg_GetSubject(msg));
                message.replyTo = reply ? unqualified(prefix, reply) : std::string_view();
                message.payload = std::string_view(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
                ++bus.messagesIn_;
                bus.deliveries().message(message);
            });
        }
    }
    natsMsg_Destroy(msg);
}

void NatsBus::onSubscriptionComplete(void* closure) { delete static_cast<Subscription*>(closure); }

void NatsBus::end(Subscription* sub) {
    natsSubscription* handle = nullptr;
    {
        std::lock_guard lock(sub->mutex); // waits for a delivery in progress
        sub->live = false;
        handle = sub->sub;
    }
    // From here libnats owns `sub`: its on-complete callback frees it once no handler runs.
    natsSubscription_Unsubscribe(handle);
    natsSubscription_Destroy(handle);
}

void NatsBus::append(std::string_view entryId, std::string_view payload) {
    if (entryId.empty()) throw Error(MC_ERR_INVALID_ARGUMENT, "append: the entry id is empty");
    // An entry the server would refuse whatever happens is refused here, not queued to block the log.
    // The message carries the payload and the id's header; 0 is an unknown limit (not connected yet).
    if (const std::int64_t most = connection_ ? natsConnection_GetMaxPayload(connection_) : 0;
        most > 0 && static_cast<std::int64_t>(payload.size() + entryId.size()) + kHeaderRoom > most) {
        ++refused_;
        throw Error(MC_ERR_INVALID_ARGUMENT, "append: the entry is " + std::to_string(payload.size()) + " bytes; NATS takes " +
                                                 std::to_string(most - kHeaderRoom) + " at most (its max_payload)");
    }
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || !connection_) throw Error(MC_ERR_UNAVAILABLE, "append: the bus is not running");
        if (static_cast<std::int64_t>(queued_.size() + inflight_.size()) >= settings_.appendQueue) {
            ++refused_;
            throw Error(MC_ERR_UNAVAILABLE, "append: " + std::to_string(settings_.appendQueue) +
                                                " entries wait for NATS already (append_queue)");
        }
        queued_.push_back(Entry{std::string(entryId), std::string(payload), {}, appended_.load()});
        ++appended_;
    }
    wake_.notify_all();
}

void NatsBus::follow(mc_bus_follow_from from, std::uint64_t afterSeq) {
    {
        std::lock_guard lock(mutex_);
        if (followWanted_) throw Error(MC_ERR_CONFLICT, "follow: the log is followed already");
        followWanted_ = true;
        followFrom_ = from;
        if (from == MC_BUS_FOLLOW_AFTER) lastSeq_ = afterSeq;
    }
    wake_.notify_all();
}

void NatsBus::publish(std::string_view subject, std::string_view replyTo, std::string_view payload) {
    std::string natsSubject, natsReply;
    try {
        natsSubject = qualified(settings_.prefix, subject);
        if (!replyTo.empty()) natsReply = qualified(settings_.prefix, replyTo);
    } catch (const std::invalid_argument& e) {
        throw Error(MC_ERR_INVALID_ARGUMENT, std::string("publish: ") + e.what());
    }
    if (!connection_) throw Error(MC_ERR_UNAVAILABLE, "publish: the bus is not running");
    const natsStatus s = natsReply.empty()
                             ? natsConnection_Publish(connection_, natsSubject.c_str(), payload.data(), static_cast<int>(payload.size()))
                             : natsConnection_PublishRequest(connection_, natsSubject.c_str(), natsReply.c_str(), payload.data(),
                                                             static_cast<int>(payload.size()));
    if (s != NATS_OK) throw Error(MC_ERR_UNAVAILABLE, "publish to " + std::string(subject) + ": " + statusText(s));
    ++messagesOut_;
}

void NatsBus::subscribe(std::uint64_t subscription, std::string_view subject, std::string_view queueGroup) {
    std::string natsSubject;
    try {
        natsSubject = qualified(settings_.prefix, subject, true);
    } catch (const std::invalid_argument& e) {
        throw Error(MC_ERR_INVALID_ARGUMENT, std::string("subscribe: ") + e.what());
    }
    if (!queueGroup.empty() && !validSubject(queueGroup))
        throw Error(MC_ERR_INVALID_ARGUMENT, "subscribe: queue group '" + std::string(queueGroup) + "' is not [A-Za-z0-9_-] tokens");
    auto* sub = new Subscription();
    sub->gate = gate_;
    sub->id = subscription;
    {
        std::lock_guard lock(mutex_);
        if (!connection_) {
            delete sub;
            throw Error(MC_ERR_UNAVAILABLE, "subscribe: the bus is not running");
        }
        if (!subscriptions_.emplace(subscription, sub).second) {
            delete sub;
            throw Error(MC_ERR_CONFLICT, "subscribe: subscription " + std::to_string(subscription) + " exists already");
        }
    }
    const std::string group(queueGroup);
    std::unique_lock deliveries(sub->mutex); // nothing is delivered before the handle is stored
    const natsStatus s = group.empty()
                             ? natsConnection_Subscribe(&sub->sub, connection_, natsSubject.c_str(), &NatsBus::onMessage, sub)
                             : natsConnection_QueueSubscribe(&sub->sub, connection_, natsSubject.c_str(), group.c_str(),
                                                             &NatsBus::onMessage, sub);
    if (s != NATS_OK) {
        deliveries.unlock();
        {
            std::lock_guard lock(mutex_);
            subscriptions_.erase(subscription);
        }
        delete sub;
        throw Error(MC_ERR_UNAVAILABLE, "subscribe to " + std::string(subject) + ": " + statusText(s));
    }
    natsSubscription_SetOnCompleteCB(sub->sub, &NatsBus::onSubscriptionComplete, sub);
    natsSubscription_SetPendingLimits(sub->sub, kPendingMessages, kPendingBytes);
    deliveries.unlock();
    // Returns once the server has the subscription (while connected): a message published after
    // subscribe returned reaches it. Away, the client sends it on reconnecting.
    natsConnection_FlushTimeout(connection_, settings_.connectTimeoutMs);
}

void NatsBus::unsubscribe(std::uint64_t subscription) {
    Subscription* sub = nullptr;
    {
        std::lock_guard lock(mutex_);
        auto it = subscriptions_.find(subscription);
        if (it == subscriptions_.end())
            throw Error(MC_ERR_NOT_FOUND, "unsubscribe: no subscription " + std::to_string(subscription));
        sub = it->second;
        subscriptions_.erase(it);
    }
    end(sub);
}

void NatsBus::describe(mc::sdk::Sink& details) {
    std::string out = "{";
    {
        std::lock_guard lock(mutex_);
        out += "\"connected\":" + std::string(connected_ ? "true" : "false");
        out += ",\"stream\":" + mc::sdk::json::quote(settings_.stream);
        out += ",\"stream_ready\":" + std::string(streamReady_ ? "true" : "false");
        out += ",\"following\":" + std::string(follower_ && !followerBroken_ ? "true" : "false");
        out += ",\"queued\":" + std::to_string(queued_.size());
        out += ",\"in_flight\":" + std::to_string(inflight_.size());
        out += ",\"subscriptions\":" + std::to_string(subscriptions_.size());
        out += ",\"last_error\":" + mc::sdk::json::quote(lastError_);
    }
    out += ",\"last_seq\":" + std::to_string(lastSeq_.load());
    out += ",\"appended\":" + std::to_string(appended_.load());
    out += ",\"acknowledged\":" + std::to_string(acknowledged_.load());
    out += ",\"duplicates\":" + std::to_string(duplicates_.load());
    out += ",\"resent\":" + std::to_string(resent_.load());
    out += ",\"refused\":" + std::to_string(refused_.load());
    out += ",\"delivered\":" + std::to_string(delivered_.load());
    out += ",\"messages_in\":" + std::to_string(messagesIn_.load());
    out += ",\"messages_out\":" + std::to_string(messagesOut_.load());
    out += ",\"reconnects\":" + std::to_string(reconnects_.load());
    out += "}";
    details.write(out);
}

} // namespace mc::bus_nats
