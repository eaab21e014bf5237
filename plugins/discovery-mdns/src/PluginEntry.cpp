// The descriptor of discovery-mdns: its id, version and configuration keys (see README.md).
#include "MdnsDiscovery.h"

namespace {
const mc_config_key kConfigKeys[] = {
    mc::sdk::configKey("types", MC_CONFIG_STRING, "_mcp._tcp",
                       "DNS-SD service types to browse, comma-separated (e.g. _mcp._tcp, _mcp-sse._tcp)"),
    mc::sdk::configKey("interface", MC_CONFIG_STRING, "",
                       "Interface name or IPv4 address to browse on; empty: every up, multicast-capable IPv4 interface"),
    mc::sdk::configKey("max_query_interval_ms", MC_CONFIG_INT, "60000",
                       "Cap of the browse query backoff (1 s, 2 s, 4 s, ...); 1000-86400000"),
};
} // namespace

MC_DECLARE_DISCOVERY_PLUGIN(mc::mdns::MdnsDiscovery, "discovery-mdns", "0.1.0",
                            "Finds MCP servers announced with DNS-SD over multicast DNS (RFC 6762/6763), no daemon needed",
                            kConfigKeys)
