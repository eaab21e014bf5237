// An MCP client on the official TypeScript SDK (v1), for tests of the host's /mcp face: connects over
// Streamable HTTP (or stdio, to a command such as `mission-control bridge`), lists the tools, calls one,
// and prints one JSON line of what it saw.
//   node mcp-client.mjs --url http://127.0.0.1:8000/mcp [--token T] [--call <tool> --args '{"k":"v"}'] [--name agent]
//   node mcp-client.mjs --stdio '["/path/mission-control","bridge","--url","..."]' [--stdio-env '{"K":"V"}'] ...
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const argv = process.argv.slice(2);
const option = name => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
const url = option('url');
const token = option('token');
const call = option('call');
const args = JSON.parse(option('args') ?? '{}');
const name = option('name') ?? 'mc-test-agent';

const stdio = option('stdio') ? JSON.parse(option('stdio')) : null;
const stdioEnv = JSON.parse(option('stdio-env') ?? '{}');
const headers = token ? { Authorization: `Bearer ${token}` } : {};
const transport = stdio
  ? new StdioClientTransport({ command: stdio[0], args: stdio.slice(1), env: { ...getDefaultEnvironment(), ...stdioEnv }, stderr: 'inherit' })
  : new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
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
  if (!stdio) await transport.terminateSession();
  out.ok = true;
} catch (e) {
  out.ok = false;
  out.error = String(e?.message ?? e);
}
console.log(JSON.stringify(out));
await client.close().catch(() => {});
process.exit(out.ok ? 0 : 1);
