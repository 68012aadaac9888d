import type { IncomingMessage } from 'node:http';
import { HeartbeatError } from '../core/errors.js';
import { HeartbeatMessages } from '../core/messages.js';
import type { HeartbeatHttpRequest } from './plain-text.js';

/**
 * The client went away before its request body was complete: its own business, not a refusal.
 * The handler neither answers nor counts it, and logs it at debug level only.
 *
 * @internal
 */
export class ClientAbortedError extends Error {
  constructor() {
    super('client closed the connection before its request body was complete');
    this.name = 'ClientAbortedError';
  }
}

/** A body read ahead of a framework's parser, or why it could not be. */
type PreRead = Promise<
  | { readonly body: Buffer | undefined }
  | { readonly error: HeartbeatError | ClientAbortedError }
>;

/**
 * Bodies read before a framework's parser could take them, by their `IncomingMessage` (the
 * Nest module on Fastify reads heartbeat bodies itself, see `heartbeat-platform.bridge.ts`).
 */
const preRead = new WeakMap<object, PreRead>();

/**
 * Starts reading a request body now, for {@link readRequestBody} to pick up later. Never rejects.
 *
 * @internal
 */
export function preReadRequestBody(
  request: IncomingMessage,
  maxBytes: number,
): void {
  preRead.set(
    request,
    readStream(request, maxBytes).then(
      (body) => ({ body }),
      (error: unknown) => ({
        error:
          error instanceof HeartbeatError ? error : new ClientAbortedError(),
      }),
    ),
  );
}

/**
 * The body of a POST as the protocol reads it, in order of what tells most about what the client
 * sent: a body read ahead of the platform's parser, the raw bytes a host's parser kept
 * (`rawBody`: Nest's `rawBody: true`, or a `verify` hook), a body a parser already made (the
 * host's, in the Express middleware or embedded on Express), and otherwise the stream itself (the
 * standalone server and the middleware run without a parser, so GETs never pay for parsing), read
 * up to `maxBytes`.
 *
 * A body over `maxBytes` is refused (`too-large`) once it has been read to its end and
 * discarded (up to {@link OVERSIZED_BODY_DISCARD_FACTOR} times `maxBytes`; beyond that the
 * answer comes at once and the connection closes after it), so the client gets its `413`. A
 * client that goes away mid-body rejects with {@link ClientAbortedError}.
 *
 * @internal
 */
export async function readRequestBody(
  request: HeartbeatHttpRequest,
  maxBytes: number,
): Promise<unknown> {
  const stream = (request.raw ?? request) as Partial<IncomingMessage>;
  const early = preRead.get(stream);
  if (early) {
    const result = await early;
    if ('error' in result) throw result.error;
    return result.body;
  }
  if (request.rawBody instanceof Uint8Array) {
    return request.rawBody.length === 0 ? undefined : request.rawBody;
  }
  if (request.body !== undefined && request.body !== null) return request.body;
  if (typeof stream.on !== 'function' || !stream.readable) return undefined;
  return readStream(stream as IncomingMessage, maxBytes);
}

/**
 * How much of an oversized body is still read (and discarded), as a multiple of `maxBodyBytes`,
 * before the 413 is sent. Closing a connection with unread bytes makes the kernel reset it, and a
 * reset can destroy the answer before the client reads it; reading to the end avoids that.
 */
export const OVERSIZED_BODY_DISCARD_FACTOR = 1024;

function readStream(
  stream: IncomingMessage,
  maxBytes: number,
): Promise<Buffer | undefined> {
  const discardLimit = maxBytes * OVERSIZED_BODY_DISCARD_FACTOR;
  const declared = Number(stream.headers['content-length']);
  if (declared > discardLimit) return Promise.reject(tooLarge(maxBytes, true));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onGone);
      stream.off('close', onGone);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
      } else if (size > discardLimit) {
        // Too much to wait for: answer now, and the connection closes after the answer.
        settle();
        stream.pause();
        reject(tooLarge(maxBytes, true));
      } else {
        chunks.length = 0; // over the limit: read on to the end, keep nothing
      }
    };
    const onEnd = (): void => {
      settle();
      if (size > maxBytes) reject(tooLarge(maxBytes, false));
      else resolve(size === 0 ? undefined : Buffer.concat(chunks));
    };
    const onGone = (): void => {
      settle();
      reject(new ClientAbortedError());
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onGone);
    stream.on('close', onGone);
  });
}

/** A 413; `unread` when the rest of the body was left on the connection (it must close). */
function tooLarge(maxBytes: number, unread: boolean): HeartbeatError {
  const error = new HeartbeatError(
    'too-large',
    HeartbeatMessages.bodyTooLarge(maxBytes),
  );
  if (unread) unreadBodies.add(error);
  return error;
}

const unreadBodies = new WeakSet<HeartbeatError>();

/** Whether a refusal left part of the body unread, so the connection must close after it. @internal */
export function leftBodyUnread(error: unknown): boolean {
  return error instanceof HeartbeatError && unreadBodies.has(error);
}
