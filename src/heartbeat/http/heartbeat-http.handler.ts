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
  writePlainText,
  type HeartbeatHttpRequest,
  type PlainTextReply,
} from './plain-text.js';
import {
  ClientAbortedError,
  leftBodyUnread,
  readRequestBody,
} from './request-body.js';

/** A path the handler answers: a protocol command or a monitoring query. @publicApi */
export type HeartbeatRoute = HeartbeatCommand | MonitorQuery;

/** A complete plain-text answer, before it is written. @publicApi */
export interface HeartbeatHttpAnswer {
  readonly status: number;
  readonly body: string;
  /** Headers beyond the protocol's own (e.g. `Allow` on a 405). */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  /** The client went away before its request was complete: nothing is written. */
  readonly aborted?: boolean;
}

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
      return {
        status: 200,
        body: await this.monitor(route as MonitorQuery, query),
      };
    } catch (error) {
      return this.errorAnswer(error);
    }
  }

  /**
   * The `ERROR:` answer to anything thrown while serving a route (also what the Nest error
   * filter sends for a host guard's refusal): counted as a rejection, logged when unexpected.
   * A client that went away mid-request is neither: it gets no answer (`aborted`) and a debug
   * line, since a client closing its own connection is no fault of the request or the server.
   */
  errorAnswer(error: unknown): HeartbeatHttpAnswer {
    if (isClientAbort(error)) {
      this.logger.debug?.(`request abandoned by the client: ${String(error)}`);
      return { status: 400, body: 'ERROR: request aborted', aborted: true };
    }
    const failure = errorResponse(error, this.registry.options);
    this.registry.recordRejection();
    if (failure.status >= 500 && failure.status !== 503) {
      this.logger.error(
        `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
    const headers: Array<[string, string]> = [];
    if (failure.allow) headers.push(['Allow', failure.allow]);
    // The rest of an oversized body was left unread: the connection ends with the answer.
    if (leftBodyUnread(error)) headers.push(['Connection', 'close']);
    return {
      status: failure.status,
      body: failure.body,
      ...(headers.length > 0 && { headers }),
    };
  }

  /**
   * Writes an answer with the protocol's headers (plain text, CORS, never cached). An `aborted`
   * one is not written: the client is gone, so what is left of its connection is closed.
   */
  write(
    reply: PlainTextReply | ServerResponse,
    answer: HeartbeatHttpAnswer,
  ): void {
    if (answer.aborted) {
      const raw = isServerResponse(reply)
        ? reply
        : (reply as { raw?: ServerResponse }).raw;
      raw?.destroy();
      return;
    }
    writePlainText(
      reply,
      answer.status,
      answer.body,
      this.headers,
      answer.headers,
    );
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

  private async monitor(
    query: MonitorQuery,
    rawQuery: string,
  ): Promise<string> {
    if (query === 'list') {
      return formatList((await this.registry.list()).map((s) => s.appId));
    }
    return this.registry.status(
      parseMonitorAppId(rawQuery, this.registry.options),
    );
  }

  private notFound(url: string): HeartbeatHttpAnswer {
    return {
      status: 404,
      body: `ERROR: ${HeartbeatMessages.noRoute(splitTarget(url).path)}`,
    };
  }
}

/**
 * A client that closed its connection mid-request: our own reader's error, body-parser's
 * `request.aborted`, or a reset socket.
 */
function isClientAbort(error: unknown): boolean {
  if (error instanceof ClientAbortedError) return true;
  const { type, code } = (error ?? {}) as { type?: unknown; code?: unknown };
  return (
    type === 'request.aborted' ||
    code === 'ECONNRESET' ||
    code === 'ECONNABORTED'
  );
}

function isServerResponse(
  reply: PlainTextReply | ServerResponse,
): reply is ServerResponse {
  return typeof (reply as Partial<ServerResponse>).writeHead === 'function';
}
