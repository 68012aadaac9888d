import { CliUsageError, parseClientArgs } from './cli.args.js';
import { check, list, protocolCommand, status } from './cli.commands.js';
import type { CliIo } from './cli.io.js';
import { CLI_USAGE, type CliCommand } from './cli.usage.js';
import { wrap } from './cli.wrap.js';

/**
 * Runs one `nestjs-heartbeat` command line. Resolves to the exit code, or to `undefined` for
 * `serve`, whose server runs on until a signal stops it.
 *
 * Usage errors (unknown flag, missing value, bad number) exit 3 for `check`, as Nagios expects
 * of a plugin, and 2 for every other command.
 *
 * @internal
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
): Promise<number | undefined> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    io.out(CLI_USAGE.main);
    return 0;
  }
  const command =
    first === undefined || first.startsWith('-') ? 'serve' : first;
  const args = command === first ? rest : argv;
  if (!isCommand(command)) {
    io.err(`nestjs-heartbeat: unknown command "${command}"`);
    io.err("Try 'nestjs-heartbeat --help'.");
    return 2;
  }
  try {
    return await run(command, args, io);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    if (command === 'check') {
      // A plugin speaks on stdout, in one line Nagios can show.
      io.out(`UNKNOWN - usage: ${error.message}`);
      io.err("Try 'nestjs-heartbeat check --help'.");
      return 3;
    }
    io.err(`nestjs-heartbeat ${command}: ${error.message}`);
    io.err(`Try 'nestjs-heartbeat ${command} --help'.`);
    return 2;
  }
}

async function run(
  command: CliCommand,
  args: readonly string[],
  io: CliIo,
): Promise<number | undefined> {
  switch (command) {
    case 'serve':
      return serve(args, io);
    case 'check':
      return check(args, io);
    case 'status':
      return status(args, io);
    case 'list':
      return list(args, io);
    case 'wrap':
      return wrap(args, io);
    case 'init':
    case 'ping':
    case 'done':
      return protocolCommand(command, args, io);
  }
}

/** The standalone server, exactly as `node dist/main.js` runs it. */
async function serve(
  args: readonly string[],
  io: CliIo,
): Promise<number | undefined> {
  if (parseClientArgs(args, [], io.env).help) {
    io.out(CLI_USAGE.serve);
    return 0;
  }
  await import('../main.js');
  return undefined;
}

function isCommand(name: string): name is CliCommand {
  return name !== 'main' && Object.hasOwn(CLI_USAGE, name);
}
