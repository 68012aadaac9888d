import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import {
  HeartbeatDashboardHandler,
  HeartbeatRegistry,
} from '../src/heartbeat/index.js';
import { FakeHeartbeatClock } from '../src/heartbeat/testing/index.js';
import {
  BROWSER_TEST_MS,
  describeWithChromium,
  launchChromium,
  row,
  watch,
  SHOWN,
} from './support/chromium.js';
import {
  startFrontDoorApp,
  type FrontDoorApp,
} from './support/front-door-app.js';

/** Resolves once the row of `id` shows `state`. */
function showsState(page: Page, id: string, state: string): Promise<void> {
  return row(page, id)
    .locator('.state', { hasText: new RegExp(`^${state}$`) })
    .waitFor(SHOWN);
}

describeWithChromium('the dashboard in Chromium', () => {
  let browser: Browser;
  // One tab for every test (opening one costs seconds); each test starts from a blank page.
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.newPage();
  }, BROWSER_TEST_MS);
  afterAll(() => browser?.close(), BROWSER_TEST_MS);

  describe('on the standalone front door, with an injected clock', () => {
    let door: FrontDoorApp;

    beforeEach(async () => {
      // The expiry task would sweep on its own every second; the tests sweep when they mean to.
      door = await startFrontDoorApp({ sweepIntervalMs: 3_600_000 });
    }, BROWSER_TEST_MS);
    afterEach(async () => {
      await page.goto('about:blank');
      await door?.app.close();
    }, BROWSER_TEST_MS);

    it('lists the registered apps, most overdue first, with counts per state', async () => {
      await door.registry.register('billing', 1000); // T = 2000
      door.clock.advance(7000); // billing: od 3.5, WARNING
      await door.registry.register('search', 1000);
      await door.registry.register('mail', 9000);
      const seen = watch(page);
      await page.goto(`${door.url}/`);

      await row(page, 'mail').waitFor(SHOWN);
      const ids = await page.getByRole('rowheader').allTextContents();
      expect(ids).toEqual(['billing', 'mail', 'search']);
      expect(await page.locator('#count-OK').textContent()).toBe('2');
      expect(await page.locator('#count-WARNING').textContent()).toBe('1');
      expect(await page.locator('#count-total').textContent()).toBe('3');
      // A late app ages on screen by the page's own clock (this server's clock stands still).
      expect(
        await row(page, 'billing').locator('td').allTextContents(),
      ).toEqual([
        'WARNING',
        expect.stringMatching(/^3\.\d\d$/),
        '2.0 s',
        expect.stringMatching(/^\d+ s ago$/),
        expect.any(String),
        '—',
        'PauseDelete',
      ]);
      // A fine one shows what the server read.
      expect(await row(page, 'mail').locator('td').allTextContents()).toEqual([
        'OK',
        '0.00',
        '10 s',
        '0 s ago',
        expect.any(String),
        '—',
        'PauseDelete',
      ]);
      const headers = await page.getByRole('columnheader').allTextContents();
      expect(headers.map((h) => h.trim())).toEqual([
        'ID',
        'State',
        'Overdue (od)',
        'T',
        'Last seen',
        'Registered',
        'Paused',
        'Actions',
      ]);
      expect(
        await page
          .getByRole('columnheader', { name: /Overdue/ })
          .getAttribute('aria-sort'),
      ).toBe('descending');
      expect(seen.stop()).toEqual({ dialogs: [], errors: [] });
    });

    it('shows an app that stops pinging turn WARNING, then CRITICAL, without a reload', async () => {
      await door.registry.register('worker', 1000); // T = 2000
      await door.registry.register('steady', 1000);
      await page.goto(`${door.url}/`);
      await showsState(page, 'worker', 'OK');
      await page.evaluate(() => {
        (window as { loadedOnce?: boolean }).loadedOnce = true;
      });

      door.clock.advance(6000); // worker od 3
      await door.registry.beat('steady', 1000);
      await door.registry.sweep();
      await showsState(page, 'worker', 'WARNING');
      await page.locator('#count-WARNING', { hasText: '1' }).waitFor(SHOWN);

      door.clock.advance(4000); // worker od 5
      await door.registry.beat('steady', 1000);
      await door.registry.sweep();
      await showsState(page, 'worker', 'CRITICAL');
      await page.locator('#count-CRITICAL', { hasText: '1' }).waitFor(SHOWN);
      await showsState(page, 'steady', 'OK');
      expect(
        await page.evaluate(
          () => (window as { loadedOnce?: boolean }).loadedOnce,
        ),
      ).toBe(true);

      // A heartbeat brings it back; a drop takes it off the page.
      await door.registry.beat('worker', 1000);
      await showsState(page, 'worker', 'OK');
      door.clock.advance(12_000);
      await door.registry.sweep();
      await row(page, 'worker').waitFor({ ...SHOWN, state: 'detached' });
    });

    it('shows an XSS ID as the characters it is; nothing runs', async () => {
      const ids = [
        '<img src=x onerror=alert(1)>',
        '<script>alert(2)</script>',
        '"><svg onload=alert(3)>',
      ];
      for (const id of ids) {
        const answer = await fetch(
          `${door.url}/hb_init?1000&appid=${encodeURIComponent(id)}`,
        );
        expect(answer.status).toBe(200);
      }
      const seen = watch(page);
      const response = await page.goto(`${door.url}/`);
      const csp = response!.headers()['content-security-policy']!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(response!.headers()['x-content-type-options']).toBe('nosniff');

      for (const id of ids) await row(page, id).waitFor(SHOWN);
      expect(
        (await page.getByRole('rowheader').allTextContents()).sort(),
      ).toEqual([...ids].sort());
      expect(
        await page.locator('#apps img, #apps script, #apps svg').count(),
      ).toBe(0);
      // Live events carry IDs too.
      await door.registry.register('<img src=y onerror=alert(4)>', 1000);
      await row(page, '<img src=y onerror=alert(4)>').waitFor(SHOWN);
      expect(await page.locator('#apps img').count()).toBe(0);
      expect(seen.stop()).toEqual({ dialogs: [], errors: [] });
    });

    it('sorts with header buttons and filters by asking the server, all by keyboard', async () => {
      for (const id of ['web-2', 'db-1', 'web-1', 'cache']) {
        await door.registry.register(id, 1000);
        door.clock.advance(1000);
      }
      await page.goto(`${door.url}/`);
      await row(page, 'cache').waitFor(SHOWN);
      expect(await page.getByRole('rowheader').allTextContents()).toEqual([
        'web-2',
        'db-1',
        'web-1',
        'cache',
      ]);

      // Tab from the top of the page to the ID sort button and press it.
      await page.locator('body').focus();
      let focused = '';
      for (let i = 0; i < 20 && focused !== 'ID'; i++) {
        await page.keyboard.press('Tab');
        focused = await page.evaluate(
          () => document.activeElement?.textContent?.trim() ?? '',
        );
      }
      expect(focused).toBe('ID');
      expect(
        await page.evaluate(
          () => getComputedStyle(document.activeElement!).outlineStyle,
        ),
      ).toBe('solid');
      const sorted = page.waitForResponse(/dashboard\/apps\?.*sort=id/);
      await page.keyboard.press('Enter');
      await sorted;
      await page
        .getByRole('columnheader', { name: 'ID' })
        .and(page.locator('[aria-sort="ascending"]'))
        .waitFor(SHOWN);
      await page.waitForFunction(
        () => document.querySelector('#rows th')?.textContent === 'cache',
      );
      expect(await page.getByRole('rowheader').allTextContents()).toEqual([
        'cache',
        'db-1',
        'web-1',
        'web-2',
      ]);

      const filtered = page.waitForResponse(/dashboard\/apps\?.*q=WEB/);
      await page.getByLabel('Filter by ID').fill('WEB');
      await filtered;
      await row(page, 'cache').waitFor({ ...SHOWN, state: 'detached' });
      expect(await page.getByRole('rowheader').allTextContents()).toEqual([
        'web-1',
        'web-2',
      ]);
      expect(await page.locator('#shown').textContent()).toBe(
        'Showing 2 of 2 matching',
      );
      // A new app that matches the filter appears live; one that does not, does not.
      await door.registry.register('web-3', 1000);
      await door.registry.register('queue', 1000);
      await row(page, 'web-3').waitFor(SHOWN);
      expect(await row(page, 'queue').count()).toBe(0);
    });

    it('pauses and resumes from the page (OK - paused in /status), and deletes through the admin API', async () => {
      await door.registry.register('batch', 1000); // T = 2000
      await door.registry.register('other', 1000);
      door.clock.advance(7000); // od 3.5: both WARNING
      await page.goto(`${door.url}/`);
      await showsState(page, 'batch', 'WARNING');

      await page.getByRole('button', { name: 'Pause batch' }).click();
      await page
        .locator('#message', { hasText: /^Pause: done for batch\./ })
        .waitFor(SHOWN);
      const status = async () =>
        (await fetch(`${door.url}/status?appid=batch`)).text();
      expect(await status()).toBe(
        'OK - paused application [batch]| od=0.00;3;5;0;6 delay=2000ms;;;',
      );
      await showsState(page, 'batch', 'OK');
      await row(page, 'batch')
        .locator('.paused', { hasText: /^paused$/ })
        .waitFor(SHOWN);
      const resume = page.getByRole('button', { name: 'Resume batch' });
      await resume.waitFor(SHOWN);

      // A pause for an hour, chosen in the select, shows when it ends.
      await page.locator('#pause-for').selectOption('3600000');
      await page.getByRole('button', { name: 'Pause other' }).click();
      await row(page, 'other')
        .locator('.paused', { hasText: /^until / })
        .waitFor(SHOWN);
      // An hour from the server's time as the page reckons it (its own clock has moved on).
      const until = (await door.registry.get('other'))?.pausedUntil ?? 0;
      expect(until - door.clock.now()).toBeGreaterThanOrEqual(3_600_000);
      expect(until - door.clock.now()).toBeLessThan(3_660_000);

      await resume.click();
      await page.getByRole('button', { name: 'Pause batch' }).waitFor(SHOWN);
      expect(await status()).toBe(
        'OK - fine application [batch]| od=0.00;3;5;0;6 delay=2000ms;;;',
      );

      const remove = page.getByRole('button', { name: 'Delete batch' });
      await remove.click();
      expect(await remove.textContent()).toBe('Confirm delete');
      await remove.click();
      // DELETE /apps/:id is the admin API (open while no token is configured): the app goes.
      await expect
        .poll(() => door.registry.get('batch'), { timeout: 10_000 })
        .toBeUndefined();
    });
  });

  describe('on a server that asks for a token', () => {
    const TOKEN = 's3cret-read-token';
    let registry: HeartbeatRegistry;
    let dashboard: HeartbeatDashboardHandler;
    let server: http.Server;
    let seenAuthorization: Array<string | undefined>;

    beforeEach(async () => {
      registry = HeartbeatRegistry.create(
        { clock: new FakeHeartbeatClock() },
        { logger: { log() {}, warn() {}, error() {} } },
      );
      dashboard = new HeartbeatDashboardHandler(registry, console);
      seenAuthorization = [];
      // The dashboard's data behind a Bearer check, as a server with read tokens answers.
      server = http.createServer((req, res) => {
        const data = /^\/(dashboard\/apps|events)/.test(req.url ?? '');
        if (data) {
          seenAuthorization.push(req.headers.authorization);
          if (req.headers.authorization !== `Bearer ${TOKEN}`) {
            res.writeHead(401, { 'Content-Type': 'text/plain' });
            res.end('ERROR: a read token is needed');
            return;
          }
        }
        if (!dashboard.serve(req, res)) res.writeHead(404).end();
      });
      await new Promise<void>((resolve) =>
        server.listen(0, '127.0.0.1', resolve),
      );
    }, BROWSER_TEST_MS);
    afterEach(async () => {
      await page.goto('about:blank');
      dashboard.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await registry.close();
    }, BROWSER_TEST_MS);

    it('asks for one, keeps it in sessionStorage (never in the URL) and follows events with it', async () => {
      await registry.register('guarded', 1000);
      const { port } = server.address() as AddressInfo;
      const url = `http://127.0.0.1:${port}/`;
      await page.goto(url);
      const input = page.getByLabel('Token');
      await input.waitFor(SHOWN);
      expect(await page.locator('#token-reason').textContent()).toBe(
        'This server asks for a token to show its applications.',
      );
      // The form has the focus: type and press Enter.
      await page.keyboard.type(TOKEN);
      await page.keyboard.press('Enter');

      await row(page, 'guarded').waitFor(SHOWN);
      expect(
        await page.evaluate(() => sessionStorage.getItem('heartbeat.token')),
      ).toBe(TOKEN);
      expect(page.url()).toBe(url);
      await page.locator('#connection', { hasText: 'Live' }).waitFor(SHOWN);

      await registry.register('arrived-live', 1000);
      await row(page, 'arrived-live').waitFor(SHOWN);
      expect(seenAuthorization).toContain(`Bearer ${TOKEN}`);
      expect(await page.locator('#token-form').isHidden()).toBe(true);
    });
  });
});
