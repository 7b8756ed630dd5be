// End to end in a real browser: Debian's Chromium driven by playwright-core against a real
// `foresight serve --simulate 6 --inject cpu_runaway:api-1@now+15s/10m` on 127.0.0.1 (plus a
// memory leak on worker-1, and a disk filling up on an entity pushed over line protocol, which the
// forecast stage turns into a forecast prediction with an ETA).
// Checks: the overview lists every simulated entity (marked simulated) and shows the stream as live;
// the entity page's charts hold data points (read from the Chart.js instances); the injected failure
// appears as a prediction with attributions (and a countdown when it is a forecast); Confirm is stored
// (read back through the API); alerts can be acknowledged (read back); models are listed.
// Accessibility: axe-core (injected here, never bundled) audits every view in the light and the dark
// theme at 1280x720 and any "serious" or "critical" violation fails the run (moderate and minor ones
// are printed as info); no view scrolls sideways at that laptop width; the main navigation, Confirm /
// Dismiss, Acknowledge and Silence are reached with Tab, show a focus ring and work with Enter/Space.
// Screenshots of every view go to --out; with --update-docs the overview and prediction shots are
// also copied to docs/img/. Prints "N passed, M failed"; exit code 1 when anything failed.
//
//   node e2e/dashboard.e2e.mjs --binary build/src/app/foresight --out /tmp/e2e-out [--update-docs]
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort, sleep, waitFor } from './util.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const binary = opt('binary');
const out = resolve(opt('out', 'e2e-out'));
const updateDocs = args.includes('--update-docs');
const chromePath = opt('chromium', process.env.CHROMIUM || '/usr/bin/chromium');
if (!binary) {
  console.error('usage: dashboard.e2e.mjs --binary <foresight> [--out dir] [--update-docs]');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const here = dirname(fileURLToPath(import.meta.url));
const docsImg = resolve(here, '../../docs/img');
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed += 1;
  else failed += 1;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
  return ok;
}

// Presses Tab (from where focus is) until the element `find` returns has focus. Returns whether it got
// there, in how many presses, and whether the focused element shows a focus indicator (it matches
// :focus-visible and draws a ring, i.e. a box-shadow, or an outline).
async function tabTo(page, find, max = 250) {
  for (let i = 1; i <= max; i += 1) {
    await page.keyboard.press('Tab');
    const st = await page.evaluate(`(() => {
      const target = (${find})();
      const a = document.activeElement;
      if (!target || a !== target) return null;
      const cs = getComputedStyle(a);
      const ring = a.matches(':focus-visible') && ((cs.boxShadow && cs.boxShadow !== 'none') || (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0));
      return { ring, label: a.getAttribute('aria-label') || a.textContent.trim() };
    })()`);
    if (st) return { ...st, presses: i };
  }
  return null;
}
const byText = (selector, text) => `() => [...document.querySelectorAll(${JSON.stringify(selector)})].find((e) => e.textContent.trim() === ${JSON.stringify(text)})`;
const bySelector = (selector) => `() => document.querySelector(${JSON.stringify(selector)})`;
async function startTabbing(page) {  // sequential focus from the top of the document
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  await page.mouse.click(1, 1);  // a click on the page background puts the focus start at the top
}

// axe-core on the current document: serious/critical violations fail, the rest is printed.
async function audit(page, name) {
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ path: axePath });
  const { violations, incomplete } = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations', 'incomplete'] });
    const brief = (v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: (n.failureSummary || n.any?.[0]?.message || '').replace(/\s+/g, ' ').slice(0, 200) })) });
    return { violations: r.violations.map(brief), incomplete: r.incomplete.map(brief) };
  });
  // What axe could not decide (e.g. contrast over overlapping elements) is printed for a human to look at.
  for (const v of incomplete) {
    console.log(`info a11y ${name}: needs review ${v.id} (${v.impact}) — ${v.nodes.length} node(s): ${v.nodes.slice(0, 2).map((n) => `${n.target} [${n.summary}]`).join(', ')}`);
  }
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of violations.filter((x) => !bad.includes(x))) {
    console.log(`info a11y ${name}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.length} node(s): ${v.nodes.slice(0, 3).map((n) => n.target).join(', ')}`);
  }
  const detail = bad.map((v) => `\n    ${v.id} (${v.impact}) ${v.help}: ${v.nodes.slice(0, 5).map((n) => `${n.target} [${n.summary}]`).join('; ')}${v.nodes.length > 5 ? ` (+${v.nodes.length - 5} more)` : ''}`).join('');
  check(`axe: no serious or critical violation on ${name}`, bad.length === 0, detail);
  return violations;
}


const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), 'foresight-dash-e2e-'));
const logFd = openSync(join(out, 'server.log'), 'w');
const server = spawn(binary, [
  'serve', '--simulate', '6', '--seed', '7', '--port', String(port), '--data-dir', join(dataDir, 'data'),
  '--warmup', '5m', '--retrain-interval', '6h', '--scenarios-per-hour', '0',
  '--inject', 'cpu_runaway:api-1@now+15s/10m', '--inject', 'memory_leak:worker-1@now+5s/20m',
], { stdio: ['ignore', logFd, logFd], env: { ...process.env, FORESIGHT_FORECAST_INTERVAL: '15s' } });
let serverExited = false;
server.on('exit', () => { serverExited = true; });

async function api(path, init) {
  const r = await fetch(base + path, init);
  const j = await r.json();
  if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(j)}`);
  return j.data;
}

let browser;
const t0 = Date.now();
try {
  const up = await waitFor(async () => (await fetch(`${base}/health`)).ok, 60_000);
  if (!check('server answers /health', !!up)) throw new Error('server did not start');

  // A disk filling up on a pushed entity (line protocol, the last 2 hours from 40 % to 96 %): the
  // forecast stage (every 15 s here) turns it into a forecast prediction with an ETA minutes away.
  const nowS = Math.floor(Date.now() / 1000);
  const ramp = Array.from({ length: 120 }, (_, i) => `disk,entity=e2e-disk used_percent=${(40 + (56 * i) / 119).toFixed(3)} ${nowS - (120 - i) * 60}`);
  let status = 0;
  const wrote = await waitFor(async () => {  // 503 while the pipeline is still starting
    status = (await fetch(`${base}/write?precision=s`, { method: 'POST', body: ramp.join('\n') })).status;
    return status === 204;
  }, 30_000);
  check('line protocol write of the disk ramp accepted', !!wrote, String(status));

  browser = await chromium.launch({
    executablePath: chromePath,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-default-apps',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--metrics-recording-only'],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'Europe/Berlin' });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  // --- Overview ---------------------------------------------------------------------------------
  const entities = await waitFor(async () => {
    const e = await api('/api/v1/entities');
    return e.filter((x) => x.simulated).length >= 6 ? e : null;
  }, 30_000);
  check('API lists 6 simulated entities', !!entities);
  const simulated = (entities || []).filter((x) => x.simulated).map((x) => x.entity);
  const nav = await page.goto(`${base}/`, { waitUntil: 'load' });
  check('GET / serves the dashboard to a browser', nav.ok() && (nav.headers()['content-type'] || '').startsWith('text/html'));
  const asApi = await fetch(`${base}/`, { headers: { Accept: 'application/json' } });
  check('GET / still answers API clients with the status as JSON', asApi.ok && (await asApi.json()).data?.service === 'foresight');
  await page.waitForSelector('[data-testid="entity-row"]', { timeout: 15_000 });
  const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
  console.log(`info first-contentful-paint ${fcp == null ? 'n/a' : `${Math.round(fcp)} ms`}`);
  const rows = await page.$$eval('[data-testid="entity-row"]', (rs) => rs.map((r) => ({ entity: r.dataset.entity, sim: !!r.querySelector('[data-testid="sim-badge"]') })));
  const listed = simulated.every((e) => rows.some((r) => r.entity === e && r.sim));
  check('overview lists every simulated entity, marked simulated', listed, `${rows.length} rows: ${rows.map((r) => r.entity + (r.sim ? '*' : '')).join(' ')}`);
  // This host's own entity appears after its first collection; live updates add it without a reload.
  const real = await waitFor(() => page.$$eval('[data-testid="entity-row"]', (rs) => rs.filter((r) => !r.querySelector('[data-testid="sim-badge"]')).map((r) => r.dataset.entity)).then((r) => (r.length ? r : null)), 20_000);
  check('the real host is listed unmarked', !!real, (real || []).join(' '));
  const live = await waitFor(() => page.getAttribute('[data-testid="connection"]', 'data-state').then((s) => s === 'live'), 10_000, 200);
  check('live updates connected (SSE)', !!live);
  await page.fill('input[type="search"]', 'api-');
  const searched = await page.$$eval('[data-testid="entity-row"]', (rs) => rs.map((r) => r.dataset.entity));
  check('search filters the overview', searched.length >= 1 && searched.every((e) => e.includes('api-')), searched.join(' '));
  await page.fill('input[type="search"]', '');
  await page.screenshot({ path: join(out, 'overview.png'), fullPage: true });

  // Keyboard: the main navigation is reached with Tab and followed with Enter.
  await startTabbing(page);
  const navKey = await tabTo(page, bySelector('nav[aria-label="Main"] a[href="#/models"]'));
  check('keyboard: Tab reaches the main navigation (Models) with a focus ring', !!navKey && navKey.ring, navKey ? `${navKey.presses} presses` : 'not reached');
  if (navKey) await page.keyboard.press('Enter');
  const navWent = await waitFor(() => page.evaluate(() => window.location.hash === '#/models' && !!document.querySelector('#models-title')), 5_000, 100);
  check('keyboard: Enter on a navigation link opens its view', !!navWent);
  await page.evaluate(() => document.activeElement?.blur());  // no focus ring in later screenshots
  await page.goto(`${base}/#/`);

  // --- Entity page: charts with data ---------------------------------------------------------------
  await page.goto(`${base}/#/entity/api-1`);
  await page.waitForSelector('[data-testid="metric-chart"] canvas', { timeout: 20_000 });
  const chartData = await waitFor(() => page.$$eval('[data-testid="metric-chart"] canvas', (cs) => cs.map((c) => ({
    metric: c.closest('[data-testid="metric-chart"]').dataset.metric,
    datasets: c.chart ? c.chart.data.datasets.map((d) => ({ label: d.label, n: d.data.length, finite: d.data.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y)) })) : [],
  }))).then((cd) => (cd.length && cd.some((c) => c.datasets.some((d) => d.n > 0)) ? cd : null)), 20_000);
  const withPoints = (chartData || []).filter((c) => c.datasets.some((d) => !d.label.startsWith('_') && d.n > 1 && d.finite));
  check('entity charts hold data points', withPoints.length >= 1,
    (chartData || []).map((c) => `${c.metric}[${c.datasets.map((d) => `${d.label}:${d.n}`).join(',')}]`).join(' '));
  const cpuChart = (chartData || []).find((c) => /cpu/.test(c.metric));
  check('a CPU chart is drawn', !!cpuChart && cpuChart.datasets.some((d) => d.n > 1));
  await page.screenshot({ path: join(out, 'entity.png'), fullPage: true });

  // --- The injected failure becomes a prediction ---------------------------------------------------
  const pred = await waitFor(async () => {
    const ps = await api('/api/v1/predictions?entity=api-1');
    return ps.find((p) => (p.attributions || []).length > 0) || null;
  }, 100_000, 1000);
  if (!check('the injected cpu_runaway on api-1 becomes a prediction', !!pred, `after ${Math.round((Date.now() - t0) / 1000)} s`)) {
    throw new Error('no prediction');
  }
  // The overview once the failure is predicted: api-1 has an open prediction.
  await page.goto(`${base}/#/`);
  const openShown = await waitFor(() => page.textContent('[data-testid="entity-row"][data-entity="api-1"] td:nth-child(5)').then((t) => parseInt(t, 10) >= 1), 15_000, 300);
  check('the overview counts the open prediction on api-1 (live)', !!openShown);
  await page.screenshot({ path: join(out, 'overview-live.png'), fullPage: true });

  await page.goto(`${base}/#/predictions`);
  const card = await page.waitForSelector(`[data-testid="prediction"][data-id="${pred.id}"]`, { timeout: 15_000 }).catch(() => null);
  check('the prediction is listed on the predictions page', !!card);
  const bars = card ? await card.$$('[data-testid="attribution-bar"]') : [];
  const widths = card ? await card.$$eval('[data-testid="attribution-bar"]', (bs) => bs.map((b) => parseFloat(b.style.width))) : [];
  check('it shows attribution bars by metric', bars.length >= 1 && widths[0] === 100, `widths ${widths.join(',')}`);
  const evidence = card ? await card.$('[data-testid="evidence"]') : null;
  check('it shows the evidence', !!evidence);
  await page.screenshot({ path: join(out, 'predictions.png'), fullPage: true });

  // The filling disk: a forecast prediction with a live countdown to its ETA and the interval.
  const fc = await waitFor(async () => (await api('/api/v1/predictions?entity=e2e-disk&kind=forecast')).find((p) => p.eta_ms), 60_000, 1000);
  if (check('the filling disk becomes a forecast prediction with an ETA', !!fc, fc ? `ETA ${fc.eta}, P10 ${fc.eta_low}, P90 ${fc.eta_high}` : '')) {
    await page.goto(`${base}/#/predictions/${encodeURIComponent(fc.id)}`);
    // The countdown must tick, and at every reading agree with its own ETA and the browser's clock.
    // (The forecast stage may move the ETA between readings, so "ticks" means "changes within a few
    // seconds", and agreement is checked against the ETA shown at that moment.)
    const cd = await page.waitForSelector('[data-testid="countdown-value"]', { timeout: 10_000 }).catch(() => null);
    const reading = () => page.evaluate(() => {
      const box = document.querySelector('[data-testid="countdown"]');
      const text = box?.querySelector('[data-testid="countdown-value"]')?.textContent ?? '';
      const eta = Date.parse(box?.querySelector('time')?.getAttribute('datetime') ?? '');
      return { text, eta, now: Date.now() };
    });
    const seconds = (t) => {
      const m = /^(?:(\d+)h )?(\d+)m (\d\d)s$/.exec(t);
      return m ? (+(m[1] || 0)) * 3600 + (+m[2]) * 60 + (+m[3]) : NaN;
    };
    const agrees = (r) => Math.abs(seconds(r.text) - (r.eta - r.now) / 1000) <= 2;
    const r1 = cd ? await reading() : { text: '' };
    const r2 = cd ? await waitFor(async () => { const r = await reading(); return r.text !== r1.text && r; }, 6000, 250) : null;
    check('the forecast prediction shows a live countdown that agrees with its ETA',
      !!cd && !!r2 && agrees(r1) && agrees(r2), `${r1.text} → ${r2 ? r2.text : '(unchanged for 6 s)'}`);
    const interval = await page.textContent('[data-testid="countdown-interval"]').catch(() => '');
    check('and its P10–P90 interval', /P10–P90/.test(interval || ''), interval || '');
    const fbars = await page.$$('[data-testid="prediction"] [data-testid="attribution-bar"]');
    check('and its attributions', fbars.length >= 1);
    await page.screenshot({ path: join(out, 'forecast-prediction.png'), fullPage: true });
    // The overview's soonest failure and the entity page's band and limit line.
    await page.goto(`${base}/#/`);
    const soonest = await waitFor(() => page.textContent('[data-testid="entity-row"][data-entity="e2e-disk"] td:nth-child(6)').then((t) => /in \d+ (minute|second)/.test(t) && t), 10_000, 300);
    check('the overview shows the soonest failure of e2e-disk', !!soonest, soonest || '');
    await page.screenshot({ path: join(out, 'overview-live.png'), fullPage: true });  // both failures predicted
    await page.goto(`${base}/#/entity/e2e-disk`);
    const band = await waitFor(() => page.$$eval('[data-testid="metric-chart"] canvas', (cs) => cs.flatMap((c) => (c.chart ? c.chart.data.datasets : []).map((d) => `${d.label}:${d.data.length}`))).then((ls) => (ls.some((l) => /^forecast P10–P90:[1-9]/.test(l)) && ls.some((l) => /^limit 100:2$/.test(l)) ? ls : null)), 20_000);
    check('the entity chart draws the forecast band and the limit line', !!band, (band || []).join(' '));
    await page.screenshot({ path: join(out, 'entity-forecast.png'), fullPage: true });
  }

  // --- Confirm on the prediction page, read back through the API ---------------------------------
  await page.goto(`${base}/#/predictions/${encodeURIComponent(pred.id)}`);
  await page.waitForSelector('[data-testid="prediction"] [data-testid="attribution"]', { timeout: 10_000 });
  // Keyboard: Confirm and Dismiss are reached with Tab; Confirm is pressed with Enter.
  await startTabbing(page);
  const confirmSel = byText('[data-testid="prediction"] [data-testid="feedback"] button', 'Confirm');
  const confirmKey = await tabTo(page, confirmSel);
  const dismissKey = confirmKey ? await tabTo(page, byText('[data-testid="prediction"] [data-testid="feedback"] button', 'Dismiss'), 1) : null;
  check('keyboard: Tab reaches Confirm and Dismiss, each with a focus ring', !!confirmKey && confirmKey.ring && !!dismissKey && dismissKey.ring,
    confirmKey ? `Confirm after ${confirmKey.presses} presses${dismissKey ? ', Dismiss next' : ', Dismiss not next'}` : 'Confirm not reached');
  if (confirmKey) {
    await page.keyboard.press('Shift+Tab');
    const back = await page.evaluate(`(${confirmSel})() === document.activeElement`);
    if (back) await page.keyboard.press('Enter');
    else await page.click('[data-testid="prediction"] button:has-text("Confirm")');
  } else {
    await page.click('[data-testid="prediction"] button:has-text("Confirm")');
  }
  const shown = await waitFor(() => page.textContent('[data-testid="prediction"] [data-testid="verdict"]').then((t) => /confirmed/.test(t) && t), 10_000, 200);
  check('Confirm (pressed with Enter) shows the stored verdict', !!shown, shown || '');
  const stored = await api(`/api/v1/predictions/${encodeURIComponent(pred.id)}`);
  check('Confirm is persisted (API)', stored.feedback === 'confirmed' &&
    (stored.feedback_history || []).some((f) => f.verdict === 'confirmed' && f.user === 'dashboard'), JSON.stringify(stored.feedback_history));
  await page.waitForSelector('text=Feedback history', { timeout: 5_000 }).catch(() => null);
  await page.screenshot({ path: join(out, 'prediction.png'), fullPage: true });

  // --- Alerts: listed live, acknowledged from the page ------------------------------------------------
  const alert = await waitFor(async () => (await api('/api/v1/alerts?entity=api-1')).find((a) => a.state === 'firing'), 30_000, 1000);
  check('an alert fired for api-1', !!alert);
  await page.goto(`${base}/#/alerts`);
  await page.waitForSelector('[data-testid="alert-row"]', { timeout: 10_000 }).catch(() => null);
  if (alert) {
    // Keyboard: Acknowledge is reached with Tab and pressed with Enter; Silence with Space.
    const ackSel = 'button[aria-label="Acknowledge alert on api-1"]:not([disabled])';
    await page.waitForSelector(ackSel, { timeout: 10_000 }).catch(() => null);
    await startTabbing(page);
    const ackKey = await tabTo(page, bySelector(ackSel));
    check('keyboard: Tab reaches Acknowledge with a focus ring', !!ackKey && ackKey.ring, ackKey ? `${ackKey.presses} presses` : 'not reached');
    if (ackKey) await page.keyboard.press('Enter');
    else await page.click(ackSel).catch(() => {});
    const acked = await waitFor(async () => (await api('/api/v1/alerts?entity=api-1')).some((a) => a.id === alert.id && a.state === 'acknowledged'), 10_000, 300);
    check('Acknowledge (pressed with Enter) is persisted (API)', !!acked);
    await startTabbing(page);
    const silenceKey = await tabTo(page, bySelector('button[aria-label^="Silence api-1"]'));
    check('keyboard: Tab reaches Silence with a focus ring', !!silenceKey && silenceKey.ring, silenceKey ? `${silenceKey.presses} presses` : 'not reached');
    if (silenceKey) await page.keyboard.press('Space');
    else await page.click('button[aria-label^="Silence api-1"]');
    const silenced = await waitFor(() => page.textContent('#alerts-title ~ div [role="status"]').then((t) => /silenced until/.test(t) && t), 10_000, 200);
    check('Silence (pressed with Space) is answered by the server with its end', !!silenced, silenced || '');
  }
  await page.screenshot({ path: join(out, 'alerts.png'), fullPage: true });

  // --- Models -----------------------------------------------------------------------------------
  await page.goto(`${base}/#/models`);
  const modelRows = await page.waitForSelector('[data-testid="model-row"]', { timeout: 10_000 }).then(() => page.$$('[data-testid="model-row"]')).catch(() => []);
  check('models are listed', modelRows.length >= 1, `${modelRows.length} rows`);
  const precision = await page.textContent('#models-title + p');
  check('precision implied by feedback counts the confirmation', /100 %/.test(precision || ''), precision || '');
  await page.screenshot({ path: join(out, 'models.png'), fullPage: true });

  // --- Accessibility audit and laptop width: every view, light then dark, at 1280x720 -------------
  await page.setViewportSize({ width: 1280, height: 720 });
  const views = [
    ['overview', '#/', '[data-testid="entity-row"]'],
    ['entity page', '#/entity/api-1', '[data-testid="metric-chart"] canvas'],
    ['predictions', '#/predictions', '[data-testid="prediction"] [data-testid="attribution"]'],
    ['prediction detail', `#/predictions/${encodeURIComponent(pred.id)}`, '[data-testid="prediction"] [data-testid="attribution"]'],
    ['alerts', '#/alerts', '[data-testid="alert-row"]'],
    ['models', '#/models', '[data-testid="model-row"]'],
  ];
  const a11yStart = Date.now();
  for (const theme of ['light', 'dark']) {
    if (theme === 'dark') {
      await page.goto(`${base}/#/`);
      await page.click('button:has-text("Dark theme")');
      const dark = await page.evaluate(() => document.documentElement.classList.contains('dark'));
      check('the dark theme can be switched on', dark);
      await page.waitForSelector('[data-testid="entity-row"]');
      await page.screenshot({ path: join(out, 'overview-dark.png'), fullPage: true });
    }
    for (const [name, hash, ready] of views) {
      await page.goto(`${base}/${hash}`);
      await page.waitForSelector(ready, { timeout: 15_000 }).catch(() => null);
      await page.waitForTimeout(150);  // let charts lay out (no assertion depends on it)
      await audit(page, `${name} (${theme})`);
      const wide = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
      check(`no horizontal scroll on ${name} (${theme}) at 1280x720`, wide.scroll <= wide.inner, `scrollWidth ${wide.scroll}, innerWidth ${wide.inner}`);
      await page.screenshot({ path: join(out, `1280-${theme}-${name.replace(/ /g, '-')}.png`) });
    }
  }
  console.log(`info accessibility and width pass: ${Math.round((Date.now() - a11yStart) / 1000)} s`);

  check('no uncaught page errors', consoleErrors.length === 0, consoleErrors.join(' | '));

  if (updateDocs) {
    mkdirSync(docsImg, { recursive: true });
    copyFileSync(join(out, 'overview-live.png'), join(docsImg, 'dashboard-overview.png'));
    copyFileSync(join(out, 'prediction.png'), join(docsImg, 'dashboard-prediction.png'));
    console.log(`info screenshots copied to ${docsImg}`);
  }
} catch (e) {
  check('run completed', false, e.stack || String(e));
} finally {
  if (browser) await browser.close().catch(() => {});
  if (!serverExited) {
    server.kill('SIGTERM');
    const ended = await waitFor(() => serverExited, 15_000, 100);
    if (!ended) server.kill('SIGKILL');
    check('server stops on SIGTERM with the dashboard stream open', !!ended);
  }
  rmSync(dataDir, { recursive: true, force: true });
  console.log(`screenshots in ${out}; ${Math.round((Date.now() - t0) / 1000)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
