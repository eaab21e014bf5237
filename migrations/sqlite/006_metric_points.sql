-- Issue 12: OpenTelemetry metric data points as the receiver got them (receiver-otlp): every point
-- queryable for a bounded time (the store's metric retention), and the token and cost counters
-- (`usage`) added up per thread and per agent (the "usage" query).
CREATE TABLE metric_points (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    thread_id TEXT REFERENCES threads(id),
    service TEXT,
    type TEXT NOT NULL,
    unit TEXT,
    temporality TEXT NOT NULL,
    monotonic INTEGER,
    start_time TEXT,
    timestamp TEXT NOT NULL,
    value REAL,
    increment REAL,
    count INTEGER,
    sum REAL,
    min REAL,
    max REAL,
    buckets TEXT CHECK (buckets IS NULL OR json_valid(buckets)),
    usage TEXT,
    model TEXT,
    attributes TEXT CHECK (attributes IS NULL OR json_valid(attributes)),
    resource TEXT CHECK (resource IS NULL OR json_valid(resource)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))
);
-- Pages by (timestamp, id), filtered by name, thread or agent; usage sums by thread or agent; the
-- retention sweep deletes by timestamp.
CREATE INDEX idx_metric_points_timestamp_id ON metric_points(timestamp, id);
CREATE INDEX idx_metric_points_name_timestamp ON metric_points(name, timestamp);
CREATE INDEX idx_metric_points_thread_usage ON metric_points(thread_id, usage) WHERE usage IS NOT NULL;
CREATE INDEX idx_metric_points_service_usage ON metric_points(service, usage) WHERE usage IS NOT NULL;
