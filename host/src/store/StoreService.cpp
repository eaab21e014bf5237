#include "store/StoreService.h"

#include "log/Logging.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace mc::host {
namespace {

mc_str str(std::string_view s) { return mc_str{s.data(), s.size()}; }

mc_status appendToString(void* ctx, mc_str chunk) noexcept {
    try {
        if (chunk.len) static_cast<std::string*>(ctx)->append(chunk.ptr, chunk.len);
        return MC_OK;
    } catch (...) {
        return MC_ERR_INTERNAL;
    }
}

// "store-sqlite" -> "store.sqlite.path": the configuration key a user changes to use another database.
std::string databaseKeyHint(const std::string& pluginId) {
    std::string key = pluginId;
    const auto dash = key.find('-');
    if (dash != std::string::npos) key[dash] = '.';
    return key + ".path";
}

} // namespace

// Migrations go through the same vtable as everything else; failures become StoreErrors.
class StoreService::Target : public MigrationTarget {
public:
    explicit Target(StoreService& service) : s_(service) {}

    int64_t schemaVersion() override {
        int64_t version = 0;
        std::string reason;
        const mc_status status = HostContext::call(reason, [&] { return s_.plugin_->store.schema_version(s_.instance_, &version); });
        if (status != MC_OK) s_.fail("reading the schema version", status, reason);
        return version;
    }
    void applyMigration(const MigrationFile& file) override {
        std::string reason;
        const mc_status status = HostContext::call(reason, [&] {
            return s_.plugin_->store.apply_migration(s_.instance_, file.version, str(file.name), str(file.sql));
        });
        if (status != MC_OK) s_.fail("applying migration '" + file.path + "'", status, reason);
    }
    std::optional<std::map<int64_t, std::string>> appliedChecksums() override {
        std::string rows, error;
        const mc_status status = s_.query("schema_migrations.list", "{}", rows, error);
        if (status == MC_ERR_UNSUPPORTED) return std::nullopt;
        if (status != MC_OK) s_.fail("listing applied migrations", status, error);
        std::map<int64_t, std::string> out;
        try {
            auto items = Poco::JSON::Parser().parse(rows).extract<Poco::JSON::Object::Ptr>()->getArray("items");
            for (std::size_t i = 0; items && i < items->size(); ++i) {
                auto item = items->getObject(static_cast<unsigned>(i));
                out[item->getValue<int64_t>("version")] = item->getValue<std::string>("checksum");
            }
        } catch (const std::exception& e) {
            s_.fail("listing applied migrations", MC_ERR_INTERNAL, std::string("unreadable result: ") + e.what());
        }
        return out;
    }

private:
    StoreService& s_;
};

StoreService::StoreService(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context,
                           const std::string& migrationsDir)
    : plugin_(std::move(plugin)), context_(std::move(context)) {
    if (!plugin_) throw StoreError("store: no plugin given");
    if (!context_) throw StoreError("store plugin '" + plugin_->info.id + "': no host context given");
    if (plugin_->info.kind != MC_KIND_STORE)
        throw StoreError("plugin '" + plugin_->info.id + "' is not a store");
    const auto& vt = plugin_->store;
    if (!vt.create || !vt.destroy || !vt.dialect || !vt.schema_version || !vt.apply_migration || !vt.write ||
        !vt.query || !vt.health)
        throw StoreError("store plugin '" + plugin_->info.id + "' lacks a required store function");

    auto log = logging::get("store");
    const std::string config = context_->configJson();
    std::string reason;
    mc_status status = HostContext::call(reason, [&] {
        return vt.create(HostContext::api(), context_->handle(), str(config), &instance_);
    });
    if (status != MC_OK || !instance_) {
        instance_ = nullptr;
        fail("create", status == MC_OK ? MC_ERR_INTERNAL : status, status == MC_OK ? "no instance returned" : reason);
    }
    try {
        if (vt.start) {
            status = HostContext::call(reason, [&] { return vt.start(instance_); });
            if (status != MC_OK) fail("start", status, reason);
        }
        started_ = true;
        const mc_str dialect = vt.dialect(instance_);
        if (!dialect.ptr || dialect.len == 0) fail("dialect", MC_ERR_INTERNAL, "the store names no SQL dialect");
        dialect_.assign(dialect.ptr, dialect.len);

        Target target(*this);
        MigrationRunner runner(migrationsDir, dialect_, databaseKeyHint(plugin_->info.id));
        try {
            migration_ = runner.run(target);
        } catch (const StoreError& e) {
            const std::string what = e.what();
            // Errors from the store already name the plugin; runner errors (files, versions) do not.
            if (what.rfind("store plugin '", 0) == 0) throw;
            throw StoreError("store plugin '" + plugin_->info.id + "': " + what);
        }
        log->info("store '{}' ready: dialect {}, schema version {} (was {}, applied {})", context_->qualifiedName(),
                  dialect_, migration_.toVersion, migration_.fromVersion, migration_.applied.size());
    } catch (...) {
        shutdown();
        throw;
    }
}

StoreService::~StoreService() { shutdown(); }

void StoreService::shutdown() noexcept {
    if (!instance_) return;
    try {
        std::string reason;
        if (started_ && plugin_->store.stop) {
            const mc_status status = HostContext::call(reason, [&] { return plugin_->store.stop(instance_); });
            if (status != MC_OK)
                logging::get("store")->warn("store plugin '{}': stop failed ({}): {}", plugin_->info.id,
                                            statusName(status), reason);
        }
        plugin_->store.destroy(instance_);
    } catch (...) {
    }
    instance_ = nullptr;
    started_ = false;
}

void StoreService::fail(const std::string& step, mc_status status, const std::string& reason) const {
    throw StoreError("store plugin '" + plugin_->info.id + "': " + step + " failed (" + statusName(status) +
                     "): " + reason);
}

const std::string& StoreService::pluginId() const { return plugin_->info.id; }

int64_t StoreService::schemaVersion() { return Target(*this).schemaVersion(); }

mc_status StoreService::write(std::string_view kind, std::string_view recordsJson, std::string& resultJson,
                              std::string& error) {
    resultJson.clear();
    mc_sink sink{&resultJson, &appendToString};
    return HostContext::call(error, [&] { return plugin_->store.write(instance_, str(kind), str(recordsJson), &sink); });
}

mc_status StoreService::query(std::string_view name, std::string_view paramsJson, std::string& resultJson,
                              std::string& error) {
    resultJson.clear();
    mc_sink sink{&resultJson, &appendToString};
    return HostContext::call(error, [&] { return plugin_->store.query(instance_, str(name), str(paramsJson), &sink); });
}

std::string StoreService::healthJson() {
    std::string raw, reason;
    mc_sink sink{&raw, &appendToString};
    const mc_status status = HostContext::call(reason, [&] { return plugin_->store.health(instance_, &sink); });

    Poco::JSON::Object::Ptr health;
    if (status == MC_OK) {
        try {
            Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true)); // keep the store's key order
            auto parsed = parser.parse(raw);
            if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) health = parsed.extract<Poco::JSON::Object::Ptr>();
            else reason = "health is not a JSON object";
        } catch (const Poco::Exception& e) {
            reason = "health is not valid JSON: " + e.displayText();
        }
    }
    if (!health) {
        health = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        health->set("ok", false);
        health->set("reason", reason.empty() ? std::string("health failed (") + statusName(status) + ")" : reason);
    }
    if (!health->has("ok") || !health->get("ok").isBoolean()) health->set("ok", false);
    int64_t version = 0;
    std::string versionError;
    const mc_status versionStatus =
        HostContext::call(versionError, [&] { return plugin_->store.schema_version(instance_, &version); });
    health->set("schema_version", versionStatus == MC_OK ? version : migration_.toVersion);
    std::ostringstream out;
    health->stringify(out);
    return out.str();
}

bool StoreService::healthy() {
    try {
        auto parsed = Poco::JSON::Parser().parse(healthJson()).extract<Poco::JSON::Object::Ptr>();
        return parsed->getValue<bool>("ok");
    } catch (...) {
        return false;
    }
}

} // namespace mc::host
