// Audit: what admins and the host did (servers registered and removed, plugins refused, the store
// down and up) and every permission decision, each filterable and live.
import { useEffect, useState } from 'preact/hooks';
import { get, type Page } from '../api';
import { dateTime, json } from '../format';
import { useLive, useThrottled } from '../hooks';
import { href, replaceQuery, type Route } from '../router';
import { Badge, Empty, ErrorBox, Section } from '../ui/common';

interface AuditRecord { id: string; timestamp: string; actor: string; action: string; target: string | null; outcome: string | null; details: unknown }
interface Permission { id: string; timestamp: string; thread_id: string | null; user_id: string | null; resource: string; action: string; granted: boolean; reason: string | null; mcp_id: string | null }

function localToRfc3339(local: string): string | undefined {
  if (!local) return undefined;
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

// A page of a list that reloads when its query changes or a live event says so, with "load more".
function usePaged<T extends { id: string }>(path: string, query: Record<string, string | undefined>, channel: string) {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(query);
  useEffect(() => {
    let current = true;
    get<Page<T>>(path, { ...query, limit: 200 }).then((page) => {
      if (!current) return;
      setItems(page.items);
      setCursor(page.next_cursor);
      setError(undefined);
    }, (e) => current && setError(e.message));
    return () => { current = false; };
  }, [key, generation]);
  const reload = useThrottled(() => setGeneration((g) => g + 1), 500);
  useLive([channel], reload, reload);
  const more = () => cursor && get<Page<T>>(path, { ...query, limit: 200, cursor }).then((page) => {
    setItems((list) => list.concat(page.items.filter((x) => !list.some((y) => y.id === x.id))));
    setCursor(page.next_cursor);
  }, (e) => setError(e.message));
  return { items, cursor, error, more };
}

export function Audit({ route }: { route: Route }) {
  const q = route.query;
  const f = { actor: q.get('actor') ?? '', action: q.get('action') ?? '', user: q.get('user') ?? '', decision: q.get('decision') ?? '',
              mcp: q.get('mcp') ?? '', from: q.get('from') ?? '', to: q.get('to') ?? '' };
  const set = (change: Partial<typeof f>) => replaceQuery({ ...f, ...change });
  const range = { from: localToRfc3339(f.from), to: localToRfc3339(f.to) };
  const audit = usePaged<AuditRecord>('/api/audit', { actor: f.actor || undefined, action: f.action || undefined, ...range }, 'audit');
  const permissions = usePaged<Permission>('/api/permissions', {
    user_id: f.user || undefined, mcp_id: f.mcp || undefined, ...range,
    granted: f.decision === 'allowed' ? 'true' : f.decision === 'denied' ? 'false' : undefined }, 'permissions');
  return (
    <div class="view" data-view="audit">
      <form class="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="audit filters">
        <label>from <input name="from" type="datetime-local" value={f.from} onChange={(e) => set({ from: e.currentTarget.value })} /></label>
        <label>to <input name="to" type="datetime-local" value={f.to} onChange={(e) => set({ to: e.currentTarget.value })} /></label>
      </form>
      <Section title="Admin actions and host events">
        <form class="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="admin action filters">
          <label>actor <input name="actor" value={f.actor} onChange={(e) => set({ actor: e.currentTarget.value.trim() })} /></label>
          <label>action <input name="action" value={f.action} placeholder="mcp.register" onChange={(e) => set({ action: e.currentTarget.value.trim() })} /></label>
        </form>
        <ErrorBox error={audit.error} />
        {audit.items.length === 0 ? <Empty>Nothing recorded.</Empty> : (
          <table class="grid" aria-label="admin actions">
            <thead><tr><th>time</th><th>actor</th><th>action</th><th>target</th><th>outcome</th><th>details</th></tr></thead>
            <tbody>{audit.items.map((a) => (
              <tr key={a.id} data-audit={a.action}><td>{dateTime(a.timestamp)}</td><td>{a.actor}</td><td class="mono">{a.action}</td>
                <td class="mono">{a.target ?? ''}</td><td>{a.outcome ? <Badge value={a.outcome} /> : ''}</td>
                <td><code class="sub">{a.details ? json(a.details).slice(0, 200) : ''}</code></td></tr>))}</tbody>
          </table>)}
        {audit.cursor ? <button type="button" class="more" onClick={audit.more}>load more</button> : null}
      </Section>
      <Section title="Permission decisions">
        <form class="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="permission filters">
          <label>decision <select name="decision" value={f.decision} onChange={(e) => set({ decision: e.currentTarget.value })}>
            <option value="">any</option><option value="allowed">allowed</option><option value="denied">denied</option></select></label>
          <label>user <input name="user" value={f.user} onChange={(e) => set({ user: e.currentTarget.value.trim() })} /></label>
          <label>server <input name="mcp" value={f.mcp} placeholder="mcp id" onChange={(e) => set({ mcp: e.currentTarget.value.trim() })} /></label>
        </form>
        <ErrorBox error={permissions.error} />
        {permissions.items.length === 0 ? <Empty>No permission decision matches.</Empty> : (
          <table class="grid" aria-label="permission decisions">
            <thead><tr><th>time</th><th>decision</th><th>user</th><th>action</th><th>resource</th><th>decided by</th><th>thread</th></tr></thead>
            <tbody>{permissions.items.map((p) => (
              <tr key={p.id} data-decision={p.granted ? 'allowed' : 'denied'}><td>{dateTime(p.timestamp)}</td>
                <td><Badge value={p.granted ? 'allow' : 'denied'} /></td><td>{p.user_id ?? '—'}</td><td>{p.action}</td>
                <td class="mono">{p.resource}</td><td>{p.reason ?? '—'}</td>
                <td>{p.thread_id ? <a href={href(['threads', p.thread_id])}>{p.thread_id}</a> : '—'}</td></tr>))}</tbody>
          </table>)}
        {permissions.cursor ? <button type="button" class="more" onClick={permissions.more}>load more</button> : null}
      </Section>
    </div>
  );
}
