-- Issue 16: leases the hosts of a cluster take on shared things (which host connects which MCP
-- server). expires_at_ms is the database's clock (milliseconds since the Unix epoch), so the hosts'
-- clocks do not matter.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
