import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * The environment of every child process the tests start: nothing inherited but `PATH`, so a
 * developer's `HB_*` or `REDIS_URL` never leaks into a test.
 */
export function childEnv(
  env: Record<string, string> = {},
): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1', ...env };
}

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Running {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches, or rejects when the process exits first or `ms` pass. */
  waitForOutput(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
  finished: Promise<Finished>;
}

/** Starts `node <script> ...args` with an explicit environment, collecting its output. */
export function startNode(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
  options: { stdin?: 'pipe' | 'ignore'; nodeArgs?: readonly string[] } = {},
): Running {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), script, ...args],
    {
      env: childEnv(env),
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const finished = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    stdout,
    stderr,
  }));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    finished,
    waitForOutput(pattern, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(`no ${pattern} within ${ms} ms:\n${stdout}\n${stderr}`),
          );
        }, ms);
        const check = () => {
          const match = pattern.exec(stdout);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const exited = () => {
          cleanup();
          reject(new Error(`exited before ${pattern}:\n${stdout}\n${stderr}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          child.off('exit', exited);
        };
        child.stdout!.on('data', check);
        child.once('exit', exited);
        check();
      });
    },
  };
}

/** Runs `node <script> ...args` to its end. */
export function runNode(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
  nodeArgs: readonly string[] = [],
): Promise<Finished> {
  return startNode(script, args, env, { nodeArgs }).finished;
}

/** Stops a process the test started, if it still runs, and waits for it. */
export async function stopProcess(running: Running | undefined): Promise<void> {
  if (!running) return;
  const { child } = running;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
  }
  await running.finished;
}

/** Polls `probe` until it returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
