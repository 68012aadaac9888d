// node bench/redis-replicas.mjs [--quick]     (after npm run build; part of npm run bench -- --scale)
//
// Two standalone replicas on one private redis-server (a free port, removed afterwards), with
// 1,000,000 apps (100,000 with --quick) written straight into Redis through the store (the HTTP
// path is measured elsewhere). 1% of them promise a heartbeat within 0 ms, so both replicas'
// sweeps remove them in batches while the benchmark runs. Measures:
//   - hb_ping p99 on replica B while replica A answers /status (host-wide), /list and /metrics
//     once per second, against the same without those queries (alternating rounds);
//   - the time of each of those queries at that size;
//   - Redis SLOWLOG (threshold 10 ms) over the whole run: queries, sweeps and pings;
//   - hb_ping on a Redis-mode server against a memory-mode one, 1,000 apps each.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { preload } from './preload.mjs';
import {
  abs,
  alternate,
  cpuMsOf,
  load,
  log,
  median,
  root,
  startPrivateRedis,
  startStandalone,
  times,
} from './scale-support.mjs';

const PREFIX = 'hbbench:{hb}:';
const fmt = (n) => n.toLocaleString('en');

/**
 * Writes `n` healthy apps and `n / 100` expiring ones straight into Redis through the store; with
 * `expired`, `n` apps past their drop deadline (`gone-<i>`) instead.
 */
async function fill(url, n, { expired = false, offset = 0 } = {}) {
  const { RedisHeartbeatStore } = await import(
    `${root}/dist/heartbeat/redis/index.js`
  );
  const { resolveHeartbeatOptions } = await import(
    `${root}/dist/heartbeat/index.js`
  );
  const options = resolveHeartbeatOptions({});
  const store = new RedisHeartbeatStore({
    url,
    keyPrefix: PREFIX,
    commandTimeoutMs: 30_000,
  });
  while ((await store.count().catch(() => -1)) < 0) await sleep(20);
  const started = performance.now();
  const record = (appId, timeoutMs) => {
    const now = Date.now();
    const delayMs = timeoutMs + options.toleranceMs;
    return {
      appId,
      lastSeen: now,
      delayMs,
      registeredAt: now,
      warnAt: now + Math.ceil(delayMs * options.warnThreshold),
      critAt: now + Math.ceil(delayMs * options.critThreshold),
      expiresAt: now + Math.ceil(delayMs * options.dropThreshold),
    };
  };
  const expiring = expired ? 0 : n / 100;
  const gone = (i) => {
    const at = Date.now() - 60_000;
    return {
      ...record(`gone-${offset}-${i}`, 0),
      lastSeen: at,
      registeredAt: at,
      warnAt: at + 3000,
      critAt: at + 5000,
      expiresAt: at + 6000,
    };
  };
  const window = 5000;
  for (let from = 0; from < n + expiring; from += window) {
    const batch = [];
    for (let i = from; i < Math.min(from + window, n + expiring); i++) {
      const next = expired
        ? gone(i)
        : i < n
          ? record(`app-${i}`, 600_000)
          : record(`late-${i - n}`, 0);
      batch.push(store.upsert(next, Number.MAX_SAFE_INTEGER));
    }
    await Promise.all(batch);
  }
  log(
    `  ${fmt(n)} ${expired ? 'expired' : 'apps'} + ${fmt(expiring)} expiring written into Redis in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  await store.close();
}

/**
 * Redis CPU time per store call at the registry's size, from the redis-server process's own CPU
 * counters (so a loaded machine, which makes wall-clock SLOWLOG times long, does not count).
 */
async function redisCpuPerCall(url, pid) {
  const { RedisHeartbeatStore } = await import(
    `${root}/dist/heartbeat/redis/index.js`
  );
  const store = new RedisHeartbeatStore({
    url,
    keyPrefix: PREFIX,
    commandTimeoutMs: 30_000,
  });
  while ((await store.count().catch(() => -1)) < 0) await sleep(20);
  const now = Date.now();
  const per = async (times, call) => {
    const before = cpuMsOf(pid);
    for (let i = 0; i < times; i++) await call(i);
    return (cpuMsOf(pid) - before) / times;
  };
  const gone = (i) => ({
    appId: `gone-${i}`,
    lastSeen: now - 100_000,
    delayMs: 1000,
    registeredAt: now - 100_000,
    warnAt: now - 97_000,
    critAt: now - 95_000,
    expiresAt: now - 94_000,
  });
  let cursor;
  const result = {
    'page of 500 IDs (/list)': await per(20, async () => {
      cursor = (await store.pageIds(cursor, 500, now)).next;
    }),
    'page of 500 records (GET /apps, pages)': await per(20, async () => {
      cursor = (await store.page(cursor, 500)).next;
    }),
    'counts per state': await per(200, () => store.counts(now)),
    'most overdue 100': await per(20, () => store.mostOverdue(now, 100)),
    'batch of 50 heartbeats': await per(40, (round) =>
      Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.upsert(gone(round * 50 + i), Number.MAX_SAFE_INTEGER),
        ),
      ),
    ),
    'expiry batch of 250 removals': await per(8, () =>
      store.removeExpired(now, 250),
    ),
  };
  await store.close();
  return result;
}

async function timed(url, path) {
  const started = performance.now();
  const response = await fetch(url + path);
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
  return { ms: performance.now() - started, bytes: body.length, body };
}

/** Asks A for /status, /list and /metrics once per second until stopped; records each time. */
function queryLoop(url, samples) {
  let running = true;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      for (const path of ['/status', '/list', '/metrics']) {
        const { ms, bytes } = await timed(url, path);
        (samples[path] ??= []).push(ms);
        samples[`${path} bytes`] = bytes;
      }
      const rest = 1000 - (performance.now() - started);
      if (rest > 0 && running) await sleep(rest);
    }
  })();
  return async () => {
    running = false;
    await done;
  };
}

export async function runRedisReplicas(s, row) {
  const redis = await startPrivateRedis();
  const servers = [];
  const { Redis } = await import('ioredis');
  const admin = new Redis(redis.url);
  try {
    await fill(redis.url, s.big);
    await admin.config('SET', 'slowlog-log-slower-than', '10000');
    await admin.config('SET', 'slowlog-max-len', '1024');
    await admin.slowlog('RESET');

    const env = {
      REDIS_URL: redis.url,
      HB_REDIS_PREFIX: PREFIX,
      HB_MAX_APPS: String(s.big * 2),
    };
    const a = await startStandalone('replica A', env);
    const b = await startStandalone('replica B', env);
    servers.push(a, b);
    const mem = await startStandalone('memory 1k', { HB_MAX_APPS: '2000' });
    const red = await startStandalone('redis 1k', {
      REDIS_URL: redis.url,
      HB_REDIS_PREFIX: 'hbbench:{small}:',
      HB_MAX_APPS: '2000',
    });
    servers.push(mem, red);
    await preload(mem.url, s.small);
    await preload(red.url, s.small);

    const status = await timed(a.url, '/status');
    log(`  A /status: ${status.body.slice(0, 120)}`);
    const samples = {};
    const opts = { seconds: s.seconds, connections: s.connections };
    const ping = '/hb_ping?600000&appid=app-%d';
    const { result, ratio } = await alternate(
      [
        { label: 'B quiet', run: () => load(b.url, ping, s.big, opts) },
        {
          label: 'B, A queried',
          run: async () => {
            const stop = queryLoop(a.url, samples);
            try {
              return await load(b.url, ping, s.big, opts);
            } finally {
              await stop();
            }
          },
        },
        { label: 'memory 1k', run: () => load(mem.url, ping, s.small, opts) },
        { label: 'redis 1k', run: () => load(red.url, ping, s.small, opts) },
      ],
      s.rounds,
    );
    // Everything expiring has been swept by now (each replica removes a batch per second).
    const left = await admin.zcount(`${PREFIX}deadlines`, '-inf', Date.now());
    const slow = await admin.slowlog('GET', 1024);
    const scripts = await import(
      `${root}/dist/heartbeat/redis/redis-heartbeat.scripts.js`
    );
    const scriptName = Object.fromEntries(
      Object.entries(scripts)
        .filter(([, value]) => value?.sha)
        .map(([name, value]) => [value.sha, name.replace(/_SCRIPT$/, '')]),
    );
    const slowSummary = (entries) =>
      entries.length === 0
        ? '0'
        : `${entries.length}, longest: ${[...entries]
            .sort((x, y) => Number(y[2]) - Number(x[2]))
            .slice(0, 5)
            .map(describeSlow)
            .join(', ')}`;
    const describeSlow = (entry) => {
      const [command, sha] = entry[3].map(String);
      const name =
        command.toLowerCase() === 'evalsha'
          ? (scriptName[sha] ?? sha)
          : command;
      return `${name} ${(Number(entry[2]) / 1000).toFixed(1)} ms`;
    };
    // A phase of its own, with no load running: one /status, /list and /metrics on A while both
    // replicas' sweeps remove 1% of the apps, expired at once. SLOWLOG times are wall-clock
    // times inside Redis, so on a machine loaded by other work they include the time the
    // redis-server process waited for a core: each attempt reports the machine's load average,
    // and a loaded machine gets up to three attempts (all reported).
    const attempts = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      await fill(redis.url, s.big / 100, { expired: true, offset: attempt });
      await admin.slowlog('RESET');
      const load1 = loadavg()[0];
      const cpuBefore = cpuMsOf(redis.pid);
      const took = {};
      for (const path of ['/status', '/list', '/metrics']) {
        took[path] = (await timed(a.url, path)).ms;
      }
      while ((await admin.zcount(`${PREFIX}deadlines`, '-inf', Date.now())) > 0)
        await sleep(200);
      attempts.push({
        load1,
        took,
        slow: await admin.slowlog('GET', 1024),
        redisCpuMs: cpuMsOf(redis.pid) - cpuBefore,
      });
      if (attempts.at(-1).slow.length === 0 || load1 < 1) break;
    }
    const info = await admin.info('memory');
    const usedMemory = Number(/used_memory:(\d+)/.exec(info)?.[1]);
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    const cpu = await redisCpuPerCall(redis.url, redis.pid);

    const s3 = `S3 Redis, ${fmt(s.big)} apps, two replicas`;
    row(s3, 'hb_ping on B, A quiet', abs(result['B quiet']));
    row(
      s3,
      'hb_ping on B, A answering /status, /list, /metrics each second',
      abs(result['B, A queried']),
    );
    row(
      s3,
      'p99 on B, A queried vs quiet',
      times(ratio('B, A queried', 'B quiet', 'p99')),
      '<= 1.5x',
    );
    row(
      s3,
      'throughput on B, A queried vs quiet',
      times(ratio('B, A queried', 'B quiet')),
    );
    for (const path of ['/status', '/list', '/metrics']) {
      const ms = samples[path] ?? [];
      row(
        s3,
        `time of ${path} on A (host-wide${path === '/list' ? `, ${fmt(samples[`${path} bytes`])} bytes streamed` : ''})`,
        `median ${median(ms).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms over ${ms.length}`,
      );
    }
    row(
      s3,
      `Redis SLOWLOG >= 10 ms during one /status, /list and /metrics on A and the sweeps of ${fmt(s.big / 100)} expired apps, no other load of ours`,
      attempts
        .map(
          (t, i) =>
            `attempt ${i + 1} (machine load average ${t.load1.toFixed(1)}; /status ${t.took['/status'].toFixed(0)} ms, /list ${t.took['/list'].toFixed(0)} ms, /metrics ${t.took['/metrics'].toFixed(0)} ms; Redis CPU ${t.redisCpuMs} ms in all): ${slowSummary(t.slow)}`,
        )
        .join('; '),
      '0',
    );
    row(
      s3,
      'Redis SLOWLOG >= 10 ms over the load rounds above (pings, queries, sweeps)',
      slowSummary(slow),
    );
    row(s3, 'expired apps left unswept at the end', fmt(left), '0');
    row(
      s3,
      'Redis CPU per store call at this size (redis-server CPU counters, average)',
      Object.entries(cpu)
        .map(([call, ms]) => `${call} ${ms.toFixed(2)} ms`)
        .join('; '),
    );
    row(
      s3,
      'Redis used_memory per app',
      `${Math.round(usedMemory / (s.big + s.small))} B`,
    );
    const s4 = 'S4 Redis vs memory, hb_ping, 1,000 apps';
    row(s4, 'memory mode', abs(result['memory 1k']));
    row(s4, 'Redis mode', abs(result['redis 1k']));
    row(
      s4,
      'throughput Redis vs memory',
      times(ratio('redis 1k', 'memory 1k')),
      '>= 0.9x',
    );
    row(
      s4,
      'p99 Redis vs memory',
      times(ratio('redis 1k', 'memory 1k', 'p99')),
      '<= 1.5x',
    );
  } finally {
    admin.disconnect();
    await Promise.all(servers.map((server) => server.stop()));
    await redis.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const rows = [];
  await runRedisReplicas(
    {
      big: quick ? 100_000 : 1_000_000,
      small: 1000,
      seconds: quick ? 3 : 5,
      rounds: 3,
      connections: 64,
    },
    (scenario, measure, value, target = '') =>
      rows.push(`| ${scenario} | ${measure} | ${value} | ${target} |`),
  );
  console.log(rows.join('\n'));
  process.exit(0);
}
