// Small pieces every view uses.
import type { ComponentChildren } from 'preact';

const tone: Record<string, string> = {
  connected: 'ok', ok: 'ok', loaded: 'ok', complete: 'ok', running: 'info', live: 'ok', granted: 'ok', allow: 'ok',
  connecting: 'warn', reconnecting: 'warn', degraded: 'warn', paused: 'warn', unconfigured: 'muted', starting: 'warn',
  disconnected: 'bad', error: 'bad', failed: 'bad', refused: 'bad', down: 'bad', cancelled: 'muted', denied: 'bad',
  stopped: 'muted', removed: 'muted',
};

export function Badge({ value, title }: { value: string | null | undefined; title?: string }) {
  const text = value ?? 'unknown';
  return <span class={`badge ${tone[text.toLowerCase()] ?? 'muted'}`} title={title}>{text}</span>;
}

export function ErrorBox({ error }: { error: string | undefined }) {
  return error ? <div class="error-box" role="alert">{error}</div> : null;
}

export function Section({ title, actions, children, id }: { title: string; actions?: ComponentChildren; children: ComponentChildren; id?: string }) {
  return (
    <section class="card" id={id} aria-label={title}>
      <header class="card-head"><h2>{title}</h2><div class="card-actions">{actions}</div></header>
      {children}
    </section>
  );
}

export function Stat({ label, value, tone: t }: { label: string; value: ComponentChildren; tone?: string }) {
  return <div class={`stat ${t ?? ''}`}><div class="stat-value">{value}</div><div class="stat-label">{label}</div></div>;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}
