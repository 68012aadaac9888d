// `npm run bench:dashboard`: the dashboard at 100,000 registered apps (or the count given).
//   node bench/dashboard.mjs [apps]
// Measures the page's size (as written and gzipped), the server's answer to GET dashboard/apps
// (time and bytes), and in headless Chromium: time to first render and to a full first page, DOM
// size and JS heap, then how soon a sweep that turns 1% of the apps WARNING at once shows on the
// page. Needs `npm run build` first and Debian's chromium at /usr/bin/chromium.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { launchChromium, startDashboardServer } from './dashboard-server.mjs';

const n = Number(process.argv[2] ?? 100_000);
const median = (values) =>
  [...values].sort((a, b) => a - b)[values.length >> 1];
const round = (ms) => Math.round(ms * 10) / 10;

const assets = ['index.html', 'dashboard.css', 'dashboard.js'].map((name) => {
  const body = readFileSync(
    new URL(`../dist/heartbeat/dashboard/assets/${name}`, import.meta.url),
  );
  return {
    name,
    bytes: body.length,
    gzip: gzipSync(body, { level: 9 }).length,
  };
});
const total = (key) => assets.reduce((sum, a) => sum + a[key], 0);
console.log('page files (bytes as written / gzipped):');
for (const a of assets)
  console.log(`  ${a.name.padEnd(14)} ${a.bytes} / ${a.gzip}`);
console.log(`  ${'total'.padEnd(14)} ${total('bytes')} / ${total('gzip')}`);

const server = await startDashboardServer({ maxApps: n + 10_000 });
const { registry } = server;
let started = performance.now();
// Most apps fine with a one-hour promise; 0.5% CRITICAL and 1% WARNING with a one-minute promise
// (T = 60 s: they stay so for the whole run).
for (let i = 0; i < n; i++) {
  const id = `app-${String(i).padStart(6, '0')}`;
  if (i % 200 === 0) {
    await server.at(-330_000, () => registry.register(id, 59_000));
  } else if (i % 100 === 1) {
    await server.at(-210_000, () => registry.register(id, 59_000));
  } else {
    await registry.register(id, 3_599_000);
  }
}
console.log(
  `\nregistered ${n} apps in ${round(performance.now() - started)} ms`,
);

const timings = [];
let bytes = 0;
for (let i = 0; i < 11; i++) {
  started = performance.now();
  const body = await (await fetch(`${server.url}/dashboard/apps`)).text();
  timings.push(performance.now() - started);
  bytes = Buffer.byteLength(body);
}
console.log(
  `GET /dashboard/apps (200 most overdue + counts): median ${round(median(timings))} ms, ${bytes} bytes`,
);

const browser = await launchChromium();
try {
  const page = await browser.newPage({
    viewport: { width: 1280, height: 800 },
  });
  // Marks the first row and the full first page as they appear (not bound by the page's CSP).
  await page.addInitScript(() => {
    const marks = (window.__marks = {});
    new MutationObserver(() => {
      const rows = document.querySelectorAll('#rows tr').length;
      if (rows > 0) marks.firstRow ??= performance.now();
      if (rows >= 200) marks.fullPage ??= performance.now();
      const warning = document.getElementById('count-WARNING');
      if (
        window.__target !== undefined &&
        Number(warning?.textContent.replace(/\D/g, '')) >= window.__target
      ) {
        marks.burstShownAt ??= Date.now();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => window.__marks.fullPage !== undefined);
  const result = await page.evaluate(() => ({
    ...window.__marks,
    domElements: document.getElementsByTagName('*').length,
    rows: document.querySelectorAll('#rows tr').length,
    heapBytes: performance.memory?.usedJSHeapSize,
  }));
  console.log(`\nin Chromium, ${n} apps registered:`);
  console.log(
    `  first row shown      ${round(result.firstRow)} ms after navigation start`,
  );
  console.log(`  first page (200 rows) ${round(result.fullPage)} ms`);
  console.log(
    `  DOM elements         ${result.domElements} (${result.rows} rows)`,
  );
  console.log(
    `  JS heap              ${(result.heapBytes / 1048576).toFixed(1)} MiB`,
  );

  // A burst: 1% more apps (T = 2 s) reach the WARNING threshold at once, found by one sweep.
  // The clock stands still meanwhile, so nothing but that sweep can show them late.
  const burst = Math.floor(n / 100);
  const t0 = Date.now();
  server.freeze(t0);
  for (let i = 0; i < burst; i++) {
    await server.at(-5_800, () => registry.register(`burst-${i}`, 1000)); // od 2.9
  }
  await page.waitForTimeout(2000); // their registrations reach the page first
  const warningBefore = Number(
    (await page.locator('#count-WARNING').textContent()).replace(/\D/g, ''),
  );
  await page.evaluate(
    (target) => (window.__target = target),
    warningBefore + burst,
  );
  server.freeze(t0 + 200); // od 3.0
  started = Date.now();
  await registry.sweep();
  const swept = Date.now() - started;
  await page.waitForFunction(
    () => window.__marks.burstShownAt !== undefined,
    null,
    { timeout: 30_000 },
  );
  const latency =
    (await page.evaluate(() => window.__marks.burstShownAt)) - started;
  server.freeze(undefined);
  console.log(
    `  a sweep turning ${burst} apps WARNING: sweep ${swept} ms, counts on screen ${latency} ms after it started`,
  );
  const domAfter = await page.evaluate(
    () => document.getElementsByTagName('*').length,
  );
  console.log(
    `  DOM elements after the burst ${domAfter} (${await page.locator('#shown').textContent()})`,
  );
} finally {
  await browser.close();
  await server.close();
}
