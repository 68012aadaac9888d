import { HeartbeatMessages } from './messages.js';

/**
 * Why a heartbeat operation was refused. Adapters map the kind to a transport status:
 * `invalid` → 400, `unauthorized` → 401, `forbidden` → 403, `method` → 405, `too-large` → 413,
 * `unsupported` → 501, `capacity` and `unavailable` → 503.
 *
 * @publicApi
 */
export type HeartbeatErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'method'
  | 'too-large'
  | 'unsupported'
  | 'capacity'
  | 'unavailable';

/**
 * A typed, framework-free error raised by the heartbeat core, registry and stores.
 * Its message is one line and is sent to clients after `ERROR: `.
 *
 * @publicApi
 */
export class HeartbeatError extends Error {
  constructor(
    readonly kind: HeartbeatErrorKind,
    message: string,
    /** For `method` errors: the methods the route accepts (sent as `Allow`). */
    readonly allow?: readonly string[],
  ) {
    super(message);
    this.name = 'HeartbeatError';
  }
}

/** @publicApi */
export function isHeartbeatError(error: unknown): error is HeartbeatError {
  return error instanceof HeartbeatError;
}

/** How an error is answered on the wire. @internal */
export interface HeartbeatErrorResponse {
  readonly status: number;
  /** One line, starting with `ERROR: `. */
  readonly body: string;
  /** Value of the `Allow` header for 405 answers. */
  readonly allow?: string;
}

const STATUS_BY_KIND: Record<HeartbeatErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  method: 405,
  'too-large': 413,
  unsupported: 501,
  capacity: 503,
  unavailable: 503,
};

/** Errors carrying an HTTP status: Nest `HttpException`s, body-parser and Fastify errors. */
function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as {
    getStatus?: () => unknown;
    status?: unknown;
    statusCode?: unknown;
  };
  const status =
    typeof candidate.getStatus === 'function'
      ? candidate.getStatus()
      : (candidate.status ?? candidate.statusCode);
  return typeof status === 'number' && status >= 400 && status < 600
    ? status
    : undefined;
}

/**
 * A JSON body parser's failure: Express's body-parser (`entity.parse.failed`, a SyntaxError) or
 * Fastify's (`FST_ERR_CTP_INVALID_JSON_BODY`), raw or wrapped by Nest in an exception's `cause`.
 */
function isBodySyntaxError(error: unknown): boolean {
  return [error, (error as { cause?: unknown }).cause].some((candidate) => {
    if (candidate instanceof SyntaxError) return true;
    const { type, code } = (candidate ?? {}) as {
      type?: unknown;
      code?: unknown;
    };
    return (
      type === 'entity.parse.failed' ||
      (typeof code === 'string' &&
        /^FST_ERR_CTP_(INVALID|EMPTY)_JSON/.test(code))
    );
  });
}

function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

/**
 * Maps anything thrown while serving a heartbeat route to its one-line `ERROR: ...` answer:
 * typed heartbeat errors by kind, other errors that carry a 4xx/5xx status (a host guard's
 * `ForbiddenException`, a body parser's 413) with their own status, everything else as 500.
 *
 * @internal
 */
export function errorResponse(
  error: unknown,
  limits: { readonly maxBodyBytes: number },
): HeartbeatErrorResponse {
  if (isHeartbeatError(error)) {
    return {
      status: STATUS_BY_KIND[error.kind],
      body: `ERROR: ${oneLine(error.message)}`,
      ...(error.allow && { allow: error.allow.join(', ') }),
    };
  }
  const status = httpStatusOf(error);
  if (status === 413) {
    // A host's body parser refuses by its own limit (body-parser says which); ours otherwise.
    const { limit } = error as { limit?: unknown };
    return {
      status,
      body: `ERROR: ${HeartbeatMessages.bodyTooLarge(typeof limit === 'number' ? limit : limits.maxBodyBytes)}`,
    };
  }
  if (status === 400 && isBodySyntaxError(error)) {
    return { status, body: `ERROR: ${HeartbeatMessages.malformedJsonBody()}` };
  }
  if (status !== undefined && status < 500) {
    const message = error instanceof Error ? oneLine(error.message) : '';
    return {
      status,
      body: `ERROR: ${message || 'cannot process your request'}`,
    };
  }
  return { status: status ?? 500, body: 'ERROR: internal server error' };
}
