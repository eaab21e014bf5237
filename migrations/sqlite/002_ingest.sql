-- Issue 5: transcripts, MCP status history, the audit trail; columns the graph needs; the per-thread
-- ordering keys (a sequence is taken once per thread) and the indexes the ingest path reads.
ALTER TABLE execution_steps ADD COLUMN mcp_id TEXT;
ALTER TABLE execution_steps ADD COLUMN tool TEXT;
ALTER TABLE permission_events ADD COLUMN mcp_id TEXT;

CREATE UNIQUE INDEX idx_execution_steps_thread_sequence ON execution_steps(thread_id, sequence);
CREATE INDEX idx_threads_parent_id ON threads(parent_id);

CREATE TABLE transcripts (
    id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL REFERENCES threads(id),
    sequence INTEGER NOT NULL,
    timestamp TEXT NOT NULL,
    role TEXT NOT NULL,
    content TEXT,
    model TEXT,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    total_tokens INTEGER,
    metadata TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))
);
CREATE UNIQUE INDEX idx_transcripts_thread_sequence ON transcripts(thread_id, sequence);

CREATE TABLE mcp_status_history (
    id TEXT PRIMARY KEY,
    timestamp TEXT NOT NULL,
    mcp_id TEXT NOT NULL,
    status TEXT NOT NULL,
    previous_status TEXT,
    endpoint TEXT,
    detail TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))
);
CREATE INDEX idx_mcp_status_history_mcp ON mcp_status_history(mcp_id, timestamp);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    timestamp TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    outcome TEXT,
    details TEXT CHECK (details IS NULL OR json_valid(details)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))
);
CREATE INDEX idx_audit_events_timestamp ON audit_events(timestamp);
