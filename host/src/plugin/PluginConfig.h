#pragma once
// A plugin instance's configuration from the host's: the keys under the plugin's config_prefix,
// checked against what the plugin declares (types, ranges, choices, required, secret) and turned
// into the typed config_json of ABI 2 (numbers, booleans, LIST arrays, OBJECT objects, ENUM
// lower-case). The rules and the messages are the SDK's (mc::sdk::detail::valueFromText), the very
// ones the fake host of mc/sdk_test.hpp applies, so a plugin tested there is configured alike here.
#include "plugin/LoadedPlugin.h"

#include <Poco/Util/AbstractConfiguration.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace mc::host {

struct ResolvedPluginConfig {
    std::string json = "{}";                   // config_json handed to create()
    std::map<std::string, std::string> values; // key -> its value as JSON text (config_get)
};

// Resolves the text of a SECRET key (`${env:NAME}`, `${file:/path}`) into the value; throws
// std::exception with a message naming `fullKey` but never the value. The host passes the gateway's
// placeholder resolver (gateway/SecretPlaceholders.h).
using SecretResolver = std::function<std::string(const std::string& fullKey, const std::string& text)>;

struct PluginConfigOptions {
    SecretResolver secrets;          // none: secret values are taken as written
    std::set<std::string> hostKeys;  // relative names the host reads itself (e.g. a discovery source's
                                     // "enabled"): never refused as undeclared, passed on only when declared
};

// The configuration of one instance of `plugin`: every declared key under plugin.configPrefix, defaults
// applied. Throws ConfigError ("invalid configuration: <prefix>.<key> ...") for a bad value, a missing
// required key, or a key under the prefix the plugin does not declare.
ResolvedPluginConfig resolvePluginConfig(const Poco::Util::AbstractConfiguration& config, const PluginInfo& plugin,
                                         const PluginConfigOptions& options = {});

// The same from keys already relative to the prefix (tests, tools, a .properties example).
ResolvedPluginConfig resolvePluginConfig(const std::map<std::string, std::string>& relative, const PluginInfo& plugin,
                                         const PluginConfigOptions& options = {});

// The first key `declared` requires that is absent under `prefix` (the key resolvePluginConfig
// refuses as missing), or nullptr when every required key is there.
const ConfigKeyInfo* firstMissingRequiredKey(const Poco::Util::AbstractConfiguration& config, const std::string& prefix,
                                             const std::vector<ConfigKeyInfo>& declared);

// "an integer in [10, 600000]", "one of a, b", ...: what a key accepts (--help-config, /api/plugins).
std::string expectedValue(const ConfigKeyInfo& key);

} // namespace mc::host
