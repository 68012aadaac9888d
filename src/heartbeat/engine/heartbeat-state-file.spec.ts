import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HeartbeatModuleOptions } from '../interfaces/heartbeat-module-options.interface.js';
import { InMemoryHeartbeatStore } from '../stores/in-memory-heartbeat.store.js';
import { FakeHeartbeatClock } from '../testing/fake-heartbeat.clock.js';
import { createHeartbeatMiddleware } from '../express/heartbeat.middleware.js';
import { HeartbeatRegistry } from './heartbeat-registry.js';
import type { HeartbeatLogger } from './heartbeat.logger.js';

const START = Date.UTC(2025, 0, 1);

describe('HeartbeatRegistry with a state file (restarts without amnesia)', () => {
  let dir: string;
  let file: string;
  let clock: FakeHeartbeatClock;
  let lines: string[];
  let logger: HeartbeatLogger;
  const open: HeartbeatRegistry[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hb-state-'));
    file = join(dir, 'state.bin');
    clock = new FakeHeartbeatClock(START);
    lines = [];
    const log = (level: string) => (message: string) =>
      lines.push(`${level} ${message}`);
    logger = { log: log('log'), warn: log('warn'), error: log('error') };
  });
  afterEach(async () => {
    for (const registry of open.splice(0)) await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function start(options: HeartbeatModuleOptions = {}): HeartbeatRegistry {
    const registry = HeartbeatRegistry.create(
      { stateFile: file, clock, ...options },
      { logger },
    );
    open.push(registry);
    return registry;
  }

  async function stop(registry: HeartbeatRegistry): Promise<void> {
    open.splice(open.indexOf(registry), 1);
    await registry.close();
  }

  it('starts empty without a file, and says so', () => {
    const registry = start();
    expect(lines).toEqual([
      `log no state file at ${file} yet: starting with an empty registry, saved every 1000 ms`,
    ]);
    expect(registry.stateFile).toMatchObject({ restored: 0, skipped: 0 });
  });

  it('continues every app from where it stood at the stop: the downtime is not lateness', async () => {
    const before = start();
    await before.register('fine', 9000); // T = 10 s
    await before.register('late', 4000); // T = 5 s
    await before.register('critical', 1000); // T = 2 s
    clock.advance(11_000);
    // fine: od 1.1 (OK); late: od 2.2 (OK); critical: od 5.5 (CRITICAL, 1 s before its drop).
    const atStop = await before.list();
    expect(atStop.map((app) => app.state)).toEqual(['OK', 'OK', 'CRITICAL']);
    await stop(before);

    clock.advance(3_600_000); // an hour down
    const after = start();
    expect(await after.list()).toEqual(
      atStop.map((app) => ({
        ...app,
        // The same lateness; the deadlines, given in wall time, moved by the downtime.
        warnAt: app.warnAt + 3_600_000,
        critAt: app.critAt + 3_600_000,
        expiresAt: app.expiresAt + 3_600_000,
      })),
    );
    expect(after.stateFile).toMatchObject({
      restored: atStop.length,
      skipped: 0,
      downtimeMs: 3_600_000,
    });
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^log restored ${atStop.length} applications from ${file} in \\d+ ms \\(saved 2025-01-01T00:00:11\\.000Z, 3600000 ms of downtime not counted as lateness\\)$`,
      ),
    );
  });

  it('an app that was fine stays fine for exactly the time it had left; a late one is exactly as late; nothing is dropped', async () => {
    const before = start();
    await before.register('fine', 9000); // T = 10 s, WARNING at od 3 = 30 s
    await before.register('late', 4000); // T = 5 s
    clock.advance(20_000); // fine: od 2, 10 s left; late: od 4, WARNING, 10 s to its drop
    expect((await before.get('fine'))?.od).toBe(2);
    expect((await before.get('late'))?.od).toBe(4);
    await stop(before);

    clock.advance(600_000); // ten minutes down: by the wall clock both would be long gone
    const after = start();
    expect(await after.status('fine')).toBe(
      'OK - fine application [fine]| od=2.00;3;5;0;6 delay=10000ms;;;',
    );
    expect(await after.status('late')).toBe(
      'WARNING - somewhat late application [late]| od=4.00;3;5;0;6 delay=5000ms;;;',
    );
    expect(await after.status()).toBe(
      'WARNING - multiple (2) applications: [fine,late]',
    );
    // lastSeen stays the real time of the last heartbeat.
    expect((await after.get('fine'))?.lastSeen).toBe(START);
    expect(await after.sweep()).toEqual([]);
    expect(await after.counts()).toEqual({
      total: 2,
      OK: 1,
      WARNING: 1,
      CRITICAL: 0,
      paused: 0,
    });

    clock.advance(9_999);
    expect((await after.get('fine'))?.state).toBe('OK');
    clock.advance(1); // 10 s after the restart: fine reaches od 3, late od 6
    expect((await after.get('fine'))?.state).toBe('WARNING');
    expect(await after.get('late')).toBeUndefined();
    expect((await after.sweep()).map((r) => r.appId)).toEqual(['late']);
  });

  it('keeps pauses across a restart: held until resumed, or ended at their until', async () => {
    const before = start();
    await before.register('held', 1000); // T = 2 s
    await before.register('timed', 1000);
    await before.register('other', 1000);
    await before.pause('held');
    const until = clock.now() + 60_000;
    await before.pause('timed', until);
    await stop(before);

    clock.advance(30_000);
    const after = start();
    expect(await after.get('held')).toMatchObject({ paused: true, od: 0 });
    expect(await after.get('timed')).toMatchObject({
      paused: true,
      pausedUntil: until,
    });
    expect(await after.counts()).toMatchObject({ total: 3, paused: 2 });
    clock.advance(30_000); // at until
    await after.sweep();
    expect(await after.get('timed')).toMatchObject({ paused: false, od: 0 });
    expect(await after.resume('held')).toMatchObject({ paused: false, od: 0 });
  });

  it('a heartbeat after the restart refreshes the app it restored: same registration, same place in the list', async () => {
    const before = start();
    await before.register('first', 1000); // T = 2 s
    clock.advance(1000);
    await before.register('second', 1000);
    clock.advance(1000);
    await stop(before);

    clock.advance(3_600_000); // far past both drop deadlines by the wall clock
    const after = start();
    const result = await after.beat('first', 1000);
    expect(result.created).toBe(false);
    const first = await after.get('first');
    expect(first).toMatchObject({ registeredAt: START, od: 0, state: 'OK' });
    expect((await after.list()).map((app) => app.appId)).toEqual([
      'first',
      'second',
    ]);
    expect(after.counters.drops).toBe(0);
  });

  it('after a crash, loses at most what changed since the last flush, and credits the time since it', async () => {
    // No timer flush during the test, whatever the machine's speed: only the explicit one.
    const before = start({ stateFlushMs: 3_600_000 });
    await before.register('kept', 9000); // T = 10 s
    clock.advance(5000);
    await before.flushState(); // od 0.5 at the last flush
    clock.advance(5000);
    await before.register('lost', 9000); // after the last flush
    // A crash: no close(), the next process reads the file as it is.
    open.splice(open.indexOf(before), 1);

    clock.advance(120_000);
    const after = start();
    expect((await after.list()).map((app) => [app.appId, app.od])).toEqual([
      ['kept', 0.5],
    ]);
    await before.close();
  });

  it('writes the file every stateFlushMs, and a last time at close()', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const registry = start({ stateFlushMs: 50 });
      await registry.register('a', 0);
      expect(registry.stateFile?.flushes).toBe(0);
      await vi.advanceTimersByTimeAsync(50);
      await vi.waitFor(() => expect(registry.stateFile?.flushes).toBe(1));
      expect(registry.stateFile?.lastFlushBytes).toBe(
        readFileSync(file).length,
      );
      await registry.register('b', 0);
      await stop(registry);
      expect(readdirSync(dir)).toEqual(['state.bin']);
    } finally {
      vi.useRealTimers();
    }
    const after = start();
    expect((await after.list()).map((app) => app.appId)).toEqual(['a', 'b']);
  });

  it('a flush asked for after close() leaves the last save alone', async () => {
    const registry = start();
    await registry.register('kept', 0);
    await stop(registry);
    const saved = readFileSync(file);
    await registry.flushState();
    expect(readFileSync(file)).toEqual(saved);
  });

  it('closing the Express middleware writes the file too', async () => {
    const before = createHeartbeatMiddleware({
      stateFile: file,
      clock,
      logger,
    });
    await before.registry.register('via-express', 0);
    await before.close();
    const after = start();
    expect(await after.get('via-express')).toBeDefined();
  });

  it('a damaged file: starts with what it can read, sets the file aside, says what it skipped in one line', async () => {
    const before = start({ stateFlushBatchSize: 1 });
    for (const id of ['a', 'b', 'c']) await before.register(id, 0);
    await stop(before);
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 30)); // cut inside the last block
    lines.length = 0;

    const after = start();
    expect((await after.list()).map((app) => app.appId)).toEqual(['a', 'b']);
    const aside = readdirSync(dir).filter((name) => name !== 'state.bin');
    expect(aside).toEqual([
      `state.bin.corrupt-${new Date(clock.now()).toISOString().replace(/[:.]/g, '-')}`,
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^warn state file ${file}: restored 2 applications in \\d+ ms \\(.*\\); skipped everything after that: the file ends at byte \\d+, inside a block \\(cut short\\); kept the file as ${join(dir, aside[0]!)}$`,
      ),
    );
    expect(after.stateFile).toMatchObject({
      restored: 2,
      setAsideAs: join(dir, aside[0]!),
    });
    // The next flush writes a whole file again.
    await after.flushState();
    await stop(after);
    expect((await start().list()).length).toBe(2);
  });

  it.each([
    ['a foreign file', Buffer.from('host=db1\nport=5432\n')],
    ['an empty file', Buffer.alloc(0)],
  ])('%s is set aside and the server starts empty', async (_, content) => {
    writeFileSync(file, content);
    const registry = start();
    expect(await registry.list()).toEqual([]);
    const aside = readdirSync(dir).filter((name) => name !== 'state.bin');
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]!))).toEqual(content);
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^warn state file ${file} unreadable \\(.+\\): kept as ${join(dir, aside[0]!)}, starting with an empty registry$`,
        ),
      ),
    ]);
  });

  it('records beyond maxApps are skipped and counted, the file kept aside', async () => {
    const before = start();
    for (const id of ['a', 'b', 'c']) await before.register(id, 0);
    await stop(before);
    const after = start({ maxApps: 2 });
    expect(after.stateFile).toMatchObject({ restored: 2, skipped: 1 });
    expect(lines.at(-1)).toMatch(/skipped 1 records beyond maxApps \(2\)/);
  });

  it('refuses a directory that does not exist, naming the path', () => {
    const path = join(dir, 'missing', 'state.bin');
    expect(() => start({ stateFile: path })).toThrow(
      `cannot use the state file ${path}: its directory is not writable (ENOENT)`,
    );
  });

  it('refuses a directory it cannot write, naming the path', () => {
    if (process.getuid?.() === 0) return; // root writes anywhere
    chmodSync(dir, 0o500);
    try {
      expect(() => start({ stateFile: join(dir, 'nested.bin') })).toThrow(
        `cannot use the state file ${join(dir, 'nested.bin')}: its directory is not writable (EACCES)`,
      );
    } finally {
      chmodSync(dir, 0o700);
    }
  });

  it('refuses a store that keeps its own records (Redis), naming the option', () => {
    const store = Object.assign(Object.create(null) as object, {
      upsert: () => Promise.reject(new Error('unused')),
    });
    expect(
      () =>
        new HeartbeatRegistry(
          { ...HeartbeatRegistry.create().options, stateFile: file },
          store as never,
          clock,
          logger,
        ),
    ).toThrow(
      `invalid heartbeat option stateFile=${JSON.stringify(file)}: a state file keeps the in-memory registry`,
    );
    // The in-memory store is fine, given or not.
    expect(() => start({ store: new InMemoryHeartbeatStore() })).not.toThrow();
  });

  it('a failing flush is logged once, retried, and leaves the previous file in place', async () => {
    const registry = start();
    await registry.register('a', 0);
    await registry.flushState();
    const saved = readFileSync(file);
    // The temporary file's place taken by a directory: the next writes fail.
    const blocker = `${file}.tmp`;
    mkdirSync(blocker);
    await registry.register('b', 0);
    await expect(registry.flushState()).rejects.toThrow(/EISDIR/);
    expect(registry.stateFile?.failedFlushes).toBe(1);
    expect(readFileSync(file)).toEqual(saved);
    rmSync(blocker, { recursive: true });
    await registry.flushState();
    expect(readFileSync(file)).not.toEqual(saved);
  });
});
