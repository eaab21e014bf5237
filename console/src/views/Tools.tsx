// Tools: per MCP server and tool (or per calling agent), calls, errors, denials and p50/p95/p99
// latency over a chosen window, a chart over time, and a click through to the calls themselves.
import { useState } from 'preact/hooks';
import { get, type Page } from '../api';
import { dateTime, duration, relative } from '../format';
import { useLive, useLoad, useReadyMark, useThrottled } from '../hooks';
import { href, replaceQuery, type Route } from '../router';
import { Chart } from '../ui/Chart';
import { Badge, Empty, ErrorBox, Section } from '../ui/common';

interface ToolRow {
  mcp_id: string | null; tool: string; agent?: string | null; calls: number; errors: number; denied: number; error_rate: number;
  p50_ms: number | null; p95_ms: number | null; p99_ms: number | null; max_ms: number | null; last_call: string;
}
interface Point { calls: number; errors: number; p50_ms: number | null; p95_ms: number | null }
interface ToolsAnswer { items: ToolRow[]; series?: { from_ms: number; bucket_ms: number; points: Point[] }; calls_read: number; truncated: boolean }
interface Step { id: string; thread_id: string; timestamp: string; duration_ms: number | null; status: string | null; mcp_id: string | null; tool: string | null; details: any }

const WINDOWS: [string, number][] = [['15m', 15 * 60e3], ['1h', 3600e3], ['6h', 6 * 3600e3], ['24h', 24 * 3600e3], ['7d', 7 * 24 * 3600e3]];
const COLUMNS: [keyof ToolRow, string][] = [['calls', 'calls'], ['errors', 'errors'], ['error_rate', 'error rate'], ['denied', 'denied'],
  ['p50_ms', 'p50'], ['p95_ms', 'p95'], ['p99_ms', 'p99'], ['max_ms', 'max']];

const ms = (value: number | null) => (value === null ? '—' : duration(value));

export function Tools({ route }: { route: Route }) {
  const q = route.query;
  const f = { window: q.get('window') ?? '1h', by: q.get('by') ?? 'tool', mcp: q.get('mcp') ?? '', agent: q.get('agent') ?? '',
              tool: q.get('tool') ?? '', sort: q.get('sort') ?? 'calls' };
  const set = (change: Partial<typeof f>) => replaceQuery({ ...f, ...change });
  const windowMs = (WINDOWS.find(([name]) => name === f.window) ?? WINDOWS[1])[1];
  const [now, setNow] = useState(Date.now());
  const range = { from: new Date(now - windowMs).toISOString(), to: new Date(now + 1000).toISOString() };
  const key = [f.window, f.by, f.mcp, f.agent, f.tool, now].join('|');
  const stats = useLoad(() => get<ToolsAnswer>('/api/tools', { ...range, buckets: 60, by: f.by, mcp_id: f.mcp || undefined,
                                                               agent: f.agent || undefined, tool: f.tool || undefined, limit: 1000 }), [key]);
  const calls = useLoad(() => (f.tool ? get<Page<Step>>('/api/steps', { step_type: 'tool_call', tool: f.tool, mcp_id: f.mcp || undefined, ...range, limit: 100 })
                                      : Promise.resolve(null)), [key]);
  const refresh = useThrottled(() => setNow(Date.now()), 2000);
  useLive(['threads'], (event) => { if (event.type === 'step' && event.payload?.step_type === 'tool_call') refresh(); }, refresh);
  useReadyMark('tools', stats.data !== undefined);

  const rows = (stats.data?.items ?? []).slice().sort((a, b) => {
    const k = f.sort as keyof ToolRow;
    return ((b[k] as number) ?? -1) - ((a[k] as number) ?? -1);
  });
  const series = stats.data?.series;
  const times = series ? series.points.map((_, i) => (series.from_ms + i * series.bucket_ms) / 1000) : [];
  const chartSeries = series ? [
    { label: 'calls', values: series.points.map((p) => p.calls), color: '--tool', axis: 'count' as const },
    { label: 'errors', values: series.points.map((p) => p.errors), color: '--bad', axis: 'count' as const },
    { label: 'p95', values: series.points.map((p) => p.p95_ms), color: '--llm', axis: 'ms' as const },
  ] : [];
  return (
    <div class="view" data-view="tools">
      <form class="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="tool filters">
        <label>window <select name="window" value={f.window} onChange={(e) => set({ window: e.currentTarget.value })}>
          {WINDOWS.map(([name]) => <option value={name}>{name}</option>)}</select></label>
        <label>per <select name="by" value={f.by} onChange={(e) => set({ by: e.currentTarget.value })}>
          <option value="tool">tool</option><option value="agent">tool and agent</option></select></label>
        <label>server <input name="mcp" value={f.mcp} placeholder="mcp id" onChange={(e) => set({ mcp: e.currentTarget.value.trim() })} /></label>
        <label>agent <input name="agent" value={f.agent} placeholder="calling agent" onChange={(e) => set({ agent: e.currentTarget.value.trim() })} /></label>
        <label>tool <input name="tool" value={f.tool} placeholder="tool" onChange={(e) => set({ tool: e.currentTarget.value.trim() })} /></label>
        {f.tool || f.mcp || f.agent ? <button type="button" onClick={() => set({ tool: '', mcp: '', agent: '' })}>all tools</button> : null}
      </form>
      <ErrorBox error={stats.error} />
      <Section title={f.tool ? `${f.tool} over the last ${f.window}` : `All tool calls over the last ${f.window}`}>
        {series ? <Chart times={times} series={chartSeries} label="tool calls over time" /> : null}
      </Section>
      <Section title="Per tool" actions={stats.data?.truncated ? <span class="muted">the newest {stats.data.calls_read.toLocaleString()} calls</span> : null}>
        {rows.length === 0 ? <Empty>{stats.loading ? 'Loading…' : 'No tool call in this window.'}</Empty> : (
          <table class="grid tools-table" aria-label="tool statistics">
            <thead><tr><th>server</th><th>tool</th>{f.by === 'agent' ? <th>agent</th> : null}
              {COLUMNS.map(([k, title]) => (
                <th key={k}><button type="button" class={`sort ${f.sort === k ? 'active' : ''}`} onClick={() => set({ sort: k })} aria-sort={f.sort === k ? 'descending' : undefined}>{title}</button></th>))}
              <th>last call</th></tr></thead>
            <tbody>{rows.map((r) => (
              <tr key={`${r.mcp_id}/${r.tool}/${r.agent ?? ''}`} data-tool-row={`${r.mcp_id ?? ''}/${r.tool}`} class={f.tool === r.tool ? 'picked' : ''}>
                <td>{r.mcp_id ?? <span class="muted">(agent's own)</span>}</td>
                <td><button type="button" class="link mono" onClick={() => set({ tool: r.tool, mcp: r.mcp_id ?? '' })}>{r.tool}</button></td>
                {f.by === 'agent' ? <td>{r.agent ?? '—'}</td> : null}
                <td data-col="calls">{r.calls.toLocaleString()}</td><td data-col="errors" class={r.errors ? 'error-text' : ''}>{r.errors.toLocaleString()}</td>
                <td>{(r.error_rate * 100).toFixed(1)}%</td><td>{r.denied || ''}</td>
                <td data-col="p50">{ms(r.p50_ms)}</td><td data-col="p95">{ms(r.p95_ms)}</td><td>{ms(r.p99_ms)}</td><td>{ms(r.max_ms)}</td>
                <td class="sub">{relative(r.last_call)}</td></tr>))}</tbody>
          </table>)}
      </Section>
      {f.tool ? (
        <Section title={`Calls of ${f.tool}`}>
          <table class="grid" aria-label="tool calls">
            <thead><tr><th>time</th><th>status</th><th>duration</th><th>server</th><th>thread</th><th>outcome</th></tr></thead>
            <tbody>{(calls.data?.items ?? []).map((s) => (
              <tr key={s.id} data-call={s.id}><td>{dateTime(s.timestamp)}</td><td><Badge value={s.status} /></td><td>{ms(s.duration_ms)}</td>
                <td>{s.mcp_id ?? '—'}</td><td><a href={href(['threads', s.thread_id])}>{s.thread_id}</a></td>
                <td class="sub">{s.details?.error_code ?? s.details?.outcome ?? ''}</td></tr>))}</tbody>
          </table>
        </Section>) : null}
    </div>
  );
}
