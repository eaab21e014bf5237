// The descriptor of mcp-http: its id, version and instance keys (kSettings, HttpTransportConfig.h).
// Each server's definition (url, headers, ...) arrives per connection: validate / open_connection.
#include "McpHttpTransport.h"

MC_DECLARE_TRANSPORT_PLUGIN(mc::mcp_http::McpHttpTransport, "mcp-http", "0.2.0",
                            "MCP over Streamable HTTP, with fallback to the legacy HTTP+SSE transport", "mcp.http",
                            mc::mcp_http::kSettings)
