// `npm run screenshot`: a board with OK, WARNING, CRITICAL and paused apps, photographed by headless Chromium into docs/dashboard.png.
import { fileURLToPath } from 'node:url';
import {
  launchChromium,
  startDashboardServer,
} from '../bench/dashboard-server.mjs';

const output = fileURLToPath(new URL('../docs/dashboard.png', import.meta.url));
const server = await startDashboardServer();
const { registry } = server;

// [id, TIMEOUT ms, last heartbeat this long ago]: od = ago / (TIMEOUT + 1000). Long promises,
// so the states hold while the browser starts.
const apps = [
  ['legacy-ftp-sync', 59_000, 330_000], // od 5.5: CRITICAL
  ['nightly-report', 299_000, 1_290_000], // od 4.3: WARNING
  ['thumbnailer-3', 119_000, 420_000], // od 3.5: WARNING
  ['checkout-api', 29_000, 14_000],
  ['search-indexer', 59_000, 61_000],
  ['mail-relay', 14_000, 9_000],
  ['billing-worker', 29_000, 21_000],
  ['auth-service', 4_000, 1_000],
  ['backup-runner', 299_000, 120_000],
  ['db-migration', 59_000, 300_000], // od 5, CRITICAL, but paused below: OK
];

const browser = await launchChromium();
for (const [id, timeout, ago] of apps) {
  // Registered a few promises before its last heartbeat (further back, it would have been dropped).
  await server.at(-ago - 4 * (timeout + 1000), () =>
    registry.register(id, timeout),
  );
  await server.at(-ago, () => registry.beat(id, timeout));
}
// In maintenance: one until resumed, one for two more hours.
await registry.pause('db-migration');
await registry.pause('backup-runner', registry.now() + 2 * 3_600_000);
await registry.sweep();

try {
  const page = await browser.newPage({
    viewport: { width: 1280, height: 710 },
  });
  page.on('dialog', () => {
    throw new Error('a dialog opened: an ID ran as markup');
  });
  await page.goto(`${server.url}/`);
  await page
    .locator('#rows tr')
    .nth(apps.length - 1)
    .waitFor();
  await page.locator('#connection', { hasText: 'Live' }).waitFor();
  await page.screenshot({ path: output });
  console.log(`wrote ${output}`);
} finally {
  await browser.close();
  await server.close();
}
