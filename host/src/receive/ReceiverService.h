#pragma once
// The host's side of receiver plugins (plugin_abi.h, MC_KIND_RECEIVER): telemetry pushed from outside
// (OTLP) that a receiver decodes and maps into records of the catalog. One instance per receiver
// plugin; what it submits enters through the IngestService like /api/ingest's events (validated,
// normalized, broadcast, written in order, answered after the commit), never waiting for the store on
// the receiver's thread.
//
// The HTTP edge (listening, limits, authentication, Host/Origin) is the web layer's: it calls
// handle() with each complete request of a route the receiver declared (api/ReceiverApi).
#include "ingest/IngestService.h"
#include "receive/AgentUsage.h"
#include "plugin/HostContext.h"
#include "plugin/LoadedPlugin.h"
#include "plugin/PluginInstance.h"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mc::host {

struct ReceiverRoute {
    std::string method;
    std::string path;
    std::vector<std::string> mediaTypes;
};

// One receiver plugin's routes, served by the version of the plugin loaded now. A new version (its
// file replaced in plugins.dir) takes every later request once it started, provided it declares the
// same routes and addresses (they are bound at start); the old version stops when the requests it
// took have been answered and what they submitted was committed, and its library goes with it.
class Receiver {
public:
    const std::string& pluginId() const { return pluginId_; }
    const std::vector<ReceiverRoute>& routes() const { return routes_; }
    const std::vector<std::string>& listen() const { return listen_; } // "host:port" addresses it asked for
    // Calls the plugin's handle hook. On a status other than MC_OK `error` holds the reason. `reached`
    // says whether the plugin got the request (and so the responder): not when it was removed from
    // plugins.dir (MC_ERR_UNAVAILABLE).
    mc_status handle(const mc_http_request& request, const mc_http_responder& responder, std::string& error, bool& reached);

private:
    friend class ReceiverService;
    struct Version; // an instance of one loaded version of the plugin
    struct Output {
        mc_receiver_output api{};
        class ReceiverService* service = nullptr;
        std::string source; // the plugin id: the `source` of what it submits
        std::weak_ptr<Version> version; // pinned by each submit until its commit is answered
    };
    std::shared_ptr<Version> current() const;

    std::string pluginId_;
    mutable std::mutex mutex_;        // guards current_
    std::shared_ptr<Version> current_; // null once the plugin was removed
    std::vector<ReceiverRoute> routes_;
    std::vector<std::string> listen_;
};

class ReceiverService {
public:
    explicit ReceiverService(IngestService& ingest) : ingest_(ingest) {}

    // Creates and starts an instance of a receiver plugin and reads its routes. Throws
    // std::runtime_error naming the plugin and the reason (the host logs it and runs on).
    Receiver& add(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context);
    // A new version of a running receiver's plugin: it starts and takes every later request. Throws
    // std::runtime_error (the old version keeps serving) when it does not start or declares other
    // routes or addresses than the running one (those change at the next start); false when no
    // receiver of that plugin runs. A receiver whose plugin was removed comes back this way too.
    bool reload(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context);
    // The plugin `pluginId` removed from plugins.dir: its routes answer 503 from now on, and its
    // instance stops once what it took has been answered. False when no receiver of it runs.
    bool remove(const std::string& pluginId);
    const std::vector<std::unique_ptr<Receiver>>& receivers() const { return receivers_; }

    // Stops every instance (no submit after); they stay loaded until destroyed, because commit
    // callbacks still queued may call into them.
    void stop();

    // Which MCP server a telemetry source (its service.name) is, when the gateway knows one by that name
    // (mcp.servers.<id>.service_name): nullopt otherwise. Set once before receivers submit.
    using ServiceJoin = std::function<std::optional<std::string>(const std::string& serviceName)>;
    void setServiceJoin(ServiceJoin join) { join_ = std::move(join); }
    // A batch's logs and threads whose mcp_id is a service name the join knows get that server's id.
    static void joinServers(std::vector<RawEvent>& events, const ServiceJoin& join);

    // Tokens and cost per agent from the usage points receivers submitted and the store took.
    const AgentUsage& agentUsage() const { return usage_; }

    // An mc_record batch as ingest events, each record validated and normalized by the catalog's rules
    // here, once (mc::records::normalizeRecord): a record that does not pass becomes an event with its
    // reason.
    static std::vector<RawEvent> eventsOf(const mc_record* records, std::size_t count, std::size_t recordSize);

private:
    struct UsagePoint {
        std::size_t index; // in the batch
        std::string agent;
        AgentUsage::Kind kind;
        double amount;
    };
    // The token and cost points among a batch's records (read from the records eventsOf validated).
    static std::vector<UsagePoint> usageOf(const std::vector<RawEvent>& events);
    std::shared_ptr<Receiver::Version> makeVersion(const std::shared_ptr<const LoadedPlugin>& plugin,
                                                   std::unique_ptr<HostContext> context, std::vector<ReceiverRoute>& routes,
                                                   std::vector<std::string>& listen);
    static mc_status submit(void* ctx, const mc_record* records, std::size_t count, std::size_t recordSize,
                            mc_submit_done_fn done, void* doneCtx);

    IngestService& ingest_;
    ServiceJoin join_;
    std::vector<std::unique_ptr<Receiver>> receivers_;
    AgentUsage usage_;
};

} // namespace mc::host
