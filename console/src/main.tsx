// The console's entry: the shell (navigation, connection state, theme, login) around the views.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get, onUnauthorized, setToken } from './api';
import { useLiveState } from './hooks';
import { live } from './live';
import { href, useRoute, type Route } from './router';
import './style.css';
import { Audit } from './views/Audit';
import { Fleet } from './views/Fleet';
import { Logs } from './views/Logs';
import { ThreadPage } from './views/Thread';
import { Threads } from './views/Threads';
import { Tools } from './views/Tools';
import { ServerPage } from './views/Server';

const VIEWS = [
  { path: '', title: 'Fleet', key: 'f' },
  { path: 'threads', title: 'Threads', key: 't' },
  { path: 'tools', title: 'Tools', key: 'o' },
  { path: 'logs', title: 'Logs', key: 'l' },
  { path: 'audit', title: 'Audit', key: 'a' },
];

function View({ route }: { route: Route }) {
  const [first, second] = route.parts;
  if (first === 'threads' && second) return <ThreadPage id={second} />;
  if (first === 'threads') return <Threads route={route} />;
  if (first === 'logs') return <Logs route={route} />;
  if (first === 'audit') return <Audit route={route} />;
  if (first === 'tools') return <Tools route={route} />;
  if (first === 'servers' && second) return <ServerPage id={second} />;
  if (!first) return <Fleet />;
  return <div class="view"><div class="empty">No view at #{route.parts.join('/')}. <a href="#/">Fleet</a></div></div>;
}

function Login({ reason, done }: { reason: string; done: () => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    setToken(value);
    try {
      await get('/api/health');
      live.restart();
      done();
    } catch (failure: any) {
      setError(failure.message);
    }
  };
  return (
    <div class="login-backdrop">
      <form class="login card" onSubmit={submit} aria-label="log in">
        <h1>Mission Control</h1>
        <p>This host needs a token: {reason}</p>
        <label>token <input type="password" name="token" autoFocus value={value} onInput={(e) => setValue(e.currentTarget.value)} autoComplete="off" /></label>
        {error ? <div class="error-box" role="alert">{error}</div> : null}
        <button class="primary" type="submit">log in</button>
      </form>
    </div>
  );
}

function App() {
  const route = useRoute();
  const state = useLiveState();
  const [login, setLogin] = useState<string | null>(null);
  const [theme, setTheme] = useState(localStorage.getItem('mc.theme') ?? '');
  const [generation, setGeneration] = useState(0);
  useEffect(() => onUnauthorized((message) => setLogin(message)), []);
  useEffect(() => {
    if (theme) document.documentElement.dataset.theme = theme;
    else delete document.documentElement.dataset.theme;
    localStorage.setItem('mc.theme', theme);
  }, [theme]);
  useEffect(() => {
    live.start();
    // Keys: g then f/t/o/l/a goes to a view; / focuses the first filter.
    let armed = false;
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (target.closest('input, select, textarea') || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === '/') {
        const input = document.querySelector<HTMLElement>('.toolbar input, .toolbar select');
        if (input) { e.preventDefault(); input.focus(); }
        return;
      }
      if (armed) {
        armed = false;
        const view = VIEWS.find((v) => v.key === e.key);
        if (view) location.hash = href(view.path ? [view.path] : []);
        return;
      }
      armed = e.key === 'g';
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const active = route.parts[0] === 'servers' ? '' : route.parts[0] ?? '';
  const nextTheme = theme === '' ? 'dark' : theme === 'dark' ? 'light' : '';
  return (
    <div class="shell">
      <nav class="nav" aria-label="views">
        <a class="brand" href="#/">Mission Control</a>
        {VIEWS.map((v) => (
          <a href={href(v.path ? [v.path] : [])} class={active === v.path ? 'active' : ''} aria-current={active === v.path ? 'page' : undefined}
             title={`g ${v.key}`}>{v.title}</a>))}
        <span class="grow" />
        <span class={`live-state ${state}`} role="status" data-live={state} title="the live connection to the host">{state === 'live' ? '● live' : state === 'connecting' ? '○ connecting' : '◌ reconnecting'}</span>
        <button type="button" class="link" onClick={() => setTheme(nextTheme)} title="theme: system, dark, light" aria-label="theme">
          {theme === '' ? 'theme: system' : `theme: ${theme}`}</button>
      </nav>
      <main key={generation}><View route={route} /></main>
      {login !== null ? <Login reason={login} done={() => { setLogin(null); setGeneration((g) => g + 1); }} /> : null}
    </div>
  );
}

render(<App />, document.getElementById('app')!);
