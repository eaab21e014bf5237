// The descriptor of discovery-mdns: its id, version and configuration keys (kSettings, MdnsSettings.h).
#include "MdnsDiscovery.h"

MC_DECLARE_DISCOVERY_PLUGIN(mc::mdns::MdnsDiscovery, "discovery-mdns", "0.2.0",
                            "Finds MCP servers announced with DNS-SD over multicast DNS (RFC 6762/6763), no daemon needed",
                            "discovery.mdns", mc::mdns::kSettings)
