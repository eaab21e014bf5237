-- Issue 14: an MCP server's own telemetry joins the server (spans and metric points get the mcp_id
-- of the server whose service.name they carry), and the protocol inspector's captures are kept when
-- gateway.capture asks for them.
ALTER TABLE spans ADD COLUMN mcp_id TEXT;
ALTER TABLE metric_points ADD COLUMN mcp_id TEXT;
CREATE INDEX idx_spans_mcp_start ON spans(mcp_id, start_time, id) WHERE mcp_id IS NOT NULL;
CREATE INDEX idx_metric_points_mcp_timestamp ON metric_points(mcp_id, timestamp, id) WHERE mcp_id IS NOT NULL;

-- One message (or HTTP exchange) between the gateway and an MCP server, as the inspector saw it.
CREATE TABLE protocol_messages (
    id TEXT PRIMARY KEY,
    timestamp TIMESTAMP NOT NULL,
    mcp_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    method TEXT,
    jsonrpc_id TEXT,
    duration_ms DOUBLE PRECISION,
    bytes BIGINT NOT NULL,
    truncated BOOLEAN NOT NULL,
    message JSONB,
    excerpt TEXT,
    http JSONB,
    created_at TIMESTAMP DEFAULT NOW()
);
-- Pages by (timestamp, id), per server and method.
CREATE INDEX idx_protocol_messages_timestamp_id ON protocol_messages(timestamp, id);
CREATE INDEX idx_protocol_messages_mcp_timestamp ON protocol_messages(mcp_id, timestamp, id);
