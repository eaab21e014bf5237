-- Issue 16: logs, spans and metric_points (the tables that grow with every agent) become daily RANGE
-- partitions of their time column, so that retention drops whole days (plugins/store-postgres:
-- PostgresPartitions) instead of deleting rows one by one. Rows of a day without a partition (very old,
-- far ahead) go to the table's default partition, which retention empties row by row.
-- A partitioned table's primary key must hold the partition key: (id, time). An id is still stored
-- once: the store looks ids up across the partitions before it inserts (PostgresStore insertOnce).
-- The rows are copied: the tables are rewritten once, in this transaction (the statement timeout is
-- lifted for it).
SET LOCAL statement_timeout = 0;

-- Creates a partition of `tbl` for every day its old copy (<tbl>_unpartitioned) holds rows of.
CREATE FUNCTION pg_temp.partition_days(tbl text, time_column text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE d date;
BEGIN
    FOR d IN EXECUTE format('SELECT DISTINCT %I::date FROM %I', time_column, tbl || '_unpartitioned') LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                       tbl || '_p' || to_char(d, 'YYYYMMDD'), tbl, d::timestamp, (d + 1)::timestamp);
    END LOOP;
END $$;

-- logs ------------------------------------------------------------------
ALTER TABLE logs RENAME TO logs_unpartitioned;
CREATE TABLE logs (
    id TEXT NOT NULL,
    timestamp TIMESTAMP NOT NULL,
    level TEXT NOT NULL,
    service TEXT NOT NULL,
    thread_id TEXT,
    mcp_id TEXT NOT NULL,
    message TEXT,
    context JSONB,
    exception TEXT,
    created_at TIMESTAMP DEFAULT NOW(),
    message_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(message, ''))) STORED
) PARTITION BY RANGE (timestamp);
CREATE TABLE logs_default PARTITION OF logs DEFAULT;
SELECT pg_temp.partition_days('logs', 'timestamp');
INSERT INTO logs (id, timestamp, level, service, thread_id, mcp_id, message, context, exception, created_at)
    SELECT id, timestamp, level, service, thread_id, mcp_id, message, context, exception, created_at FROM logs_unpartitioned;
DROP TABLE logs_unpartitioned;
ALTER TABLE logs ADD CONSTRAINT logs_pkey PRIMARY KEY (id, timestamp);
ALTER TABLE logs ADD CONSTRAINT logs_thread_id_fkey FOREIGN KEY (thread_id) REFERENCES threads(id);
CREATE INDEX idx_logs_timestamp_id ON logs(timestamp, id);
CREATE INDEX idx_logs_mcp_timestamp ON logs(mcp_id, timestamp, id);
CREATE INDEX idx_logs_thread_timestamp ON logs(thread_id, timestamp, id);
CREATE INDEX idx_logs_service_timestamp ON logs(service, timestamp, id);
CREATE INDEX idx_logs_level_timestamp ON logs(level, timestamp, id);
CREATE INDEX idx_logs_message_tsv ON logs USING GIN (message_tsv);

-- spans -----------------------------------------------------------------
ALTER TABLE spans RENAME TO spans_unpartitioned;
CREATE TABLE spans (
    id TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    parent_span_id TEXT,
    thread_id TEXT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    service TEXT,
    start_time TIMESTAMP NOT NULL,
    end_time TIMESTAMP,
    duration_ms DOUBLE PRECISION,
    status TEXT NOT NULL,
    status_message TEXT,
    attributes JSONB,
    events JSONB,
    resource JSONB,
    created_at TIMESTAMP DEFAULT NOW(),
    mcp_id TEXT
) PARTITION BY RANGE (start_time);
CREATE TABLE spans_default PARTITION OF spans DEFAULT;
SELECT pg_temp.partition_days('spans', 'start_time');
INSERT INTO spans (id, trace_id, span_id, parent_span_id, thread_id, name, kind, service, start_time, end_time, duration_ms,
                   status, status_message, attributes, events, resource, created_at, mcp_id)
    SELECT id, trace_id, span_id, parent_span_id, thread_id, name, kind, service, start_time, end_time, duration_ms,
           status, status_message, attributes, events, resource, created_at, mcp_id
    FROM spans_unpartitioned;
DROP TABLE spans_unpartitioned;
ALTER TABLE spans ADD CONSTRAINT spans_pkey PRIMARY KEY (id, start_time);
ALTER TABLE spans ADD CONSTRAINT spans_thread_id_fkey FOREIGN KEY (thread_id) REFERENCES threads(id);
CREATE INDEX idx_spans_trace_start ON spans(trace_id, start_time, id);
CREATE INDEX idx_spans_thread_start ON spans(thread_id, start_time, id);
CREATE INDEX idx_spans_start_id ON spans(start_time, id);
CREATE INDEX idx_spans_mcp_start ON spans(mcp_id, start_time, id) WHERE mcp_id IS NOT NULL;

-- metric_points -----------------------------------------------------------
ALTER TABLE metric_points RENAME TO metric_points_unpartitioned;
CREATE TABLE metric_points (
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    thread_id TEXT,
    service TEXT,
    type TEXT NOT NULL,
    unit TEXT,
    temporality TEXT NOT NULL,
    monotonic BOOLEAN,
    start_time TIMESTAMP,
    timestamp TIMESTAMP NOT NULL,
    value DOUBLE PRECISION,
    increment DOUBLE PRECISION,
    count BIGINT,
    sum DOUBLE PRECISION,
    min DOUBLE PRECISION,
    max DOUBLE PRECISION,
    buckets JSONB,
    usage TEXT,
    model TEXT,
    attributes JSONB,
    resource JSONB,
    created_at TIMESTAMP DEFAULT NOW(),
    mcp_id TEXT
) PARTITION BY RANGE (timestamp);
CREATE TABLE metric_points_default PARTITION OF metric_points DEFAULT;
SELECT pg_temp.partition_days('metric_points', 'timestamp');
INSERT INTO metric_points (id, name, thread_id, service, type, unit, temporality, monotonic, start_time, timestamp, value,
                           increment, count, sum, min, max, buckets, usage, model, attributes, resource, created_at, mcp_id)
    SELECT id, name, thread_id, service, type, unit, temporality, monotonic, start_time, timestamp, value,
           increment, count, sum, min, max, buckets, usage, model, attributes, resource, created_at, mcp_id
    FROM metric_points_unpartitioned;
DROP TABLE metric_points_unpartitioned;
ALTER TABLE metric_points ADD CONSTRAINT metric_points_pkey PRIMARY KEY (id, timestamp);
ALTER TABLE metric_points ADD CONSTRAINT metric_points_thread_id_fkey FOREIGN KEY (thread_id) REFERENCES threads(id);
CREATE INDEX idx_metric_points_timestamp_id ON metric_points(timestamp, id);
CREATE INDEX idx_metric_points_name_timestamp ON metric_points(name, timestamp);
CREATE INDEX idx_metric_points_thread_usage ON metric_points(thread_id, usage) WHERE usage IS NOT NULL;
CREATE INDEX idx_metric_points_service_usage ON metric_points(service, usage) WHERE usage IS NOT NULL;
CREATE INDEX idx_metric_points_mcp_timestamp ON metric_points(mcp_id, timestamp, id) WHERE mcp_id IS NOT NULL;
ANALYZE logs;
ANALYZE spans;
ANALYZE metric_points;
DROP FUNCTION pg_temp.partition_days(text, text);
