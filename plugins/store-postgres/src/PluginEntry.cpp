// The descriptor of store-postgres: its id, version and configuration keys (kSettings, PostgresStore.h).
#include "PostgresStore.h"

MC_DECLARE_STORE_PLUGIN(mc::store_postgres::PostgresStore, "store-postgres", "0.2.0",
                        "Server store on PostgreSQL: every record kind, pooled connections, one transaction per batch",
                        "store.postgres", mc::store_postgres::kSettings)
