import { Logger } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  HEARTBEAT_CLOCK,
  HEARTBEAT_STORE,
} from '../nest/heartbeat.constants.js';
import { HeartbeatModule } from '../nest/heartbeat.module.js';
import type { HeartbeatStore } from '../interfaces/heartbeat-store.interface.js';
import { HeartbeatError } from '../core/errors.js';
import { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import { FakeHeartbeatClock } from '../testing/fake-heartbeat.clock.js';
import { HeartbeatHealthIndicator } from './heartbeat.health.js';

describe('HeartbeatHealthIndicator', () => {
  let moduleRef: TestingModule;
  let indicator: HeartbeatHealthIndicator;
  let registry: HeartbeatRegistry;
  let clock: FakeHeartbeatClock;

  beforeEach(async () => {
    clock = new FakeHeartbeatClock();
    moduleRef = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        TerminusModule.forRoot({ logger: false }),
        HeartbeatModule.forRoot({ isGlobal: true }),
      ],
      providers: [HeartbeatHealthIndicator],
    })
      .overrideProvider(HEARTBEAT_CLOCK)
      .useValue(clock)
      .compile();
    indicator = moduleRef.get(HeartbeatHealthIndicator);
    registry = moduleRef.get(HeartbeatRegistry);
  });
  afterEach(async () => {
    await moduleRef.close();
    vi.restoreAllMocks();
  });

  it.each([
    [0, 'up', 'OK'],
    [2999, 'up', 'OK'],
    [3000, 'degraded', 'WARNING'],
    [5000, 'down', 'CRITICAL'],
  ])(
    'at %i ms after a heartbeat (T = 1000) app X is %s',
    async (ms, status, state) => {
      await registry.register('x', 0);
      clock.advance(ms);
      expect(await indicator.isNotCritical('x', 'x')).toEqual({
        x: { status, appId: 'x', state, od: ms / 1000 },
      });
    },
  );

  it('is down for an invalid ID, and for every check while the store cannot be reached', async () => {
    expect(await indicator.isNotCritical('bad', 'a\nb')).toEqual({
      bad: {
        status: 'down',
        appId: 'a\nb',
        message: 'appid contains a control character',
      },
    });
    const store = moduleRef.get<HeartbeatStore>(HEARTBEAT_STORE);
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => {});
    vi.spyOn(store, 'get').mockRejectedValue(new Error('ECONNREFUSED'));
    vi.spyOn(store, 'list').mockRejectedValue(new Error('ECONNREFUSED'));
    expect(await indicator.isNotCritical('x', 'x')).toEqual({
      x: { status: 'down', appId: 'x', message: 'store unavailable' },
    });
    expect(await indicator.noneCritical('all')).toEqual({
      all: { status: 'down', message: 'store unavailable' },
    });
  });

  it('is down while the store cannot record heartbeats, even though it answers reads', async () => {
    await registry.register('x', 0);
    const store = moduleRef.get<HeartbeatStore>(HEARTBEAT_STORE);
    vi.spyOn(store, 'upsert').mockRejectedValue(
      new HeartbeatError('unavailable', 'store unavailable'),
    );
    await expect(registry.beat('x', 0)).rejects.toThrow('store unavailable');
    const message = 'heartbeat store cannot record heartbeats';
    expect(await indicator.isNotCritical('x', 'x')).toEqual({
      x: { status: 'down', appId: 'x', message },
    });
    expect(await indicator.noneCritical('all')).toEqual({
      all: { status: 'down', message },
    });
  });
});
