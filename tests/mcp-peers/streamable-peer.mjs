// A Streamable HTTP MCP server on the official SDK, for transport paths server-everything cannot
// exercise. Listens on 127.0.0.1:$PORT, MCP endpoint /mcp, /debug (JSON: what it saw) and
// /debug/close-idle (closes every keep-alive connection that carries no request, as an idle timeout does).
//   --json          answer POSTs with plain JSON bodies (enableJsonResponse)
//   --retry-ms=N    keep events for resumption and send `retry: N` in priming events
//   --tls=CERT,KEY  serve https with this PEM certificate and key
// Tools: echo, whoami (the request's headers), expire-session (later requests get 404),
// sleep (answers after ms; /debug counts the most in flight at once), slow-echo (closes its response stream, answers after delay_ms; the client must resume with
// Last-Event-ID), notify (waits for the client's GET stream, then sends a log notification on it).
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const args = process.argv.slice(2);
const jsonResponses = args.includes('--json');
const retryArg = args.find(a => a.startsWith('--retry-ms='));
const retryMs = retryArg ? Number(retryArg.split('=')[1]) : undefined;
const port = Number(process.env.PORT || 3001);
const tlsArg = args.find(a => a.startsWith('--tls='));

const transports = new Map();
const expired = new Set();
const seen = { deleted: [], getStreams: [], resumes: [], protocolVersions: [], mcpConnections: 0, inFlight: 0, maxInFlight: 0 };

class MemoryEventStore {
  events = [];
  async storeEvent(streamId, message) {
    const eventId = `${streamId}::${this.events.length + 1}`;
    this.events.push({ eventId, streamId, message });
    return eventId;
  }
  async getStreamIdForEventId(eventId) {
    return this.events.find(e => e.eventId === eventId)?.streamId;
  }
  async replayEventsAfter(lastEventId, { send }) {
    const start = this.events.findIndex(e => e.eventId === lastEventId);
    if (start < 0) throw new Error(`unknown event id ${lastEventId}`);
    const streamId = this.events[start].streamId;
    for (const e of this.events.slice(start + 1)) {
      if (e.streamId === streamId && Object.keys(e.message).length > 0) await send(e.eventId, e.message);
    }
    return streamId;
  }
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

function makeServer(sessionRef) {
  const server = new McpServer({ name: 'mc-streamable-peer', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerTool('echo', { description: 'Echoes the message', inputSchema: { message: z.string() } },
    async ({ message }) => ({ content: [{ type: 'text', text: `Echo: ${message}` }] }));
  server.registerTool('whoami', { description: 'The headers of this request', inputSchema: {} },
    async (_args, extra) => ({ content: [{ type: 'text', text: JSON.stringify(extra.requestInfo?.headers ?? {}) }] }));
  server.registerTool('expire-session', { description: 'Forget this session after answering', inputSchema: {} },
    async (_args, extra) => {
      // Synchronously: this request is already past the 404 check, so its answer still goes out, and
      // the client's next request (which may arrive before any timer fires) is refused.
      expired.add(extra.sessionId);
      return { content: [{ type: 'text', text: `expiring ${extra.sessionId}` }] };
    });
  server.registerTool('sleep', { description: 'Answers after ms milliseconds', inputSchema: { ms: z.number().int().min(0).max(60000) } },
    async ({ ms }) => {
      seen.inFlight++;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
      await sleep(ms);
      seen.inFlight--;
      return { content: [{ type: 'text', text: `slept ${ms}` }] };
    });
  server.registerTool('slow-echo', {
    description: 'Closes the response stream, then answers after delay_ms',
    inputSchema: { message: z.string(), delay_ms: z.number().int().min(0).max(60000) },
  }, async ({ message, delay_ms }, extra) => {
    await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: `before close: ${message}` } });
    if (!extra.closeSSEStream) throw new Error('closeSSEStream unavailable: start the peer with --retry-ms');
    extra.closeSSEStream();
    await sleep(delay_ms);
    await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: `after close: ${message}` } });
    return { content: [{ type: 'text', text: `Slow echo: ${message}` }] };
  });
  server.registerTool('notify', { description: 'Sends a log message on the GET stream', inputSchema: { text: z.string() } },
    async ({ text }, extra) => {
      for (let i = 0; i < 100 && !seen.getStreams.includes(extra.sessionId); i++) await sleep(50);
      await server.server.notification({ method: 'notifications/message', params: { level: 'warning', logger: 'peer', data: text } });
      return { content: [{ type: 'text', text: 'sent' }] };
    });
  return server;
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

function jsonError(res, status, message) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message }, id: null }));
}

const handler = async (req, res) => {
  try {
    if (req.url === '/debug/close-idle') {
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
      res.end('{}', () => httpServer.closeIdleConnections());
      return;
    }
    if (req.url === '/debug') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...seen, sessions: [...transports.keys()] }));
      return;
    }
    if (!req.url.startsWith('/mcp')) return jsonError(res, 404, 'not found');
    // How many TCP connections carried MCP requests: a client that keeps connections alive opens few.
    if (!req.socket.mcpSeen) { req.socket.mcpSeen = true; seen.mcpConnections++; }
    const sessionId = req.headers['mcp-session-id'];
    if (req.headers['mcp-protocol-version']) seen.protocolVersions.push(`${req.method} ${req.headers['mcp-protocol-version']}`);
    if (sessionId && expired.has(sessionId)) return jsonError(res, 404, 'Session not found');
    if (req.method === 'DELETE' && sessionId) seen.deleted.push(sessionId);
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    let transport = sessionId ? transports.get(sessionId) : undefined;
    if (!transport) {
      if (sessionId) return jsonError(res, 404, 'Session not found');
      if (req.method !== 'POST' || !isInitializeRequest(body)) return jsonError(res, 400, 'Bad Request: no session');
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: jsonResponses,
        eventStore: retryMs !== undefined ? new MemoryEventStore() : undefined,
        retryInterval: retryMs,
        onsessioninitialized: id => transports.set(id, transport),
      });
      transport.onclose = () => { if (transport.sessionId) transports.delete(transport.sessionId); };
      await makeServer().connect(transport);
    }
    if (req.method === 'GET') {
      const lastEventId = req.headers['last-event-id'];
      if (lastEventId) seen.resumes.push(lastEventId);
      else seen.getStreams.push(sessionId);
    }
    await transport.handleRequest(req, res, body);
  } catch (error) {
    console.error('peer error:', error);
    if (!res.headersSent) jsonError(res, 500, String(error));
  }
};
const httpServer = tlsArg
  ? https.createServer({ cert: fs.readFileSync(tlsArg.slice(6).split(',')[0]), key: fs.readFileSync(tlsArg.slice(6).split(',')[1]) }, handler)
  : http.createServer(handler);
httpServer.listen(port, '127.0.0.1', () => console.error(`streamable-peer listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
