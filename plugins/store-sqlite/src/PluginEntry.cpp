// The descriptor of store-sqlite: its id, version and configuration keys (see README.md).
#include "SqliteStore.h"

namespace {
const mc_config_key kConfigKeys[] = {
    mc::sdk::configKey("path", MC_CONFIG_STRING, "mission-control.db",
                       "SQLite database file; created if missing, its directory must exist"),
    mc::sdk::configKey("busy_timeout_ms", MC_CONFIG_INT, "5000",
                       "How long a statement waits for another connection's lock before failing (0-600000)"),
    mc::sdk::configKey("synchronous", MC_CONFIG_STRING, "FULL",
                       "PRAGMA synchronous: FULL (an acknowledged event survives power loss), NORMAL (faster; the last "
                       "commits may be lost on power loss), OFF or EXTRA"),
};
} // namespace

MC_DECLARE_STORE_PLUGIN(mc::store_sqlite::SqliteStore, "store-sqlite", "0.1.0",
                        "Embedded store on SQLite (WAL): threads, steps, logs, permission events", kConfigKeys)
