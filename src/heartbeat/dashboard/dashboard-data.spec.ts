import { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import { FakeHeartbeatClock } from '../testing/fake-heartbeat.clock.js';
import {
  best,
  DASHBOARD_SORTS,
  firstPage,
  parseDashboardQuery,
  type DashboardQuery,
} from './dashboard-data.js';

const limits = { dashboardMaxPageSize: 500, maxAppIdLength: 16 };

describe('parseDashboardQuery', () => {
  it('defaults: 200 most overdue first, no filter', () => {
    expect(parseDashboardQuery('', limits)).toEqual({
      limit: 200,
      q: '',
      sort: '-od',
    });
    expect(
      parseDashboardQuery('', { ...limits, dashboardMaxPageSize: 50 }).limit,
    ).toBe(50);
  });

  it('reads limit, q (form-encoded, trimmed) and sort', () => {
    expect(
      parseDashboardQuery('limit=500&q=+web%20fr&sort=lastSeen', limits),
    ).toEqual({ limit: 500, q: 'web fr', sort: 'lastSeen' });
  });

  it.each([
    ['limit=0', 'limit must be an integer from 1 to 500, got [0]'],
    ['limit=501', 'got [501]'],
    ['limit=1.5', 'got [1.5]'],
    ['limit=-1', 'got [-1]'],
    ['limit=ten', 'got [ten]'],
    ['sort=od;drop', 'sort must be one of -od, od, id, -id'],
    [`q=${'x'.repeat(17)}`, 'q is 17 characters long, the limit is 16'],
  ])('refuses %s', (query, message) => {
    expect(() => parseDashboardQuery(query, limits)).toThrow(message);
  });
});

describe('firstPage', () => {
  let clock: FakeHeartbeatClock;
  let registry: HeartbeatRegistry;
  const query = (q: Partial<DashboardQuery> = {}): DashboardQuery => ({
    limit: 200,
    q: '',
    sort: '-od',
    ...q,
  });

  beforeEach(async () => {
    clock = new FakeHeartbeatClock();
    registry = HeartbeatRegistry.create({ clock }, { logger: console });
    // T = 2000 for all but 'fresh' (T = 11000).
    await registry.register('alpha', 1000);
    clock.advance(2000);
    await registry.register('Beta', 1000);
    clock.advance(2000);
    await registry.register('gamma', 1000);
    await registry.register('fresh', 10_000);
    clock.advance(4000); // alpha od 4 (WARNING), Beta od 3 (WARNING), gamma od 2
    await registry.beat('gamma', 1000);
    clock.advance(2000); // alpha 5 (CRITICAL), Beta 4, gamma 1, fresh 6/11
  });
  afterEach(() => registry.close());

  it('counts per state over the whole registry and sends the most overdue first', async () => {
    const page = await firstPage(registry, query());
    expect(page).toMatchObject({
      now: new Date(clock.now()).toISOString(),
      counts: { OK: 2, WARNING: 1, CRITICAL: 1 },
      total: 4,
      matched: 4,
      limit: 200,
      q: '',
      sort: '-od',
    });
    expect(page.apps.map((a) => [a.id, a.state, a.od])).toEqual([
      ['alpha', 'CRITICAL', 5],
      ['Beta', 'WARNING', 4],
      ['gamma', 'OK', 1],
      ['fresh', 'OK', 6000 / 11000],
    ]);
    expect(page.apps[0]).toEqual({
      id: 'alpha',
      state: 'CRITICAL',
      od: 5,
      timeoutMs: 1000,
      delayMs: 2000,
      lastSeen: new Date(Date.UTC(2026, 0, 1)).toISOString(),
      registeredAt: new Date(Date.UTC(2026, 0, 1)).toISOString(),
      dropsAt: new Date(Date.UTC(2026, 0, 1) + 12_000).toISOString(),
      paused: false,
      pausedAt: null,
      pausedUntil: null,
    });
  });

  it('filters by a case-insensitive part of the ID, still counting everything', async () => {
    const page = await firstPage(registry, query({ q: 'A' }));
    expect(page.apps.map((a) => a.id)).toEqual(['alpha', 'Beta', 'gamma']);
    expect(page).toMatchObject({ matched: 3, total: 4 });
    expect(page.counts).toEqual({ OK: 2, WARNING: 1, CRITICAL: 1 });
  });

  it.each([
    ['id', ['Beta', 'alpha', 'fresh', 'gamma']],
    ['-id', ['gamma', 'fresh', 'alpha', 'Beta']],
    ['-state', ['alpha', 'Beta', 'gamma', 'fresh']],
    ['state', ['gamma', 'fresh', 'Beta', 'alpha']],
    ['lastSeen', ['alpha', 'Beta', 'fresh', 'gamma']],
    ['-lastSeen', ['gamma', 'fresh', 'Beta', 'alpha']],
    ['od', ['fresh', 'gamma', 'Beta', 'alpha']],
  ] as const)('sort=%s', async (sort, ids) => {
    const page = await firstPage(registry, query({ sort }));
    expect(page.apps.map((a) => a.id)).toEqual(ids);
  });

  it('sends at most limit applications: the first ones in that order', async () => {
    const page = await firstPage(registry, query({ limit: 2 }));
    expect(page.apps.map((a) => a.id)).toEqual(['alpha', 'Beta']);
    expect(page.matched).toBe(4);
  });

  it('leaves out what reached the drop threshold, whether or not it was swept', async () => {
    clock.advance(2000); // alpha od 6: gone
    const page = await firstPage(registry, query());
    expect(page.apps.map((a) => a.id)).not.toContain('alpha');
    expect(page.total).toBe(3);
  });
});

describe('best', () => {
  it('equals sorting everything and taking the first k, for every order and k', () => {
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const items = Array.from({ length: 500 }, (_, i) => ({
      id: `app-${i}`,
      value: Math.floor(random() * 50),
    }));
    const orders = [
      (a: (typeof items)[0], b: (typeof items)[0]) =>
        a.value - b.value || (a.id < b.id ? -1 : 1),
      (a: (typeof items)[0], b: (typeof items)[0]) =>
        b.value - a.value || (a.id < b.id ? -1 : 1),
    ];
    for (const order of orders) {
      for (const k of [0, 1, 2, 10, 499, 500, 600]) {
        expect(best(items, k, order)).toEqual(
          [...items].sort(order).slice(0, k),
        );
      }
    }
  });

  it('knows every sort the page offers', () => {
    expect([...DASHBOARD_SORTS].sort()).toEqual([
      '-id',
      '-lastSeen',
      '-od',
      '-state',
      'id',
      'lastSeen',
      'od',
      'state',
    ]);
  });
});
