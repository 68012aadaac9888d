import {
  HeartbeatClient,
  HeartbeatClientError,
} from '../heartbeat/client/index.js';
import {
  CliUsageError,
  milliseconds,
  parseClientArgs,
  required,
  seconds,
  type ClientArgs,
} from './cli.args.js';
import type { CliIo } from './cli.io.js';
import { CLI_USAGE } from './cli.usage.js';

/** Request timeout of the one-shot commands. */
const ONE_SHOT_TIMEOUT_MS = 10_000;

/** Nagios exit code for anything but OK, WARNING and CRITICAL. */
const UNKNOWN = 3;

/**
 * `check`: the Nagios/Check_mk plugin. Prints exactly one line on stdout, the server's status
 * line or an `UNKNOWN - ...` line, and exits 0/1/2/3 by its first word. No answer is UNKNOWN (3),
 * not CRITICAL as in the reference `check_heartbeat.py`: Nagios reserves CRITICAL for what was
 * measured.
 *
 * @internal
 */
export async function check(
  args: readonly string[],
  io: CliIo,
): Promise<number> {
  const options = parseClientArgs(
    args,
    ['url', 'appid', 'timeout', 'token'],
    io.env,
  );
  if (options.help) return help(io, CLI_USAGE.check);
  const client = clientFor(options, seconds(options.timeout, 10));
  try {
    const status = await client.status(options.appid);
    io.out(status.line);
    return status.exitCode;
  } catch (error) {
    rethrowUsage(error);
    io.out(`UNKNOWN - ${(error as Error).message}`);
    return UNKNOWN;
  }
}

/**
 * `status`: the status line on stdout, exit codes as `check`; a failed request is an `ERROR`
 * line on stderr and exit 3.
 *
 * @internal
 */
export async function status(
  args: readonly string[],
  io: CliIo,
): Promise<number> {
  const options = parseClientArgs(args, ['url', 'appid', 'token'], io.env);
  if (options.help) return help(io, CLI_USAGE.status);
  const client = clientFor(options, ONE_SHOT_TIMEOUT_MS);
  try {
    const answer = await client.status(options.appid);
    io.out(answer.line);
    return answer.exitCode;
  } catch (error) {
    rethrowUsage(error);
    io.err(`ERROR: ${(error as Error).message}`);
    return UNKNOWN;
  }
}

/**
 * `init`, `ping`, `done`: one protocol command, its answer on stdout; exit 0, or 1 with an
 * `ERROR` line on stderr.
 *
 * @internal
 */
export async function protocolCommand(
  command: 'init' | 'ping' | 'done',
  args: readonly string[],
  io: CliIo,
): Promise<number> {
  const options = parseClientArgs(
    args,
    ['url', 'appid', 'timeout', 'token'],
    io.env,
  );
  if (options.help) return help(io, CLI_USAGE[command]);
  const appId = required(options.appid, '--appid');
  const timeoutMs = milliseconds(options.timeout, 0);
  const client = clientFor(options, ONE_SHOT_TIMEOUT_MS);
  return oneShot(io, async () => {
    const answer = await client[command](timeoutMs, { appId });
    io.out(String(answer));
  });
}

/**
 * `list`: the known IDs on stdout, one a line.
 *
 * @internal
 */
export async function list(
  args: readonly string[],
  io: CliIo,
): Promise<number> {
  const options = parseClientArgs(args, ['url', 'token'], io.env);
  if (options.help) return help(io, CLI_USAGE.list);
  const client = clientFor(options, ONE_SHOT_TIMEOUT_MS);
  return oneShot(io, async () => {
    for (const id of await client.list()) io.out(id);
  });
}

/**
 * The client for a command's `--url` and `--token`; a bad URL is a usage error.
 *
 * @internal
 */
export function clientFor(
  options: ClientArgs,
  requestTimeoutMs?: number,
): HeartbeatClient {
  const url = required(options.url, '--url');
  try {
    return new HeartbeatClient({
      url,
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
    });
  } catch (error) {
    rethrowUsage(error);
    throw error;
  }
}

/**
 * A client's `usage` error is a mistake on the command line, not a failed request.
 *
 * @internal
 */
export function rethrowUsage(error: unknown): void {
  if (error instanceof HeartbeatClientError && error.kind === 'usage') {
    throw new CliUsageError(error.message);
  }
}

async function oneShot(io: CliIo, run: () => Promise<void>): Promise<number> {
  try {
    await run();
    return 0;
  } catch (error) {
    rethrowUsage(error);
    io.err(`ERROR: ${(error as Error).message}`);
    return 1;
  }
}

function help(io: CliIo, text: string): number {
  io.out(text);
  return 0;
}
