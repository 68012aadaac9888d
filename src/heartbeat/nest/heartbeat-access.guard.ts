import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { HeartbeatAccessKind } from '../core/access.js';
import { isHeartbeatError } from '../core/errors.js';
import { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import {
  authorizeHeartbeatRequest,
  HEARTBEAT_AUTH_CHALLENGE,
} from '../http/heartbeat-auth.js';
import type { HeartbeatHttpRequest } from '../http/plain-text.js';

const HEARTBEAT_ACCESS_KIND = 'nestjs-heartbeat:access-kind';

/**
 * The kind of token a route needs under the `auth` option: `read` (the default for routes behind
 * {@link HeartbeatAccessGuard}) or `admin`.
 *
 * @example
 * @UseGuards(HeartbeatAccessGuard)
 * @RequireHeartbeatAccess('admin')
 * @Post('apps/:id/pause')
 * pause() {}
 * @publicApi
 */
export const RequireHeartbeatAccess = (
  kind: HeartbeatAccessKind,
): MethodDecorator & ClassDecorator => SetMetadata(HEARTBEAT_ACCESS_KIND, kind);

/** The headers part of Express's and Fastify's replies. */
interface ChallengeReply {
  header(name: string, value: string): unknown;
}

/**
 * Checks the `Authorization: Bearer <token>` of a JSON route (the JSON API, metrics, the event
 * stream) against the module's `auth` option, with the same rules as the protocol routes.
 * Refusals are `401`/`403` `HttpException`s, so they follow the host's JSON conventions; with
 * no `auth` configured every request passes. Host guards run before it and keep working.
 *
 * @publicApi
 */
@Injectable()
export class HeartbeatAccessGuard implements CanActivate {
  constructor(
    private readonly registry: HeartbeatRegistry,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const kind =
      this.reflector.getAllAndOverride<HeartbeatAccessKind | undefined>(
        HEARTBEAT_ACCESS_KIND,
        [context.getHandler(), context.getClass()],
      ) ?? 'read';
    const http = context.switchToHttp();
    try {
      authorizeHeartbeatRequest(
        this.registry.access,
        http.getRequest<HeartbeatHttpRequest>(),
        kind,
      );
      return true;
    } catch (error) {
      if (!isHeartbeatError(error)) throw error;
      if (error.kind !== 'unauthorized') {
        throw new ForbiddenException(error.message);
      }
      http
        .getResponse<ChallengeReply>()
        .header('WWW-Authenticate', HEARTBEAT_AUTH_CHALLENGE);
      throw new UnauthorizedException(error.message);
    }
  }
}
