#pragma once
// The keys the host reads for each discovery source, under discovery.<source>. (docs/discovery.md).
// A plugin declares them among its config keys with the defaults that fit its source (mDNS is off
// unless enabled; a config file's stdio entries are the operator's own commands); a key the plugin
// does not declare gets the safest default here.
#include "discovery/AddressPolicy.h"
#include "plugin/LoadedPlugin.h"

#include "mc/package_spec.hpp"

#include <Poco/Util/AbstractConfiguration.h>

#include <set>
#include <string>
#include <vector>

namespace mc::host {

enum class DiscoveryPolicy { ListOnly, AutoConnect };
const char* policyName(DiscoveryPolicy policy); // "list-only", "auto-connect"

// Which stdio servers a source may have started (discovery.<source>.stdio).
enum class StdioRule {
    None,     // none: the source never starts a command (the default)
    Packages, // packages: only registry packages pinned in allow_packages, as their one command line
    Commands  // commands: the command lines the source reports (its files are the operator's own)
};
const char* stdioRuleName(StdioRule rule); // "none", "packages", "commands"

struct DiscoverySourceSettings {
    std::string pluginId;  // "discovery-registry"
    std::string name;      // "registry"
    DiscoveryPolicy policy = DiscoveryPolicy::ListOnly;
    StdioRule stdio = StdioRule::None;
    std::set<sdk::package::PackageSpec> allowedPackages; // allow_packages: npm:@scope/name@1.2.3, ...
    std::vector<HostPattern> allowedRemotes;             // allow_remotes: remotes that may be auto-connected
    std::set<AddressClass> allowedAddressClasses;        // allow_private_addresses: besides public addresses

    std::string key(const std::string& leaf) const { return "discovery." + name + "." + leaf; }
};

// discovery.<name>.enabled, else the plugin's declared default, else true. Throws ConfigError naming
// the key for a value that is not a boolean.
bool discoverySourceEnabled(const Poco::Util::AbstractConfiguration& config, const std::string& name,
                            const std::vector<ConfigKeyInfo>& declared = {});

// Reads policy, stdio, allow_packages, allow_remotes and allow_private_addresses (each: the configured
// value, else the plugin's declared default, else the safest one); throws ConfigError naming the key
// and the bad entry.
DiscoverySourceSettings readDiscoverySourceSettings(const Poco::Util::AbstractConfiguration& config,
                                                    const std::string& pluginId, const std::string& name,
                                                    const std::vector<ConfigKeyInfo>& declared = {});

} // namespace mc::host
