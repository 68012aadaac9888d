import { HEARTBEAT_CLIENT_DEFAULTS } from './heartbeat-client.constants.js';
import { HeartbeatClientError } from './heartbeat-client.error.js';
import { HeartbeatClientMessages as Messages } from './heartbeat-client.messages.js';
import type {
  HeartbeatClientOptions,
  HeartbeatRequestOptions,
} from './heartbeat-client-options.interface.js';

/**
 * A Nagios state, read from the first word of a status line; any word other than the first three
 * is `UNKNOWN`.
 *
 * @publicApi
 */
export type NagiosState = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

/**
 * The answer to `/status`: the server's line, its state and the Nagios exit code of that state.
 *
 * @publicApi
 */
export interface HeartbeatStatus {
  /** The status line as the server wrote it, performance data included. */
  readonly line: string;
  readonly state: NagiosState;
  /** OK 0, WARNING 1, CRITICAL 2, anything else 3. */
  readonly exitCode: 0 | 1 | 2 | 3;
}

/** The protocol's commands and queries, as the last path segment. */
type Command = 'hb_init' | 'hb_ping' | 'hb_done' | 'list' | 'status';

const EXIT_CODES = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;

/** `<WORD> - <text>`: how every status line of the protocol begins. */
const STATUS_LINE = /^([A-Z]+) - \S/;

/**
 * A client of the heartbeat protocol, as the Python, Bash and browser clients speak it:
 * `GET <base>/hb_ping?TIMEOUT&appid=ID`, answers read as text. It works against this project's
 * server and the Python reference server alike (HTTP/1.0, answers delimited by the connection
 * closing), on Node's global `fetch`, and imports nothing from Nest.
 *
 * Every method throws a `HeartbeatClientError` on failure; none retries (the keeper does).
 *
 * @example
 * const client = new HeartbeatClient({ url: 'http://127.0.0.1:8888', appId: 'nightly-import' });
 * const delayMs = await client.init(60_000); // registered; late after 3 * delayMs
 * await client.ping(60_000);                // again within the next 60 s
 * await client.done();                      // goodbye
 * @publicApi
 */
export class HeartbeatClient {
  /** The application ID used when a call names none. */
  readonly appId?: string;
  /** Longest wait for one answer, in milliseconds. */
  readonly requestTimeoutMs: number;

  readonly #origin: string;
  readonly #basePath: string;
  readonly #headers: Record<string, string>;

  constructor(options: HeartbeatClientOptions) {
    const url = parseBaseUrl(options.url);
    this.#origin = url.origin;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#headers = {};
    if (options.token !== undefined) {
      this.#headers.authorization = `Bearer ${options.token}`;
    } else if (url.username !== '' || url.password !== '') {
      // fetch refuses URLs with credentials; send them the way a browser would.
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      this.#headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    }
    if (options.appId !== undefined) this.appId = checkAppId(options.appId);
    this.requestTimeoutMs = checkDuration(
      'requestTimeoutMs',
      options.requestTimeoutMs ?? HEARTBEAT_CLIENT_DEFAULTS.requestTimeoutMs,
      1,
    );
  }

  /**
   * The server's address for log lines: the origin, and `/…` in place of a base path, which may
   * hold a token.
   */
  get target(): string {
    return `${this.#origin}${this.#basePath === '' ? '' : '/…'}`;
  }

  /**
   * `hb_init`: registers the application; it is not late before `timeoutMs` has passed.
   * Resolves to the server's delay `T` (`timeoutMs` plus the server's tolerance).
   */
  init(
    timeoutMs: number,
    options: HeartbeatRequestOptions = {},
  ): Promise<number> {
    return this.#command('hb_init', timeoutMs, options).then((body) =>
      this.#delay('hb_init', body),
    );
  }

  /**
   * `hb_ping`: a heartbeat, promising the next one within `timeoutMs`. An ID the server does not
   * know is registered by it (which is how a client recovers after a server restart).
   * Resolves to the server's delay `T`.
   */
  ping(
    timeoutMs: number,
    options: HeartbeatRequestOptions = {},
  ): Promise<number> {
    return this.#command('hb_ping', timeoutMs, options).then((body) =>
      this.#delay('hb_ping', body),
    );
  }

  /**
   * `hb_done`: deregisters the application, which stops within `timeoutMs` (default 0).
   * Resolves to the server's goodbye text.
   */
  done(timeoutMs = 0, options: HeartbeatRequestOptions = {}): Promise<string> {
    return this.#command('hb_done', timeoutMs, options).then((body) =>
      body.trim(),
    );
  }

  /** `/list`: the IDs the server knows, in its order. */
  async list(
    options: Omit<HeartbeatRequestOptions, 'appId'> = {},
  ): Promise<string[]> {
    const body = await this.#get('list', '', options);
    return body
      .split('\n')
      .map((line) => line.replace(/\r$/, ''))
      .filter((line) => line !== '');
  }

  /**
   * `/status` for one application, or for the server as a whole without an ID (OK for one app,
   * WARNING for several, UNKNOWN for none). A 2xx answer that is not a status line throws a
   * `HeartbeatClientError` of kind `answer`.
   */
  async status(
    appId?: string,
    options: Omit<HeartbeatRequestOptions, 'appId'> = {},
  ): Promise<HeartbeatStatus> {
    const query =
      appId === undefined
        ? ''
        : `appid=${encodeURIComponent(checkAppId(appId))}`;
    const body = await this.#get('status', query, options);
    const line = firstLine(body);
    const word = STATUS_LINE.exec(line)?.[1];
    if (word === undefined) {
      throw new HeartbeatClientError(
        'answer',
        Messages.notAStatusLine(this.#describe('status'), body),
        { line },
      );
    }
    const state: NagiosState =
      word === 'OK' || word === 'WARNING' || word === 'CRITICAL'
        ? word
        : 'UNKNOWN';
    return { line, state, exitCode: EXIT_CODES[state] };
  }

  #command(
    command: 'hb_init' | 'hb_ping' | 'hb_done',
    timeoutMs: number,
    options: HeartbeatRequestOptions,
  ): Promise<string> {
    try {
      const appId = options.appId ?? this.appId;
      if (appId === undefined) {
        throw new HeartbeatClientError('usage', Messages.missingAppId(command));
      }
      const timeout = checkDuration('timeoutMs', timeoutMs);
      // TIMEOUT first and bare, as every reference client writes it.
      const query = `${timeout}&appid=${encodeURIComponent(checkAppId(appId))}`;
      return this.#get(command, query, options);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  async #get(
    command: Command,
    query: string,
    options: Omit<HeartbeatRequestOptions, 'appId'>,
  ): Promise<string> {
    const timeoutMs = checkDuration(
      'requestTimeoutMs',
      options.requestTimeoutMs ?? this.requestTimeoutMs,
      1,
    );
    const url = `${this.#origin}${this.#basePath}/${command}${query === '' ? '' : `?${query}`}`;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal
      ? AbortSignal.any([options.signal, timeout])
      : timeout;
    let status: number;
    let body: string;
    try {
      // The body is read under the same signal: a server that stalls mid-answer times out too.
      const response = await fetch(url, {
        headers: this.#headers,
        signal,
        cache: 'no-store',
      });
      status = response.status;
      body = await response.text();
    } catch (error) {
      const target = this.#describe(command);
      if (options.signal?.aborted) {
        throw new HeartbeatClientError(
          'aborted',
          Messages.aborted(command, target),
          { cause: error },
        );
      }
      if (timeout.aborted) {
        throw new HeartbeatClientError(
          'timeout',
          Messages.timeout(command, target, timeoutMs),
          { cause: error },
        );
      }
      throw new HeartbeatClientError(
        'unreachable',
        Messages.unreachable(command, target, describeCause(error)),
        { cause: error },
      );
    }
    if (status < 200 || status > 299) {
      const line = firstLine(body);
      throw new HeartbeatClientError(
        'http',
        Messages.httpStatus(command, status, line),
        { status, line },
      );
    }
    return body;
  }

  #delay(command: 'hb_init' | 'hb_ping', body: string): number {
    const text = body.trim();
    const delay = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(delay)) {
      throw new HeartbeatClientError(
        'answer',
        Messages.notANumber(command, this.#describe(command), body),
        { line: firstLine(body) },
      );
    }
    return delay;
  }

  #describe(command: Command): string {
    return `${this.target}/${command}`;
  }
}

function parseBaseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    throw new HeartbeatClientError('usage', Messages.invalidUrl(String(raw)), {
      cause: error,
    });
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.hostname === ''
  ) {
    throw new HeartbeatClientError('usage', Messages.invalidUrl(raw));
  }
  if (url.search !== '') {
    throw new HeartbeatClientError('usage', Messages.urlWithQuery(raw));
  }
  return url;
}

function checkAppId(appId: unknown): string {
  if (typeof appId !== 'string' || appId === '') {
    throw new HeartbeatClientError('usage', Messages.invalidAppId(appId));
  }
  return appId;
}

function checkDuration(name: string, value: unknown, min = 0): number {
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < min
  ) {
    throw new HeartbeatClientError(
      'usage',
      Messages.invalidTimeout(name, value, min),
    );
  }
  return value;
}

function firstLine(body: string): string {
  const end = body.indexOf('\n');
  return (end === -1 ? body : body.slice(0, end)).replace(/\r$/, '');
}

/**
 * fetch reports every network failure as `TypeError: fetch failed`; the reason is in its cause
 * (`connect ECONNREFUSED 127.0.0.1:8888`, `getaddrinfo ENOTFOUND host`, `other side closed`).
 */
function describeCause(error: unknown): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause ?? error;
  if (cause instanceof AggregateError && cause.errors.length > 0) {
    // Several addresses tried (localhost as ::1 and 127.0.0.1): name each failure once.
    return [...new Set(cause.errors.map(describeOne))].join('; ');
  }
  return describeOne(cause);
}

function describeOne(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return error.message || (typeof code === 'string' ? code : error.name);
  }
  return String(error);
}
