#pragma once
// discovery-files: the MCP server lists users already keep — Claude Desktop's
// claude_desktop_config.json ({"mcpServers": {name: {command,args,env} | {url,type,headers}}}) and
// Cursor / VS Code mcp.json ("mcpServers" or "servers", entries with type stdio|http|sse). Polls each
// file (modification time and size, then a content hash) and reports what was added, changed or
// removed. Polling, not inotify: it works for files that do not exist yet, on every file system, and
// costs one stat per file per interval.
#include "mc/periodic_worker.hpp"
#include "mc/sdk.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mc::discovery_files {

struct Settings {
    std::vector<std::string> paths;
    std::int64_t pollIntervalMs = 0;
};

// The keys under discovery.files., declared once (types, defaults, ranges, choices, help).
constexpr mc::sdk::Key<Settings> kSettings[] = {
    mc::sdk::key("paths", &Settings::paths).required()
        .example("/home/me/.config/Claude/claude_desktop_config.json, /srv/app/.vscode/mcp.json")
        .help("Comma list of MCP client configuration files to read: Claude Desktop's claude_desktop_config.json, Cursor's or VS Code's mcp.json"),
    mc::sdk::key("poll_interval_ms", &Settings::pollIntervalMs).byDefault("2000").range(10, 86400000)
        .help("How often each file is checked for changes (modification time and size, then content), in milliseconds"),
    // Read by the host's discovery service (docs/discovery.md), declared here with this source's defaults:
    // the files are the operator's own MCP client configuration, so under auto-connect their commands
    // start and their remotes connect as written, on loopback and LAN addresses too.
    mc::sdk::key<Settings>("enabled", MC_CONFIG_BOOL).byDefault("true")
        .help("false: the plugin is loaded but not started (read by the host)"),
    mc::sdk::key<Settings>("policy", MC_CONFIG_ENUM).choices("auto-connect,list-only").byDefault("list-only")
        .help("auto-connect: the host connects (and for stdio entries starts) what these files declare; list-only: it only lists them (read by the host)"),
    mc::sdk::key<Settings>("stdio", MC_CONFIG_ENUM).choices("commands,packages,none").byDefault("commands")
        .help("Which stdio entries the host may start under auto-connect: commands (as the file declares them) or none (read by the host)"),
    mc::sdk::key<Settings>("allow_remotes", MC_CONFIG_LIST).byDefault("*")
        .help("Comma list of host patterns of remote (http/sse) entries that may be auto-connected, e.g. *.example.com, 127.0.0.1:3001; * (the default): every one the files declare (read by the host)"),
    mc::sdk::key<Settings>("allow_private_addresses", MC_CONFIG_LIST).byDefault("loopback, lan")
        .help("Comma list of address classes entries may be probed and connected on besides public ones: loopback, link-local, lan, metadata (read by the host)"),
};

class FilesDiscovery : public mc::sdk::DiscoveryPlugin {
public:
    FilesDiscovery(mc::sdk::Host host, const Settings& settings, mc::sdk::Discovered out);
    ~FilesDiscovery() override;

    void start() override;
    void stop() override;
    void refresh() override;

private:
    struct WatchedFile {
        std::string path;
        bool seen = false;          // stat'ed at least once
        long long mtimeNs = -1;
        long long size = -1;
        std::size_t hash = 0;
        std::string error;          // the file's current problem ("" when its last read was good)
        std::map<std::string, mc::sdk::FoundServer> entries; // key -> found server (the last good list)
    };

    // One pass over the files on the worker (`force`: re-read every file).
    void step(bool force);
    // Re-reads `file` when it changed; returns true when anything was reported.
    bool scan(WatchedFile& file, bool force);
    void replaceEntries(WatchedFile& file, std::map<std::string, mc::sdk::FoundServer> entries);
    void reportState();

    std::vector<WatchedFile> files_;
    std::chrono::milliseconds pollInterval_;

    mc::sdk::PeriodicWorker worker_;
};

// The servers of one config file's text (key "<path>#<name>" -> found server: server_json
// {"transport", command/args/env | url/headers}, details_json {"file", "format", "entry"}). Throws
// std::runtime_error with the JSON error position when the text is not valid JSON or not an object.
std::map<std::string, mc::sdk::FoundServer> parseConfigFile(const std::string& path, const std::string& text);

} // namespace mc::discovery_files
