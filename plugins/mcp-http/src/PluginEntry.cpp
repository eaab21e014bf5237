// The descriptor of mcp-http. The keys below describe one MCP server definition (the gateway hands
// it to create() as JSON; see README.md); they carry the defaults and help text.
#include "McpHttpTransport.h"

namespace {
const mc_config_key kConfigKeys[] = {
    mc::sdk::configKey("url", MC_CONFIG_STRING, "",
                       "The server's MCP endpoint, http:// or https:// (e.g. http://127.0.0.1:3001/mcp; the /sse URL for legacy servers)"),
    mc::sdk::configKey("transport", MC_CONFIG_STRING, "http",
                       "\"http\": Streamable HTTP, falling back to legacy HTTP+SSE; \"sse\": legacy HTTP+SSE only"),
    mc::sdk::configKey("connect_timeout_ms", MC_CONFIG_INT, "5000", "TCP (and TLS) connect timeout per request"),
    mc::sdk::configKey("read_timeout_ms", MC_CONFIG_INT, "30000",
                       "Longest silence on a response or stream before it counts as failed"),
    mc::sdk::configKey("tls_verify", MC_CONFIG_BOOL, "true", "Verify https:// certificates against the system CAs"),
};
} // namespace

MC_DECLARE_TRANSPORT_PLUGIN(mc::mcp_http::McpHttpTransport, "mcp-http", "0.1.0",
                            "MCP over Streamable HTTP, with fallback to the legacy HTTP+SSE transport", kConfigKeys)
