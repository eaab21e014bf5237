// The descriptor of discovery-files: its keys (under discovery.files.), declared once in kSettings.
#include "FilesDiscovery.h"

MC_DECLARE_DISCOVERY_PLUGIN(mc::discovery_files::FilesDiscovery, "discovery-files", "0.2.0",
                            "Finds MCP servers in Claude Desktop, Cursor and VS Code config files", "discovery.files",
                            mc::discovery_files::kSettings)
