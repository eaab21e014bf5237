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
#include <map>
#include <string>
#include <vector>

namespace mc::discovery_files {

class FilesDiscovery : public mc::sdk::DiscoveryPlugin {
public:
    FilesDiscovery(mc::sdk::Host host, std::string_view configJson);
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
        std::map<std::string, std::string> entries; // key -> found report (the last good list)
    };

    // One pass over the files on the worker (`force`: re-read every file).
    void step(bool force);
    // Re-reads `file` when it changed; returns true when anything was reported.
    bool scan(WatchedFile& file, bool force);
    void replaceEntries(WatchedFile& file, std::map<std::string, std::string> entries);
    void emitState();

    std::vector<WatchedFile> files_;
    std::chrono::milliseconds pollInterval_;

    mc::sdk::PeriodicWorker worker_;
};

// The found reports of one config file's text (key -> report JSON). Throws std::runtime_error with
// the JSON error position when the text is not valid JSON or not an object.
std::map<std::string, std::string> parseConfigFile(const std::string& path, const std::string& text);

} // namespace mc::discovery_files
