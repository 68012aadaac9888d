import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import request from 'supertest';
import {
  HEARTBEAT_EXPIRY_INTERVAL,
  HEARTBEAT_STORE,
  HeartbeatExpiryScheduler,
  type HeartbeatStore,
} from '../src/heartbeat/index.js';
import {
  createHeartbeatApp,
  type HeartbeatTestApp,
} from './support/create-heartbeat-app.js';
import { PLATFORMS } from './support/platforms.js';

describe.each(PLATFORMS)('expiry on $name', (platform) => {
  let t: HeartbeatTestApp;
  let store: HeartbeatStore;

  beforeEach(async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
    t = await createHeartbeatApp(platform, {
      heartbeat: { sweepIntervalMs: 60_000 },
    });
    store = t.app.get(HEARTBEAT_STORE);
  });
  afterEach(async () => {
    await t.app.close();
    vi.restoreAllMocks();
  });

  it('a dropped app is absent from every query before the sweep removes it', async () => {
    await request(t.server).get('/hb_init?0&appid=Gone').expect(200); // T = 1000
    await request(t.server).get('/hb_init?60000&appid=Stays').expect(200);
    t.clock.advance(5999);
    expect((await request(t.server).get('/list')).text).toBe('Gone\nStays\n');

    t.clock.advance(1); // od(Gone) = 6
    expect(await store.count()).toBe(2); // not swept yet
    expect((await request(t.server).get('/list')).text).toBe('Stays\n');
    expect((await request(t.server).get('/status')).text).toMatch(
      /^OK - fine application \[Stays\]/,
    );
    expect((await request(t.server).get('/status?appid=Gone')).text).toBe(
      'CRITICAL - no application record for queried ID: [Gone]',
    );

    await t.app.get(HeartbeatExpiryScheduler).tick();
    expect(await store.count()).toBe(1);
    expect((await request(t.server).get('/list')).text).toBe('Stays\n');
  });

  it('a ping in time keeps an app alive', async () => {
    await request(t.server).get('/hb_init?0&appid=Steady');
    for (let i = 0; i < 10; i++) {
      t.clock.advance(5000);
      await request(t.server).get('/hb_ping?0&appid=Steady').expect(200);
      await t.app.get(HeartbeatExpiryScheduler).tick();
    }
    expect((await request(t.server).get('/status')).text).toMatch(/^OK /);
  });
});

describe.each(PLATFORMS)('shutdown on $name', (platform) => {
  afterEach(() => vi.useRealTimers());

  it('leaves no interval or timer behind', async () => {
    // Fake interval functions count the (unref()ed) expiry interval, which process handles do not.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const t = await createHeartbeatApp(platform);
    const schedulerRegistry = t.app.get(SchedulerRegistry);
    expect(
      schedulerRegistry.doesExist('interval', HEARTBEAT_EXPIRY_INTERVAL),
    ).toBe(true);
    expect(vi.getTimerCount()).toBe(1);
    await request(t.server).get('/hb_init?0&appid=x').expect(200);
    await t.app.close();
    expect(
      schedulerRegistry.doesExist('interval', HEARTBEAT_EXPIRY_INTERVAL),
    ).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
