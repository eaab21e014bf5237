#include "plugin/PluginConfig.h"

#include "config/HostConfig.h"

#include <Poco/AutoPtr.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/Util/MapConfiguration.h>

namespace mc::host {

const ConfigKeyInfo* firstMissingRequiredKey(const Poco::Util::AbstractConfiguration& config, const std::string& prefix,
                                             const std::vector<ConfigKeyInfo>& declared) {
    for (const auto& key : declared)
        if (key.required && !key.hasDefault && !config.hasProperty(prefix + "." + key.name)) return &key;
    return nullptr;
}

std::map<std::string, std::string> pluginInstanceConfig(const Poco::Util::AbstractConfiguration& config,
                                                        const std::string& prefix,
                                                        const std::vector<ConfigKeyInfo>& declared) {
    if (const ConfigKeyInfo* missing = firstMissingRequiredKey(config, prefix, declared))
        throw ConfigError("invalid configuration: " + prefix + "." + missing->name + " is required (" +
                          missing->description + ")");
    std::map<std::string, std::string> out;
    for (const auto& full : leafKeys(config, prefix)) {
        if (full.size() <= prefix.size() + 1) continue;
        out[full.substr(prefix.size() + 1)] = Poco::trim(config.getRawString(full, ""));
    }
    for (const auto& key : declared) {
        const std::string full = prefix + "." + key.name;
        // The environment layer cannot enumerate, so ask for each declared key explicitly.
        std::string value;
        if (config.hasProperty(full))
            value = Poco::trim(config.getRawString(full, ""));
        else if (key.hasDefault)
            value = key.defaultValue;
        else
            continue; // optional and unset (a missing required key was refused above)
        switch (key.type) {
        case MC_CONFIG_INT: {
            Poco::Int64 parsed;
            if (!Poco::NumberParser::tryParse64(value, parsed)) throw badValue(full, value, "an integer");
            break;
        }
        case MC_CONFIG_BOOL: {
            bool parsed;
            if (!Poco::NumberParser::tryParseBool(value, parsed)) throw badValue(full, value, "true or false");
            break;
        }
        case MC_CONFIG_DOUBLE: {
            double parsed;
            if (!Poco::NumberParser::tryParseFloat(value, parsed)) throw badValue(full, value, "a number");
            break;
        }
        default: break;
        }
        out[key.name] = value;
    }
    return out;
}

std::map<std::string, std::string> pluginInstanceConfig(const std::map<std::string, std::string>& relative,
                                                        const std::string& prefix,
                                                        const std::vector<ConfigKeyInfo>& declared) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> map(new Poco::Util::MapConfiguration);
    for (const auto& [key, value] : relative) map->setString(prefix + "." + key, value);
    return pluginInstanceConfig(*map, prefix, declared);
}

} // namespace mc::host
