-- Issue 12: OpenTelemetry spans as the receiver got them (receiver-otlp), each whole: the span tree of
-- a trace (GET /api/traces/{id}) and the spans of a thread. Nothing an agent sends is thrown away.
CREATE TABLE spans (
    id TEXT PRIMARY KEY,
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    parent_span_id TEXT,
    thread_id TEXT REFERENCES threads(id),
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
    created_at TIMESTAMP DEFAULT NOW()
);
-- Pages are read by (start_time, id): a trace's tree, a thread's spans, all spans.
CREATE INDEX idx_spans_trace_start ON spans(trace_id, start_time, id);
CREATE INDEX idx_spans_thread_start ON spans(thread_id, start_time, id);
CREATE INDEX idx_spans_start_id ON spans(start_time, id);
