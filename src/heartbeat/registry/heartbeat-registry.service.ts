import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { HeartbeatError, isHeartbeatError } from '../core/errors.js';
import { HeartbeatMessages } from '../core/messages.js';
import {
  formatAppStatusLine,
  formatHostStatusLine,
  formatUnknownAppLine,
  GOODBYE,
  STORE_UNAVAILABLE_LINE,
} from '../core/nagios.js';
import {
  parseProtocolRequest,
  validateAppId,
  validateTimeout,
  type HeartbeatCommand,
  type ProtocolInput,
} from '../core/protocol.js';
import {
  dropDeadline,
  evaluateRecord,
  type HeartbeatAppStatus,
} from '../core/status.js';
import {
  HEARTBEAT_CLOCK,
  HEARTBEAT_OPTIONS,
  HEARTBEAT_STORE,
} from '../heartbeat.constants.js';
import type { HeartbeatClock } from '../interfaces/clock.interface.js';
import type { ResolvedHeartbeatOptions } from '../interfaces/heartbeat-module-options.interface.js';
import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import type { HeartbeatStore } from '../interfaces/heartbeat-store.interface.js';

/**
 * Result of a registration or heartbeat.
 * @publicApi
 */
export interface HeartbeatBeatResult {
  readonly appId: string;
  /** `T = TIMEOUT + tolerance`, the number sent back to the client. */
  readonly delayMs: number;
  /** `true` when the ID was not known (a first `hb_init`, or a ping after a restart). */
  readonly created: boolean;
}

/**
 * The one service behind every face of the module: the protocol and monitoring controllers, the
 * Express middleware and the host application's own code. Inputs are validated against the
 * configured limits; time comes from the injected clock.
 *
 * @publicApi
 */
@Injectable()
export class HeartbeatRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger('Heartbeat');

  constructor(
    @Inject(HEARTBEAT_OPTIONS) readonly options: ResolvedHeartbeatOptions,
    @Inject(HEARTBEAT_STORE) private readonly store: HeartbeatStore,
    @Inject(HEARTBEAT_CLOCK) private readonly clock: HeartbeatClock,
  ) {}

  /** Registers an application that promises its first heartbeat within `timeoutMs`. */
  register(appId: string, timeoutMs = 0): Promise<HeartbeatBeatResult> {
    // The protocol gives hb_init and hb_ping the same effect; two names keep host code readable.
    return this.beat(appId, timeoutMs);
  }

  /** Records a heartbeat; an unknown ID is registered (how clients recover after a restart). */
  async beat(appId: string, timeoutMs = 0): Promise<HeartbeatBeatResult> {
    return this.upsert(this.checkAppId(appId), this.checkTimeout(timeoutMs));
  }

  /** Removes an application; resolves `false` when it was not known. */
  deregister(appId: string): Promise<boolean> {
    return this.call(() => this.store.remove(this.checkAppId(appId)));
  }

  /** The live status of one application, or `undefined` when unknown or dropped. */
  async get(appId: string): Promise<HeartbeatAppStatus | undefined> {
    const record = await this.call(() =>
      this.store.get(this.checkAppId(appId)),
    );
    return record && evaluateRecord(record, this.clock.now(), this.options);
  }

  /** The live applications in registration order. */
  async list(): Promise<HeartbeatAppStatus[]> {
    const records = await this.call(() => this.store.list());
    const now = this.clock.now();
    const live: HeartbeatAppStatus[] = [];
    for (const record of records) {
      const status = evaluateRecord(record, now, this.options);
      if (status) live.push(status);
    }
    return live;
  }

  /**
   * The Nagios status line: of one application when `appId` is given, otherwise of the host
   * (none, exactly one, or several applications). While the store is unreachable:
   * `UNKNOWN - heartbeat store unavailable`.
   */
  async status(appId?: string): Promise<string> {
    try {
      if (appId === undefined) {
        return formatHostStatusLine(await this.list(), this.options);
      }
      const status = await this.get(appId);
      return status
        ? formatAppStatusLine(status, this.options)
        : formatUnknownAppLine(appId);
    } catch (error) {
      // A monitor must learn that we cannot tell, not get an error it may read as "down".
      if (isHeartbeatError(error) && error.kind === 'unavailable') {
        return STORE_UNAVAILABLE_LINE;
      }
      throw error;
    }
  }

  /**
   * Runs a protocol command from raw HTTP input and returns the response body: `T` for
   * `hb_init`/`hb_ping`, the goodbye text for `hb_done`. Throws `HeartbeatError` on bad input.
   */
  async execute(
    command: HeartbeatCommand,
    input: ProtocolInput,
  ): Promise<string> {
    const { appId, timeoutMs } = parseProtocolRequest(input, this.options);
    if (command === 'hb_done') {
      await this.call(() => this.store.remove(appId));
      return GOODBYE;
    }
    const { delayMs } = await this.upsert(appId, timeoutMs);
    return String(delayMs);
  }

  /**
   * Removes records that reached the drop threshold (up to `sweepBatchSize`) and logs each drop.
   * Called by the scheduled expiry task; safe to call at any time.
   */
  async sweep(): Promise<HeartbeatRecord[]> {
    const now = this.clock.now();
    const dropped = await this.call(() =>
      this.store.removeExpired(now, this.options.sweepBatchSize),
    );
    for (const record of dropped) this.logDrop(record);
    return dropped;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close?.();
  }

  private async upsert(
    appId: string,
    timeoutMs: number,
  ): Promise<HeartbeatBeatResult> {
    const now = this.clock.now();
    const delayMs = timeoutMs + this.options.toleranceMs;
    const result = await this.call(() =>
      this.store.upsert(
        {
          appId,
          lastSeen: now,
          delayMs,
          registeredAt: now,
          expiresAt: dropDeadline(now, delayMs, this.options),
        },
        this.options.maxApps,
      ),
    );
    if (result.status === 'full') {
      throw new HeartbeatError(
        'capacity',
        HeartbeatMessages.appLimitReached(this.options.maxApps),
      );
    }
    if (result.dropped) this.logDrop(result.dropped);
    return { appId, delayMs, created: result.status === 'created' };
  }

  private logDrop(record: HeartbeatRecord): void {
    this.logger.warn(
      `dropped application [${record.appId}]: no heartbeat for ${record.expiresAt - record.lastSeen} ms (T=${record.delayMs} ms)`,
    );
  }

  private checkAppId(appId: string): string {
    return validateAppId(appId, this.options.maxAppIdLength);
  }

  private checkTimeout(timeoutMs: number): number {
    return validateTimeout(timeoutMs, this.options.maxTimeoutMs);
  }

  /** Store failures other than our own typed errors become `unavailable` (503). */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (isHeartbeatError(error)) throw error;
      this.logger.error(`heartbeat store failed: ${String(error)}`);
      throw new HeartbeatError(
        'unavailable',
        HeartbeatMessages.storeUnavailable(),
      );
    }
  }
}
