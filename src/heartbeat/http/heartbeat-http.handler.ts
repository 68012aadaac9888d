import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorResponse, isHeartbeatError } from '../core/errors.js';
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
import type { HeartbeatAccessGrant } from '../engine/heartbeat-access.js';
import type { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import type { HeartbeatLogger } from '../engine/heartbeat.logger.js';
import {
  authorizeHeartbeatRequest,
  HEARTBEAT_AUTH_CHALLENGE,
  redactHeartbeatUrl,
  tokenSpan,
} from './heartbeat-auth.js';
import {
  contentTypeOf,
  plainTextHeaders,
  streamPlainText,
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
  /** The client went away before its request was complete: nothing is written. */
  readonly aborted?: boolean;
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
   * own routes are never taken, except `/<token>/hb_ping` and the like when the segment is one
   * of the configured tokens.
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
    if (
      !this.anyPrefix &&
      !isAtMountPoint(url) &&
      !this.isTokenAtMountPoint(url)
    ) {
      return undefined;
    }
    return segment as HeartbeatRoute;
  }

  /**
   * Serves a request when it is one of the handler's routes and returns `true`; returns `false`
   * (and writes nothing) otherwise. For `node:http` servers and Connect-style middleware.
   */
  serve(request: IncomingMessage, response: ServerResponse): boolean {
    const route = this.routeOf(request.url ?? '/');
    if (route === undefined) return false;
    if (!this.registry.access.warnSettled) {
      this.registry.access.warnIfOpen(request.socket.localAddress, this.logger);
    }
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
    if (!this.registry.access.warnSettled) {
      this.registry.access.warnIfOpen(
        request.socket?.localAddress,
        this.logger,
      );
    }
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
      const isCommand = COMMANDS.has(route);
      // Who asks comes first: a client without a valid token learns nothing else.
      const grant = authorizeHeartbeatRequest(
        this.registry.access,
        request,
        isCommand ? 'ping' : 'read',
        { tokenInPath: true },
      );
      if (isCommand) {
        assertMethod(method, PROTOCOL_METHODS);
        return {
          status: 200,
          body: await this.command(
            route as HeartbeatCommand,
            query,
            method,
            request,
            grant,
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
      return this.errorAnswer(error, request);
    }
  }

  /**
   * The `ERROR:` answer to anything thrown while serving a route (also what the Nest error
   * filter sends for a host guard's refusal): counted as a rejection, logged when unexpected
   * (with the request's URL, its token segment redacted).
   * A client that went away mid-request is neither: it gets no answer (`aborted`) and a debug
   * line, since a client closing its own connection is no fault of the request or the server.
   */
  errorAnswer(
    error: unknown,
    request?: Pick<HeartbeatHttpRequest, 'method' | 'url' | 'originalUrl'>,
  ): HeartbeatHttpAnswer {
    if (isClientAbort(error)) {
      this.logger.debug?.(`request abandoned by the client: ${String(error)}`);
      return { status: 400, body: 'ERROR: request aborted', aborted: true };
    }
    const failure = errorResponse(error, this.registry.options);
    this.registry.recordRejection();
    if (failure.status >= 500 && failure.status !== 503) {
      const url = request?.originalUrl ?? request?.url;
      const where =
        url === undefined
          ? ''
          : ` on ${request?.method ?? 'GET'} ${redactHeartbeatUrl(url, this.registry.access)}`;
      this.logger.error(
        `unexpected error${where}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
    const headers: Array<[string, string]> = [];
    if (failure.allow) headers.push(['Allow', failure.allow]);
    // Our own refusal only: a host guard's 401 is the host's to describe.
    if (isHeartbeatError(error) && error.kind === 'unauthorized') {
      headers.push(['WWW-Authenticate', HEARTBEAT_AUTH_CHALLENGE]);
    }
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
   * one is not written: the client is gone, so what is left of its connection is closed. An
   * answer with `more` is streamed; a failure part-way (the store lost) cuts the response off, so
   * the client sees an incomplete body rather than a short list it could take for the whole.
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
    grant: HeartbeatAccessGrant,
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
    const { access } = this.registry;
    access.checkAppId(grant, appId);
    if (command === 'hb_done') {
      await this.registry.deregister(appId);
      access.release(grant, appId);
      return GOODBYE;
    }
    // Only a token with a quota waits for it: the open hot path stays free of an extra await.
    const reserved =
      grant.maxApps !== undefined && (await access.reserve(grant, appId));
    try {
      const result =
        command === 'hb_init'
          ? await this.registry.register(appId, timeoutMs)
          : await this.registry.beat(appId, timeoutMs);
      return String(result.delayMs);
    } catch (error) {
      if (reserved) access.release(grant, appId);
      throw error;
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

  /**
   * `/<token>/hb_ping` at the mount point (also `/<token>//hb_ping`, from an `HB_URL` ending in
   * `/`): one segment before the route, and it is a configured token. Anything else under the mount point stays the host's.
   */
  private isTokenAtMountPoint(url: string): boolean {
    if (!this.registry.access.enabled) return false;
    const { path } = splitTarget(url);
    const span = tokenSpan(path);
    // Exactly `/<token>/route` (or `/<token>//route`): the token right at the mount point.
    if (!span || span.start !== 1) return false;
    return this.registry.access.isToken(path.slice(span.start, span.end));
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
