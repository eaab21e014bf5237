// The few ways views get data: fetch once (and again when asked), and follow live channels.
import { useEffect, useRef, useState } from 'preact/hooks';
import { live, type LiveEvent, type LiveState } from './live';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

// Runs `load` when `deps` change and whenever reload() is called; keeps the last data while reloading.
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    load().then((data) => current && setState({ data, loading: false }),
                (error) => current && setState((s) => ({ data: s.data, error: String(error.message ?? error), loading: false })));
    return () => {
      current = false;
    };
  }, [...deps, generation]);
  return { ...state, reload: () => setGeneration((g) => g + 1) } as Loaded<T>;
}

// Calls `handler` for every event on `channels` while the view is shown, and `onGap` when the live
// connection may have missed some (a resume gap): the view refetches.
export function useLive(channels: string[], handler: (event: LiveEvent) => void, onGap?: () => void): void {
  const latest = useRef(handler);
  latest.current = handler;
  const gap = useRef(onGap);
  gap.current = onGap;
  const key = channels.join('\n');
  useEffect(() => {
    const unsubscribes = channels.map((c) => live.subscribe(c, (e) => latest.current(e)));
    const unsubscribeGap = live.onGap(() => gap.current?.());
    return () => {
      unsubscribes.forEach((u) => u());
      unsubscribeGap();
    };
  }, [key]);
}

export function useLiveState(): LiveState {
  const [state, setState] = useState<LiveState>(live.state);
  useEffect(() => live.onState(setState), []);
  return state;
}

// Calls `fn` at most once per `ms` (trailing): live events that only mean "refetch" arrive in bursts.
export function useThrottled(fn: () => void, ms: number): () => void {
  const timer = useRef<number | undefined>(undefined);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return () => {
    if (timer.current !== undefined) return;
    timer.current = window.setTimeout(() => {
      timer.current = undefined;
      latest.current();
    }, ms);
  };
}

// Re-renders every `ms` (countdowns, "3 s ago").
export function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(id);
  }, [ms]);
  return now;
}

// Calls `fn` every `ms` while the view is shown.
export function useEvery(fn: () => void, ms: number): void {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    const id = window.setInterval(() => latest.current(), ms);
    return () => window.clearInterval(id);
  }, [ms]);
}

// Marks, once per page load, the moment a view first showed its data (performance.mark
// "mc:ready:<view>"): the browser's own timing of "first view ready", read by the tests.
export function useReadyMark(view: string, ready: boolean): void {
  useEffect(() => {
    const name = `mc:ready:${view}`;
    if (ready && performance.getEntriesByName(name).length === 0) performance.mark(name);
  }, [ready]);
}
