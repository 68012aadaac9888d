/**
 * Message factories of the client side, so the wording lives in one place and tests can assert
 * on it.
 *
 * @internal
 */
export const HeartbeatClientMessages = {
  invalidUrl: (url: string) =>
    `invalid heartbeat server URL ${quote(url)}: expected http(s)://host[:port][/path]`,
  urlWithQuery: (url: string) =>
    `heartbeat server URL ${quote(url)} must not carry a query string: the client writes it`,
  missingAppId: (command: string) =>
    `${command}: no application ID (give one to the call or as the client's appId option)`,
  invalidAppId: (value: unknown) =>
    `invalid application ID ${quote(value)}: expected a non-empty string`,
  invalidTimeout: (name: string, value: unknown, min: number) =>
    `invalid ${name} ${quote(value)}: expected ${min === 0 ? 'a non-negative' : 'a positive'} integer number of milliseconds`,
  invalidPromise: (value: unknown, min: number, max: number) =>
    `invalid timeoutMs ${quote(value)}: expected an integer from ${min} to ${max} milliseconds`,
  unreachable: (command: string, target: string, cause: string) =>
    `${command}: cannot reach the heartbeat server at ${target} (${cause})`,
  timeout: (command: string, target: string, ms: number) =>
    `${command}: no answer from ${target} within ${ms} ms`,
  aborted: (command: string, target: string) =>
    `${command}: request to ${target} aborted`,
  httpStatus: (command: string, status: number, line: string) =>
    `${command}: the heartbeat server answered ${status}${line ? `: ${printable(line)}` : ''}`,
  notANumber: (command: string, target: string, body: string) =>
    `${command}: unexpected answer from ${target}: ${quote(printable(body))} is not a decimal integer`,
  notAStatusLine: (target: string, body: string) =>
    `status: unexpected answer from ${target}: ${quote(printable(body))} is not a status line`,
  firstFailure: (appId: string, message: string) =>
    `heartbeat for [${appId}] failed: ${message}; retrying with backoff, quiet until it recovers`,
  recovered: (appId: string, failures: number, delayMs: number) =>
    `heartbeat for [${appId}] delivered again after ${failures} failed attempt${failures === 1 ? '' : 's'} (server delay ${delayMs} ms)`,
  registered: (appId: string, target: string, delayMs: number) =>
    `registered [${appId}] with ${target} (server delay ${delayMs} ms)`,
  goodbyeFailed: (appId: string, message: string) =>
    `goodbye for [${appId}] not delivered: ${message}`,
  decoratorPingFailed: (appId: string, message: string) =>
    `@Heartbeat [${appId}]: ping failed: ${message}; quiet until a ping succeeds`,
  decoratorPingRecovered: (appId: string) =>
    `@Heartbeat [${appId}]: ping delivered again`,
  noBoundClient: (appId: string, name: string) =>
    `@Heartbeat [${appId}]: no heartbeat client bound as "${name}", not pinged: import HeartbeatClientModule or call bindHeartbeatClient()`,
  replacedBinding: (name: string) =>
    `a heartbeat client was already bound as "${name}"; the newer one replaces it for @Heartbeat`,
} as const;

/** Keeps echoed text on one line and short. @internal */
export function printable(value: string, max = 80): string {
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

function quote(value: unknown): string {
  return typeof value === 'string' ? `"${printable(value)}"` : String(value);
}
