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
    mc::sdk::configKey("max_records_per_sender", MC_CONFIG_INT, "256",
                       "Cache records one sender (source address) may hold; its further new records are dropped and counted; 4-10000"),
    // Read by the host's discovery service (docs/discovery.md), declared here with this source's defaults:
    // mDNS listens to (and is answered by) anything on the LAN, so it is off until enabled, and what it
    // finds on private addresses is not even probed until allowed.
    mc::sdk::configKey("enabled", MC_CONFIG_BOOL, "false",
                       "true: browse the local network (off by default: anything on the LAN can announce services)"),
    mc::sdk::configKey("policy", MC_CONFIG_STRING, "list-only",
                       "auto-connect: the host connects what is found (after a probe); list-only: it only lists it"),
    mc::sdk::configKey("allow_remotes", MC_CONFIG_STRING, "",
                       "Comma list of host patterns of found servers that may be auto-connected, e.g. 192.168.1.0/24, *.lab.example; empty: none"),
    mc::sdk::configKey("allow_private_addresses", MC_CONFIG_STRING, "",
                       "Comma list of address classes found servers may be probed and connected on besides public ones: loopback, link-local, lan, metadata; a LAN usually needs lan"),
};
} // namespace

MC_DECLARE_DISCOVERY_PLUGIN(mc::mdns::MdnsDiscovery, "discovery-mdns", "0.1.0",
                            "Finds MCP servers announced with DNS-SD over multicast DNS (RFC 6762/6763), no daemon needed",
                            kConfigKeys)
