#pragma once
// Shared by the store tests: load a real store plugin (store-sqlite.so, store-postgres.so), start a
// StoreService on it (a temp SQLite file, a database of tests/support/PostgresServer). ABI 2: the
// configuration is resolved from the plugin's declared keys into typed config_json, and every
// instance reports into storeStatuses().
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

#include <sqlite3.h>

namespace mc::test {

// Direct access to a test database, independent of the store under test.
class RawSqlite {
public:
    explicit RawSqlite(const std::string& path) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
            throw std::runtime_error("cannot open " + path + ": " + sqlite3_errmsg(db_));
        sqlite3_busy_timeout(db_, 10000);
    }
    ~RawSqlite() { sqlite3_close(db_); }
    RawSqlite(const RawSqlite&) = delete;
    RawSqlite& operator=(const RawSqlite&) = delete;

    void exec(const std::string& sql) {
        char* message = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
            std::string text = message ? message : "?";
            sqlite3_free(message);
            throw std::runtime_error("sql failed: " + text);
        }
    }
    // The first column of every row, as text ("NULL" for null).
    std::vector<std::string> column(const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
            throw std::runtime_error("prepare failed: " + std::string(sqlite3_errmsg(db_)));
        std::vector<std::string> out;
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            const auto* text = sqlite3_column_text(stmt, 0);
            out.emplace_back(text ? reinterpret_cast<const char*>(text) : "NULL");
        }
        sqlite3_finalize(stmt);
        return out;
    }
    std::string scalar(const std::string& sql) {
        auto rows = column(sql);
        if (rows.empty()) throw std::runtime_error("no row for: " + sql);
        return rows.front();
    }

private:
    sqlite3* db_ = nullptr;
};

} // namespace mc::test
