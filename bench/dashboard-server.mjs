// A dashboard server for the screenshot and the dashboard benchmark: the built package's registry,
// protocol handler and dashboard handler on a bare node:http server, with a clock that can be
// set back to register apps "in the past" and otherwise follows wall time (so what the page shows
// live matches what the server computes), or stands still when frozen.
import { Logger } from '@nestjs/common';
import http from 'node:http';
import {
  HeartbeatDashboardHandler,
  HeartbeatHttpHandler,
  HeartbeatRegistry,
  InMemoryHeartbeatStore,
  resolveHeartbeatOptions,
} from '../dist/heartbeat/index.js';

/** Starts the server on a free port of 127.0.0.1. */
export async function startDashboardServer(options = {}) {
  Logger.overrideLogger(false);
  let offset = 0;
  let frozen;
  const clock = { now: () => (frozen ?? Date.now()) + offset };
  const logger = { log() {}, warn() {}, error() {} };
  const registry = new HeartbeatRegistry(
    resolveHeartbeatOptions({ sweepIntervalMs: 1000, ...options }),
    new InMemoryHeartbeatStore(),
    clock,
    logger,
  );
  const protocol = new HeartbeatHttpHandler(registry, logger, {
    anyPrefix: true,
  });
  const dashboard = new HeartbeatDashboardHandler(registry, logger);
  const server = http.createServer((request, response) => {
    if (protocol.serve(request, response)) return;
    if (dashboard.serve(request, response)) return;
    response.writeHead(404, { 'Content-Type': 'text/plain' });
    response.end('ERROR: not found');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sweeper = setInterval(() => void registry.sweep(), 1000);
  return {
    registry,
    dashboard,
    url: `http://127.0.0.1:${server.address().port}`,
    /** Runs `work` with the clock `ms` in the past (negative: before now). */
    async at(ms, work) {
      offset = ms;
      try {
        return await work();
      } finally {
        offset = 0;
      }
    },
    /** Stops the clock at `epochMs` (or starts it again with `undefined`). */
    freeze(epochMs) {
      frozen = epochMs;
    },
    async close() {
      clearInterval(sweeper);
      dashboard.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await registry.close();
    },
  };
}

/** Headless Chromium from the system (Debian's package), never a downloaded browser. */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
