// npm run bench [-- --full] [-- --only=1,2,3,4,5,6] [-- --no-build] [-- --scale] [-- --state]
//
// Runs the heartbeat server and its baselines side by side on this machine and prints ratios.
// Every HTTP target of every scenario runs in one loop of alternating rounds, so background load
// on a shared machine hits all targets alike; each ratio is the median of ratios measured in the
// same round, shown with the range over rounds. Absolute numbers include the load generator on
// the same cores and move with whatever else runs; ratios measured in one run are what to compare.
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preload } from './preload.mjs';

// --scale: the scale benchmarks instead of the scenarios below (bench/scale.mjs: hb_ping at 1k,
// 100k and 1M apps, RSS per app on both adapters, two replicas on Redis at 1M apps).
if (process.argv.includes('--scale')) {
  const { runScaleBenchmarks } = await import('./scale.mjs');
  await runScaleBenchmarks(process.argv.slice(2));
  process.exit(0);
}

// --state: the state file at 1,000,000 apps (bench/state-file.mjs: flush duration and event-loop
// stall, file size, start-up load time).
if (process.argv.includes('--state')) {
  const { runStateFileBenchmark } = await import('./state-file.mjs');
  await runStateFileBenchmark(process.argv.slice(2));
  process.exit(0);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const full = args.includes('--full');
const only = new Set(
  (
    args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length) ??
    '1,2,3,4,5,6'
  ).split(','),
);
const MODE = full
  ? { duration: 10, rounds: 5, sizes: [100_000, 1_000_000] }
  : { duration: 3, rounds: 3, sizes: [100_000] };
const MEMORY_RUNS = [
  [100_000, 'short'],
  [1_000_000, 'short'],
  [1_000_000, 'uuid'],
];
const CONNECTIONS = 64;
const BASE_APPS = 1000;
// Scenario 5's Redis: a database of its own (never the shell's REDIS_URL, which may hold a
// user's registry), under a key prefix of this run that is deleted afterwards.
const BENCH_REDIS_URL =
  process.env.HB_BENCH_REDIS_URL?.trim() || 'redis://127.0.0.1:6379/14';
const BENCH_PREFIX = `hbbench:${process.pid}:${Date.now()}:`;
let redisUsed = false;

const children = new Set();
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    children.forEach((child) => child.kill('SIGKILL'));
    void cleanUpRedis().finally(() => process.exit(130));
  });
}

/**
 * The environment of every process the benchmark starts: PATH and HOME, and exactly the variables
 * given. Never a copy of ours: a REDIS_URL or HB_* in the shell would put the in-memory targets on
 * Redis, or change their limits, without a word.
 */
function childEnv(vars = {}) {
  const env = { NO_COLOR: '1' };
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'SYSTEMROOT']) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  return { ...env, ...vars };
}

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

/** Starts a server process on a free port; resolves once it prints its ready line. */
async function startServer(name, script, env, readyPattern) {
  const port = await freePort();
  const child = spawn(process.execPath, [script], {
    cwd: root,
    env: childEnv({
      PORT: String(port),
      HB_HOST: '127.0.0.1',
      HB_PORT: String(port),
      ...env,
    }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  let output = '';
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (readyPattern.test(output)) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`${name} exited with ${code}: ${output}`)),
    );
  });
  child.stdout.removeAllListeners('data');
  child.stdout.resume();
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    output,
    async stop() {
      children.delete(child);
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

const heartbeatServer = (name, env) =>
  startServer(
    name,
    'dist/main.js',
    { HB_SWEEP_INTERVAL_MS: '1000', ...env },
    /listening on/,
  );

/** The standalone server on its in-memory store: it is never given a Redis URL. */
async function memoryServer(name, env = {}) {
  if (Object.keys(env).some((key) => key.includes('REDIS'))) {
    throw new Error(`${name}: an in-memory target must not get Redis settings`);
  }
  const server = await heartbeatServer(name, env);
  if (/registry in Redis/.test(server.output)) {
    await server.stop();
    throw new Error(`${name}: the in-memory target runs on Redis`);
  }
  return server;
}

async function preloaded(server, n) {
  const started = Date.now();
  await preload(server.url, n);
  const seconds = (Date.now() - started) / 1000;
  log(
    `  ${server.name}: ${n} apps registered in ${seconds.toFixed(1)} s (${Math.round(n / seconds)}/s)`,
  );
  return server;
}

const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((path) => {
  try {
    execFileSync(path, ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its version.
    return error.status === 1;
  }
});

/**
 * One load run; each request's path is `pathFor(i)` for a random i < spread. wrk when installed
 * (C, one thread: it leaves the other core to the server), autocannon otherwise (JavaScript: on
 * two cores it competes with the server and flattens the differences between targets).
 */
async function load(url, pathFor, spread) {
  if (WRK) return loadWithWrk(url, pathFor, spread);
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: MODE.duration,
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
    throw new Error(
      `${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`,
    );
  }
  return { rps: result.requests.average, p99: result.latency.p99 };
}

async function loadWithWrk(url, pathFor, spread) {
  const pattern = pathFor('%d');
  const child = spawn(
    WRK,
    [
      '-t1',
      `-c${CONNECTIONS}`,
      `-d${MODE.duration}s`,
      '--latency',
      '-s',
      join(root, 'bench', 'wrk-paths.lua'),
      url,
      '--',
      pattern,
      String(spread),
    ],
    { env: childEnv(), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  await once(child, 'exit');
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1]);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(output);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(
    output,
  );
  if (!rps || !p99 || errors) {
    throw new Error(`${url}: wrk reported ${errors?.[0] ?? output}`);
  }
  const unit = { us: 0.001, ms: 1, s: 1000 }[p99[2]];
  return { rps, p99: Number(p99[1]) * unit };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Runs every target's load in turn, `rounds` times. Returns per-target medians, and `ratio(a, b)`:
 * the median over rounds of a/b measured in the same round (plus the lowest and highest), so slow
 * drift in the machine's load cancels out of the comparison.
 */
async function alternate(targets) {
  const samples = new Map(targets.map((t) => [t.label, []]));
  for (let round = 1; round <= MODE.rounds; round++) {
    for (const target of targets) {
      const sample = await target.run();
      samples.get(target.label).push(sample);
      log(
        `  round ${round} ${target.label}: ${Math.round(sample.rps)} req/s, p99 ${sample.p99} ms`,
      );
    }
  }
  const result = Object.fromEntries(
    [...samples].map(([label, runs]) => [
      label,
      {
        rps: median(runs.map((r) => r.rps)),
        p99: median(runs.map((r) => r.p99)),
      },
    ]),
  );
  const ratio = (a, b, key = 'rps') => {
    const perRound = samples
      .get(a)
      .map((sample, i) => sample[key] / samples.get(b)[i][key]);
    return {
      median: median(perRound),
      min: Math.min(...perRound),
      max: Math.max(...perRound),
    };
  };
  return { result, ratio };
}

// Every app promises its next heartbeat within 10 minutes, as at preload: the scenarios measure
// heartbeats of healthy apps. (With a short TIMEOUT, apps the random draw misses for a while would
// be dropped mid-run, and the server would spend the run logging drops and re-registrations.)
const ping = (i) => `/hb_ping?600000&appid=app-${i}`;
const status = (i) => `/status?appid=app-${i}`;
const times = (r) =>
  `${r.median.toFixed(2)}x (${r.min.toFixed(2)}-${r.max.toFixed(2)})`;
const abs = (r) => `${Math.round(r.rps)} req/s, p99 ${r.p99} ms`;
const rows = [];
const row = (scenario, measure, value, target = '') =>
  rows.push({ scenario, measure, value, target });
const servers = [];

/** A Redis URL without its password, for messages. */
function redacted(url) {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

async function benchRedisClient() {
  const { Redis } = await import('ioredis');
  const client = new Redis(BENCH_REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let cause;
  client.on('error', (error) => (cause ??= error));
  try {
    await client.connect();
    return { client };
  } catch (error) {
    client.disconnect();
    return { reason: (cause ?? error).message };
  }
}

/** Why no Redis answers at HB_BENCH_REDIS_URL, or undefined when one does. */
async function redisUnavailable() {
  const { client, reason } = await benchRedisClient();
  client?.disconnect();
  return (
    reason && `no Redis answers at ${redacted(BENCH_REDIS_URL)}: ${reason}`
  );
}

/** Deletes the keys of this run's Redis target (the prefix is ours alone). */
async function cleanUpRedis() {
  if (!redisUsed) return;
  const { client, reason } = await benchRedisClient();
  if (!client) {
    log(
      `could not remove ${BENCH_PREFIX}* from ${redacted(BENCH_REDIS_URL)}: ${reason}`,
    );
    return;
  }
  try {
    let cursor = '0';
    do {
      const [nextCursor, keys] = await client.scan(
        cursor,
        'MATCH',
        `${BENCH_PREFIX}*`,
        'COUNT',
        1000,
      );
      if (keys.length) await client.del(...keys);
      cursor = nextCursor;
    } while (cursor !== '0');
    redisUsed = false;
  } finally {
    client.disconnect();
  }
}

/** Scenarios 1, 2, 3 and 5: every HTTP target in one alternating loop. */
async function httpScenarios() {
  const targets = [];
  const heartbeat = await preloaded(await memoryServer('heartbeat'), BASE_APPS);
  servers.push(heartbeat);
  targets.push({
    label: 'heartbeat',
    run: () => load(heartbeat.url, ping, BASE_APPS),
  });

  // The standalone server on Fastify, and the floors: bare node:http, Express 5 and Fastify apps.
  const heartbeatFastify = await preloaded(
    await memoryServer('heartbeat fastify', { HB_ADAPTER: 'fastify' }),
    BASE_APPS,
  );
  servers.push(heartbeatFastify);
  const floor = await preloaded(
    await startServer('node:http', 'bench/servers/node-http.mjs', {}, /ready/),
    BASE_APPS,
  );
  servers.push(floor);
  targets.push(
    {
      label: 'heartbeat fastify',
      run: () => load(heartbeatFastify.url, ping, BASE_APPS),
    },
    { label: 'node:http', run: () => load(floor.url, ping, BASE_APPS) },
  );
  if (only.has('1') || only.has('6')) {
    for (const [name, script, env] of [
      ['express', 'bench/servers/express.mjs', {}],
      ['fastify', 'bench/servers/fastify.mjs', {}],
      [
        'embedded express',
        'bench/servers/nest-embedded.mjs',
        { BENCH_PLATFORM: 'express' },
      ],
      [
        'embedded fastify',
        'bench/servers/nest-embedded.mjs',
        { BENCH_PLATFORM: 'fastify' },
      ],
    ]) {
      if (name.startsWith('embedded') && !only.has('6')) continue;
      const server = await preloaded(
        await startServer(name, script, env, /ready/),
        BASE_APPS,
      );
      servers.push(server);
      targets.push({
        label: name,
        run: () => load(server.url, ping, BASE_APPS),
      });
    }
  }
  if (only.has('3')) {
    targets.push(
      {
        label: 'status',
        run: () => load(heartbeat.url, status, BASE_APPS),
      },
      {
        label: 'status fastify',
        run: () => load(heartbeatFastify.url, status, BASE_APPS),
      },
      {
        label: 'status node:http',
        run: () => load(floor.url, status, BASE_APPS),
      },
    );
  }
  let redisNote;
  if (only.has('5')) {
    const unavailable = await redisUnavailable();
    if (unavailable) {
      redisNote = `skipped: ${unavailable}`;
    } else {
      redisUsed = true;
      const server = await heartbeatServer('redis', {
        REDIS_URL: BENCH_REDIS_URL,
        HB_REDIS_PREFIX: BENCH_PREFIX,
      });
      servers.push(server);
      if (!/registry in Redis/.test(server.output)) {
        redisNote = 'skipped: the standalone server does not support REDIS_URL';
      } else {
        await preloaded(server, BASE_APPS);
        targets.push({
          label: 'redis',
          run: () => load(server.url, ping, BASE_APPS),
        });
      }
    }
  }
  if (only.has('2')) {
    for (const size of MODE.sizes) {
      const server = await memoryServer(`${size} apps`, {
        HB_MAX_APPS: String(size + 1000),
      });
      servers.push(await preloaded(server, size));
      targets.push({
        label: String(size),
        run: () => load(server.url, ping, size),
      });
    }
  }

  log(
    `alternating ${targets.length} targets: ${targets.map((t) => t.label).join(', ')}`,
  );
  const { result, ratio } = await alternate(targets);
  await Promise.all(servers.map((server) => server.stop()));

  const base = result.heartbeat;
  const s1 = '1 hb_ping, 1k apps, standalone';
  row(s1, 'heartbeat server on Express (default)', abs(base));
  row(s1, 'heartbeat server on Fastify', abs(result['heartbeat fastify']));
  row(s1, 'node:http floor', abs(result['node:http']));
  for (const [label, name] of [
    ['Express', 'heartbeat'],
    ['Fastify', 'heartbeat fastify'],
  ]) {
    row(
      s1,
      `on ${label}: throughput vs node:http floor`,
      times(ratio(name, 'node:http')),
      '>= 0.9x',
    );
    row(
      s1,
      `on ${label}: p99 vs node:http floor`,
      times(ratio(name, 'node:http', 'p99')),
      '<= 1.2x',
    );
  }
  if (only.has('1')) {
    row(s1, 'bare Express 5 app', abs(result.express));
    row(s1, 'bare Fastify app', abs(result.fastify));
    row(
      s1,
      'bare Express 5 app vs node:http floor',
      times(ratio('express', 'node:http')),
    );
    row(
      s1,
      'bare Fastify app vs node:http floor',
      times(ratio('fastify', 'node:http')),
    );
  }
  if (only.has('6')) {
    const s6 = '6 hb_ping, 1k apps, embedded in a minimal Nest app';
    for (const [label, name, bare] of [
      ['Express', 'embedded express', 'express'],
      ['Fastify', 'embedded fastify', 'fastify'],
    ]) {
      row(s6, `on ${label}`, abs(result[name]));
      row(
        s6,
        `on ${label}: throughput vs bare ${label} app`,
        times(ratio(name, bare)),
        '>= 0.95x',
      );
      row(
        s6,
        `on ${label}: p99 vs bare ${label} app`,
        times(ratio(name, bare, 'p99')),
      );
    }
  }
  if (only.has('2')) {
    for (const size of MODE.sizes) {
      const label = `2 hb_ping, ${size.toLocaleString('en')} apps`;
      const goal = (text) => (size === 1_000_000 ? text : '');
      row(label, 'heartbeat server', abs(result[size]));
      row(
        label,
        'throughput vs 1k apps',
        times(ratio(String(size), 'heartbeat')),
        goal('>= 0.9x'),
      );
      row(
        label,
        'p99 vs 1k apps',
        times(ratio(String(size), 'heartbeat', 'p99')),
        goal('<= 1.5x'),
      );
    }
  }
  if (only.has('3')) {
    const s3 = '3 /status?appid=, 1k apps, standalone';
    row(s3, 'heartbeat server on Express (default)', abs(result.status));
    row(s3, 'heartbeat server on Fastify', abs(result['status fastify']));
    row(s3, 'node:http floor', abs(result['status node:http']));
    for (const [label, name] of [
      ['Express', 'status'],
      ['Fastify', 'status fastify'],
    ]) {
      row(
        s3,
        `on ${label}: throughput vs node:http floor`,
        times(ratio(name, 'status node:http')),
        '>= 0.9x',
      );
      row(
        s3,
        `on ${label}: p99 vs node:http floor`,
        times(ratio(name, 'status node:http', 'p99')),
        '<= 1.2x',
      );
    }
  }
  if (only.has('5')) {
    const s5 = '5 Redis vs memory, hb_ping, 1k apps';
    if (redisNote) {
      row(s5, 'Redis mode', redisNote);
    } else {
      row(s5, 'Redis mode', abs(result.redis));
      row(
        s5,
        'throughput vs memory mode',
        times(ratio('redis', 'heartbeat')),
        '>= 0.5x',
      );
      row(s5, 'p99 vs memory mode', times(ratio('redis', 'heartbeat', 'p99')));
    }
  }
}

/** Scenario 4 and the expiry tick, each in a child process of its own with --expose-gc. */
function memoryScenario() {
  log(
    'scenario 4: state bytes per app and expiry ticks (in-memory store, in a child process)',
  );
  for (const [n, idKind] of MEMORY_RUNS) {
    const withTicks = idKind === 'short';
    const out = execFileSync(
      process.execPath,
      [
        '--expose-gc',
        'bench/memory.mjs',
        String(n),
        idKind,
        ...(withTicks ? ['ticks'] : []),
      ],
      { cwd: root, encoding: 'utf8', env: childEnv() },
    );
    const m = JSON.parse(out.trim().split('\n').at(-1));
    const ids = idKind === 'uuid' ? '36-char IDs' : '`app-N` IDs';
    const label = `4 memory, ${n.toLocaleString('en')} apps, ${ids}`;
    const goal = n === 1_000_000 ? '<= 250 B' : '';
    row(
      label,
      'state bytes per app (heap + typed arrays)',
      `${Math.round(m.bytesPerApp)} B`,
      goal,
    );
    row(label, 'process RSS growth per app', `${Math.round(m.rssPerApp)} B`);
    if (!withTicks) continue;
    const tick = (t) =>
      `median ${t.medianTickMs.toFixed(2)} ms, max ${t.slowestTickMs.toFixed(2)} ms; ` +
      `max event loop delay ${t.maxLoopDelayMs.toFixed(1)} ms`;
    row(label, 'expiry tick, all healthy', tick(m.idle));
    row(
      label,
      `expiry tick, ${m.busy.dropped} expiring (${m.busy.batch} per tick)`,
      tick(m.busy),
    );
  }
}

if (!args.includes('--no-build')) {
  log(`building the server (${full ? 'full' : 'short'} mode)`);
  execFileSync('npm', ['run', 'build'], {
    cwd: root,
    env: childEnv(),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
const started = Date.now();
if (['1', '2', '3', '5', '6'].some((scenario) => only.has(scenario))) {
  try {
    await httpScenarios();
  } finally {
    children.forEach((child) => child.kill('SIGKILL'));
    await cleanUpRedis();
  }
}
if (only.has('4')) memoryScenario();

const minutes = ((Date.now() - started) / 60_000).toFixed(1);
const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
console.log(
  `\n${new Date().toISOString().slice(0, 10)}, ${cpus().length} x ${cpu}, Node ${process.version}; ` +
    `${full ? 'full' : 'short'} mode: ${MODE.rounds} alternating rounds of ${MODE.duration} s per target, ` +
    `${CONNECTIONS} connections; medians, ratios paired by round with their range over rounds; ` +
    `${minutes} min\n`,
);
console.log('| scenario | measure | result | target |');
console.log('|---|---|---|---|');
// Scenario 4 runs last (it needs the CPU to itself) but is listed in order.
rows.sort((a, b) => a.scenario[0].localeCompare(b.scenario[0]));
for (const r of rows)
  console.log(`| ${r.scenario} | ${r.measure} | ${r.value} | ${r.target} |`);
