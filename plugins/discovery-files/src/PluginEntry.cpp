// The descriptor of discovery-files: its keys (under discovery.files.) with defaults and help.
#include "FilesDiscovery.h"

namespace {
const mc_config_key kConfigKeys[] = {
    mc::sdk::configKey("paths", MC_CONFIG_STRING, "", "Comma list of MCP config files: Claude Desktop's claude_desktop_config.json, Cursor/VS Code mcp.json", true),
    mc::sdk::configKey("poll_interval_ms", MC_CONFIG_INT, "2000", "How often the files are checked for changes (modification time and size, then content)"),
    // Read by the host's discovery service (docs/discovery.md), declared here with this source's defaults:
    // the files are the operator's own MCP client configuration, so under auto-connect their commands
    // start and their remotes connect as written, on loopback and LAN addresses too.
    mc::sdk::configKey("enabled", MC_CONFIG_BOOL, "true", "false: the plugin is loaded but not started"),
    mc::sdk::configKey("policy", MC_CONFIG_STRING, "list-only", "auto-connect: the host connects (and for stdio entries starts) what these files declare; list-only: it only lists them"),
    mc::sdk::configKey("stdio", MC_CONFIG_STRING, "commands", "Which stdio entries the host may start (under auto-connect): commands (as the file declares them), none"),
    mc::sdk::configKey("allow_remotes", MC_CONFIG_STRING, "*", "Comma list of host patterns of remote (http/sse) entries that may be auto-connected, e.g. *.example.com, 127.0.0.1:3001; * (the default): every one the files declare"),
    mc::sdk::configKey("allow_private_addresses", MC_CONFIG_STRING, "loopback, lan", "Comma list of address classes entries may be probed and connected on besides public ones: loopback, link-local, lan, metadata"),
};
} // namespace

MC_DECLARE_DISCOVERY_PLUGIN(mc::discovery_files::FilesDiscovery, "discovery-files", "0.1.0",
                            "Finds MCP servers in Claude Desktop, Cursor and VS Code config files", kConfigKeys)
