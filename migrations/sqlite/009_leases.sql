-- Issue 16: leases the hosts of a cluster take on shared things (which host connects which MCP
-- server). A cluster needs a shared store (PostgreSQL); SQLite keeps the table so the store ABI's
-- lease hook works the same on one host.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
