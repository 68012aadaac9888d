import { STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** A `clientError` as Node reports it: llhttp's code, or a timeout's. */
interface ClientError extends Error {
  readonly code?: string;
}

/** Errors that mean the client went away: a reset, or the end of its data mid-request. */
const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE', 'HPE_INVALID_EOF_STATE']);

/** Status and `ERROR:` text for what Node's parser or its timeouts refuse. */
function refusalOf(error: ClientError): { status: number; message: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'request header fields too large' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, message: 'chunk extensions too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'request not complete in time' };
    default:
      return {
        status: 400,
        message: `malformed HTTP request${error.code ? ` (${error.code})` : ''}`,
      };
  }
}

/**
 * The raw HTTP/1.1 answer to a request Node refused before any handler saw it: one
 * `ERROR:` line of plain text, and the connection closes.
 *
 * @internal
 */
export function clientErrorAnswer(error: Error): string {
  const { status, message } = refusalOf(error);
  const body = `ERROR: ${message}`;
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Cache-Control: no-store\r\n' +
    'Connection: close\r\n\r\n' +
    body
  );
}

/**
 * Gives the errors Node raises before any handler runs (a request line or headers that do not
 * parse, headers over `--max-http-header-size`, requests not complete within `headersTimeout` or
 * `requestTimeout`) the protocol's one-line `ERROR:` answer instead of an empty one (`431`,
 * `400`, `408`; `413` for oversized chunk extensions). It replaces the server's other
 * `clientError` listeners (Fastify's answers in JSON).
 *
 * Requests that arrived on the same connection before the bad bytes (HTTP pipelining) are
 * answered first: the error answer waits until their responses are out, then the connection
 * closes. A connection the client reset or already closed is simply destroyed.
 *
 * @example
 * const server = app.listen(8888);
 * answerClientErrors(server);
 * @publicApi
 */
export function answerClientErrors(server: Server): void {
  const inFlight = new WeakMap<Duplex, Set<ServerResponse>>();
  server.prependListener('request', (request, response: ServerResponse) => {
    // The request's socket: a pipelined response gets its socket only when its turn comes.
    const socket = request.socket;
    let pending = inFlight.get(socket);
    if (!pending) inFlight.set(socket, (pending = new Set()));
    pending.add(response);
    response.once('close', () => pending.delete(response));
  });

  const answering = new WeakSet<Duplex>();
  server.removeAllListeners('clientError');
  server.on('clientError', (error: ClientError, socket: Duplex) => {
    if (answering.has(socket)) return;
    answering.add(socket);
    // The client is gone, or closed its side mid-request: nobody to answer.
    if (CLIENT_GONE.has(error.code ?? '') || !socket.writable) {
      socket.destroy();
      return;
    }
    // Still in the set means not closed yet ('close' removes it): wait for each one's close.
    const pending = [...(inFlight.get(socket) ?? [])];
    void Promise.all(
      pending.map(
        (response) => new Promise((resolve) => response.once('close', resolve)),
      ),
    ).then(() => {
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      // Node's sockets stay half-open after end(): close once the answer is flushed.
      socket.end(clientErrorAnswer(error), () => socket.destroy());
    });
  });
}
