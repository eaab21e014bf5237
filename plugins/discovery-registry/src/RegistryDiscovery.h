#pragma once
// discovery-registry: polls an MCP Registry (GET {url}/v0.1/servers, falling back to /v0/servers when
// the registry answers 404) page by page (cursor + limit), reports found/lost (typed) and its status to the host.
// The first run and every run after an error list everything (servers missing from a full list are
// lost); later runs ask only for what changed (updated_since). A failed run keeps the last good list
// and retries with backoff.
#include "RegistryPage.h"

#include "mc/periodic_worker.hpp"
#include "mc/sdk.hpp"

#include <Poco/Net/HTTPResponse.h>

#include <chrono>
#include <cstdint>
#include <istream>
#include <map>
#include <string>

namespace mc::discovery_registry {

struct Settings {
    std::string url;
    std::int64_t intervalSeconds = 0;
    std::int64_t pageLimit = 0;
    std::string search;
    std::int64_t timeoutMs = 0;
    std::string variables;
    std::int64_t maxPageBytes = 0;
};

// The keys under discovery.registry., declared once (types, defaults, ranges, choices, help).
constexpr mc::sdk::Key<Settings> kSettings[] = {
    mc::sdk::key("url", &Settings::url).required().example("http://127.0.0.1:9000")
        .help("Base URL of the MCP Registry, e.g. http://127.0.0.1:9000 (its API is {url}/v0.1/servers)"),
    mc::sdk::key("interval", &Settings::intervalSeconds).byDefault("300").range(1, 31536000)
        .help("Seconds between refreshes; after the first full listing only changes are asked for (updated_since)"),
    mc::sdk::key("page_limit", &Settings::pageLimit).byDefault("100").range(1, 1000)
        .help("Servers per page (the limit parameter)"),
    mc::sdk::key("search", &Settings::search)
        .help("Only servers whose name contains this text (the search parameter); empty: all"),
    mc::sdk::key("timeout_ms", &Settings::timeoutMs).byDefault("10000").range(1, 3600000)
        .help("Connect and read timeout of each registry request"),
    mc::sdk::key("variables", &Settings::variables).example(R"({"tenant": "acme"})")
        .help("JSON object of values for remote URL {variables} that have no default, e.g. {\"tenant\":\"acme\"}"),
    mc::sdk::key("max_page_bytes", &Settings::maxPageBytes).byDefault("8388608").range(1024, 1073741824)
        .help("Largest registry answer read per request, in bytes (by Content-Length, or counted while reading a chunked answer); a larger one fails the refresh with an error naming this key"),
    // Read by the host's discovery service (docs/discovery.md), declared here with this source's defaults.
    mc::sdk::key<Settings>("enabled", MC_CONFIG_BOOL).byDefault("true")
        .help("false: the plugin is loaded but not started (read by the host)"),
    mc::sdk::key<Settings>("policy", MC_CONFIG_ENUM).choices("auto-connect,list-only").byDefault("list-only")
        .help("auto-connect: the host connects what this source finds (after a probe); list-only: it only lists them (read by the host)"),
    mc::sdk::key<Settings>("stdio", MC_CONFIG_ENUM).choices("packages,commands,none").byDefault("packages")
        .help("Which stdio servers the host may start from this source: packages (only allowlisted registry packages), commands (any reported command line), none (read by the host)"),
    mc::sdk::key<Settings>("allow_packages", MC_CONFIG_LIST).example("npm:@modelcontextprotocol/server-everything@2026.8.31")
        .help("Comma list of packages the host may start, each pinned as <registryType>:<identifier>@<version> with a plain semver version, e.g. npm:@scope/name@1.2.3 (read by the host)"),
    mc::sdk::key<Settings>("allow_remotes", MC_CONFIG_LIST).example("*.example.com, mcp.example.org:443")
        .help("Comma list of host patterns of remote (http/sse) servers that may be auto-connected, e.g. *.example.com, mcp.example.org:443, 10.0.0.0/8; empty: none (read by the host)"),
    mc::sdk::key<Settings>("allow_private_addresses", MC_CONFIG_LIST)
        .help("Comma list of address classes found servers may be probed and connected on besides public ones: loopback, link-local, lan, metadata; empty: public addresses only (read by the host)"),
};

class RegistryDiscovery : public mc::sdk::DiscoveryPlugin {
public:
    RegistryDiscovery(mc::sdk::Host host, const Settings& settings, mc::sdk::Discovered out);
    ~RegistryDiscovery() override;

    void start() override;
    void stop() override;
    void refresh() override;

private:
    // One listing on the worker; returns the delay until the next one.
    std::chrono::milliseconds step();
    // One run; throws std::runtime_error with what went wrong (the last good list stays).
    void run(bool full);
    std::string fetch(const std::string& pathAndQuery, int& status);
    // The body, at most max_page_bytes of it; throws std::runtime_error naming the key when larger.
    std::string readCapped(std::istream& in, const Poco::Net::HTTPResponse& response, const std::string& url) const;


    std::string baseUrl_;
    std::chrono::milliseconds interval_;
    int pageLimit_;
    std::string search_;
    std::chrono::milliseconds timeout_;
    long long maxPageBytes_;
    std::map<std::string, std::string> variables_;
    std::string apiPath_ = "/v0.1/servers";

    std::map<std::string, mc::sdk::FoundServer> known_; // server name -> its last found report
    std::string lastSuccessIso_;               // start of the last good run (updated_since)

    bool full_ = true; // the first run, and every run after a failure, lists everything
    std::chrono::milliseconds retry_;
    mc::sdk::PeriodicWorker worker_;
};

} // namespace mc::discovery_registry
