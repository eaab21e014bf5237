#pragma once
// Schema migrations, run by the host for every store: `<migrations dir>/<dialect>/NNN_name.sql`,
// versions unique and contiguous from 1, each applied once (atomically with its schema_migrations
// row, by the store) and never changed afterwards (checked by SHA-256).
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mc::host {

class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct MigrationReport {
    int64_t fromVersion = 0;
    int64_t toVersion = 0;
    std::vector<std::string> applied; // file stems in order, e.g. "001_initial_schema"
};

struct MigrationFile {
    int64_t version = 0;
    std::string name;     // "initial_schema": what the store records
    std::string fileName; // "001_initial_schema.sql": what messages name
    std::string path;
    std::string sql;
    std::string checksum; // SHA-256 hex of sql
};

// What the runner needs of a store. Implementations throw StoreError with the store's reason.
class MigrationTarget {
public:
    virtual ~MigrationTarget() = default;
    virtual int64_t schemaVersion() = 0;
    virtual void applyMigration(const MigrationFile& migration) = 0;
    // version -> checksum of what was applied; nullopt when the store cannot list them.
    virtual std::optional<std::map<int64_t, std::string>> appliedChecksums() = 0;
};

class MigrationRunner {
public:
    // `databaseHint` completes the "newer database" refusal: "... or point <hint> at another database".
    MigrationRunner(std::string migrationsDir, std::string dialect, std::string databaseHint);

    // The dialect's migration files in version order. Throws StoreError naming the offending file.
    std::vector<MigrationFile> scan() const;

    // Brings the target up to the newest file. Throws StoreError when the database is newer than the
    // files, when an applied file changed, or when a migration fails (earlier ones stay applied).
    MigrationReport run(MigrationTarget& target) const;

    // The checksum stores record: SHA-256 of the exact SQL text, lower-case hex.
    static std::string checksum(std::string_view sql);

private:
    std::string migrationsDir_;
    std::string dialect_;
    std::string databaseHint_;
};

} // namespace mc::host
