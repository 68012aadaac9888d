import type { Provider } from '@nestjs/common';
import { resolveHeartbeatClock } from './heartbeat.clock.js';
import {
  HEARTBEAT_CLOCK,
  HEARTBEAT_OPTIONS,
  HEARTBEAT_STORE,
} from './heartbeat.constants.js';
import { MODULE_OPTIONS_TOKEN } from './heartbeat.module-definition.js';
import { resolveHeartbeatOptions } from './core/options.js';
import type {
  HeartbeatModuleOptions,
  ResolvedHeartbeatOptions,
} from './interfaces/heartbeat-module-options.interface.js';
import { InMemoryHeartbeatStore } from './stores/in-memory-heartbeat.store.js';

/**
 * Raw options → resolved options, the store (given or a new in-memory one) and the clock.
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
      options.store ?? new InMemoryHeartbeatStore(),
    inject: [HEARTBEAT_OPTIONS],
  },
  {
    provide: HEARTBEAT_CLOCK,
    useFactory: resolveHeartbeatClock,
    inject: [HEARTBEAT_OPTIONS, HEARTBEAT_STORE],
  },
];
