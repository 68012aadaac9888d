import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorResponse } from '../core/errors.js';
import { HeartbeatMessages } from '../core/messages.js';
import { formatList, GOODBYE } from '../core/nagios.js';
import {
  assertMethod,
  HEARTBEAT_COMMANDS,
  isAtMountPoint,
  lastPathSegment,
  MONITOR_METHODS,
  MONITOR_QUERIES,
  parseMonitorAppId,
  parseProtocolRequest,
  PROTOCOL_METHODS,
  splitTarget,
  type HeartbeatCommand,
  type MonitorQuery,
} from '../core/protocol.js';
import type { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import type { HeartbeatLogger } from '../engine/heartbeat.logger.js';
import {
  contentTypeOf,
  plainTextHeaders,
  streamPlainText,
  writePlainText,
  type HeartbeatHttpRequest,
  type PlainTextReply,
} from './plain-text.js';
import { readRequestBody } from './request-body.js';

/** A path the handler answers: a protocol command or a monitoring query. @publicApi */
export type HeartbeatRoute = HeartbeatCommand | MonitorQuery;

/** A plain-text answer, before it is written. @publicApi */
export interface HeartbeatHttpAnswer {
  readonly status: number;
  /** The body, or its beginning when `more` follows. */
  readonly body: string;
  /** Headers beyond the protocol's own (e.g. `Allow` on a 405). */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  /**
   * The rest of a body too large to hold at once (a `/list` of a large registry): written after
   * `body` as it comes, chunked, with nothing of it held in memory but the current part.
   */
  readonly more?: AsyncIterator<string>;
}

/**
 * Up to this many bytes of `/list` are gathered before answering: a list that fits is sent whole
 * with a `Content-Length`, a longer one is streamed.
 */
const LIST_BUFFER_BYTES = 64 * 1024;

/** How the handler matches paths. @publicApi */
export interface HeartbeatHttpHandlerOptions {
  /**
   * Match a route as the last path segment under any prefix (`/a/b/hb_ping`), as the protocol's
   * standalone server does. Off, only the mount point itself is matched (`/hb_ping`), so a host's
   * own routes are never taken.
   * @default false
   */
  readonly anyPrefix?: boolean;
}

const ROUTES = new Set<string>([...HEARTBEAT_COMMANDS, ...MONITOR_QUERIES]);
const COMMANDS = new Set<string>(HEARTBEAT_COMMANDS);

/**
 * The one HTTP face of the engine, over `node:http` types: route matching, method checks, query
 * and body reading, dispatch to the registry, Nagios formatting, error answers and their
 * counting. The standalone server's front door, the Express middleware and the Nest controllers
 * all call it, so every protocol rule is written once.
 *
 * @publicApi
 */
export class HeartbeatHttpHandler {
  private readonly anyPrefix: boolean;
  private readonly headers: readonly string[];

  constructor(
    private readonly registry: HeartbeatRegistry,
    private readonly logger: HeartbeatLogger,
    options: HeartbeatHttpHandlerOptions = {},
  ) {
    this.anyPrefix = options.anyPrefix ?? false;
    this.headers = plainTextHeaders(registry.options.corsOrigin);
  }

  /** The route a request URL names, or `undefined` when it is none of the handler's. */
  routeOf(url: string): HeartbeatRoute | undefined {
    const segment = lastPathSegment(url);
    if (!ROUTES.has(segment)) return undefined;
    if (!this.anyPrefix && !isAtMountPoint(url)) return undefined;
    return segment as HeartbeatRoute;
  }

  /**
   * Serves a request when it is one of the handler's routes and returns `true`; returns `false`
   * (and writes nothing) otherwise. For `node:http` servers and Connect-style middleware.
   */
  serve(request: IncomingMessage, response: ServerResponse): boolean {
    const route = this.routeOf(request.url ?? '/');
    if (route === undefined) return false;
    this.answer(route, request)
      .then((answer) => this.write(response, answer))
      // Only a socket the client already closed can fail here: the client's business.
      .catch((error: unknown) =>
        this.logger.debug?.(`answer not written: ${String(error)}`),
      );
    return true;
  }

  /**
   * Serves a request that a framework's router already matched to one of the handler's routes
   * (the Nest controllers). The route is read from the URL as the client sent it.
   */
  async serveMatched(
    request: HeartbeatHttpRequest,
    reply: PlainTextReply | ServerResponse,
  ): Promise<void> {
    const url = request.originalUrl ?? request.url ?? '/';
    const segment = lastPathSegment(url);
    const answer = ROUTES.has(segment)
      ? await this.answer(segment as HeartbeatRoute, request)
      : this.notFound(url);
    this.write(reply, answer);
  }

  /** The answer to a request on `route`. Never rejects: errors become `ERROR:` answers. */
  async answer(
    route: HeartbeatRoute,
    request: HeartbeatHttpRequest,
  ): Promise<HeartbeatHttpAnswer> {
    try {
      const method = request.method ?? 'GET';
      const url = request.originalUrl ?? request.url ?? '/';
      const { query } = splitTarget(url);
      if (COMMANDS.has(route)) {
        assertMethod(method, PROTOCOL_METHODS);
        return {
          status: 200,
          body: await this.command(
            route as HeartbeatCommand,
            query,
            method,
            request,
          ),
        };
      }
      assertMethod(method, MONITOR_METHODS);
      if (route === 'list') return await this.list(method);
      return {
        status: 200,
        body: await this.registry.status(
          parseMonitorAppId(query, this.registry.options),
        ),
      };
    } catch (error) {
      return this.errorAnswer(error);
    }
  }

  /**
   * The `ERROR:` answer to anything thrown while serving a route (also what the Nest error
   * filter sends for a host guard's refusal): counted as a rejection, logged when unexpected.
   */
  errorAnswer(error: unknown): HeartbeatHttpAnswer {
    const failure = errorResponse(error, this.registry.options);
    this.registry.recordRejection();
    if (failure.status >= 500 && failure.status !== 503) {
      this.logger.error(
        `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
    return {
      status: failure.status,
      body: failure.body,
      headers: failure.allow ? [['Allow', failure.allow]] : undefined,
    };
  }

  /**
   * Writes an answer with the protocol's headers (plain text, CORS, never cached). An answer with
   * `more` is streamed; a failure part-way (the store lost) cuts the response off, so the client
   * sees an incomplete body rather than a short list it could take for the whole.
   */
  write(
    reply: PlainTextReply | ServerResponse,
    answer: HeartbeatHttpAnswer,
  ): void {
    if (!answer.more) {
      writePlainText(
        reply,
        answer.status,
        answer.body,
        this.headers,
        answer.headers,
      );
      return;
    }
    streamPlainText(
      reply,
      answer.status,
      answer.body,
      answer.more,
      this.headers,
    ).catch((error: unknown) => {
      this.logger.error(`streamed answer cut off: ${String(error)}`);
    });
  }

  private async command(
    command: HeartbeatCommand,
    query: string,
    method: string,
    request: HeartbeatHttpRequest,
  ): Promise<string> {
    // The body is read for every POST, so its bound holds whether or not the query has the ID.
    const body =
      method.toUpperCase() === 'POST'
        ? await readRequestBody(request, this.registry.options.maxBodyBytes)
        : undefined;
    const { appId, timeoutMs } = parseProtocolRequest(
      { query, body, contentType: contentTypeOf(request) },
      this.registry.options,
    );
    switch (command) {
      case 'hb_done':
        await this.registry.deregister(appId);
        return GOODBYE;
      case 'hb_init':
        return String((await this.registry.register(appId, timeoutMs)).delayMs);
      default:
        return String((await this.registry.beat(appId, timeoutMs)).delayMs);
    }
  }

  /**
   * `/list`: gathers live IDs a store batch at a time; a list that fits in LIST_BUFFER_BYTES is
   * answered whole, a longer one streams the rest from where it stopped. HEAD stops at once.
   */
  private async list(method: string): Promise<HeartbeatHttpAnswer> {
    const batches = this.registry.idPages();
    let body = '';
    for (;;) {
      const batch = await batches.next();
      if (batch.done) return { status: 200, body };
      body += formatList(batch.value);
      if (body.length >= LIST_BUFFER_BYTES) break;
    }
    if (method.toUpperCase() === 'HEAD') {
      await batches.return();
      return { status: 200, body: '', more: emptyIterator() };
    }
    return {
      status: 200,
      body,
      more: mapAsync(batches, formatList),
    };
  }

  private notFound(url: string): HeartbeatHttpAnswer {
    return {
      status: 404,
      body: `ERROR: ${HeartbeatMessages.noRoute(splitTarget(url).path)}`,
    };
  }
}

function emptyIterator(): AsyncIterator<string> {
  return {
    next: () => Promise.resolve({ done: true, value: undefined }),
  };
}

function mapAsync<T>(
  source: AsyncIterator<T>,
  map: (value: T) => string,
): AsyncIterator<string> {
  return {
    next: async () => {
      const item = await source.next();
      return item.done ? item : { done: false, value: map(item.value) };
    },
    return: async () => {
      await source.return?.();
      return { done: true, value: undefined };
    },
  };
}
