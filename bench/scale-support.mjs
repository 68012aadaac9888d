// Shared by the scale benchmarks (bench/scale.mjs, bench/memory-rss.mjs, bench/redis-replicas.mjs):
// processes with exactly the environment they are given, a private redis-server, load runs with
// wrk (autocannon when wrk is missing) and alternating rounds with ratios paired by round.
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const children = new Set();
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));

export function log(message) {
  process.stderr.write(`${message}\n`);
}

/** PATH, HOME and exactly the variables given: never the shell's REDIS_URL or HB_*. */
export function childEnv(vars = {}) {
  const env = { NO_COLOR: '1' };
  for (const name of ['PATH', 'HOME', 'TMPDIR']) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  return { ...env, ...vars };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** CPU time (user + system) a process has used so far, in ms (Linux, 10 ms ticks). */
export function cpuMsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .split(') ')[1]
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** VmRSS of a process, in bytes (Linux): what `top` shows as RES. */
export function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
}

/** `node dist/main.js` with exactly `env`; resolves once it listens. */
export async function startStandalone(name, env = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'dist/main.js')], {
    cwd: root,
    env: childEnv({
      HB_HOST: '127.0.0.1',
      HB_PORT: String(port),
      HB_SWEEP_INTERVAL_MS: '1000',
      ...env,
    }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  let output = '';
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (/listening on/.test(output)) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`${name} exited with ${code}: ${output}`)),
    );
  });
  child.stdout.removeAllListeners('data');
  child.stdout.resume();
  return {
    name,
    child,
    url: `http://127.0.0.1:${port}`,
    output,
    async stop() {
      children.delete(child);
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** A throw-away redis-server on a free port, in a temporary directory, removed by `stop()`. */
export async function startPrivateRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hb-bench-redis-'));
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: 'ignore', env: childEnv() },
  );
  children.add(child);
  const { Redis } = await import('ioredis');
  for (let attempt = 0; ; attempt++) {
    const client = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    const up = await client
      .connect()
      .then(() => client.ping())
      .then(() => true)
      .catch(() => false);
    client.disconnect();
    if (up) break;
    if (attempt > 100) throw new Error('private redis-server did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    pid: child.pid,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      children.delete(child);
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((path) => {
  try {
    execFileSync(path, ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    return error.status === 1; // wrk --version exits 1 after printing its version
  }
});

/**
 * One load run of `seconds` with `connections`: each request's path is `pattern` with `%d`
 * replaced by a random index below `spread`. wrk (one thread, leaving the other core to the
 * server) when installed, autocannon otherwise. Returns requests per second and p99 in ms.
 */
export async function load(url, pattern, spread, { seconds, connections }) {
  if (!WRK) {
    const result = await autocannon({
      url,
      connections,
      duration: seconds,
      requests: [
        {
          setupRequest: (request) => ({
            ...request,
            path: pattern.replace(
              '%d',
              String(Math.floor(Math.random() * spread)),
            ),
          }),
        },
      ],
    });
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(
        `${url}: ${result.non2xx} non-2xx, ${result.errors} errors`,
      );
    return { rps: result.requests.average, p99: result.latency.p99 };
  }
  const child = spawn(
    WRK,
    [
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
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
  if (!rps || !p99 || errors)
    throw new Error(`${url}: wrk reported ${errors?.[0] ?? output}`);
  return {
    rps,
    p99: Number(p99[1]) * { us: 0.001, ms: 1, s: 1000 }[p99[2]],
  };
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Runs each target in turn, `rounds` times; returns per-target medians and `ratio(a, b, key)`:
 * the median over rounds of a/b measured in the same round, with its range.
 */
export async function alternate(targets, rounds) {
  const samples = new Map(targets.map((t) => [t.label, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const target of targets) {
      const sample = await target.run();
      samples.get(target.label).push(sample);
      log(
        `  round ${round} ${target.label}: ${Math.round(sample.rps)} req/s, p99 ${sample.p99.toFixed(1)} ms`,
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
      .map((s, i) => s[key] / samples.get(b)[i][key]);
    return {
      median: median(perRound),
      min: Math.min(...perRound),
      max: Math.max(...perRound),
    };
  };
  return { result, ratio };
}

export const times = (r) =>
  `${r.median.toFixed(2)}x (${r.min.toFixed(2)}-${r.max.toFixed(2)})`;
export const abs = (r) =>
  `${Math.round(r.rps)} req/s, p99 ${r.p99.toFixed(1)} ms`;
