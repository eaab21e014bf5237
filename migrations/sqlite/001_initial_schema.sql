-- Mission Control initial schema (SQLite). Same tables as migrations/postgres, mapped to SQLite:
--   JSON       -> TEXT with a json_valid CHECK
--   timestamps -> TEXT, RFC 3339 UTC with microseconds (2026-01-02T03:04:05.123456Z) so they sort
--   booleans   -> INTEGER 0/1
-- created_at defaults carry milliseconds padded to six digits so they sort with the written ones.
CREATE TABLE threads (
    id TEXT PRIMARY KEY,
    parent_id TEXT,
    mcp_id TEXT NOT NULL,
    status TEXT NOT NULL,
    user_input TEXT,
    execution_context TEXT CHECK (execution_context IS NULL OR json_valid(execution_context)),
    started_at TEXT NOT NULL,
    ended_at TEXT,
    memory_usage INTEGER,
    cpu_usage REAL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))
);

CREATE TABLE execution_steps (
    id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL REFERENCES threads(id),
    sequence INTEGER NOT NULL,
    timestamp TEXT NOT NULL,
    duration_ms REAL,
    type TEXT NOT NULL,
    description TEXT,
    details TEXT CHECK (details IS NULL OR json_valid(details)),
    status TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))
);

CREATE TABLE logs (
    id TEXT PRIMARY KEY,
    timestamp TEXT NOT NULL,
    level TEXT NOT NULL,
    service TEXT NOT NULL,
    thread_id TEXT REFERENCES threads(id),
    mcp_id TEXT NOT NULL,
    message TEXT,
    context TEXT CHECK (context IS NULL OR json_valid(context)),
    exception TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))
);

CREATE TABLE permission_events (
    id TEXT PRIMARY KEY,
    timestamp TEXT NOT NULL,
    thread_id TEXT REFERENCES threads(id),
    user_id TEXT,
    resource TEXT,
    action TEXT,
    granted INTEGER CHECK (granted IS NULL OR granted IN (0, 1)),
    reason TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))
);

CREATE INDEX idx_threads_mcp_id ON threads(mcp_id);
CREATE INDEX idx_threads_status ON threads(status);
CREATE INDEX idx_execution_steps_thread_id ON execution_steps(thread_id);
CREATE INDEX idx_logs_timestamp ON logs(timestamp);
CREATE INDEX idx_logs_thread_id ON logs(thread_id);
CREATE INDEX idx_permission_events_thread_id ON permission_events(thread_id);
