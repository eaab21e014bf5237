// One thread: its timeline as a waterfall (steps, LLM calls with tokens and cost, tool calls with
// duration and outcome, permission decisions with what decided them, sub-threads nested), the
// transcript beside it, its logs, the OpenTelemetry trace waterfall when spans exist, and its parent
// and children. Everything updates live.
import { get, type Page } from '../api';
import { clock, count, dateTime, duration, json, money, parseTime } from '../format';
import { useLive, useLoad, useThrottled } from '../hooks';
import { href } from '../router';
import { Badge, Empty, ErrorBox, Section } from '../ui/common';
import { Waterfall, type WaterfallRow } from '../ui/Waterfall';
import { LogRow, type LogLine } from './Logs';
import type { Thread as ThreadRecord } from './Threads';

interface Step {
  id: string; sequence: number; timestamp: string; duration_ms: number | null; step_type: string;
  description: string | null; details: any; status: string | null; mcp_id: string | null; tool: string | null;
}
interface Message {
  id: string; sequence: number; timestamp: string; role: string; content: string | null; model: string | null;
  prompt_tokens: number | null; completion_tokens: number | null; total_tokens: number | null;
}
interface Permission { id: string; timestamp: string; user_id: string | null; resource: string; action: string; granted: boolean; reason: string | null; mcp_id: string | null }
interface Span { id: string; trace_id: string; span_id: string; parent_span_id: string | null; name: string; service: string | null; start_time: string; duration_ms: number | null; status: string | null }
interface Usage { input_tokens?: number; output_tokens?: number; total_tokens?: number; cost_usd?: number }
interface GraphNode { id: string; type: 'thread' | 'mcp' | 'tool'; thread_id?: string; status?: string; mcp_id?: string; tool?: string; label: string }
interface Graph { nodes: GraphNode[]; edges: { type: string; from: string; to: string; count?: number }[]; truncated: boolean }

interface Loaded {
  thread: ThreadRecord & { timeline: Step[]; transcript: Message[] };
  children: ThreadRecord[];
  permissions: Permission[];
  logs: LogLine[];
  spans: Span[];
  usage: Usage | null;
  graph: Graph;
}

async function load(id: string): Promise<Loaded> {
  const path = `/api/threads/${encodeURIComponent(id)}`;
  const [thread, children, permissions, logs, spans, usage, graph] = await Promise.all([
    get<{ items: Loaded['thread'][] }>(path),
    get<Page<ThreadRecord>>(`${path}/children`, { order: 'asc', limit: 200 }),
    get<Page<Permission>>('/api/permissions', { thread_id: id, order: 'asc', limit: 500 }),
    get<Page<LogLine>>('/api/logs', { thread_id: id, order: 'asc', limit: 500 }),
    get<Page<Span>>('/api/spans', { thread_id: id, order: 'asc', limit: 500 }),
    get<{ items: Usage[] }>('/api/usage', { by: 'thread', thread_id: id }),
    get<Graph>('/api/graph', { thread_id: id }),
  ]);
  return { thread: thread.items[0], children: children.items, permissions: permissions.items, logs: logs.items,
           spans: spans.items, usage: usage.items[0] ?? null, graph };
}

function detailOf(step: Step): string {
  // Gateway steps keep their facts at the top of details; an agent's OpenTelemetry event keeps them in
  // details.attributes (Claude Code: model, input_tokens, output_tokens, cost_usd).
  const raw = step.details && typeof step.details === 'object' ? step.details : {};
  const d = { ...(raw.attributes && typeof raw.attributes === 'object' ? raw.attributes : {}), ...raw };
  const parts: string[] = [];
  if (d.model) parts.push(String(d.model));
  const input = d.input_tokens ?? d['gen_ai.usage.input_tokens'];
  const output = d.output_tokens ?? d['gen_ai.usage.output_tokens'];
  if (input !== undefined || output !== undefined) parts.push(`${count(Number(input ?? 0))} in / ${count(Number(output ?? 0))} out tokens`);
  if (d.cost_usd !== undefined) parts.push(money(Number(d.cost_usd)));
  if (step.mcp_id && step.tool) parts.push(`${step.tool} on ${step.mcp_id}`);
  return parts.join(' · ');
}

export function timelineRows(data: Loaded): WaterfallRow[] {
  const rows: WaterfallRow[] = [];
  for (const s of data.thread.timeline) {
    rows.push({ key: s.id, start: parseTime(s.timestamp), durationMs: s.duration_ms, kind: s.step_type, status: s.status,
                label: <span><b>{s.step_type.replace('_', ' ')}</b> {s.description ?? s.tool ?? ''}</span>,
                detail: detailOf(s), attrs: { 'data-step': s.id, 'data-step-type': s.step_type } });
  }
  for (const p of data.permissions) {
    rows.push({ key: p.id, start: parseTime(p.timestamp), kind: p.granted ? 'permission-granted' : 'permission-denied',
                label: <span><b>{p.granted ? 'allowed' : 'denied'}</b> {p.action} {p.resource}</span>,
                detail: [p.reason, p.user_id ? `by ${p.user_id}` : null].filter(Boolean).join(' · '),
                attrs: { 'data-permission': p.granted ? 'granted' : 'denied' } });
  }
  for (const c of data.children) {
    const start = parseTime(c.started_at);
    const end = c.ended_at ? parseTime(c.ended_at) : Date.now();
    rows.push({ key: c.id, start, durationMs: end - start, kind: 'thread', status: c.status, depth: 1, href: href(['threads', c.id]),
                label: <span><b>sub-thread</b> {c.id} <Badge value={c.status} /></span>, attrs: { 'data-child': c.id } });
  }
  return rows.filter((r) => !Number.isNaN(r.start)).sort((a, b) => a.start - b.start);
}

function spanRows(spans: Span[]): WaterfallRow[] {
  const byId = new Map(spans.map((s) => [s.span_id, s]));
  const depth = (s: Span): number => {
    let d = 0;
    for (let p = s.parent_span_id ? byId.get(s.parent_span_id) : undefined; p && d < 32; p = p.parent_span_id ? byId.get(p.parent_span_id) : undefined) d++;
    return d;
  };
  return spans.map((s) => ({ key: s.id, start: parseTime(s.start_time), durationMs: s.duration_ms, kind: 'span', status: s.status,
                             depth: depth(s), label: <span>{s.name}</span>, detail: s.service ?? '' }))
              .sort((a, b) => a.start - b.start);
}

// The thread and everything it started, as a tree: each thread with its status and the tools it called.
function ThreadTree({ graph, current }: { graph: Graph; current: string }) {
  const children = new Map<string, string[]>();
  const calls = new Map<string, { label: string; count: number }[]>();
  for (const e of graph.edges) {
    if (e.type === 'parent-of') children.set(e.from, [...(children.get(e.from) ?? []), e.to]);
    if (e.type === 'called') calls.set(e.from, [...(calls.get(e.from) ?? []), { label: e.to.replace(/^tool:/, ''), count: e.count ?? 1 }]);
  }
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const render = (nodeId: string, depth: number): preact.JSX.Element | null => {
    const node = nodes.get(nodeId);
    if (!node || depth > 32) return null;
    return (
      <li key={nodeId} data-tree-thread={node.thread_id}>
        {node.thread_id === current ? <b class="mono">{node.thread_id}</b> : <a class="mono" href={href(['threads', node.thread_id!])}>{node.thread_id}</a>}
        {' '}<Badge value={node.status} />
        {(calls.get(nodeId) ?? []).map((c) => <span class="tag" key={c.label}>{c.label} ×{c.count}</span>)}
        {children.get(nodeId)?.length ? <ul>{children.get(nodeId)!.map((child) => render(child, depth + 1))}</ul> : null}
      </li>);
  };
  return <ul class="tree" aria-label="thread tree">{render(`thread:${current}`, 0)}</ul>;
}

export function ThreadPage({ id }: { id: string }) {
  const data = useLoad(() => load(id), [id]);
  const reload = useThrottled(data.reload, 400);
  useLive([`threads:${id}`, `permissions:${id}`, `logs:${id}`], reload, reload);
  const d = data.data;
  if (!d) return <div class="view"><ErrorBox error={data.error} />{data.loading ? <Empty>Loading thread {id}…</Empty> : null}</div>;
  if (!d.thread) return <div class="view"><Empty>No thread {id}.</Empty></div>;
  const t = d.thread;
  const start = parseTime(t.started_at);
  const end = t.ended_at ? parseTime(t.ended_at) : Date.now();
  const denied = d.permissions.filter((p) => !p.granted).length;
  return (
    <div class="view thread-view" data-view="thread" data-thread={t.id}>
      <header class="thread-title">
        <h1 class="mono">{t.id}</h1><Badge value={t.status} />
        {t.parent_id ? <span>child of <a href={href(['threads', t.parent_id])}>{t.parent_id}</a></span> : null}
        <span class="muted">{t.mcp_id ?? ''}</span>
        <span class="muted">started {dateTime(t.started_at)} · {Number.isNaN(start) ? '—' : duration(end - start)}{t.ended_at ? '' : ' so far'}</span>
        <span class="muted" data-counts>{t.timeline.length} steps · {t.transcript.length} messages · {d.permissions.length} permission decisions{denied ? ` (${denied} denied)` : ''}</span>
        {d.usage ? <span data-usage>{count(d.usage.input_tokens)} in / {count(d.usage.output_tokens)} out tokens · {money(d.usage.cost_usd)}</span> : null}
      </header>
      <ErrorBox error={data.error} />
      {t.user_input ? <blockquote class="user-input">{t.user_input}</blockquote> : null}
      <div class="thread-columns">
        <Section title="Timeline">
          <Waterfall rows={timelineRows(d)} label="timeline" />
        </Section>
        <Section title="Transcript">
          <ol class="transcript" aria-label="transcript">
            {t.transcript.length === 0 ? <Empty>No message yet.</Empty> : t.transcript.map((m) => (
              <li class={`msg ${m.role}`} key={m.id} data-role={m.role}>
                <div class="msg-head"><b>{m.role}</b> <span class="muted">{clock(m.timestamp)}{m.model ? ` · ${m.model}` : ''}{m.total_tokens ? ` · ${count(m.total_tokens)} tokens` : ''}</span></div>
                <div class="msg-body">{m.content ?? <i class="muted">(not recorded)</i>}</div>
              </li>))}
          </ol>
        </Section>
      </div>
      {d.graph.edges.some((e) => e.type === 'parent-of') ? <Section title="Threads it started"><ThreadTree graph={d.graph} current={t.id} /></Section> : null}
      {d.spans.length ? <Section title="Trace"><Waterfall rows={spanRows(d.spans)} label="trace" /></Section> : null}
      <Section title="Logs" actions={<a href={href(['logs'], { thread: t.id })}>open in Logs</a>}>
        <div class="log-block" aria-label="thread logs">
          {d.logs.length === 0 ? <Empty>No log line for this thread.</Empty> : d.logs.map((l) => <LogRow line={l} key={l.id} />)}
        </div>
      </Section>
      {d.permissions.length ? (
        <Section title="Permission decisions">
          <table class="grid" aria-label="permission decisions">
            <thead><tr><th>time</th><th>decision</th><th>action</th><th>resource</th><th>decided by</th></tr></thead>
            <tbody>{d.permissions.map((p) => (
              <tr key={p.id}><td>{clock(p.timestamp)}</td><td><Badge value={p.granted ? 'allow' : 'denied'} /></td><td>{p.action}</td>
                <td class="mono">{p.resource}</td><td>{p.reason ?? '—'}</td></tr>))}</tbody>
          </table>
        </Section>) : null}
      {t.execution_context ? <Section title="Execution context"><pre>{json(t.execution_context)}</pre></Section> : null}
    </div>
  );
}
