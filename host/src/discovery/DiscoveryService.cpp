#include "discovery/DiscoveryService.h"

#include "config/HostConfig.h"
#include "core/EventRouter.h"
#include "gateway/McpGateway.h"
#include "gateway/McpProbe.h"
#include "log/Logging.h"
#include "plugin/HostContext.h"
#include "plugin/PluginInstance.h"
#include "plugin/PluginRegistry.h"
#include "util/Clock.h"
#include "util/Json.h"

#include <Poco/JSON/Array.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <sstream>
#include <thread>

namespace mc::host {
namespace {

using json::stringify;
using json::timestampOrNull;

std::string stringOrNull(const std::string& s) { return s.empty() ? std::string("null") : json::quote(s); }

std::string text(const Poco::JSON::Object& o, const std::string& key) {
    if (!o.has(key)) return {};
    const auto v = o.get(key);
    return v.isString() ? v.extract<std::string>() : std::string();
}

// The stdio dedup key: the command line as a JSON array, so "a b" + "c" differs from "a" + "b c".
std::string commandKey(const McpServerConfig& c) {
    std::string out = "stdio:[" + json::quote(c.text("command"));
    for (const auto& a : c.strings("args")) out += "," + json::quote(a);
    return out + "]";
}

// A found server's definition ({"transport", ...fields}) as the gateway's, through the same
// validation as POST /api/mcps. The id is provisional (error texts name it); the gateway id is chosen
// when connecting. Throws McpConfigError.
McpServerConfig definitionOf(const std::string& serverJson, const std::string& name) {
    Poco::JSON::Object::Ptr body;
    try {
        auto parsed = json::parse(serverJson);
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) body = parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        throw McpConfigError("server_json", "server_json is not valid JSON: " + e.displayText());
    }
    if (!body) throw McpConfigError("server_json", "server_json is not a JSON object");
    body->set("id", mcpIdFromName(name));
    return parseMcpServerConfig(*body);
}

const char* probeStateName(int state) {
    static const char* names[] = {"pending", "running", "ok", "failed", "skipped", "refused"};
    return names[state];
}

std::string jsonArray(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + json::quote(items[i]);
    return out + "]";
}

// "127.0.0.1", "mcp.example.com resolves to 10.0.0.5": what was judged, for messages.
std::string addressText(const std::string& host, const std::string& address) {
    if (address.empty() || address == host) return host;
    return host + " resolves to " + address;
}

std::string hostOf(const std::string& url, unsigned* port = nullptr) {
    try {
        Poco::URI uri(url);
        if (port) *port = uri.getPort();
        return Poco::toLower(uri.getHost());
    } catch (const Poco::Exception&) {
        return {};
    }
}

std::string commandLineText(const std::string& command, const std::vector<std::string>& args) {
    std::string out = command;
    for (const auto& a : args) out += " " + a;
    return out;
}

// What a source allows, as /api/discovery lists it.
std::string rulesJson(const DiscoverySourceSettings& s) {
    std::vector<std::string> packages, remotes, classes;
    for (const auto& p : s.allowedPackages) packages.push_back(sdk::package::toText(p));
    for (const auto& r : s.allowedRemotes) remotes.push_back(r.text);
    for (AddressClass c : s.allowedAddressClasses) classes.push_back(addressClassName(c));
    return "{\"stdio\":" + json::quote(stdioRuleName(s.stdio)) + ",\"allow_packages\":" + jsonArray(packages) +
           ",\"allow_remotes\":" + jsonArray(remotes) + ",\"allow_private_addresses\":" + jsonArray(classes) + "}";
}

} // namespace

std::string normalizeEndpointUrl(const std::string& url) {
    try {
        Poco::URI uri(url);
        std::string path = uri.getPath();
        while (path.size() > 1 && path.back() == '/') path.pop_back();
        if (path.empty()) path = "/";
        std::string out = Poco::toLower(uri.getScheme()) + "://" + Poco::toLower(uri.getHost()) + ":" +
                          std::to_string(uri.getPort()) + path;
        if (!uri.getRawQuery().empty()) out += "?" + uri.getRawQuery();
        return out;
    } catch (const Poco::Exception&) {
        return url;
    }
}

std::string mcpIdFromName(const std::string& name) {
    std::string id;
    for (char c : name) {
        const auto u = static_cast<unsigned char>(c);
        char mapped = std::isalnum(u) ? static_cast<char>(std::tolower(u)) : (c == '_' ? '_' : '-');
        if (mapped == '-' && (id.empty() || id.back() == '-')) continue; // no leading or doubled '-'
        id += mapped;
    }
    while (!id.empty() && !std::isalnum(static_cast<unsigned char>(id.front()))) id.erase(id.begin());
    if (id.size() > 64) id.resize(64);
    while (!id.empty() && id.back() == '-') id.pop_back();
    return id.empty() ? "mcp" : id;
}

DiscoveryService::DiscoveryService(PluginRegistry& plugins, McpGateway& gateway, EventRouter& events,
                                   std::chrono::milliseconds probeTimeout, std::chrono::milliseconds probeRetry)
    : plugins_(plugins), gateway_(gateway), events_(events), probeTimeout_(probeTimeout), probeRetry_(probeRetry) {}

DiscoveryService::~DiscoveryService() {
    try {
        stop();
    } catch (...) {
    }
}

void DiscoveryService::addSource(DiscoverySourceSettings settings, PluginInstance* instance,
                                 const std::string& message, const std::string& status) {
    std::lock_guard lock(mutex_);
    Source source;
    source.instance = instance;
    if (!message.empty()) {
        source.status = status.empty() ? "permanent_error" : status;
        source.message = message;
    }
    source.settings = std::move(settings);
    const std::string name = source.settings.name;
    // Added again (its plugin reloaded, or its start failed after all): what it found so far stays
    // until its next scan says otherwise.
    if (auto existing = sources_.find(name); existing != sources_.end()) {
        source.entries = std::move(existing->second.entries);
        source.lastScanUs = existing->second.lastScanUs;
    }
    sources_[name] = std::move(source);
}

void DiscoveryService::setInstance(const std::string& pluginId, PluginInstance* instance) {
    std::lock_guard lock(mutex_);
    if (Source* source = sourceByPlugin(pluginId)) {
        source->instance = instance;
        if (instance) {
            source->status.clear();
            source->message.clear();
        }
    }
}

void DiscoveryService::removeSource(const std::string& pluginId) {
    std::vector<std::string> removals;
    {
        std::lock_guard lock(mutex_);
        Source* source = sourceByPlugin(pluginId);
        if (!source) return;
        std::vector<std::string> keys;
        for (const auto& [key, entry] : source->entries) keys.push_back(key);
        for (const auto& key : keys) applyLost(*source, key, "its plugin " + pluginId + " was removed");
        sources_.erase(source->settings.name);
        removals.swap(removals_);
    }
    for (const auto& id : removals) gateway_.remove(id);
}

void DiscoveryService::submit(const std::string& pluginId, Report report) {
    if (report.receivedUnixUs == 0) report.receivedUnixUs = nowUnixUs();
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    if (!started_) {
        queued_.emplace_back(pluginId, std::move(report));
        return;
    }
    ++inFlight_;
    reports_.post([this, pluginId, report = std::move(report)] {
        apply(pluginId, report);
        std::lock_guard done(mutex_);
        --inFlight_;
    });
}

namespace {
std::string textOf(mc_str s) { return s.ptr && s.len ? std::string(s.ptr, s.len) : std::string(); }
} // namespace

// The callbacks of mc_discovery_output: exception barriers that copy what the plugin lends and queue it.
struct DiscoveryOutputTrampolines {
    static void found(void* ctx, const mc_found_server* server) noexcept {
        try {
            auto* out = static_cast<DiscoveryService::Output*>(ctx);
            if (!server) return;
            // Read no further than the plugin's struct_size (fields appended later read as empty).
            mc_found_server s{};
            std::memcpy(&s, server, std::min(server->struct_size, sizeof s));
            DiscoveryService::Report report;
            report.kind = DiscoveryService::Report::Kind::Found;
            report.key = textOf(s.key);
            report.name = textOf(s.name);
            report.serverJson = textOf(s.server_json);
            report.detailsJson = textOf(s.details_json);
            report.connectable = s.connectable != 0;
            report.reason = textOf(s.reason);
            out->service->submit(out->pluginId, std::move(report));
        } catch (...) {
        }
    }
    static void lost(void* ctx, mc_str key) noexcept {
        try {
            auto* out = static_cast<DiscoveryService::Output*>(ctx);
            DiscoveryService::Report report;
            report.kind = DiscoveryService::Report::Kind::Lost;
            report.key = textOf(key);
            out->service->submit(out->pluginId, std::move(report));
        } catch (...) {
        }
    }
    static void scanComplete(void* ctx, int64_t startedUnixUs) noexcept {
        try {
            auto* out = static_cast<DiscoveryService::Output*>(ctx);
            DiscoveryService::Report report;
            report.kind = DiscoveryService::Report::Kind::ScanComplete;
            report.startedUnixUs = startedUnixUs;
            out->service->submit(out->pluginId, std::move(report));
        } catch (...) {
        }
    }
};

const mc_discovery_output* DiscoveryService::outputFor(const std::string& pluginId) {
    std::lock_guard lock(mutex_);
    auto& slot = outputs_[pluginId];
    if (!slot) {
        slot = std::make_unique<Output>();
        slot->service = this;
        slot->pluginId = pluginId;
        slot->output = mc_discovery_output{sizeof(mc_discovery_output), slot.get(), &DiscoveryOutputTrampolines::found,
                                           &DiscoveryOutputTrampolines::lost, &DiscoveryOutputTrampolines::scanComplete};
    }
    return &slot->output;
}

void DiscoveryService::start() {
    std::vector<std::pair<std::string, Report>> queued;
    {
        std::lock_guard lock(mutex_);
        if (started_ || stopped_) return;
        reports_.start();
        probes_.start();
        started_ = true;
        queued.swap(queued_);
    }
    logging::get("discovery")->info("discovery started: {} source(s), {} report(s) queued", sources_.size(), queued.size());
    for (auto& [plugin, report] : queued) submit(plugin, std::move(report));
}

void DiscoveryService::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopped_) return;
        stopped_ = true;
    }
    reports_.stop();
    probes_.stop();
    std::lock_guard lock(mutex_);
    for (auto& [name, source] : sources_) source.instance = nullptr;
}

bool DiscoveryService::idle(std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            if (inFlight_ == 0) return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

DiscoveryService::Source* DiscoveryService::sourceByPlugin(const std::string& pluginId) {
    for (auto& [name, source] : sources_)
        if (source.settings.pluginId == pluginId) return &source;
    return nullptr;
}

void DiscoveryService::apply(const std::string& pluginId, const Report& report) {
    auto log = logging::get("discovery");
    std::vector<std::string> removals;
    {
        std::lock_guard lock(mutex_);
        Source* source = sourceByPlugin(pluginId);
        if (!source) {
            log->warn("discovery report from '{}', which is not a started discovery source: ignored", pluginId);
            return;
        }
        switch (report.kind) {
        case Report::Kind::Found:
            if (report.key.empty())
                log->warn("source '{}': found without a key: ignored", source->settings.name);
            else
                applyFound(*source, report);
            break;
        case Report::Kind::Lost:
            if (report.key.empty())
                log->warn("source '{}': lost without a key: ignored", source->settings.name);
            else
                applyLost(*source, report.key, "the source lost it");
            break;
        case Report::Kind::ScanComplete: applyScanComplete(*source, report.startedUnixUs); break;
        }
        removals.swap(removals_);
    }
    for (const auto& id : removals) gateway_.remove(id);
}

void DiscoveryService::setConnecting(bool connecting, const std::string& why) {
    std::vector<std::string> removals;
    {
        std::lock_guard lock(mutex_);
        if (connecting_ == connecting) return;
        connecting_ = connecting;
        notConnecting_ = why;
        std::vector<std::string> keys;
        for (auto& entry : endpoints_) keys.push_back(entry.first);
        for (const auto& key : keys) {
            Endpoint& endpoint = endpoints_.at(key);
            if (connecting) {
                reconcile(key);
            } else if (!endpoint.mcpId.empty()) {
                logging::get("discovery")->info("mcp '{}' removed here: {}", endpoint.mcpId, why);
                removals.push_back(endpoint.mcpId);
                endpoint.mcpId.clear();
                endpoint.notStarted = why;
            }
        }
    }
    for (const auto& id : removals) gateway_.remove(id);
}

void DiscoveryService::applyScanComplete(Source& source, long long startedUnixUs) {
    source.lastScanUs = nowUnixUs();
    std::vector<std::string> gone;
    for (const auto& [key, entry] : source.entries)
        if (entry.foundUs < startedUnixUs) gone.push_back(key);
    for (const auto& key : gone) applyLost(source, key, "not found by the scan that began at " + json::isoTimestamp(startedUnixUs));
}

void DiscoveryService::applyFound(Source& source, const Report& report) {
    Entry entry;
    entry.key = report.key;
    entry.name = report.name;
    if (entry.name.empty()) entry.name = entry.key;
    entry.foundUs = report.receivedUnixUs;
    Poco::JSON::Object::Ptr server;
    try {
        auto parsed = json::parse(report.serverJson.empty() ? std::string_view("{}") : std::string_view(report.serverJson));
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) server = parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
    }
    if (server) entry.transport = text(*server, "transport");
    if (!report.detailsJson.empty()) {
        try {
            auto parsed = json::parse(report.detailsJson);
            if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) {
                auto details = parsed.extract<Poco::JSON::Object::Ptr>();
                entry.detailsJson = stringify(parsed);
                if (details->has("package")) {
                    auto package = details->getObject("package");
                    if (package)
                        entry.package = sdk::package::PackageSpec{text(*package, "registryType"),
                                                                  text(*package, "identifier"), text(*package, "version")};
                    else
                        entry.packageError = "details.package is not an object {registryType, identifier, version}";
                }
            }
        } catch (const Poco::Exception&) {
            entry.detailsJson = "{}";
        }
    }
    if (!report.connectable) {
        entry.connectable = false;
        entry.reason = report.reason.empty() ? "the source reports it as not connectable" : report.reason;
    } else {
        try {
            entry.config = definitionOf(report.serverJson, entry.name);
            // The transport plugin judges the definition, as it does for POST /api/mcps.
            std::string field;
            const std::string refused = gateway_.validateDefinition(entry.config, field);
            if (!refused.empty()) throw McpConfigError(field, refused);
            entry.endpointKey = entry.config.startsProcess() ? commandKey(entry.config)
                                                             : normalizeEndpointUrl(entry.config.text("url"));
        } catch (const McpConfigError& e) {
            entry.connectable = false;
            entry.reason = std::string("invalid server definition: ") + e.what();
        }
    }
    const Member member{source.settings.name, entry.key};
    auto previous = source.entries.find(entry.key);
    if (previous != source.entries.end() && previous->second.endpointKey != entry.endpointKey)
        detach(previous->second.endpointKey, member, "moved to another endpoint");
    const bool isNew = previous == source.entries.end();
    if (isNew)
        logging::get("discovery")->info("source '{}' found '{}' ({}{}{})", source.settings.name, entry.name,
                                        entry.transport, entry.endpointKey.empty() ? "" : ": ",
                                        entry.endpointKey.empty() ? entry.reason : entry.config.endpoint());
    const std::string endpointKey = entry.endpointKey;
    source.entries[entry.key] = std::move(entry);
    if (endpointKey.empty()) return;

    auto [it, created] = endpoints_.try_emplace(endpointKey);
    Endpoint& endpoint = it->second;
    const Entry& stored = source.entries[member.key];
    if (created) {
        endpoint.key = endpointKey;
        endpoint.config = stored.config;
        endpoint.name = stored.name;
        endpoint.probe.state = stored.config.startsProcess() ? Probe::State::Skipped
                                                                                   : Probe::State::Pending;
    } else if (endpoint.mcpId.empty()) {
        // Headers a later source knows are added (the first source's win).
        auto headers = endpoint.config.stringMap("headers");
        const auto more = stored.config.stringMap("headers");
        if (!more.empty()) {
            headers.insert(more.begin(), more.end());
            Poco::JSON::Object::Ptr merged(new Poco::JSON::Object);
            for (const auto& [name, value] : headers) merged->set(name, value);
            endpoint.config.set("headers", merged);
        }
        // A failed probe is retried when a source reports the endpoint again (it may be up now); a
        // refused one is judged again (this source may allow the address).
        if (endpoint.probe.state == Probe::State::Failed || endpoint.probe.state == Probe::State::Refused)
            endpoint.probe.state = Probe::State::Pending;
    }
    endpoint.members.insert(member);
    if (created) publish("found", endpoint);
    reconcile(endpointKey);
}

void DiscoveryService::applyLost(Source& source, const std::string& key, const std::string& reason) {
    auto it = source.entries.find(key);
    if (it == source.entries.end()) return;
    logging::get("discovery")->info("source '{}' lost '{}' ({})", source.settings.name, it->second.name,
                                    reason.empty() ? "no reason given" : reason);
    const std::string endpointKey = it->second.endpointKey;
    source.entries.erase(it);
    detach(endpointKey, Member{source.settings.name, key}, reason);
}

void DiscoveryService::detach(const std::string& endpointKey, const Member& member, const std::string& reason) {
    auto it = endpoints_.find(endpointKey);
    if (it == endpoints_.end()) return;
    Endpoint& endpoint = it->second;
    endpoint.members.erase(member);
    if (!endpoint.members.empty()) {
        reconcile(endpointKey); // the remaining sources may not allow what the lost one did; it stays connected
        return;
    }
    if (!endpoint.mcpId.empty()) {
        logging::get("discovery")->info("mcp '{}' removed: every source lost {} (last: {})", endpoint.mcpId,
                                        endpoint.config.endpoint(), reason.empty() ? "no reason given" : reason);
        removals_.push_back(endpoint.mcpId);
    }
    publish("lost", endpoint);
    endpoints_.erase(it);
}

std::string DiscoveryService::refusalFor(const Member& member, const Endpoint& endpoint) const {
    const Source& source = sources_.at(member.source);
    const Entry& entry = source.entries.at(member.key);
    if (source.settings.policy != DiscoveryPolicy::AutoConnect) return "source '" + member.source + "' is list-only";
    if (!entry.connectable) return entry.reason;
    if (entry.config.startsProcess()) return stdioRefusal(source, entry);
    if (std::string why = addressRefusal(source, endpoint); !why.empty()) return why;
    unsigned port = 0;
    const std::string host = hostOf(entry.config.text("url"), &port);
    if (!matchesHostPattern(source.settings.allowedRemotes, host, port))
        return "remote '" + host + ":" + std::to_string(port) + "' is not in " + source.settings.key("allow_remotes") +
               " (remote servers are connected automatically only when allowed there)";
    return {};
}

std::string DiscoveryService::stdioRefusal(const Source& source, const Entry& entry) {
    const DiscoverySourceSettings& s = source.settings;
    switch (s.stdio) {
    case StdioRule::None:
        return "source '" + s.name + "' does not start commands (" + s.key("stdio") + " = none)";
    case StdioRule::Commands: return {};
    case StdioRule::Packages: break;
    }
    if (!entry.packageError.empty()) return entry.packageError;
    if (!entry.package)
        return "a stdio server without a package: source '" + s.name + "' starts only allowlisted packages (" +
               s.key("stdio") + " = packages)";
    const sdk::package::PackageSpec& package = *entry.package;
    if (std::string why = sdk::package::problem(package); !why.empty())
        return "package " + package.registryType + " '" + package.identifier + "' cannot be started: " + why;
    if (!s.allowedPackages.count(package))
        return "package '" + sdk::package::toText(package) + "' is not in " + s.key("allow_packages") +
               " (packages are never started unless pinned there as <registryType>:<identifier>@<version>)";
    // The command must be the one the package runs as: an allowlist entry allows that, nothing else.
    const auto argv = sdk::package::commandLine(package);
    const std::vector<std::string> expectedArgs(argv.begin() + 1, argv.end());
    if (entry.config.text("command") != argv.front() || entry.config.strings("args") != expectedArgs)
        return "the reported command line '" + commandLineText(entry.config.text("command"), entry.config.strings("args")) +
               "' is not the one package '" + sdk::package::toText(package) + "' runs as ('" +
               commandLineText(argv.front(), expectedArgs) + "')";
    if (!entry.config.stringMap("env").empty() || !entry.config.text("cwd").empty())
        return "package '" + sdk::package::toText(package) + "' is reported with an environment or working directory; "
               "a package is started only as its plain command line";
    return {};
}

std::string DiscoveryService::addressRefusal(const Source& source, const Endpoint& endpoint) {
    const Probe& probe = endpoint.probe;
    const auto& allowed = source.settings.allowedAddressClasses;
    for (AddressClass c : probe.addressClasses) {
        if (c == AddressClass::Public || allowed.count(c)) continue;
        std::string address;
        for (const auto& a : probe.addresses) {
            Poco::Net::IPAddress ip;
            if (Poco::Net::IPAddress::tryParse(a, ip) && classifyAddress(ip) == c) {
                address = a;
                break;
            }
        }
        const std::string host = hostOf(endpoint.config.text("url"));
        if (c == AddressClass::Unusable)
            return addressText(host, address) + ", a multicast or reserved address: never probed or connected";
        return addressText(host, address) + " (" + addressClassName(c) + "), which " +
               source.settings.key("allow_private_addresses") + " does not allow";
    }
    return {};
}

void DiscoveryService::reconcile(const std::string& endpointKey) {
    auto it = endpoints_.find(endpointKey);
    if (it == endpoints_.end()) return;
    Endpoint& endpoint = it->second;
    if (endpoint.probe.state == Probe::State::Pending) startProbe(endpoint);
    if (!endpoint.mcpId.empty()) return;
    std::string refusal;
    const Member* allowedBy = nullptr;
    for (const auto& member : endpoint.members) {
        std::string why = refusalFor(member, endpoint);
        if (why.empty()) {
            allowedBy = &member;
            break;
        }
        if (refusal.empty()) refusal = why;
    }
    if (!allowedBy) {
        endpoint.notStarted = refusal;
        return;
    }
    switch (endpoint.probe.state) {
    case Probe::State::Pending:
    case Probe::State::Running: endpoint.notStarted = "waiting for the probe"; return;
    case Probe::State::Failed: endpoint.notStarted = "probe failed: " + endpoint.probe.error; return;
    case Probe::State::Refused: endpoint.notStarted = "not probed: " + endpoint.probe.error; return;
    case Probe::State::Ok:
    case Probe::State::Skipped: break;
    }
    if (!connecting_) {
        endpoint.notStarted = notConnecting_;
        return;
    }
    McpServerConfig config = endpoint.config;
    config.id = uniqueMcpId(endpoint.name);
    try {
        gateway_.add(config, "discovery:" + allowedBy->source);
        endpoint.mcpId = config.id;
        endpoint.notStarted.clear();
        logging::get("discovery")->info("mcp '{}' handed to the gateway from source '{}': {}", config.id,
                                        allowedBy->source, config.endpoint());
        publish("registered", endpoint);
    } catch (const std::exception& e) {
        endpoint.notStarted = std::string("the gateway refused it: ") + e.what();
        logging::get("discovery")->warn("{} not connected: {}", config.endpoint(), endpoint.notStarted);
    }
}

std::string DiscoveryService::uniqueMcpId(const std::string& name) const {
    const std::string base = mcpIdFromName(name);
    auto taken = [&](const std::string& id) {
        if (gateway_.find(id)) return true;
        for (const auto& [key, e] : endpoints_)
            if (e.mcpId == id) return true;
        return false;
    };
    if (!taken(base)) return base;
    for (int n = 2;; ++n) {
        const std::string suffix = "-" + std::to_string(n);
        const std::string id = base.substr(0, 64 - suffix.size()) + suffix;
        if (!taken(id)) return id;
    }
}

void DiscoveryService::startProbe(Endpoint& endpoint) {
    endpoint.probe.state = Probe::State::Running;
    const std::string key = endpoint.key;
    const McpServerConfig config = endpoint.config;
    // Probed when one of its sources allows where it leads; the message names every source's key.
    std::set<AddressClass> allowed;
    std::string keys;
    for (const auto& member : endpoint.members) {
        const DiscoverySourceSettings& settings = sources_.at(member.source).settings;
        allowed.insert(settings.allowedAddressClasses.begin(), settings.allowedAddressClasses.end());
        const std::string k = settings.key("allow_private_addresses");
        if (keys.find(k) == std::string::npos) keys += (keys.empty() ? "" : " or ") + k;
    }
    ++inFlight_;
    probes_.post([this, key, config, allowed, keys] {
        Probe probe;
        const std::string host = hostOf(config.text("url"));
        const AddressCheck check = checkHostAddresses(host, allowed);
        probe.addresses = check.addresses;
        probe.addressClasses = check.classes;
        if (check.outcome == AddressCheck::Outcome::Unresolved) {
            probe.state = Probe::State::Failed;
            probe.error = check.error;
        } else if (check.outcome == AddressCheck::Outcome::Refused) {
            probe.state = Probe::State::Refused;
            probe.error = check.refusedClass == AddressClass::Unusable
                              ? addressText(host, check.refusedAddress) + " is a multicast or reserved address"
                              : addressText(host, check.refusedAddress) + " (" + addressClassName(check.refusedClass) +
                                    ") is not allowed by " + keys;
        } else {
            // Pinned: the transport connects to the address just judged, never to a new lookup of the name.
            McpServerConfig pinned = config;
            pinned.set("connect_address", check.connectAddress);
            probe.connectAddress = check.connectAddress;
            const ProbeResult outcome = probeMcpServer(gateway_.transports(), pinned, probeTimeout_);
            probe.state = outcome.ok ? Probe::State::Ok : Probe::State::Failed;
            probe.error = outcome.error;
            probe.protocolVersion = outcome.protocolVersion;
            probe.serverInfoJson = outcome.serverInfoJson;
            probe.durationMs = outcome.durationMs;
        }
        probe.atUs = nowUnixUs();
        std::lock_guard lock(mutex_);
        ++inFlight_;
        reports_.post([this, key, config, probe] {
            finishProbe(key, config, probe);
            std::lock_guard done(mutex_);
            --inFlight_;
        });
        --inFlight_;
    });
}

void DiscoveryService::finishProbe(const std::string& endpointKey, const McpServerConfig& probed, Probe result) {
    std::vector<std::string> removals;
    {
        std::lock_guard lock(mutex_);
        auto it = endpoints_.find(endpointKey);
        if (it == endpoints_.end()) return; // lost while it was probed
        Endpoint& endpoint = it->second;
        if (endpoint.probe.state != Probe::State::Running) return;
        endpoint.probe = std::move(result);
        auto log = logging::get("discovery");
        if (endpoint.probe.state == Probe::State::Ok) {
            endpoint.probeFailures = 0;
            endpoint.config.set("connect_address", endpoint.probe.connectAddress); // the connection goes where the probe went
            log->info("probe of {} ({}) ok: protocol {} in {} ms", probed.text("url"), endpoint.probe.connectAddress,
                      endpoint.probe.protocolVersion, endpoint.probe.durationMs);
        } else if (endpoint.probe.state == Probe::State::Refused) {
            log->warn("{} not probed: {}", probed.text("url"), endpoint.probe.error);
        } else {
            // The endpoint may come up later; sources only report again when something changed.
            const int doublings = std::min(endpoint.probeFailures++, 20);
            const std::chrono::milliseconds delay =
                std::min<std::chrono::milliseconds>(kMaxProbeRetry, probeRetry_ * (1LL << doublings));
            log->warn("probe of {} failed: {} (retrying in {} ms)", probed.text("url"), endpoint.probe.error, delay.count());
            reports_.schedule(delay, [this, endpointKey] { retryProbe(endpointKey); });
        }
        publish("probed", endpoint);
        reconcile(endpointKey);
        removals.swap(removals_);
    }
    for (const auto& id : removals) gateway_.remove(id);
}

void DiscoveryService::retryProbe(const std::string& endpointKey) {
    std::vector<std::string> removals;
    {
        std::lock_guard lock(mutex_);
        auto it = endpoints_.find(endpointKey);
        if (it == endpoints_.end() || it->second.probe.state != Probe::State::Failed) return;
        it->second.probe.state = Probe::State::Pending;
        reconcile(endpointKey);
        removals.swap(removals_);
    }
    for (const auto& id : removals) gateway_.remove(id);
}

void DiscoveryService::publish(const std::string& change, const Endpoint& endpoint) const {
    const std::string payload = "{\"action\":\"endpoint\",\"change\":" + json::quote(change) +
                                ",\"endpoint\":" + endpointJson(endpoint) + "}";
    events_.route("discovery", "discovery", payload);
}

std::string DiscoveryService::probeJson(const Probe& probe) {
    return "{\"status\":" + json::quote(probeStateName(static_cast<int>(probe.state))) +
           ",\"error\":" + stringOrNull(probe.error) + ",\"addresses\":" + jsonArray(probe.addresses) +
           ",\"connect_address\":" + stringOrNull(probe.connectAddress) +
           ",\"protocol_version\":" + stringOrNull(probe.protocolVersion) +
           ",\"server_info\":" + probe.serverInfoJson + ",\"at\":" + timestampOrNull(probe.atUs) +
           ",\"duration_ms\":" + std::to_string(probe.durationMs) + "}";
}

std::string DiscoveryService::endpointJson(const Endpoint& endpoint) const {
    const bool connectable = endpoint.probe.state == Probe::State::Ok || endpoint.probe.state == Probe::State::Skipped;
    std::string out = "{\"endpoint\":" + json::quote(endpoint.config.endpoint()) + ",\"key\":" + json::quote(endpoint.key) +
                      ",\"name\":" + json::quote(endpoint.name) +
                      ",\"transport\":" + json::quote(endpoint.config.transport) +
                      ",\"connectable\":" + (connectable ? "true" : "false") + ",\"probe\":" + probeJson(endpoint.probe) +
                      ",\"mcp_id\":" + stringOrNull(endpoint.mcpId) + ",\"not_connected_reason\":" +
                      stringOrNull(endpoint.mcpId.empty() ? endpoint.notStarted : std::string()) + ",\"sources\":[";
    bool first = true;
    for (const auto& m : endpoint.members) {
        out += first ? "" : ",";
        first = false;
        out += "{\"source\":" + json::quote(m.source) + ",\"key\":" + json::quote(m.key) + "}";
    }
    return out + "]}";
}

std::string DiscoveryService::entryReason(const std::string& source, const std::string& key, const Entry& entry,
                                          const Endpoint* endpoint) const {
    if (!entry.connectable || !endpoint) return entry.reason;
    if (!endpoint->mcpId.empty()) return {};
    // This entry's own refusal first: entries of one endpoint may be refused for different reasons.
    std::string own = refusalFor(Member{source, key}, *endpoint);
    return own.empty() ? endpoint->notStarted : own;
}

std::string DiscoveryService::reportJson() const {
    std::lock_guard lock(mutex_);
    std::string out = "{\"sources\":[";
    bool firstSource = true;
    for (const auto& [name, source] : sources_) {
        out += firstSource ? "" : ",";
        firstSource = false;
        // The source's health is its instance's status (report_status); a source without an instance
        // says why it has none.
        std::string status = source.status, message = source.message;
        if (source.instance) {
            InstanceStatus row;
            if (plugins_.statuses().find(source.instance->context().pluginId(), source.instance->context().instanceName(), row)) {
                status = componentStatusName(row.status);
                message = row.message;
            } else {
                status = "starting";
            }
        } else if (status.empty()) {
            status = "stopped";
        }
        out += "{\"source\":" + json::quote(name) + ",\"plugin\":" + json::quote(source.settings.pluginId) +
               ",\"policy\":" + json::quote(policyName(source.settings.policy)) + ",\"status\":" + json::quote(status) +
               ",\"message\":" + stringOrNull(message) + ",\"last_scan\":" + timestampOrNull(source.lastScanUs) +
               ",\"rules\":" + rulesJson(source.settings) +
               ",\"found\":[";
        bool first = true;
        for (const auto& [key, entry] : source.entries) {
            out += first ? "" : ",";
            first = false;
            const Endpoint* endpoint = nullptr;
            if (auto e = endpoints_.find(entry.endpointKey); e != endpoints_.end()) endpoint = &e->second;
            const bool connectable = entry.connectable && endpoint &&
                                     (endpoint->probe.state == Probe::State::Ok ||
                                      endpoint->probe.state == Probe::State::Skipped);
            out += "{\"key\":" + json::quote(key) + ",\"name\":" + json::quote(entry.name) +
                   ",\"transport\":" + json::quote(entry.transport) +
                   ",\"endpoint\":" + (endpoint ? json::quote(endpoint->config.endpoint()) : std::string("null")) +
                   ",\"connectable\":" + (connectable ? "true" : "false") +
                   ",\"reason\":" + stringOrNull(entryReason(name, key, entry, endpoint)) +
                   ",\"probe\":" + (endpoint ? probeJson(endpoint->probe) : std::string("null")) +
                   ",\"mcp_id\":" + (endpoint ? stringOrNull(endpoint->mcpId) : std::string("null")) +
                   ",\"details\":" + entry.detailsJson + "}";
        }
        out += "],\"found_count\":" + std::to_string(source.entries.size()) + "}";
    }
    out += "],\"endpoints\":[";
    bool first = true;
    for (const auto& [key, endpoint] : endpoints_) {
        out += first ? "" : ",";
        first = false;
        out += endpointJson(endpoint);
    }
    return out + "]}";
}

std::optional<Refusal> DiscoveryService::refresh(const std::string& name, std::string& error) {
    PluginInstance* instance = nullptr;
    {
        std::lock_guard lock(mutex_);
        for (auto& [n, source] : sources_)
            if (n == name || source.settings.pluginId == name) instance = source.instance;
        if (!instance) {
            error = "no running discovery source '" + name + "'";
            return Refusal::NotFound;
        }
    }
    const auto& vt = instance->plugin().discovery;
    if (!vt.refresh) {
        error = "discovery plugin '" + instance->plugin().info.id + "' has no refresh hook";
        return Refusal::NotSupported;
    }
    std::string reason;
    const mc_status status = HostContext::call(reason, [&] { return vt.refresh(instance->handle()); });
    if (status != MC_OK) {
        error = std::string("refresh failed (") + statusName(status) + "): " + reason;
        return Refusal::UpstreamFailed;
    }
    return std::nullopt;
}

} // namespace mc::host
