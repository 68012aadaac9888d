import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from './build-standalone.js';
import { childEnv } from './child-env.js';

/** A running `node dist/main.js`, with everything it has written so far. */
export interface StandaloneProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  output(): string;
  /** Resolves once the output matches (for log lines that follow an action). */
  waitFor(pattern: RegExp): Promise<void>;
  /** Sends a signal and resolves with how the process ended. */
  stop(
    signal?: NodeJS.Signals,
  ): Promise<{ code: number | null; signal: string | null }>;
}

/**
 * Starts the built standalone server on a free port with exactly `env` (plus the port and what
 * `childEnv` passes), nothing else inherited, and resolves once it logs the address it serves.
 */
export async function startStandalone(
  main: string,
  env: Record<string, string>,
): Promise<StandaloneProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    env: childEnv({ HB_HOST: '127.0.0.1', HB_PORT: String(port), ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters = new Set<() => void>();
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const waiter of waiters) waiter();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;

  const waitFor = (pattern: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pattern.test(output)) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
      void exited.then(() => {
        if (!waiters.has(check)) return;
        waiters.delete(check);
        reject(new Error(`exited before ${String(pattern)}:\n${output}`));
      });
    });

  await waitFor(/listening on http:\/\//);
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    waitFor,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
      }
      const [code, ended] = await exited;
      return { code, signal: ended };
    },
  };
}
