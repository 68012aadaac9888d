// node bench/memory-rss.mjs [N] [express|fastify ...]   (after npm run build)
//
// What an operator sees: the standalone server (`node dist/main.js`, in memory, default
// configuration but HB_MAX_APPS) on each adapter, its resident set size (VmRSS, what `top` shows)
// when idle, then after N apps registered over HTTP (bench/preload.mjs: pipelined hb_ping
// requests, every app through the full HTTP path) and a few seconds of rest. Prints one JSON
// line per adapter with the RSS growth per app.
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { preload } from './preload.mjs';
import { log, rssOf, startStandalone } from './scale-support.mjs';

/**
 * Registers `n` apps over HTTP on `server` (already started, idle) and returns its RSS growth
 * per app, measured after five seconds of rest.
 */
export async function rssGrowth(server, n) {
  await sleep(2000);
  const idle = rssOf(server.child.pid);
  const started = Date.now();
  await preload(server.url, n);
  const seconds = (Date.now() - started) / 1000;
  log(
    `  ${server.name}: ${n} apps registered over HTTP in ${seconds.toFixed(1)} s (${Math.round(n / seconds)}/s)`,
  );
  await sleep(5000);
  const after = rssOf(server.child.pid);
  return { n, idleRss: idle, rss: after, rssPerApp: (after - idle) / n };
}

/** RSS growth per app of a fresh standalone server on `adapter`. */
export async function measureRss(adapter, n) {
  const server = await startStandalone(`${adapter} ${n} apps`, {
    HB_ADAPTER: adapter,
    HB_MAX_APPS: String(n),
  });
  try {
    return { adapter, ...(await rssGrowth(server, n)) };
  } finally {
    await server.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const n = Number(process.argv[2] ?? 1_000_000);
  const adapters = process.argv.slice(3);
  for (const adapter of adapters.length ? adapters : ['express', 'fastify']) {
    console.log(JSON.stringify(await measureRss(adapter, n)));
  }
}
