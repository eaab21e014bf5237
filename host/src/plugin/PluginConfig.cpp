#include "plugin/PluginConfig.h"

#include "config/HostConfig.h"

#include "mc/sdk.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/String.h>
#include <Poco/Util/MapConfiguration.h>

namespace mc::host {
namespace {

namespace sdkd = mc::sdk::detail;

std::string joinKeys(const std::vector<ConfigKeyInfo>& keys) {
    std::string out;
    for (const auto& k : keys) {
        if (!out.empty()) out += ", ";
        out += k.name + (k.type == MC_CONFIG_OBJECT ? ".<name>" : "");
    }
    return out.empty() ? "none" : out;
}

bool isUnder(const std::string& key, const std::string& name) {
    return key.size() > name.size() + 1 && key.compare(0, name.size(), name) == 0 && key[name.size()] == '.';
}

ConfigError invalid(const std::string& message) { return ConfigError("invalid configuration: " + message); }

} // namespace

const ConfigKeyInfo* firstMissingRequiredKey(const Poco::Util::AbstractConfiguration& config, const std::string& prefix,
                                             const std::vector<ConfigKeyInfo>& declared) {
    for (const auto& key : declared) {
        if (!key.required || key.hasDefault) continue;
        const std::string full = prefix + "." + key.name;
        const bool present = key.type == MC_CONFIG_OBJECT ? !leafKeys(config, full).empty() : config.hasProperty(full);
        if (!present) return &key;
    }
    return nullptr;
}

std::string expectedValue(const ConfigKeyInfo& key) { return sdkd::expected(key.abi()); }

ResolvedPluginConfig resolvePluginConfig(const Poco::Util::AbstractConfiguration& config, const PluginInfo& plugin,
                                         const PluginConfigOptions& options) {
    const std::string& prefix = plugin.configPrefix;
    const auto full = [&](const std::string& key) { return prefix + "." + key; };
    // Every key written under the prefix must be declared (a misspelt key fails instead of being ignored).
    for (const auto& written : leafKeys(config, prefix)) {
        if (written.size() <= prefix.size() + 1) continue;
        const std::string key = written.substr(prefix.size() + 1);
        bool known = options.hostKeys.count(key) > 0;
        for (const auto& k : plugin.configKeys) {
            if (key == k.name) {
                if (k.type == MC_CONFIG_OBJECT)
                    throw invalid(written + " = '" + (k.secret ? std::string("(secret)") : Poco::trim(config.getRawString(written, ""))) +
                                  "': expected " + expectedValue(k));
                known = true;
            } else if (k.type == MC_CONFIG_OBJECT && isUnder(key, k.name)) {
                known = true;
            }
        }
        if (!known) throw invalid(written + " is not a key of " + plugin.id + " (its keys: " + joinKeys(plugin.configKeys) + ")");
    }
    ResolvedPluginConfig out;
    mc::sdk::json::Value object = mc::sdk::json::Value::object();
    for (const auto& k : plugin.configKeys) {
        const mc_config_key abi = k.abi();
        const std::string name = full(k.name);
        const auto missing = [&] { return invalid(name + " is required and not set (" + k.description + ")"); };
        try {
            if (k.type == MC_CONFIG_OBJECT) {
                mc::sdk::json::Value members = mc::sdk::json::Value::object();
                for (const auto& written : leafKeys(config, name)) {
                    std::string text = Poco::trim(config.getRawString(written, ""));
                    if (k.secret && options.secrets) text = options.secrets(written, text);
                    members.set(written.substr(name.size() + 1), mc::sdk::json::Value::string(text));
                }
                if (members.members().empty()) {
                    if (k.required) throw missing();
                    continue;
                }
                out.values[k.name] = members.dump();
                object.set(k.name, std::move(members));
                continue;
            }
            std::string text;
            // The environment layer cannot enumerate, so each declared key is asked for explicitly.
            if (config.hasProperty(name)) {
                text = Poco::trim(config.getRawString(name, ""));
                if (k.secret && options.secrets) text = options.secrets(name, text);
            } else if (k.hasDefault) {
                text = k.defaultValue;
            } else if (k.required) {
                throw missing();
            } else {
                continue;
            }
            mc::sdk::json::Value value = sdkd::valueFromText(abi, name, text);
            out.values[k.name] = value.dump();
            object.set(k.name, std::move(value));
        } catch (const mc::sdk::Error& e) {
            throw invalid(e.what());
        } catch (const ConfigError&) {
            throw;
        } catch (const std::exception& e) {
            // A secret that cannot be resolved: the resolver's message names the key, never the value.
            throw invalid(e.what());
        }
    }
    out.json = object.dump();
    return out;
}

ResolvedPluginConfig resolvePluginConfig(const std::map<std::string, std::string>& relative, const PluginInfo& plugin,
                                         const PluginConfigOptions& options) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> map(new Poco::Util::MapConfiguration);
    for (const auto& [key, value] : relative) map->setString(plugin.configPrefix + "." + key, value);
    return resolvePluginConfig(*map, plugin, options);
}

} // namespace mc::host
