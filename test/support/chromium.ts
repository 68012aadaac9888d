import { existsSync } from 'node:fs';
import {
  chromium,
  type Browser,
  type ConsoleMessage,
  type Dialog,
  type Locator,
  type Page,
} from 'playwright-core';

/** Debian's `chromium` package; never a downloaded browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Whether the system's Chromium is installed. */
export const chromiumAvailable = existsSync(CHROMIUM_PATH);

/** Time for one browser test: a real browser on a shared machine. */
export const BROWSER_TEST_MS = 60_000;

/** How long the page may take to show what the server did (a live update, a reconnection). */
export const SHOWN = { timeout: 15_000 };

/**
 * `describe` for suites that drive a real browser. Without Chromium they are skipped, loudly,
 * naming the suite and the cause; under `CI=true` a missing Chromium is a failure, never a silent
 * skip (`.ci/run` installs it).
 */
export function describeWithChromium(name: string, suite: () => void): void {
  if (chromiumAvailable) {
    describe(name, { timeout: BROWSER_TEST_MS }, suite);
    return;
  }
  const cause = `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs Chromium', () => {
        throw new Error(`CI=true but ${cause}: "${name}" cannot run`);
      });
    });
    return;
  }
  console.warn(`SKIPPED (${cause}): ${name}`);
  describe.skip(`${name} [skipped: ${cause}]`, suite);
}

/** Headless Chromium, quiet: no first-run work, no background requests, no sandbox (containers). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The table row of an application, found by its row header (the ID, as text). */
export function row(page: Page, id: string): Locator {
  return page.locator('#rows tr').filter({
    has: page.getByRole('rowheader', { name: id, exact: true }),
  });
}

/**
 * Collects what a test must notice on a page: dialogs (dismissed), script errors and console
 * errors. `stop()` stops listening and returns them.
 */
export function watch(page: Page): {
  stop(): { dialogs: string[]; errors: string[] };
} {
  const seen = { dialogs: [] as string[], errors: [] as string[] };
  const onDialog = (dialog: Dialog) => {
    seen.dialogs.push(dialog.message());
    void dialog.dismiss();
  };
  const onError = (error: Error) => seen.errors.push(error.message);
  const onConsole = (message: ConsoleMessage) => {
    if (message.type() === 'error') seen.errors.push(message.text());
  };
  page.on('dialog', onDialog);
  page.on('pageerror', onError);
  page.on('console', onConsole);
  return {
    stop() {
      page.off('dialog', onDialog);
      page.off('pageerror', onError);
      page.off('console', onConsole);
      return seen;
    },
  };
}
