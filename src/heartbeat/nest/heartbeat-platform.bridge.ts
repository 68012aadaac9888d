import {
  Inject,
  Injectable,
  Optional,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { HEARTBEAT_COMMANDS, lastPathSegment } from '../core/protocol.js';
import { HeartbeatHttpHandler } from '../http/heartbeat-http.handler.js';
import type { PlainTextReply } from '../http/plain-text.js';
import { preReadRequestBody } from '../http/request-body.js';
import type { ResolvedHeartbeatOptions } from '../interfaces/heartbeat-module-options.interface.js';
import {
  HEARTBEAT_ROUTE_CONFIG,
  type HeartbeatRouteKind,
} from './controllers/heartbeat-routes.js';
import { HEARTBEAT_OPTIONS } from './heartbeat.constants.js';

/** What the bridge uses of a Fastify request (typed here: Fastify is not a dependency). */
interface FastifyRequestLike {
  readonly raw: IncomingMessage;
  readonly method: string;
  readonly routeOptions?: { readonly config?: Record<string, unknown> };
}

interface FastifyLike {
  addHook(
    name: 'preParsing',
    hook: (
      request: FastifyRequestLike,
      reply: unknown,
      payload: unknown,
      done: (error: null, payload: unknown) => void,
    ) => void,
  ): unknown;
  addHook(
    name: 'preValidation',
    hook: (
      request: FastifyRequestLike,
      reply: unknown,
      done: () => void,
    ) => void,
  ): unknown;
}

interface ExpressLike {
  use(
    handler: (
      error: unknown,
      request: IncomingMessage & { originalUrl?: string },
      response: PlainTextReply,
      next: (error?: unknown) => void,
    ) => void,
  ): unknown;
}

/** The headers a router decides by whether and how to parse a body. */
const BODY_HEADERS = ['content-type', 'content-length', 'transfer-encoding'];
const COMMANDS = new Set<string>(HEARTBEAT_COMMANDS);

/**
 * Makes the heartbeat routes read request bodies the way the standalone server does, whatever
 * the host's platform, so every face gives one answer to the same bytes.
 *
 * - **Fastify** parses a body before the route handler, by its own rules: a JSON content type
 *   with an empty body (the browser client's beacon) is a 400, a body without a content type a
 *   415, a form value it cannot decode is kept literally, an oversized body is refused in JSON.
 *   For the heartbeat routes only (marked in their route config), a `preParsing` hook takes the
 *   body first, bounded by `maxBodyBytes`, and hides the body headers from Fastify so it parses
 *   nothing; a `preValidation` hook puts them back before the host's guards and the handler run.
 * - **Express** parses bodies before any route is matched (the host's parsers, Nest's by
 *   default), so a parser's refusal never reaches the module's controllers. An error handler
 *   after the routes answers those refusals on a path that names a protocol command with the
 *   protocol's `ERROR:` line (a 413 over the parser's limit, a 400 for malformed JSON) and passes
 *   every other error on. What the parser accepted is read as parsed (see `appIdFromBody`).
 *
 * @internal
 */
@Injectable()
export class HeartbeatPlatformBridge implements OnModuleInit {
  constructor(
    private readonly handler: HeartbeatHttpHandler,
    @Inject(HEARTBEAT_OPTIONS)
    private readonly options: ResolvedHeartbeatOptions,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    // Routes are registered by now, the platform's error handler not yet (Nest adds it next).
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter) return; // an application context without HTTP
    const type = adapter.getType();
    if (type === 'fastify') {
      this.bridgeFastify(adapter.getInstance<FastifyLike>());
    } else if (type === 'express') {
      this.bridgeExpress(adapter.getInstance<ExpressLike>());
    }
  }

  private bridgeFastify(fastify: FastifyLike): void {
    const hidden = new WeakMap<IncomingMessage, IncomingHttpHeaders>();
    fastify.addHook('preParsing', (request, _reply, payload, done) => {
      const kind = request.routeOptions?.config?.[HEARTBEAT_ROUTE_CONFIG] as
        HeartbeatRouteKind | undefined;
      const headers = request.raw.headers;
      const hasBody =
        headers['content-length'] !== undefined ||
        headers['transfer-encoding'] !== undefined;
      if (kind === undefined || !hasBody) {
        done(null, payload);
        return;
      }
      if (kind === 'command' && request.method === 'POST') {
        preReadRequestBody(request.raw, this.options.maxBodyBytes);
      }
      const saved: IncomingHttpHeaders = {};
      for (const name of BODY_HEADERS) {
        if (headers[name] === undefined) continue;
        saved[name] = headers[name];
        delete headers[name];
      }
      hidden.set(request.raw, saved);
      done(null, payload);
    });
    fastify.addHook('preValidation', (request, _reply, done) => {
      const saved = hidden.get(request.raw);
      if (saved) {
        Object.assign(request.raw.headers, saved);
        hidden.delete(request.raw);
      }
      done();
    });
  }

  private bridgeExpress(express: ExpressLike): void {
    express.use((error, request, response, next) => {
      const path = request.originalUrl ?? request.url ?? '/';
      if (!isBodyParserError(error) || !COMMANDS.has(lastPathSegment(path))) {
        next(error);
        return;
      }
      this.handler.write(response, this.handler.errorAnswer(error));
    });
  }
}

/** body-parser's errors carry a `type` (`entity.too.large`, `entity.parse.failed`, ...). */
function isBodyParserError(error: unknown): boolean {
  const { type, status } = (error ?? {}) as {
    type?: unknown;
    status?: unknown;
  };
  return typeof type === 'string' && typeof status === 'number';
}
