import type { ServerResponse } from 'node:http';

/**
 * The part of a reply object that Express's `Response` and Fastify's `FastifyReply` share, so
 * the controllers stay platform-neutral.
 * @internal
 */
export interface PlainTextReply {
  status(code: number): PlainTextReply;
  header(name: string, value: string): PlainTextReply;
  send(body: string): unknown;
}

/**
 * The part of a request object that Express and Fastify share.
 * @internal
 */
export interface ProtocolHttpRequest {
  readonly method: string;
  readonly url: string;
  readonly originalUrl?: string;
  readonly body?: unknown;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * The headers of every heartbeat response: plain text, CORS for browser clients, never cached.
 * @internal
 */
export function plainTextHeaders(
  corsOrigin: string | false,
): Array<[string, string]> {
  const headers: Array<[string, string]> = [
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Cache-Control', 'no-store'],
  ];
  if (corsOrigin !== false)
    headers.push(['Access-Control-Allow-Origin', corsOrigin]);
  return headers;
}

/**
 * Writes a complete plain-text response directly, bypassing response-mapping interceptors so a
 * host's wrappers can never change the wire format. On Express the reply is Node's own
 * `ServerResponse`, written in one `writeHead` + `end`: the hot path then skips Express's `send`
 * pipeline (charset rewriting, ETag, freshness checks), none of which an uncacheable one-line
 * answer needs. A HEAD request still gets headers only: Node omits the body itself.
 * @internal
 */
export function sendPlainText(
  reply: PlainTextReply | ServerResponse,
  status: number,
  body: string,
  corsOrigin: string | false,
  extraHeaders: Array<[string, string]> = [],
): void {
  const headers = [...plainTextHeaders(corsOrigin), ...extraHeaders];
  if (isNodeResponse(reply)) {
    reply.writeHead(
      status,
      [...headers, ['Content-Length', String(Buffer.byteLength(body))]].flat(),
    );
    reply.end(body);
    return;
  }
  reply.status(status);
  for (const [name, value] of headers) reply.header(name, value);
  reply.send(body);
}

/** Express's response is a Node `ServerResponse`; Fastify's reply only wraps one (`raw`). */
function isNodeResponse(
  reply: PlainTextReply | ServerResponse,
): reply is ServerResponse {
  return typeof (reply as Partial<ServerResponse>).writeHead === 'function';
}

/** The URL as the client sent it (Express strips mount paths from `url`, not `originalUrl`). @internal */
export function requestUrl(request: ProtocolHttpRequest): string {
  return request.originalUrl ?? request.url;
}

/** The single `Content-Type` of a request, if any. @internal */
export function contentTypeOf(
  request: Pick<ProtocolHttpRequest, 'headers'>,
): string | undefined {
  const value = request.headers['content-type'];
  return Array.isArray(value) ? value[0] : value;
}
