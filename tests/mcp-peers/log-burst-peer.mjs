// An MCP server on the official SDK for mc-bench-gateway: on a tool call it emits log notifications
// stamped with their send time, so the receiver can compute latency against the same wall clock.
//   node log-burst-peer.mjs stdio          speak over stdin/stdout
//   node log-burst-peer.mjs http           Streamable HTTP on 127.0.0.1:$PORT, endpoint /mcp
// Tools: echo {message}; log-burst {count, interval_ms}: `count` notifications/message at level info,
// data {message, seq, sent_us} (sent_us: microseconds since the Unix epoch), `interval_ms` apart
// (0: back to back); answers when all were sent. The notifications are related to the call, so over
// Streamable HTTP they travel on the call's own response stream.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const mode = process.argv[2] || 'stdio';
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const epochMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

function makeServer() {
  const server = new McpServer({ name: 'mc-log-burst-peer', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerTool('echo', { description: 'Echoes the message', inputSchema: { message: z.string() } },
    async ({ message }) => ({ content: [{ type: 'text', text: `Echo: ${message}` }] }));
  server.registerTool('log-burst', {
    description: 'Sends `count` info log notifications stamped with their send time',
    inputSchema: { count: z.number().int().min(1).max(1000000), interval_ms: z.number().min(0).max(10000) },
  }, async ({ count, interval_ms }, extra) => {
    for (let seq = 0; seq < count; seq++) {
      if (interval_ms > 0 && seq > 0) await sleep(interval_ms);
      await extra.sendNotification({
        method: 'notifications/message',
        params: { level: 'info', logger: 'burst', data: { message: `burst ${seq}`, seq, sent_us: epochMicros() } },
      });
    }
    return { content: [{ type: 'text', text: `sent ${count}` }] };
  });
  return server;
}

if (mode === 'stdio') {
  await makeServer().connect(new StdioServerTransport());
  console.error('log-burst-peer on stdio');
} else if (mode === 'http') {
  const transports = new Map();
  const port = Number(process.env.PORT || 3001);
  const readJson = async req => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? JSON.parse(text) : undefined;
  };
  const fail = (res, status, message) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message }, id: null }));
  };
  http.createServer(async (req, res) => {
    try {
      if (!req.url.startsWith('/mcp')) return fail(res, 404, 'not found');
      const sessionId = req.headers['mcp-session-id'];
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      let transport = sessionId ? transports.get(sessionId) : undefined;
      if (!transport) {
        if (sessionId) return fail(res, 404, 'Session not found');
        if (req.method !== 'POST' || !isInitializeRequest(body)) return fail(res, 400, 'Bad Request: no session');
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: id => transports.set(id, transport),
        });
        transport.onclose = () => { if (transport.sessionId) transports.delete(transport.sessionId); };
        await makeServer().connect(transport);
      }
      await transport.handleRequest(req, res, body);
    } catch (error) {
      console.error('log-burst-peer error:', error);
      if (!res.headersSent) fail(res, 500, String(error));
    }
  }).listen(port, '127.0.0.1', () => console.error(`log-burst-peer listening on 127.0.0.1:${port}`));
} else {
  console.error(`usage: node log-burst-peer.mjs stdio|http (got "${mode}")`);
  process.exit(2);
}
process.on('SIGTERM', () => process.exit(0));
