#pragma once
// Host configuration: one table of keys (defaults, types, help) is the single source for defaults,
// validation, `--help-config` and docs/configuration.md. Precedence, highest first:
//   -Dkey=value on the command line > MC_* environment variables > the --config file > defaults.
// An environment variable overrides a key by upper-casing it, '.' -> '_', with the prefix MC_
// (http.port -> MC_HTTP_PORT).

#include <Poco/AutoPtr.h>
#include <Poco/Util/AbstractConfiguration.h>
#include <Poco/Util/LayeredConfiguration.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mc::host {

// Invalid configuration; the message names the key, the value and what was expected.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class KeyType { String, Int, Bool, Enum };

struct HostKeySpec {
    const char* key;
    KeyType type;
    const char* defaultValue; // "" = empty/unset
    const char* description;
    long long min = 0;        // Int only
    long long max = 0;        // Int only
    std::vector<std::string> choices{}; // Enum only
};

const std::vector<HostKeySpec>& hostKeys();

// MC_HTTP_PORT for http.port.
std::string environmentVariableFor(const std::string& key);

// Looks keys up in the environment by their MC_* name. `lookup` returns nullopt when unset.
class EnvironmentLayer : public Poco::Util::AbstractConfiguration {
public:
    using Lookup = std::function<std::optional<std::string>(const std::string& name)>;
    explicit EnvironmentLayer(Lookup lookup);
    static Lookup processEnvironment();

protected:
    bool getRaw(const std::string& key, std::string& value) const override;
    void setRaw(const std::string& key, const std::string& value) override;
    void enumerate(const std::string& key, Keys& range) const override;

private:
    Lookup lookup_;
};

// Priorities in a LayeredConfiguration (lower is consulted first). Poco's Application puts its
// writable layer (where -D lands) at -100.
constexpr int kPriorityCommandLine = -100;
constexpr int kPriorityEnvironment = -50;
constexpr int kPriorityFile = 0;
constexpr int kPriorityDefaults = 150;

// Adds the environment, the file (if any) and the defaults layers. Throws ConfigError when the file
// cannot be read.
void addConfigurationLayers(Poco::Util::LayeredConfiguration& config, const std::string& file,
                            EnvironmentLayer::Lookup environment);

// Reading declared host keys (one way for every module): the value, or its default, checked against
// the key's type and range. Each throws ConfigError naming the key, the value and what was expected;
// a key missing from the table is a programming error (std::logic_error).
const HostKeySpec& hostKey(const std::string& key);
std::string describeExpected(const HostKeySpec& spec);
ConfigError badValue(const std::string& key, const std::string& value, const std::string& expected);
std::string readValue(const Poco::Util::AbstractConfiguration& config, const std::string& key); // trimmed
long long readInt(const Poco::Util::AbstractConfiguration& config, const std::string& key);
bool readBool(const Poco::Util::AbstractConfiguration& config, const std::string& key);
std::vector<std::string> readList(const Poco::Util::AbstractConfiguration& config, const std::string& key); // comma-separated, trimmed, no empty items
std::string readEnum(const Poco::Util::AbstractConfiguration& config, const std::string& key); // lower-cased choice

// Every key under `prefix` that has a value (leaves of the tree, and inner keys that have one).
std::vector<std::string> leafKeys(const Poco::Util::AbstractConfiguration& config, const std::string& prefix);

// Keys under the host's own namespaces that no table row (or plugin) declares: likely typos.
std::vector<std::string> unknownHostKeys(const Poco::Util::AbstractConfiguration& config);

// Markdown table of the host keys (docs/configuration.md is checked against it by a test).
std::string hostKeysMarkdown();

} // namespace mc::host
