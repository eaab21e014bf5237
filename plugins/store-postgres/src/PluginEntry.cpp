// The descriptor of store-postgres: its id, version and configuration keys (see README.md).
#include "PostgresStore.h"

namespace {
const mc_config_key kConfigKeys[] = {
    mc::sdk::configKey("url", MC_CONFIG_STRING, "",
                       "libpq conninfo ('host=127.0.0.1 port=5432 dbname=mc user=mc') or "
                       "postgresql://user:pass@host:port/db?sslmode=... URL",
                       true),
    mc::sdk::configKey("pool_min", MC_CONFIG_INT, "1", "Connections opened at start and kept (1-pool_max)"),
    mc::sdk::configKey("pool_max", MC_CONFIG_INT, "8", "Most connections open at once (1-256)"),
    mc::sdk::configKey("connect_timeout_ms", MC_CONFIG_INT, "5000",
                       "Longest wait for a connection: connecting (libpq rounds up to whole seconds, at least 2) "
                       "or a free pooled one (100-600000)"),
    mc::sdk::configKey("statement_timeout_ms", MC_CONFIG_INT, "30000",
                       "PostgreSQL statement_timeout of every connection (100-3600000)"),
    mc::sdk::configKey("synchronous_commit", MC_CONFIG_STRING, "on",
                       "PostgreSQL synchronous_commit of every connection: on (an acknowledged event survives a server "
                       "crash), off (faster; the last commits may be lost), local, remote_write or remote_apply"),
};
} // namespace

MC_DECLARE_STORE_PLUGIN(mc::store_postgres::PostgresStore, "store-postgres", "0.1.0",
                        "Server store on PostgreSQL: every record kind, pooled connections, one transaction per batch",
                        kConfigKeys)
