#include "cluster/ClusterService.h"

#include "core/EventEnvelope.h"
#include "log/Logging.h"
#include "plugin/PluginStatus.h"
#include "mc/json_value.hpp"
#include "util/Json.h"

#include <stdexcept>

namespace mc::host {
namespace {

constexpr std::uint64_t kHeartbeatSubscription = 1;
constexpr const char* kHeartbeatSubject = "hosts.heartbeat";

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
    {
        // What was published before the bus ran goes first, in its order; relays wait meanwhile.
        std::lock_guard lock(mutex_);
        while (!early_.empty()) {
            append(early_.front());
            early_.pop_front();
        }
        ready_ = true;
    }
    heartbeat_ = std::thread([this] { heartbeats(); });
    logging::get("cluster")->info("host '{}' of cluster '{}': events go through {}'s log", settings_.hostId, settings_.name,
                                  plugin->info.id);
}

void ClusterService::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
        ready_ = false;
    }
    wake_.notify_all();
    if (heartbeat_.joinable()) heartbeat_.join();
    broadcaster_.setRelay(nullptr);
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
    }
    append(envelope);
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
        std::lock_guard lock(mutex_);
        members_[id->str()] = std::move(member);
    } catch (const std::exception&) {
        // Not a heartbeat of ours: ignored.
    }
}

void ClusterService::announce() {
    const std::string payload = "{\"host_id\":" + json::quote(settings_.hostId) + ",\"started_at\":" + json::quote(startedAt_) +
                                ",\"last_seq\":" + std::to_string(lastSeq_.load()) + "}";
    const std::string subject = kHeartbeatSubject;
    std::string reason;
    HostContext::call(reason, [&] {
        return vtable_.publish(instance_->handle(), mc_str{subject.data(), subject.size()}, mc_str{nullptr, 0},
                               mc_str{payload.data(), payload.size()});
    });
}

void ClusterService::heartbeats() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        announce();
        lock.lock();
        wake_.wait_for(lock, settings_.heartbeat, [&] { return stopping_; });
    }
}

std::string ClusterService::healthJson() const {
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
           ",\"dropped_before_start\":" + std::to_string(droppedEarly_.load()) + "},\"members\":[";
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
