import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStandalone } from './support/build-standalone.js';
import {
  startStandalone,
  type StandaloneProcess,
} from './support/standalone-process.js';

/** Each test starts a few processes; on a busy machine that alone may take seconds. */
const PROCESS_TEST_MS = 60_000;

/** HB_STATE_FILE on the compiled standalone server, as a real process stopped and killed. */
describe('standalone server with HB_STATE_FILE (node dist/main.js)', () => {
  let build: ReturnType<typeof buildStandalone>;
  let dir: string;
  let file: string;
  const running: StandaloneProcess[] = [];

  beforeAll(() => {
    build = buildStandalone();
  }, 120_000);
  afterAll(() => build?.cleanup());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hb-state-e2e-'));
    file = join(dir, 'registry.state');
  });
  afterEach(async () => {
    for (const server of running.splice(0)) await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(
    env: Record<string, string> = {},
  ): Promise<StandaloneProcess> {
    const server = await startStandalone(build.main, {
      HB_STATE_FILE: file,
      HB_DASHBOARD: 'false',
      ...env,
    });
    running.push(server);
    return server;
  }

  async function stop(
    server: StandaloneProcess,
    signal: NodeJS.Signals,
  ): Promise<{ code: number | null; signal: string | null }> {
    running.splice(running.indexOf(server), 1);
    return server.stop(signal);
  }

  async function get(server: StandaloneProcess, path: string): Promise<string> {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status).toBe(200);
    return response.text();
  }

  it(
    'SIGTERM, then a restart: every app is back, as late as it was',
    async () => {
      // No timer flush in this test: what survives is the last save of the graceful stop.
      const first = await start({ HB_STATE_FLUSH_MS: '3600000' });
      expect(first.output()).toContain(
        `no state file at ${file} yet: starting with an empty registry`,
      );
      // TIMEOUT of an hour: a restart of any length in this test keeps them OK.
      for (const id of ['billing', 'kiosk/7', 'Ünïcödé 🚀'])
        await get(first, `/hb_init?3600000&appid=${encodeURIComponent(id)}`);
      expect(await get(first, '/list')).toBe('billing\nkiosk/7\nÜnïcödé 🚀\n');
      expect(await stop(first, 'SIGTERM')).toEqual({ code: 0, signal: null });
      expect(readdirSync(dir)).toEqual(['registry.state']);

      const second = await start({ HB_STATE_FLUSH_MS: '3600000' });
      expect(second.output()).toMatch(
        new RegExp(
          `restored 3 applications from ${file} in \\d+ ms \\(saved \\S+, \\d+ ms of downtime not counted as lateness\\)`,
        ),
      );
      expect(await get(second, '/list')).toBe('billing\nkiosk/7\nÜnïcödé 🚀\n');
      expect(await get(second, '/status?appid=billing')).toMatch(
        /^OK - fine application \[billing\]\| od=0\.00;3;5;0;6 delay=3601000ms;;;$/,
      );
      // A ping refreshes the restored app; no new registration.
      expect(await get(second, '/hb_ping?3600000&appid=kiosk%2F7')).toBe(
        '3601000',
      );
      expect(await get(second, '/list')).toBe('billing\nkiosk/7\nÜnïcödé 🚀\n');
      expect(await stop(second, 'SIGTERM')).toEqual({ code: 0, signal: null });
    },
    PROCESS_TEST_MS,
  );

  it(
    'SIGKILL, then a restart: what the last flush saved is back, only what came after it is lost',
    async () => {
      const first = await start({ HB_STATE_FLUSH_MS: '50' });
      await get(first, '/hb_init?3600000&appid=saved-before-the-crash');
      // The timer's flush has written it (no sleeping on time: the file is read until it has).
      await vi.waitFor(
        () =>
          expect(
            existsSync(file) &&
              readFileSync(file).includes('saved-before-the-crash'),
          ).toBe(true),
        { timeout: 20_000, interval: 20 },
      );
      expect((await stop(first, 'SIGKILL')).signal).toBe('SIGKILL');

      // This one never flushes on its timer: a crash loses everything since its start.
      const second = await start({ HB_STATE_FLUSH_MS: '3600000' });
      expect(await get(second, '/list')).toBe('saved-before-the-crash\n');
      await get(second, '/hb_init?3600000&appid=after-the-last-flush');
      expect((await stop(second, 'SIGKILL')).signal).toBe('SIGKILL');

      const third = await start();
      expect(await get(third, '/list')).toBe('saved-before-the-crash\n');
      expect(await get(third, '/status?appid=saved-before-the-crash')).toMatch(
        /^OK - fine application/,
      );
    },
    PROCESS_TEST_MS,
  );

  it(
    'a corrupt file is set aside, the server starts and says so in one line',
    async () => {
      writeFileSync(file, 'this is not a heartbeat state file\n');
      const server = await start();
      const aside = readdirSync(dir).filter((name) =>
        name.startsWith('registry.state.corrupt-'),
      );
      expect(aside).toHaveLength(1);
      expect(readFileSync(join(dir, aside[0]!), 'utf8')).toBe(
        'this is not a heartbeat state file\n',
      );
      const lines = server
        .output()
        .split('\n')
        .filter((line) => line.includes('state file'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(
        `state file ${file} unreadable (not a heartbeat state file (no state file header)): kept as ${join(dir, aside[0]!)}, starting with an empty registry`,
      );
      expect(await get(server, '/list')).toBe('');
      await get(server, '/hb_init?0&appid=after');
      expect(await stop(server, 'SIGTERM')).toEqual({ code: 0, signal: null });

      // What it saved since then is a whole file again.
      const again = await start();
      expect(await get(again, '/list')).toBe('after\n');
    },
    PROCESS_TEST_MS,
  );

  it(
    'a file cut short: the server starts with what it could read',
    async () => {
      const first = await start({ HB_STATE_FLUSH_BATCH_SIZE: '1' });
      for (const id of ['one', 'two', 'three'])
        await get(first, `/hb_init?3600000&appid=${id}`);
      await stop(first, 'SIGTERM');
      const bytes = readFileSync(file);
      writeFileSync(file, bytes.subarray(0, bytes.length - 24));

      const second = await start();
      expect(await get(second, '/list')).toBe('one\ntwo\n');
      expect(second.output()).toMatch(
        /state file .*: restored 2 applications in \d+ ms \(.*\); skipped everything after that: the file ends at byte \d+, inside a block \(cut short\); kept the file as .*registry\.state\.corrupt-/,
      );
    },
    PROCESS_TEST_MS,
  );

  it(
    'with Redis, HB_STATE_FILE is refused by name: Redis keeps the registry itself',
    async () => {
      await expect(start({ REDIS_URL: 'redis://127.0.0.1:1' })).rejects.toThrow(
        `heartbeat: cannot start: HB_STATE_FILE=${file} is for the in-memory registry, but REDIS_URL keeps it in Redis, which persists it itself: unset HB_STATE_FILE`,
      );
      running.splice(0);
      expect(readdirSync(dir)).toEqual([]);
    },
    PROCESS_TEST_MS,
  );
});
