#pragma once
// Profiles of /mcp (ContextForge calls them virtual servers): /mcp/<profile> offers a chosen subset of
// the upstream servers and their tools, so one host serves differently scoped agents. /mcp itself is
// the profile "" with every server and tool. docs/mcp-server.md#profiles.
//
//   mcp.profiles.<name>.servers = github, fs-*      globs of server ids (empty or absent: every server)
//   mcp.profiles.<name>.tools   = github__get_*     globs of <server>__<tool> (absent: every tool of its servers)
//   mcp.profiles.<name>.prefix  = conditional       always | conditional | never (absent: mcp.endpoint.prefix)
#include "mcpserver/McpNames.h"

#include <Poco/Util/AbstractConfiguration.h>

#include <map>
#include <string>
#include <vector>

namespace mc::host {

struct McpProfile {
    std::string name; // "" for /mcp
    std::vector<std::string> servers;
    std::vector<std::string> tools;
    PrefixMode prefix = PrefixMode::Always;

    bool offersServer(const std::string& serverId) const;
    bool offersTool(const std::string& serverId, const std::string& tool) const;
};

// Every mcp.profiles.<name>.* of `config`, and "" (every server, `defaultPrefix`). Throws ConfigError
// naming the key for an unknown attribute, a bad prefix, or a name that is not [a-z0-9_-]{1,64}.
std::map<std::string, McpProfile> readMcpProfiles(const Poco::Util::AbstractConfiguration& config, PrefixMode defaultPrefix);

} // namespace mc::host
