// The console in a real headless Chromium against a real host: server-everything connected over
// stdio, threads, steps, transcripts and logs ingested, tools called (one denied by a permission
// rule). Each view must show what it must (asserted on the DOM), live updates must arrive without a
// reload, filters must filter, and a tool called from the console must show up in its thread.
// Screenshots of each view go to MC_SCREENSHOTS_DIR; the browser's own timings are printed.
//
// Run by CTest (tests/CMakeLists.txt) inside a network namespace with loopback only:
//   MC_HOST_BIN=build/bin/mission-control MC_PEERS_DIR=tests/mcp-peers MC_SCREENSHOTS_DIR=... \
//   unshare -n sh -c 'ip link set lo up && node --test tests/browser/console.test.mjs'
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer from 'puppeteer-core';

const hostBin = resolve(process.env.MC_HOST_BIN ?? 'build/bin/mission-control');
const peers = resolve(process.env.MC_PEERS_DIR ?? 'tests/mcp-peers');
const shots = process.env.MC_SCREENSHOTS_DIR ?? join(tmpdir(), 'mc-console-screenshots');
const chromium = process.env.MC_CHROMIUM ?? '/usr/bin/chromium';
const JWT_SECRET = 'console-test-secret-0123456789';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// A real host in a temporary directory; stop() ends it and removes the directory.
async function startHost(extra = {}) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mc-console-'));
  const properties = {
    'http.host': '127.0.0.1',
    'http.port': port,
    'store.sqlite.path': join(dir, 'mc.db'),
    'mcp.servers.everything.transport': 'stdio',
    'mcp.servers.everything.command': join(peers, 'node_modules/.bin/mcp-server-everything'),
    'permissions.rules.no-env.effect': 'deny',
    'permissions.rules.no-env.tools': 'get-env',
    // A short resume history, so that a test can make the console miss more than the host kept.
    'ws.resume.history_events': 100,
    ...extra,
  };
  writeFileSync(join(dir, 'host.properties'), Object.entries(properties).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
  const child = spawn(hostBin, [`--config=${join(dir, 'host.properties')}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the host exited (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {}
    if (i > 200) throw new Error(`the host did not answer /health in 20 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base, dir, output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function jwt(role) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: `console-${role}`, role, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  return `${body}.${createHmac('sha256', JWT_SECRET).update(body).digest('base64url')}`;
}

async function api(host, method, path, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(host.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function ingest(host, events) {
  const answer = await api(host, 'POST', '/api/ingest', { events });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.deepEqual(answer.body.rejected, [], JSON.stringify(answer.body.rejected));
}

async function waitFor(what, check, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const texts = (page, selector) => page.$$eval(selector, (els) => els.map((e) => e.textContent.trim()));

async function waitForText(page, selector, text, timeout = 15000) {
  await page.waitForFunction((s, t) => [...document.querySelectorAll(s)].some((e) => e.textContent.includes(t)),
                             { timeout }, selector, text);
}

// Every visible text on the page against the background it is drawn on (the nearest ancestor with an
// opaque one): the WCAG 2 contrast ratio must be at least 4.5 (3 for large or bold large text).
// Returns the failures as "text: ratio (colour on background)".
async function contrastFailures(page) {
  return page.evaluate(() => {
    const rgb = (c) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const failures = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!node.textContent.trim() || !el || el.closest('canvas, .u-legend, noscript, option')) continue;
      const box = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (box.width === 0 || box.height === 0 || style.visibility === 'hidden' || Number(style.opacity) < 0.9) continue;
      const fg = rgb(style.color).slice(0, 3);
      const [l1, l2] = [lum(fg), lum(background(el))].sort((a, b) => b - a);
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) failures.push(`${node.textContent.trim().slice(0, 30)}: ${ratio.toFixed(2)} (${style.color} on ${background(el)})`);
    }
    return [...new Set(failures)];
  });
}

async function screenshot(page, name) {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`) });
}

const now = Date.now();
const at = (offsetMs) => new Date(now - 60000 + offsetMs).toISOString();

// What an agent's run looks like once ingested: a parent thread with an LLM call (tokens, cost), a tool
// call, a transcript, logs at every level, a sub-thread, and a failed thread beside it.
const seed = [
  { type: 'thread', id: 'T-weather', status: 'running', mcp_id: 'everything', user_input: 'What is the weather in Lisbon?', started_at: at(0) },
  { type: 'step', thread_id: 'T-weather', sequence: 1, step_type: 'llm_call', timestamp: at(100), duration_ms: 1800, status: 'ok',
    description: 'claude-sonnet plans', details: { model: 'claude-sonnet-4-5', input_tokens: 1250, output_tokens: 310, cost_usd: 0.0084 } },
  { type: 'step', thread_id: 'T-weather', sequence: 2, step_type: 'tool_call', timestamp: at(2000), duration_ms: 420, status: 'ok',
    mcp_id: 'everything', tool: 'get-sum', description: 'tools/call get-sum' },
  { type: 'transcript', thread_id: 'T-weather', sequence: 1, role: 'user', content: 'What is the weather in Lisbon?', timestamp: at(50) },
  { type: 'transcript', thread_id: 'T-weather', sequence: 2, role: 'assistant', content: 'Sunny, 21 degrees.', model: 'claude-sonnet-4-5', timestamp: at(2600) },
  { type: 'thread', id: 'T-weather-sub', parent_id: 'T-weather', status: 'complete', mcp_id: 'everything', started_at: at(700), ended_at: at(1500) },
  { type: 'thread', id: 'T-broken', status: 'error', mcp_id: 'everything', started_at: at(300), ended_at: at(900) },
  { type: 'log', level: 'INFO', mcp_id: 'everything', service: 'agent', thread_id: 'T-weather', message: 'planning the forecast lookup', timestamp: at(120) },
  { type: 'log', level: 'WARN', mcp_id: 'everything', service: 'agent', thread_id: 'T-weather', message: 'forecast cache is stale', timestamp: at(130) },
  { type: 'log', level: 'ERROR', mcp_id: 'everything', service: 'agent', thread_id: 'T-broken', message: 'upstream forecast API failed', timestamp: at(800) },
  { type: 'log', level: 'DEBUG', mcp_id: 'everything', service: 'agent', message: 'cache probe', timestamp: at(140) },
];

describe('the console against a real host', () => {
  let host;
  let browser;
  let page;
  const timings = {};

  before(async () => {
    host = await startHost();
    await waitFor('server-everything to connect', async () =>
      (await api(host, 'GET', '/api/mcps/everything')).body?.status === 'connected', 30000);
    await ingest(host, seed);
    const echo = await api(host, 'POST', '/api/mcps/everything/tools/echo/call', { arguments: { message: 'seeded' }, thread_id: 'T-weather' });
    assert.equal(echo.status, 200, JSON.stringify(echo.body));
    const denied = await api(host, 'POST', '/api/mcps/everything/tools/get-env/call', { arguments: {}, thread_id: 'T-weather' });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'permission_denied');
    await waitFor('the seeded records to be committed', async () =>
      (await api(host, 'GET', '/api/permissions?thread_id=T-weather')).body.items.some((p) => !p.granted) &&
      (await api(host, 'GET', '/api/threads/T-weather')).body.items[0]?.timeline.length >= 3);
    browser = await puppeteer.launch({
      executablePath: chromium, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1440, height: 900 });
    page.on('pageerror', (e) => console.error('page error:', e.message));
  });

  after(async () => {
    if (Object.keys(timings).length) console.log('browser timings (ms):', JSON.stringify(timings));
    await browser?.close();
    await host?.stop();
  });

  test('the host serves the console at / with a strict content security policy', async () => {
    const response = await fetch(host.base + '/');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /^text\/html/);
    assert.match(response.headers.get('content-security-policy'), /default-src 'none'; script-src 'self'/);
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    const html = await response.text();
    const script = html.match(/src="(assets\/main-[A-Z0-9]+\.js)"/)[1];
    const asset = await fetch(`${host.base}/${script}`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type'), /^text\/javascript/);
    assert.match(asset.headers.get('cache-control'), /immutable/);
    const again = await fetch(`${host.base}/${script}`, { headers: { 'If-None-Match': asset.headers.get('etag') } });
    assert.equal(again.status, 304);
    const missing = await fetch(`${host.base}/assets/..%2Fhost.properties`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, 'not_found');
  });

  test('Fleet shows the server, its era, capabilities, plugins and host health, and servers added live', async () => {
    await page.goto(host.base + '/', { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('tr[data-server="everything"] .badge');
    await waitForText(page, 'tr[data-server="everything"]', 'connected');
    const row = await page.$eval('tr[data-server="everything"]', (r) => r.textContent);
    assert.match(row, /Everything Reference Server/);
    assert.equal(await page.$eval('tr[data-server="everything"] [data-era]', (e) => e.textContent), '2025-11-25');
    assert.match(await page.$eval('tr[data-server="everything"] [data-capabilities]', (e) => e.textContent), /\d+ tools · 7 resources · 4 prompts/);
    await waitForText(page, 'tr[data-plugin="store-sqlite"]', 'loaded');
    await waitForText(page, '.stat', 'MCP servers connected');
    await page.waitForFunction(() => performance.getEntriesByName('mc:ready:fleet').length === 1);
    timings.fleet_ready = await page.evaluate(() => performance.getEntriesByName('mc:ready:fleet')[0].startTime);
    await screenshot(page, 'fleet');

    // A server registered while the page is open appears without a reload, with its failure.
    const port = await freePort();
    const added = await api(host, 'POST', '/api/mcps', { id: 'late', transport: 'http', url: `http://127.0.0.1:${port}/mcp` });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    await page.waitForSelector('tr[data-server="late"]', { timeout: 10000 });
    await page.waitForFunction(() => document.querySelector('tr[data-server="late"] [data-countdown]')?.textContent.startsWith('retry in'), { timeout: 15000 });
    assert.equal((await api(host, 'DELETE', '/api/mcps/late')).status, 204);
    await page.waitForFunction(() => !document.querySelector('tr[data-server="late"]'), { timeout: 10000 });
  });

  test('Threads lists threads, filters by status, and shows new threads live', async () => {
    await page.goto(host.base + '/#/threads', { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('[data-thread="T-weather"]');
    const ids = await page.$$eval('.thread-row', (rows) => rows.map((r) => r.dataset.thread));
    assert.deepEqual(ids.slice().sort(), ['T-broken', 'T-weather', 'T-weather-sub']);
    await screenshot(page, 'threads');

    await page.select('select[name="status"]', 'error');
    await page.waitForFunction(() => [...document.querySelectorAll('.thread-row')].map((r) => r.dataset.thread).join() === 'T-broken');
    assert.match(await page.evaluate(() => location.hash), /status=error/);

    await ingest(host, [{ type: 'thread', id: 'T-live-failure', status: 'error', mcp_id: 'everything' },
                        { type: 'thread', id: 'T-live-running', status: 'running', mcp_id: 'everything' }]);
    await page.waitForSelector('[data-thread="T-live-failure"]', { timeout: 10000 });
    assert.equal(await page.$('[data-thread="T-live-running"]'), null, 'a running thread must not join the status=error list');
    await page.select('select[name="status"]', '');
    await page.waitForSelector('[data-thread="T-live-running"]');

    // A thread's user: the /mcp session's, or the user.id an agent reported.
    await ingest(host, [{ type: 'thread', id: 'T-of-alice', status: 'running', mcp_id: 'claude-code', execution_context: { 'user.id': 'alice' } }]);
    await page.type('input[name="user"]', 'alice');
    await page.keyboard.press('Tab');
    await page.waitForFunction(() => [...document.querySelectorAll('.thread-row')].map((r) => r.dataset.thread).join() === 'T-of-alice');
    await ingest(host, [{ type: 'thread', id: 'T-of-alice', status: 'complete', mcp_id: 'claude-code' }]);
    await page.waitForFunction(() => document.querySelector('[data-thread="T-of-alice"] .badge')?.textContent === 'complete');
    await page.click('input[name="user"]', { clickCount: 3 });
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Tab');
    await page.waitForSelector('[data-thread="T-broken"]');

    // Search finds words in prompts, transcripts and logs, and links the threads they belong to.
    await page.type('input[name="q"]', 'Lisbon');
    await page.keyboard.press('Tab');
    await page.waitForSelector('[aria-label="search results"] tr[data-hit]');
    const hits = await page.$$eval('[aria-label="search results"] tr[data-hit]', (rows) =>
      rows.map((r) => `${r.dataset.hit} ${r.querySelector('a')?.textContent} ${r.querySelector('mark')?.textContent}`));
    assert.ok(hits.includes('thread T-weather Lisbon'), hits.join('; '));
    assert.ok(hits.includes('transcript T-weather Lisbon'), hits.join('; '));
  });

  test('a thread page shows the waterfall with tokens, cost, tool calls, the denied permission, the sub-thread, transcript and logs', async () => {
    await page.goto(host.base + '/#/threads/T-weather', { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('[data-view="thread"] .waterfall');
    const types = await page.$$eval('[aria-label="timeline"] [data-step-type]', (rows) => rows.map((r) => r.dataset.stepType));
    assert.deepEqual(types.slice(0, 2), ['llm_call', 'tool_call']);
    assert.ok(types.filter((t) => t === 'tool_call').length >= 2, `the echo call is a step too: ${types}`);
    const llm = await page.$eval('[data-step-type="llm_call"]', (r) => r.textContent);
    assert.match(llm, /claude-sonnet-4-5 · 1,250 in \/ 310 out tokens · \$0\.0084/);
    assert.match(llm, /1\.80 s/);
    await waitForText(page, '[aria-label="timeline"] [data-step-type="tool_call"]', 'echo on everything');
    const denied = await page.$eval('[data-permission="denied"]', (r) => r.textContent);
    assert.match(denied, /denied/);
    assert.match(denied, /get-env/);
    assert.match(denied, /no-env/);
    assert.match(await page.$eval('[data-child="T-weather-sub"]', (r) => r.textContent), /sub-thread T-weather-sub/);
    assert.match(await page.$eval('[aria-label="thread tree"] [data-tree-thread="T-weather"]', (r) => r.textContent),
                 /T-weather.*running.*echo ×1.*T-weather-sub.*complete/);
    assert.deepEqual(await texts(page, '.transcript .msg-body'), ['What is the weather in Lisbon?', 'Sunny, 21 degrees.']);
    const logs = await texts(page, '[aria-label="thread logs"] .log-message');
    assert.deepEqual(logs.slice(0, 2), ['planning the forecast lookup', 'forecast cache is stale']);
    await screenshot(page, 'thread');
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(13, 17, 23)', 'the dark theme follows the system');
    await screenshot(page, 'thread-dark');
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);

    await ingest(host, [{ type: 'step', thread_id: 'T-weather', sequence: 9, step_type: 'llm_call', duration_ms: 250,
                          description: 'claude-sonnet answers live', timestamp: new Date().toISOString() }]);
    await waitForText(page, '[aria-label="timeline"]', 'claude-sonnet answers live', 10000);
  });

  test('Logs tails live, pauses without losing lines, resumes, and filters by level', async () => {
    await page.goto(host.base + '/#/logs', { waitUntil: 'domcontentloaded' });
    await waitForText(page, '.log-list .log-message', 'upstream forecast API failed');

    await ingest(host, [{ type: 'log', level: 'INFO', mcp_id: 'everything', service: 'agent', message: 'live line one' }]);
    await waitForText(page, '.log-list .log-message', 'live line one', 10000);

    await page.click('[data-action="pause"]');
    await ingest(host, [{ type: 'log', level: 'WARN', mcp_id: 'everything', service: 'agent', message: 'held line two' },
                        { type: 'log', level: 'INFO', mcp_id: 'everything', service: 'agent', message: 'held line three' }]);
    await page.waitForFunction(() => document.querySelector('[data-action="resume"]')?.textContent === 'resume (2 new)', { timeout: 10000 });
    assert.ok(!(await texts(page, '.log-list .log-message')).includes('held line two'), 'a paused tail shows no new line');
    await screenshot(page, 'logs');
    await page.click('[data-action="resume"]');
    await waitForText(page, '.log-list .log-message', 'held line three');
    const messages = await texts(page, '.log-list .log-message');
    assert.deepEqual(messages.slice(-3), ['live line one', 'held line two', 'held line three']);

    await page.select('select[name="level"]', 'ERROR');
    await page.waitForFunction(() => [...document.querySelectorAll('.log-list .log-level')].every((e) => e.textContent === 'ERROR') &&
                                     document.querySelectorAll('.log-list .log-level').length > 0);
    assert.deepEqual(await texts(page, '.log-list .log-message'), ['upstream forecast API failed']);
    await ingest(host, [{ type: 'log', level: 'INFO', mcp_id: 'everything', service: 'agent', message: 'not an error' },
                        { type: 'log', level: 'ERROR', mcp_id: 'everything', service: 'agent', message: 'a live error' }]);
    await waitForText(page, '.log-list .log-message', 'a live error', 10000);
    assert.deepEqual(await texts(page, '.log-list .log-message'), ['upstream forecast API failed', 'a live error']);
  });

  test('a tool called from the console succeeds and shows up in its thread; the protocol inspector shows the call', async () => {
    await page.goto(host.base + '/#/servers/everything', { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('[data-tool="echo"] .tool-head');
    await page.click('[data-tool="echo"] .tool-head');
    await page.waitForSelector('[data-tool="echo"] input[name="message"]');
    await page.type('[data-tool="echo"] input[name="message"]', 'hello from the console');
    await page.type('[data-tool="echo"] input[name="thread_id"]', 'T-weather');
    await page.click('[data-tool="echo"] [data-action="call"]');
    await page.waitForSelector('[data-tool="echo"] [data-result]', { timeout: 15000 });
    assert.equal(await page.$eval('[data-tool="echo"] [data-result]', (e) => e.dataset.result), 'ok');
    assert.match(await page.$eval('[data-tool="echo"] [data-result]', (e) => e.textContent), /Echo: hello from the console/);
    await screenshot(page, 'server-tools');

    // A required argument left empty is refused in the page, before anything is sent.
    await page.click('[data-tool="get-sum"] .tool-head');
    await page.waitForSelector('[data-tool="get-sum"] input[name="a"]');
    await page.type('[data-tool="get-sum"] input[name="a"]', '2');
    await page.click('[data-tool="get-sum"] [data-action="call"]');
    await page.waitForSelector('[data-tool="get-sum"] [data-result="error"]');
    assert.match(await page.$eval('[data-tool="get-sum"] [data-result]', (e) => e.textContent), /^b is required$/);

    await page.click('[data-tab="protocol"]');
    await page.waitForFunction(() => [...document.querySelectorAll('.wire')].some((w) => w.dataset.method === 'tools/call'), { timeout: 10000 });
    await screenshot(page, 'protocol');

    await page.goto(host.base + '/#/threads/T-weather', { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('[data-view="thread"] .waterfall');
    const echoes = await page.$$eval('[aria-label="timeline"] [data-step-type="tool_call"]', (rows) =>
      rows.filter((r) => r.textContent.includes('echo on everything')).length);
    assert.equal(echoes, 2, 'the seeded echo call and the console\'s');
  });

  test('Audit shows admin actions and permission decisions, filtered, and new decisions live', async () => {
    await page.goto(host.base + '/#/audit', { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('tr[data-audit="mcp.register"]');
    assert.match(await page.$eval('tr[data-audit="mcp.register"]', (r) => r.textContent), /anonymous.*mcp\.register.*late/);
    await page.waitForSelector('tr[data-audit="mcp.remove"]');
    await page.waitForSelector('tr[data-decision="allowed"]');
    await page.select('select[name="decision"]', 'denied');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[aria-label="permission decisions"] tbody tr')];
      return rows.length > 0 && rows.every((r) => r.dataset.decision === 'denied');
    });
    const denied = await texts(page, '[aria-label="permission decisions"] tbody tr');
    assert.equal(denied.length, 1);
    assert.match(denied[0], /get-env.*rule 'no-env' denies.*T-weather/);
    await screenshot(page, 'audit');
    const again = await api(host, 'POST', '/api/mcps/everything/tools/get-env/call', { arguments: {}, thread_id: 'T-audit' });
    assert.equal(again.status, 403);
    await page.waitForFunction(() => document.querySelectorAll('[aria-label="permission decisions"] tbody tr').length === 2, { timeout: 10000 });
    assert.match((await texts(page, '[aria-label="permission decisions"] tbody tr'))[0], /T-audit/);
  });

  test('Tools shows calls, errors, denials and latency per tool, a chart, the calls of one tool, and new calls live', async () => {
    await page.goto(host.base + '/#/tools', { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('[data-tool-row="everything/echo"]');
    const cell = (row, col) => page.$eval(`[data-tool-row="${row}"] [data-col="${col}"]`, (e) => e.textContent);
    assert.equal(await cell('everything/echo', 'calls'), '2', 'the seeded echo call and the console\'s');
    assert.equal(await cell('everything/echo', 'errors'), '0');
    assert.match(await page.$eval('[data-tool-row="everything/get-env"]', (r) => r.textContent), /^everythingget-env200\.0%2————/);
    assert.equal(await cell('everything/get-sum', 'p50'), '420 ms');
    await page.waitForSelector('.chart canvas');
    await screenshot(page, 'tools');

    await page.click('[data-tool-row="everything/echo"] button');
    await page.waitForFunction(() => document.querySelectorAll('[aria-label="tool calls"] tbody tr').length === 2);
    assert.deepEqual(await texts(page, '[aria-label="tool calls"] tbody tr td:nth-child(5)'), ['T-weather', 'T-weather']);
    assert.match(await page.evaluate(() => location.hash), /tool=echo/);

    const call = await api(host, 'POST', '/api/mcps/everything/tools/echo/call', { arguments: { message: 'counted live' }, thread_id: 'T-tools' });
    assert.equal(call.status, 200);
    await page.waitForFunction(() => document.querySelector('[data-tool-row="everything/echo"] [data-col="calls"]')?.textContent === '3', { timeout: 10000 });
    await page.waitForFunction(() => document.querySelectorAll('[aria-label="tool calls"] tbody tr').length === 3);
  });

  test("an agent's OpenTelemetry (the real JS SDK exporters) is a thread with LLM calls, tokens, cost and its trace waterfall", async () => {
    const run = spawnSync(process.execPath, [join(peers, 'otel-sender.mjs'), '--endpoint', host.base, '--protocol', 'http/protobuf',
                                             '--scenario', 'claude-like'], { encoding: 'utf8', timeout: 60000 });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const id = 'T-5e5510e0-0000-4000-8000-000000000001';
    await waitFor('the OTLP thread to be committed', async () => (await api(host, 'GET', `/api/spans?thread_id=${id}`)).body.items.length === 3);
    await page.goto(`${host.base}/#/threads/${id}`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('[aria-label="trace"] .wf-row');
    const spans = await page.$$eval('[aria-label="trace"] .wf-row', (rows) =>
      rows.map((r) => `${r.querySelector('.wf-label > span').textContent}@${r.querySelector('.wf-label').style.paddingLeft}`));
    assert.deepEqual(spans, ['invoke_agent claude-code@4px', 'chat claude-x@18px', 'tools/call echo@18px']);
    const llm = await texts(page, '[aria-label="timeline"] [data-step-type="llm_call"] .sub');
    assert.equal(llm.length, 2);
    assert.match(llm[0], /claude-x · 100 in \/ 11 out tokens · \$0\.0007/);
    assert.match(await page.$eval('[data-usage]', (e) => e.textContent), /^[\d,]+ in \/ [\d,]+ out tokens · \$0\.\d{4}$/);
    assert.deepEqual(await texts(page, '.transcript .msg-body'), ['use the echo tool', 'done']);
    await screenshot(page, 'thread-otel');
  });

  test('every view reads with enough contrast in the light and the dark theme, and fits a laptop screen', async () => {
    await page.setViewport({ width: 1280, height: 720 });
    for (const scheme of ['light', 'dark']) {
      await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
      for (const [view, ready] of [['', 'tr[data-server="everything"] .badge'], ['threads', '.thread-row'],
                                   ['threads/T-5e5510e0-0000-4000-8000-000000000001', '[aria-label="trace"] .wf-row'],
                                   ['tools', '[data-tool-row]'], ['logs', '.log-line'], ['audit', 'tr[data-decision]'],
                                   ['servers/everything', '[data-tool="echo"]']]) {
        await page.goto(`${host.base}/#/${view}`, { waitUntil: 'domcontentloaded' });
        await page.waitForSelector(ready);
        assert.deepEqual(await contrastFailures(page), [], `#/${view} in the ${scheme} theme`);
        assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `#/${view} scrolls sideways at 1280 px`);
      }
    }
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
    await page.setViewport({ width: 1440, height: 900 });
  });

  test('the keyboard reaches the views, the filters and a log line', async () => {
    await page.goto(`${host.base}/#/`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('tr[data-server="everything"]');
    await page.keyboard.press('g');
    await page.keyboard.press('l');
    await page.waitForSelector('[data-view="logs"] .log-line');
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'level');
    await page.focus('.log-line');
    await page.keyboard.press('Enter');
    await page.waitForSelector('aside[aria-label="log line"]');
    await page.keyboard.press('Escape');
    await page.keyboard.press('g');
    await page.keyboard.press('o');
    await page.waitForSelector('[data-view="tools"]');
  });

  test('the live connection comes back after a drop and replays what it missed', async () => {
    const tab = await browser.newPage();
    // Every WebSocket the page opens, so that the test can drop one as a network blip would.
    await tab.evaluateOnNewDocument(() => {
      const Native = window.WebSocket;
      window.__sockets = [];
      window.WebSocket = class extends Native {
        constructor(...args) {
          super(...args);
          window.__sockets.push(this);
        }
      };
    });
    await tab.goto(host.base + '/#/logs', { waitUntil: 'domcontentloaded' });
    await tab.waitForSelector('[data-live="live"]');
    await ingest(host, [{ type: 'log', level: 'INFO', mcp_id: 'everything', service: 'agent', message: 'before the drop' }]);
    await waitForText(tab, '.log-list .log-message', 'before the drop');
    await tab.evaluate(() => window.__sockets.at(-1).close());
    await tab.waitForSelector('[data-live="reconnecting"]');
    await ingest(host, [{ type: 'log', level: 'INFO', mcp_id: 'everything', service: 'agent', message: 'while away' }]);
    await tab.waitForSelector('[data-live="live"]', { timeout: 10000 });
    await waitForText(tab, '.log-list .log-message', 'while away');
    const messages = await texts(tab, '.log-list .log-message');
    assert.deepEqual(messages.slice(-2), ['before the drop', 'while away']);
    assert.equal(messages.filter((m) => m === 'while away').length, 1);
    assert.equal(await tab.evaluate(() => window.__sockets.length), 2);

    // Away for longer than the host keeps: the view says so, and a reload fetches what was missed.
    await tab.evaluate(() => window.__sockets.at(-1).close());
    await tab.waitForSelector('[data-live="reconnecting"]');
    await ingest(host, Array.from({ length: 150 }, (_, i) => ({ type: 'log', level: 'INFO', mcp_id: 'everything', service: 'agent', message: `missed ${i}` })));
    await tab.waitForSelector('[data-live="live"]', { timeout: 10000 });
    await tab.waitForSelector('.notice button', { timeout: 10000 });
    const kept = await tab.$eval('[data-line-count]', (e) => Number(e.dataset.lineCount));
    const stored = (await api(host, 'GET', '/api/logs?limit=500')).body.items.length;
    assert.ok(kept < stored, `the replay alone cannot have every line (${kept} of ${stored})`);
    await tab.click('.notice button');
    await tab.waitForFunction((n) => !document.querySelector('.notice') &&
                                     Number(document.querySelector('[data-line-count]').dataset.lineCount) === n, {}, stored);
    await tab.close();
  });
});

describe('the console with auth on', () => {
  let host;
  let browser;

  before(async () => {
    host = await startHost({ 'auth.jwt.secret': JWT_SECRET });
    browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  });

  after(async () => {
    await browser?.close();
    await host?.stop();
  });

  test('asks for a token, refuses a wrong one, and a viewer sees the fleet but may not call tools', async () => {
    const page = await browser.newPage();
    await page.goto(host.base + '/', { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('form.login input[name="token"]');
    await page.type('form.login input[name="token"]', 'not-a-token');
    await page.click('form.login button[type="submit"]');
    await page.waitForSelector('form.login [role="alert"]');
    assert.match(await page.$eval('form.login [role="alert"]', (e) => e.textContent), /token/i);

    await page.$eval('form.login input[name="token"]', (e) => (e.value = ''));
    await page.type('form.login input[name="token"]', jwt('viewer'));
    await page.click('form.login button[type="submit"]');
    await page.waitForFunction(() => !document.querySelector('form.login'));
    await page.waitForSelector('tr[data-server="everything"]');
    await page.waitForSelector('[data-live="live"]');

    await page.goto(host.base + '/#/servers/everything', { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('[data-tool="echo"] .tool-head');
    await page.click('[data-tool="echo"] .tool-head');
    await page.waitForSelector('[data-tool="echo"] [data-action="call"]');
    assert.equal(await page.$eval('[data-tool="echo"] [data-action="call"]', (b) => b.disabled), true);
    assert.match(await page.$eval('[data-tool="echo"] form', (f) => f.textContent), /needs the operator role \(yours: viewer\)/);
    await page.click('[data-tab="protocol"]');
    await waitForText(page, '[data-view="server"]', 'it needs the operator role');
  });
});
