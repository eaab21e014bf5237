// An MCP client on the official TypeScript SDK (v1), for tests of the host's /mcp face: connects over
// Streamable HTTP, lists the tools, calls one, and prints one JSON line of what it saw.
//   node mcp-client.mjs --url http://127.0.0.1:8000/mcp [--token T] [--call <tool> --args '{"k":"v"}'] [--name agent]
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const argv = process.argv.slice(2);
const option = name => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
const url = option('url');
const token = option('token');
const call = option('call');
const args = JSON.parse(option('args') ?? '{}');
const name = option('name') ?? 'mc-test-agent';

const headers = token ? { Authorization: `Bearer ${token}` } : {};
const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
const client = new Client({ name, version: '1.0.0' });
const out = {};
try {
  await client.connect(transport);
  out.sessionId = transport.sessionId;
  out.server = client.getServerVersion();
  out.protocolVersion = transport.protocolVersion;
  await client.ping();
  const listed = await client.listTools();
  out.tools = listed.tools.map(t => t.name);
  out.echoSchema = listed.tools.find(t => t.name.endsWith('__echo'))?.inputSchema ?? null;
  if (call) out.result = await client.callTool({ name: call, arguments: args });
  await transport.terminateSession();
  out.ok = true;
} catch (e) {
  out.ok = false;
  out.error = String(e?.message ?? e);
}
console.log(JSON.stringify(out));
await client.close().catch(() => {});
process.exit(out.ok ? 0 : 1);
