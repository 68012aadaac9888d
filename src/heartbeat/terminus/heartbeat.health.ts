import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { HeartbeatState } from '../core/status.js';
import { HeartbeatRegistry } from '../engine/heartbeat-registry.js';

/** Why an indicator is down while the store refuses heartbeats. */
const STORE_REFUSING = 'heartbeat store cannot record heartbeats';

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
   * registered, dropped or deregistered) or when the store cannot be reached or cannot record
   * heartbeats (lateness cannot be judged then).
   */
  async isNotCritical<const Key extends string>(key: Key, appId: string) {
    const check = this.health.check(key);
    if (this.registry.storeRefusing) {
      return check.down({ appId, message: STORE_REFUSING });
    }
    try {
      const status = await this.registry.get(appId);
      if (!status) {
        return check.down({ appId, message: 'no application record' });
      }
      const data = {
        appId,
        state: status.state,
        od: status.od,
      };
      if (status.state === 'CRITICAL') return check.down(data);
      return status.state === 'WARNING' ? check.degraded(data) : check.up(data);
    } catch (error) {
      return check.down({ appId, message: (error as Error).message });
    }
  }

  /**
   * Up unless some application is CRITICAL, or the store is unreachable or cannot record
   * heartbeats. The result counts the
   * apps per state and names the most overdue WARNING and CRITICAL ones, at most `maxListed` of
   * each, so that a flood of dead IDs cannot blow up the health response.
   */
  async noneCritical<const Key extends string>(
    key: Key,
    { maxListed = 10 }: { maxListed?: number } = {},
  ) {
    const check = this.health.check(key);
    if (this.registry.storeRefusing)
      return check.down({ message: STORE_REFUSING });
    try {
      const live = await this.registry.list();
      const counts = { OK: 0, WARNING: 0, CRITICAL: 0 };
      for (const app of live) counts[app.state]++;
      const listed = (state: HeartbeatState) =>
        live
          .filter((app) => app.state === state)
          .sort((a, b) => b.od - a.od)
          .slice(0, maxListed)
          .map((app) => app.appId);
      const data = {
        apps: live.length,
        ok: counts.OK,
        warning: counts.WARNING,
        critical: counts.CRITICAL,
        warningApps: listed('WARNING'),
        criticalApps: listed('CRITICAL'),
      };
      return data.critical > 0 ? check.down(data) : check.up(data);
    } catch (error) {
      return check.down({ message: (error as Error).message });
    }
  }
}
