import { Logger } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Cluster } from 'ioredis';
import request from 'supertest';
import {
  HeartbeatExpiryScheduler,
  HeartbeatModule,
  HeartbeatRegistry,
  HeartbeatStateChangedEvent,
  type HeartbeatStore,
} from '../src/heartbeat/index.js';
import { RedisHeartbeatStore } from '../src/heartbeat/redis/index.js';
import { FakeHeartbeatClock } from '../src/heartbeat/testing/index.js';
import {
  createHeartbeatApp,
  type HeartbeatTestApp,
} from './support/create-heartbeat-app.js';
import { runHeartbeatStoreContract } from '../src/heartbeat/testing/index.js';
import { PLATFORMS } from './support/platforms.js';
import { eventually } from './support/private-redis.js';
import {
  describeWithRedisCluster,
  PrivateRedisCluster,
} from './support/redis-cluster.js';
import { uniquePrefix } from './support/redis.js';

async function ready<T extends HeartbeatStore>(store: T): Promise<T> {
  // The store fails fast until the cluster client has loaded the slots.
  await eventually(
    () =>
      store.count().then(
        () => true,
        () => false,
      ),
    'store connected to the cluster',
  );
  return store;
}

/** One private 3-master cluster for the whole file: started once, stopped at the end. */
describeWithRedisCluster('Redis Cluster (3 masters)', () => {
  let cluster: PrivateRedisCluster;
  let shared: Cluster;

  beforeAll(async () => {
    cluster = await PrivateRedisCluster.start();
    shared = new Cluster(cluster.nodes, { enableAutoPipelining: true });
  }, 60_000);
  afterAll(async () => {
    await shared?.quit();
    await cluster?.stop();
  });

  describe('the store contract, on a client the store borrows', () => {
    runHeartbeatStoreContract(
      {
        create: () =>
          ready(
            new RedisHeartbeatStore({
              client: shared,
              keyPrefix: uniquePrefix(),
            }),
          ),
        dispose: (store) => store.close?.(),
        claimsStateChanges: true,
      },
      { describe, it, expect, beforeEach, afterEach },
    );
  });

  it('opens and closes its own cluster client from a list of nodes', async () => {
    const store = await ready(
      new RedisHeartbeatStore({
        nodes: cluster.nodeList.split(','),
        keyPrefix: uniquePrefix(),
      }),
    );
    await store.upsert(
      {
        appId: 'a',
        lastSeen: 1,
        delayMs: 1,
        registeredAt: 1,
        warnAt: 4,
        critAt: 6,
        expiresAt: 7,
      },
      10,
    );
    expect(await store.count()).toBe(1);
    await store.close();
    await expect(store.count()).rejects.toMatchObject({ kind: 'unavailable' });
    expect(await shared.ping()).toBe('PONG');
  });

  describe('two replicas on the cluster act as one server', () => {
    const [express] = PLATFORMS;
    let prefix: string;
    let clock: FakeHeartbeatClock;
    let a: HeartbeatTestApp;
    let b: HeartbeatTestApp;

    const replica = async (options = {}): Promise<HeartbeatTestApp> => {
      const t = await createHeartbeatApp(express!, {
        imports: [
          ScheduleModule.forRoot(),
          HeartbeatModule.forRoot({
            store: new RedisHeartbeatStore({
              nodes: cluster.nodes,
              keyPrefix: prefix,
            }),
            sweepIntervalMs: 3_600_000,
            api: true,
            ...options,
          }),
        ],
        clock,
      });
      await eventually(
        async () => (await request(t.server).get('/list')).status === 200,
        'replica connected to the cluster',
      );
      return t;
    };

    beforeEach(async () => {
      prefix = uniquePrefix();
      clock = new FakeHeartbeatClock();
      a = await replica();
      b = await replica();
    });
    afterEach(async () => {
      await a.app.close();
      await b.app.close();
      vi.restoreAllMocks();
    });

    it('what one replica registers, the other lists, pages and reports alike', async () => {
      await request(a.server)
        .get('/hb_init?1725&appid=Tetris')
        .expect(200, '2725');
      await request(b.server).get('/hb_init?0&appid=Zelda').expect(200, '1000');
      await request(a.server).get('/hb_ping?60000&appid=Sonic').expect(200);
      clock.advance(4987); // Tetris od 1.83, Zelda od 4.99 WARNING
      for (const t of [a, b]) {
        expect((await request(t.server).get('/list')).text).toBe(
          'Tetris\nZelda\nSonic\n',
        );
        expect((await request(t.server).get('/status')).text).toBe(
          'WARNING - multiple (3) applications: [Tetris,Zelda,Sonic]',
        );
        expect(
          (await request(t.server).get('/status?0&appid=Tetris')).text,
        ).toBe(
          'OK - fine application [Tetris]| od=1.83;3;5;0;6 delay=2725ms;;;',
        );
        const page = await request(t.server).get('/apps?limit=2').expect(200);
        expect(page.body.apps.map((app: { id: string }) => app.id)).toEqual([
          'Tetris',
          'Zelda',
        ]);
        const rest = await request(t.server)
          .get(`/apps?limit=2&cursor=${page.body.next}`)
          .expect(200);
        expect(rest.body).toMatchObject({
          apps: [{ id: 'Sonic' }],
          next: null,
        });
        expect(await t.app.get(HeartbeatRegistry).counts()).toEqual({
          total: 3,
          OK: 2,
          WARNING: 1,
          CRITICAL: 0,
          paused: 0,
        });
      }
    });

    it('a drop is removed and reported by exactly one replica', async () => {
      const warn = vi
        .spyOn(Logger.prototype, 'warn')
        .mockImplementation(() => {});
      await request(a.server).get('/hb_init?0&appid=Gone');
      clock.advance(6000);
      await Promise.all(
        [a, b, a, b].map((t) => t.app.get(HeartbeatExpiryScheduler).tick()),
      );
      const drops = warn.mock.calls.filter(([m]) =>
        String(m).includes('dropped application [Gone]'),
      );
      expect(drops).toHaveLength(1);
      expect((await request(b.server).get('/list')).text).toBe('');
    });

    it('each state change is reported once across the replicas', async () => {
      const events: string[] = [];
      for (const t of [a, b]) {
        t.app.get(HeartbeatRegistry).events$.subscribe((event) => {
          if (event instanceof HeartbeatStateChangedEvent)
            events.push(`${event.appId}: ${event.from} -> ${event.to}`);
        });
      }
      await request(a.server).get('/hb_init?0&appid=worker');
      const tick = () =>
        Promise.all(
          [a, b].map((t) => t.app.get(HeartbeatExpiryScheduler).tick()),
        );
      clock.advance(3000);
      await tick();
      clock.advance(2000);
      await tick();
      await request(b.server).get('/hb_ping?0&appid=worker').expect(200);
      await tick();
      expect(events).toEqual([
        'worker: OK -> WARNING',
        'worker: WARNING -> CRITICAL',
        'worker: CRITICAL -> OK',
      ]);
    });

    it('the registry limit holds across replicas', async () => {
      await a.app.close();
      await b.app.close();
      prefix = uniquePrefix();
      a = await replica({ maxApps: 3 });
      b = await replica({ maxApps: 3 });
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          request(i % 2 ? a.server : b.server).get(`/hb_init?0&appid=app-${i}`),
        ),
      );
      expect(answers.filter((r) => r.status === 200)).toHaveLength(3);
      expect(answers.filter((r) => r.status === 503)).toHaveLength(5);
    });
  });
});
