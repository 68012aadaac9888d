import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * A mistake on the command line: the runner prints it with a pointer to `--help` and exits with
 * the command's usage code (3 for `check`, 2 for the others).
 *
 * @internal
 */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

/** The options every client command shares. @internal */
export interface ClientArgs {
  readonly help: boolean;
  readonly url?: string;
  readonly appid?: string;
  readonly timeout?: string;
  readonly token?: string;
}

type Flag = 'url' | 'appid' | 'timeout' | 'token';

/**
 * Parses `args` strictly (unknown flags, missing values and stray arguments are usage errors),
 * accepting only `flags` and `--help`. `--url` and `--token` fall back to `HB_URL`/`HB_TOKEN`.
 *
 * @internal
 */
export function parseClientArgs(
  args: readonly string[],
  flags: readonly Flag[],
  env: Readonly<Record<string, string | undefined>>,
): ClientArgs {
  const options: NonNullable<ParseArgsConfig['options']> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const flag of flags) options[flag] = { type: 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options,
      strict: true,
      allowPositionals: false,
    }) as { values: Record<string, string | boolean | undefined> });
  } catch (error) {
    throw new CliUsageError((error as Error).message.split('\n')[0]!);
  }
  const text = (name: Flag): string | undefined =>
    typeof values[name] === 'string' ? values[name] : undefined;
  return {
    help: values.help === true,
    url: flags.includes('url')
      ? (text('url') ?? nonEmpty(env.HB_URL))
      : undefined,
    appid: text('appid'),
    timeout: text('timeout'),
    token: flags.includes('token')
      ? (text('token') ?? nonEmpty(env.HB_TOKEN))
      : undefined,
  };
}

/** The value of a required option, or a usage error naming it. @internal */
export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') {
    throw new CliUsageError(`missing ${flag}`);
  }
  return value;
}

/** `--timeout MS`: a non-negative integer number of milliseconds. @internal */
export function milliseconds(
  raw: string | undefined,
  fallback: number,
): number {
  if (raw === undefined) return fallback;
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new CliUsageError(
      `--timeout ${raw}: expected a non-negative integer number of milliseconds`,
    );
  }
  return Number(raw);
}

/** `--timeout SECONDS` of `check`: a positive number, fractions allowed. @internal */
export function seconds(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback * 1000;
  const value = Number(raw);
  if (!/^[0-9]*\.?[0-9]+$/.test(raw) || value <= 0 || value > 86_400) {
    throw new CliUsageError(
      `--timeout ${raw}: expected a number of seconds above 0, at most 86400`,
    );
  }
  return Math.ceil(value * 1000);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
