import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import {
  HeartbeatKeeper,
  type HeartbeatClientLogger,
} from '../heartbeat/client/index.js';
import {
  CliUsageError,
  milliseconds,
  parseClientArgs,
  required,
} from './cli.args.js';
import { clientFor, rethrowUsage } from './cli.commands.js';
import type { CliIo } from './cli.io.js';
import { CLI_USAGE } from './cli.usage.js';

/** Signals a supervisor sends to stop or reload; each is passed on to the command. */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * `wrap`: runs a command while a `HeartbeatKeeper` keeps its ID alive, and exits with the
 * command's exit code (128 + signal number when a signal ended it).
 *
 * The command is started first and never waits on the heartbeat server. Output stays quiet while
 * all is well (cron mails whatever a job prints): only a failure, and then its recovery, reach
 * stderr.
 *
 * @internal
 */
export async function wrap(
  args: readonly string[],
  io: CliIo,
): Promise<number> {
  const separator = args.indexOf('--');
  const own = separator === -1 ? args : args.slice(0, separator);
  const command = separator === -1 ? [] : args.slice(separator + 1);
  const options = parseClientArgs(
    own,
    ['url', 'appid', 'timeout', 'token'],
    io.env,
  );
  if (options.help) {
    io.out(CLI_USAGE.wrap);
    return 0;
  }
  const appId = required(options.appid, '--appid');
  const timeoutMs = milliseconds(required(options.timeout, '--timeout'), 0);
  const [file, ...commandArgs] = command;
  if (file === undefined) {
    throw new CliUsageError('missing the command to run, after --');
  }
  let keeper: HeartbeatKeeper;
  try {
    keeper = new HeartbeatKeeper(clientFor(options), {
      appId,
      timeoutMs,
      logger: quietLogger(io),
    });
  } catch (error) {
    rethrowUsage(error);
    throw error;
  }

  return new Promise<number>((resolve) => {
    const child = spawn(file, commandArgs, { stdio: 'inherit' });
    let spawned = false;
    const forward = (signal: NodeJS.Signals) => {
      child.kill(signal);
    };
    for (const signal of FORWARDED) process.on(signal, forward);
    const finish = (code: number) => {
      for (const signal of FORWARDED) process.off(signal, forward);
      resolve(code);
    };

    child.once('spawn', () => {
      spawned = true;
      keeper.start();
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (spawned) return; // a failed kill(); the exit event still comes
      io.err(`nestjs-heartbeat wrap: cannot run ${file}: ${error.message}`);
      finish(error.code === 'ENOENT' ? 127 : 126);
    });
    child.once('exit', (code, signal) => {
      const exitCode =
        code ?? 128 + (signal === null ? 0 : constants.signals[signal]);
      // Signals that arrive during the goodbye (at most one request timeout) are still ours to
      // handle, so the exit code stays the command's.
      void keeper.stop().then(() => finish(exitCode));
    });
  });
}

/** Silent while all is well; a warning, and every line after it, goes to stderr. */
function quietLogger(io: CliIo): HeartbeatClientLogger {
  let troubled = false;
  const print = (message: string) =>
    io.err(`nestjs-heartbeat wrap: ${message}`);
  return {
    log: (message) => {
      if (troubled) print(message);
    },
    warn: (message) => {
      troubled = true;
      print(message);
    },
    error: (message) => {
      troubled = true;
      print(message);
    },
  };
}
