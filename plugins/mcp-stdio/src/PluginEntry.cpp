// The descriptor of mcp-stdio: its id, version and instance keys (kSettings, StdioConfig.h). Each
// server's definition (command, args, env, cwd, ...) arrives per connection: validate / open_connection.
#include "StdioTransport.h"

MC_DECLARE_TRANSPORT_PLUGIN(mc::mcp_stdio::StdioTransport, "mcp-stdio", "0.2.0",
                            "MCP over stdio: runs a server process, newline-delimited JSON-RPC on its stdin/stdout",
                            "mcp.stdio", mc::mcp_stdio::kSettings)
