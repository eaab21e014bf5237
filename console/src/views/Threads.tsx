// Threads: newest first, filtered by status, MCP server and time; new and changed threads appear
// live. Each row links to its page.
import { useEffect, useState } from 'preact/hooks';
import { get, type Page } from '../api';
import { dateTime, duration, parseTime } from '../format';
import { useLive, useReadyMark, useThrottled } from '../hooks';
import { href, replaceQuery, type Route } from '../router';
import { Badge, ErrorBox } from '../ui/common';
import { VirtualList } from '../ui/VirtualList';

export interface Thread {
  id: string; parent_id: string | null; mcp_id: string | null; status: string; user_input: string | null;
  execution_context: any; started_at: string | null; ended_at: string | null; created_at: string;
}

const STATUSES = ['running', 'paused', 'complete', 'error', 'cancelled'];

interface Filters { status: string; mcp: string; user: string; from: string; to: string; q: string }
interface Hit { kind: string; id: string; timestamp: string; thread_id: string | null; mcp_id: string | null; snippet: string }

// A search snippet marks its matches with <mark>…</mark>: drawn as text with <mark> elements, never as HTML.
function Snippet({ text }: { text: string }) {
  const parts = text.split(/<mark>|<\/mark>/);
  return <span>{parts.map((part, i) => (i % 2 ? <mark key={i}>{part}</mark> : part))}</span>;
}

function SearchResults({ q }: { q: string }) {
  const [hits, setHits] = useState<Hit[] | null>(null);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let current = true;
    setHits(null);
    get<Page<Hit>>('/api/search', { q, limit: 200 }).then((page) => current && (setHits(page.items), setError(undefined)),
                                                          (e) => current && setError(e.message));
    return () => { current = false; };
  }, [q]);
  return (
    <div class="search-results" aria-label="search results">
      <ErrorBox error={error} />
      {hits === null ? <div class="empty">Searching…</div> : hits.length === 0 ? <div class="empty">Nothing matches “{q}”.</div> : (
        <table class="grid">
          <thead><tr><th>found in</th><th>thread</th><th>match</th><th>time</th></tr></thead>
          <tbody>{hits.map((h) => (
            <tr key={`${h.kind}:${h.id}`} data-hit={h.kind}><td><span class="tag">{h.kind}</span></td>
              <td>{h.thread_id ? <a class="mono" href={href(['threads', h.thread_id])}>{h.thread_id}</a> : '—'}</td>
              <td><Snippet text={h.snippet} /></td><td class="sub">{dateTime(h.timestamp)}</td></tr>))}</tbody>
        </table>)}
    </div>
  );
}

function localToRfc3339(local: string): string | undefined {
  if (!local) return undefined;
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

function threadMatches(t: Thread, f: Filters): boolean {
  if (f.status && t.status !== f.status) return false;
  if (f.mcp && t.mcp_id !== f.mcp) return false;
  const ctx = t.execution_context;
  if (f.user && !(ctx && typeof ctx === 'object' && [ctx.user, ctx['user.id'], ctx['user.email']].includes(f.user))) return false;
  const started = parseTime(t.started_at);
  if (f.from && started < Date.parse(f.from)) return false;
  if (f.to && started > Date.parse(f.to)) return false;
  return true;
}

function elapsed(t: Thread, now: number): string {
  const start = parseTime(t.started_at);
  if (Number.isNaN(start)) return '—';
  const end = t.ended_at ? parseTime(t.ended_at) : now;
  return duration(end - start) + (t.ended_at ? '' : ' so far');
}

export function Threads({ route }: { route: Route }) {
  const q = route.query;
  const filters: Filters = { status: q.get('status') ?? '', mcp: q.get('mcp') ?? '', user: q.get('user') ?? '', from: q.get('from') ?? '',
                            to: q.get('to') ?? '', q: q.get('q') ?? '' };
  const key = JSON.stringify(filters);
  const [threads, setThreads] = useState<Thread[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [loaded, setLoaded] = useState(false);
  const [generation, setGeneration] = useState(0);
  const query = { status: filters.status || undefined, mcp_id: filters.mcp || undefined, user: filters.user || undefined,
                  from: localToRfc3339(filters.from), to: localToRfc3339(filters.to), limit: 200 };

  useEffect(() => {
    let current = true;
    setError(undefined);
    get<Page<Thread>>('/api/threads', query).then((page) => {
      if (!current) return;
      setThreads(page.items);
      setCursor(page.next_cursor);
      setLoaded(true);
    }, (e) => current && setError(e.message));
    return () => { current = false; };
  }, [key, generation]);

  const refetch = useThrottled(() => setGeneration((g) => g + 1), 1000);
  useLive(['threads'], (event) => {
    if (event.type !== 'thread') return;
    const t = event.payload as Thread;
    setThreads((list) => {
      const at = list.findIndex((x) => x.id === t.id);
      // An update names what changed (the rest null): the store keeps the rest, and so does the row.
      const changed = Object.fromEntries(Object.entries(t).filter(([, v]) => v !== null && v !== undefined));
      const merged = at >= 0 ? ({ ...list[at], ...changed } as Thread) : t;
      if (!threadMatches(merged, { ...filters, from: localToRfc3339(filters.from) ?? '', to: localToRfc3339(filters.to) ?? '' }))
        return at >= 0 ? list.filter((x) => x.id !== t.id) : list;
      if (at >= 0) {
        const next = list.slice();
        next[at] = merged;
        return next;
      }
      return [t, ...list];
    });
  }, refetch);

  useReadyMark('threads', loaded);

  const more = () => {
    if (!cursor) return;
    get<Page<Thread>>('/api/threads', { ...query, cursor }).then((page) => {
      setThreads((list) => list.concat(page.items.filter((t) => !list.some((x) => x.id === t.id))));
      setCursor(page.next_cursor);
    }, (e) => setError(e.message));
  };

  const set = (change: Partial<Filters>) => replaceQuery({ ...filters, ...change });
  const now = Date.now();
  return (
    <div class="view threads-view" data-view="threads">
      <form class="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="thread filters">
        <label>status <select name="status" value={filters.status} onChange={(e) => set({ status: e.currentTarget.value })}>
          <option value="">any</option>{STATUSES.map((s) => <option value={s}>{s}</option>)}</select></label>
        <label title="the thread's mcp_id: the MCP server it ran on, or the agent that reported it over OpenTelemetry">server or agent <input name="mcp" value={filters.mcp} placeholder="mcp id or agent" onChange={(e) => set({ mcp: e.currentTarget.value.trim() })} /></label>
        <label title="the /mcp session's user, or the user.id or user.email an agent reported">user <input name="user" value={filters.user} placeholder="user" onChange={(e) => set({ user: e.currentTarget.value.trim() })} /></label>
        <label>from <input name="from" type="datetime-local" value={filters.from} onChange={(e) => set({ from: e.currentTarget.value })} /></label>
        <label>to <input name="to" type="datetime-local" value={filters.to} onChange={(e) => set({ to: e.currentTarget.value })} /></label>
        <label class="grow">search <input name="q" type="search" value={filters.q} placeholder="words in prompts, transcripts, logs" onChange={(e) => set({ q: e.currentTarget.value.trim() })} /></label>
        <span class="muted" data-thread-count={threads.length}>{threads.length}{cursor ? '+' : ''} threads</span>
      </form>
      <ErrorBox error={error} />
      {filters.q ? <SearchResults q={filters.q} /> : null}
      <div class="thread-head" role="row"><span>thread</span><span>status</span><span>server or agent</span><span>started</span><span>duration</span><span>parent</span></div>
      <VirtualList items={threads} rowHeight={34} class="thread-list" label="threads"
                   empty={loaded ? 'No thread matches.' : 'Loading…'}
                   render={(t) => (
                     <a class="thread-row" href={href(['threads', t.id])} data-thread={t.id}>
                       <span class="strong mono">{t.id}</span><span><Badge value={t.status} /></span><span>{t.mcp_id ?? '—'}</span>
                       <span>{dateTime(t.started_at)}</span><span>{elapsed(t, now)}</span><span class="mono">{t.parent_id ?? ''}</span>
                     </a>)} />
      {cursor ? <button type="button" class="more" onClick={more}>load more</button> : null}
    </div>
  );
}
