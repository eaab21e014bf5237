// A timeline drawn as a waterfall: one row per item, a bar from its start for its duration on one
// time axis (a point when it has no duration). Rows may be indented (nesting) and link somewhere.
import type { ComponentChildren } from 'preact';
import { duration } from '../format';

export interface WaterfallRow {
  key: string;
  label: ComponentChildren;
  detail?: ComponentChildren;
  start: number;          // ms since the epoch
  durationMs?: number | null;
  kind: string;           // class of the bar: llm_call, tool_call, permission-denied, thread, span, ...
  status?: string | null; // error colours the bar
  depth?: number;
  href?: string;
  attrs?: Record<string, string>;
}

export function Waterfall({ rows, label }: { rows: WaterfallRow[]; label: string }) {
  if (rows.length === 0) return <div class="empty">Nothing recorded yet.</div>;
  const start = Math.min(...rows.map((r) => r.start));
  const end = Math.max(...rows.map((r) => r.start + (r.durationMs ?? 0)));
  const span = Math.max(end - start, 1);
  const pct = (ms: number) => `${((ms / span) * 100).toFixed(3)}%`;
  return (
    <div class="waterfall" role="table" aria-label={label}>
      <div class="wf-axis" aria-hidden="true"><span>0</span><span>{duration(span / 2)}</span><span>{duration(span)}</span></div>
      {rows.map((r) => {
        const point = !r.durationMs;
        const bar = (
          <div class="wf-track">
            <div class={`wf-bar ${r.kind} ${r.status === 'error' ? 'failed' : ''} ${point ? 'point' : ''}`}
                 style={{ left: pct(r.start - start), width: point ? undefined : `max(2px, ${pct(r.durationMs!)})` }}
                 title={`${r.durationMs ? duration(r.durationMs) : ''}`} />
          </div>);
        const name = <div class="wf-label" style={{ paddingLeft: `${(r.depth ?? 0) * 14 + 4}px` }}>{r.label}{r.detail ? <div class="sub">{r.detail}</div> : null}</div>;
        return (
          <div class={`wf-row ${r.kind}`} role="row" key={r.key} {...(r.attrs ?? {})}>
            {r.href ? <a href={r.href} class="wf-link">{name}</a> : name}
            {bar}
            <div class="wf-duration">{r.durationMs ? duration(r.durationMs) : ''}</div>
          </div>);
      })}
    </div>
  );
}
