// An MCP server on the official SDK's low-level Server, for gateway paths server-everything cannot
// exercise: paginated tools/list, tools added at run time (list_changed), expired HTTP sessions,
// plain JSON responses and forced protocol versions.
//   node gateway-peer.mjs stdio|http [options]
//   --pages=N          serve tools/list over N pages (cursor "page-<i>")
//   --extra-tools=N    add filler tools filler-1..filler-N after the built-in ones
//   --json             http: answer POSTs with plain JSON bodies (enableJsonResponse)
//   --protocol=V       answer initialize with protocol version V whatever the client offered
//   --record-headers=a,b  http: /debug lists the distinct values of these request headers (recordedHeaders)
//   --written=spaced|batch  stdio: how answers with a result are written: spaced (spaces between tokens,
//                      non-ASCII characters as \u escapes, as other JSON writers do) or as a one-element batch;
//                      the peer then also offers the prompt "greet" {name} ("Hello, <name> ✓"), and writes
//                      two stray answers before each answer (an id never sent, and a null id)
//   --asking-prompt    offer the prompt "ask": getting it reports progress (1 of 2, when asked for) and
//                      asks its client (elicitation/create "Which city?"), then answers with the reply
// http: listens on 127.0.0.1:$PORT, MCP endpoint /mcp; GET /debug returns what the peer saw.
// Tools: echo {message}, add-tool {name} (adds a tool, then notifies tools/list_changed; an existing
// name is an error result, and tools/list_changed is notified all the same),
// expire-session (http: every later request of this session gets 404), meta (answers the request's
// params._meta as JSON text: progress token, traceparent).
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema, InitializeRequestSchema, ListToolsRequestSchema, McpError, ErrorCode, isInitializeRequest,
  ListPromptsRequestSchema, GetPromptRequestSchema, ElicitResultSchema,
} from '@modelcontextprotocol/sdk/types.js';

const argv = process.argv.slice(2);
const mode = argv[0];
const option = name => argv.find(a => a.startsWith(`--${name}=`))?.split('=')[1];
const pages = Number(option('pages') ?? 1);
const extraTools = Number(option('extra-tools') ?? 0);
const forcedProtocol = option('protocol');
const jsonResponses = argv.includes('--json');
const askingPrompt = argv.includes('--asking-prompt');
const written = option('written');
const recordHeaders = (option('record-headers') ?? '').split(',').filter(Boolean).map(h => h.toLowerCase());
if (mode !== 'stdio' && mode !== 'http') {
  console.error('usage: gateway-peer.mjs stdio|http [--pages=N] [--extra-tools=N] [--json] [--protocol=V] [--record-headers=a,b]');
  process.exit(2);
}

// Shared by every session, so a tool added in one session survives a new session.
const tools = [
  { name: 'echo', description: 'Echoes the message',
    inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] } },
  { name: 'add-tool', description: 'Adds a tool and notifies tools/list_changed',
    inputSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
  { name: 'expire-session', description: 'Forgets this HTTP session after answering',
    inputSchema: { type: 'object', properties: {} } },
  { name: 'meta', description: "Answers the request's params._meta as JSON text",
    inputSchema: { type: 'object', properties: {} } },
];
for (let i = 1; i <= extraTools; i++)
  tools.push({ name: `filler-${i}`, description: `Filler tool ${i}`, inputSchema: { type: 'object', properties: {} } });

const seen = { initializations: 0, listCursors: [], protocolHeaders: [], expired: [], sessions: [], deleted: [],
  recordedHeaders: Object.fromEntries(recordHeaders.map(h => [h, []])) };
const expired = new Set();
const text = t => ({ content: [{ type: 'text', text: t }] });

function makeServer() {
  const server = new Server({ name: 'mc-gateway-peer', version: '2.3.4' },
    { capabilities: { tools: { listChanged: true }, ...(askingPrompt || written ? { prompts: {} } : {}) }, instructions: 'gateway test peer' });
  if (written) {
    server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: [{ name: 'greet', description: 'Greets by name',
      arguments: [{ name: 'name', required: true }] }] }));
    server.setRequestHandler(GetPromptRequestSchema, async request => ({
      messages: [{ role: 'user', content: { type: 'text', text: `Hello, ${request.params.arguments?.name} \u2713` } }] }));
  }
  if (askingPrompt) {
    server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: [{ name: 'ask', description: 'Asks its client which city' }] }));
    server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
      const token = request.params._meta?.progressToken;
      if (token !== undefined)
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 1, total: 2 } });
      const reply = await extra.sendRequest({ method: 'elicitation/create', params: { message: 'Which city?',
        requestedSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }, ElicitResultSchema);
      const city = reply.action === 'accept' ? reply.content?.city : `(${reply.action})`;
      return { messages: [{ role: 'user', content: { type: 'text', text: `Weather in ${city}?` } }] };
    });
  }
  if (forcedProtocol) {
    server.setRequestHandler(InitializeRequestSchema, async request => {
      seen.initializations++;
      const answer = await server._oninitialize(request);
      return { ...answer, protocolVersion: forcedProtocol };
    });
  } else {
    server.setRequestHandler(InitializeRequestSchema, async request => {
      seen.initializations++;
      return server._oninitialize(request);
    });
  }
  server.setRequestHandler(ListToolsRequestSchema, async request => {
    const cursor = request.params?.cursor;
    seen.listCursors.push(cursor ?? null);
    const pageSize = Math.ceil(tools.length / pages);
    let page = 0;
    if (cursor !== undefined) {
      const match = /^page-(\d+)$/.exec(cursor);
      if (!match) throw new McpError(ErrorCode.InvalidParams, `unknown cursor ${cursor}`);
      page = Number(match[1]);
    }
    const slice = tools.slice(page * pageSize, (page + 1) * pageSize);
    const more = (page + 1) * pageSize < tools.length;
    return more ? { tools: slice, nextCursor: `page-${page + 1}` } : { tools: slice };
  });
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args = {} } = request.params;
    switch (name) {
    case 'echo':
      return text(`Echo: ${args.message}`);
    case 'meta':
      return text(JSON.stringify(request.params._meta ?? {}));
    case 'add-tool':
      if (tools.some(t => t.name === args.name)) {
        // Announced all the same, as a careless server would: a change that changed nothing.
        setTimeout(() => server.sendToolListChanged().catch(e => console.error('list_changed failed:', e)), 0);
        return { ...text(`tool ${args.name} exists`), isError: true };
      }
      tools.push({ name: args.name, description: 'Added at run time', inputSchema: { type: 'object', properties: {} } });
      // After the answer, so the notification does not depend on the request's response stream.
      setTimeout(() => server.sendToolListChanged().catch(e => console.error('list_changed failed:', e)), 0);
      return text(`added ${args.name}`);
    case 'expire-session':
      if (!extra.sessionId) return { ...text('no session to expire (not http)'), isError: true };
      expired.add(extra.sessionId); // at once: the next request may arrive before any timer fires
      seen.expired.push(extra.sessionId);
      return text(`expiring ${extra.sessionId}`);
    default:
      if (tools.some(t => t.name === name)) return text(`called ${name}`);
      throw new McpError(ErrorCode.InvalidParams, `unknown tool ${name}`);
    }
  });
  return server;
}

// A result's answer written another way than the SDK's JSON.stringify (still one line).
function rewritten(message) {
  if (written === 'batch') return JSON.stringify([message]);
  return JSON.stringify(message, null, 1).replace(/\n */g, ' ')
    .replace(/[\u0080-\uffff]/g, c => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

if (mode === 'stdio') {
  const transport = new StdioServerTransport();
  if (written) {
    const send = transport.send.bind(transport);
    // Before each answer, two its client must set aside: an id it never sent, and none.
    const strays = '{"jsonrpc":"2.0","id":"stray","result":{}}\n{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"stray"}}\n';
    transport.send = async message => ('result' in message ? void process.stdout.write(strays + rewritten(message) + '\n') : send(message));
  }
  await makeServer().connect(transport);
  console.error(`gateway-peer on stdio: ${tools.length} tools over ${pages} page(s)`);
} else {
  const transports = new Map();
  const readJson = async req => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    return body ? JSON.parse(body) : undefined;
  };
  const reply = (res, status, message) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message }, id: null }));
  };
  const handler = async (req, res) => {
    try {
      if (req.url === '/debug') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...seen, tools: tools.map(t => t.name) }));
        return;
      }
      if (!req.url.startsWith('/mcp')) return reply(res, 404, 'not found');
      const sessionId = req.headers['mcp-session-id'];
      if (req.headers['mcp-protocol-version']) seen.protocolHeaders.push(req.headers['mcp-protocol-version']);
      for (const h of recordHeaders) {
        const value = req.headers[h];
        if (value !== undefined && !seen.recordedHeaders[h].includes(value)) seen.recordedHeaders[h].push(value);
      }
      if (sessionId && expired.has(sessionId)) return reply(res, 404, 'Session not found');
      if (req.method === 'DELETE' && sessionId) seen.deleted.push(sessionId);
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      let transport = sessionId ? transports.get(sessionId) : undefined;
      if (!transport) {
        if (sessionId) return reply(res, 404, 'Session not found');
        if (req.method !== 'POST' || !isInitializeRequest(body)) return reply(res, 400, 'Bad Request: no session');
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          enableJsonResponse: jsonResponses,
          onsessioninitialized: id => { transports.set(id, transport); seen.sessions.push(id); },
        });
        transport.onclose = () => { if (transport.sessionId) transports.delete(transport.sessionId); };
        await makeServer().connect(transport);
      }
      await transport.handleRequest(req, res, body);
    } catch (error) {
      console.error('gateway-peer error:', error);
      if (!res.headersSent) reply(res, 500, String(error));
    }
  };
  const port = Number(process.env.PORT || 3002);
  http.createServer(handler).listen(port, '127.0.0.1',
    () => console.error(`gateway-peer listening on 127.0.0.1:${port}: ${tools.length} tools over ${pages} page(s)`));
}
process.on('SIGTERM', () => process.exit(0));
