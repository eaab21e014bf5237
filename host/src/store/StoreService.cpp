#include "store/StoreService.h"

#include "log/Logging.h"
#include "mc/records/BatchWrite.h"
#include "mc/records/RecordAbi.h"
#include "util/Json.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>

#include <atomic>
#include <sstream>
#include <utility>

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

// One started, migrated version of the store. Destroyed when the last call using it ends: it stops
// then (a retired version first stops reporting into the plugin's status row, now its successor's).
struct StoreService::Active {
    std::shared_ptr<const LoadedPlugin> plugin;
    std::unique_ptr<PluginInstance> instance;
    std::string name; // "<plugin-id>/<instance>", the prefix of every error
    std::string dialect;
    MigrationReport migration;
    std::atomic<bool> jsonOnly{false}; // the store refused write_records once
    std::atomic<bool> retired{false};

    ~Active() {
        if (!instance) return;
        instance->stopQuietly(retired);
        if (retired)
            logging::get("store")->info("store '{}' {} retired: its last call ended, its instance stopped", name, plugin->info.version);
    }
    [[noreturn]] void fail(const std::string& step, mc_status status, const std::string& reason) const {
        throw StoreError(name + ": " + step + " failed (" + statusName(status) + "): " + reason);
    }
    mc_instance* handle() const { return instance->handle(); }
    const mc_store_vtable& store() const { return plugin->store; }
};

// Migrations go through the same vtable as everything else; failures become StoreErrors.
class StoreService::Target : public MigrationTarget {
public:
    explicit Target(Active& active) : a_(active) {}

    int64_t schemaVersion() override {
        int64_t version = 0;
        std::string reason;
        const mc_status status = HostContext::call(reason, [&] { return a_.store().schema_version(a_.handle(), &version); });
        if (status != MC_OK) a_.fail("reading the schema version", status, reason);
        return version;
    }
    void applyMigration(const MigrationFile& file) override {
        std::string reason;
        const mc_status status = HostContext::call(reason, [&] {
            return a_.store().apply_migration(a_.handle(), file.version, str(file.name), str(file.sql));
        });
        if (status != MC_OK) a_.fail("applying migration '" + file.path + "'", status, reason);
    }
    std::optional<std::map<int64_t, std::string>> appliedChecksums() override {
        std::string rows, error;
        const mc_status status = queryOn(a_, "schema_migrations.list", "{}", [&rows](std::string_view chunk) {
            rows.append(chunk);
            return true;
        }, error);
        if (status == MC_ERR_UNSUPPORTED) return std::nullopt;
        if (status != MC_OK) a_.fail("listing applied migrations", status, error);
        std::map<int64_t, std::string> out;
        try {
            auto items = json::parse(rows).extract<Poco::JSON::Object::Ptr>()->getArray("items");
            for (std::size_t i = 0; items && i < items->size(); ++i) {
                auto item = items->getObject(static_cast<unsigned>(i));
                out[item->getValue<int64_t>("version")] = item->getValue<std::string>("checksum");
            }
        } catch (const std::exception& e) {
            a_.fail("listing applied migrations", MC_ERR_INTERNAL, std::string("unreadable result: ") + e.what());
        }
        return out;
    }

private:
    Active& a_;
};

std::shared_ptr<StoreService::Active> StoreService::open(std::shared_ptr<const LoadedPlugin> plugin,
                                                         std::unique_ptr<HostContext> context, const std::string& migrationsDir) {
    if (!plugin) throw StoreError("store: no plugin given");
    if (!context) throw StoreError("store plugin '" + plugin->info.id + "': no host context given");
    auto a = std::make_shared<Active>();
    a->plugin = std::move(plugin);
    a->name = context->qualifiedName();
    if (a->plugin->info.kind != MC_KIND_STORE)
        throw StoreError(a->name + ": plugin '" + a->plugin->info.id + "' is a " + kindName(a->plugin->info.kind) +
                         " plugin, not a store");
    const auto& vt = a->plugin->store;
    if (!vt.dialect || !vt.schema_version || !vt.apply_migration || !vt.write || !vt.query)
        throw StoreError(a->name + ": plugin '" + a->plugin->info.id + "' lacks a required store function");

    try {
        a->instance = std::make_unique<PluginInstance>(a->plugin, std::move(context));
        a->instance->start();
    } catch (const std::runtime_error& e) {
        a->instance.reset();
        throw StoreError(e.what());
    }

    {
        std::string reason;
        mc_sink sink{&a->dialect, &appendToString};
        const mc_status status = HostContext::call(reason, [&] { return vt.dialect(a->handle(), &sink); });
        if (status != MC_OK) a->fail("dialect", status, reason);
        if (a->dialect.empty()) a->fail("dialect", MC_ERR_INTERNAL, "the store names no SQL dialect");
    }

    Target target(*a);
    MigrationRunner runner(migrationsDir, a->dialect, databaseKeyHint(a->plugin->info.id));
    try {
        a->migration = runner.run(target);
    } catch (const StoreError& e) {
        const std::string what = e.what();
        // Errors from the store already name the instance; runner errors (files, versions) do not.
        if (what.rfind(a->name + ": ", 0) == 0) throw;
        throw StoreError(a->name + ": " + what);
    }
    logging::get("store")->info("store '{}' {} ready: dialect {}, schema version {} (was {}, applied {})", a->name,
                                a->plugin->info.version, a->dialect, a->migration.toVersion, a->migration.fromVersion,
                                a->migration.applied.size());
    return a;
}

StoreService::StoreService(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context,
                           const std::string& migrationsDir, const PluginStatusTable& statuses)
    : statuses_(&statuses), migrationsDir_(migrationsDir), active_(open(std::move(plugin), std::move(context), migrationsDir)) {}

StoreService::~StoreService() = default; // the last call's end stops the version it used

void StoreService::reload(std::shared_ptr<const LoadedPlugin> plugin, std::unique_ptr<HostContext> context) {
    auto fresh = open(std::move(plugin), std::move(context), migrationsDir_); // beside the old one, which still serves
    std::shared_ptr<Active> old;
    {
        std::lock_guard lock(mutex_);
        old = std::exchange(active_, fresh);
    }
    old->retired = true;
    // Its status row is the new version's now: the old one reports elsewhere from here on.
    old->instance->context().detachStatus();
    logging::get("store")->info("store '{}' reloaded: version {} serves new calls; version {} stops when its calls end",
                                fresh->name, fresh->plugin->info.version, old->plugin->info.version);
}

std::shared_ptr<StoreService::Active> StoreService::active() const {
    std::lock_guard lock(mutex_);
    return active_;
}

MigrationReport StoreService::migration() const { return active()->migration; }
std::string StoreService::dialect() const { return active()->dialect; }
std::string StoreService::pluginId() const { return active()->plugin->info.id; }
std::string StoreService::version() const { return active()->plugin->info.version; }

int64_t StoreService::schemaVersion() {
    auto a = active();
    return Target(*a).schemaVersion();
}

mc_status StoreService::write(std::string_view kind, std::string_view recordsJson, std::string& resultJson,
                              std::string& error) {
    auto a = active();
    resultJson.clear();
    mc_sink sink{&resultJson, &appendToString};
    return HostContext::call(error, [&] { return a->store().write(a->handle(), str(kind), str(recordsJson), &sink); });
}

mc_status StoreService::expire(std::string_view kind, std::string_view before, std::size_t maxRows, std::uint64_t& deleted,
                                std::string& error) {
    deleted = 0;
    auto a = active();
    if (!a->store().expire) {
        error = "store '" + a->plugin->info.id + "' keeps everything (it has no expire hook)";
        return MC_ERR_UNSUPPORTED;
    }
    std::string resultJson;
    mc_sink sink{&resultJson, &appendToString};
    const mc_status status =
        HostContext::call(error, [&] { return a->store().expire(a->handle(), str(kind), str(before), maxRows, &sink); });
    if (status != MC_OK) return status;
    try {
        deleted = json::parse(resultJson).extract<Poco::JSON::Object::Ptr>()->getValue<std::uint64_t>("deleted");
    } catch (const Poco::Exception& e) {
        error = "store '" + a->plugin->info.id + "' answered expire with '" + resultJson.substr(0, 200) + "', not {\"deleted\":N}";
        return MC_ERR_INTERNAL;
    }
    return MC_OK;
}

bool StoreService::keepsLeases() { return active()->store().lease != nullptr; }

mc_status StoreService::lease(mc_lease_op op, std::string_view name, std::string_view holder, std::int64_t ttlMs,
                              std::string& currentHolder, std::string& error) {
    currentHolder.clear();
    auto a = active();
    if (!a->store().lease) {
        error = "store '" + a->plugin->info.id + "' keeps no leases";
        return MC_ERR_UNSUPPORTED;
    }
    std::string resultJson;
    mc_sink sink{&resultJson, &appendToString};
    const mc_status status =
        HostContext::call(error, [&] { return a->store().lease(a->handle(), op, str(name), str(holder), ttlMs, &sink); });
    if (status != MC_OK) return status;
    try {
        const auto result = json::parse(resultJson).extract<Poco::JSON::Object::Ptr>();
        if (!result->isNull("holder")) currentHolder = result->getValue<std::string>("holder");
    } catch (const Poco::Exception&) {
        error = "store '" + a->plugin->info.id + "' answered lease with '" + resultJson.substr(0, 200) + "'";
        return MC_ERR_INTERNAL;
    }
    return MC_OK;
}

mc_status StoreService::writeRecords(const std::vector<const mc::records::TypedRecord*>& records, std::string& resultJson,
                                     std::string& error) {
    auto a = active();
    if (a->store().write_records && !a->jsonOnly) {
        const auto abi = mc::records::toAbi(records);
        resultJson.clear();
        mc_sink sink{&resultJson, &appendToString};
        const mc_status status = HostContext::call(error, [&] {
            return a->store().write_records(a->handle(), abi.records.data(), abi.records.size(), sizeof(mc_record), &sink);
        });
        if (status != MC_ERR_UNSUPPORTED) return status;
        a->jsonOnly = true;
        logging::get("store")->info("store '{}' takes JSON only ({}); writing through write(\"events\")",
                                    a->plugin->info.id, error);
        error.clear();
    }
    std::string json = "[";
    for (const auto* r : records) {
        if (json.size() > 1) json += ',';
        mc::records::appendEventJson(json, *r);
    }
    json += ']';
    resultJson.clear();
    mc_sink sink{&resultJson, &appendToString};
    return HostContext::call(error, [&] {
        return a->store().write(a->handle(), str(mc::records::kEventsKind), str(json), &sink);
    });
}

mc_status StoreService::query(std::string_view name, std::string_view paramsJson, std::string& resultJson,
                              std::string& error) {
    resultJson.clear();
    return queryStream(name, paramsJson, [&resultJson](std::string_view chunk) {
        resultJson.append(chunk);
        return true;
    }, error);
}

mc_status StoreService::queryStream(std::string_view name, std::string_view paramsJson, const ChunkWriter& write,
                                    std::string& error) {
    auto a = active();
    return queryOn(*a, name, paramsJson, write, error);
}

mc_status StoreService::queryOn(Active& a, std::string_view name, std::string_view paramsJson, const ChunkWriter& write,
                                std::string& error) {
    struct Forward {
        static mc_status chunk(void* ctx, mc_str chunk) noexcept {
            try {
                return (*static_cast<const ChunkWriter*>(ctx))(std::string_view(chunk.ptr, chunk.len)) ? MC_OK
                                                                                                      : MC_ERR_UNAVAILABLE;
            } catch (...) {
                return MC_ERR_INTERNAL;
            }
        }
    };
    mc_sink sink{const_cast<ChunkWriter*>(&write), &Forward::chunk};
    return HostContext::call(error, [&] { return a.store().query(a.handle(), str(name), str(paramsJson), &sink); });
}

std::string StoreService::healthJson() {
    // The status is what the instance last reported (or the host set around start); describe() adds
    // the plugin's details. {"plugin","instance","kind","status","message","since","dialect",
    // "schema_version","details"}
    auto a = active();
    InstanceStatus row;
    if (!statuses_->find(a->instance->context().pluginId(), a->instance->context().instanceName(), row)) {
        row.plugin = a->instance->context().pluginId();
        row.instance = a->instance->context().instanceName();
        row.kind = "store";
    }
    std::string out = row.json();
    out.pop_back(); // reopen the object
    out += ",\"dialect\":" + json::quote(a->dialect);
    int64_t version = 0;
    std::string versionError;
    const mc_status versionStatus =
        HostContext::call(versionError, [&] { return a->store().schema_version(a->handle(), &version); });
    out += ",\"schema_version\":" + std::to_string(versionStatus == MC_OK ? version : a->migration.toVersion);
    out += ",\"details\":";
    std::string details = "{}";
    if (a->store().describe) {
        std::string raw, reason;
        mc_sink sink{&raw, &appendToString};
        const mc_status status = HostContext::call(reason, [&] { return a->store().describe(a->handle(), &sink); });
        if (status != MC_OK) {
            details = "{\"error\":" + json::quote(std::string("describe failed (") + statusName(status) + "): " + reason) + "}";
        } else {
            try {
                auto parsed = json::parse(raw, json::KeyOrder::AsWritten);
                if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) {
                    std::ostringstream text;
                    parsed.extract<Poco::JSON::Object::Ptr>()->stringify(text);
                    details = text.str();
                } else {
                    details = "{\"error\":\"describe wrote no JSON object\"}";
                }
            } catch (const Poco::Exception& e) {
                details = "{\"error\":" + json::quote("describe wrote invalid JSON: " + e.displayText()) + "}";
            }
        }
    }
    out += details + "}";
    return out;
}

mc_component_status StoreService::status() const {
    auto a = active();
    InstanceStatus row;
    return statuses_->find(a->instance->context().pluginId(), a->instance->context().instanceName(), row) ? row.status
                                                                                                           : MC_COMPONENT_INVALID;
}

bool StoreService::healthy() { return status() == MC_COMPONENT_OK; }

void StoreService::reportStatus(mc_component_status status, const std::string& message) {
    active()->instance->context().reportStatus(status, message);
}

} // namespace mc::host
