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
 * host's wrappers can never change the wire format.
 * @internal
 */
export function sendPlainText(
  reply: PlainTextReply,
  status: number,
  body: string,
  corsOrigin: string | false,
  extraHeaders: Array<[string, string]> = [],
): void {
  reply.status(status);
  for (const [name, value] of plainTextHeaders(corsOrigin))
    reply.header(name, value);
  for (const [name, value] of extraHeaders) reply.header(name, value);
  reply.send(body);
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
