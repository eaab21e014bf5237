#include "mcpserver/McpProfiles.h"

#include "config/HostConfig.h"
#include "policy/PermissionPolicy.h"

#include <Poco/String.h>

#include <algorithm>
#include <set>

namespace mc::host {
namespace {

const std::string kPrefix = "mcp.profiles";

bool validName(const std::string& name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
           });
}

} // namespace

bool McpProfile::offersServer(const std::string& serverId) const { return PermissionPolicy::anyGlobMatches(servers, serverId); }

bool McpProfile::offersTool(const std::string& serverId, const std::string& tool) const {
    return offersServer(serverId) && PermissionPolicy::anyGlobMatches(tools, serverId + McpNames::kSeparator + tool);
}

std::map<std::string, McpProfile> readMcpProfiles(const Poco::Util::AbstractConfiguration& config, PrefixMode defaultPrefix) {
    static const std::set<std::string> attributes = {"servers", "tools", "prefix"};
    std::map<std::string, McpProfile> out;
    out[""] = McpProfile{"", {}, {}, defaultPrefix};
    Poco::Util::AbstractConfiguration::Keys names;
    config.keys(kPrefix, names);
    for (const auto& name : names) {
        const std::string base = kPrefix + "." + name;
        if (!validName(name))
            throw ConfigError("invalid configuration: " + base + ": a profile's name is 1 to 64 of a-z, 0-9, '_' and '-' (it is a path: /mcp/<name>)");
        Poco::Util::AbstractConfiguration::Keys keys;
        config.keys(base, keys);
        if (keys.empty()) throw ConfigError("invalid configuration: " + base + " = '" + config.getRawString(base, "") +
                                            "': a profile has servers, tools and prefix (" + base + ".servers = ...)");
        for (const auto& k : keys)
            if (!attributes.count(k))
                throw ConfigError("invalid configuration: unknown key " + base + "." + k + " (a profile has servers, tools, prefix)");
        McpProfile profile{name, PermissionPolicy::globList(config.getRawString(base + ".servers", "")),
                           PermissionPolicy::globList(config.getRawString(base + ".tools", "")),
                           defaultPrefix};
        if (config.hasProperty(base + ".prefix")) {
            const std::string value = Poco::toLower(Poco::trim(config.getRawString(base + ".prefix")));
            const auto mode = prefixModeFromName(value);
            if (!mode)
                throw ConfigError("invalid configuration: " + base + ".prefix = '" + value + "': expected always, conditional or never");
            profile.prefix = *mode;
        }
        out[name] = std::move(profile);
    }
    return out;
}

} // namespace mc::host
