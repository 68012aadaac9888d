// npm run bench -- --state [--apps=1000000] [--no-build]     (or: node bench/state-file.mjs)
//
// The state file (HB_STATE_FILE) at scale, on the compiled engine (dist/):
//   - flush: the registry filled with N apps, the file written 5 times; for each, how long the
//     flush took, and the longest event-loop stall during it (perf_hooks monitorEventLoopDelay,
//     1 ms resolution, and a 1 ms timer's largest gap); the file's size;
//   - load: a fresh process reads the file (start-up), 3 times: the registry's own load time,
//     and the process's time from spawn to a restored registry (module loading included).
// Everything lives in a temporary directory, removed at the end; nothing else is read or written.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { childEnv, log, root } from './scale-support.mjs';

const engine = pathToFileURL(join(root, 'dist/heartbeat/index.js')).href;
const fmt = (n) => n.toLocaleString('en');
const median = (values) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function appsFrom(args) {
  const raw = args.find((arg) => arg.startsWith('--apps='))?.slice(7);
  return raw === undefined ? 1_000_000 : Number(raw);
}

/** The child's side: restore the file, report the registry's load time. */
async function loadOnce(file, apps) {
  const { HeartbeatRegistry } = await import(engine);
  const registry = HeartbeatRegistry.create(
    { stateFile: file, maxApps: apps, stateFlushMs: 3_600_000 },
    { logger: { log() {}, warn: console.error, error: console.error } },
  );
  const { restored, loadMs } = registry.stateFile;
  process.stdout.write(
    JSON.stringify({ restored, loadMs, sinceStart: performance.now() }),
  );
  process.exit(0);
}

async function measureLoad(file, apps) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), '--load', file, String(apps)],
    { env: childEnv(), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`load process exited with ${code}`);
  return { ...JSON.parse(out), wallMs: performance.now() - started };
}

/** Fills a registry with `apps` apps (IDs like a service name with a number). */
async function filled(file, apps) {
  const { HeartbeatRegistry } = await import(engine);
  const registry = HeartbeatRegistry.create(
    { stateFile: file, maxApps: apps, stateFlushMs: 3_600_000 },
    { logger: { log() {}, warn: console.error, error: console.error } },
  );
  const started = performance.now();
  for (let i = 0; i < apps; i++) await registry.beat(`service-${i}`, 60_000);
  log(
    `  ${fmt(apps)} apps registered in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return registry;
}

async function measureFlush(registry) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  // A 1 ms timer's largest gap: the stall as a request waiting in the loop would see it.
  let last = performance.now();
  let gap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
  }, 1);
  // Let the ticker settle before the flush starts.
  await new Promise((resolve) => setTimeout(resolve, 50));
  gap = 0;
  last = performance.now();
  histogram.enable();
  const started = performance.now();
  await registry.flushState();
  const flushMs = performance.now() - started;
  histogram.disable();
  clearInterval(ticker);
  return {
    flushMs,
    stallMs: histogram.max / 1e6,
    gapMs: gap,
  };
}

export async function runStateFileBenchmark(args) {
  const apps = appsFrom(args);
  if (!args.includes('--no-build')) {
    log('building the server');
    execFileSync('npm', ['run', 'build'], {
      cwd: root,
      stdio: 'inherit',
      env: childEnv(),
    });
  }
  const dir = mkdtempSync(join(tmpdir(), 'hb-bench-state-'));
  const file = join(dir, 'registry.state');
  try {
    log(`state file benchmark: ${fmt(apps)} apps, in ${dir}`);
    const registry = await filled(file, apps);
    const flushes = [];
    for (let i = 0; i < 5; i++) {
      // A few heartbeats between flushes, as in service.
      for (let j = 0; j < 1000; j++)
        await registry.beat(`service-${(j * 7919) % apps}`, 60_000);
      flushes.push(await measureFlush(registry));
      log(
        `  flush ${i + 1}: ${flushes.at(-1).flushMs.toFixed(0)} ms, longest stall ${flushes.at(-1).stallMs.toFixed(1)} ms (timer gap ${flushes.at(-1).gapMs.toFixed(1)} ms)`,
      );
    }
    const bytes = statSync(file).size;
    await registry.close();
    const loads = [];
    for (let i = 0; i < 3; i++) {
      loads.push(await measureLoad(file, apps));
      log(
        `  load ${i + 1}: ${fmt(loads.at(-1).restored)} apps restored in ${loads.at(-1).loadMs.toFixed(0)} ms (process start to restored: ${loads.at(-1).wallMs.toFixed(0)} ms)`,
      );
    }
    const row = (name, values, unit = 'ms') =>
      `| ${name} | ${median(values).toFixed(1)} ${unit} | ${Math.min(...values).toFixed(1)} to ${Math.max(...values).toFixed(1)} ${unit} |`;
    console.log(
      [
        '',
        `State file at ${fmt(apps)} apps (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores: ${cpus()[0]?.model ?? 'unknown'}, Node ${process.version}, batch 10,000 records)`,
        '',
        '| measure | median | range |',
        '|---|---|---|',
        row(
          'flush duration',
          flushes.map((f) => f.flushMs),
        ),
        row(
          'longest event-loop stall during a flush (monitorEventLoopDelay max)',
          flushes.map((f) => f.stallMs),
        ),
        row(
          'largest gap of a 1 ms timer during a flush',
          flushes.map((f) => f.gapMs),
        ),
        `| file size | ${fmt(bytes)} bytes (${(bytes / apps).toFixed(1)} per app) | |`,
        row(
          'start-up load (registry)',
          loads.map((l) => l.loadMs),
        ),
        row(
          'process start to restored registry',
          loads.map((l) => l.wallMs),
        ),
      ].join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args[0] === '--load') await loadOnce(args[1], Number(args[2]));
  else await runStateFileBenchmark(args);
}
