import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { HeartbeatRegistry } from '../registry/heartbeat-registry.service.js';

/**
 * A Terminus health indicator over the heartbeat registry, so a host's `/health` can include its
 * applications in one line. Provide it where `HeartbeatRegistry` is visible (import
 * `HeartbeatModule` there or make it global) next to `TerminusModule`.
 *
 * @example
 * @Get('health')
 * @HealthCheck()
 * check() {
 *   return this.health.check([
 *     () => this.heartbeats.isNotCritical('worker', 'worker-1'),
 *     () => this.heartbeats.noneCritical('heartbeat'),
 *   ]);
 * }
 * @publicApi
 */
@Injectable()
export class HeartbeatHealthIndicator {
  constructor(
    private readonly registry: HeartbeatRegistry,
    private readonly health: HealthIndicatorService,
  ) {}

  /**
   * Up while `appId` is OK, degraded while WARNING, down when CRITICAL or unknown (never
   * registered, dropped or deregistered) or when the store cannot be reached.
   */
  async isNotCritical<const Key extends string>(key: Key, appId: string) {
    const check = this.health.check(key);
    try {
      const status = await this.registry.get(appId);
      if (!status) {
        return check.down({ appId, message: 'no application record' });
      }
      const data = {
        appId,
        state: status.state,
        od: Number(status.od.toFixed(2)),
      };
      if (status.state === 'CRITICAL') return check.down(data);
      return status.state === 'WARNING' ? check.degraded(data) : check.up(data);
    } catch (error) {
      return check.down({ appId, message: (error as Error).message });
    }
  }

  /** Up unless some application is CRITICAL (listed in the result), or the store is unreachable. */
  async noneCritical<const Key extends string>(key: Key) {
    const check = this.health.check(key);
    try {
      const live = await this.registry.list();
      const ids = (state: string) =>
        live.filter((app) => app.state === state).map((app) => app.appId);
      const data = {
        apps: live.length,
        warning: ids('WARNING'),
        critical: ids('CRITICAL'),
      };
      return data.critical.length > 0 ? check.down(data) : check.up(data);
    } catch (error) {
      return check.down({ message: (error as Error).message });
    }
  }
}
