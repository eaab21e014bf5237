// Logs: a live tail over every MCP server and agent, filtered by level, server, thread and text;
// pausing holds new lines (nothing is lost, the count shows) until resumed; a time jumps into history
// with the same filters. Lines arrive in bursts: they are added once per animation frame, and only
// the rows in view are drawn.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, type Page } from '../api';
import { clock, count, dateTime, json } from '../format';
import { useLive, useReadyMark } from '../hooks';
import { href, replaceQuery, type Route } from '../router';
import { ErrorBox } from '../ui/common';
import { VirtualList } from '../ui/VirtualList';

export interface LogLine {
  id: string; timestamp: string; level: string; service: string | null; thread_id: string | null;
  mcp_id: string | null; message: string; context?: unknown; exception?: string | null;
}

const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'];
const MAX_LINES = 100000;
const PAGE = 500;

interface Filters { level: string; mcp: string; thread: string; text: string; at: string }

function filtersOf(route: Route): Filters {
  const q = route.query;
  return { level: q.get('level') ?? '', mcp: q.get('mcp') ?? '', thread: q.get('thread') ?? '', text: q.get('text') ?? '', at: q.get('at') ?? '' };
}

export function matches(line: LogLine, f: Filters): boolean {
  if (f.level && LEVELS.indexOf(line.level) < LEVELS.indexOf(f.level)) return false;
  if (f.mcp && line.mcp_id !== f.mcp) return false;
  if (f.thread && line.thread_id !== f.thread) return false;
  if (f.text && !line.message.toLowerCase().includes(f.text.toLowerCase())) return false;
  return true;
}

function queryOf(f: Filters) {
  return { min_level: f.level || undefined, mcp_id: f.mcp || undefined, thread_id: f.thread || undefined, contains: f.text || undefined };
}

// datetime-local gives "2026-12-03T23:40"; the API takes RFC 3339.
function toRfc3339(local: string): string {
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? '' : t.toISOString();
}

export function LogRow({ line, onPick }: { line: LogLine; onPick?: (line: LogLine) => void }) {
  return (
    <div class={`log-line lvl-${line.level}`} onClick={() => onPick?.(line)} data-log-id={line.id}
         tabIndex={onPick ? 0 : undefined} onKeyDown={(e) => e.key === 'Enter' && onPick?.(line)}>
      <span class="log-time" title={line.timestamp}>{clock(line.timestamp)}</span>
      <span class="log-level">{line.level}</span>
      <span class="log-source">{line.mcp_id ?? line.service ?? ''}</span>
      <span class="log-thread">{line.thread_id ? <a href={href(['threads', line.thread_id])}>{line.thread_id}</a> : ''}</span>
      <span class="log-message">{line.message}</span>
    </div>
  );
}

export function Logs({ route }: { route: Route }) {
  const filters = filtersOf(route);
  const history = filters.at !== '';
  const [lines, setLines] = useState<LogLine[]>([]);
  const [held, setHeld] = useState(0);
  const [paused, setPaused] = useState(false);
  const [following, setFollowing] = useState(true);
  const [picked, setPicked] = useState<LogLine | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [older, setOlder] = useState<string | null>(null);
  const [gap, setGap] = useState(false);
  const [generation, setGeneration] = useState(0); // a reload asked for after a gap
  const [loaded, setLoaded] = useState(false);
  useReadyMark('logs', loaded);
  const incoming = useRef<LogLine[]>([]);
  const heldLines = useRef<LogLine[]>([]);
  const seen = useRef(new Set<string>());
  const frame = useRef(0);
  const ready = useRef(false); // the history arrived: live lines may follow it
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const key = JSON.stringify(filters);

  const append = (batch: LogLine[]) => {
    if (batch.length === 0) return;
    setLines((current) => {
      const next = current.concat(batch);
      return next.length > MAX_LINES ? next.slice(next.length - MAX_LINES) : next;
    });
  };

  // History (or the recent past, for the live tail) with the filters, newest last.
  useEffect(() => {
    let current = true;
    seen.current = new Set();
    ready.current = false;
    incoming.current = [];
    heldLines.current = [];
    setHeld(0);
    setLines([]);
    setPicked(null);
    setError(undefined);
    setGap(false);
    get<Page<LogLine>>('/api/logs', { ...queryOf(filters), order: 'desc', limit: PAGE, to: history ? toRfc3339(filters.at) : undefined })
      .then((page) => {
        if (!current) return;
        const items = page.items.reverse();
        items.forEach((l) => seen.current.add(l.id));
        setOlder(page.next_cursor);
        // Live lines that came while the history loaded follow it.
        const early = incoming.current.filter((l) => !seen.current.has(l.id));
        incoming.current = [];
        ready.current = true;
        early.forEach((l) => seen.current.add(l.id));
        setLines(items.concat(early));
        setLoaded(true);
      }, (e) => {
        if (!current) return;
        ready.current = true;
        setError(e.message);
      });
    return () => { current = false; };
  }, [key, generation]);

  useLive(history ? [] : ['logs:*'], (event) => {
    if (event.type !== 'log') return;
    const line = event.payload as LogLine;
    if (!matches(line, filters) || seen.current.has(line.id)) return;
    seen.current.add(line.id);
    incoming.current.push(line);
    if (!frame.current) frame.current = requestAnimationFrame(flush);
  }, () => setGap(true));

  function flush() {
    frame.current = 0;
    if (!ready.current) return; // kept in incoming until the history is in
    const batch = incoming.current;
    incoming.current = [];
    if (pausedRef.current) {
      heldLines.current.push(...batch);
      setHeld(heldLines.current.length);
    } else {
      append(batch);
    }
  }

  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  const resume = () => {
    append(heldLines.current);
    heldLines.current = [];
    setHeld(0);
    setPaused(false);
  };

  const loadOlder = () => {
    if (!older) return;
    get<Page<LogLine>>('/api/logs', { ...queryOf(filters), order: 'desc', limit: PAGE, cursor: older, to: history ? toRfc3339(filters.at) : undefined })
      .then((page) => {
        const items = page.items.reverse().filter((l) => !seen.current.has(l.id));
        items.forEach((l) => seen.current.add(l.id));
        setOlder(page.next_cursor);
        setLines((current) => items.concat(current));
      }, (e) => setError(e.message));
  };

  const set = (change: Partial<Filters>) => replaceQuery({ ...filters, ...change });

  return (
    <div class="view logs-view" data-view="logs">
      <form class="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="log filters">
        <label>level <select value={filters.level} onChange={(e) => set({ level: e.currentTarget.value })} name="level">
          <option value="">any</option>{LEVELS.map((l) => <option value={l}>{l}+</option>)}</select></label>
        <label>server <input name="mcp" value={filters.mcp} placeholder="mcp id" onChange={(e) => set({ mcp: e.currentTarget.value.trim() })} /></label>
        <label>thread <input name="thread" value={filters.thread} placeholder="thread id" onChange={(e) => set({ thread: e.currentTarget.value.trim() })} /></label>
        <label class="grow">text <input name="text" type="search" value={filters.text} placeholder="contains…" onChange={(e) => set({ text: e.currentTarget.value })} /></label>
        <label>until <input name="at" type="datetime-local" step="1" value={filters.at} onChange={(e) => set({ at: e.currentTarget.value })} /></label>
        {history ? <button type="button" onClick={() => set({ at: '' })}>back to live</button>
          : paused ? <button type="button" class="primary" onClick={resume} data-action="resume">resume{held ? ` (${count(held)} new)` : ''}</button>
          : <button type="button" onClick={() => setPaused(true)} data-action="pause">pause</button>}
      </form>
      <ErrorBox error={error} />
      {gap ? <div class="notice" role="status">The live connection missed some lines while it was away. <button type="button" onClick={() => setGeneration((g) => g + 1)}>reload</button></div> : null}
      <div class="log-status" role="status" aria-live="polite">
        <span data-line-count={lines.length}>{count(lines.length)} lines</span>
        {history ? <span> · history until {dateTime(toRfc3339(filters.at))}</span> : <span> · {paused ? `paused, ${count(held)} held` : following ? 'following' : 'scrolled up'}</span>}
        {older ? <button type="button" class="link" onClick={loadOlder}>load older</button> : null}
      </div>
      <VirtualList items={lines} rowHeight={22} follow={!history} onFollowChange={setFollowing} class="log-list" label="log lines"
                   render={(line) => <LogRow line={line} onPick={setPicked} />} empty="No log line matches." />
      {picked ? (
        <aside class="detail" aria-label="log line">
          <header class="card-head"><h2>{picked.level} {dateTime(picked.timestamp)}</h2>
            <button type="button" onClick={() => setPicked(null)} aria-label="close">×</button></header>
          <pre class="wrap">{picked.message}</pre>
          {picked.exception ? <pre class="wrap error-text">{picked.exception}</pre> : null}
          <pre>{json({ id: picked.id, service: picked.service, mcp_id: picked.mcp_id, thread_id: picked.thread_id, context: picked.context })}</pre>
        </aside>) : null}
    </div>
  );
}
