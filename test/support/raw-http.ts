import { connect, type Socket } from 'node:net';

/** One HTTP/1.1 response as it came off the wire. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Sends bytes exactly as given (a malformed request line, a fragment, pipelined requests,
 * garbage) and resolves with everything the server wrote until it closed the connection.
 * Write errors are ignored: a server may stop reading before a large body is sent.
 */
export function sendRaw(
  port: number,
  bytes: string | Buffer,
  { closeAfterMs = 5000 }: { closeAfterMs?: number } = {},
): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.write(bytes, () => undefined);
    // Only a server that never closes trips this; tests assert on what was answered.
    const timer = setTimeout(() => socket.destroy(), closeAfterMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** Splits a byte stream of responses (Content-Length delimited, or to the end) into responses. */
export function parseResponses(raw: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) break;
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line
        .slice(colon + 1)
        .trim();
    }
    const length = headers['content-length'];
    const bodyStart = end + 4;
    const bodyBytes =
      length === undefined
        ? Buffer.byteLength(rest.slice(bodyStart))
        : Number(length);
    const body = Buffer.from(rest.slice(bodyStart))
      .subarray(0, bodyBytes)
      .toString('utf8');
    responses.push({
      status: Number(statusLine!.split(' ')[1]),
      headers,
      body,
    });
    rest = rest.slice(bodyStart + body.length);
  }
  return responses;
}

/** The first response to a raw request, `Connection: close` added when it is a plain GET. */
export async function rawRequest(
  port: number,
  bytes: string | Buffer,
): Promise<RawResponse> {
  const [first] = parseResponses(await sendRaw(port, bytes));
  if (!first) throw new Error('no response');
  return first;
}

/** `GET <target>` as sent, fragment and all, on a connection that closes after the answer. */
export function rawGet(target: string): string {
  return `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`;
}

/** A POST with an optional Content-Type and a Content-Length body. */
export function rawPost(
  target: string,
  body: string,
  contentType?: string,
): string {
  return (
    `POST ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n` +
    (contentType ? `Content-Type: ${contentType}\r\n` : '') +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** A chunked POST of `megabytes` of form data: a body larger than any limit, length unknown. */
export function rawChunkedPost(target: string, megabytes: number): Buffer {
  const chunk = Buffer.from(`100000\r\n${'a'.repeat(0x100000)}\r\n`);
  return Buffer.concat([
    Buffer.from(
      `POST ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n` +
        'Content-Type: application/x-www-form-urlencoded\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n',
    ),
    ...Array.from({ length: megabytes }, () => chunk),
    Buffer.from('0\r\n\r\n'),
  ]);
}

/** Opens a connection and sends the first bytes of a request, leaving it unfinished. */
export function startRaw(port: number, bytes: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(bytes, () => resolve(socket));
    });
    socket.on('error', reject);
  });
}
