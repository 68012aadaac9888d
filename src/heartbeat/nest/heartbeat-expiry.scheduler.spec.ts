import { HeartbeatError } from '../core/errors.js';
import { Logger } from '@nestjs/common';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import {
  HEARTBEAT_CLOCK,
  HEARTBEAT_EXPIRY_INTERVAL,
} from './heartbeat.constants.js';
import { HeartbeatModule } from './heartbeat.module.js';
import { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import { FakeHeartbeatClock } from '../testing/fake-heartbeat.clock.js';
import { HeartbeatExpiryScheduler } from './heartbeat-expiry.scheduler.js';

describe('HeartbeatExpiryScheduler', () => {
  async function createApp(sweepIntervalMs = 500) {
    const clock = new FakeHeartbeatClock();
    const moduleRef = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        HeartbeatModule.forRoot({ sweepIntervalMs }),
      ],
    })
      .overrideProvider(HEARTBEAT_CLOCK)
      .useValue(clock)
      .compile();
    await moduleRef.init();
    return { moduleRef, clock };
  }

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('registers a named interval with the configured period and removes it at shutdown', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { moduleRef, clock } = await createApp(500);
    const schedulerRegistry = moduleRef.get(SchedulerRegistry);
    expect(schedulerRegistry.getIntervals()).toEqual([
      HEARTBEAT_EXPIRY_INTERVAL,
    ]);

    const registry = moduleRef.get(HeartbeatRegistry);
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
    await registry.register('gone', 0);
    clock.advance(6000);
    const sweep = vi.spyOn(registry, 'sweep');
    await vi.advanceTimersByTimeAsync(499);
    expect(sweep).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(sweep).toHaveBeenCalledTimes(1);
    expect(await registry.list()).toEqual([]);

    await moduleRef.close();
    expect(
      schedulerRegistry.doesExist('interval', HEARTBEAT_EXPIRY_INTERVAL),
    ).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('skips a tick while the previous sweep is still running', async () => {
    const { moduleRef } = await createApp();
    const registry = moduleRef.get(HeartbeatRegistry);
    let release!: () => void;
    const sweep = vi
      .spyOn(registry, 'sweep')
      .mockImplementation(
        () => new Promise((resolve) => (release = () => resolve([]))),
      );
    const scheduler = moduleRef.get(HeartbeatExpiryScheduler);
    const first = scheduler.tick();
    await scheduler.tick();
    expect(sweep).toHaveBeenCalledTimes(1);
    release();
    await first;
    await moduleRef.close();
  });

  it('logs and survives a failing sweep', async () => {
    const { moduleRef } = await createApp();
    const error = vi
      .spyOn(Logger.prototype, 'error')
      .mockImplementation(() => {});
    vi.spyOn(moduleRef.get(HeartbeatRegistry), 'sweep').mockRejectedValue(
      new Error('boom'),
    );
    await expect(
      moduleRef.get(HeartbeatExpiryScheduler).tick(),
    ).resolves.toBeUndefined();
    expect(error).toHaveBeenCalledWith(
      expect.stringContaining('expiry sweep failed: Error: boom'),
    );
    await moduleRef.close();
  });

  it('leaves a store outage to the store: no error line per tick', async () => {
    const { moduleRef } = await createApp();
    const error = vi
      .spyOn(Logger.prototype, 'error')
      .mockImplementation(() => {});
    vi.spyOn(moduleRef.get(HeartbeatRegistry), 'sweep').mockRejectedValue(
      new HeartbeatError('unavailable', 'store unavailable'),
    );
    const scheduler = moduleRef.get(HeartbeatExpiryScheduler);
    for (let i = 0; i < 5; i++) await scheduler.tick();
    expect(error).not.toHaveBeenCalled();
    await moduleRef.close();
  });

  it('tells the host to import ScheduleModule.forRoot() when it is missing', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [HeartbeatModule.forRoot({})],
    }).compile();
    await expect(moduleRef.init()).rejects.toThrow(
      'HeartbeatModule needs SchedulerRegistry: import ScheduleModule.forRoot() once in your root module',
    );
  });

  it('says what to do instead when forRoot() is imported twice', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        HeartbeatModule.forRoot({}),
        HeartbeatModule.forRoot({ toleranceMs: 5 }),
      ],
    }).compile();
    await expect(moduleRef.init()).rejects.toThrow(
      'HeartbeatModule.forRoot() is imported twice in one application',
    );
    await moduleRef.close();
  });
});
