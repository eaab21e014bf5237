#pragma once
// Host configuration: one table of keys (defaults, types, help) is the single source for defaults,
// validation, `--help-config` and docs/configuration.md. Precedence, highest first:
//   -Dkey=value on the command line > MC_* environment variables > the --config file > defaults.
// An environment variable overrides a key by upper-casing it, '.' -> '_', with the prefix MC_
// (http.port -> MC_HTTP_PORT).
#include "ingest/StoreWriter.h"
#include "log/Logging.h"
#include "net/HttpServer.h"
#include "plugin/LoadedPlugin.h"
#include "web/RequestGuard.h"
#include "web/ws/WebSocketSettings.h"

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

struct IngestSettings {
    StoreWriterSettings writer;
    std::chrono::milliseconds ackTimeout{10000};
    std::size_t threadCacheSize = 100000;
};

struct HostSettings {
    std::string httpHost;
    std::uint16_t httpPort = 8000;
    int httpMaxThreads = 16;
    int httpMaxQueued = 64;
    std::size_t httpMaxBodyBytes = 1 << 20;
    net::HttpServerSettings http;  // the http.* keys the server applies (host, port and limits included)
    RequestGuardSettings guard;    // http.allowed_hosts, http.allowed_origins
    bool allowRemoteWithoutAuth = false;
    std::string pluginsDir;
    std::string storeBackend;
    std::string migrationsDir;
    logging::Settings log;
    std::string jwtSecret;
    std::string jwtIssuer;
    WebSocketSettings ws;
    std::chrono::milliseconds drainTimeout{3000};
    std::chrono::milliseconds discoveryProbeTimeout{5000};
    std::chrono::milliseconds discoveryProbeRetry{10000};
    IngestSettings ingest;
};

// Reads and validates every host key. `executableDir` resolves the "auto" defaults of plugins.dir
// and store.migrations.dir. Throws ConfigError naming the first bad key.
HostSettings readHostSettings(const Poco::Util::AbstractConfiguration& config, const std::string& executableDir);

// Keys under the host's own namespaces that no table row (or plugin) declares: likely typos.
std::vector<std::string> unknownHostKeys(const Poco::Util::AbstractConfiguration& config);

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

// Markdown table of the host keys (docs/configuration.md is checked against it by a test).
std::string hostKeysMarkdown();

} // namespace mc::host
