// Helpers shared by the end-to-end test (dashboard.e2e.mjs) and the measurement scripts (scripts/).
import { createServer } from 'node:net';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn every `every` ms until it returns something truthy (returned) or `ms` have passed (null).
// A throw counts as "not yet".
export async function waitFor(fn, ms, every = 500) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch { /* not yet */ }
    if (Date.now() > end) return null;
    await sleep(every);
  }
}

// A TCP port free on 127.0.0.1 right now (the OS picks it).
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}
