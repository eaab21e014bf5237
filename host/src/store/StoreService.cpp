#include "store/StoreService.h"

#include "log/Logging.h"
#include "mc/records/BatchWrite.h"
#include "mc/records/RecordAbi.h"
#include "util/Json.h"

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
        const mc_status status = HostContext::call(reason, [&] { return s_.plugin_->store.schema_version(s_.instance_->handle(), &version); });
        if (status != MC_OK) s_.fail("reading the schema version", status, reason);
        return version;
    }
    void applyMigration(const MigrationFile& file) override {
        std::string reason;
        const mc_status status = HostContext::call(reason, [&] {
            return s_.plugin_->store.apply_migration(s_.instance_->handle(), file.version, str(file.name), str(file.sql));
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
                           const std::string& migrationsDir, const PluginStatusTable& statuses)
    : plugin_(std::move(plugin)), statuses_(&statuses) {
    if (!plugin_) throw StoreError("store: no plugin given");
    if (!context) throw StoreError("store plugin '" + plugin_->info.id + "': no host context given");
    name_ = context->qualifiedName();
    if (plugin_->info.kind != MC_KIND_STORE)
        throw StoreError(name_ + ": plugin '" + plugin_->info.id + "' is a " + kindName(plugin_->info.kind) +
                         " plugin, not a store");
    const auto& vt = plugin_->store;
    if (!vt.dialect || !vt.schema_version || !vt.apply_migration || !vt.write || !vt.query)
        throw StoreError(name_ + ": plugin '" + plugin_->info.id + "' lacks a required store function");

    try {
        instance_ = std::make_unique<PluginInstance>(plugin_, std::move(context));
        instance_->start();
    } catch (const std::runtime_error& e) {
        instance_.reset();
        throw StoreError(e.what());
    }

    {
        std::string reason;
        mc_sink sink{&dialect_, &appendToString};
        const mc_status status = HostContext::call(reason, [&] { return vt.dialect(instance_->handle(), &sink); });
        if (status != MC_OK) fail("dialect", status, reason);
        if (dialect_.empty()) fail("dialect", MC_ERR_INTERNAL, "the store names no SQL dialect");
    }

    Target target(*this);
    MigrationRunner runner(migrationsDir, dialect_, databaseKeyHint(plugin_->info.id));
    try {
        migration_ = runner.run(target);
    } catch (const StoreError& e) {
        const std::string what = e.what();
        // Errors from the store already name the instance; runner errors (files, versions) do not.
        if (what.rfind(name_ + ": ", 0) == 0) throw;
        throw StoreError(name_ + ": " + what);
    }
    logging::get("store")->info("store '{}' ready: dialect {}, schema version {} (was {}, applied {})", name_,
                                dialect_, migration_.toVersion, migration_.fromVersion, migration_.applied.size());
}

StoreService::~StoreService() {
    try {
        instance_->stop();
    } catch (const std::exception& e) {
        logging::get("store")->warn("{}", e.what());
    }
}

void StoreService::fail(const std::string& step, mc_status status, const std::string& reason) const {
    throw StoreError(name_ + ": " + step + " failed (" + statusName(status) + "): " + reason);
}

const std::string& StoreService::pluginId() const { return plugin_->info.id; }

int64_t StoreService::schemaVersion() { return Target(*this).schemaVersion(); }

mc_status StoreService::write(std::string_view kind, std::string_view recordsJson, std::string& resultJson,
                              std::string& error) {
    resultJson.clear();
    mc_sink sink{&resultJson, &appendToString};
    return HostContext::call(error, [&] { return plugin_->store.write(instance_->handle(), str(kind), str(recordsJson), &sink); });
}

mc_status StoreService::writeRecords(const std::vector<const mc::records::TypedRecord*>& records, std::string& resultJson,
                                     std::string& error) {
    if (plugin_->store.write_records && !jsonOnly_) {
        const auto abi = mc::records::toAbi(records);
        resultJson.clear();
        mc_sink sink{&resultJson, &appendToString};
        const mc_status status = HostContext::call(error, [&] {
            return plugin_->store.write_records(instance_->handle(), abi.records.data(), abi.records.size(),
                                                sizeof(mc_record), &sink);
        });
        if (status != MC_ERR_UNSUPPORTED) return status;
        jsonOnly_ = true;
        logging::get("store")->info("store '{}' takes JSON only ({}); writing through write(\"events\")",
                                    plugin_->info.id, error);
        error.clear();
    }
    std::string json = "[";
    for (const auto* r : records) {
        if (json.size() > 1) json += ',';
        mc::records::appendEventJson(json, *r);
    }
    json += ']';
    return write(mc::records::kEventsKind, json, resultJson, error);
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
    return HostContext::call(error, [&] { return plugin_->store.query(instance_->handle(), str(name), str(paramsJson), &sink); });
}

std::string StoreService::healthJson() {
    // The status is what the instance last reported (or the host set around start); describe() adds
    // the plugin's details. {"plugin","instance","kind","status","message","since","dialect",
    // "schema_version","details"}
    InstanceStatus row;
    if (!statuses_->find(instance_->context().pluginId(), instance_->context().instanceName(), row)) {
        row.plugin = instance_->context().pluginId();
        row.instance = instance_->context().instanceName();
        row.kind = "store";
    }
    std::string out = row.json();
    out.pop_back(); // reopen the object
    out += ",\"dialect\":" + json::quote(dialect_);
    int64_t version = 0;
    std::string versionError;
    const mc_status versionStatus =
        HostContext::call(versionError, [&] { return plugin_->store.schema_version(instance_->handle(), &version); });
    out += ",\"schema_version\":" + std::to_string(versionStatus == MC_OK ? version : migration_.toVersion);
    out += ",\"details\":";
    std::string details = "{}";
    if (plugin_->store.describe) {
        std::string raw, reason;
        mc_sink sink{&raw, &appendToString};
        const mc_status status = HostContext::call(reason, [&] { return plugin_->store.describe(instance_->handle(), &sink); });
        if (status != MC_OK) {
            details = "{\"error\":" + json::quote(std::string("describe failed (") + statusName(status) + "): " + reason) + "}";
        } else {
            try {
                Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true)); // keep the store's key order
                auto parsed = parser.parse(raw);
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
    InstanceStatus row;
    return statuses_->find(instance_->context().pluginId(), instance_->context().instanceName(), row) ? row.status
                                                                                                       : MC_COMPONENT_INVALID;
}

bool StoreService::healthy() { return status() == MC_COMPONENT_OK; }

void StoreService::reportStatus(mc_component_status status, const std::string& message) {
    instance_->context().reportStatus(status, message);
}

} // namespace mc::host
