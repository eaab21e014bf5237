// The descriptor of discovery-files: its keys (under discovery.files.) with defaults and help.
#include "FilesDiscovery.h"

namespace {
const mc_config_key kConfigKeys[] = {
    mc::sdk::configKey("paths", MC_CONFIG_STRING, "", "Comma list of MCP config files: Claude Desktop's claude_desktop_config.json, Cursor/VS Code mcp.json", true),
    mc::sdk::configKey("poll_interval_ms", MC_CONFIG_INT, "2000", "How often the files are checked for changes (modification time and size, then content)"),
    mc::sdk::configKey("policy", MC_CONFIG_STRING, "list-only", "auto-connect: the host connects (and for stdio entries starts) what these files declare; list-only: it only lists them"),
};
} // namespace

MC_DECLARE_DISCOVERY_PLUGIN(mc::discovery_files::FilesDiscovery, "discovery-files", "0.1.0",
                            "Finds MCP servers in Claude Desktop, Cursor and VS Code config files", kConfigKeys)
