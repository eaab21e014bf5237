-- Mission Control initial schema (PostgreSQL), as designed in the seed plan.
CREATE TABLE threads (
    id TEXT PRIMARY KEY,
    parent_id TEXT,
    mcp_id TEXT NOT NULL,
    status TEXT NOT NULL,
    user_input TEXT,
    execution_context JSONB,
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    memory_usage INTEGER,
    cpu_usage FLOAT,
    created_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE execution_steps (
    id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL REFERENCES threads(id),
    sequence INTEGER NOT NULL,
    timestamp TIMESTAMP NOT NULL,
    duration_ms FLOAT,
    type TEXT NOT NULL,
    description TEXT,
    details JSONB,
    status TEXT,
    created_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE logs (
    id TEXT PRIMARY KEY,
    timestamp TIMESTAMP NOT NULL,
    level TEXT NOT NULL,
    service TEXT NOT NULL,
    thread_id TEXT REFERENCES threads(id),
    mcp_id TEXT NOT NULL,
    message TEXT,
    context JSONB,
    exception TEXT,
    created_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE permission_events (
    id TEXT PRIMARY KEY,
    timestamp TIMESTAMP NOT NULL,
    thread_id TEXT REFERENCES threads(id),
    user_id TEXT,
    resource TEXT,
    action TEXT,
    granted BOOLEAN,
    reason TEXT,
    created_at TIMESTAMP DEFAULT NOW()
);

CREATE INDEX idx_threads_mcp_id ON threads(mcp_id);
CREATE INDEX idx_threads_status ON threads(status);
CREATE INDEX idx_execution_steps_thread_id ON execution_steps(thread_id);
CREATE INDEX idx_logs_timestamp ON logs(timestamp);
CREATE INDEX idx_logs_thread_id ON logs(thread_id);
CREATE INDEX idx_permission_events_thread_id ON permission_events(thread_id);
