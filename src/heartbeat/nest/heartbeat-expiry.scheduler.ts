import {
  Inject,
  Injectable,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { HeartbeatMessages } from '../core/messages.js';
import { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import { HeartbeatSweepLoop } from '../engine/heartbeat-sweep.loop.js';
import type { HeartbeatLogger } from '../engine/heartbeat.logger.js';
import {
  HEARTBEAT_EXPIRY_INTERVAL,
  HEARTBEAT_LOGGER,
} from './heartbeat.constants.js';

/**
 * The scheduled expiry task: the engine's sweep loop, its timer registered as a named interval in
 * the host's `SchedulerRegistry` (the module never calls `ScheduleModule.forRoot()` itself).
 * Correctness never depends on it: queries already treat dropped records as absent. It only
 * reclaims memory, logs each drop once and reports state changes.
 *
 * @publicApi
 */
@Injectable()
export class HeartbeatExpiryScheduler
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly loop: HeartbeatSweepLoop;

  constructor(
    registry: HeartbeatRegistry,
    @Inject(HEARTBEAT_LOGGER) logger: HeartbeatLogger,
    @Optional() private readonly schedulerRegistry?: SchedulerRegistry,
  ) {
    this.loop = new HeartbeatSweepLoop(
      registry,
      registry.options.sweepIntervalMs,
      logger,
    );
  }

  onApplicationBootstrap(): void {
    if (!this.schedulerRegistry) {
      throw new Error(HeartbeatMessages.missingScheduler());
    }
    // A second forRoot() would otherwise fail with the scheduler's "already exists".
    if (
      this.schedulerRegistry.doesExist('interval', HEARTBEAT_EXPIRY_INTERVAL)
    ) {
      throw new Error(HeartbeatMessages.secondRoot());
    }
    this.schedulerRegistry.addInterval(
      HEARTBEAT_EXPIRY_INTERVAL,
      this.loop.start(),
    );
  }

  /** One sweep; skipped while the previous one is still running. Never throws. */
  tick(): Promise<void> {
    return this.loop.tick();
  }

  onApplicationShutdown(): void {
    this.loop.stop();
    if (
      this.schedulerRegistry?.doesExist('interval', HEARTBEAT_EXPIRY_INTERVAL)
    ) {
      this.schedulerRegistry.deleteInterval(HEARTBEAT_EXPIRY_INTERVAL);
    }
  }
}
