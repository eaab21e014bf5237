#include "store/MigrationRunner.h"

#include "log/Logging.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <boost/filesystem.hpp>

#include <fstream>
#include <regex>
#include <sstream>

namespace mc::host {
namespace fs = boost::filesystem;

MigrationRunner::MigrationRunner(std::string migrationsDir, std::string dialect, std::string databaseHint)
    : migrationsDir_(std::move(migrationsDir)), dialect_(std::move(dialect)), databaseHint_(std::move(databaseHint)) {}

std::string MigrationRunner::checksum(std::string_view sql) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(sql.data(), static_cast<unsigned>(sql.size()));
    return Poco::DigestEngine::digestToHex(engine.digest());
}

std::vector<MigrationFile> MigrationRunner::scan() const {
    const fs::path dir = fs::path(migrationsDir_) / dialect_;
    boost::system::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw StoreError("no migrations for dialect '" + dialect_ + "': directory '" + dir.string() +
                         "' does not exist (set the migrations directory or reinstall mission-control)");

    static const std::regex pattern(R"(^(\d{3,})_([a-z0-9_]+)\.sql$)");
    std::map<int64_t, MigrationFile> byVersion;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string fileName = it->path().filename().string();
        if (fileName.empty() || fileName[0] == '.' || it->path().extension() != ".sql") continue; // READMEs, editor files
        std::smatch m;
        if (!std::regex_match(fileName, m, pattern))
            throw StoreError("migration file '" + it->path().string() +
                             "' is badly named: expected NNN_name.sql with a version of at least three digits and "
                             "a name of a-z, 0-9 and _ (e.g. 001_initial_schema.sql)");
        MigrationFile file;
        try {
            file.version = std::stoll(m[1].str());
        } catch (const std::exception&) {
            throw StoreError("migration file '" + it->path().string() + "' has a version that is too large");
        }
        file.name = m[2].str();
        file.fileName = fileName;
        file.path = it->path().string();
        if (file.version < 1) throw StoreError("migration file '" + file.path + "' has version 0: versions start at 1");
        auto [existing, inserted] = byVersion.emplace(file.version, file);
        if (!inserted)
            throw StoreError("duplicate migration version " + std::to_string(file.version) + ": '" +
                             existing->second.fileName + "' and '" + fileName + "' in " + dir.string());
    }
    if (ec) throw StoreError("cannot list migrations in '" + dir.string() + "': " + ec.message());

    std::vector<MigrationFile> files;
    int64_t expected = 1;
    for (auto& [version, file] : byVersion) {
        if (version != expected)
            throw StoreError("migration versions must be contiguous from 1: '" + file.fileName + "' has version " +
                             std::to_string(version) + " but version " + std::to_string(expected) + " is missing in " +
                             dir.string());
        std::ifstream in(file.path, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in) throw StoreError("cannot read migration file '" + file.path + "'");
        file.sql = text.str();
        if (file.sql.find_first_not_of(" \t\r\n") == std::string::npos)
            throw StoreError("migration file '" + file.path + "' is empty");
        file.checksum = checksum(file.sql);
        files.push_back(std::move(file));
        ++expected;
    }
    return files;
}

MigrationReport MigrationRunner::run(MigrationTarget& target) const {
    auto log = logging::get("migrations");
    const auto files = scan();
    const int64_t newest = files.empty() ? 0 : files.back().version;

    MigrationReport report;
    report.fromVersion = target.schemaVersion();
    report.toVersion = report.fromVersion;
    if (report.fromVersion > newest)
        throw StoreError("database schema version " + std::to_string(report.fromVersion) +
                         " is newer than this host knows (" + std::to_string(newest) +
                         "): upgrade mission-control or point " + databaseHint_ + " at another database");

    if (auto applied = target.appliedChecksums()) {
        for (const auto& file : files) {
            if (file.version > report.fromVersion) break;
            auto it = applied->find(file.version);
            if (it != applied->end() && it->second != file.checksum)
                throw StoreError("migration file '" + file.path + "' (version " + std::to_string(file.version) +
                                 ") was changed after it was applied to the database (checksum " + it->second +
                                 " applied, " + file.checksum +
                                 " on disk): restore the original file and put changes in a new migration");
        }
    } else {
        log->warn("the store cannot list applied migrations; changed migration files go undetected");
    }

    for (const auto& file : files) {
        if (file.version <= report.fromVersion) continue;
        log->info("applying migration {} ({})", file.fileName, dialect_);
        target.applyMigration(file);
        report.toVersion = file.version;
        report.applied.push_back(fs::path(file.fileName).stem().string());
        log->info("applied migration {}: schema version {}", file.fileName, file.version);
    }
    if (report.applied.empty())
        log->info("schema is up to date at version {} ({})", report.toVersion, dialect_);
    return report;
}

} // namespace mc::host
