// The console's performance, measured by the browser itself (performance marks, requestAnimationFrame,
// Chrome's own task accounting) against a real host holding a large store:
//   1. first view ready: a fresh page load of Fleet, Threads and Logs until each shows its data (the
//      console's "mc:ready:<view>" mark, relative to navigation start), with --threads threads and
//      --logs log lines stored (100,000 and 1,000,000 by default);
//   2. the live log tail under --rate lines/s (2,000) published through POST /api/ingest for
//      --seconds (10): frame intervals (median, p95, worst), main-thread busy time per frame, and how
//      many of the published lines the page showed.
// Run through bench/console/run.sh (a loopback-only network namespace). Prints one JSON object.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const puppeteer = createRequire(join(root, 'tests/browser/package.json'))('puppeteer-core');

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const hostBin = resolve(args.host ?? join(root, 'build/bin/mission-control'));
const threadCount = Number(args.threads ?? 100000);
const logCount = Number(args.logs ?? 1000000);
const rate = Number(args.rate ?? 2000);
const seconds = Number(args.seconds ?? 10);
const loads = Number(args.loads ?? 5);
const keep = args.keep ?? '';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => { const s = xs.slice().sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const percentile = (xs, p) => { const s = xs.slice().sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };
const round = (x) => Math.round(x * 10) / 10;

async function freePort() {
  return new Promise((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); }); });
}

async function post(base, events) {
  for (;;) {
    const r = await fetch(`${base}/api/ingest`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ events }) });
    if (r.status === 503) { await sleep(Number(r.headers.get('retry-after') ?? 1) * 100); continue; }
    if (!r.ok) throw new Error(`ingest answered ${r.status}: ${await r.text()}`);
    return r.json();
  }
}

// Seeds in parallel batches; returns events per second.
async function seed(base, total, make, batch = 4000, parallel = 4) {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const from = next;
      next = Math.min(total, next + batch);
      const events = [];
      for (let i = from; i < next; i++) events.push(make(i));
      await post(base, events);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return total / ((performance.now() - started) / 1000);
}

const port = await freePort();
const dir = keep || mkdtempSync(join(tmpdir(), 'mc-console-bench-'));
const base = `http://127.0.0.1:${port}`;
writeFileSync(join(dir, 'host.properties'), [
  'http.host = 127.0.0.1', `http.port = ${port}`, `store.sqlite.path = ${join(dir, 'mc.db')}`,
  'ingest.queue.max_events = 200000', 'log.level = warn',
].join('\n') + '\n');
const host = spawn(hostBin, [`--config=${join(dir, 'host.properties')}`], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
for (let i = 0; ; i++) {
  try { if ((await fetch(`${base}/health`)).ok) break; } catch {}
  if (i > 300) throw new Error('the host did not start');
  await sleep(100);
}

const result = { threads: threadCount, logs: logCount };
const t0 = Date.now() - 86400000;
const stored = (await (await fetch(`${base}/api/threads?limit=1`)).json()).items.length > 0;
if (!stored) {
  result.seed_threads_per_s = Math.round(await seed(base, threadCount, (i) => ({
    type: 'thread', id: `T-${i}`, status: ['running', 'complete', 'error'][i % 3], mcp_id: `server-${i % 20}`,
    started_at: new Date(t0 + i * 500).toISOString() })));
  result.seed_logs_per_s = Math.round(await seed(base, logCount, (i) => ({
    type: 'log', level: ['DEBUG', 'INFO', 'INFO', 'WARN', 'ERROR'][i % 5], mcp_id: `server-${i % 20}`, service: 'agent',
    thread_id: `T-${i % threadCount}`, message: `stored line ${i}: ${'x'.repeat(60)}`, timestamp: new Date(t0 + i * 50).toISOString() })));
}

const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
try {
  // 1. First view ready, on fresh pages (no cache shared between loads: a new incognito context each).
  for (const [view, hash] of [['fleet', ''], ['threads', '#/threads'], ['logs', '#/logs']]) {
    const times = [];
    for (let i = 0; i < loads; i++) {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({ width: 1440, height: 900 });
      await page.goto(`${base}/${hash}`, { waitUntil: 'domcontentloaded' });
      await page.waitForFunction((v) => performance.getEntriesByName(`mc:ready:${v}`).length === 1, { timeout: 30000 }, view);
      times.push(await page.evaluate((v) => performance.getEntriesByName(`mc:ready:${v}`)[0].startTime, view));
      await context.close();
    }
    result[`${view}_ready_ms`] = { median: round(median(times)), worst: round(Math.max(...times)), loads: times.map(round) };
  }

  // 2. The live tail under load.
  const page = await browser.newPage();
  await page.setViewport({ width: 1440, height: 900 });
  const cdp = await page.createCDPSession();
  await cdp.send('Performance.enable');
  await page.goto(`${base}/#/logs`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => performance.getEntriesByName('mc:ready:logs').length === 1);
  await sleep(500);
  const metric = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const before = await metric();
  await page.evaluate(() => {
    window.__frames = [];
    let last = 0;
    const tick = (t) => { if (last) window.__frames.push(t - last); last = t; window.__raf = requestAnimationFrame(tick); };
    window.__raf = requestAnimationFrame(tick);
  });
  const linesBefore = await page.$eval('[data-line-count]', (e) => Number(e.dataset.lineCount));
  const batch = Math.max(1, Math.round(rate / 20)); // every 50 ms
  let sent = 0;
  const started = performance.now();
  for (let tickNo = 0; performance.now() - started < seconds * 1000; tickNo++) {
    const events = [];
    for (let i = 0; i < batch; i++) events.push({ type: 'log', level: 'INFO', mcp_id: 'tail', service: 'bench', message: `tail line ${sent + i}` });
    sent += events.length;
    await post(base, events);
    const due = started + (tickNo + 1) * 50;
    if (due > performance.now()) await sleep(due - performance.now());
  }
  const elapsed = (performance.now() - started) / 1000;
  await sleep(1000);
  const frames = await page.evaluate(() => { cancelAnimationFrame(window.__raf); return window.__frames; });
  const after = await metric();
  const shown = await page.$eval('[data-line-count]', (e) => Number(e.dataset.lineCount)) - linesBefore;
  const busy = (after.TaskDuration - before.TaskDuration) * 1000;
  result.tail = {
    rate_sent_per_s: Math.round(sent / elapsed), lines_sent: sent, lines_shown: shown,
    frames: frames.length, frame_ms: { median: round(median(frames)), p95: round(percentile(frames, 0.95)), worst: round(Math.max(...frames)) },
    main_thread_busy_ms_per_frame: round(busy / Math.max(1, frames.length)),
    main_thread_busy_percent: round((busy / ((after.Timestamp - before.Timestamp) * 1000)) * 100),
    script_ms: round((after.ScriptDuration - before.ScriptDuration) * 1000), layout_ms: round((after.LayoutDuration - before.LayoutDuration) * 1000),
  };
} finally {
  await browser.close();
  host.kill('SIGTERM');
  await new Promise((r) => host.once('exit', r));
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(result, null, 2));
