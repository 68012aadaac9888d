// npm run bench [-- --full]
//
// Runs the heartbeat server and its baselines side by side on this machine, alternating rounds so
// that background noise hits every target alike, and prints ratios (absolute numbers on a shared
// machine are noise; ratios measured in one run are not). Builds the server first.
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const full = process.argv.includes('--full');
const MODE = full
  ? { duration: 10, rounds: 5, sizes: [100_000, 1_000_000], memory: [100_000, 1_000_000] }
  : { duration: 4, rounds: 3, sizes: [100_000], memory: [100_000, 1_000_000] };
const CONNECTIONS = 64;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const children = new Set();
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));

function log(message) {
  process.stderr.write(`${message}\n`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** Starts a server process and resolves once it prints its ready line. */
async function startServer(name, args, env, readyPattern) {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', PORT: String(port), HB_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  let output = '';
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (readyPattern.test(output)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${output}`)));
  });
  child.stdout.resume();
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      children.delete(child);
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

const heartbeatServer = (name, env = {}) =>
  startServer(name, ['dist/main.js'], { HB_SWEEP_INTERVAL_MS: '1000', ...env }, /listening on/);

/** One autocannon run; paths are drawn at random from `pathFor(i)` for i < spread. */
async function load(url, pathFor, spread, duration = MODE.duration) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          path: pathFor(Math.floor(Math.random() * spread)),
        }),
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  return { rps: result.requests.average, p99: result.latency.p99 };
}

/** Registers apps app-0 .. app-(n-1) quickly: pipelined requests over many connections. */
async function preload(url, n) {
  let next = 0;
  const started = Date.now();
  const result = await autocannon({
    url,
    connections: 32,
    pipelining: 10,
    amount: n,
    requests: [
      { setupRequest: (request) => ({ ...request, path: `/hb_ping?600000&appid=app-${next++}` }) },
    ],
  });
  if (result.non2xx > 0) throw new Error(`preload: ${result.non2xx} non-2xx answers`);
  log(`  preloaded ${n} apps in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Runs each target's load in turn, `rounds` times. Returns per-target medians, and `ratio(a, b)`:
 * the median over rounds of a/b measured in the same round, so slow drift of the machine's load
 * cancels out of the comparison.
 */
async function alternate(targets) {
  const samples = new Map(targets.map((t) => [t.label, []]));
  for (let round = 1; round <= MODE.rounds; round++) {
    for (const target of targets) {
      const sample = await target.run();
      samples.get(target.label).push(sample);
      log(`  round ${round} ${target.label}: ${Math.round(sample.rps)} req/s, p99 ${sample.p99} ms`);
    }
  }
  const result = Object.fromEntries(
    [...samples].map(([label, runs]) => [
      label,
      { rps: median(runs.map((r) => r.rps)), p99: median(runs.map((r) => r.p99)) },
    ]),
  );
  const ratio = (a, b, key = 'rps') =>
    median(samples.get(a).map((sample, i) => sample[key] / samples.get(b)[i][key]));
  return { result, ratio };
}

// Every app promises its next heartbeat within 10 minutes, as at preload: the scenarios measure
// heartbeats on healthy apps. (With a short TIMEOUT, apps the random draw misses for a while are
// dropped mid-run, and the server spends the run logging drops and re-registrations.)
const ping = (i) => `/hb_ping?600000&appid=app-${i}`;
const fmt = (x, digits = 2) => x.toFixed(digits);
const rows = [];
const row = (scenario, measure, value, target = '') => rows.push({ scenario, measure, value, target });

async function scenarioFloors() {
  log('scenario 1: hb_ping, 64 connections, 1,000 apps: server vs node:http and Express floors');
  const servers = [
    await heartbeatServer('heartbeat'),
    await startServer('express', ['bench/servers/express.mjs'], {}, /ready/),
    await startServer('node:http', ['bench/servers/node-http.mjs'], {}, /ready/),
  ];
  for (const server of servers) await preload(server.url, 1000);
  const { result, ratio } = await alternate(
    servers.map((server) => ({ label: server.name, run: () => load(server.url, ping, 1000) })),
  );
  await Promise.all(servers.map((s) => s.stop()));
  const hb = result.heartbeat;
  row('1 hb_ping, 1k apps', 'heartbeat req/s, p99', `${Math.round(hb.rps)}, ${hb.p99} ms`);
  row('1 hb_ping, 1k apps', 'Express 5 floor req/s, p99', `${Math.round(result.express.rps)}, ${result.express.p99} ms`);
  row('1 hb_ping, 1k apps', 'node:http floor req/s, p99', `${Math.round(result['node:http'].rps)}, ${result['node:http'].p99} ms`);
  row('1 hb_ping, 1k apps', 'throughput vs Express floor', `${fmt(ratio('heartbeat', 'express'))}x`, '>= 0.9x');
  row('1 hb_ping, 1k apps', 'throughput vs node:http floor', `${fmt(ratio('heartbeat', 'node:http'))}x`);
  return hb;
}

async function scenarioScale() {
  log(`scenario 2: hb_ping with ${MODE.sizes.join(', ')} apps registered vs 1,000`);
  const targets = [];
  const servers = [];
  for (const size of [1000, ...MODE.sizes]) {
    const server = await heartbeatServer(`${size} apps`, { HB_MAX_APPS: String(size + 1000) });
    await preload(server.url, size);
    servers.push(server);
    targets.push({ label: String(size), run: () => load(server.url, ping, size) });
  }
  const { result, ratio } = await alternate(targets);
  await Promise.all(servers.map((s) => s.stop()));
  const base = result['1000'];
  for (const size of MODE.sizes) {
    const r = result[String(size)];
    const label = `2 hb_ping, ${size.toLocaleString('en')} apps`;
    const target = (goal) => (size === 1e6 ? goal : '');
    row(label, 'throughput vs 1k apps', `${fmt(ratio(String(size), '1000'))}x`, target('>= 0.9x'));
    row(label, 'p99 vs 1k apps', `${fmt(ratio(String(size), '1000', 'p99'))}x (${r.p99} vs ${base.p99} ms)`, target('<= 1.5x'));
  }
}

async function scenarioStatus() {
  log('scenario 3: /status?appid= under load, 1,000 apps, vs hb_ping on the same server');
  const server = await heartbeatServer('heartbeat');
  await preload(server.url, 1000);
  const { result, ratio } = await alternate([
    { label: 'hb_ping', run: () => load(server.url, ping, 1000) },
    { label: 'status', run: () => load(server.url, (i) => `/status?appid=app-${i}`, 1000) },
  ]);
  await server.stop();
  row('3 /status?appid=, 1k apps', 'req/s, p99', `${Math.round(result.status.rps)}, ${result.status.p99} ms`);
  row('3 /status?appid=, 1k apps', 'throughput vs hb_ping', `${fmt(ratio('status', 'hb_ping'))}x`);
}

function scenarioMemory() {
  log('scenario 4: memory per app and expiry tick cost (in-memory store, measured in a child)');
  for (const n of MODE.memory) {
    const out = execFileSync(process.execPath, ['--expose-gc', 'bench/memory.mjs', String(n)], {
      cwd: root,
      encoding: 'utf8',
    });
    const m = JSON.parse(out.trim().split('\n').at(-1));
    const label = `4 memory, ${n.toLocaleString('en')} apps`;
    row(label, 'state bytes per app', `${Math.round(m.bytesPerApp)} B`, n === 1e6 ? '<= 250 B' : '');
    row(label, 'expiry tick, nothing expired', `${fmt(m.idleTickMs)} ms`);
    row(label, `expiry tick, ${m.droppedInTick} expired`, `${fmt(m.busyTickMs)} ms`);
  }
}

async function redisAnswers() {
  const { Redis } = await import('ioredis');
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function scenarioRedis() {
  log('scenario 5: Redis mode vs memory mode, hb_ping, 1,000 apps');
  if (!(await redisAnswers())) {
    row('5 Redis vs memory', 'skipped', `no Redis at ${REDIS_URL}`);
    return;
  }
  const prefix = `hbbench:${process.pid}:${Date.now()}:`;
  const servers = [
    await heartbeatServer('memory'),
    await heartbeatServer('redis', { REDIS_URL, HB_REDIS_PREFIX: prefix }),
  ];
  for (const server of servers) await preload(server.url, 1000);
  const { result, ratio } = await alternate(
    servers.map((s) => ({ label: s.name, run: () => load(s.url, ping, 1000) })),
  );
  await Promise.all(servers.map((s) => s.stop()));
  const { Redis } = await import('ioredis');
  const client = new Redis(REDIS_URL);
  const keys = await client.keys(`${prefix}*`);
  if (keys.length) await client.del(...keys);
  client.disconnect();
  row('5 Redis vs memory', 'Redis req/s, p99', `${Math.round(result.redis.rps)}, ${result.redis.p99} ms`);
  row('5 Redis vs memory', 'throughput vs memory', `${fmt(ratio('redis', 'memory'))}x`, '>= 0.5x');
}

log(`building the server (${full ? 'full' : 'short'} mode)`);
execFileSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

await scenarioFloors();
await scenarioScale();
await scenarioStatus();
scenarioMemory();
await scenarioRedis();

const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
console.log(
  `\n${new Date().toISOString().slice(0, 10)}, ${cpus().length} x ${cpu}, Node ${process.version}, ` +
    `${full ? 'full' : 'short'} mode (${MODE.rounds} alternating rounds of ${MODE.duration} s, ` +
    `${CONNECTIONS} connections; medians, ratios paired by round)\n`,
);
console.log('| scenario | measure | result | target |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.scenario} | ${r.measure} | ${r.value} | ${r.target} |`);
