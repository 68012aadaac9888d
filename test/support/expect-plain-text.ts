import type { Response } from 'supertest';

/** Asserts a protocol answer byte for byte: status, exact body and the protocol headers. */
export function expectPlainText(
  response: Response,
  status: number,
  body: string,
): void {
  expect({ status: response.status, body: response.text }).toEqual({
    status,
    body,
  });
  expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
  expect(response.headers['access-control-allow-origin']).toBe('*');
  expect(response.headers['cache-control']).toBe('no-store');
}
