-- execution_steps(thread_id) is the leading column of the unique (thread_id, sequence) index, which
-- serves every lookup by thread (and its order): the single-column index only cost each recorded step
-- one more index write.
DROP INDEX IF EXISTS idx_execution_steps_thread_id;
