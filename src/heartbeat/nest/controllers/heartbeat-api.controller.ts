import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpException,
  Param,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { toAppView, type HeartbeatAppView } from '../../core/app-view.js';
import {
  errorResponse,
  HeartbeatError,
  isHeartbeatError,
} from '../../core/errors.js';
import { HeartbeatMessages } from '../../core/messages.js';
import type { HeartbeatAppStatus, HeartbeatState } from '../../core/status.js';
import { HeartbeatRegistry } from '../../engine/heartbeat-registry.js';
import {
  HeartbeatAccessGuard,
  RequireHeartbeatAccess,
} from '../heartbeat-access.guard.js';
import { appNotFound } from './heartbeat-tombstone.view.js';

export type { HeartbeatAppView } from '../../core/app-view.js';

/**
 * A page of `GET apps`: at most `limit` apps in registration order, and the cursor of the next
 * page (`null` at the end).
 * @publicApi
 */
export interface HeartbeatAppListView {
  readonly apps: HeartbeatAppView[];
  /** Pass as `cursor` to get the next page; `null` when this page reached the end. */
  readonly next: string | null;
}

/** The query of `GET apps`, as received. @publicApi */
export interface HeartbeatAppListQuery {
  /** Most apps in the page, 1 to `maxPageSize`; default `pageSize`. */
  readonly limit?: string;
  /** The `next` of the previous page. */
  readonly cursor?: string;
  /** `OK`, `WARNING` or `CRITICAL`: only apps in that state. */
  readonly state?: string;
  /** Only apps whose ID contains this text. */
  readonly idContains?: string;
}

const STATES: readonly string[] = ['OK', 'WARNING', 'CRITICAL'];

/**
 * The answer to `DELETE apps/:id`.
 * @publicApi
 */
export interface HeartbeatRemovedView {
  readonly id: string;
  readonly removed: true;
}

/**
 * The body of `POST apps/:id/pause` (JSON; or `?until=` in the query). Without `until` the pause
 * lasts until `POST apps/:id/resume`.
 * @publicApi
 */
export interface HeartbeatPauseBody {
  /** When the pause ends by itself: ISO 8601 with a time zone, or epoch milliseconds. */
  readonly until?: string | number | null;
}

/** ISO 8601 date and time with seconds optional and a zone (`Z` or `+01:00`). */
const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * A JSON view of the registry for tools that prefer it to Nagios text: `GET apps` (paged:
 * `limit`, `cursor`, `state`, `idContains`) and `GET apps/:id` (a read token under the `auth`
 * option), and the admin operations on an app (an admin token): `POST apps/:id/pause` (optional
 * `until`), `POST apps/:id/resume` and `DELETE apps/:id`. Mounted with
 * the `api` extra. Unlike the protocol routes it answers in the host's JSON conventions
 * (interceptors and exception filters apply). A page never reads more than `maxPageScan`
 * records, so no request grows with the registry.
 *
 * @publicApi
 */
@Controller('apps')
@UseGuards(HeartbeatAccessGuard)
@RequireHeartbeatAccess('read')
export class HeartbeatApiController {
  constructor(private readonly registry: HeartbeatRegistry) {}

  @Get()
  async list(
    @Query() query: HeartbeatAppListQuery = {},
  ): Promise<HeartbeatAppListView> {
    const page = await this.guard(() =>
      this.registry.page({
        cursor: single('cursor', query.cursor),
        limit: this.limitOf(single('limit', query.limit)),
        state: stateOf(single('state', query.state)),
        idContains: single('idContains', query.idContains),
      }),
    );
    return {
      apps: page.apps.map((status) => this.view(status)),
      next: page.next ?? null,
    };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<HeartbeatAppView> {
    const status = await this.guard(() => this.registry.get(id));
    if (!status) throw await this.notFound(id);
    return this.view(status);
  }

  /**
   * Removes an app, as its own `hb_done` would (a `heartbeat.deregistered` event follows); 404
   * when it is not known (with its tombstone when it ended within `tombstoneMs`).
   */
  @Delete(':id')
  @RequireHeartbeatAccess('admin')
  async remove(@Param('id') id: string): Promise<HeartbeatRemovedView> {
    const removed = await this.guard(() => this.registry.deregister(id));
    if (!removed) throw await this.notFound(id);
    return { id, removed: true };
  }

  /**
   * Pauses an app for maintenance (`OK - paused application [ID]` meanwhile, never late or
   * dropped, heartbeats do not end it) until `until`, or until resumed; 404 when not known.
   */
  @Post(':id/pause')
  @HttpCode(200)
  @RequireHeartbeatAccess('admin')
  async pause(
    @Param('id') id: string,
    @Body() body: HeartbeatPauseBody | undefined,
    @Query('until') untilQuery: unknown,
  ): Promise<HeartbeatAppView> {
    const until = pauseEnd(body?.until ?? single('until', untilQuery));
    const status = await this.guard(() => this.registry.pause(id, until));
    if (!status) throw await this.notFound(id);
    return this.view(status);
  }

  /** Ends an app's pause now: its lateness counts from this moment. 404 when not known. */
  @Post(':id/resume')
  @HttpCode(200)
  @RequireHeartbeatAccess('admin')
  async resume(@Param('id') id: string): Promise<HeartbeatAppView> {
    const status = await this.guard(() => this.registry.resume(id));
    if (!status) throw await this.notFound(id);
    return this.view(status);
  }

  /** A JSON 404, with what is remembered of the app when it ended within `tombstoneMs`. */
  private async notFound(id: string): Promise<HttpException> {
    return appNotFound(id, await this.guard(() => this.registry.tombstone(id)));
  }

  private view(status: HeartbeatAppStatus): HeartbeatAppView {
    return toAppView(status, this.registry.options.toleranceMs);
  }

  private limitOf(raw: string | undefined): number | undefined {
    if (raw === undefined) return undefined;
    const { maxPageSize } = this.registry.options;
    if (!/^[0-9]{1,7}$/.test(raw)) {
      throw new HttpException(
        HeartbeatMessages.invalidPageLimit(raw, maxPageSize),
        400,
      );
    }
    return Number(raw);
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

/** A query parameter given once; repeated ones (`?a=1&a=2`) are refused. */
function single(name: string, value: unknown): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw new HeartbeatError(
    'invalid',
    HeartbeatMessages.repeatedParameter(name),
  );
}

/** `until` as given: an ISO 8601 time or epoch milliseconds; `undefined` for none. */
function pauseEnd(raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
  if (typeof raw === 'string') {
    if (/^[0-9]{1,16}$/.test(raw)) return Number(raw);
    const time = ISO_DATE_TIME.test(raw) ? Date.parse(raw) : Number.NaN;
    if (Number.isFinite(time)) return time;
  }
  throw new HttpException(
    HeartbeatMessages.invalidPauseEnd(
      typeof raw === 'string' ? raw : (JSON.stringify(raw) ?? typeof raw),
    ),
    400,
  );
}

function stateOf(raw: string | undefined): HeartbeatState | undefined {
  if (raw === undefined) return undefined;
  if (!STATES.includes(raw)) {
    throw new HttpException(HeartbeatMessages.invalidStateFilter(raw), 400);
  }
  return raw as HeartbeatState;
}
