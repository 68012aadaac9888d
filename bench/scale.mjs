// npm run bench -- --scale [--quick] [--no-build]     (or: node bench/scale.mjs [--quick])
//
// The scale benchmarks, each in its own process tree, printed as one table:
//   S1  memory mode, hb_ping at 1,000 vs 100,000 vs 1,000,000 apps (standalone server, default
//       Express adapter), alternating rounds, ratios to the 1,000-app run paired by round;
//   S2  RSS growth per app (what `top` shows) after 1,000,000 apps registered over HTTP, on
//       Express and on Fastify, beside the store's own bytes per app (bench/memory.mjs);
//   S3  Redis, 1,000,000 apps, two replicas (bench/redis-replicas.mjs): hb_ping p99 on replica B
//       while replica A answers /status, /list and /metrics once per second, the time of each of
//       those queries, SLOWLOG during them and the sweeps, and Redis vs memory hb_ping.
// --quick runs 100,000 instead of 1,000,000 apps and shorter rounds: for trying it out.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { rssGrowth } from './memory-rss.mjs';
import { preload } from './preload.mjs';
import { runRedisReplicas } from './redis-replicas.mjs';
import {
  abs,
  alternate,
  childEnv,
  load,
  log,
  root,
  startStandalone,
  times,
} from './scale-support.mjs';

function settings(args) {
  const quick = args.includes('--quick');
  return {
    quick,
    big: quick ? 100_000 : 1_000_000,
    mid: quick ? 10_000 : 100_000,
    small: 1000,
    seconds: quick ? 3 : 5,
    rounds: 3,
    connections: 64,
  };
}

const ping = '/hb_ping?600000&appid=app-%d';
const fmt = (n) => n.toLocaleString('en');

async function preloaded(server, n) {
  const started = Date.now();
  await preload(server.url, n);
  const seconds = (Date.now() - started) / 1000;
  log(`  ${server.name}: ${fmt(n)} apps in ${seconds.toFixed(1)} s`);
  return server;
}

/** S1 and S2. */
async function memoryMode(s, row) {
  const servers = [];
  try {
    const small = await startStandalone('1k', { HB_MAX_APPS: '2000' });
    servers.push(small);
    await preloaded(small, s.small);
    const mid = await startStandalone(`${s.mid}`, {
      HB_MAX_APPS: String(s.mid),
    });
    servers.push(mid);
    await preloaded(mid, s.mid);
    // The big one is measured for RSS while it is filled, then serves the load rounds.
    const big = await startStandalone(`express ${fmt(s.big)}`, {
      HB_MAX_APPS: String(s.big),
    });
    servers.push(big);
    const express = await rssGrowth(big, s.big);

    const opts = { seconds: s.seconds, connections: s.connections };
    const { result, ratio } = await alternate(
      [
        { label: 'small', run: () => load(small.url, ping, s.small, opts) },
        { label: 'mid', run: () => load(mid.url, ping, s.mid, opts) },
        { label: 'big', run: () => load(big.url, ping, s.big, opts) },
      ],
      s.rounds,
    );
    await Promise.all(servers.splice(0).map((server) => server.stop()));

    const s1 = 'S1 memory mode, hb_ping';
    row(s1, `${fmt(s.small)} apps`, abs(result.small));
    for (const [label, n] of [
      ['mid', s.mid],
      ['big', s.big],
    ]) {
      row(s1, `${fmt(n)} apps`, abs(result[label]));
      row(
        s1,
        `${fmt(n)} vs ${fmt(s.small)} apps: throughput`,
        times(ratio(label, 'small')),
        '>= 0.9x',
      );
      row(
        s1,
        `${fmt(n)} vs ${fmt(s.small)} apps: p99`,
        times(ratio(label, 'small', 'p99')),
        '<= 1.5x',
      );
    }

    const fastifyServer = await startStandalone(`fastify ${fmt(s.big)}`, {
      HB_ADAPTER: 'fastify',
      HB_MAX_APPS: String(s.big),
    });
    servers.push(fastifyServer);
    const fastify = await rssGrowth(fastifyServer, s.big);
    await Promise.all(servers.splice(0).map((server) => server.stop()));

    const structure = JSON.parse(
      execFileSync(
        process.execPath,
        ['--expose-gc', 'bench/memory.mjs', String(s.big), 'short'],
        { cwd: root, env: childEnv(), encoding: 'utf8' },
      )
        .trim()
        .split('\n')
        .at(-1),
    );
    const s2 = `S2 memory per app, ${fmt(s.big)} apps registered over HTTP`;
    for (const [adapter, m] of [
      ['Express (default)', express],
      ['Fastify', fastify],
    ]) {
      row(
        s2,
        `RSS growth per app, standalone on ${adapter}`,
        `${Math.round(m.rssPerApp)} B (idle ${Math.round(m.idleRss / 2 ** 20)} MiB, then ${Math.round(m.rss / 2 ** 20)} MiB)`,
        '<= 150 B',
      );
    }
    row(
      s2,
      'the store itself (heap + typed arrays, after a full GC, in-process)',
      `${Math.round(structure.bytesPerApp)} B`,
    );
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

export async function runScaleBenchmarks(args = []) {
  const s = settings(args);
  if (!args.includes('--no-build')) {
    log('building the server');
    execFileSync('npm', ['run', 'build'], {
      cwd: root,
      env: childEnv(),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  const rows = [];
  const row = (scenario, measure, value, target = '') =>
    rows.push({ scenario, measure, value, target });
  log(`S1, S2: memory mode at ${fmt(s.big)} apps`);
  await memoryMode(s, row);
  log(`S3: Redis, ${fmt(s.big)} apps, two replicas`);
  await runRedisReplicas(s, row);

  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, ${cpus().length} x ${cpu}, Node ${process.version}; ` +
      `scale benchmarks${s.quick ? ' (quick)' : ''}: ${s.rounds} alternating rounds of ${s.seconds} s per target, ` +
      `${s.connections} connections (wrk); medians, ratios paired by round with their range; ${minutes} min; ` +
      `machine load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end\n`,
  );
  console.log('| scenario | measure | result | target |');
  console.log('|---|---|---|---|');
  for (const r of rows)
    console.log(`| ${r.scenario} | ${r.measure} | ${r.value} | ${r.target} |`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runScaleBenchmarks(process.argv.slice(2));
  process.exit(0);
}
