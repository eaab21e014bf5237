#pragma once
// One page of an MCP Registry's server list (GET /v0.1/servers, the ServerList schema of the
// registry's OpenAPI document) turned into found servers. Pure: no I/O, so it is easy to reason
// about what a registry answer becomes.
#include "mc/sdk.hpp"

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace mc::discovery_registry {

// The page is not the ServerList shape at all (not JSON, no "servers" array); the message says
// where. A bad entry inside "servers" is not: it is skipped and named in RegistryPage::skipped.
class MalformedPage : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct RegistryServer {
    std::string name;         // reverse-DNS server name: the stable key
    std::string version;
    bool deleted = false;     // _meta official status "deleted"
    bool latest = true;       // _meta official isLatest (absent: true)
    mc::sdk::FoundServer found; // key = name; server_json {"transport", url/headers | command/args/env}
};

struct RegistryPage {
    std::vector<RegistryServer> servers;
    std::string nextCursor;           // empty: last page
    std::vector<std::string> skipped; // entries left out, each "servers[3]: <why>" (the rest of the page is used)
};

// `variables`: values for remote URL {variables} that have no default (discovery.registry.variables).
RegistryPage parseRegistryPage(const std::string& body, const std::map<std::string, std::string>& variables);

} // namespace mc::discovery_registry
