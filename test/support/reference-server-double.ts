import { EventEmitter, once } from 'node:events';
import { createServer, type Socket } from 'node:net';

/** One request as the double received it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly target: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * What the double answers: a status and body written the way Python's `BaseHTTPRequestHandler`
 * writes them, raw bytes, or nothing (`hang` keeps the connection open without a word,
 * `reset` drops it).
 */
export type DoubleAnswer =
  | { readonly status?: number; readonly body: string }
  | { readonly raw: string }
  | 'hang'
  | 'reset';

export interface ReferenceServerDouble {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Replaces the answer to every following request; `undefined` restores the reference behaviour. */
  answerWith(
    answer: ((request: RecordedRequest) => DoubleAnswer) | undefined,
  ): void;
  /** Resolves once `count` requests have arrived in all. */
  received(count: number): Promise<void>;
  close(): Promise<void>;
}

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * Stands in for the Python reference heartbeat server, as its clients see it on the wire:
 * HTTP/1.0, `Server: BaseHTTP/0.6 Python/3.11`, no `Content-Length`, the body delimited by the
 * server closing the connection. By default it keeps a small registry like the reference does
 * (every app is always fine: the double has no clock); `answerWith` scripts other answers.
 */
export async function startReferenceServerDouble(): Promise<ReferenceServerDouble> {
  const apps = new Map<string, number>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const arrivals = new EventEmitter();
  let override: ((request: RecordedRequest) => DoubleAnswer) | undefined;

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      const [requestLine = '', ...headerLines] = head
        .slice(0, end)
        .split('\r\n');
      const [method = '', target = ''] = requestLine.split(' ');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        if (colon > 0) {
          headers[line.slice(0, colon).trim().toLowerCase()] = line
            .slice(colon + 1)
            .trim();
        }
      }
      const request = { method, target, headers };
      requests.push(request);
      arrivals.emit('request');
      const answer = override ? override(request) : reference(request, apps);
      if (answer === 'hang') return;
      if (answer === 'reset') {
        socket.destroy();
        return;
      }
      if ('raw' in answer) {
        socket.end(answer.raw, 'latin1');
        return;
      }
      const status = answer.status ?? 200;
      socket.end(
        `HTTP/1.0 ${status} ${REASONS[status] ?? 'Unknown'}\r\n` +
          'Server: BaseHTTP/0.6 Python/3.11\r\n' +
          `Date: ${new Date(0).toUTCString()}\r\n` +
          'Content-Type: text/plain\r\n' +
          '\r\n' +
          answer.body,
      );
    };
    socket.on('data', onData);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null)
    throw new Error('no port');

  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    requests,
    answerWith(answer) {
      override = answer;
    },
    async received(count) {
      while (requests.length < count) await once(arrivals, 'request');
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The reference server's answers, for a registry without a clock: every app is fine. */
function reference(
  request: RecordedRequest,
  apps: Map<string, number>,
): DoubleAnswer {
  const [path = '', query = ''] = request.target.split('?', 2);
  const command = path.slice(path.lastIndexOf('/') + 1);
  const parts = query === '' ? [] : query.split('&').map(decodeURIComponent);
  const param = (name: string) =>
    parts.find((part) => part.startsWith(`${name}=`))?.slice(name.length + 1);
  const timeout =
    parts[0] !== undefined && !parts[0].includes('=') ? Number(parts[0]) : 0;
  const appId = param('appid');
  const line = (id: string) =>
    `OK - fine application [${id}]| od=0.00;3;5;0;6 delay=${apps.get(id)}ms;;;`;
  switch (command) {
    case 'hb_init':
    case 'hb_ping':
      if (!appId)
        return {
          status: 400,
          body: 'ERROR: cannot process your request: [no appid]',
        };
      apps.set(appId, timeout + 1000);
      return { body: String(timeout + 1000) };
    case 'hb_done':
      if (appId) apps.delete(appId);
      return { body: 'So Long, and Thanks for All the Fish!' };
    case 'list':
      return { body: [...apps.keys()].map((id) => `${id}\n`).join('') };
    case 'status': {
      if (appId !== undefined) {
        return {
          body: apps.has(appId)
            ? line(appId)
            : `CRITICAL - no application record for queried ID: [${appId}]`,
        };
      }
      const ids = [...apps.keys()];
      if (ids.length === 0)
        return { body: 'UNKNOWN - no heartbeat clients at the moment...' };
      if (ids.length === 1) return { body: line(ids[0]!) };
      return {
        body: `WARNING - multiple (${ids.length}) applications: [${ids.join(',')}]`,
      };
    }
    default:
      return {
        status: 404,
        body: `ERROR: cannot process your request: [${path}]`,
      };
  }
}
