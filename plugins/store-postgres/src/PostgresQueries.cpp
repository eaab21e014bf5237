// store-postgres's own read queries (threads.state for the ingest path, schema_migrations.list for the
// migration runner); the query catalog is PostgresCatalog.cpp. Both answer exactly as store-sqlite does
// (StoreConformanceTest, the query API suites).
#include "PostgresStore.h"

#include "mc/records/JsonText.h"
#include "mc/records/QueryParams.h"

#include <algorithm>
#include <vector>

namespace mc::store_postgres {
using namespace mc::records;
using mc::sdk::Error;

std::string PostgresStore::queryThreadStates(const std::string& paramsJson) {
    const std::string q = "threads.state";
    const auto ids = stringListParam(*parseQueryParams(paramsJson, q, {"ids"}), q, "ids", kMaxListLimit);
    std::string out = "{\"items\":[";
    pool_->run([&](PGconn* conn) {
        auto rows = execute(conn, std::string(kThreadStateSql) + " WHERE t.id = ANY($1::text[])", {textArrayLiteral(ids)});
        // In the order asked for, as store-sqlite answers.
        std::vector<int> order(static_cast<std::size_t>(rows.rows()));
        for (int r = 0; r < rows.rows(); ++r) order[static_cast<std::size_t>(r)] = r;
        const auto position = [&](int r) { return std::find(ids.begin(), ids.end(), rows.text(r, 0)) - ids.begin(); };
        std::sort(order.begin(), order.end(), [&](int a, int b) { return position(a) < position(b); });
        const auto integer = [&](int r, int col) {
            return rows.isNull(r, col) ? std::nullopt : std::optional<std::int64_t>(std::stoll(rows.text(r, col)));
        };
        bool first = true;
        for (int r : order) {
            if (!first) out += ',';
            first = false;
            appendThreadState(out, rows.text(r, 0), rows.text(r, 1), rows.optionalText(r, 2), integer(r, 3), integer(r, 4));
        }
    });
    return out + "]}";
}

std::string PostgresStore::queryMigrations() {
    std::string out = "{\"items\":[";
    pool_->run([&](PGconn* conn) {
        ensureMigrationTable(conn);
        auto rows = execute(conn, "SELECT version, name, applied_at, checksum FROM schema_migrations ORDER BY version");
        for (int r = 0; r < rows.rows(); ++r) {
            if (r) out += ',';
            out += "{\"version\":" + rows.text(r, 0) + ",\"name\":" + jsonString(rows.text(r, 1)) +
                   ",\"applied_at\":" + jsonString(rows.text(r, 2)) + ",\"checksum\":" + jsonString(rows.text(r, 3)) + "}";
        }
    });
    return out + "]}";
}

} // namespace mc::store_postgres
