#include "cluster/ClusterService.h"

#include "core/EventEnvelope.h"
#include "log/Logging.h"
#include "plugin/PluginStatus.h"
#include "mc/json_value.hpp"
#include "util/Json.h"
#include "mc/thread_name.hpp"

#include <stdexcept>

namespace mc::host {
namespace {

constexpr std::uint64_t kHeartbeatSubscription = 1;
constexpr std::uint64_t kRemoteSubscription = 2;
constexpr const char* kHeartbeatSubject = "hosts.heartbeat";
constexpr std::chrono::seconds kCallGrace{5}; // a forwarded call's wait beyond its own timeout

std::string remoteSubject(const std::string& hostId) { return "rpc." + hostId; }


long long nowUs() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

} // namespace

ClusterService::ClusterService(ClusterSettings settings, Broadcaster& broadcaster)
    : settings_(std::move(settings)), broadcaster_(broadcaster), startedAt_(json::isoTimestamp(nowUs())),
      idPrefix_(settings_.hostId + "-" + std::to_string(nowUs()) + "-") {
    output_ = mc_bus_output{sizeof(mc_bus_output), this, &ClusterService::onMessage, &ClusterService::onEntry};
    // From now on every event goes to the log; until the bus runs, it waits here.
    broadcaster_.setRelay([this](std::string_view head, std::string_view tail, const std::vector<std::string>& channels) {
        relay(head, tail, channels);
    });
}

ClusterService::~ClusterService() {
    try {
        stop();
    } catch (...) {
    }
}

void ClusterService::start(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context) {
    if (!plugin || plugin->info.kind != MC_KIND_BUS) throw std::invalid_argument("the cluster's bus must be a bus plugin");
    vtable_ = plugin->bus;
    instance_ = std::make_unique<PluginInstance>(plugin, std::move(context), &output_);
    instance_->start();
    std::string reason;
    mc_status status = HostContext::call(reason, [&] { return vtable_.follow(instance_->handle(), MC_BUS_FOLLOW_NEW, 0); });
    if (status != MC_OK) throw std::runtime_error("the bus will not follow the event log (" + std::string(statusName(status)) + "): " + reason);
    const std::string subject = kHeartbeatSubject;
    status = HostContext::call(reason, [&] {
        return vtable_.subscribe(instance_->handle(), kHeartbeatSubscription, mc_str{subject.data(), subject.size()}, mc_str{nullptr, 0});
    });
    if (status != MC_OK) throw std::runtime_error("the bus will not subscribe to " + subject + " (" + statusName(status) + "): " + reason);
    const std::string rpc = remoteSubject(settings_.hostId);
    status = HostContext::call(reason, [&] {
        return vtable_.subscribe(instance_->handle(), kRemoteSubscription, mc_str{rpc.data(), rpc.size()}, mc_str{nullptr, 0});
    });
    if (status != MC_OK) throw std::runtime_error("the bus will not subscribe to " + rpc + " (" + statusName(status) + "): " + reason);
    {
        // What was published before the bus ran goes first, in its order; relays wait meanwhile.
        std::lock_guard lock(mutex_);
        while (!early_.empty()) {
            append(early_.front());
            early_.pop_front();
        }
        ready_ = true;
    }
    heartbeat_ = std::thread([this] {
        mc::sdk::nameThisThread("mc-cluster-beat");
        heartbeats();
    });
    logging::get("cluster")->info("host '{}' of cluster '{}': events go through {}'s log", settings_.hostId, settings_.name,
                                  plugin->info.id);
}

void ClusterService::stop() {
    {
        std::unique_lock lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
        ready_ = false;
        // Calls into the bus under way (appends, publishes) end before the instance goes.
        wake_.wait(lock, [&] { return usingBus_ == 0; });
    }
    wake_.notify_all();
    if (heartbeat_.joinable()) heartbeat_.join();
    broadcaster_.setRelay(nullptr);
    std::map<std::uint64_t, PendingCall> calls;
    {
        std::lock_guard lock(mutex_);
        calls.swap(calls_);
    }
    for (auto& [id, call] : calls) call.reply(nullptr, Refusal::Unavailable, "this host is stopping");
    if (instance_) {
        instance_->stopQuietly();
        instance_.reset();
    }
}

void ClusterService::relay(std::string_view head, std::string_view tail, const std::vector<std::string>& channels) {
    std::string envelope = encodeEnvelope(settings_.hostId, channels, head, tail);
    {
        std::lock_guard lock(mutex_);
        if (!ready_) {
            if (stopping_) return;
            if (early_.size() >= settings_.earlyEvents) {
                ++droppedEarly_;
                return;
            }
            early_.push_back(std::move(envelope));
            return;
        }
        ++usingBus_;
    }
    append(envelope);
    doneWithBus();
}

bool ClusterService::useBus() {
    std::lock_guard lock(mutex_);
    if (!ready_) return false;
    ++usingBus_;
    return true;
}

void ClusterService::doneWithBus() {
    std::lock_guard lock(mutex_);
    if (--usingBus_ == 0) wake_.notify_all();
}

void ClusterService::append(const std::string& envelope) {
    const std::string id = idPrefix_ + std::to_string(++nextEntry_);
    std::string reason;
    const mc_status status = HostContext::call(reason, [&] {
        return vtable_.append(instance_->handle(), mc_str{id.data(), id.size()}, mc_str{envelope.data(), envelope.size()});
    });
    if (status == MC_OK) {
        ++appended_;
        return;
    }
    // The event is stored all the same; live viewers miss it. Said once per hundred, not per event.
    if (refused_++ % 100 == 0)
        logging::get("cluster")->warn("the bus refused an event ({}): {} ({} refused so far)", statusName(status), reason,
                                      refused_.load());
}

void ClusterService::onEntry(void* ctx, std::uint64_t seq, mc_str payload) {
    static_cast<ClusterService*>(ctx)->entry(seq, std::string_view(payload.ptr ? payload.ptr : "", payload.len));
}

void ClusterService::entry(std::uint64_t seq, std::string_view payload) {
    ++received_;
    EventEnvelope envelope;
    try {
        envelope = decodeEnvelope(payload);
    } catch (const std::invalid_argument& e) {
        if (malformed_++ % 100 == 0) logging::get("cluster")->warn("entry {} of the event log is dropped: {}", seq, e.what());
        return;
    }
    if (broadcaster_.publishNumbered(seq, envelope.head, envelope.tail, envelope.channels)) lastSeq_ = seq;
    else ++duplicates_;
}

void ClusterService::onMessage(void* ctx, const mc_bus_message* message) {
    if (message && message->struct_size >= sizeof(mc_bus_message)) static_cast<ClusterService*>(ctx)->message(*message);
}

void ClusterService::message(const mc_bus_message& message) {
    if (message.subscription == kRemoteSubscription) {
        remote(message);
        return;
    }
    if (message.subscription != kHeartbeatSubscription) return;
    try {
        const auto v = mc::sdk::json::parse(std::string_view(message.payload.ptr ? message.payload.ptr : "", message.payload.len));
        const auto* id = v.find("host_id");
        if (!id || !id->isString() || id->str().empty()) return;
        Member member;
        member.lastSeen = std::chrono::steady_clock::now();
        if (const auto* started = v.find("started_at"); started && started->isString()) member.startedAt = started->str();
        std::int64_t seq = 0;
        if (const auto* last = v.find("last_seq"); last && last->asInt64(seq) && seq >= 0) member.lastSeq = static_cast<std::uint64_t>(seq);
        std::map<std::string, std::string> stamps;
        if (const auto* catalogs = v.find("catalogs"); catalogs && catalogs->isObject())
            for (const auto& m : catalogs->members())
                if (m.value.isString() && !m.name.empty() && !m.value.str().empty()) stamps[m.name] = m.value.str();
        {
            std::lock_guard lock(mutex_);
            members_[id->str()] = std::move(member);
        }
        if (id->str() != settings_.hostId) compareCatalogs(id->str(), stamps);
    } catch (const std::exception&) {
        // Not a heartbeat of ours: ignored.
    }
}

void ClusterService::compareCatalogs(const std::string& host, const std::map<std::string, std::string>& stamps) {
    if (!gateway_) return;
    std::map<std::string, McpGateway::MirrorState> mirrored;
    for (auto& m : gateway_->mirrors()) mirrored[m.id] = m;
    for (const auto& [id, state] : mirrored)
        if (state.owner == host && !stamps.count(id)) gateway_->dropMirror(id, host); // not connected there any more
    for (const auto& named : stamps) {
        const std::string& id = named.first; // named, not bound: clang 14 captures no structured binding
        const std::string& stamp = named.second;
        const auto it = mirrored.find(id);
        if (it != mirrored.end() && it->second.owner == host && it->second.stamp == stamp) continue;
        if (!gateway_->find(id) || gateway_->ownsHere(id)) continue; // unknown here, or this host's own
        const std::string key = id + "\n" + host + "\n" + stamp;
        {
            std::lock_guard lock(mutex_);
            if (!pulling_.insert(key).second) continue;
        }
        ask(host, [&](std::uint64_t call) { return encodeCatalogRequest(call, id); }, settings_.heartbeat * 3,
            [this, key, id, host](RemoteMessage* answer, Refusal, const std::string& why) {
                {
                    std::lock_guard lock(mutex_);
                    pulling_.erase(key);
                }
                if (!answer || answer->type != RemoteMessage::Type::Catalog || answer->mcpId != id) {
                    // Asked again at the next heartbeat.
                    logging::get("cluster")->debug("the catalog of mcp '{}' did not come from host '{}': {}", id, host,
                                                   answer ? "another answer" : why);
                    return;
                }
                ++catalogsPulled_;
                if (answer->catalog) gateway_->mirror(id, std::move(*answer->catalog));
                else gateway_->dropMirror(id, host);
            });
    }
}

void ClusterService::dropMirrorsOfSilentHosts() {
    if (!gateway_) return;
    const auto now = std::chrono::steady_clock::now();
    for (const auto& m : gateway_->mirrors()) {
        bool up = false;
        {
            std::lock_guard lock(mutex_);
            const auto it = members_.find(m.owner);
            up = it != members_.end() && now - it->second.lastSeen <= 3 * settings_.heartbeat;
        }
        if (!up) gateway_->dropMirror(m.id, m.owner);
    }
}

void ClusterService::catalogChanged() {
    {
        std::lock_guard lock(mutex_);
        announceNow_ = true;
    }
    wake_.notify_all();
}

void ClusterService::announce() {
    std::string catalogs;
    if (gateway_)
        for (const auto& [id, stamp] : gateway_->ownedCatalogs()) catalogs += (catalogs.empty() ? "" : ",") + json::quote(id) + ":" + json::quote(stamp);
    const std::string payload = "{\"host_id\":" + json::quote(settings_.hostId) + ",\"started_at\":" + json::quote(startedAt_) +
                                ",\"last_seq\":" + std::to_string(lastSeq_.load()) + ",\"catalogs\":{" + catalogs + "}}";
    std::string error;
    publish(kHeartbeatSubject, "", payload, error); // a beat lost while the bus is away: the next one comes
}

void ClusterService::heartbeats() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        announceNow_ = false;
        lock.unlock();
        announce();
        expireCalls();
        dropMirrorsOfSilentHosts();
        lock.lock();
        wake_.wait_for(lock, settings_.heartbeat, [&] { return stopping_ || announceNow_; });
    }
}

std::size_t ClusterService::upMembers() const {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    std::size_t up = 0;
    for (const auto& [id, m] : members_) up += now - m.lastSeen <= 3 * settings_.heartbeat ? 1 : 0;
    return up;
}

bool ClusterService::publish(const std::string& subject, const std::string& replyTo, const std::string& payload, std::string& error) {
    if (!useBus()) {
        error = "the bus is not running";
        return false;
    }
    const bool sent = HostContext::call(error, [&] {
                          return vtable_.publish(instance_->handle(), mc_str{subject.data(), subject.size()},
                                                 mc_str{replyTo.data(), replyTo.size()}, mc_str{payload.data(), payload.size()});
                      }) == MC_OK;
    doneWithBus();
    return sent;
}

void ClusterService::ask(const std::string& host, const std::function<std::string(std::uint64_t call)>& encode,
                         std::chrono::milliseconds wait, Reply reply) {
    std::uint64_t id = 0;
    {
        std::lock_guard lock(mutex_);
        id = ++nextCall_;
        calls_[id] = PendingCall{std::move(reply), std::chrono::steady_clock::now() + wait, host};
    }
    std::string error;
    if (publish(remoteSubject(host), remoteSubject(settings_.hostId), encode(id), error)) return;
    Reply failed;
    {
        std::lock_guard lock(mutex_);
        auto it = calls_.find(id);
        if (it == calls_.end()) return;
        failed = std::move(it->second.reply);
        calls_.erase(it);
    }
    failed(nullptr, Refusal::Unavailable, "the bus cannot reach host '" + host + "' now: " + error);
}

void ClusterService::forwardToolCall(const std::string& owner, const std::string& mcpId, ToolCallRequest request,
                                     ToolCallCallback done) {
    ++forwarded_;
    const auto wait = request.timeout + kCallGrace;
    ask(owner, [&](std::uint64_t call) { return encodeRemoteCall(call, mcpId, request); }, wait,
        [owner, mcpId, done = std::move(done)](RemoteMessage* answer, Refusal refusal, const std::string& why) {
            if (answer && answer->type == RemoteMessage::Type::Result) return done(std::move(answer->outcome));
            if (answer) return done(refusedCall(Refusal::UpstreamFailed, "owner_answer", "host '" + owner + "' answered something else"));
            if (refusal == Refusal::TimedOut)
                return done(refusedCall(Refusal::TimedOut, "owner_timeout", "host '" + owner + "' did not answer the forwarded call in time"));
            done(refusedCall(Refusal::Unavailable, "bus_unavailable", "mcp '" + mcpId + "' is connected by host '" + owner + "': " + why));
        });
}

void ClusterService::forwardRequest(const std::string& owner, const std::string& mcpId, PassedRequest request, RpcCallback done) {
    ++forwarded_;
    const auto wait = request.timeout + kCallGrace;
    ask(owner, [&](std::uint64_t call) { return encodeRemoteRequest(call, mcpId, request); }, wait,
        [owner, mcpId, method = request.method, done = std::move(done)](RemoteMessage* answer, Refusal refusal, const std::string& why) {
            if (answer && answer->type == RemoteMessage::Type::RequestResult) return done(std::move(answer->answer));
            RpcOutcome o;
            o.kind = refusal == Refusal::TimedOut && !answer ? RpcOutcome::Kind::Timeout : RpcOutcome::Kind::Disconnected;
            o.errorMessage = answer ? "host '" + owner + "' answered something else"
                             : refusal == Refusal::TimedOut
                                 ? "host '" + owner + "', which connects mcp '" + mcpId + "', did not answer " + method + " in time"
                                 : "mcp '" + mcpId + "' is connected by host '" + owner + "': " + why;
            done(std::move(o));
        });
}

void ClusterService::remote(const mc_bus_message& message) {
    RemoteMessage m;
    try {
        m = decodeRemoteMessage(std::string_view(message.payload.ptr ? message.payload.ptr : "", message.payload.len));
    } catch (const std::invalid_argument& e) {
        if (badMessages_++ % 100 == 0) logging::get("cluster")->warn("a message to this host is dropped: {}", e.what());
        return;
    }
    const bool answer = m.type == RemoteMessage::Type::Result || m.type == RemoteMessage::Type::RequestResult ||
                        m.type == RemoteMessage::Type::Catalog;
    if (!answer) return serve(std::move(m), std::string(message.reply_to.ptr ? message.reply_to.ptr : "", message.reply_to.len));
    Reply reply;
    {
        std::lock_guard lock(mutex_);
        auto it = calls_.find(m.call);
        if (it == calls_.end()) return; // timed out meanwhile
        reply = std::move(it->second.reply);
        calls_.erase(it);
    }
    reply(&m, Refusal::UpstreamFailed, {});
}

void ClusterService::serve(RemoteMessage m, const std::string& replyTo) {
    auto send = [this, replyTo](const std::string& payload) {
        std::string error;
        if (!replyTo.empty() && !publish(replyTo, "", payload, error))
            logging::get("cluster")->warn("an answer to another host could not be sent: {}", error);
    };
    const std::uint64_t call = m.call;
    ++served_;
    switch (m.type) {
    case RemoteMessage::Type::Call:
        if (!gateway_) return send(encodeRemoteResult(call, refusedCall(Refusal::Unavailable, "owned_elsewhere", "this host runs no forwarded calls")));
        gateway_->runOwnedToolCall(m.mcpId, std::move(m.request), [send, call](ToolCallOutcome o) { send(encodeRemoteResult(call, o)); });
        return;
    case RemoteMessage::Type::Request:
        if (!gateway_) {
            RpcOutcome o;
            o.errorMessage = "this host runs no forwarded requests";
            return send(encodeRemoteAnswer(call, o));
        }
        gateway_->runOwnedRequest(m.mcpId, std::move(m.passed), [send, call](RpcOutcome o) { send(encodeRemoteAnswer(call, o)); });
        return;
    case RemoteMessage::Type::CatalogRequest: {
        std::string stamp;
        const std::string lists = gateway_ ? gateway_->ownedCatalogJson(m.mcpId, stamp) : std::string();
        send(encodeCatalog(call, m.mcpId, settings_.hostId, stamp, lists));
        return;
    }
    default:
        return;
    }
}

void ClusterService::expireCalls() {
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::pair<std::string, Reply>> expired;
    {
        std::lock_guard lock(mutex_);
        for (auto it = calls_.begin(); it != calls_.end();) {
            if (it->second.deadline > now) {
                ++it;
                continue;
            }
            expired.emplace_back(it->second.host, std::move(it->second.reply));
            it = calls_.erase(it);
        }
    }
    for (auto& [host, reply] : expired) {
        ++callsTimedOut_;
        reply(nullptr, Refusal::TimedOut, "host '" + host + "' did not answer in time");
    }
}

std::string ClusterService::healthJson(const std::string& extra) const {
    std::string out = "{\"enabled\":true,\"name\":" + json::quote(settings_.name) + ",\"host_id\":" + json::quote(settings_.hostId);
    out += ",\"bus\":{\"plugin\":";
    if (instance_) {
        out += json::quote(instance_->plugin().info.id);
        out += ",\"status\":" + json::quote(componentStatusName(instance_->context().status()));
        std::string details;
        if (vtable_.describe) {
            std::string reason;
            mc_sink sink{&details, [](void* ctx, mc_str chunk) {
                             static_cast<std::string*>(ctx)->append(chunk.ptr ? chunk.ptr : "", chunk.len);
                             return MC_OK;
                         }};
            if (HostContext::call(reason, [&] { return vtable_.describe(instance_->handle(), &sink); }) != MC_OK) details.clear();
        }
        out += ",\"details\":" + (details.empty() ? std::string("{}") : details);
    } else {
        out += "null,\"status\":\"stopped\",\"details\":{}";
    }
    out += "},\"log\":{\"last_seq\":" + std::to_string(lastSeq_.load()) + ",\"appended\":" + std::to_string(appended_.load()) +
           ",\"refused\":" + std::to_string(refused_.load()) + ",\"received\":" + std::to_string(received_.load()) +
           ",\"duplicates\":" + std::to_string(duplicates_.load()) + ",\"malformed\":" + std::to_string(malformed_.load()) +
           ",\"dropped_before_start\":" + std::to_string(droppedEarly_.load()) + "},\"calls\":{\"forwarded\":" +
           std::to_string(forwarded_.load()) + ",\"served\":" + std::to_string(served_.load()) + ",\"timed_out\":" +
           std::to_string(callsTimedOut_.load()) + ",\"dropped_messages\":" + std::to_string(badMessages_.load()) +
           ",\"catalogs_mirrored\":" + std::to_string(catalogsPulled_.load()) + "}" + extra +
           ",\"members\":[";
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    bool first = true;
    for (const auto& [id, m] : members_) {
        if (!first) out += ',';
        first = false;
        const auto ago = std::chrono::duration_cast<std::chrono::milliseconds>(now - m.lastSeen).count();
        out += "{\"host_id\":" + json::quote(id) + ",\"self\":" + (id == settings_.hostId ? "true" : "false") +
               ",\"up\":" + (ago <= 3 * settings_.heartbeat.count() ? "true" : "false") + ",\"last_seen_ms_ago\":" +
               std::to_string(ago) + ",\"started_at\":" + json::quote(m.startedAt) + ",\"last_seq\":" + std::to_string(m.lastSeq) + "}";
    }
    out += "]}";
    return out;
}

} // namespace mc::host
