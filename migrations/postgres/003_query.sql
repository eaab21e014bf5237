-- Issue 6: the query API. Keyset pagination walks (sort key, id) in both directions, so each list's
-- filters lead an index that ends in (sort key, id); full-text search over log messages, transcript
-- content and thread inputs with generated tsvector columns ('simple' configuration: identifiers and
-- log words are not stemmed) behind GIN indexes.
CREATE INDEX idx_logs_timestamp_id ON logs(timestamp, id);
CREATE INDEX idx_logs_mcp_timestamp ON logs(mcp_id, timestamp, id);
CREATE INDEX idx_logs_thread_timestamp ON logs(thread_id, timestamp, id);
CREATE INDEX idx_logs_service_timestamp ON logs(service, timestamp, id);
CREATE INDEX idx_logs_level_timestamp ON logs(level, timestamp, id);
DROP INDEX idx_logs_timestamp;
DROP INDEX idx_logs_thread_id;

CREATE INDEX idx_threads_started_id ON threads(started_at, id);
CREATE INDEX idx_threads_status_started ON threads(status, started_at, id);
CREATE INDEX idx_threads_mcp_started ON threads(mcp_id, started_at, id);
CREATE INDEX idx_threads_parent_started ON threads(parent_id, started_at, id);
DROP INDEX idx_threads_mcp_id;
DROP INDEX idx_threads_status;
DROP INDEX idx_threads_parent_id;

CREATE INDEX idx_execution_steps_tool ON execution_steps(thread_id, mcp_id, tool);

CREATE INDEX idx_permission_events_timestamp ON permission_events(timestamp, id);
CREATE INDEX idx_permission_events_user ON permission_events(user_id, timestamp, id);
CREATE INDEX idx_permission_events_resource ON permission_events(resource, timestamp, id);
CREATE INDEX idx_permission_events_thread ON permission_events(thread_id, timestamp, id);
DROP INDEX idx_permission_events_thread_id;

CREATE INDEX idx_mcp_status_history_mcp_id ON mcp_status_history(mcp_id, timestamp, id);
DROP INDEX idx_mcp_status_history_mcp;

CREATE INDEX idx_audit_events_timestamp_id ON audit_events(timestamp, id);
CREATE INDEX idx_audit_events_actor ON audit_events(actor, timestamp, id);
DROP INDEX idx_audit_events_timestamp;

ALTER TABLE logs ADD COLUMN message_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', coalesce(message, ''))) STORED;
CREATE INDEX idx_logs_message_tsv ON logs USING GIN (message_tsv);
ALTER TABLE transcripts ADD COLUMN content_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', coalesce(content, ''))) STORED;
CREATE INDEX idx_transcripts_content_tsv ON transcripts USING GIN (content_tsv);
ALTER TABLE threads ADD COLUMN user_input_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', coalesce(user_input, ''))) STORED;
CREATE INDEX idx_threads_user_input_tsv ON threads USING GIN (user_input_tsv);
