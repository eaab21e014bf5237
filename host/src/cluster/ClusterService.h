#pragma once
// This host as one of a cluster (cluster.enabled): several hosts share one store and a bus plugin
// (plugins/bus-nats). Every event a host publishes goes to the bus's event log instead of straight to
// its own subscribers; every host follows the log and delivers each event to its WebSocket subscribers
// with the seq the log gave it, so seq is one sequence for the whole cluster, each event reaches every
// host once and in the log's order, and a client may resume on any host (docs/cluster.md).
// Hosts also announce themselves on the bus every cluster.heartbeat_ms: /api/health lists the members.
// A heartbeat names the servers its host connects with their catalog's stamp; a host that has not
// mirrored that stamp asks for the lists, so that /mcp on every host offers every server's tools,
// resources and prompts (its calls and reads going to the owner).
#include "cluster/ClusterSettings.h"
#include "cluster/RemoteMessage.h"
#include "core/Broadcaster.h"
#include "gateway/McpConnection.h"
#include "gateway/McpGateway.h"
#include "plugin/HostContext.h"
#include "plugin/LoadedPlugin.h"
#include "plugin/PluginInstance.h"

#include "mc/plugin_abi.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace mc::host {

class ClusterService {
public:
    ClusterService(ClusterSettings settings, Broadcaster& broadcaster);
    ~ClusterService();
    ClusterService(const ClusterService&) = delete;
    ClusterService& operator=(const ClusterService&) = delete;

    const ClusterSettings& settings() const { return settings_; }
    // The resume epoch every host of the cluster shares: a client's seq means the same on each.
    std::string epoch() const { return "cluster:" + settings_.name; }

    // Starts the bus instance, follows the log from now on and hands it what was published meanwhile.
    // Throws std::runtime_error when the plugin will not create or start (NATS being away is not that:
    // the plugin connects in the background and says so in its status).
    void start(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context);
    // Stops announcing, then the bus; events published afterwards reach this host's subscribers only.
    void stop();

    // {"enabled":true,"name","host_id","bus":{"plugin","status","message","details"},"log":{...},"members":[...]}
    // `extra`: more members of the object (the ownership's), as ",\"key\":value" text.
    std::string healthJson(const std::string& extra = {}) const;
    // The members heard within three heartbeats, this host included once it hears itself.
    std::size_t upMembers() const;

    // Set before start: the gateway that runs what other hosts forward here and mirrors their
    // catalogs (without one, this host serves no calls and mirrors nothing).
    void setGateway(McpGateway* gateway) { gateway_ = gateway; }
    // Calls between hosts (cluster/RemoteMessage.h). Sends a call to `owner` over the bus; `done`
    // runs once: with the owner's outcome, or timed out (the request's timeout and 5 s more) or
    // unavailable (the bus refused it).
    void forwardToolCall(const std::string& owner, const std::string& mcpId, ToolCallRequest request, ToolCallCallback done);
    // The same for an agent's resources/read, prompts/get or completion/complete.
    void forwardRequest(const std::string& owner, const std::string& mcpId, PassedRequest request, RpcCallback done);
    // A server's catalog changed here (or its status): the next heartbeat goes now, so that the
    // others ask for the new lists at once.
    void catalogChanged();

private:
    struct Member {
        std::chrono::steady_clock::time_point lastSeen;
        std::string startedAt;
        std::uint64_t lastSeq = 0;
    };

    void relay(std::string_view head, std::string_view tail, const std::vector<std::string>& channels);
    void append(const std::string& envelope); // mutex_ not held; inside useBus/doneWithBus (or start)
    bool useBus();       // false once stopping; else the instance stays until doneWithBus
    void doneWithBus();
    void entry(std::uint64_t seq, std::string_view payload);
    void message(const mc_bus_message& message);
    void announce();
    void heartbeats();
    void remote(const mc_bus_message& message);
    void expireCalls();
    // A message to `host` whose answer (or failure: no message, why) goes to `reply`, once.
    using Reply = std::function<void(RemoteMessage* answer, Refusal refusal, const std::string& why)>;
    void ask(const std::string& host, const std::function<std::string(std::uint64_t call)>& encode, std::chrono::milliseconds wait,
             Reply reply);
    void serve(RemoteMessage m, const std::string& replyTo);
    // What a heartbeat of `host` says it connects: stamps not mirrored here are asked for; mirrors of
    // servers it no longer names are dropped.
    void compareCatalogs(const std::string& host, const std::map<std::string, std::string>& stamps);
    void dropMirrorsOfSilentHosts();
    bool publish(const std::string& subject, const std::string& replyTo, const std::string& payload, std::string& error);

    static void onEntry(void* ctx, std::uint64_t seq, mc_str payload);
    static void onMessage(void* ctx, const mc_bus_message* message);

    ClusterSettings settings_;
    Broadcaster& broadcaster_;
    const std::string startedAt_;
    const std::string idPrefix_; // "<host_id>-<start µs>-": entry ids unique across restarts
    std::atomic<std::uint64_t> nextEntry_{0};

    mc_bus_output output_{};
    std::unique_ptr<PluginInstance> instance_;
    mc_bus_vtable vtable_{};

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool ready_ = false; // the bus takes appends
    bool stopping_ = false;
    std::size_t usingBus_ = 0; // calls into the bus under way (stop waits for none)
    std::deque<std::string> early_;
    std::map<std::string, Member> members_;
    std::thread heartbeat_;

    struct PendingCall {
        Reply reply;
        std::chrono::steady_clock::time_point deadline;
        std::string host;
    };
    McpGateway* gateway_ = nullptr;
    std::map<std::uint64_t, PendingCall> calls_; // under mutex_
    std::set<std::string> pulling_;               // under mutex_: "<id>\n<host>\n<stamp>" of catalogs asked for
    bool announceNow_ = false;                    // under mutex_
    std::uint64_t nextCall_ = 0;                 // under mutex_
    std::atomic<std::uint64_t> forwarded_{0}, served_{0}, callsTimedOut_{0}, badMessages_{0}, catalogsPulled_{0};

    std::atomic<std::uint64_t> appended_{0}, refused_{0}, received_{0}, duplicates_{0}, malformed_{0}, lastSeq_{0};
    std::atomic<std::uint64_t> droppedEarly_{0};
};

} // namespace mc::host
