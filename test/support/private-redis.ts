import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { freePort } from './build-standalone.js';
import { childEnv } from './child-env.js';

/**
 * A throw-away `redis-server` on its own port, so a test can kill and restart it without
 * touching the shared server.
 */
export class PrivateRedis {
  private child?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore', env: childEnv() },
    );
    await this.waitUntil(true);
  }

  /** Kills the server abruptly, as a crash or a network cut would. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }

  /** Freezes the server: connections stay open but nothing answers (a hung Redis). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  private async waitUntil(up: boolean): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const client = new Redis(this.url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      client.on('error', () => undefined);
      const answers = await client
        .connect()
        .then(() => client.ping())
        .then(() => true)
        .catch(() => false);
      client.disconnect();
      if (answers === up) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(
      `redis-server on port ${this.port} did not come ${up ? 'up' : 'down'}`,
    );
  }
}

/** Polls `check` until it holds: for waiting on reconnection, never as a timing assertion. */
export async function eventually(
  check: () => Promise<boolean>,
  what: string,
): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never happened: ${what}`);
}
