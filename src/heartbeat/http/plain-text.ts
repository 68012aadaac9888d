import type { ServerResponse } from 'node:http';

/**
 * The part of a reply object that Express's `Response` and Fastify's `FastifyReply` share, so
 * the Nest controllers stay platform-neutral.
 * @internal
 */
export interface PlainTextReply {
  status(code: number): PlainTextReply;
  header(name: string, value: string): PlainTextReply;
  send(body: string): unknown;
}

/**
 * What the handler reads of a request: Node's `IncomingMessage`, an Express `Request` or a
 * Fastify `FastifyRequest` all fit. `body` is set when a body parser already ran; otherwise a
 * readable request is read by the handler itself.
 * @publicApi
 */
export interface HeartbeatHttpRequest {
  readonly method?: string;
  readonly url?: string;
  /** Express strips mount paths from `url`, not from `originalUrl`. */
  readonly originalUrl?: string;
  readonly body?: unknown;
  /** The raw body bytes, when a host's parser kept them (Nest's `rawBody: true`). */
  readonly rawBody?: unknown;
  /** The Node request under a framework's request object (Fastify's `request.raw`). */
  readonly raw?: object;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * The headers of every heartbeat response, flattened for `writeHead`: plain text, CORS for
 * browser clients, never cached.
 * @internal
 */
export function plainTextHeaders(corsOrigin: string | false): string[] {
  const headers = [
    'Content-Type',
    'text/plain; charset=utf-8',
    'Cache-Control',
    'no-store',
  ];
  if (corsOrigin !== false)
    headers.push('Access-Control-Allow-Origin', corsOrigin);
  return headers;
}

/**
 * Writes a complete plain-text response directly, bypassing response-mapping interceptors so a
 * host's wrappers can never change the wire format. On Node's own `ServerResponse` (the front
 * door, the middleware, Express) it is one `writeHead` + `end`: nothing of a framework's `send`
 * pipeline (charset rewriting, ETag, freshness checks) is needed by an uncacheable one-line
 * answer. A HEAD request still gets headers only: Node omits the body itself.
 * @internal
 */
export function writePlainText(
  reply: PlainTextReply | ServerResponse,
  status: number,
  body: string,
  headers: readonly string[],
  extraHeaders: ReadonlyArray<readonly [string, string]> = [],
): void {
  if (isNodeResponse(reply)) {
    const all = [...headers, 'Content-Length', String(Buffer.byteLength(body))];
    for (const [name, value] of extraHeaders) all.push(name, value);
    reply.writeHead(status, all);
    reply.end(body);
    return;
  }
  reply.status(status);
  for (let i = 0; i < headers.length; i += 2) {
    reply.header(headers[i]!, headers[i + 1]!);
  }
  for (const [name, value] of extraHeaders) reply.header(name, value);
  reply.send(body);
}

/** Express's response is a Node `ServerResponse`; Fastify's reply only wraps one (`raw`). */
function isNodeResponse(
  reply: PlainTextReply | ServerResponse,
): reply is ServerResponse {
  return typeof (reply as Partial<ServerResponse>).writeHead === 'function';
}

/** The single `Content-Type` of a request, if any. @internal */
export function contentTypeOf(
  request: Pick<HeartbeatHttpRequest, 'headers'>,
): string | undefined {
  const value = request.headers['content-type'];
  return Array.isArray(value) ? value[0] : value;
}
