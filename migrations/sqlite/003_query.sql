-- Issue 6: the query API. Keyset pagination walks (sort key, id) in both directions, so each list's
-- filters lead an index that ends in (sort key, id); full-text search over log messages, transcript
-- content and thread inputs with FTS5 external-content tables kept in step by triggers.
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

CREATE VIRTUAL TABLE logs_fts USING fts5(message, content='logs', content_rowid='rowid');
CREATE TRIGGER logs_fts_insert AFTER INSERT ON logs BEGIN
    INSERT INTO logs_fts(rowid, message) VALUES (new.rowid, new.message);
END;
CREATE TRIGGER logs_fts_delete AFTER DELETE ON logs BEGIN
    INSERT INTO logs_fts(logs_fts, rowid, message) VALUES ('delete', old.rowid, old.message);
END;
CREATE TRIGGER logs_fts_update AFTER UPDATE OF message ON logs BEGIN
    INSERT INTO logs_fts(logs_fts, rowid, message) VALUES ('delete', old.rowid, old.message);
    INSERT INTO logs_fts(rowid, message) VALUES (new.rowid, new.message);
END;
INSERT INTO logs_fts(logs_fts) VALUES ('rebuild');

CREATE VIRTUAL TABLE transcripts_fts USING fts5(content, content='transcripts', content_rowid='rowid');
CREATE TRIGGER transcripts_fts_insert AFTER INSERT ON transcripts BEGIN
    INSERT INTO transcripts_fts(rowid, content) VALUES (new.rowid, new.content);
END;
CREATE TRIGGER transcripts_fts_delete AFTER DELETE ON transcripts BEGIN
    INSERT INTO transcripts_fts(transcripts_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
CREATE TRIGGER transcripts_fts_update AFTER UPDATE OF content ON transcripts BEGIN
    INSERT INTO transcripts_fts(transcripts_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
    INSERT INTO transcripts_fts(rowid, content) VALUES (new.rowid, new.content);
END;
INSERT INTO transcripts_fts(transcripts_fts) VALUES ('rebuild');

CREATE VIRTUAL TABLE threads_fts USING fts5(user_input, content='threads', content_rowid='rowid');
CREATE TRIGGER threads_fts_insert AFTER INSERT ON threads BEGIN
    INSERT INTO threads_fts(rowid, user_input) VALUES (new.rowid, new.user_input);
END;
CREATE TRIGGER threads_fts_delete AFTER DELETE ON threads BEGIN
    INSERT INTO threads_fts(threads_fts, rowid, user_input) VALUES ('delete', old.rowid, old.user_input);
END;
CREATE TRIGGER threads_fts_update AFTER UPDATE OF user_input ON threads BEGIN
    INSERT INTO threads_fts(threads_fts, rowid, user_input) VALUES ('delete', old.rowid, old.user_input);
    INSERT INTO threads_fts(rowid, user_input) VALUES (new.rowid, new.user_input);
END;
INSERT INTO threads_fts(threads_fts) VALUES ('rebuild');
