import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

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
  /** The connection, for the local address (the open-access warning). */
  readonly socket?: { readonly localAddress?: string };
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

/**
 * Writes a plain-text answer whose body comes in parts: `first`, then each part of `rest` as it
 * is produced, chunked (no `Content-Length`). Only the current part is held in memory; the
 * writer waits for the socket to drain when it is full and otherwise lets other work run between
 * parts, so a long answer never holds the event loop. A failing `rest` destroys the response (the
 * client sees a cut-off body, never a complete-looking one) and rejects.
 * @internal
 */
export async function streamPlainText(
  reply: PlainTextReply | ServerResponse,
  status: number,
  first: string,
  rest: AsyncIterator<string>,
  headers: readonly string[],
): Promise<void> {
  if (!isNodeResponse(reply)) {
    reply.status(status);
    for (let i = 0; i < headers.length; i += 2) {
      reply.header(headers[i]!, headers[i + 1]!);
    }
    reply.send(
      Readable.from(
        (async function* () {
          yield first;
          for (
            let part = await rest.next();
            !part.done;
            part = await rest.next()
          )
            yield part.value;
        })(),
      ) as unknown as string,
    );
    return;
  }
  reply.writeHead(status, [...headers]);
  try {
    let part: IteratorResult<string> = { done: false, value: first };
    while (!part.done) {
      if (reply.destroyed) {
        await rest.return?.();
        return;
      }
      if (part.value.length > 0 && !reply.write(part.value)) {
        await Promise.race([once(reply, 'drain'), once(reply, 'close')]);
      } else {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      part = await rest.next();
    }
    reply.end();
  } catch (error) {
    reply.destroy();
    throw error;
  }
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
