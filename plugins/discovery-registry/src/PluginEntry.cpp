// The descriptor of discovery-registry: its keys (under discovery.registry.), declared once in kSettings.
#include "RegistryDiscovery.h"

MC_DECLARE_DISCOVERY_PLUGIN(mc::discovery_registry::RegistryDiscovery, "discovery-registry", "0.2.0",
                            "Finds MCP servers in an MCP Registry (REST API /v0.1/servers)", "discovery.registry",
                            mc::discovery_registry::kSettings)
