/**
 * Why a client call failed:
 * - `usage`: the call itself is wrong (bad URL, empty ID, negative timeout); nothing was sent;
 * - `unreachable`: no HTTP answer (refused, reset, DNS);
 * - `timeout`: no complete answer within the request timeout;
 * - `aborted`: the caller's `signal` aborted the request;
 * - `http`: the server answered with a non-2xx status (`status`, and its `ERROR:` line in `line`);
 * - `answer`: a 2xx answer that is not what the protocol promises (`line` holds its first line).
 *
 * @publicApi
 */
export type HeartbeatClientErrorKind =
  'usage' | 'unreachable' | 'timeout' | 'aborted' | 'http' | 'answer';

/**
 * The one error type `HeartbeatClient` throws. Its message is one line, safe to log; the server
 * URL in it never shows the base path, which may hold a token.
 *
 * @example
 * try {
 *   await client.ping(60_000);
 * } catch (error) {
 *   if (error instanceof HeartbeatClientError && error.kind === 'http') {
 *     console.error(error.status, error.line); // 400 'ERROR: empty appid'
 *   }
 * }
 * @publicApi
 */
export class HeartbeatClientError extends Error {
  /** The HTTP status, for `http` errors. */
  readonly status?: number;
  /** For `http` errors the first line of the body (`ERROR: ...`), for `answer` errors the unexpected line. */
  readonly line?: string;

  constructor(
    readonly kind: HeartbeatClientErrorKind,
    message: string,
    details: { status?: number; line?: string; cause?: unknown } = {},
  ) {
    super(
      message,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.name = 'HeartbeatClientError';
    if (details.status !== undefined) this.status = details.status;
    if (details.line !== undefined) this.line = details.line;
  }
}
