// The descriptor of mcp-stdio: its id, version and configuration keys (see README.md). The server
// definition itself (command, args, env, cwd) arrives per instance as the JSON handed to create().
#include "StdioTransport.h"

namespace {
const mc_config_key kConfigKeys[] = {
    mc::sdk::configKey("shutdown_grace_ms", MC_CONFIG_INT, "2000",
                       "After closing the server's stdin, how long to wait for it to exit before SIGTERM (0-600000)"),
    mc::sdk::configKey("terminate_grace_ms", MC_CONFIG_INT, "2000",
                       "After SIGTERM to the server's process group, how long to wait before SIGKILL (0-600000)"),
    mc::sdk::configKey("max_line_bytes", MC_CONFIG_INT, "16777216",
                       "Longest stdout line (one JSON-RPC message) accepted; a longer one closes the connection"),
    mc::sdk::configKey("max_stderr_line_bytes", MC_CONFIG_INT, "65536",
                       "Longest stderr line logged as is; longer lines are truncated"),
    mc::sdk::configKey("max_send_queue_bytes", MC_CONFIG_INT, "67108864",
                       "Bytes of messages waiting for the server to read its stdin; beyond it send() refuses"),
};
} // namespace

MC_DECLARE_TRANSPORT_PLUGIN(mc::mcp_stdio::StdioTransport, "mcp-stdio", "0.1.0",
                            "MCP over stdio: runs a server process, newline-delimited JSON-RPC on its stdin/stdout",
                            kConfigKeys)
