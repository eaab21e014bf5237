#include "discovery/DiscoverySettings.h"

#include "config/HostConfig.h"

#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

namespace mc::host {
namespace {

// The configured value of discovery.<name>.<leaf>, else the declared default, else `fallback`.
std::string valueOf(const Poco::Util::AbstractConfiguration& config, const std::string& name, const std::string& leaf,
                    const std::vector<ConfigKeyInfo>& declared, const std::string& fallback) {
    const std::string key = "discovery." + name + "." + leaf;
    if (config.hasProperty(key)) return Poco::trim(config.getRawString(key));
    for (const auto& k : declared)
        if (k.name == leaf && k.hasDefault) return k.defaultValue;
    return fallback;
}

} // namespace

const char* policyName(DiscoveryPolicy policy) {
    return policy == DiscoveryPolicy::AutoConnect ? "auto-connect" : "list-only";
}

const char* stdioRuleName(StdioRule rule) {
    switch (rule) {
    case StdioRule::Packages: return "packages";
    case StdioRule::Commands: return "commands";
    case StdioRule::None: break;
    }
    return "none";
}

bool discoverySourceEnabled(const Poco::Util::AbstractConfiguration& config, const std::string& name,
                            const std::vector<ConfigKeyInfo>& declared) {
    const std::string value = valueOf(config, name, "enabled", declared, "true");
    bool enabled = true;
    if (!Poco::NumberParser::tryParseBool(value, enabled))
        throw ConfigError("invalid configuration: discovery." + name + ".enabled = '" + value + "': expected true or false");
    return enabled;
}

DiscoverySourceSettings readDiscoverySourceSettings(const Poco::Util::AbstractConfiguration& config,
                                                    const std::string& pluginId, const std::string& name,
                                                    const std::vector<ConfigKeyInfo>& declared) {
    DiscoverySourceSettings s;
    s.pluginId = pluginId;
    s.name = name;
    auto value = [&](const std::string& leaf, const std::string& fallback) {
        return valueOf(config, name, leaf, declared, fallback);
    };

    const std::string policy = Poco::toLower(value("policy", "list-only"));
    if (policy == "auto-connect") s.policy = DiscoveryPolicy::AutoConnect;
    else if (policy != "list-only")
        throw ConfigError("invalid configuration: " + s.key("policy") + " = '" + policy + "': expected auto-connect or list-only");

    const std::string stdio = Poco::toLower(value("stdio", "none"));
    if (stdio == "packages") s.stdio = StdioRule::Packages;
    else if (stdio == "commands") s.stdio = StdioRule::Commands;
    else if (stdio != "none")
        throw ConfigError("invalid configuration: " + s.key("stdio") + " = '" + stdio + "': expected packages, commands or none");

    Poco::StringTokenizer packages(value("allow_packages", ""), ",",
                                   Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& entry : packages) {
        sdk::package::PackageSpec spec;
        std::string error;
        if (!sdk::package::parse(entry, spec, error))
            throw ConfigError("invalid configuration: " + s.key("allow_packages") + " entry '" + entry + "': " + error +
                              " (expected <registryType>:<identifier>@<version>, e.g. npm:@scope/name@1.2.3)");
        s.allowedPackages.insert(spec);
    }
    s.allowedRemotes = parseHostPatterns(value("allow_remotes", ""), s.key("allow_remotes"));
    s.allowedAddressClasses = parseAddressClasses(value("allow_private_addresses", ""), s.key("allow_private_addresses"));
    return s;
}

} // namespace mc::host
