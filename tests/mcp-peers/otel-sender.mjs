#!/usr/bin/env node
// Sends fixed OpenTelemetry data to an OTLP/HTTP receiver through the official OpenTelemetry JS SDK
// providers and OTLP exporters (pinned in package.json), so a receiver test meets real encoders.
//
//   node otel-sender.mjs --endpoint http://127.0.0.1:PORT --protocol http/json|http/protobuf
//                        --scenario NAME [--gzip] [--header 'K=V']... [--signals logs,traces,metrics]
//                        [--timeout-ms N] [--verbose] [--service-name NAME (scenario server-logs)]
//
//   --endpoint   base URL; the exporters post to <endpoint>/v1/logs, /v1/traces and /v1/metrics
//   --protocol   http/json (exporter-*-otlp-http, Content-Type application/json) or http/protobuf
//                (exporter-*-otlp-proto, Content-Type application/x-protobuf)
//   --gzip       gzip the bodies (Content-Encoding: gzip)
//   --header     an extra request header, e.g. 'Authorization=Bearer x'; repeatable
//   --signals    which signals to send (default all three)
//   --timeout-ms the exporters' timeout per export, retries included (default 10000)
//   --verbose    the SDK's own diagnostics on stderr
// OTEL_* variables of the environment are ignored (removed before the SDK reads them), so only
// these options shape what is sent.
//
// Output: one JSON line on stdout, e.g.
//   {"scenario":"claude-like","protocol":"http/json","endpoint":"http://127.0.0.1:4318","gzip":false,
//    "headers":["Authorization"],"sent":{"logs":6,"spans":3,"metricPoints":3},
//    "exports":[{"signal":"logs","items":6,"ok":true},...],"ok":true}
// where each export is one HTTP request (ok=false carries "error" and, for an HTTP status, "status").
// Exit status: 0 when every selected signal was exported and every export succeeded, 1 otherwise,
// 2 for bad arguments.
//
// Scenario "claude-like": one Claude Code session in which the user prompt makes the model call
// the MCP tool `echo` of server `every` and then answer "done". Every value is fixed:
//
//   Resource (all signals): service.name="claude-code", service.version="2.1.332" (nothing else;
//     no telemetry.sdk.* attributes).
//   Attributes on every log record, in this order (all strings except event.sequence, an int):
//     user.id=USER_ID, session.id=SESSION_ID, terminal.type="dumb", event.name=<name>,
//     event.timestamp=<ISO 8601 of the record time>, event.sequence=<0..5>, prompt.id=PROMPT_ID
//   Logs: scope "com.anthropic.claude_code.events" version "2.1.332"; body string
//     "claude_code.<name>"; no severity, no LogRecord.event_name; timeUnixNano = observedTimeUnixNano
//     = T0 + offset; each record carries the trace id and the span id shown (flags 1 = sampled).
//     seq offset  name                extra attributes (type)                               span
//     0   +0 ms   user_prompt         prompt="use the echo tool", prompt_length="17" (string) ROOT
//     1   +300    api_request         model="claude-x", input_tokens=100, output_tokens=11,   CHAT
//                                     cache_read_tokens=50, cache_creation_tokens=5,
//                                     duration_ms=84 (ints), cost_usd=0.000655 (double),
//                                     request_id="req_sim_1"
//     2   +310    tool_decision       tool_name="mcp_tool", tool_use_id="toolu_sim_echo_01",   TOOL
//                                     decision="accept", source="config", tool_source="mcp",
//                                     tool_parameters=TOOL_PARAMETERS
//     3   +412    tool_result         tool_name="mcp_tool", tool_use_id="toolu_sim_echo_01",   TOOL
//                                     success="true", duration_ms="12" (strings),
//                                     tool_parameters=TOOL_PARAMETERS
//     4   +600    api_request         as seq 1 but input_tokens=140, output_tokens=13,         ROOT
//                                     cache_read_tokens=70, cache_creation_tokens=7,
//                                     duration_ms=19, cost_usd=0.000869, request_id="req_sim_2"
//     5   +601    assistant_response  response="done", response_length=4 (int), model="claude-x", ROOT
//                                     request_id="req_sim_2"
//     TOOL_PARAMETERS = '{"mcp_server_name":"every","mcp_tool_name":"echo"}' (a JSON string)
//   Traces: scope "com.anthropic.claude_code.tracing" version "2.1.332"; one trace TRACE_ID.
//     ROOT span 5eed000000000001 "invoke_agent claude-code", kind INTERNAL (1), T0+0..T0+650,
//       no parent, status UNSET; gen_ai.operation.name="invoke_agent", gen_ai.agent.name="claude-code",
//       gen_ai.conversation.id=SESSION_ID, session.id=SESSION_ID
//     CHAT span 5eed000000000002 "chat claude-x", kind CLIENT (3), T0+216..T0+300, parent ROOT,
//       status OK (1); gen_ai.operation.name="chat", gen_ai.provider.name="anthropic",
//       gen_ai.request.model="claude-x", gen_ai.response.model="claude-x",
//       gen_ai.response.id="req_sim_1", gen_ai.response.finish_reasons=["tool_use"] (string array),
//       gen_ai.usage.input_tokens=100, gen_ai.usage.output_tokens=11 (ints),
//       gen_ai.conversation.id=SESSION_ID, session.id=SESSION_ID;
//       one span event "gen_ai.request.attempt" at T0+220 with attempt=1 (int)
//     TOOL span 5eed000000000003 "tools/call echo", kind CLIENT (3), T0+400..T0+412, parent ROOT,
//       status UNSET; mcp.method.name="tools/call", gen_ai.tool.name="echo",
//       gen_ai.operation.name="execute_tool", gen_ai.tool.call.id="toolu_sim_echo_01",
//       mcp.session.id="mcp-sim-session-1", mcp.protocol.version="2025-06-18",
//       jsonrpc.request.id="2", network.transport="pipe", session.id=SESSION_ID
//     Span flags 257 (sampled, parent not remote) as the JS SDK sets them.
//   Metrics: scope "com.anthropic.claude_code" version "2.1.332"; monotonic Sums, temporality
//     DELTA (1), values as doubles (asDouble), timestamps from the clock (not fixed):
//     claude_code.token.usage (unit "tokens"): 240 {type="input"}, 24 {type="output"}
//     claude_code.cost.usage  (unit "USD"):    0.001524 {}
//     each point also has model="claude-x", session.id=SESSION_ID, user.id=USER_ID.
//   Expected requests: one per selected signal (logs 6 records, traces 3 spans, metrics 3 points).
import { parseArgs } from 'node:util';

const SESSION_ID = '5e5510e0-0000-4000-8000-000000000001';
const PROMPT_ID = '7e1d0c3a-0000-4000-8000-000000000002';
const USER_ID = 'feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface';
const TRACE_ID = '5eed0000000000000000000000000001';
const T0_MS = Date.UTC(2026, 0, 1, 0, 0, 0); // 2026-01-01T00:00:00.000Z = 1767225600000 ms
const VERSION = '2.1.332';
const MODEL = 'claude-x';
const TOOL_USE_ID = 'toolu_sim_echo_01';
const TOOL_PARAMETERS = JSON.stringify({ mcp_server_name: 'every', mcp_tool_name: 'echo' });

const SIGNALS = ['logs', 'traces', 'metrics'];

function fail(message) {
  process.stderr.write(`otel-sender: ${message}\n`);
  process.exit(2);
}

function readOptions() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        endpoint: { type: 'string' },
        protocol: { type: 'string' },
        scenario: { type: 'string' },
        gzip: { type: 'boolean', default: false },
        header: { type: 'string', multiple: true, default: [] },
        signals: { type: 'string', default: SIGNALS.join(',') },
        'timeout-ms': { type: 'string', default: '10000' },
        verbose: { type: 'boolean', default: false },
        'service-name': { type: 'string', default: 'my-mcp-server' },
      },
    }).values;
  } catch (err) {
    fail(err.message);
  }
  if (!parsed.endpoint) fail('--endpoint is required');
  if (!['http/json', 'http/protobuf'].includes(parsed.protocol)) fail(`--protocol must be http/json or http/protobuf, not '${parsed.protocol ?? ''}'`);
  if (!SCENARIOS[parsed.scenario]) fail(`--scenario must be one of ${Object.keys(SCENARIOS).join(', ')}, not '${parsed.scenario ?? ''}'`);
  const headers = {};
  for (const header of parsed.header) {
    const eq = header.indexOf('=');
    if (eq <= 0) fail(`--header '${header}' is not K=V`);
    headers[header.slice(0, eq).trim()] = header.slice(eq + 1).trim();
  }
  const signals = parsed.signals.split(',').map((s) => s.trim()).filter(Boolean);
  for (const signal of signals) if (!SIGNALS.includes(signal)) fail(`--signals: unknown signal '${signal}'`);
  const timeoutMillis = Number(parsed['timeout-ms']);
  if (!Number.isInteger(timeoutMillis) || timeoutMillis <= 0) fail(`--timeout-ms must be a positive integer, not '${parsed['timeout-ms']}'`);
  return {
    endpoint: parsed.endpoint.replace(/\/+$/, ''), protocol: parsed.protocol, scenario: parsed.scenario,
    gzip: parsed.gzip, headers, signals, timeoutMillis, verbose: parsed.verbose, serviceName: parsed['service-name'],
  };
}

// The SDK and exporters read OTEL_* at construction; drop them so the run is the same everywhere.
for (const name of Object.keys(process.env)) if (name.startsWith('OTEL_')) delete process.env[name];

const api = await import('@opentelemetry/api');
const { ExportResultCode } = await import('@opentelemetry/core');
const { resourceFromAttributes } = await import('@opentelemetry/resources');
const { LoggerProvider, BatchLogRecordProcessor } = await import('@opentelemetry/sdk-logs');
const { BasicTracerProvider, BatchSpanProcessor, AlwaysOnSampler } = await import('@opentelemetry/sdk-trace-base');
const { MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
const logsHttp = await import('@opentelemetry/exporter-logs-otlp-http');
const logsProto = await import('@opentelemetry/exporter-logs-otlp-proto');
const traceHttp = await import('@opentelemetry/exporter-trace-otlp-http');
const traceProto = await import('@opentelemetry/exporter-trace-otlp-proto');
const metricsHttp = await import('@opentelemetry/exporter-metrics-otlp-http');
const metricsProto = await import('@opentelemetry/exporter-metrics-otlp-proto');

// Each HTTP export the SDK makes, with its outcome.
const exports = [];

function countItems(signal, items) {
  if (signal !== 'metrics') return items.length;
  let points = 0;
  for (const scope of items.scopeMetrics) for (const metric of scope.metrics) points += metric.dataPoints.length;
  return points;
}

// Wraps the exporter's export() to record each result; everything else stays the SDK's own.
function recorded(signal, exporter) {
  const original = exporter.export.bind(exporter);
  exporter.export = (items, done) => original(items, (result) => {
    const entry = { signal, items: countItems(signal, items), ok: result.code === ExportResultCode.SUCCESS };
    if (!entry.ok) {
      entry.error = result.error ? String(result.error.message || result.error) : 'export failed';
      if (result.error && Number.isInteger(result.error.code)) entry.status = result.error.code;
    }
    exports.push(entry);
    done(result);
  });
  return exporter;
}

function exporterFor(signal, opts) {
  const proto = opts.protocol === 'http/protobuf';
  const config = {
    url: `${opts.endpoint}/v1/${signal}`,
    headers: opts.headers,
    timeoutMillis: opts.timeoutMillis,
    ...(opts.gzip ? { compression: 'gzip' } : {}),
  };
  switch (signal) {
    case 'logs': return recorded(signal, new (proto ? logsProto : logsHttp).OTLPLogExporter(config));
    case 'traces': return recorded(signal, new (proto ? traceProto : traceHttp).OTLPTraceExporter(config));
    default: return recorded(signal, new (proto ? metricsProto : metricsHttp).OTLPMetricExporter({
      ...config, temporalityPreference: metricsHttp.AggregationTemporalityPreference.DELTA,
    }));
  }
}

// Metrics are exported when the provider is flushed (the interval never comes).
function meterProviderFor(resource, opts) {
  return new MeterProvider({
    resource,
    readers: [new PeriodicExportingMetricReader({
      exporter: exporterFor('metrics', opts), exportIntervalMillis: 3600000, exportTimeoutMillis: opts.timeoutMillis,
    })],
  });
}

// Trace and span ids in creation order, so every run has the same ones.
class FixedIdGenerator {
  #nextSpan = 1;
  generateTraceId() { return TRACE_ID; }
  generateSpanId() { return `5eed${(this.#nextSpan++).toString(16).padStart(12, '0')}`; }
}

const at = (offsetMs) => new Date(T0_MS + offsetMs);

function claudeLike(opts) {
  const resource = resourceFromAttributes({ 'service.name': 'claude-code', 'service.version': VERSION });
  const providers = [];
  const sent = { logs: 0, spans: 0, metricPoints: 0 };

  // Spans first: the log records carry their ids.
  let spans = null;
  if (opts.signals.includes('traces')) {
    const provider = new BasicTracerProvider({
      resource, sampler: new AlwaysOnSampler(), idGenerator: new FixedIdGenerator(),
      spanProcessors: [new BatchSpanProcessor(exporterFor('traces', opts), { scheduledDelayMillis: 3600000 })],
    });
    providers.push(provider);
    const tracer = provider.getTracer('com.anthropic.claude_code.tracing', VERSION);
    const root = tracer.startSpan('invoke_agent claude-code', {
      kind: api.SpanKind.INTERNAL, startTime: at(0),
      attributes: {
        'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'claude-code',
        'gen_ai.conversation.id': SESSION_ID, 'session.id': SESSION_ID,
      },
    }, api.ROOT_CONTEXT);
    const inRoot = api.trace.setSpan(api.ROOT_CONTEXT, root);
    const chat = tracer.startSpan(`chat ${MODEL}`, {
      kind: api.SpanKind.CLIENT, startTime: at(216),
      attributes: {
        'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': MODEL, 'gen_ai.response.model': MODEL, 'gen_ai.response.id': 'req_sim_1',
        'gen_ai.response.finish_reasons': ['tool_use'],
        'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 11,
        'gen_ai.conversation.id': SESSION_ID, 'session.id': SESSION_ID,
      },
    }, inRoot);
    chat.addEvent('gen_ai.request.attempt', { attempt: 1 }, at(220));
    chat.setStatus({ code: api.SpanStatusCode.OK });
    chat.end(at(300));
    const tool = tracer.startSpan('tools/call echo', {
      kind: api.SpanKind.CLIENT, startTime: at(400),
      attributes: {
        'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'echo', 'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.call.id': TOOL_USE_ID, 'mcp.session.id': 'mcp-sim-session-1',
        'mcp.protocol.version': '2025-06-18', 'jsonrpc.request.id': '2', 'network.transport': 'pipe',
        'session.id': SESSION_ID,
      },
    }, inRoot);
    tool.end(at(412));
    root.end(at(650));
    sent.spans = 3;
    spans = { root: inRoot, chat: api.trace.setSpan(api.ROOT_CONTEXT, chat), tool: api.trace.setSpan(api.ROOT_CONTEXT, tool) };
  }

  if (opts.signals.includes('logs')) {
    const provider = new LoggerProvider({
      resource,
      processors: [new BatchLogRecordProcessor({ exporter: exporterFor('logs', opts), scheduledDelayMillis: 3600000 })],
    });
    providers.push(provider);
    const logger = provider.getLogger('com.anthropic.claude_code.events', VERSION);
    const apiRequest = (tokens, cost, durationMs, requestId) => ({
      model: MODEL, input_tokens: tokens[0], output_tokens: tokens[1], cache_read_tokens: tokens[2],
      cache_creation_tokens: tokens[3], cost_usd: cost, duration_ms: durationMs, request_id: requestId,
    });
    const events = [
      [0, 'user_prompt', 'root', { prompt: 'use the echo tool', prompt_length: '17' }],
      [300, 'api_request', 'chat', apiRequest([100, 11, 50, 5], 0.000655, 84, 'req_sim_1')],
      [310, 'tool_decision', 'tool', {
        tool_name: 'mcp_tool', tool_use_id: TOOL_USE_ID, decision: 'accept', source: 'config',
        tool_source: 'mcp', tool_parameters: TOOL_PARAMETERS,
      }],
      [412, 'tool_result', 'tool', {
        tool_name: 'mcp_tool', tool_use_id: TOOL_USE_ID, success: 'true', duration_ms: '12',
        tool_parameters: TOOL_PARAMETERS,
      }],
      [600, 'api_request', 'root', apiRequest([140, 13, 70, 7], 0.000869, 19, 'req_sim_2')],
      [601, 'assistant_response', 'root', { response: 'done', response_length: 4, model: MODEL, request_id: 'req_sim_2' }],
    ];
    events.forEach(([offset, name, span, extra], sequence) => {
      const time = at(offset);
      logger.emit({
        body: `claude_code.${name}`,
        timestamp: time,
        observedTimestamp: time,
        context: spans ? spans[span] : api.ROOT_CONTEXT,
        attributes: {
          'user.id': USER_ID, 'session.id': SESSION_ID, 'terminal.type': 'dumb', 'event.name': name,
          'event.timestamp': time.toISOString(), 'event.sequence': sequence, 'prompt.id': PROMPT_ID,
          ...extra,
        },
      });
    });
    sent.logs = events.length;
  }

  if (opts.signals.includes('metrics')) {
    const provider = meterProviderFor(resource, opts);
    providers.push(provider);
    const meter = provider.getMeter('com.anthropic.claude_code', VERSION);
    const common = { model: MODEL, 'session.id': SESSION_ID, 'user.id': USER_ID };
    const tokens = meter.createCounter('claude_code.token.usage', { unit: 'tokens', description: 'Number of tokens used' });
    tokens.add(240, { ...common, type: 'input' });
    tokens.add(24, { ...common, type: 'output' });
    const cost = meter.createCounter('claude_code.cost.usage', { unit: 'USD', description: 'Cost of the Claude Code session' });
    cost.add(0.001524, common);
    sent.metricPoints = 3;
  }
  return { providers, sent };
}

// Scenario "server-logs": an MCP server exporting its own telemetry under service.name =
// --service-name (default "my-mcp-server"): logs, two records, INFO "server started" and ERROR "disk
// full"; with traces, one SERVER span "tools/call echo"; with metrics, one point of the counter
// "mcp.server.requests".
function serverLogs(opts) {
  const resource = resourceFromAttributes({ 'service.name': opts.serviceName, 'service.version': '1.0.0' });
  const providers = [];
  const sent = { logs: 0, spans: 0, metricPoints: 0 };
  if (opts.signals.includes('logs')) {
    const provider = new LoggerProvider({
      resource,
      processors: [new BatchLogRecordProcessor({ exporter: exporterFor('logs', opts), scheduledDelayMillis: 3600000 })],
    });
    providers.push(provider);
    const logger = provider.getLogger('server', '1.0.0');
    logger.emit({ body: 'server started', timestamp: at(0), severityNumber: 9, severityText: 'INFO' });
    logger.emit({ body: 'disk full', timestamp: at(10), severityNumber: 17, severityText: 'ERROR' });
    sent.logs = 2;
  }
  if (opts.signals.includes('traces')) {
    // Random ids: runs under two service names must not send the same span twice.
    const provider = new BasicTracerProvider({
      resource, sampler: new AlwaysOnSampler(),
      spanProcessors: [new BatchSpanProcessor(exporterFor('traces', opts), { scheduledDelayMillis: 3600000 })],
    });
    providers.push(provider);
    const span = provider.getTracer('server', '1.0.0').startSpan('tools/call echo', {
      kind: api.SpanKind.SERVER, startTime: at(20),
      attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'echo' },
    }, api.ROOT_CONTEXT);
    span.end(at(25));
    sent.spans = 1;
  }
  if (opts.signals.includes('metrics')) {
    const provider = meterProviderFor(resource, opts);
    providers.push(provider);
    provider.getMeter('server', '1.0.0').createCounter('mcp.server.requests').add(1, { method: 'tools/call' });
    sent.metricPoints = 1;
  }
  return { providers, sent };
}

const SCENARIOS = { 'claude-like': claudeLike, 'server-logs': serverLogs };

const opts = readOptions();
if (opts.verbose) api.diag.setLogger(new api.DiagConsoleLogger(), api.DiagLogLevel.DEBUG);
const { providers, sent } = SCENARIOS[opts.scenario](opts);
const problems = [];
for (const provider of providers) {
  // forceFlush sends what is queued; shutdown then finds nothing left (a delta MeterProvider
  // collects no points the second time, so it makes no second request).
  try { await provider.forceFlush(); } catch (err) { problems.push(`forceFlush: ${err?.message ?? err}`); }
  try { await provider.shutdown(); } catch (err) { problems.push(`shutdown: ${err?.message ?? err}`); }
}
for (const signal of opts.signals) {
  if (!exports.some((e) => e.signal === signal)) problems.push(`no ${signal} export was made`);
}
const ok = problems.length === 0 && exports.every((e) => e.ok);
process.stdout.write(`${JSON.stringify({
  scenario: opts.scenario, protocol: opts.protocol, endpoint: opts.endpoint, gzip: opts.gzip,
  headers: Object.keys(opts.headers), sent, exports, ...(problems.length ? { problems } : {}), ok,
})}\n`);
process.exit(ok ? 0 : 1);
