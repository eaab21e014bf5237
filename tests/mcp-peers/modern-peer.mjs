// An MCP server of the 2026-07-28 era on the official TypeScript SDK v2 (@modelcontextprotocol/server):
// createMcpHandler serves it over HTTP, serveStdio over stdio. For the gateway's client of that era.
//   --legacy=reject     modern only: a 2025-era initialize is answered HTTP 400, -32022 (the default)
//   --legacy=stateless  both eras: 2025-era requests served statelessly beside the new era
//   --stdio             over stdin/stdout instead of HTTP (both eras, as the SDK's stdio serves them)
//   --resources         also one resource, note://one, that clients may subscribe to (resources.subscribe);
//                       POST /touch changes it and announces resources/updated to the listen streams
//                       that asked for it
// HTTP: listens on 127.0.0.1:$PORT; MCP endpoint /mcp; GET /debug answers what it saw (every POST's
// JSON-RPC method, id and MCP headers, in order, and {method:"<aborted>",id} when a client closed a request's
// response before it was answered: the 2026-07-28 way to cancel over HTTP).
// Tools: echo (a tool error for the message "fail"), add-tool (adds tool "extra-<n>" and announces the change), ask-name (asks the client for a
// name through input_required, then greets it), sleep (answers after ms), stderr (writes its lines to
// stderr: over stdio, the server's own logs), roots (asks the client for its roots through input_required,
// then names their URIs).
import http from 'node:http';
import { McpServer, createMcpHandler, fromJsonSchema, inputRequired, acceptedContent } from '@modelcontextprotocol/server';

const args = process.argv.slice(2);
const option = name => args.find(a => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');
const legacy = option('legacy') ?? 'reject';
const withResources = args.includes('--resources');
let note = 'first version';
const port = Number(process.env.PORT || 3001);

let extraTools = 0;
let handler; // the HTTP handler, whose notifier announces changes

function build() {
  const server = new McpServer({ name: 'modern-peer', version: '2.4.0' },
                               { capabilities: { logging: {}, ...(withResources ? { resources: { subscribe: true } } : {}) } });
  if (withResources)
    server.registerResource('note', 'note://one', { mimeType: 'text/plain' },
                            async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: note }] }));
  server.registerTool('echo', {
    description: 'Echoes the message',
    inputSchema: fromJsonSchema({ type: 'object', properties: { message: { type: 'string' } }, required: ['message'] }),
  }, async ({ message }) => (message === 'fail'
    ? { content: [{ type: 'text', text: 'echo failed on purpose' }], isError: true } // a tool error, for captures
    : { content: [{ type: 'text', text: `echo: ${message}` }] }));
  server.registerTool('add-tool', { description: 'Adds a tool and announces the list change' }, async () => {
    extraTools += 1;
    handler?.notify.toolsChanged();
    return { content: [{ type: 'text', text: `extra-${extraTools}` }] };
  });
  server.registerTool('ask-name', {
    description: 'Asks the client for a name (input_required), then greets it',
    inputSchema: fromJsonSchema({ type: 'object', properties: {} }),
  }, async (_args, ctx) => {
    const answer = acceptedContent(ctx.mcpReq.inputResponses, 'who');
    if (!answer) {
      return inputRequired({
        inputRequests: {
          who: inputRequired.elicit({
            message: 'Who is asking?',
            requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
          }),
        },
      });
    }
    return { content: [{ type: 'text', text: `hello ${answer.name}` }] };
  });
  server.registerTool('sleep', {
    description: 'Answers after ms milliseconds',
    inputSchema: fromJsonSchema({ type: 'object', properties: { ms: { type: 'integer' } }, required: ['ms'] }),
  }, async ({ ms }) => {
    await new Promise(resolve => setTimeout(resolve, ms));
    return { content: [{ type: 'text', text: `slept ${ms} ms` }] };
  });
  server.registerTool('stderr', {
    description: 'Writes lines to stderr',
    inputSchema: fromJsonSchema({ type: 'object', properties: { lines: { type: 'array', items: { type: 'string' } } }, required: ['lines'] }),
  }, async ({ lines }) => {
    for (const line of lines) process.stderr.write(`${line}\n`);
    return { content: [{ type: 'text', text: `wrote ${lines.length} lines` }] };
  });
  server.registerTool('roots', {
    description: "Names the client's roots (asked through input_required)",
    inputSchema: fromJsonSchema({ type: 'object', properties: {} }),
  }, async (_args, ctx) => {
    const listed = ctx.mcpReq.inputResponses?.roots;
    if (!listed) return inputRequired({ inputRequests: { roots: inputRequired.listRoots() } });
    return { content: [{ type: 'text', text: listed.roots.map(r => r.uri + (r.name ? ` (${r.name})` : '')).join(', ') }] };
  });
  for (let i = 1; i <= extraTools; ++i)
    server.registerTool(`extra-${i}`, { description: `Added tool ${i}` }, async () => ({ content: [{ type: 'text', text: `extra ${i}` }] }));
  return server;
}

if (args.includes('--stdio')) {
  const { serveStdio } = await import('@modelcontextprotocol/server/stdio');
  await serveStdio(build);
} else {
  handler = createMcpHandler(build, { legacy });
  const seen = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    if (req.url === '/touch' && req.method === 'POST') {
      note = `changed at ${Date.now()}`;
      handler.notify.resourceUpdated('note://one');
      res.writeHead(204);
      res.end();
      return;
    }
    if (req.url === '/debug') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ seen }));
      return;
    }
    let requestId = null;
    if (req.method === 'POST') {
      try {
        const message = JSON.parse(body.toString('utf8'));
        if (!Array.isArray(message) && message.method && message.id !== undefined) requestId = message.id;
        for (const m of Array.isArray(message) ? message : [message])
          seen.push({
            method: m.method ?? null, id: m.id ?? null,
            protocolVersion: req.headers['mcp-protocol-version'] ?? null,
            mcpMethod: req.headers['mcp-method'] ?? null, mcpName: req.headers['mcp-name'] ?? null,
            session: req.headers['mcp-session-id'] ?? null,
            metaVersion: m.params?._meta?.['io.modelcontextprotocol/protocolVersion'] ?? null,
            logLevel: m.params?._meta?.['io.modelcontextprotocol/logLevel'] ?? null,
            traceparent: m.params?._meta?.traceparent ?? null,
          });
      } catch {
        seen.push({ method: 'unparsable' });
      }
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableEnded && requestId !== null) seen.push({ method: '<aborted>', id: requestId });
      controller.abort();
    });
    const response = await handler.fetch(new Request(`http://127.0.0.1:${port}${req.url}`, {
      method: req.method, headers, body: req.method === 'POST' ? body : undefined, signal: controller.signal,
    }));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) return res.end();
    try {
      for await (const chunk of response.body) res.write(chunk);
    } catch {
      // the client went away
    }
    res.end();
  });
  server.listen(port, '127.0.0.1', () => console.error(`modern-peer (legacy=${legacy}) on http://127.0.0.1:${port}/mcp`));
}
