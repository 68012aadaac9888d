import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import {
  ClientAbortedError,
  leftBodyUnread,
  OVERSIZED_BODY_DISCARD_FACTOR,
  preReadRequestBody,
  readRequestBody,
} from './request-body.js';

/** A request body as a stream, with the headers a Node request would carry. */
function incoming(headers: Record<string, string> = {}): PassThrough & {
  headers: Record<string, string>;
} {
  return Object.assign(new PassThrough(), { headers });
}

describe('readRequestBody', () => {
  it('reads the stream when no parser has', async () => {
    const request = incoming();
    const body = readRequestBody(request, 64);
    request.end('appid=x');
    expect(String(await body)).toBe('appid=x');
  });

  it('reads an empty body as none', async () => {
    const request = incoming();
    const body = readRequestBody(request, 64);
    request.end();
    expect(await body).toBeUndefined();
  });

  it('prefers the raw bytes a host parser kept, then what it parsed', async () => {
    const raw = Buffer.from('appid=%ZZ');
    expect(
      await readRequestBody(
        { headers: {}, rawBody: raw, body: { appid: '%ZZ' } },
        64,
      ),
    ).toBe(raw);
    expect(
      await readRequestBody({ headers: {}, body: { appid: 'x' } }, 64),
    ).toEqual({ appid: 'x' });
  });

  it('reads an oversized body to its end, keeps none of it, and refuses it', async () => {
    const request = incoming();
    const body = readRequestBody(request, 64);
    for (let i = 0; i < 100; i++) request.write('x'.repeat(64));
    request.end();
    const error = await body.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toMatchObject({
      kind: 'too-large',
      message: 'request body exceeds 64 bytes',
    });
    // Everything was read: the connection can carry the answer and stay open.
    expect(leftBodyUnread(error)).toBe(false);
    expect(request.readableEnded).toBe(true);
  });

  it('stops reading what is far too large, and says the rest was left unread', async () => {
    const request = incoming();
    const body = readRequestBody(request, 64);
    const chunk = 'x'.repeat(64 * 64);
    for (let i = 0; i <= OVERSIZED_BODY_DISCARD_FACTOR / 64; i++) {
      request.write(chunk);
    }
    const error = await body.catch((failure: unknown) => failure);
    expect(leftBodyUnread(error)).toBe(true);
    expect(request.readableEnded).toBe(false);
  });

  it('refuses a declared length beyond what it would read, at once', async () => {
    const request = incoming({
      'content-length': String(64 * OVERSIZED_BODY_DISCARD_FACTOR + 1),
    });
    const error = await readRequestBody(request, 64).catch(
      (failure: unknown) => failure,
    );
    expect(error).toMatchObject({ kind: 'too-large' });
    expect(leftBodyUnread(error)).toBe(true);
  });

  it('rejects with ClientAbortedError when the client goes away mid-body', async () => {
    const request = incoming();
    const body = readRequestBody(request, 64);
    request.write('appid=');
    request.destroy();
    await expect(body).rejects.toBeInstanceOf(ClientAbortedError);
  });

  it('hands over a body read ahead of a framework parser, or why it could not be', async () => {
    const early = incoming();
    preReadRequestBody(early as unknown as IncomingMessage, 64);
    early.end('{"appid":"x"}');
    // What a framework passes on: its own request object around the Node one.
    expect(String(await readRequestBody({ headers: {}, raw: early }, 64))).toBe(
      '{"appid":"x"}',
    );

    const aborted = incoming();
    preReadRequestBody(aborted as unknown as IncomingMessage, 64);
    aborted.destroy();
    await expect(
      readRequestBody({ headers: {}, raw: aborted }, 64),
    ).rejects.toBeInstanceOf(ClientAbortedError);
  });
});
