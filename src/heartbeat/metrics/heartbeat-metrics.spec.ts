import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test, type TestingModule } from '@nestjs/testing';
import { Registry } from 'prom-client';
import {
  HEARTBEAT_CLOCK,
  HEARTBEAT_STORE,
} from '../nest/heartbeat.constants.js';
import type { HeartbeatStore } from '../interfaces/heartbeat-store.interface.js';
import { HeartbeatModule } from '../nest/heartbeat.module.js';
import { HeartbeatError } from '../core/errors.js';
import { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import { FakeHeartbeatClock } from '../testing/fake-heartbeat.clock.js';
import { registerHeartbeatMetrics } from './heartbeat-metrics.js';

/**
 * The metrics a document's `## Metrics (Prometheus)` table lists, as `name{labels} type`: names in
 * the first column (several in one cell share its type, or take one type each).
 */
function documentedMetrics(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf('\n## Metrics (Prometheus)\n');
  const section = text.slice(start, text.indexOf('\n## ', start + 1));
  return section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .flatMap((line) => {
      const [, names = '', types = ''] = line.split('|').map((c) => c.trim());
      const typeList = types.split(/,\s*/);
      return [...names.matchAll(/`(heartbeat_\w+)(?:\{(\w+)\})?`/g)].map(
        ([, name, label = ''], i) =>
          `${name}{${label}} ${typeList.length === 1 ? typeList[0] : typeList[i]}`,
      );
    })
    .sort();
}

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
  afterEach(async () => {
    await moduleRef.close();
    vi.restoreAllMocks();
  });

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
    expect(lines).toContain('heartbeat_store_up 1');
  });

  it('counts inits, pings, dones, drops and rejections as counters', async () => {
    registerHeartbeatMetrics(registry, { register });
    await registry.register('a', 0);
    await registry.beat('a', 0);
    await registry.beat('b', 0);
    await registry.deregister('b');
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

  it('registers exactly the metrics the README and docs/integrations.md list, with their types and labels', async () => {
    const webhooks = {
      queued: 0,
      counters: {
        delivered: 0,
        failed: 0,
        dropped: 0,
        attempts: 0,
        skipped: 0,
      },
    };
    registerHeartbeatMetrics(registry, { register, webhooks });
    await registry.register('a', 0); // so that the per-app series have their label
    const registered = (await register.getMetricsAsJSON())
      .map(({ name, type, values }) => {
        const labels = new Set(values.flatMap((v) => Object.keys(v.labels)));
        return `${name}{${[...labels].join(',')}} ${type}`;
      })
      .sort();
    const root = join(import.meta.dirname, '..', '..', '..');
    expect(documentedMetrics(join(root, 'README.md'))).toEqual(registered);
    expect(documentedMetrics(join(root, 'docs', 'integrations.md'))).toEqual(
      registered,
    );
  });

  it('counts token refusals by reason, and webhook deliveries when given the dispatcher', async () => {
    const guarded = HeartbeatRegistry.create({
      clock,
      auth: { ping: ['p::1'], read: ['r'] },
    });
    const { access } = guarded;
    const webhooks = {
      queued: 2,
      counters: {
        delivered: 3,
        failed: 1,
        dropped: 0,
        attempts: 7,
        skipped: 0,
      },
    };
    registerHeartbeatMetrics(guarded, { register, webhooks });
    expect(() => access.authorize('read', [])).toThrow();
    expect(() => access.authorize('read', ['p'])).toThrow();
    const grant = access.authorize('ping', ['p']);
    await guarded.register('x', 0);
    await access.reserve(grant, 'x');
    await expect(access.reserve(grant, 'y')).rejects.toThrow();
    expect(await scrape()).toEqual(
      expect.arrayContaining([
        'heartbeat_auth_refusals_total{reason="unauthorized"} 1',
        'heartbeat_auth_refusals_total{reason="forbidden"} 1',
        'heartbeat_auth_refusals_total{reason="quota"} 1',
        'heartbeat_webhook_deliveries_total{outcome="delivered"} 3',
        'heartbeat_webhook_deliveries_total{outcome="failed"} 1',
        'heartbeat_webhook_deliveries_total{outcome="dropped"} 0',
        'heartbeat_webhook_attempts_total 7',
        'heartbeat_webhook_queued 2',
      ]),
    );
    webhooks.counters.delivered = 4;
    expect(await scrape()).toContain(
      'heartbeat_webhook_deliveries_total{outcome="delivered"} 4',
    );
    await guarded.close();
  });

  it('caps per-app series, keeping the most overdue apps', async () => {
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

  it('keeps the most overdue apps whatever their order, and can turn per-app series off', async () => {
    registerHeartbeatMetrics(registry, { register, maxAppSeries: 3 });
    // Registration order unrelated to lateness: T = 1000 * (1 + (i * 7) % 20).
    for (let i = 0; i < 20; i++) {
      await registry.register(`app-${i}`, 1000 * ((i * 7) % 20));
    }
    clock.advance(2000);
    const series = (await scrape()).filter((l) =>
      l.startsWith('heartbeat_app_delay_ms{'),
    );
    expect(series).toEqual([
      'heartbeat_app_delay_ms{app="app-0"} 1000',
      'heartbeat_app_delay_ms{app="app-3"} 2000',
      'heartbeat_app_delay_ms{app="app-6"} 3000',
    ]);
    expect(await scrape()).toContain('heartbeat_app_series_omitted 17');

    const none = new Registry();
    registerHeartbeatMetrics(registry, { register: none, maxAppSeries: 0 });
    const lines = (await none.metrics()).split('\n');
    expect(
      lines.filter((l) => l.startsWith('heartbeat_app_delay_ms{')),
    ).toEqual([]);
    expect(lines).toContain('heartbeat_app_series_omitted 20');
  });

  it('still answers while the store is down: counters kept, store_up 0, no stale gauges', async () => {
    const store = moduleRef.get<HeartbeatStore>(HEARTBEAT_STORE);
    registerHeartbeatMetrics(registry, { register });
    await registry.register('a', 0);
    expect(await scrape()).toContain('heartbeat_apps{state="OK"} 1');
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => {});
    vi.spyOn(store, 'counts').mockRejectedValue(new Error('connection lost'));
    await new Promise((resolve) => setImmediate(resolve)); // a later scrape
    const lines = await scrape();
    expect(lines).toContain('heartbeat_store_up 0');
    expect(lines).toContain('heartbeat_inits_total 1');
    expect(
      lines.filter((l) => /^heartbeat_app(s\{|_overdue|_delay)/.test(l)),
    ).toEqual([]);
    // Gauges without labels always have a value: 0, beside store_up 0 that says why.
    expect(lines).toContain('heartbeat_apps_paused 0');
  });

  it('counts the apps an operator paused', async () => {
    registerHeartbeatMetrics(registry, { register });
    await registry.register('a', 0);
    await registry.register('b', 0);
    await registry.pause('a');
    const lines = await scrape();
    expect(lines).toContain('heartbeat_apps_paused 1');
    expect(lines).toContain('heartbeat_apps{state="OK"} 2');
  });

  it('says store_up 0 while the store answers reads but cannot record heartbeats', async () => {
    const store = moduleRef.get<HeartbeatStore>(HEARTBEAT_STORE);
    registerHeartbeatMetrics(registry, { register });
    await registry.register('a', 0);
    vi.spyOn(store, 'upsert').mockRejectedValue(
      new HeartbeatError('unavailable', 'store unavailable'),
    );
    await expect(registry.beat('a', 0)).rejects.toThrow('store unavailable');
    const lines = await scrape();
    expect(lines).toContain('heartbeat_store_up 0');
    // What is shown is the apps as they were when heartbeats stopped being recorded.
    clock.advance(60_000);
    await new Promise((resolve) => setImmediate(resolve)); // a later scrape
    expect(await scrape()).toContain('heartbeat_apps{state="OK"} 1');
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
