-- Issue 15: the console's Tools view asks for the tool calls of a time range (the "tools" query):
-- an index on (type, timestamp) reads them newest first without scanning every step.
CREATE INDEX idx_execution_steps_type_time ON execution_steps(type, timestamp);
