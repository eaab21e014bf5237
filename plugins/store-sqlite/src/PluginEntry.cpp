// The descriptor of store-sqlite: its id, version and configuration keys (kSettings, SqliteStore.h).
#include "SqliteStore.h"

MC_DECLARE_STORE_PLUGIN(mc::store_sqlite::SqliteStore, "store-sqlite", "0.2.0",
                        "Embedded store on SQLite (WAL): threads, steps, logs, permission events", "store.sqlite",
                        mc::store_sqlite::kSettings)
