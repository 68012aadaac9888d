import {
  Controller,
  Delete,
  Get,
  HttpException,
  NotFoundException,
  Param,
  UseGuards,
} from '@nestjs/common';
import { errorResponse, isHeartbeatError } from '../../core/errors.js';
import { formatUnknownAppLine } from '../../core/nagios.js';
import type { HeartbeatAppStatus, HeartbeatState } from '../../core/status.js';
import { HeartbeatRegistry } from '../../engine/heartbeat-registry.js';
import {
  HeartbeatAccessGuard,
  RequireHeartbeatAccess,
} from '../heartbeat-access.guard.js';

/**
 * One application as the JSON API shows it. Times are ISO 8601.
 * @publicApi
 */
export interface HeartbeatAppView {
  readonly id: string;
  readonly state: HeartbeatState;
  /** The overdue ratio `(now - lastSeen) / delayMs`. */
  readonly od: number;
  /** The TIMEOUT the client last sent, in milliseconds. */
  readonly timeoutMs: number;
  /** `T = TIMEOUT + tolerance`. */
  readonly delayMs: number;
  readonly lastSeen: string;
  readonly registeredAt: string;
  /** When the record will be dropped unless a heartbeat arrives. */
  readonly dropsAt: string;
}

/**
 * The answer to `DELETE apps/:id`.
 * @publicApi
 */
export interface HeartbeatRemovedView {
  readonly id: string;
  readonly removed: true;
}

/**
 * A JSON view of the registry for tools that prefer it to Nagios text: `GET apps` and
 * `GET apps/:id` (a read token under the `auth` option), and the admin operations on an app,
 * `DELETE apps/:id` (an admin token). Mounted with the `api` extra. Unlike the protocol routes it
 * answers in the host's JSON conventions (interceptors and exception filters apply).
 *
 * @publicApi
 */
@Controller('apps')
@UseGuards(HeartbeatAccessGuard)
@RequireHeartbeatAccess('read')
export class HeartbeatApiController {
  constructor(private readonly registry: HeartbeatRegistry) {}

  @Get()
  async list(): Promise<{ apps: HeartbeatAppView[] }> {
    const live = await this.guard(() => this.registry.list());
    return { apps: live.map((status) => this.view(status)) };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<HeartbeatAppView> {
    const status = await this.guard(() => this.registry.get(id));
    if (!status) throw new NotFoundException(formatUnknownAppLine(id));
    return this.view(status);
  }

  /**
   * Removes an app, as its own `hb_done` would (a `heartbeat.deregistered` event follows); 404
   * when it is not known.
   */
  @Delete(':id')
  @RequireHeartbeatAccess('admin')
  async remove(@Param('id') id: string): Promise<HeartbeatRemovedView> {
    const removed = await this.guard(() => this.registry.deregister(id));
    if (!removed) throw new NotFoundException(formatUnknownAppLine(id));
    return { id, removed: true };
  }

  private view(status: HeartbeatAppStatus): HeartbeatAppView {
    return {
      id: status.appId,
      state: status.state,
      od: status.od,
      timeoutMs: status.delayMs - this.registry.options.toleranceMs,
      delayMs: status.delayMs,
      lastSeen: new Date(status.lastSeen).toISOString(),
      registeredAt: new Date(status.registeredAt).toISOString(),
      dropsAt: new Date(status.expiresAt).toISOString(),
    };
  }

  /** Typed heartbeat errors become HTTP exceptions with the same status and message. */
  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (!isHeartbeatError(error)) throw error;
      const { status } = errorResponse(error, this.registry.options);
      throw new HttpException(error.message, status);
    }
  }
}
