#pragma once
// What discovery plugins find, acted on: each plugin (one source) reports through the typed
// mc_discovery_output the service hands to its create (outputFor): found / lost / scan_complete
// (docs/discovery.md); its health is the instance's status (report_status). This service keeps
// what every source found, deduplicates by endpoint (normalized URL, or command + args), probes
// http/sse endpoints with an MCP initialize before calling them connectable, connects the ones an
// auto-connect source allows through McpGateway::add (origin "discovery:<source>") and removes them
// when every source lost them.
//
// What a source allows (DiscoverySettings.h): an http/sse endpoint is resolved and its addresses
// judged (AddressPolicy.h) before it is probed; the probe and the connection go to the address that
// was judged. Auto-connecting a remote needs a match in allow_remotes; starting a stdio command needs
// the source's stdio rule (a pinned, allowlisted package for registries).
//
// Threading: the output callbacks only queue (plugin threads never wait); one worker applies reports in order,
// probes run on their own workers and post their result back. Nothing is acted on before start(),
// which HostRuntime calls once the gateway runs.
#include "discovery/DiscoverySettings.h"
#include "gateway/GatewayScheduler.h"
#include "gateway/McpServerConfig.h"
#include "mc/plugin_abi.h"
#include "util/Refusal.h"

#include <Poco/JSON/Object.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace mc::host {

class EventRouter;
class McpGateway;
class PluginInstance;
class PluginRegistry;
struct DiscoveryOutputTrampolines;

// "http://LOCALHOST:80/mcp/" -> "http://localhost:80/mcp"; the dedup key of http/sse endpoints.
std::string normalizeEndpointUrl(const std::string& url);
// A gateway id from a display name: lower-cased, other characters -> '-', [a-z0-9][a-z0-9_-]{0,63}.
std::string mcpIdFromName(const std::string& name);

class DiscoveryService {
public:
    // A failed probe is retried after `probeRetry`, doubling per failure up to kMaxProbeRetry.
    DiscoveryService(PluginRegistry& plugins, McpGateway& gateway, EventRouter& events,
                     std::chrono::milliseconds probeTimeout, std::chrono::milliseconds probeRetry);
    static constexpr std::chrono::milliseconds kMaxProbeRetry{300000};
    ~DiscoveryService(); // stop()
    DiscoveryService(const DiscoveryService&) = delete;
    DiscoveryService& operator=(const DiscoveryService&) = delete;

    // Registers a source; `instance` serves refresh() and its status row is the source's "status".
    // A source whose plugin did not start is added with instance null and `message` (status
    // "permanent_error", or `status` when given, e.g. "unconfigured").
    void addSource(DiscoverySourceSettings settings, PluginInstance* instance, const std::string& message = {},
                   const std::string& status = {});
    // Sets the instance of a source added before its plugin was created (the output must exist first).
    // Also when a replaced plugin's new instance takes over: what the source found stays until the
    // new instance's first scan_complete says otherwise.
    void setInstance(const std::string& pluginId, PluginInstance* instance);
    // The source of a plugin that was removed: everything it found is lost (servers only it had
    // connected are removed from the gateway) and it is no longer listed. Its later reports are ignored.
    void removeSource(const std::string& pluginId);

    // One typed report, as the output callbacks queue it (any thread; never blocks).
    struct Report {
        enum class Kind { Found, Lost, ScanComplete } kind = Kind::Found;
        std::string key;
        std::string name;
        std::string serverJson;  // {"transport", ...fields}
        std::string detailsJson; // "" = {}
        bool connectable = true;
        std::string reason;
        long long startedUnixUs = 0; // ScanComplete
        long long receivedUnixUs = 0; // when the host received it (set by submit when 0)
    };
    // Reports of unknown sources are ignored.
    void submit(const std::string& pluginId, Report report);
    // The mc_discovery_output to hand to the source's create (ctx names the source); valid for the
    // service's lifetime.
    const mc_discovery_output* outputFor(const std::string& pluginId);

    void start(); // acts on everything queued so far and after
    void stop();  // drops queued work, waits for running work; nothing is acted on afterwards

    // GET /api/discovery: {"sources":[...],"endpoints":[...]} (docs/discovery.md).
    std::string reportJson() const;
    // Asks the source (its name or plugin id) to re-scan. Returns nothing when asked, NotFound (unknown
    // source), NotSupported (the plugin has no refresh hook) or UpstreamFailed (the plugin refused);
    // `error` says why.
    std::optional<Refusal> refresh(const std::string& source, std::string& error);
    // Cluster mode: only the leader connects what discovery finds (every host lists it). Off: servers
    // handed to the gateway are removed and each endpoint says `why` instead; on: endpoints are
    // reconsidered and connected where allowed. On unless set (one host). THREAD: any.
    void setConnecting(bool connecting, const std::string& why);
    // Blocks until queued reports and running probes are done or `timeout` passes (tests, shutdown).
    bool idle(std::chrono::milliseconds timeout) const;

private:
    friend struct DiscoveryOutputTrampolines;
    struct Probe {
        // Refused: the endpoint's address is not allowed (allow_private_addresses); not probed.
        enum class State { Pending, Running, Ok, Failed, Skipped, Refused } state = State::Pending;
        std::string error;
        std::vector<std::string> addresses;   // what the host resolved to
        std::set<AddressClass> addressClasses;
        std::string connectAddress;           // the address probed (and connected to)
        std::string protocolVersion;
        std::string serverInfoJson = "null";
        long long atUs = 0;
        long long durationMs = 0;
    };
    struct Entry {
        std::string key;
        std::string name;
        std::string transport;
        std::string endpointKey; // empty: the report could not be turned into a server definition
        std::string detailsJson = "{}";
        long long foundUs = 0;   // when the source last reported it found (scan_complete drops older ones)
        std::optional<sdk::package::PackageSpec> package; // details.package (registry packages)
        std::string packageError; // details.package is there but not {registryType, identifier, version}
        bool connectable = true; // false: the source said so, or the definition is invalid
        std::string reason;      // why not connectable
        McpServerConfig config;
    };
    struct Source {
        DiscoverySourceSettings settings;
        PluginInstance* instance = nullptr;
        std::string status;  // set when there is no instance ("permanent_error", "unconfigured")
        std::string message;
        long long lastScanUs = 0; // the last scan_complete
        std::map<std::string, Entry> entries;
    };
    struct Member {
        std::string source;
        std::string key;
        bool operator<(const Member& o) const { return source != o.source ? source < o.source : key < o.key; }
    };
    struct Endpoint {
        std::string key;
        McpServerConfig config;
        std::string name;
        std::set<Member> members;
        Probe probe;
        int probeFailures = 0;  // in a row; sets the retry delay
        std::string mcpId;      // the gateway id this service registered, or empty
        std::string notStarted; // why it is not connected (policy, allowlist, probe, gateway refusal)
    };

    void apply(const std::string& pluginId, const Report& report); // on the report worker
    void applyFound(Source& source, const Report& report);
    void applyScanComplete(Source& source, long long startedUnixUs);
    void applyLost(Source& source, const std::string& key, const std::string& reason);
    void detach(const std::string& endpointKey, const Member& member, const std::string& reason);
    void reconcile(const std::string& endpointKey);
    void startProbe(Endpoint& endpoint);
    void finishProbe(const std::string& endpointKey, const McpServerConfig& probed, Probe result);
    void retryProbe(const std::string& endpointKey);
    // Why `member` may not start `endpoint` ("" when it may).
    std::string refusalFor(const Member& member, const Endpoint& endpoint) const;
    static std::string stdioRefusal(const Source& source, const Entry& entry);
    static std::string addressRefusal(const Source& source, const Endpoint& endpoint);
    std::string uniqueMcpId(const std::string& name) const;
    void publish(const std::string& change, const Endpoint& endpoint) const;

    std::string endpointJson(const Endpoint& endpoint) const;
    // Why the entry is not connected ("" when its endpoint is), for /api/discovery.
    std::string entryReason(const std::string& source, const std::string& key, const Entry& entry,
                            const Endpoint* endpoint) const;
    static std::string probeJson(const Probe& probe);
    Source* sourceByPlugin(const std::string& pluginId);

    PluginRegistry& plugins_;
    McpGateway& gateway_;
    EventRouter& events_;
    const std::chrono::milliseconds probeTimeout_;
    const std::chrono::milliseconds probeRetry_;
    GatewayScheduler reports_{1}; // one worker: reports apply in the order they were emitted
    GatewayScheduler probes_{2};

    mutable std::mutex mutex_; // everything below; the report worker is the only writer
    std::map<std::string, Source> sources_; // by name
    std::map<std::string, Endpoint> endpoints_;
    std::vector<std::pair<std::string, Report>> queued_; // reports before start()
    struct Output {
        DiscoveryService* service;
        std::string pluginId;
        mc_discovery_output output;
    };
    std::map<std::string, std::unique_ptr<Output>> outputs_; // by plugin id
    std::vector<std::string> removals_; // gateway ids to remove once the lock is released
    bool started_ = false;
    bool stopped_ = false;
    bool connecting_ = true;      // setConnecting
    std::string notConnecting_;   // why not, when off
    std::size_t inFlight_ = 0; // reports and probes posted but not finished
};

} // namespace mc::host
