// An MCP client of either official TypeScript SDK generation, for tests of the host's /mcp face: v1
// (@modelcontextprotocol/sdk, the 2025 era) or v2 (@modelcontextprotocol/client, which probes the
// 2026-07-28 era with server/discover first and falls back to initialize). It connects, lists tools,
// resources and prompts, reads one resource, gets one prompt, calls one tool, and prints one JSON line
// of what it saw.
//   node mcp-tour.mjs --sdk v1|v2 --url http://127.0.0.1:8000/mcp [--token T] [--call <tool> --args '{}']
//                     [--read <uri>] [--prompt <name> --prompt-args '{}'] [--name agent]
//                     [--change <tool> --change-args '{}' --await <notification method>] [--log-level L]
//                     [--progress-call <tool> --progress-args '{}']
//                     [--sampling-reply <text>] [--elicit '{...}'] [--ask <tool> --ask-args '{}']...
// --change calls a tool that changes what the server offers and waits (10 s at most) for --await
// among the notifications the session's stream brings; --log-level sets the session's level first.
// Every notification received is in "notifications" (its method, and its params' logger if any).
// --progress-call calls a tool asking for progress: "progress" lists what arrived ([progress, total]).
// --sampling-reply declares sampling and answers every sampling/createMessage with that text;
// --elicit declares elicitation and accepts every elicitation/create with that content; "asked" lists
// the methods the server asked, "asks" the result of each --ask call (tools that make the server ask).
const argv = process.argv.slice(2);
const option = name => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
const sdk = option('sdk') ?? 'v1';
const token = option('token');
const headers = token ? { Authorization: `Bearer ${token}` } : {};

const capabilities = {};
if (option('sampling-reply') !== undefined) capabilities.sampling = {};
if (option('elicit') !== undefined) capabilities.elicitation = {};
const asked = [];
const sample = async () => {
  asked.push('sampling/createMessage');
  return { model: 'mc-tour-model', role: 'assistant', content: { type: 'text', text: option('sampling-reply') } };
};
const elicit = async () => {
  asked.push('elicitation/create');
  return { action: 'accept', content: JSON.parse(option('elicit')) };
};
let client, transport;
if (sdk === 'v2') {
  const v2 = await import('@modelcontextprotocol/client');
  transport = new v2.StreamableHTTPClientTransport(new URL(option('url')), { requestInit: { headers } });
  client = new v2.Client({ name: option('name') ?? 'mc-tour-v2', version: '2.0.0' }, { capabilities, versionNegotiation: { mode: 'auto' } });
  if (capabilities.sampling) client.setRequestHandler('sampling/createMessage', sample);
  if (capabilities.elicitation) client.setRequestHandler('elicitation/create', elicit);
} else {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  const { CreateMessageRequestSchema, ElicitRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
  transport = new StreamableHTTPClientTransport(new URL(option('url')), { requestInit: { headers } });
  client = new Client({ name: option('name') ?? 'mc-tour-v1', version: '1.0.0' }, { capabilities });
  if (capabilities.sampling) client.setRequestHandler(CreateMessageRequestSchema, sample);
  if (capabilities.elicitation) client.setRequestHandler(ElicitRequestSchema, elicit);
}
const out = { sdk, notifications: [] };
let heard = () => {};
client.fallbackNotificationHandler = async notification => {
  out.notifications.push(notification.params?.logger ? `${notification.method} ${notification.params.logger}` : notification.method);
  heard(notification.method);
};
try {
  await client.connect(transport);
  if (option('log-level')) await client.setLoggingLevel(option('log-level'));
  out.sessionId = transport.sessionId;
  out.server = client.getServerVersion();
  out.protocolVersion = client.getNegotiatedProtocolVersion?.() ?? transport.protocolVersion;
  out.tools = (await client.listTools()).tools.map(t => t.name);
  out.resources = (await client.listResources()).resources.map(r => r.uri);
  out.resourceTemplates = (await client.listResourceTemplates()).resourceTemplates.map(r => r.uriTemplate);
  out.prompts = (await client.listPrompts()).prompts.map(p => p.name);
  const read = option('read') ?? out.resources[0];
  if (read) out.read = (await client.readResource({ uri: read })).contents;
  if (option('prompt')) out.prompt = (await client.getPrompt({ name: option('prompt'), arguments: JSON.parse(option('prompt-args') ?? '{}') })).messages;
  if (option('call')) out.result = await client.callTool({ name: option('call'), arguments: JSON.parse(option('args') ?? '{}') });
  if (option('progress-call')) {
    out.progress = [];
    const params = { name: option('progress-call'), arguments: JSON.parse(option('progress-args') ?? '{}') };
    const onprogress = p => out.progress.push([p.progress, p.total]);
    out.progressResult = sdk === 'v2' ? await client.callTool(params, { onprogress }) : await client.callTool(params, undefined, { onprogress });
  }
  const asks = argv.flatMap((a, i) => a === '--ask' ? [[argv[i + 1], argv[i + 2] === '--ask-args' ? argv[i + 3] : '{}']] : []);
  if (asks.length) {
    out.asks = [];
    for (const [name, args] of asks) out.asks.push(await client.callTool({ name, arguments: JSON.parse(args) }));
    out.asked = asked;
  }
  if (option('change')) {
    const awaited = option('await');
    const arrived = new Promise(resolve => {
      if (out.notifications.some(n => n.startsWith(awaited))) return resolve(true);
      heard = method => { if (method === awaited) resolve(true); };
      setTimeout(() => resolve(false), 10000);
    });
    out.changeResult = await client.callTool({ name: option('change'), arguments: JSON.parse(option('change-args') ?? '{}') });
    out.awaited = await arrived;
    out.resourcesAfter = (await client.listResources()).resources.map(r => r.uri);
  }
  if (transport.terminateSession) await transport.terminateSession().catch(() => {});
  out.ok = true;
} catch (e) {
  out.ok = false;
  out.error = String(e?.stack ?? e?.message ?? e);
}
console.log(JSON.stringify(out));
await client.close().catch(() => {});
process.exit(out.ok ? 0 : 1);
