// The descriptor of discovery-registry: its keys (under discovery.registry.) with defaults and help.
#include "RegistryDiscovery.h"

namespace {
const mc_config_key kConfigKeys[] = {
    mc::sdk::configKey("url", MC_CONFIG_STRING, "", "Base URL of the MCP Registry, e.g. http://127.0.0.1:9000 (its API is {url}/v0.1/servers)", true),
    mc::sdk::configKey("interval", MC_CONFIG_INT, "300", "Seconds between refreshes (after the first full listing: only what changed, via updated_since)"),
    mc::sdk::configKey("page_limit", MC_CONFIG_INT, "100", "Servers per page (the limit parameter)"),
    mc::sdk::configKey("search", MC_CONFIG_STRING, "", "Only servers whose name contains this text (the search parameter); empty: all"),
    mc::sdk::configKey("timeout_ms", MC_CONFIG_INT, "10000", "Connect and read timeout of each registry request"),
    mc::sdk::configKey("variables", MC_CONFIG_STRING, "", "JSON object of values for remote URL {variables} that have no default, e.g. {\"tenant\":\"acme\"}"),
    mc::sdk::configKey("max_page_bytes", MC_CONFIG_INT, "8388608", "Largest registry answer read (bytes, per page); a larger one fails the refresh with an error naming this key"),
    // Read by the host's discovery service (docs/discovery.md), declared here with this source's defaults.
    mc::sdk::configKey("enabled", MC_CONFIG_BOOL, "true", "false: the plugin is loaded but not started"),
    mc::sdk::configKey("policy", MC_CONFIG_STRING, "list-only", "auto-connect: the host connects what this source finds (after a probe); list-only: it only lists them"),
    mc::sdk::configKey("stdio", MC_CONFIG_STRING, "packages", "Which stdio servers the host may start from this source: packages (only allowlisted registry packages), commands (any reported command line), none"),
    mc::sdk::configKey("allow_packages", MC_CONFIG_STRING, "", "Comma list of packages the host may start, each pinned as <registryType>:<identifier>@<version>, e.g. npm:@scope/name@1.2.3"),
    mc::sdk::configKey("allow_remotes", MC_CONFIG_STRING, "", "Comma list of host patterns of remote (http/sse) servers that may be auto-connected, e.g. *.example.com, mcp.example.org:443, 10.0.0.0/8; empty: none"),
    mc::sdk::configKey("allow_private_addresses", MC_CONFIG_STRING, "", "Comma list of address classes found servers may be probed and connected on besides public ones: loopback, link-local, lan, metadata; empty: public addresses only"),
};
} // namespace

MC_DECLARE_DISCOVERY_PLUGIN(mc::discovery_registry::RegistryDiscovery, "discovery-registry", "0.1.0",
                            "Finds MCP servers in an MCP Registry (REST API /v0.1/servers)", kConfigKeys)
