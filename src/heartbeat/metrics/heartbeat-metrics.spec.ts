import { ScheduleModule } from '@nestjs/schedule';
import { Test, type TestingModule } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { HEARTBEAT_CLOCK } from '../heartbeat.constants.js';
import { HeartbeatModule } from '../heartbeat.module.js';
import { HeartbeatRegistry } from '../registry/heartbeat-registry.service.js';
import { FakeHeartbeatClock } from '../testing/fake-heartbeat.clock.js';
import { registerHeartbeatMetrics } from './heartbeat-metrics.js';

describe('registerHeartbeatMetrics', () => {
  let moduleRef: TestingModule;
  let registry: HeartbeatRegistry;
  let clock: FakeHeartbeatClock;
  let register: Registry;

  beforeEach(async () => {
    clock = new FakeHeartbeatClock();
    moduleRef = await Test.createTestingModule({
      imports: [ScheduleModule.forRoot(), HeartbeatModule.forRoot({})],
    })
      .overrideProvider(HEARTBEAT_CLOCK)
      .useValue(clock)
      .compile();
    registry = moduleRef.get(HeartbeatRegistry);
    register = new Registry();
  });
  afterEach(() => moduleRef.close());

  const scrape = async () => (await register.metrics()).split('\n');

  it('exposes apps per state and per-app series on the given registry', async () => {
    registerHeartbeatMetrics(registry, { register });
    await registry.register('ok', 60_000);
    await registry.register('late', 0); // T = 1000
    clock.advance(3500);
    const lines = await scrape();
    expect(lines).toContain('heartbeat_apps{state="OK"} 1');
    expect(lines).toContain('heartbeat_apps{state="WARNING"} 1');
    expect(lines).toContain('heartbeat_apps{state="CRITICAL"} 0');
    expect(lines).toContain('heartbeat_app_overdue_ratio{app="late"} 3.5');
    expect(lines).toContain('heartbeat_app_delay_ms{app="ok"} 61000');
    expect(lines).toContain('heartbeat_app_series_omitted 0');
  });

  it('counts inits, pings, dones, drops and rejections as counters', async () => {
    registerHeartbeatMetrics(registry, { register });
    await registry.execute('hb_init', { query: '0&appid=a' });
    await registry.execute('hb_ping', { query: '0&appid=a' });
    await registry.execute('hb_ping', { query: '0&appid=b' });
    await registry.execute('hb_done', { query: 'appid=b' });
    registry.recordRejection();
    clock.advance(6000);
    await registry.sweep();
    expect(await scrape()).toEqual(
      expect.arrayContaining([
        'heartbeat_inits_total 1',
        'heartbeat_pings_total 2',
        'heartbeat_dones_total 1',
        'heartbeat_drops_total 1',
        'heartbeat_rejected_requests_total 1',
      ]),
    );
    // Counters only grow, scrape after scrape.
    await registry.beat('c');
    expect(await scrape()).toContain('heartbeat_pings_total 3');
  });

  it('caps per-app series, keeping the latest apps', async () => {
    registerHeartbeatMetrics(registry, { register, maxAppSeries: 2 });
    await registry.register('fresh', 60_000);
    await registry.register('later', 1000);
    await registry.register('latest', 0);
    clock.advance(2000);
    const lines = (await scrape()).filter((l) =>
      l.startsWith('heartbeat_app_overdue_ratio{'),
    );
    expect(lines).toEqual([
      'heartbeat_app_overdue_ratio{app="latest"} 2',
      'heartbeat_app_overdue_ratio{app="later"} 1',
    ]);
    expect(await scrape()).toContain('heartbeat_app_series_omitted 1');
  });

  it('unregisters what it registered', async () => {
    const metrics = registerHeartbeatMetrics(registry, {
      register,
      prefix: 'hb_',
    });
    expect(register.getMetricsAsArray().map((m) => m.name)).toContain(
      'hb_apps',
    );
    metrics.unregister();
    expect(register.getMetricsAsArray()).toEqual([]);
  });
});
