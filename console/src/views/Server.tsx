// One MCP server: what it said about itself, its tools (each callable from here by an operator,
// its input schema as a form), its status history, and the protocol inspector: every JSON-RPC
// message to and from it, live.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, post, type Page } from '../api';
import { clock, dateTime, duration, json, relative } from '../format';
import { useLive, useLoad, useThrottled } from '../hooks';
import { live } from '../live';
import { href } from '../router';
import { Badge, Empty, ErrorBox, Section } from '../ui/common';
import { argumentsOf, SchemaForm, useFormValues, type Schema } from '../ui/SchemaForm';
import { VirtualList } from '../ui/VirtualList';

interface Tool { name: string; title?: string; description?: string; inputSchema?: Schema; annotations?: Record<string, boolean> }
interface ServerDetail {
  id: string; status: string; transport: string; endpoint: string; protocol: string; protocol_version: string | null;
  server_info?: { name?: string; title?: string; version?: string }; instructions?: string | null; capabilities?: unknown;
  last_error: string | null; connected_since: string | null; tools: Tool[];
}
interface WireMessage {
  seq: number; timestamp: string; direction: 'in' | 'out'; kind: string; method: string | null; id: unknown;
  duration_ms: number | null; bytes: number; truncated: boolean; message: unknown;
  // kind "http": the exchange that carried a message (status null: no response came).
  http?: { method: string; target: string; status: number | null; error: string | null; [key: string]: unknown };
}

// What a row names: the message's kind, or an exchange's request and status.
const kindOf = (m: WireMessage) => (m.kind === 'http' && m.http ? `${m.http.method} ${m.http.status ?? 'failed'}` : m.kind);

function ToolCaller({ server, tool }: { server: string; tool: Tool }) {
  const [values, setValues] = useFormValues();
  const [raw, setRaw] = useState<string | null>(null);
  const [thread, setThread] = useState('');
  const [result, setResult] = useState<{ ok: boolean; text: string; ms?: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const allowed = live.role === 'operator' || live.role === 'admin';
  const schema = tool.inputSchema ?? {};
  const call = async (e: Event) => {
    e.preventDefault();
    let args: Record<string, unknown>;
    try {
      args = raw !== null ? JSON.parse(raw) : argumentsOf(schema, values);
    } catch (failure: any) {
      setResult({ ok: false, text: failure.message });
      return;
    }
    setBusy(true);
    const started = performance.now();
    try {
      const body: Record<string, unknown> = { arguments: args };
      if (thread.trim()) body.thread_id = thread.trim();
      const answer = await post<any>(`/api/mcps/${encodeURIComponent(server)}/tools/${encodeURIComponent(tool.name)}/call`, body);
      setResult({ ok: !answer?.isError && !answer?.result?.isError, text: json(answer), ms: performance.now() - started });
    } catch (failure: any) {
      setResult({ ok: false, text: failure instanceof ApiError ? `${failure.status} ${failure.code}: ${failure.message}` : String(failure) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="tool-call" onSubmit={call} aria-label={`call ${tool.name}`} noValidate>
      <div class="tabs">
        <button type="button" class={raw === null ? 'active' : ''} onClick={() => setRaw(null)}>form</button>
        <button type="button" class={raw !== null ? 'active' : ''} onClick={() => setRaw(json((() => { try { return argumentsOf(schema, values); } catch { return {}; } })()))}>JSON</button>
      </div>
      {raw === null ? <SchemaForm schema={schema} values={values} onChange={setValues} disabled={!allowed} />
        : <textarea class="json-edit" rows={8} value={raw} onInput={(e) => setRaw(e.currentTarget.value)} name="arguments" disabled={!allowed} />}
      <label>in thread <input name="thread_id" value={thread} placeholder="thread id (optional: the call becomes a step)" onInput={(e) => setThread(e.currentTarget.value)} disabled={!allowed} /></label>
      <button class="primary" type="submit" disabled={!allowed || busy} data-action="call">{busy ? 'calling…' : `call ${tool.name}`}</button>
      {!allowed ? <span class="muted"> calling a tool needs the operator role (yours: {live.role || 'unknown'})</span> : null}
      {result ? <pre class={`result ${result.ok ? 'ok' : 'failed'}`} data-result={result.ok ? 'ok' : 'error'} role="status">{result.ms !== undefined ? `${duration(result.ms)}\n` : ''}{result.text}</pre> : null}
    </form>
  );
}

function Tools({ server }: { server: ServerDetail }) {
  const [open, setOpen] = useState<string | null>(null);
  if (server.tools.length === 0) return <Empty>This server lists no tools.</Empty>;
  return (
    <ul class="tools" aria-label="tools">
      {server.tools.map((t) => (
        <li key={t.name} data-tool={t.name} class={open === t.name ? 'open' : ''}>
          <button type="button" class="tool-head" aria-expanded={open === t.name} onClick={() => setOpen(open === t.name ? null : t.name)}>
            <span class="mono strong">{t.name}</span> <span class="muted">{t.title && t.title !== t.name ? t.title : ''}</span>
            {t.annotations?.readOnlyHint ? <span class="tag">read-only</span> : null}
            {t.annotations?.destructiveHint ? <span class="tag bad">destructive</span> : null}
            <div class="sub">{t.description}</div>
          </button>
          {open === t.name ? <ToolCaller server={server.id} tool={t} /> : null}
        </li>))}
    </ul>
  );
}

function Protocol({ server }: { server: string }) {
  const [messages, setMessages] = useState<WireMessage[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [direction, setDirection] = useState('');
  const [method, setMethod] = useState('');
  const [picked, setPicked] = useState<WireMessage | null>(null);
  const [error, setError] = useState<string | undefined>();
  const seen = useRef(new Set<number>());
  const query = { direction: direction || undefined, method: method || undefined, limit: 500 };
  useEffect(() => {
    let current = true;
    seen.current = new Set();
    get<Page<WireMessage>>(`/api/mcps/${encodeURIComponent(server)}/messages`, query).then((page) => {
      if (!current) return;
      const items = page.items.reverse();
      items.forEach((m) => seen.current.add(m.seq));
      setMessages(items);
      setCursor(page.next_cursor);
      setError(undefined);
    }, (e) => current && setError(e.message));
    return () => { current = false; };
  }, [server, direction, method]);
  useLive([`protocol:${server}`], (event) => {
    const m = event.payload as WireMessage;
    if (seen.current.has(m.seq) || (direction && m.direction !== direction) || (method && m.method !== method)) return;
    seen.current.add(m.seq);
    setMessages((list) => list.concat(m).slice(-20000));
  });
  const older = () => cursor && get<Page<WireMessage>>(`/api/mcps/${encodeURIComponent(server)}/messages`, { ...query, cursor }).then((page) => {
    const items = page.items.reverse().filter((m) => !seen.current.has(m.seq));
    items.forEach((m) => seen.current.add(m.seq));
    setMessages((list) => items.concat(list));
    setCursor(page.next_cursor);
  });
  return (
    <div class="protocol">
      <form class="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="message filters">
        <label>direction <select name="direction" value={direction} onChange={(e) => setDirection(e.currentTarget.value)}>
          <option value="">both</option><option value="out">to the server</option><option value="in">from the server</option></select></label>
        <label>method <input name="method" value={method} placeholder="tools/call" onChange={(e) => setMethod(e.currentTarget.value.trim())} /></label>
        {cursor ? <button type="button" onClick={older}>load older</button> : null}
        <span class="muted" data-message-count={messages.length}>{messages.length} messages</span>
      </form>
      <ErrorBox error={error} />
      <div class="split">
        <VirtualList items={messages} rowHeight={24} follow class="wire-list" label="protocol messages" empty="No message yet."
                     render={(m) => (
                       <div class={`wire ${m.direction} ${m.kind} ${picked?.seq === m.seq ? 'picked' : ''}`} onClick={() => setPicked(m)} data-method={m.method ?? ''}
                            tabIndex={0} onKeyDown={(e) => e.key === 'Enter' && setPicked(m)}>
                         <span class="log-time">{clock(m.timestamp)}</span>
                         <span class="dir" title={m.direction === 'out' ? 'to the server' : 'from the server'}>{m.direction === 'out' ? '→' : '←'}</span>
                         <span class="kind">{kindOf(m)}</span><span class="mono">{m.method ?? ''}</span>
                         <span class="mono muted">{m.id !== null && m.id !== undefined ? `#${String(m.id)}` : ''}</span>
                         <span class="muted">{m.duration_ms !== null ? duration(m.duration_ms) : ''}</span>
                         <span class="muted">{m.bytes} B{m.truncated ? ' (cut)' : ''}</span>
                       </div>)} />
        {picked ? <pre class="wire-detail" aria-label="message">{json(picked.kind === 'http' ? picked.http : picked.message)}</pre> : null}
      </div>
    </div>
  );
}

export function ServerPage({ id }: { id: string }) {
  const server = useLoad(() => get<ServerDetail>(`/api/mcps/${encodeURIComponent(id)}`), [id]);
  const history = useLoad(() => get<Page<any>>(`/api/mcps/${encodeURIComponent(id)}/history`, { limit: 50 }), [id]);
  const reload = useThrottled(() => { server.reload(); history.reload(); }, 500);
  useLive([`mcps:${id}`], reload, reload);
  const [tab, setTab] = useState('tools');
  const s = server.data;
  const inspector = live.role === 'operator' || live.role === 'admin';
  return (
    <div class="view server-view" data-view="server" data-server={id}>
      <ErrorBox error={server.error} />
      {s ? (
        <header class="thread-title">
          <h1 class="mono">{s.id}</h1><Badge value={s.status} />
          <span>{s.server_info?.title ?? s.server_info?.name} {s.server_info?.version}</span>
          <span class="muted">{s.transport} · {s.endpoint}</span>
          <span class="muted">protocol {s.protocol_version ?? s.protocol}</span>
          {s.connected_since ? <span class="muted">connected {relative(s.connected_since)}</span> : null}
          {s.last_error ? <span class="error-text">{s.last_error}</span> : null}
        </header>) : null}
      {s?.instructions ? <details class="instructions"><summary>instructions the server gives its clients</summary><pre class="wrap">{s.instructions}</pre></details> : null}
      <div class="tabs" role="tablist">
        {[['tools', 'Tools'], ['protocol', 'Protocol'], ['history', 'History']].map(([key, title]) => (
          <button type="button" role="tab" aria-selected={tab === key} class={tab === key ? 'active' : ''} onClick={() => setTab(key)} data-tab={key}>{title}</button>))}
        <a href={href(['logs'], { mcp: id })} class="tab-link">Logs</a>
      </div>
      {tab === 'tools' && s ? <Section title={`Tools (${s.tools.length})`}><Tools server={s} /></Section> : null}
      {tab === 'protocol' ? (inspector ? <Section title="Protocol"><Protocol server={id} /></Section>
                                      : <Empty>The protocol inspector shows tool arguments and results: it needs the operator role.</Empty>) : null}
      {tab === 'history' ? (
        <Section title="Status history">
          <table class="grid" aria-label="status history">
            <thead><tr><th>time</th><th>status</th><th>from</th><th>detail</th></tr></thead>
            <tbody>{(history.data?.items ?? []).map((h) => (
              <tr key={h.id}><td>{dateTime(h.timestamp)}</td><td><Badge value={h.status} /></td><td>{h.previous_status ?? '—'}</td><td>{h.detail ?? ''}</td></tr>))}</tbody>
          </table>
        </Section>) : null}
    </div>
  );
}
