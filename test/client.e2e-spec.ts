import { Controller, Get, type INestApplication } from '@nestjs/common';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Test } from '@nestjs/testing';
import {
  HeartbeatClient,
  HeartbeatClientError,
  HeartbeatClientModule,
  HeartbeatKeeper,
  type HeartbeatClientModuleOptions,
} from '../src/heartbeat/client/index.js';
import { buildStandalone, freePort } from './support/build-standalone.js';
import {
  startHeartbeatServer,
  type ListeningHeartbeatServer,
} from './support/heartbeat-server.js';
import { ManualScheduler } from './support/manual-scheduler.js';
import {
  runNode,
  startNode,
  stopProcess,
  type Running,
} from './support/node-process.js';
import { PLATFORMS } from './support/platforms.js';
import { spyLogger, type SpyLogger } from './support/spy-logger.js';

/** One build of the package for the suites below that run it as a process. */
let build: ReturnType<typeof buildStandalone> | undefined;
const built = () => (build ??= buildStandalone());
afterAll(() => build?.cleanup());

/** The client side against the project's own server: in-process with a fake clock, and as a process. */
describe.each(PLATFORMS)(
  'HeartbeatClient against the server on $name',
  (platform) => {
    let server: ListeningHeartbeatServer;

    beforeEach(async () => {
      server = await startHeartbeatServer({ platform });
    });
    afterEach(() => server.close());

    it('init, ping, list, status through every state, done', async () => {
      const client = new HeartbeatClient({ url: server.url, appId: 'Tetris' });

      expect(await client.init(1000)).toBe(2000);
      expect(await client.list()).toEqual(['Tetris']);
      expect(await client.status('Tetris')).toEqual({
        line: 'OK - fine application [Tetris]| od=0.00;3;5;0;6 delay=2000ms;;;',
        state: 'OK',
        exitCode: 0,
      });
      server.clock.advance(6000); // od 3
      expect(await client.status('Tetris')).toMatchObject({
        state: 'WARNING',
        exitCode: 1,
      });
      server.clock.advance(4000); // od 5
      expect(await client.status()).toMatchObject({
        state: 'CRITICAL',
        exitCode: 2,
      });
      expect(await client.ping(3000)).toBe(4000);
      expect(await client.status()).toMatchObject({ state: 'OK', exitCode: 0 });
      expect(await client.done()).toBe('So Long, and Thanks for All the Fish!');
      expect(await client.status()).toEqual({
        line: 'UNKNOWN - no heartbeat clients at the moment...',
        state: 'UNKNOWN',
        exitCode: 3,
      });
      expect(await client.status('Tetris')).toEqual({
        line: 'CRITICAL - no application record for queried ID: [Tetris]',
        state: 'CRITICAL',
        exitCode: 2,
      });
    });

    it("reaches the server's IDs exactly, and carries its ERROR line", async () => {
      const client = new HeartbeatClient({ url: `${server.url}/any/prefix` });

      await client.ping(0, { appId: 'a&b=c d' });
      expect(await client.list()).toEqual(['a&b=c d']);

      const refused = await client
        .ping(0, { appId: 'bell\u0007' })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(HeartbeatClientError);
      expect(refused).toMatchObject({
        kind: 'http',
        status: 400,
        line: 'ERROR: appid contains a control character',
      });
    });
  },
);

@Controller()
class HostController {
  @Get('hello')
  hello(): string {
    return 'host is up';
  }
}

describe('HeartbeatClientModule in a host application', () => {
  let host: INestApplication | undefined;
  let scheduler: ManualScheduler;
  let logger: SpyLogger;

  beforeEach(() => {
    scheduler = new ManualScheduler();
    logger = spyLogger();
  });
  afterEach(async () => {
    await host?.close();
    host = undefined;
  });

  async function startHost(url: string): Promise<INestApplication> {
    const options: HeartbeatClientModuleOptions = {
      url,
      appId: 'host-app',
      timeoutMs: 30_000,
      scheduler,
      logger,
      random: () => 0.5,
    };
    const moduleRef = await Test.createTestingModule({
      imports: [HeartbeatClientModule.forRoot(options)],
      controllers: [HostController],
    }).compile();
    host = moduleRef.createNestApplication({ logger: false });
    await host.listen(0, '127.0.0.1');
    return host;
  }

  async function hostAnswers(app: INestApplication): Promise<string> {
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    return (await fetch(`${url}/hello`)).text();
  }

  it('registers once started, keeps its promise on the server, says goodbye on close', async () => {
    const server = await startHeartbeatServer();
    try {
      const app = await startHost(server.url);
      const keeper = app.get(HeartbeatKeeper);
      await keeper.idle();

      expect((await server.registry.get('host-app'))?.delayMs).toBe(31_000);
      const registeredAt = server.clock.now();
      server.clock.advance(scheduler.runNext()); // the first heartbeat, 15 s later
      await keeper.idle();
      expect((await server.registry.get('host-app'))?.lastSeen).toBe(
        registeredAt + 15_000,
      );
      expect(app.get(HeartbeatClient).appId).toBe('host-app');

      await app.close();
      host = undefined;
      expect(await server.registry.list()).toEqual([]);
      expect(logger.warn).not.toHaveBeenCalled();
    } finally {
      await server.close();
    }
  });

  describe(
    'with the standalone server as a process (node dist/main.js)',
    { timeout: 30_000 },
    () => {
      let standalone: Running | undefined;

      beforeAll(() => void built(), 120_000);
      afterEach(async () => {
        await stopProcess(standalone);
        standalone = undefined;
      });

      async function startStandalone(port: number): Promise<string> {
        standalone = startNode(built().main, [], {
          HB_HOST: '127.0.0.1',
          HB_PORT: String(port),
        });
        const [, url] = await standalone.waitForOutput(
          /listening on (http:\/\/\S+)/,
        );
        return url!;
      }

      it('a server down at start-up: the host starts and serves, logs the outage once, registers when it is back', async () => {
        const port = await freePort();
        const app = await startHost(`http://127.0.0.1:${port}`);
        const keeper = app.get(HeartbeatKeeper);
        await keeper.idle();

        expect(await hostAnswers(app)).toBe('host is up');
        expect(keeper.state).toBe('failing');
        for (let i = 0; i < 4; i++) {
          scheduler.runNext();
          await keeper.idle();
        }
        expect(logger.warn.mock.calls).toEqual([
          [
            `heartbeat for [host-app] failed: hb_init: cannot reach the heartbeat server at http://127.0.0.1:${port}/hb_init (connect ECONNREFUSED 127.0.0.1:${port}); retrying with backoff, quiet until it recovers`,
          ],
        ]);
        expect(logger.log).not.toHaveBeenCalled();

        const url = await startStandalone(port);
        scheduler.runNext();
        await keeper.idle();

        expect(keeper.state).toBe('beating');
        expect(logger.log.mock.calls).toEqual([
          [
            'heartbeat for [host-app] delivered again after 5 failed attempts (server delay 31000 ms)',
          ],
        ]);
        const monitor = new HeartbeatClient({ url });
        expect(await monitor.list()).toEqual(['host-app']);
        expect((await monitor.status('host-app')).state).toBe('OK');
        expect(await hostAnswers(app)).toBe('host is up');

        await app.close();
        host = undefined;
        expect(await monitor.list()).toEqual([]);
        expect(logger.warn).toHaveBeenCalledTimes(1);
      });

      it('a server that goes away and comes back: one warning, one recovery, registered again by ping', async () => {
        const port = await freePort();
        await startStandalone(port);
        const app = await startHost(`http://127.0.0.1:${port}`);
        const keeper = app.get(HeartbeatKeeper);
        await keeper.idle();
        expect(keeper.state).toBe('beating');

        standalone!.child.kill('SIGTERM');
        await standalone!.finished;
        scheduler.runNext();
        await keeper.idle();
        scheduler.runNext();
        await keeper.idle();
        expect(keeper.state).toBe('failing');

        const url = await startStandalone(port); // a fresh server: an empty registry
        scheduler.runNext();
        await keeper.idle();

        expect(logger.warn).toHaveBeenCalledTimes(1);
        expect(logger.log.mock.calls.map(([line]) => line)).toEqual([
          `registered [host-app] with http://127.0.0.1:${port} (server delay 31000 ms)`,
          'heartbeat for [host-app] delivered again after 2 failed attempts (server delay 31000 ms)',
        ]);
        expect(await new HeartbeatClient({ url }).list()).toEqual(['host-app']);
      });
    },
  );
});

/**
 * nestjs-heartbeat/client, built, in a process where no @nestjs/* package (nor reflect-metadata
 * or rxjs) can be resolved. The server it talks to is the project's own, in this process.
 */
describe(
  'nestjs-heartbeat/client without Nest installed',
  { timeout: 30_000 },
  () => {
    let server: ListeningHeartbeatServer;

    beforeAll(() => void built(), 120_000);
    beforeEach(async () => {
      server = await startHeartbeatServer();
    });
    afterEach(() => server.close());

    it('loads; the client, keeper and decorator work', async () => {
      const fixtures = join(import.meta.dirname, 'fixtures');
      const { code, stdout, stderr } = await runNode(
        join(fixtures, 'client-without-nest-child.mjs'),
        [dirname(built().main), server.url],
        {},
        ['--import', join(fixtures, 'block-nest-and-rxjs.mjs')],
      );

      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
        '@nestjs/common': 'missing',
        '@nestjs/core': 'missing',
        'reflect-metadata': 'missing',
        rxjs: 'missing',
        init: 2000,
        list: ['no-nest'],
        status: 'OK',
        decorated: 'ran',
        afterJob: ['no-nest', 'no-nest-job'],
        keeper: 'beating',
        done: 'So Long, and Thanks for All the Fish!',
        afterDone: ['no-nest-job'],
        module: ['exports', 'global', 'imports', 'module', 'providers'],
      });
    });

    it('package.json maps nestjs-heartbeat/client and the nestjs-heartbeat command to built files', () => {
      const manifest = JSON.parse(
        readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'),
      ) as {
        exports: Record<string, { types: string; default: string }>;
        bin: Record<string, string>;
      };
      const dist = dirname(built().main);
      const inBuild = (path: string) =>
        existsSync(join(dist, path.replace(/^(\.\/)?dist\//, '')));

      expect(manifest.exports['./client']).toEqual({
        types: './dist/heartbeat/client/index.d.ts',
        default: './dist/heartbeat/client/index.js',
      });
      expect(manifest.bin).toEqual({ 'nestjs-heartbeat': 'dist/cli.js' });
      expect(
        [
          ...Object.values(manifest.exports['./client']!),
          manifest.bin['nestjs-heartbeat']!,
        ].map(inBuild),
      ).toEqual([true, true, true]);
      expect(readFileSync(join(dist, 'cli.js'), 'utf8')).toMatch(
        /^#!\/usr\/bin\/env node\n/,
      );
    });
  },
);
