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
    mc::sdk::configKey("allow_packages", MC_CONFIG_STRING, "", "Comma list of package names (npm/pypi/oci identifiers) the host may start; other package-only servers are listed, never started"),
    mc::sdk::configKey("policy", MC_CONFIG_STRING, "list-only", "auto-connect: the host connects what this source finds (after a probe); list-only: it only lists them"),
};
} // namespace

MC_DECLARE_DISCOVERY_PLUGIN(mc::discovery_registry::RegistryDiscovery, "discovery-registry", "0.1.0",
                            "Finds MCP servers in an MCP Registry (REST API /v0.1/servers)", kConfigKeys)
