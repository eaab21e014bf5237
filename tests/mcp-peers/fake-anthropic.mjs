#!/usr/bin/env node
// A scripted stand-in for the Anthropic Messages API, so the real Claude Code CLI can run a whole
// tool-using turn on loopback with no account and no network.
//
//   node fake-anthropic.mjs [PORT] [--dump-dir DIR] [--echo-tool NAME]
//
// Listens on 127.0.0.1:PORT (0 or absent = any free port) and prints one line {"port":N} on stdout
// once listening. Every request is logged on stderr (method, path, model, message count, tool
// count, which answer it got). --dump-dir saves each request body as DIR/NNN-request.json (for
// finding out what Claude Code sends; not needed by tests). --echo-tool names the tool the model calls
// (default mcp__every__echo; e.g. mcp__mc__every__echo when Claude Code reaches it through the host's /mcp).
//
// The script. The answer is chosen from the request's own content, never from a call counter,
// because Claude Code also sends side requests (session titles, summaries, quota probes) in an
// order that is not fixed:
//   - A request that offers neither `ToolSearch` nor `mcp__every__echo` in `tools` is a side
//     request: it gets the text "ok".
//   - Main thread, no tool_result yet for a ToolSearch or echo call:
//       if `mcp__every__echo` is offered directly (no defer_loading, e.g. ENABLE_TOOL_SEARCH=false)
//       -> tool_use mcp__every__echo, else -> tool_use ToolSearch {"query":"select:mcp__every__echo"}.
//   - A ToolSearch result is present, no echo result -> tool_use mcp__every__echo
//     {"message":"hello from the fake model"}.
//   - An echo result is present -> the text "done" (stop_reason end_turn).
// Fixed values per answer (so tests can assert them; see ANSWERS below): message id, the
// `request-id` response header, tool_use ids and the usage token counts.
//
// Streaming requests ("stream": true, which is what Claude Code sends to POST /v1/messages?beta=true)
// get server-sent events; others get one JSON message. POST /v1/messages/count_tokens answers
// {"input_tokens":42}. Anything else is a 404 in the API's error shape.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const opts = parseArgs(process.argv.slice(2));
const ECHO_TOOL = opts.echoTool;
const SEARCH_TOOL = 'ToolSearch';

// usage: input, output, cache read, cache creation tokens reported for that answer.
const ANSWERS = {
  search: {
    messageId: 'msg_fake_search', requestId: 'req_fake_search',
    toolUse: { id: 'toolu_fake_search_01', name: SEARCH_TOOL, input: { query: `select:${ECHO_TOOL}` } },
    usage: { input: 100, output: 11, cacheRead: 50, cacheCreation: 5 },
  },
  echo: {
    messageId: 'msg_fake_echo', requestId: 'req_fake_echo',
    toolUse: { id: 'toolu_fake_echo_01', name: ECHO_TOOL, input: { message: 'hello from the fake model' } },
    usage: { input: 120, output: 12, cacheRead: 60, cacheCreation: 6 },
  },
  done: {
    messageId: 'msg_fake_done', requestId: 'req_fake_done', text: 'done',
    usage: { input: 140, output: 13, cacheRead: 70, cacheCreation: 7 },
  },
  side: {
    messageId: 'msg_fake_side', requestId: 'req_fake_side', text: 'ok',
    usage: { input: 10, output: 1, cacheRead: 0, cacheCreation: 0 },
  },
  noEcho: {
    messageId: 'msg_fake_no_echo', requestId: 'req_fake_no_echo',
    text: `fake-anthropic: the request offers no ${ECHO_TOOL} tool`,
    usage: { input: 1, output: 1, cacheRead: 0, cacheCreation: 0 },
  },
};

function parseArgs(argv) {
  const opts = { port: 0, dumpDir: null, echoTool: 'mcp__every__echo' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--dump-dir') opts.dumpDir = argv[++i];
    else if (argv[i] === '--echo-tool') opts.echoTool = argv[++i];
    else if (/^\d+$/.test(argv[i])) opts.port = Number(argv[i]);
    else throw new Error(`fake-anthropic: unknown argument '${argv[i]}'`);
  }
  return opts;
}

// Which tools the request offers, and which tool calls already have results in its messages.
function inspect(request) {
  const offered = new Map(); // name -> tool definition
  for (const tool of request.tools ?? []) if (tool && tool.name) offered.set(tool.name, tool);
  const callNames = new Map(); // tool_use id -> tool name
  const answered = new Set(); // names of tools whose calls have a tool_result
  for (const message of request.messages ?? []) {
    if (!Array.isArray(message.content)) continue;
    for (const block of message.content) {
      if (block.type === 'tool_use') callNames.set(block.id, block.name);
      if (block.type === 'tool_result' && callNames.has(block.tool_use_id)) answered.add(callNames.get(block.tool_use_id));
    }
  }
  return { offered, answered };
}

function chooseAnswer(request) {
  const { offered, answered } = inspect(request);
  const mainThread = offered.has(SEARCH_TOOL) || offered.has(ECHO_TOOL);
  if (!mainThread) return 'side';
  if (answered.has(ECHO_TOOL)) return 'done';
  const echo = offered.get(ECHO_TOOL);
  if ((echo && !echo.defer_loading) || answered.has(SEARCH_TOOL)) return 'echo';
  if (offered.has(SEARCH_TOOL)) return 'search';
  return 'noEcho';
}

function usageOf(answer, outputTokens) {
  return {
    input_tokens: answer.usage.input,
    cache_creation_input_tokens: answer.usage.cacheCreation,
    cache_read_input_tokens: answer.usage.cacheRead,
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

function fullMessage(answer, model) {
  const content = answer.toolUse
    ? [{ type: 'tool_use', id: answer.toolUse.id, name: answer.toolUse.name, input: answer.toolUse.input }]
    : [{ type: 'text', text: answer.text }];
  return {
    id: answer.messageId, type: 'message', role: 'assistant', model, content,
    stop_reason: answer.toolUse ? 'tool_use' : 'end_turn', stop_sequence: null,
    usage: usageOf(answer, answer.usage.output),
  };
}

function sse(res, event, data) {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function streamMessage(res, answer, model) {
  const start = fullMessage(answer, model);
  sse(res, 'message_start', {
    type: 'message_start',
    message: { ...start, content: [], stop_reason: null, usage: usageOf(answer, 1) },
  });
  if (answer.toolUse) {
    const { id, name, input } = answer.toolUse;
    sse(res, 'content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id, name, input: {} } });
    sse(res, 'content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: JSON.stringify(input) } });
  } else {
    sse(res, 'content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    sse(res, 'content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: answer.text } });
  }
  sse(res, 'content_block_stop', { type: 'content_block_stop', index: 0 });
  sse(res, 'message_delta', {
    type: 'message_delta',
    delta: { stop_reason: start.stop_reason, stop_sequence: null },
    usage: { output_tokens: answer.usage.output },
  });
  sse(res, 'message_stop', { type: 'message_stop' });
  res.end();
}

function sendError(res, status, type, message) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ type: 'error', error: { type, message } }));
}

if (opts.dumpDir) fs.mkdirSync(opts.dumpDir, { recursive: true });
let requestCount = 0;

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const seq = ++requestCount;
    const pathname = req.url.split('?')[0];
    const raw = Buffer.concat(chunks).toString('utf8');
    if (opts.dumpDir && raw) fs.writeFileSync(path.join(opts.dumpDir, `${String(seq).padStart(3, '0')}-request.json`), raw);
    let request = {};
    if (raw) {
      try {
        request = JSON.parse(raw);
      } catch (err) {
        process.stderr.write(`fake-anthropic: #${seq} ${req.method} ${req.url} bad JSON: ${err.message}\n`);
        return sendError(res, 400, 'invalid_request_error', `body is not JSON: ${err.message}`);
      }
    }
    const model = request.model ?? 'claude-fake';
    const messageCount = Array.isArray(request.messages) ? request.messages.length : 0;
    const toolCount = Array.isArray(request.tools) ? request.tools.length : 0;
    const log = (what) => process.stderr.write(
      `fake-anthropic: #${seq} ${req.method} ${req.url} model=${model} messages=${messageCount} tools=${toolCount} stream=${request.stream === true} -> ${what}\n`);

    if (req.method === 'POST' && pathname === '/v1/messages/count_tokens') {
      log('count_tokens');
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ input_tokens: 42 }));
    }
    if (req.method !== 'POST' || pathname !== '/v1/messages') {
      log('404');
      return sendError(res, 404, 'not_found_error', `fake-anthropic serves no ${req.method} ${pathname}`);
    }
    const name = chooseAnswer(request);
    const answer = ANSWERS[name];
    log(name);
    const headers = { 'request-id': answer.requestId };
    if (request.stream === true) {
      res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      streamMessage(res, answer, model);
    } else {
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      res.end(JSON.stringify(fullMessage(answer, model)));
    }
  });
});

server.listen(opts.port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
