#pragma once
// Shared by the store tests: load the real store-sqlite.so, start a StoreService on a temp database.
// The loading part is temporary: it will be replaced by mc::host::PluginRegistry once that is merged.
#include "plugin/HostContext.h"
#include "plugin/LoadedPlugin.h"
#include "store/StoreService.h"

#include <boost/filesystem.hpp>

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mc::test {

inline std::shared_ptr<const host::LoadedPlugin> loadStorePlugin(const std::string& path) {
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) throw std::runtime_error(std::string("dlopen failed: ") + dlerror());
    auto plugin = std::make_shared<host::LoadedPlugin>();
    plugin->library = std::shared_ptr<void>(handle, [](void* h) { dlclose(h); });
    auto entry = reinterpret_cast<mc_plugin_entry_fn>(dlsym(handle, MC_PLUGIN_ENTRY_SYMBOL));
    if (!entry) throw std::runtime_error("no entry symbol in " + path);
    const mc_plugin_descriptor* d = entry();
    if (d->kind != MC_KIND_STORE) throw std::runtime_error(path + " is not a store");
    plugin->info.path = path;
    plugin->info.id.assign(d->id.ptr, d->id.len);
    plugin->info.version.assign(d->version.ptr, d->version.len);
    plugin->info.kind = d->kind;
    plugin->info.abiMajor = d->abi_major;
    plugin->info.abiMinor = d->abi_minor;
    for (std::size_t i = 0; i < d->config_key_count; ++i) {
        const mc_config_key& k = d->config_keys[i];
        host::ConfigKeyInfo key;
        key.name.assign(k.name.ptr, k.name.len);
        key.type = k.type;
        key.defaultValue.assign(k.default_value.ptr ? k.default_value.ptr : "", k.default_value.len);
        key.hasDefault = k.default_value.len > 0;
        key.required = k.required != 0;
        plugin->info.configKeys.push_back(key);
    }
    std::memcpy(&plugin->store, d->vtable, std::min(d->vtable_size, sizeof(mc_store_vtable)));
    return plugin;
}

inline std::shared_ptr<const host::LoadedPlugin> sqliteStorePlugin() {
    static auto plugin = loadStorePlugin(std::string(MC_TEST_PLUGIN_DIR) + "/store-sqlite.so");
    return plugin;
}

inline std::string shippedMigrationsDir() { return std::string(MC_TEST_BUILD_DIR) + "/share/mission-control/migrations"; }

// The plugin's declared defaults overlaid with `overrides`, as the host's config layer hands them on.
inline std::unique_ptr<host::HostContext> storeContext(std::map<std::string, std::string> overrides) {
    std::map<std::string, std::string> config;
    for (const auto& key : sqliteStorePlugin()->info.configKeys)
        if (key.hasDefault) config[key.name] = key.defaultValue;
    for (auto& [k, v] : overrides) config[k] = v;
    return std::make_unique<host::HostContext>("store-sqlite", "test", std::move(config), nullptr);
}

inline std::unique_ptr<host::StoreService> openStore(const std::string& dbPath,
                                                     const std::string& migrationsDir = shippedMigrationsDir(),
                                                     std::map<std::string, std::string> overrides = {}) {
    overrides["path"] = dbPath;
    return std::make_unique<host::StoreService>(sqliteStorePlugin(), storeContext(overrides), migrationsDir);
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
