import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './build-standalone.js';

/** Whether `redis-server` and `redis-cli` can be run here. */
export const redisBinariesAvailable =
  spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * `describe` for suites that start their own Redis Cluster. Without the Redis binaries they are
 * skipped, loudly, naming the suite; under `CI=true` that is a failure, never a silent skip (the
 * policy of `describeWithRedis`).
 */
export function describeWithRedisCluster(
  name: string,
  suite: () => void,
): void {
  if (redisBinariesAvailable) {
    describe(name, suite);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs redis-server and redis-cli', () => {
        throw new Error(
          `CI=true but redis-server/redis-cli cannot be run: "${name}" cannot run`,
        );
      });
    });
    return;
  }
  console.warn(`SKIPPED (no redis-server/redis-cli): ${name}`);
  describe.skip(`${name} [skipped: no redis-server/redis-cli]`, suite);
}

/**
 * A private Redis Cluster of three masters on free ports, for one test file: each node a
 * `redis-server --cluster-enabled yes` with its state in a temporary directory, joined with
 * `redis-cli --cluster create`. `stop()` ends the nodes and removes the directory.
 */
export class PrivateRedisCluster {
  private readonly children: ChildProcess[] = [];

  private constructor(
    readonly ports: readonly number[],
    private readonly dir: string,
  ) {}

  /** Starts the nodes, joins them and waits until the cluster answers `cluster_state:ok`. */
  static async start(masters = 3): Promise<PrivateRedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'hb-redis-cluster-'));
    const ports: number[] = [];
    const busPorts: number[] = [];
    while (ports.length < masters) {
      // Distinct free ports for clients and for the cluster bus (port + 10000 may not exist).
      for (const list of [ports, busPorts]) {
        let port = await freePort();
        while (ports.includes(port) || busPorts.includes(port))
          port = await freePort();
        list.push(port);
      }
    }
    const cluster = new PrivateRedisCluster(ports, dir);
    try {
      for (const [i, port] of ports.entries()) {
        cluster.children.push(
          spawn(
            'redis-server',
            [
              '--cluster-enabled',
              'yes',
              '--port',
              String(port),
              '--cluster-port',
              String(busPorts[i]),
              '--cluster-config-file',
              join(dir, `nodes-${port}.conf`),
              '--cluster-node-timeout',
              '5000',
              '--dir',
              dir,
              '--save',
              '',
              '--appendonly',
              'no',
              '--bind',
              '127.0.0.1',
              '--daemonize',
              'no',
            ],
            { stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } },
          ),
        );
      }
      await Promise.all(ports.map((port) => waitForPing(port)));
      await run('redis-cli', [
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
      await Promise.all(ports.map((port) => waitForClusterOk(port)));
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** The nodes as ioredis takes them. */
  get nodes(): Array<{ host: string; port: number }> {
    return this.ports.map((port) => ({ host: '127.0.0.1', port }));
  }

  /** The nodes as `REDIS_CLUSTER_NODES` takes them. */
  get nodeList(): string {
    return this.ports.map((port) => `127.0.0.1:${port}`).join(',');
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }),
    );
    this.children.length = 0;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += String(chunk)));
    child.stderr.on('data', (chunk: Buffer) => (output += String(chunk)));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')}: ${output}`)),
    );
  });
}

async function withNode<T>(
  port: number,
  use: (client: Redis) => Promise<T>,
): Promise<T | undefined> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await use(client);
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

async function poll(check: () => Promise<boolean>, what: string) {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Redis Cluster: never happened: ${what}`);
}

function waitForPing(port: number): Promise<void> {
  return poll(
    async () => (await withNode(port, (c) => c.ping())) === 'PONG',
    `node ${port} answers PING`,
  );
}

function waitForClusterOk(port: number): Promise<void> {
  return poll(
    async () =>
      (
        await withNode(
          port,
          (c) => c.call('CLUSTER', 'INFO') as Promise<string>,
        )
      )?.includes('cluster_state:ok') ?? false,
    `node ${port} reports cluster_state:ok`,
  );
}
