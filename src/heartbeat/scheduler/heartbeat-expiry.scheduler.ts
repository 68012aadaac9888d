import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { HeartbeatMessages } from '../core/messages.js';
import {
  HEARTBEAT_EXPIRY_INTERVAL,
  HEARTBEAT_OPTIONS,
} from '../heartbeat.constants.js';
import type { ResolvedHeartbeatOptions } from '../interfaces/heartbeat-module-options.interface.js';
import { HeartbeatRegistry } from '../registry/heartbeat-registry.service.js';

/**
 * The scheduled expiry task: a named interval in the host's `SchedulerRegistry` (the module never
 * calls `ScheduleModule.forRoot()` itself) that removes dropped records. Correctness never
 * depends on it: queries already treat dropped records as absent. It only reclaims memory and
 * logs each drop once.
 *
 * @publicApi
 */
@Injectable()
export class HeartbeatExpiryScheduler
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('Heartbeat');
  private running = false;

  constructor(
    private readonly registry: HeartbeatRegistry,
    @Inject(HEARTBEAT_OPTIONS)
    private readonly options: ResolvedHeartbeatOptions,
    @Optional() private readonly schedulerRegistry?: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.schedulerRegistry) {
      throw new Error(HeartbeatMessages.missingScheduler());
    }
    const interval = setInterval(
      () => void this.tick(),
      this.options.sweepIntervalMs,
    );
    // The HTTP server keeps a server alive; the sweep alone never should.
    interval.unref();
    this.schedulerRegistry.addInterval(HEARTBEAT_EXPIRY_INTERVAL, interval);
  }

  /** One sweep; skipped while the previous one is still running. Never throws. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.registry.sweep();
    } catch (error) {
      this.logger.error(`expiry sweep failed: ${String(error)}`);
    } finally {
      this.running = false;
    }
  }

  onApplicationShutdown(): void {
    if (
      this.schedulerRegistry?.doesExist('interval', HEARTBEAT_EXPIRY_INTERVAL)
    ) {
      this.schedulerRegistry.deleteInterval(HEARTBEAT_EXPIRY_INTERVAL);
    }
  }
}
