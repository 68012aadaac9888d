// Child process (run with --expose-gc): state bytes per registered app in the in-memory store,
// and how long one expiry tick blocks the event loop with N healthy apps registered.
// Prints one JSON line.
import { Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import {
  HeartbeatRegistry,
  InMemoryHeartbeatStore,
  resolveHeartbeatOptions,
} from '../dist/heartbeat/index.js';

const n = Number(process.argv[2]);
Logger.overrideLogger(false); // the busy tick logs thousands of drops
const options = resolveHeartbeatOptions({ maxApps: n });
let now = Date.UTC(2026, 0, 1);
const clock = { now: () => now };

function heapUsed() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

const before = heapUsed();
const store = new InMemoryHeartbeatStore();
const registry = new HeartbeatRegistry(options, store, clock);
// IDs as clients send them, held only by the store once registered.
for (let i = 0; i < n; i++) {
  await registry.beat(`app-${i}`, 30_000 + (i % 1000));
}
const bytesPerApp = (heapUsed() - before) / n;

// A tick with nothing expired: the common case, whatever the number of healthy apps.
let start = performance.now();
await registry.sweep();
const idleTickMs = performance.now() - start;

// One busy tick: 1% of the apps expire at once (bounded by sweepBatchSize).
for (let i = 0; i < n / 100; i++) await registry.beat(`app-${i}`, 0);
now += 60_000;
for (let i = n / 100; i < n; i++) await registry.beat(`app-${i}`, 30_000);
now += 6_001;
start = performance.now();
const dropped = await registry.sweep();
const busyTickMs = performance.now() - start;

console.log(
  JSON.stringify({ n, bytesPerApp, idleTickMs, busyTickMs, droppedInTick: dropped.length }),
);
