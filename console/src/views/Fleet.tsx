// Fleet: every MCP server at a glance (status, era, transport, capabilities, tools, last error,
// reconnect countdown, status history), what discovery found, the plugins and the host's health.
import { get, type Page } from '../api';
import { bytes, count, duration, relative } from '../format';
import { useEvery, useLive, useLoad, useNow, useReadyMark, useThrottled } from '../hooks';
import { href } from '../router';
import { Badge, Empty, ErrorBox, Section, Stat } from '../ui/common';

interface Server {
  id: string; transport: string; endpoint: string; origin: string; status: string;
  transport_status?: { status: string; message: string };
  last_seen: string | null; last_error: string | null; protocol: string; protocol_version: string | null;
  server_info?: { name?: string; title?: string; version?: string };
  connected_since: string | null; reconnect_attempts: number; next_retry_at: string | null;
  tool_count: number; resource_count?: number; prompt_count?: number; tools: string[];
}
interface StatusChange { timestamp: string; status: string; previous_status: string | null; detail: string | null }
interface Health { status: string; uptime_seconds: number; version: string; store: any; writer: any; plugins: any; websocket: any; http: any; auth: boolean }
interface Discovery { sources: any[]; endpoints: any[] }
interface Plugins { plugins: any[] }

async function loadServers(): Promise<{ servers: Server[]; history: Record<string, StatusChange[]> }> {
  const { mcps } = await get<{ mcps: Server[] }>('/api/mcps');
  const histories = await Promise.all(mcps.map((s) => get<Page<StatusChange>>(`/api/mcps/${encodeURIComponent(s.id)}/history`, { limit: 40 })
    .then((page) => page.items.reverse(), () => [] as StatusChange[])));
  const history: Record<string, StatusChange[]> = {};
  mcps.forEach((s, i) => (history[s.id] = histories[i]));
  return { servers: mcps, history };
}

function era(server: Server): string {
  if (server.protocol_version) return server.protocol_version;
  return server.protocol === 'auto' ? 'not yet known' : server.protocol;
}

function HistoryStrip({ changes }: { changes: StatusChange[] }) {
  if (changes.length === 0) return <span class="muted">—</span>;
  return (
    <span class="strip" aria-label="status history">
      {changes.map((c) => <i class={`tick ${c.status}`} title={`${c.status} ${relative(c.timestamp)}${c.detail ? ': ' + c.detail : ''}`} />)}
    </span>
  );
}

function ServerRow({ server, changes, now }: { server: Server; changes: StatusChange[]; now: number }) {
  const caps = [server.tool_count ? `${server.tool_count} tools` : null, server.resource_count ? `${server.resource_count} resources` : null,
                server.prompt_count ? `${server.prompt_count} prompts` : null].filter(Boolean).join(' · ');
  return (
    <tr data-server={server.id}>
      <td><a href={href(['servers', server.id])} class="strong">{server.id}</a>
        <div class="sub">{server.server_info?.title ?? server.server_info?.name ?? ''} {server.server_info?.version ?? ''}</div></td>
      <td><Badge value={server.status} title={server.transport_status?.message} />
        {server.next_retry_at ? <div class="sub" data-countdown>retry {relative(server.next_retry_at, now)}</div> : null}</td>
      <td class="mono" data-era>{era(server)}</td>
      <td>{server.transport}<div class="sub">{server.origin}</div></td>
      <td data-capabilities>{caps || '—'}</td>
      <td class="error-text">{server.last_error ?? ''}</td>
      <td><HistoryStrip changes={changes} /></td>
      <td class="sub">{server.connected_since ? `up ${relative(server.connected_since, now).replace(' ago', '')}` : server.last_seen ? `seen ${relative(server.last_seen, now)}` : '—'}</td>
    </tr>
  );
}

export function Fleet() {
  const now = useNow(1000);
  const servers = useLoad(loadServers, []);
  const health = useLoad(() => get<Health>('/api/health'), []);
  const discovery = useLoad(() => get<Discovery>('/api/discovery'), []);
  const plugins = useLoad(() => get<Plugins>('/api/plugins'), []);
  const refetchServers = useThrottled(servers.reload, 300);
  const refetchPlugins = useThrottled(() => { plugins.reload(); health.reload(); }, 500);
  const refetchDiscovery = useThrottled(discovery.reload, 500);
  useLive(['mcps'], (event) => (event.type === 'discovery' ? refetchDiscovery() : refetchServers()),
          () => { refetchServers(); refetchDiscovery(); });
  useLive(['plugins'], refetchPlugins, refetchPlugins);
  useEvery(health.reload, 5000);
  useReadyMark('fleet', servers.data !== undefined && health.data !== undefined);

  const h = health.data;
  const list = servers.data?.servers ?? [];
  const connected = list.filter((s) => s.status === 'connected').length;
  return (
    <div class="view" data-view="fleet">
      <div class="stats">
        <Stat label="MCP servers connected" value={`${connected} / ${list.length}`} tone={connected < list.length ? 'warn' : 'ok'} />
        <Stat label="store" value={<Badge value={h?.store?.status} title={h?.store?.message} />} />
        <Stat label="writer queue" value={h ? `${count(h.writer?.queued_events)} events` : '—'} />
        <Stat label="committed" value={count(h?.writer?.committed)} />
        <Stat label="WebSocket clients" value={count(h?.websocket?.connected)} />
        <Stat label="plugins" value={h ? `${h.plugins?.loaded} loaded${h.plugins?.refused ? `, ${h.plugins.refused} refused` : ''}` : '—'}
              tone={h?.plugins?.refused ? 'bad' : undefined} />
        <Stat label="up" value={h ? duration(h.uptime_seconds * 1000) : '—'} />
      </div>
      <ErrorBox error={servers.error ?? health.error} />
      <Section title="MCP servers">
        {list.length === 0 && !servers.loading ? <Empty>No MCP server is configured. Declare one as mcp.servers.&lt;id&gt;.* in host.properties or POST /api/mcps.</Empty> : (
          <table class="grid" aria-label="MCP servers">
            <thead><tr><th>server</th><th>status</th><th>protocol</th><th>transport</th><th>capabilities</th><th>last error</th><th>history</th><th>since</th></tr></thead>
            <tbody>{list.map((s) => <ServerRow server={s} changes={servers.data!.history[s.id] ?? []} now={now} key={s.id} />)}</tbody>
          </table>)}
      </Section>
      <div class="columns">
        <Section title="Discovery">
          <table class="grid" aria-label="discovery sources">
            <thead><tr><th>source</th><th>status</th><th>policy</th><th>found</th><th>last scan</th></tr></thead>
            <tbody>{(discovery.data?.sources ?? []).map((s) => (
              <tr key={s.source}><td class="strong">{s.source}<div class="sub">{s.plugin}</div></td>
                <td><Badge value={s.status} /><div class="sub">{s.message}</div></td><td>{s.policy}</td>
                <td>{count(s.found_count)}{s.found?.length ? <div class="sub">{s.found.slice(0, 5).map((f: any) => f.id ?? f.name).join(', ')}</div> : null}</td>
                <td class="sub">{relative(s.last_scan, now)}</td></tr>))}
            </tbody>
          </table>
        </Section>
        <Section title="Plugins">
          <table class="grid" aria-label="plugins">
            <thead><tr><th>plugin</th><th>kind</th><th>status</th><th>version</th></tr></thead>
            <tbody>{(plugins.data?.plugins ?? []).map((p) => (
              <tr key={p.file} data-plugin={p.id ?? p.file}><td class="strong">{p.id ?? p.file.split('/').pop()}<div class="sub">{p.description ?? p.reason}</div></td>
                <td>{p.kind ?? '—'}</td><td><Badge value={p.status} title={p.reason ?? undefined} /></td><td class="mono">{p.version ?? '—'}</td></tr>))}
            </tbody>
          </table>
        </Section>
      </div>
      {h ? <Section title="Host">
        <dl class="facts">
          <dt>version</dt><dd>{h.version}</dd>
          <dt>store</dt><dd>{h.store?.plugin} · {h.store?.message}{h.store?.details?.size_bytes ? ` · ${bytes(h.store.details.size_bytes)}` : ''}</dd>
          <dt>writer</dt><dd>{count(h.writer?.committed)} committed in {count(h.writer?.batches)} batches · {count(h.writer?.retries)} retries{h.writer?.last_error ? ` · last error: ${h.writer.last_error}` : ''}</dd>
          <dt>HTTP</dt><dd>{count(h.http?.connections)} connections · {count(h.http?.requests)} requests</dd>
          <dt>WebSocket</dt><dd>{count(h.websocket?.connected)} connected · {count(h.websocket?.messages_sent)} messages sent · {count(h.websocket?.overflow_disconnects)} slow clients disconnected</dd>
          <dt>auth</dt><dd>{h.auth ? 'on (JWT)' : 'off: everyone on this machine is admin'}</dd>
        </dl>
      </Section> : null}
    </div>
  );
}
