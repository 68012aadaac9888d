import type { Readable } from 'node:stream';
import { HeartbeatError } from '../core/errors.js';
import { HeartbeatMessages } from '../core/messages.js';
import type { HeartbeatHttpRequest } from './plain-text.js';

type MaybeStream = Pick<HeartbeatHttpRequest, 'body' | 'headers'> &
  Partial<Pick<Readable, 'on' | 'readable'>>;

/**
 * The body of a POST as the protocol reads it. When a body parser already ran (the host's, or
 * Fastify's), its result is used. Otherwise (the standalone server and the Express middleware run
 * without one, so GETs never pay for parsing) the raw body is read here, up to `maxBytes`.
 *
 * @internal
 */
export async function readRequestBody(
  request: MaybeStream,
  maxBytes: number,
): Promise<unknown> {
  if (request.body !== undefined) return request.body;
  if (typeof request.on !== 'function' || !request.readable) return undefined;

  const declared = Number(request.headers['content-length']);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as unknown as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return size === 0 ? undefined : Buffer.concat(chunks);
}

function tooLarge(maxBytes: number): HeartbeatError {
  return new HeartbeatError(
    'too-large',
    HeartbeatMessages.bodyTooLarge(maxBytes),
  );
}
