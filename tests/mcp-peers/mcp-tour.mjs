// An MCP client of either official TypeScript SDK generation, for tests of the host's /mcp face: v1
// (@modelcontextprotocol/sdk, the 2025 era), v2 (@modelcontextprotocol/client negotiating: it probes
// the 2026-07-28 era with server/discover first and falls back to initialize) or v2-legacy (the v2
// client's default: initialize, the 2025 era). It connects, lists tools,
// resources and prompts, reads one resource, gets one prompt, calls one tool, and prints one JSON line
// of what it saw.
//   node mcp-tour.mjs --sdk v1|v2|v2-legacy --url http://127.0.0.1:8000/mcp [--token T] [--call <tool> --args '{}']
//                     [--read <uri>] [--prompt <name> --prompt-args '{}'] [--name agent]
//                     [--change <tool> --change-args '{}' --await <notification method>] [--log-level L]
//                     [--progress-call <tool> --progress-args '{}']
//                     [--sampling-reply <text>] [--elicit '{...}'] [--ask <tool> --ask-args '{}']...
//                     [--stdio '["command","arg",...]']   (v2: over stdio to that command, e.g. the bridge, instead of --url)
// --change calls a tool that changes what the server offers and waits (10 s at most) for --await
// among the notifications the session's stream brings (2026-07-28: a subscriptions/listen stream);
// --log-level sets the session's level first (2026-07-28: each request's _meta names it).
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
if (sdk.startsWith('v2')) {
  const v2 = await import('@modelcontextprotocol/client');
  if (option('stdio')) {
    const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
    const [command, ...args] = JSON.parse(option('stdio'));
    transport = new StdioClientTransport({ command, args, stderr: 'inherit' });
  } else {
    transport = new v2.StreamableHTTPClientTransport(new URL(option('url')), { requestInit: { headers } });
  }
  const versionNegotiation = { mode: sdk === 'v2' ? 'auto' : 'legacy' };
  client = new v2.Client({ name: option('name') ?? 'mc-tour-v2', version: '2.0.0' }, { capabilities, versionNegotiation });
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
  out.sessionId = transport.sessionId;
  out.server = client.getServerVersion();
  out.protocolVersion = client.getNegotiatedProtocolVersion?.() ?? transport.protocolVersion;
  const modern = out.protocolVersion === '2026-07-28';
  // The 2025 era sets a session's level once; the new era names it in each request's _meta.
  const meta = modern && option('log-level') ? { _meta: { 'io.modelcontextprotocol/logLevel': option('log-level') } } : {};
  if (option('log-level') && !modern) await client.setLoggingLevel(option('log-level'));
  // The new era has no session stream: list changes come on a subscriptions/listen stream.
  const subscription = modern && option('change')
    ? await client.listen({ toolsListChanged: true, resourcesListChanged: true, promptsListChanged: true })
    : undefined;
  if (subscription) out.honored = subscription.honoredFilter;
  out.tools = (await client.listTools()).tools.map(t => t.name);
  out.resources = (await client.listResources()).resources.map(r => r.uri);
  out.resourceTemplates = (await client.listResourceTemplates()).resourceTemplates.map(r => r.uriTemplate);
  out.prompts = (await client.listPrompts()).prompts.map(p => p.name);
  const read = option('read') ?? out.resources[0];
  if (read) out.read = (await client.readResource({ uri: read })).contents;
  if (option('prompt')) {
    out.promptProgress = [];
    const onprogress = p => out.promptProgress.push([p.progress, p.total]);
    out.prompt = (await client.getPrompt({ name: option('prompt'), arguments: JSON.parse(option('prompt-args') ?? '{}') }, { onprogress })).messages;
  }
  if (option('call')) out.result = await client.callTool({ name: option('call'), arguments: JSON.parse(option('args') ?? '{}'), ...meta });
  if (option('progress-call')) {
    out.progress = [];
    const params = { name: option('progress-call'), arguments: JSON.parse(option('progress-args') ?? '{}'), ...meta };
    const onprogress = p => out.progress.push([p.progress, p.total]);
    out.progressResult = sdk.startsWith('v2') ? await client.callTool(params, { onprogress }) : await client.callTool(params, undefined, { onprogress });
  }
  const asks = argv.flatMap((a, i) => a === '--ask' ? [[argv[i + 1], argv[i + 2] === '--ask-args' ? argv[i + 3] : '{}']] : []);
  if (asks.length) {
    out.asks = [];
    for (const [name, args] of asks) out.asks.push(await client.callTool({ name, arguments: JSON.parse(args) }));
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
  if (subscription) {
    await subscription.close();
    out.subscriptionClosed = await subscription.closed;
  }
  if (transport.terminateSession && !modern) await transport.terminateSession().catch(() => {});
  out.asked = asked;
  out.ok = true;
} catch (e) {
  out.ok = false;
  out.error = String(e?.stack ?? e?.message ?? e);
}
console.log(JSON.stringify(out));
await client.close().catch(() => {});
process.exit(out.ok ? 0 : 1);
