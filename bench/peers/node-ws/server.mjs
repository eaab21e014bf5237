// The seed's protocol on Node + ws, in memory: POST /api/ingest ({"events":[...]} or NDJSON, the
// host's two formats) broadcasts each log event to the WebSocket clients subscribed to one of its
// channels, in the host's event shape; GET /ws speaks subscribe/subscribed, unsubscribe, ping.
// Nothing is stored. Usage: node server.mjs --port PORT [--host 127.0.0.1]
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';

const argument = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
};
const host = argument('--host', '127.0.0.1');
const port = Number(argument('--port', '8000'));

const subscribers = new Map(); // channel -> Set of sockets
const levels = new Set(['DEBUG', 'INFO', 'WARN', 'ERROR']);
let seq = 0;

function channelsOf(log) {
  const channels = ['logs:*', `logs:mcp:${log.mcp_id}`, `logs:${log.level}`];
  if (log.thread_id) channels.splice(1, 0, `logs:${log.thread_id}`);
  return channels;
}

// Sends once to every client subscribed to any of the channels (like the host: no duplicates).
function broadcast(channels, text) {
  const targets = new Set();
  for (const channel of channels) for (const socket of subscribers.get(channel) ?? []) targets.add(socket);
  for (const socket of targets) socket.send(text);
}

// The host's checks for a log: the fields it requires, a known level (any case). Returns the reason.
function invalid(event) {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return 'event is not a JSON object';
  if (event.type !== 'log') return 'this peer takes log events only';
  for (const field of ['level', 'service', 'mcp_id'])
    if (typeof event[field] !== 'string' || event[field] === '') return `field '${field}' is required`;
  if (!levels.has(event.level.toUpperCase())) return `field 'level' must be one of DEBUG, INFO, WARN, ERROR`;
  return null;
}

function ingest(events) {
  const reply = { accepted: 0, rejected: [], ids: [] };
  events.forEach((event, index) => {
    const reason = event instanceof Error ? event.message : invalid(event);
    if (reason) {
      reply.rejected.push({ index, reason });
      return;
    }
    const now = new Date().toISOString();
    const log = {
      id: event.id || `L-${randomUUID()}`, timestamp: event.timestamp ?? now, level: event.level.toUpperCase(),
      service: event.service, thread_id: event.thread_id ?? null, mcp_id: event.mcp_id, message: event.message ?? null,
      context: event.context ?? null, exception: event.exception ?? null,
    };
    const channels = channelsOf(log);
    broadcast(channels, JSON.stringify({ type: 'log', seq: ++seq, timestamp: now, source: 'ingest', channels, payload: log }));
    reply.accepted += 1;
    reply.ids.push(log.id);
  });
  return reply;
}

function parseBody(body, contentType) {
  if (contentType.startsWith('application/x-ndjson'))
    return body.split('\n').filter((line) => line.trim()).map((line, i) => {
      try { return JSON.parse(line); } catch (e) { return new Error(`line ${i + 1}: not valid JSON: ${e.message}`); }
    });
  if (!contentType.startsWith('application/json')) throw Object.assign(new Error(contentType), { status: 415, code: 'unsupported_media_type' });
  let parsed;
  try { parsed = JSON.parse(body); } catch (e) { throw Object.assign(e, { status: 400, code: 'invalid_json' }); }
  if (!parsed || !Array.isArray(parsed.events)) throw Object.assign(new Error('needs an "events" array'), { status: 400, code: 'bad_request' });
  return parsed.events;
}

function answer(response, status, value) {
  const text = JSON.stringify(value);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

const server = http.createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/health') return answer(response, 200, { status: 'ok' });
  if (request.method !== 'POST' || request.url !== '/api/ingest') return answer(response, 404, { error: { code: 'not_found', message: request.url } });
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    try {
      answer(response, 200, ingest(parseBody(Buffer.concat(chunks).toString(), request.headers['content-type'] ?? '')));
    } catch (e) {
      answer(response, e.status ?? 500, { error: { code: e.code ?? 'internal_error', message: e.message } });
    }
  });
});
server.keepAliveTimeout = 60000; // the load generator keeps its connections for the whole run

const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (socket) => {
  const mine = new Set();
  const reply = (value) => socket.send(JSON.stringify(value));
  socket.on('message', (data, isBinary) => {
    let message;
    try { message = JSON.parse(data.toString()); } catch { return reply({ type: 'error', code: 'invalid_json', message: 'not JSON' }); }
    if (isBinary || !message || typeof message.type !== 'string') return reply({ type: 'error', code: 'invalid_message', message: 'no type' });
    const requestId = message.request_id ?? null;
    if (message.type === 'subscribe' || message.type === 'unsubscribe') {
      const channel = message.channel;
      if (typeof channel !== 'string' || !channel) return reply({ type: 'error', code: 'missing_channel', message: 'channel', request_id: requestId });
      if (message.type === 'subscribe') {
        if (!subscribers.has(channel)) subscribers.set(channel, new Set());
        subscribers.get(channel).add(socket);
        mine.add(channel);
      } else {
        subscribers.get(channel)?.delete(socket);
        mine.delete(channel);
      }
      return reply({ type: `${message.type}d`, channel, request_id: requestId });
    }
    if (message.type === 'ping') return reply({ type: 'pong', request_id: requestId });
    reply({ type: 'error', code: 'unknown_type', message: message.type, request_id: requestId });
  });
  socket.on('close', () => { for (const channel of mine) subscribers.get(channel)?.delete(socket); });
});

server.listen(port, host, () => console.log(`node-ws peer on http://${host}:${port}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
