import { Logger, type Provider } from '@nestjs/common';
import { resolveHeartbeatOptions } from '../core/options.js';
import { HeartbeatDashboardHandler } from '../dashboard/heartbeat-dashboard.handler.js';
import { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import { resolveHeartbeatClock } from '../engine/heartbeat.clock.js';
import type { HeartbeatLogger } from '../engine/heartbeat.logger.js';
import { HeartbeatWebhookDispatcher } from '../engine/heartbeat-webhook.dispatcher.js';
import { HeartbeatHttpHandler } from '../http/heartbeat-http.handler.js';
import type { HeartbeatClock } from '../interfaces/clock.interface.js';
import type {
  HeartbeatModuleOptions,
  ResolvedHeartbeatOptions,
} from '../interfaces/heartbeat-module-options.interface.js';
import type { HeartbeatStore } from '../interfaces/heartbeat-store.interface.js';
import { InMemoryHeartbeatStore } from '../stores/in-memory-heartbeat.store.js';
import {
  HEARTBEAT_CLOCK,
  HEARTBEAT_LOGGER,
  HEARTBEAT_OPTIONS,
  HEARTBEAT_STORE,
} from './heartbeat.constants.js';
import { MODULE_OPTIONS_TOKEN } from './heartbeat.module-definition.js';

/**
 * The engine as Nest providers, each from a factory: raw options → resolved options, the store
 * (given or a new in-memory one), the clock, the registry, its webhook dispatcher, its HTTP
 * handler and its dashboard. Each seam (store,
 * clock) is its own token, so tests and hosts can `overrideProvider` it.
 * @internal
 */
export const heartbeatProviders: Provider[] = [
  {
    provide: HEARTBEAT_OPTIONS,
    useFactory: (raw: HeartbeatModuleOptions) => resolveHeartbeatOptions(raw),
    inject: [MODULE_OPTIONS_TOKEN],
  },
  {
    provide: HEARTBEAT_STORE,
    useFactory: (options: ResolvedHeartbeatOptions) =>
      options.store ??
      new InMemoryHeartbeatStore({ capacity: options.maxApps }),
    inject: [HEARTBEAT_OPTIONS],
  },
  {
    provide: HEARTBEAT_CLOCK,
    useFactory: resolveHeartbeatClock,
    inject: [HEARTBEAT_OPTIONS, HEARTBEAT_STORE],
  },
  { provide: HEARTBEAT_LOGGER, useFactory: () => new Logger('Heartbeat') },
  {
    provide: HeartbeatRegistry,
    useFactory: (
      options: ResolvedHeartbeatOptions,
      store: HeartbeatStore,
      clock: HeartbeatClock,
      logger: HeartbeatLogger,
    ) => new HeartbeatRegistry(options, store, clock, logger),
    inject: [
      HEARTBEAT_OPTIONS,
      HEARTBEAT_STORE,
      HEARTBEAT_CLOCK,
      HEARTBEAT_LOGGER,
    ],
  },
  {
    provide: HeartbeatWebhookDispatcher,
    useFactory: (
      registry: HeartbeatRegistry,
      clock: HeartbeatClock,
      logger: HeartbeatLogger,
    ) => HeartbeatWebhookDispatcher.forRegistry(registry, { clock, logger }),
    inject: [HeartbeatRegistry, HEARTBEAT_CLOCK, HEARTBEAT_LOGGER],
  },
  {
    provide: HeartbeatHttpHandler,
    useFactory: (registry: HeartbeatRegistry, logger: HeartbeatLogger) =>
      new HeartbeatHttpHandler(registry, logger),
    inject: [HeartbeatRegistry, HEARTBEAT_LOGGER],
  },
  {
    // Inert until asked: it reads its files on the first request and subscribes to events only
    // while a stream is open. The standalone front door serves it too.
    provide: HeartbeatDashboardHandler,
    useFactory: (registry: HeartbeatRegistry, logger: HeartbeatLogger) =>
      new HeartbeatDashboardHandler(registry, logger),
    inject: [HeartbeatRegistry, HEARTBEAT_LOGGER],
  },
];
