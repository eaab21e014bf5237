#pragma once
// A plugin instance's configuration from the host's: the keys under its prefix, checked against
// what the plugin declares.
#include "plugin/LoadedPlugin.h"

#include <Poco/Util/AbstractConfiguration.h>

#include <map>
#include <string>
#include <vector>

namespace mc::host {

// The configuration of one plugin instance: every key under `prefix` (prefix stripped), with the
// plugin's declared defaults applied and declared types checked. Throws ConfigError naming the full
// key for a bad value or a missing required key.
std::map<std::string, std::string> pluginInstanceConfig(const Poco::Util::AbstractConfiguration& config,
                                                        const std::string& prefix,
                                                        const std::vector<ConfigKeyInfo>& declared);

// The first key `declared` requires that has no default and is absent under `prefix` (the key
// pluginInstanceConfig refuses as missing), or nullptr when every required key is there.
const ConfigKeyInfo* firstMissingRequiredKey(const Poco::Util::AbstractConfiguration& config, const std::string& prefix,
                                    const std::vector<ConfigKeyInfo>& declared);

// The same, from keys already relative to `prefix` (tests and tools that hold a plain map).
std::map<std::string, std::string> pluginInstanceConfig(const std::map<std::string, std::string>& relative,
                                                        const std::string& prefix,
                                                        const std::vector<ConfigKeyInfo>& declared);

} // namespace mc::host
