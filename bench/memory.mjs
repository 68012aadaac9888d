// Child process of the benchmark, run with --expose-gc:
//   node --expose-gc bench/memory.mjs N short|uuid [ticks]
// Registers N apps in the in-memory store through the HTTP handler's protocol path (the request
// URL as a server passes it), then reports the state bytes per app: V8 heap plus array buffers (the store's typed-array columns live outside the heap) after a
// full GC, minus the empty baseline. IDs are `app-N` (short) or 36-character UUID-shaped ones.
// With `ticks`, it also runs expiry ticks the way the scheduler does (on an interval) with N
// healthy apps, then while 1% of them expire at once, and reports how long each tick took and the
// event loop's worst delay (perf_hooks.monitorEventLoopDelay) meanwhile. Prints one JSON line.
import { Logger } from '@nestjs/common';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  HeartbeatHttpHandler,
  HeartbeatRegistry,
  InMemoryHeartbeatStore,
  resolveHeartbeatOptions,
} from '../dist/heartbeat/index.js';

const n = Number(process.argv[2]);
const idKind = process.argv[3] ?? 'short';
const measureTicks = process.argv[4] === 'ticks';
// Drops are logged at warn level; the cost of a log sink is not the store's.
Logger.overrideLogger(false);
const options = resolveHeartbeatOptions({ maxApps: n });
let now = Date.UTC(2026, 0, 1);
const clock = { now: () => now };
const idOf =
  idKind === 'uuid'
    ? (i) => `0a1b2c3d-4e5f-4789-abcd-${String(i).padStart(12, '0')}`
    : (i) => `app-${i}`;

function memory() {
  globalThis.gc();
  globalThis.gc();
  const { heapUsed, arrayBuffers, rss } = process.memoryUsage();
  return { state: heapUsed + arrayBuffers, rss };
}

const ping = (handler, i, timeout) =>
  handler.answer('hb_ping', {
    method: 'GET',
    url: `/hb_ping?${timeout}&appid=${idOf(i)}`,
    headers: {},
  });

const before = memory();
const registry = new HeartbeatRegistry(
  options,
  new InMemoryHeartbeatStore(),
  clock,
);
const handler = new HeartbeatHttpHandler(registry, console);
for (let i = 0; i < n; i++) await ping(handler, i, 600_000);
const after = memory();
const result = {
  n,
  idKind,
  bytesPerApp: (after.state - before.state) / n,
  rssPerApp: (after.rss - before.rss) / n,
};

/** Runs `count` ticks `intervalMs` apart: tick durations and the worst event loop delay. */
async function ticks(count, intervalMs) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const durations = [];
  let dropped = 0;
  for (let tick = 0; tick < count; tick++) {
    await sleep(intervalMs);
    const start = performance.now();
    const removed = (await registry.sweep()).length;
    // Busy runs: the ticks that removed something (the trailing empty ones are idle ticks).
    if (removed > 0 || dropped === 0) durations.push(performance.now() - start);
    dropped += removed;
  }
  await sleep(intervalMs);
  histogram.disable();
  durations.sort((a, b) => a - b);
  return {
    medianTickMs: durations[durations.length >> 1],
    slowestTickMs: durations.at(-1),
    maxLoopDelayMs: histogram.max / 1e6,
    dropped,
  };
}

if (measureTicks) {
  // Healthy apps only: nothing is due, whatever N.
  result.idle = await ticks(20, 50);
  // 1% of the apps fall silent at once and pass the drop threshold together; ticks remove
  // them sweepBatchSize at a time.
  const expiring = n / 100;
  for (let i = 0; i < expiring; i++) await ping(handler, i, 0);
  now += options.dropThreshold * options.toleranceMs + 1;
  result.busy = await ticks(
    Math.ceil(expiring / options.sweepBatchSize) + 2,
    50,
  );
  result.busy.batch = options.sweepBatchSize;
}

if ((await registry.get(idOf(n - 1))) === undefined) {
  throw new Error('the last app is missing');
}
console.log(JSON.stringify(result));
