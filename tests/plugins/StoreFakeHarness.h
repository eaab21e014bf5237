#pragma once
// Runs one real store plugin (<id>.so from the build) in the SDK's fake host (mc/sdk_test.hpp) the way
// the host's store service does — configuration checked against the declaration, create, start,
// dialect, schema_version, the migrations of that dialect applied in order — and offers the calls the
// store tests make (write/query with result and error text, describe as health with the schema
// version, the last reported status). Only mc/ headers, Poco and boost: no host internals.
#include <mc/json_text.hpp>
#include <mc/sdk_test.hpp>

#include "mc/records/BatchWrite.h"
#include "mc/records/JsonText.h"
#include "mc/records/RecordAbi.h"

#include <Poco/JSON/Object.h>
#include <Poco/DigestEngine.h>
#include <Poco/JSON/Parser.h>
#include <Poco/SHA2Engine.h>
#include <boost/filesystem.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace mc::test {

// A JSON object from text (tests/support/TestHttp.cpp), for store results and details.
Poco::JSON::Object::Ptr parseObject(const std::string& text);

namespace fake {

// What a store refused at create/start/migrate, as "<id>/test: <step> failed (<status>): <reason>".
class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

using mc::sdk::statusName;

// The repository's migrations: <dir>/<dialect>/NNN_name.sql.
inline std::string sourceMigrationsDir() { return std::string(MC_TEST_SOURCE_DIR) + "/migrations"; }

struct MigrationFile {
    std::int64_t version;
    std::string name, fileName, sql;
    std::string checksum; // SHA-256 of the text, hex: what the host records (schema_migrations.checksum)
};

inline std::string migrationChecksum(const std::string& sql) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(sql.data(), static_cast<unsigned>(sql.size()));
    return Poco::DigestEngine::digestToHex(engine.digest());
}

// What the harness applied when it opened the store.
struct MigrationReport {
    std::vector<MigrationFile> applied;
};

inline std::vector<MigrationFile> migrationFiles(const std::string& dir, const std::string& dialect) {
    std::map<std::int64_t, MigrationFile> byVersion;
    const boost::filesystem::path folder = boost::filesystem::path(dir) / dialect;
    if (!boost::filesystem::is_directory(folder)) return {};
    static const std::regex pattern("^([0-9]{3,})_([a-z0-9_]+)\\.sql$");
    for (const auto& entry : boost::filesystem::directory_iterator(folder)) {
        std::smatch m;
        const std::string file = entry.path().filename().string();
        if (!std::regex_match(file, m, pattern)) continue;
        std::ifstream in(entry.path().string(), std::ios::binary);
        std::ostringstream sql;
        sql << in.rdbuf();
        const std::int64_t version = std::stoll(m[1].str());
        byVersion[version] = MigrationFile{version, m[2].str(), file, sql.str(), migrationChecksum(sql.str())};
    }
    std::vector<MigrationFile> out;
    for (auto& [v, f] : byVersion) out.push_back(std::move(f));
    return out;
}

// The version a fresh database of `dialect` reaches with the repository's migrations.
inline std::int64_t shippedSchemaVersion(const std::string& dialect = "sqlite") {
    const auto files = migrationFiles(sourceMigrationsDir(), dialect);
    return files.empty() ? 0 : files.back().version;
}

class FakeStore {
public:
    // `id`: "store-sqlite"; `config`: keys relative to the plugin's prefix. Throws StoreError.
    FakeStore(const std::string& id, const std::map<std::string, std::string>& config,
              const std::string& migrationsDir = sourceMigrationsDir())
        : id_(id), host_(std::string(MC_TEST_PLUGIN_DIR) + "/" + id + ".so") {
        const auto problems = host_.problems();
        if (!problems.empty()) throw StoreError(id + ".so refused: " + problems.front());
        instance_ = host_.create(config);
        check("create", instance_->created());
        check("start", instance_->start());
        const auto dialect = instance_->dialect();
        check("dialect", dialect);
        dialect_ = dialect.output;
        const std::int64_t from = schemaVersion();
        for (const auto& file : migrationFiles(migrationsDir, dialect_)) {
            if (file.version <= from) continue;
            check("migration " + file.fileName, instance_->applyMigration(file.version, file.name, file.sql));
            migration_.applied.push_back(file);
        }
        migratedTo_ = schemaVersion();
    }
    ~FakeStore() { instance_.reset(); }
    FakeStore(const FakeStore&) = delete;
    FakeStore& operator=(const FakeStore&) = delete;

    const std::string& dialect() const { return dialect_; }
    const MigrationReport& migration() const { return migration_; }
    mc::sdk::test::Instance& instance() { return *instance_; }

    std::int64_t schemaVersion() {
        std::int64_t v = 0;
        check("schema_version", instance_->schemaVersion(v));
        return v;
    }

    // Typed: a body the host would accept goes the way the host's writer sends it, as records it
    // parsed and normalized (write_records); the result is given in the body's indices, as write's.
    void setTypedWrites(bool typed) { typed_ = typed; }

    mc_status write(std::string_view kind, std::string_view records, std::string& result, std::string& error) {
        if (typed_) {
            std::optional<mc::records::ParsedBatch> parsed;
            try {
                parsed = mc::records::parseBatch(kind, records, utcNow);
            } catch (const mc::sdk::Error&) {
                // Not a body the host would build records from: the store's own answer to the text.
            }
            if (parsed) return writeTyped(std::move(*parsed), result, error);
        }
        auto call = instance_->write(kind, records);
        result = call.output;
        error = call.error;
        return call.status;
    }
    mc_status query(std::string_view name, std::string_view params, std::string& result, std::string& error) {
        auto call = instance_->query(name, params);
        result = call.output;
        error = call.error;
        return call.status;
    }

    mc_status expire(std::string_view kind, std::string_view before, std::size_t maxRows, std::uint64_t& deleted, std::string& error) {
        deleted = 0;
        auto call = instance_->expire(kind, before, maxRows);
        error = call.error;
        if (call.ok()) deleted = parseObject(call.output)->getValue<std::uint64_t>("deleted");
        return call.status;
    }

    // The store's describe() details plus "schema_version" (the version migrated to at open: what
    // /api/health shows of the store).
    std::string healthJson() {
        auto call = instance_->describe();
        if (!call.ok()) throw StoreError(id_ + "/test: describe failed (" + statusName(call.status) + "): " + call.error);
        auto details = parseObject(call.output);
        details->set("schema_version", migratedTo_);
        std::ostringstream out;
        details->stringify(out);
        return out.str();
    }
    // describe() ran and the store's last reported status is OK.
    bool healthy() {
        instance_->describe();
        auto last = instance_->lastStatus();
        return last && last->status == MC_COMPONENT_OK;
    }
    std::optional<mc::sdk::test::StatusReport> lastStatus() const { return instance_->lastStatus(); }

private:
    // What the host stamps absent timestamps with: RFC 3339 UTC with microseconds.
    static std::string utcNow() {
        const auto now = std::chrono::system_clock::now();
        return mc::sdk::json::isoTimestamp(std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count());
    }

    mc_status writeTyped(mc::records::ParsedBatch parsed, std::string& result, std::string& error) {
        std::vector<mc::records::TypedRecord> typed;
        std::vector<std::size_t> bodyIndex;
        for (auto& entry : parsed.entries) {
            typed.push_back({entry.spec, std::move(entry.record)});
            bodyIndex.push_back(entry.index);
        }
        std::vector<const mc::records::TypedRecord*> batch;
        for (const auto& r : typed) batch.push_back(&r);
        const auto abi = mc::records::toAbi(batch);
        auto call = instance_->writeRecords(abi.records.data(), abi.records.size());
        error = call.error;
        if (!call.ok()) return call.status;
        auto object = parseObject(call.output);
        std::vector<std::pair<std::size_t, std::string>> rejected;
        for (const auto& r : parsed.rejected) rejected.emplace_back(r.index, r.reason);
        auto storeRejected = object->getArray("rejected");
        for (unsigned i = 0; i < storeRejected->size(); ++i) {
            auto r = storeRejected->getObject(i);
            rejected.emplace_back(bodyIndex.at(r->getValue<std::size_t>("index")), r->getValue<std::string>("reason"));
        }
        std::sort(rejected.begin(), rejected.end());
        result = "{\"accepted\":" + std::to_string(object->getValue<std::size_t>("accepted")) +
                 ",\"duplicates\":" + std::to_string(object->getValue<std::size_t>("duplicates")) + ",\"rejected\":[";
        for (std::size_t i = 0; i < rejected.size(); ++i) {
            result += std::string(i ? "," : "") + "{\"index\":" + std::to_string(rejected[i].first) + ",\"reason\":";
            mc::records::appendJsonString(result, rejected[i].second);
            result += "}";
        }
        result += "]}";
        return MC_OK;
    }

    void check(const std::string& step, const mc::sdk::test::Call& call) const {
        if (!call.ok())
            throw StoreError(id_ + "/test: " + step + " failed (" + statusName(call.status) + "): " + call.error);
    }

    std::string id_;
    mc::sdk::test::FakeHost host_;
    std::unique_ptr<mc::sdk::test::Instance> instance_;
    std::string dialect_;
    std::int64_t migratedTo_ = 0;
    MigrationReport migration_;
    bool typed_ = false;
};

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

} // namespace fake
} // namespace mc::test
