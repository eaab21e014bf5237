#pragma once
// Shared by the store tests: load a real store plugin (store-sqlite.so, store-postgres.so), start a
// StoreService on it (a temp SQLite file, a database of tests/support/PostgresServer). ABI 2: the
// configuration is resolved from the plugin's declared keys into typed config_json, and every
// instance reports into storeStatuses().
#include "RawSqlite.h"
#include "plugin/HostContext.h"
#include "plugin/LoadedPlugin.h"
#include "config/HostConfig.h"
#include "plugin/PluginConfig.h"
#include "plugin/PluginRegistry.h"
#include "plugin/PluginStatus.h"
#include "store/MigrationRunner.h"
#include "store/StoreService.h"

#include <Poco/JSON/Object.h>
#include <boost/filesystem.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mc::test {

// A real store plugin (<id>.so) through the host's loader, loaded once per test program.
inline std::shared_ptr<const host::LoadedPlugin> storePlugin(const std::string& id) {
    static std::map<std::string, std::shared_ptr<const host::LoadedPlugin>> loaded;
    auto& plugin = loaded[id];
    if (!plugin) {
        host::PluginRegistry registry;
        const std::string path = std::string(MC_TEST_PLUGIN_DIR) + "/" + id + ".so";
        if (!registry.loadFile(path)) throw std::runtime_error(id + ".so refused: " + registry.report().back().reason);
        plugin = registry.find(id);
    }
    return plugin;
}

inline std::shared_ptr<const host::LoadedPlugin> sqliteStorePlugin() { return storePlugin("store-sqlite"); }

// A JSON object from text (tests/support/TestHttp.cpp), for store results and health.
Poco::JSON::Object::Ptr parseObject(const std::string& text);

inline std::string shippedMigrationsDir() { return std::string(MC_TEST_BUILD_DIR) + "/share/mission-control/migrations"; }

// The version a fresh database of `dialect` reaches with the shipped migrations.
inline int64_t shippedSchemaVersion(const std::string& dialect = "sqlite") {
    return host::MigrationRunner(shippedMigrationsDir(), dialect, "store." + dialect).scan().back().version;
}

// The status table the test stores report into (one per test program).
inline host::PluginStatusTable& storeStatuses() {
    static host::PluginStatusTable table;
    return table;
}

// The plugin's declared defaults overlaid with `overrides` (keys relative to its config_prefix), as
// the host resolves them. `backend` is the store.backend value: plugin store-<backend>.
inline std::unique_ptr<host::HostContext> storeContext(std::map<std::string, std::string> overrides,
                                                       const std::string& backend = "sqlite") {
    const auto plugin = storePlugin("store-" + backend);
    return std::make_unique<host::HostContext>("store-" + backend, "test",
                                               host::resolvePluginConfig(overrides, plugin->info), &storeStatuses(),
                                               "store");
}

// A StoreService on store-<backend> configured with `overrides`, migrated with the shipped migrations.
inline std::unique_ptr<host::StoreService> openBackendStore(const std::string& backend,
                                                            std::map<std::string, std::string> overrides,
                                                            const std::string& migrationsDir = shippedMigrationsDir()) {
    return std::make_unique<host::StoreService>(storePlugin("store-" + backend), storeContext(std::move(overrides), backend),
                                                migrationsDir, storeStatuses());
}

inline std::unique_ptr<host::StoreService> openStore(const std::string& dbPath,
                                                     const std::string& migrationsDir = shippedMigrationsDir(),
                                                     std::map<std::string, std::string> overrides = {}) {
    overrides["path"] = dbPath;
    return openBackendStore("sqlite", std::move(overrides), migrationsDir);
}

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
public:
    TempDir() : path_(boost::filesystem::temp_directory_path() / boost::filesystem::unique_path("mc-store-%%%%-%%%%-%%%%")) {
        boost::filesystem::create_directories(path_);
    }
    ~TempDir() {
        boost::system::error_code ec;
        boost::filesystem::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    const boost::filesystem::path& path() const { return path_; }

private:
    boost::filesystem::path path_;
};

} // namespace mc::test
