#pragma once
// discovery-registry: polls an MCP Registry (GET {url}/v0.1/servers, falling back to /v0/servers when
// the registry answers 404) page by page (cursor + limit), reports found/lost/state to the host.
// The first run and every run after an error list everything (servers missing from a full list are
// lost); later runs ask only for what changed (updated_since). A failed run keeps the last good list
// and retries with backoff.
#include "RegistryPage.h"

#include "mc/periodic_worker.hpp"
#include "mc/sdk.hpp"

#include <Poco/Net/HTTPResponse.h>

#include <chrono>
#include <istream>
#include <map>
#include <string>

namespace mc::discovery_registry {

class RegistryDiscovery : public mc::sdk::DiscoveryPlugin {
public:
    RegistryDiscovery(mc::sdk::Host host, std::string_view configJson);
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
    // `extraFields`: more members of the report object, e.g. "\"problems\":[...]".
    void emitState(const std::string& state, const std::string& message, const std::string& extraFields = {});

    std::string baseUrl_;
    std::chrono::milliseconds interval_;
    int pageLimit_;
    std::string search_;
    std::chrono::milliseconds timeout_;
    long long maxPageBytes_;
    std::map<std::string, std::string> variables_;
    std::string apiPath_ = "/v0.1/servers";

    std::map<std::string, std::string> known_; // server name -> its last found report
    std::string lastSuccessIso_;               // start of the last good run (updated_since)

    bool full_ = true; // the first run, and every run after a failure, lists everything
    std::chrono::milliseconds retry_;
    mc::sdk::PeriodicWorker worker_;
};

} // namespace mc::discovery_registry
