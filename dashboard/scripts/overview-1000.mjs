// Measures the fleet overview with 1000 entities in a real browser (Debian's Chromium through
// playwright-core) against `foresight serve --simulate 1000 --backfill 10m --no-host` on a free port.
// A measurement, not a test: it prints figures and never fails on a duration (exit 1 only when the
// server or the page does not come up).
//
//   node dashboard/scripts/overview-1000.mjs [--binary build/src/app/foresight] [--out file.json]
//        [--entities 1000] [--watch 60] [--chromium /usr/bin/chromium]
//
// Figures: first contentful paint; time until the table shows rows and until it counts every entity
// (from navigation start); per search keystroke and per sort click, the time from the input event to
// the next frame after React re-rendered (median and max); the JS heap (CDP Performance metrics,
// after a forced GC); and, while the page sits on the overview for --watch seconds with the live
// stream (SSE) updating it, the long tasks (> 50 ms, PerformanceObserver 'longtask') per minute,
// their total time, and the stream events received.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { freePort, sleep, waitFor } from '../e2e/util.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const binary = resolve(opt('binary', 'build/src/app/foresight'));
const outFile = opt('out');
const entities = Number(opt('entities', '1000'));
const watchS = Number(opt('watch', '60'));
const chromePath = opt('chromium', process.env.CHROMIUM || '/usr/bin/chromium');

const median = (xs) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x, d = 1) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);

// Installed before the app runs: long tasks, when rows first appear, stream events by type, and the
// time from each user input to the next frame after it was handled.
function instrument(n) {
  window.__m = { longtasks: [], rowsAt: null, allAt: null, events: {}, inputs: [] };
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) window.__m.longtasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  const mo = new MutationObserver(() => {
    if (!window.__m.rowsAt && document.querySelector('[data-testid="entity-row"]')) window.__m.rowsAt = performance.now();
    if (window.__m.rowsAt && (document.querySelector('[data-testid="entity-count"]')?.textContent || '').endsWith(`of ${n} entities`)) {
      window.__m.allAt = performance.now();
      mo.disconnect();
    }
  });
  document.addEventListener('DOMContentLoaded', () => mo.observe(document.body, { childList: true, subtree: true, characterData: true }));
  const add = EventSource.prototype.addEventListener;
  EventSource.prototype.addEventListener = function (type, fn, o) {
    return add.call(this, type, (ev) => {
      window.__m.events[type] = (window.__m.events[type] || 0) + 1;
      return fn.call(this, ev);
    }, o);
  };
  // Capture phase on window runs before React's listeners on its root; the event's timeStamp is when
  // the browser received the input. The frame after the handlers ran is one rAF plus a macrotask.
  const mark = (kind) => (ev) => {
    const t0 = ev.timeStamp;
    requestAnimationFrame(() => setTimeout(() => window.__m.inputs.push({ kind, ms: performance.now() - t0 }), 0));
  };
  window.addEventListener('input', mark('keystroke'), true);
  window.addEventListener('click', (ev) => { if (ev.target.closest('th button')) mark('sort')(ev); }, true);
}

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), 'foresight-overview-1000-'));
const serverArgs = ['serve', '--simulate', String(entities), '--backfill', '10m', '--no-host', '--port', String(port),
  '--data-dir', join(dataDir, 'data')];
const logPath = join(dataDir, 'server.log');
const server = spawn(binary, serverArgs, { stdio: ['ignore', openSync(logPath, 'w'), openSync(logPath, 'a')] });
let exited = false;
server.on('exit', () => { exited = true; });
console.log(`${binary} ${serverArgs.join(' ')}`);

let browser;
let code = 0;
const result = { command: `node dashboard/scripts/overview-1000.mjs ${args.join(' ')}`.trim(), entities, watch_s: watchS };
try {
  const t0 = Date.now();
  const ready = await waitFor(async () => {
    if (exited) throw Object.assign(new Error('server exited'), { fatal: true });
    const r = await fetch(`${base}/api/v1/entities`);
    if (!r.ok) return null;
    const n = (await r.json()).data.length;
    return n >= entities ? n : null;
  }, 600_000, 1000);
  if (!ready) throw new Error(`fewer than ${entities} entities after 10 min (log: ${logPath})`);
  result.server_ready_s = round((Date.now() - t0) / 1000);
  console.log(`server lists ${ready} entities after ${result.server_ready_s} s`);

  browser = await chromium.launch({
    executablePath: chromePath,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-default-apps',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--metrics-recording-only'],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addInitScript(instrument, entities);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const heap = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const { metrics } = await cdp.send('Performance.getMetrics');
    return round(metrics.find((m) => m.name === 'JSHeapUsedSize').value / 2 ** 20);
  };

  await page.goto(`${base}/#/`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.__m.allAt, null, { timeout: 60_000 });
  Object.assign(result, await page.evaluate(() => ({
    fcp_ms: Math.round(performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN),
    first_rows_ms: Math.round(window.__m.rowsAt),
    all_rows_ms: Math.round(window.__m.allAt),
  })));
  result.heap_after_load_mb = await heap();

  // Search: type an entity's name one key at a time, then clear it.
  const names = await page.evaluate(async () => (await (await fetch('/api/v1/entities')).json()).data.map((e) => e.entity));
  const term = names[Math.floor(names.length * 0.77)];
  await page.click('input[type="search"]');
  await page.keyboard.type(term, { delay: 120 });
  await sleep(300);
  const found = await page.$$eval('[data-testid="entity-row"]', (rs) => rs.map((r) => r.dataset.entity));
  for (let i = 0; i < term.length; i += 1) {
    await page.keyboard.press('Backspace');
    await sleep(120);
  }
  await sleep(300);
  // Sort: every column header, twice (both directions).
  for (const col of ['Entity', 'Kind', 'Health', 'Score', 'Open predictions', 'Soonest failure']) {
    for (let k = 0; k < 2; k += 1) {
      await page.click(`th button:has-text("${col}")`);
      await sleep(200);
    }
  }
  await sleep(300);
  const inputs = await page.evaluate(() => window.__m.inputs);
  const keys = inputs.filter((x) => x.kind === 'keystroke').map((x) => x.ms);
  const sorts = inputs.filter((x) => x.kind === 'sort').map((x) => x.ms);
  Object.assign(result, {
    search_term: term,
    search_rows: found.length,
    keystrokes: keys.length,
    keystroke_median_ms: round(median(keys)),
    keystroke_max_ms: round(Math.max(...keys)),
    sort_clicks: sorts.length,
    sort_median_ms: round(median(sorts)),
    sort_max_ms: round(Math.max(...sorts)),
  });

  // Idle on the overview with the stream live: long tasks and stream events over the window.
  await page.click('th button:has-text("Open predictions")');  // back to the default order
  const w0 = await page.evaluate(() => ({ t: performance.now(), events: { ...window.__m.events } }));
  await sleep(watchS * 1000);
  const w1 = await page.evaluate((t) => ({
    t: performance.now(),
    events: { ...window.__m.events },
    long: window.__m.longtasks.filter((e) => e.start >= t),
    conn: document.querySelector('[data-testid="connection"]')?.dataset.state,
  }), w0.t);
  const minutes = (w1.t - w0.t) / 60000;
  const evs = Object.fromEntries(Object.entries(w1.events).map(([k, v]) => [k, v - (w0.events[k] || 0)]));
  Object.assign(result, {
    stream: w1.conn,
    stream_events_per_min: Object.fromEntries(Object.entries(evs).map(([k, v]) => [k, round(v / minutes)])),
    longtasks_per_min: round(w1.long.length / minutes),
    longtask_ms_per_min: round(w1.long.reduce((s, e) => s + e.duration, 0) / minutes, 0),
    longtask_max_ms: round(Math.max(0, ...w1.long.map((e) => e.duration)), 0),
    heap_after_watch_mb: await heap(),
  });

  const rows = [
    ['first contentful paint', `${result.fcp_ms} ms`],
    ['table shows rows', `${result.first_rows_ms} ms`],
    [`table counts all ${entities}`, `${result.all_rows_ms} ms`],
    [`search keystroke (${result.keystrokes}, "${term}")`, `median ${result.keystroke_median_ms} ms, max ${result.keystroke_max_ms} ms`],
    [`sort click (${result.sort_clicks})`, `median ${result.sort_median_ms} ms, max ${result.sort_max_ms} ms`],
    ['JS heap after load / after watch', `${result.heap_after_load_mb} MB / ${result.heap_after_watch_mb} MB`],
    [`long tasks > 50 ms while live (${watchS} s)`, `${result.longtasks_per_min}/min, ${result.longtask_ms_per_min} ms/min, max ${result.longtask_max_ms} ms`],
    ['stream events per minute', Object.entries(result.stream_events_per_min).map(([k, v]) => `${k} ${v}`).join(', ') + ` (${result.stream})`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n${'measure'.padEnd(w)} | value\n${'-'.repeat(w)}-|-${'-'.repeat(40)}`);
  for (const [k, v] of rows) console.log(`${k.padEnd(w)} | ${v}`);
  if (outFile) {
    writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nsaved ${outFile}`);
  }
} catch (e) {
  console.error(`error: ${e.stack || e}`);
  code = 1;
} finally {
  if (browser) await browser.close().catch(() => {});
  if (!exited) {
    server.kill('SIGTERM');
    if (!(await waitFor(() => exited, 15_000, 100))) server.kill('SIGKILL');
  }
  if (code) console.error(`server log kept: ${logPath}`);
  else rmSync(dataDir, { recursive: true, force: true });
  process.exit(code);
}
