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
    start_time TEXT NOT NULL,
    end_time TEXT,
    duration_ms REAL,
    status TEXT NOT NULL,
    status_message TEXT,
    attributes TEXT CHECK (attributes IS NULL OR json_valid(attributes)),
    events TEXT CHECK (events IS NULL OR json_valid(events)),
    resource TEXT CHECK (resource IS NULL OR json_valid(resource)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))
);
-- Pages are read by (start_time, id): a trace's tree, a thread's spans, all spans.
CREATE INDEX idx_spans_trace_start ON spans(trace_id, start_time, id);
CREATE INDEX idx_spans_thread_start ON spans(thread_id, start_time, id);
CREATE INDEX idx_spans_start_id ON spans(start_time, id);
