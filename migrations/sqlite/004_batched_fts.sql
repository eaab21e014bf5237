-- Logs and transcripts are added to their full-text indexes once per write batch by the store
-- (plugins/store-sqlite: one INSERT ... SELECT of the batch's new rows), not by a trigger per row.
-- A row trigger that writes an FTS5 table makes every INSERT open a statement savepoint, and FTS5
-- flushes its pending index at each one: per-row indexing cost more than the rest of a write.
-- Deletes and updates keep their triggers; threads keep all of theirs (few rows, updated in place).
DROP TRIGGER logs_fts_insert;
DROP TRIGGER transcripts_fts_insert;
