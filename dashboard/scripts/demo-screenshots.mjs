// Screenshots of a running `make run` demo for the README (docs/img): the fleet overview, the worker-2
// memory-leak forecast prediction and worker-2's entity page with the forecast band.
//   node dashboard/scripts/demo-screenshots.mjs [--url http://127.0.0.1:8080] [--out docs/img]
// Needs Debian's chromium (/usr/bin/chromium) and dashboard/node_modules (npm ci).
import { chromium } from 'playwright-core';

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};
const url = arg('--url', 'http://127.0.0.1:8080');
const out = arg('--out', 'docs/img');

const get = async (path) => (await (await fetch(url + path)).json()).data;
const preds = await get('/api/v1/predictions?kind=forecast&open=true&entity=worker-2');
if (!preds || preds.length === 0) {
  console.error('no open forecast prediction for worker-2 yet: start `make run` and wait about 90 s');
  process.exit(1);
}
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage', '--no-first-run'],
});
const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
const shoot = async (hash, file, wait = 2500) => {
  await page.goto(url + '/' + hash);
  await page.waitForTimeout(wait);
  await page.screenshot({ path: `${out}/${file}` });
  console.log(`${out}/${file}`);
};
await shoot('#/', 'dashboard-overview.png');
await shoot('#/predictions/' + encodeURIComponent(preds[0].id), 'dashboard-prediction.png');
await shoot('#/entity/worker-2', 'dashboard-entity.png', 4000);
await browser.close();
