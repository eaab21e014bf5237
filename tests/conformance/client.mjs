// The client command the MCP conformance suite runs for each client scenario, standing for Mission
// Control's gateway: it registers the scenario's server on a running host (MC_BASE) over REST, waits
// for the gateway to connect (that is the initialize or server/discover exchange the suite checks),
// does what the scenario asks through the host's own interfaces, and removes the server again.
//   node client.mjs <server-url>      (the suite appends the URL; MCP_CONFORMANCE_SCENARIO names the scenario)
//   MC_BASE      the host, e.g. http://127.0.0.1:8000 (run.sh starts one)
//   MC_PROTOCOL  the server's `protocol` (auto, 2025-11-25, 2026-07-28; default auto)
// Exit 0 when the host did its part; 1 with the reason on stderr otherwise. The suite's checks, made
// on the server's side, say whether what the gateway sent conforms.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const url = process.argv.at(-1);
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const base = process.env.MC_BASE;
const protocol = process.env.MC_PROTOCOL ?? 'auto';
const id = `c${process.pid}`; // short: /mcp names tools <id>__<tool>
const say = (text) => process.stderr.write(`[client ${scenario}] ${text}\n`);

class Failure extends Error {}
function fail(reason) {
  say(reason);
  throw new Failure(reason);
}

async function rest(method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null, text };
}

async function connected() {
  const deadline = Date.now() + 10000;
  let last = null;
  while (Date.now() < deadline) {
    last = await rest('GET', `/api/mcps/${id}`);
    if (last.json?.status === 'connected') return last.json;
    await new Promise((r) => setTimeout(r, 100));
  }
  fail(`the gateway did not connect within 10 s: ${last?.text}`);
}

// A tool call as an operator makes it (REST): the result must be a success.
async function callTool(tool, args) {
  const r = await rest('POST', `/api/mcps/${id}/tools/${tool}/call`, { arguments: args, timeout_ms: 15000 });
  say(`tools/call ${tool} -> ${r.status} ${r.text}`);
  if (r.status !== 200 || r.json.isError) fail(`tools/call ${tool} failed: ${r.status} ${r.text}`);
}

// A tool call as an agent makes it (through /mcp), answering the server's elicitation with the
// defaults its schema offers: the gateway relays the question to the agent whose call it is.
async function callAsAgent(tool) {
  const agent = new Client({ name: 'conformance-agent', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  agent.setRequestHandler(ElicitRequestSchema, async (request) => {
    const content = {};
    for (const [name, schema] of Object.entries(request.params.requestedSchema?.properties ?? {}))
      if (schema.default !== undefined) content[name] = schema.default;
    say(`elicitation/create "${request.params.message}" -> accept ${JSON.stringify(content)}`);
    return { action: 'accept', content };
  });
  await agent.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
  try {
    const { tools } = await agent.listTools();
    const named = tools.find((t) => t.name === `${id}__${tool}`);
    if (!named) fail(`/mcp offers no ${id}__${tool} (${tools.map((t) => t.name).join(', ')})`);
    const result = await agent.callTool({ name: named.name, arguments: {} });
    say(`${named.name} -> ${JSON.stringify(result)}`);
    if (result.isError) fail(`${named.name} failed`);
  } finally {
    await agent.close();
  }
}

const actions = {
  initialize: async () => {}, // connecting was the scenario
  tools_call: () => callTool('add_numbers', { a: 5, b: 3 }),
  'sse-retry': () => callTool('test_reconnection', {}),
  'elicitation-sep1034-client-defaults': () => callAsAgent('test_client_elicitation_defaults'),
};

let registered = false;
process.on('SIGTERM', async () => { // the suite's timeout: leave the host as it was
  if (registered) await rest('DELETE', `/api/mcps/${id}`).catch(() => {});
  process.exit(143);
});

try {
  if (!base) fail('MC_BASE is not set');
  if (scenario.startsWith('auth/')) fail('the gateway has no OAuth client: it sends the headers it is configured with');
  const action = actions[scenario];
  if (!action) fail(`no action for scenario '${scenario}'`);
  const created = await rest('POST', '/api/mcps', { id, transport: 'http', url, protocol });
  if (created.status !== 201) fail(`POST /api/mcps answered ${created.status}: ${created.text}`);
  registered = true;
  const server = await connected();
  say(`connected: protocol ${server.protocol_version}, tools ${(server.tools ?? []).map((t) => t.name).join(', ')}`);
  await action();
} catch (error) {
  process.exitCode = 1;
  if (!(error instanceof Failure)) say(String(error?.stack ?? error)); // not said yet
} finally {
  if (registered) await rest('DELETE', `/api/mcps/${id}`).catch(() => {});
}
