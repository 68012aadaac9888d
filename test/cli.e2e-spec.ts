import { dirname, join } from 'node:path';
import { HeartbeatClient } from '../src/heartbeat/client/index.js';
import { buildStandalone, freePort } from './support/build-standalone.js';
import {
  startHeartbeatServer,
  type ListeningHeartbeatServer,
} from './support/heartbeat-server.js';
import {
  eventually,
  runNode,
  startNode,
  stopProcess,
  type Running,
} from './support/node-process.js';
import {
  startReferenceServerDouble,
  type ReferenceServerDouble,
} from './support/reference-server-double.js';

/** A child that runs until its stdin ends, then exits with the given code. */
const untilStdinEnds = (code: number) => [
  process.execPath,
  '-e',
  `process.stdin.resume(); process.stdin.on('end', () => process.exit(${code}));`,
];

/** `nestjs-heartbeat` as users run it: `node dist/cli.js ...`, with an explicit environment. */
// Real processes: each one starts Node, so allow more than the default five seconds a test.
describe('nestjs-heartbeat (node dist/cli.js)', { timeout: 30_000 }, () => {
  let build: ReturnType<typeof buildStandalone>;
  let cliPath: string;
  let server: ListeningHeartbeatServer;
  let running: Running | undefined;

  beforeAll(() => {
    build = buildStandalone();
    cliPath = join(dirname(build.main), 'cli.js');
  }, 120_000);
  afterAll(() => build?.cleanup());
  beforeEach(async () => {
    server = await startHeartbeatServer();
  });
  afterEach(async () => {
    await stopProcess(running);
    running = undefined;
    await server.close();
  });

  const cli = (...args: string[]) => runNode(cliPath, args);

  describe('check: the Nagios plugin', () => {
    const check = async (...args: string[]) => {
      const { code, stdout, stderr } = await cli('check', ...args);
      return { code, stdout, stderr };
    };

    it('OK 0, WARNING 1, CRITICAL 2 for one application', async () => {
      await server.registry.register('backup', 1000); // T = 2000 ms
      const ok = await check('--url', server.url, '--appid', 'backup');
      server.clock.advance(6000); // od 3
      const warning = await check('--url', server.url, '--appid', 'backup');
      server.clock.advance(4000); // od 5
      const critical = await check('--url', server.url, '--appid', 'backup');

      expect([ok, warning, critical]).toEqual([
        {
          code: 0,
          stderr: '',
          stdout:
            'OK - fine application [backup]| od=0.00;3;5;0;6 delay=2000ms;;;\n',
        },
        {
          code: 1,
          stderr: '',
          stdout:
            'WARNING - somewhat late application [backup]| od=3.00;3;5;0;6 delay=2000ms;;;\n',
        },
        {
          code: 2,
          stderr: '',
          stdout:
            'CRITICAL - quite late application [backup]| od=5.00;3;5;0;6 delay=2000ms;;;\n',
        },
      ]);
    });

    it('no record CRITICAL 2, no apps UNKNOWN 3, several apps WARNING 1', async () => {
      const none = await check('--url', server.url);
      const noRecord = await check('--url', server.url, '--appid', 'ghost');
      await server.registry.register('a', 0);
      await server.registry.register('b', 0);
      const several = await check('--url', server.url);

      expect([noRecord, none, several]).toEqual([
        {
          code: 2,
          stderr: '',
          stdout: 'CRITICAL - no application record for queried ID: [ghost]\n',
        },
        {
          code: 3,
          stderr: '',
          stdout: 'UNKNOWN - no heartbeat clients at the moment...\n',
        },
        {
          code: 1,
          stderr: '',
          stdout: 'WARNING - multiple (2) applications: [a,b]\n',
        },
      ]);
    });

    it('server down, a non-2xx answer, a usage error: UNKNOWN 3', async () => {
      const port = await freePort();
      const down = await check('--url', `http://127.0.0.1:${port}`);
      const refused = await check(
        '--url',
        server.url,
        '--appid',
        'x'.repeat(300),
      );
      const usage = await check('--url', server.url, '--verbose');

      expect(down).toEqual({
        code: 3,
        stderr: '',
        stdout: `UNKNOWN - status: cannot reach the heartbeat server at http://127.0.0.1:${port}/status (connect ECONNREFUSED 127.0.0.1:${port})\n`,
      });
      expect(refused).toEqual({
        code: 3,
        stderr: '',
        stdout:
          'UNKNOWN - status: the heartbeat server answered 400: ERROR: appid is 300 characters long, the limit is 256\n',
      });
      expect(usage).toEqual({
        code: 3,
        stderr: "Try 'nestjs-heartbeat check --help'.\n",
        stdout: "UNKNOWN - usage: Unknown option '--verbose'\n",
      });
    });

    describe('against the HTTP/1.0 reference server double', () => {
      let reference: ReferenceServerDouble;

      beforeEach(async () => {
        reference = await startReferenceServerDouble();
      });
      afterEach(() => reference.close());

      it('reads its close-delimited answers: OK 0', async () => {
        await cli(
          'init',
          '--url',
          reference.url,
          '--appid',
          'py',
          '--timeout',
          '500',
        );

        expect(await check('--url', reference.url, '--appid', 'py')).toEqual({
          code: 0,
          stderr: '',
          stdout:
            'OK - fine application [py]| od=0.00;3;5;0;6 delay=1500ms;;;\n',
        });
      });

      it('garbage and silence: UNKNOWN 3', async () => {
        reference.answerWith(() => ({
          body: '<html><body>Welcome to nginx!</body></html>',
        }));
        const garbage = await check('--url', reference.url);
        reference.answerWith(() => 'hang');
        const silent = await check('--url', reference.url, '--timeout', '0.2');

        expect([garbage, silent]).toEqual([
          {
            code: 3,
            stderr: '',
            stdout: `UNKNOWN - status: unexpected answer from ${reference.url}/status: "<html><body>Welcome to nginx!</body></html>" is not a status line\n`,
          },
          {
            code: 3,
            stderr: '',
            stdout: `UNKNOWN - status: no answer from ${reference.url}/status within 200 ms\n`,
          },
        ]);
      });
    });
  });

  describe('one-shots', () => {
    it('init, ping, list, status, done print the answer; failures print an ERROR line', async () => {
      const url = server.url;

      const init = await cli(
        'init',
        '--url',
        url,
        '--appid',
        'script',
        '--timeout',
        '4000',
      );
      const ping = await cli('ping', '--url', url, '--appid', 'other');
      const list = await cli('list', '--url', url);
      const status = await cli('status', '--url', url, '--appid', 'script');
      const done = await cli('done', '--url', url, '--appid', 'script');
      const bad = await cli('ping', '--url', url, '--appid', 'x'.repeat(300));

      expect(
        [init, ping, list, status, done, bad].map(
          ({ code, stdout, stderr }) => ({ code, stdout, stderr }),
        ),
      ).toEqual([
        { code: 0, stdout: '5000\n', stderr: '' },
        { code: 0, stdout: '1000\n', stderr: '' },
        { code: 0, stdout: 'script\nother\n', stderr: '' },
        {
          code: 0,
          stdout:
            'OK - fine application [script]| od=0.00;3;5;0;6 delay=5000ms;;;\n',
          stderr: '',
        },
        {
          code: 0,
          stdout: 'So Long, and Thanks for All the Fish!\n',
          stderr: '',
        },
        {
          code: 1,
          stdout: '',
          stderr:
            'ERROR: hb_ping: the heartbeat server answered 400: ERROR: appid is 300 characters long, the limit is 256\n',
        },
      ]);
      expect(await cli('ping', '--url', url, '--bogus')).toMatchObject({
        code: 2,
      });
    });
  });

  describe('wrap', () => {
    const wrap = (
      url: string,
      appId: string,
      timeoutMs: number,
      command: string[],
    ) =>
      startNode(
        cliPath,
        [
          'wrap',
          '--url',
          url,
          '--appid',
          appId,
          '--timeout',
          String(timeoutMs),
          '--',
          ...command,
        ],
        {},
        { stdin: 'pipe' },
      );

    it("registers while the command runs, pings, says goodbye when it ends, exits with the command's code", async () => {
      running = wrap(server.url, 'nightly-backup', 1000, untilStdinEnds(7));
      const monitor = new HeartbeatClient({ url: server.url });

      const ids = await eventually(async () => {
        const listed = await monitor.list();
        return listed.length > 0 ? listed : undefined;
      }, 'the registration');
      expect(ids).toEqual(['nightly-backup']);
      const registered = await server.registry.get('nightly-backup');
      server.clock.advance(1000);
      // A heartbeat sets lastSeen to the server's (moved) clock.
      await eventually(
        async () =>
          (await server.registry.get('nightly-backup'))?.lastSeen ===
          server.clock.now()
            ? true
            : undefined,
        'a heartbeat',
      );
      expect(registered?.lastSeen).toBeLessThan(server.clock.now());

      running.child.stdin!.end();
      const { code } = await running.finished;

      expect(code).toBe(7);
      expect(await monitor.list()).toEqual([]);
    });

    it('speaks the protocol to a reference server: hb_init, hb_ping..., hb_done', async () => {
      const reference = await startReferenceServerDouble();
      try {
        running = wrap(reference.url, 'job 1', 1000, untilStdinEnds(0));
        await eventually(
          async () => (reference.requests.length >= 3 ? true : undefined),
          'two heartbeats',
        );
        running.child.stdin!.end();
        const { code } = await running.finished;

        const targets = reference.requests.map((r) => r.target);
        expect(code).toBe(0);
        expect(targets[0]).toBe('/hb_init?1000&appid=job%201');
        expect(
          targets
            .slice(1, -1)
            .every((t) => t === '/hb_ping?1000&appid=job%201'),
        ).toBe(true);
        expect(targets.at(-1)).toBe('/hb_done?0&appid=job%201');
      } finally {
        await reference.close();
      }
    });

    it.each([
      ['sh', ['sh', '-c', 'exit 7'], 7],
      ['a missing command', ['no-such-command-here'], 127],
    ])(
      'passes on the exit code (%s), quietly',
      async (_, command, exitCode) => {
        const { code, stderr } = await runNode(cliPath, [
          'wrap',
          '--url',
          server.url,
          '--appid',
          'short',
          '--timeout',
          '60000',
          '--',
          ...command,
        ]);

        expect(code).toBe(exitCode);
        expect(await server.registry.list()).toEqual([]);
        // Nothing to say while all is well (cron mails whatever a job prints).
        expect(stderr).toBe(
          exitCode === 127
            ? 'nestjs-heartbeat wrap: cannot run no-such-command-here: spawn no-such-command-here ENOENT\n'
            : '',
        );
      },
    );

    it('SIGTERM reaches the command; wrap exits with its code', async () => {
      running = wrap(server.url, 'service', 60_000, [
        process.execPath,
        '-e',
        "process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(42); }); setInterval(() => {}, 1000); console.log('ready');",
      ]);
      await running.waitForOutput(/ready/);
      await eventually(
        async () => (await server.registry.get('service')) ?? undefined,
        'registration',
      );

      running.child.kill('SIGTERM');
      const { code, signal, stdout } = await running.finished;

      expect({ code, signal, stdout }).toEqual({
        code: 42,
        signal: null,
        stdout: 'ready\nchild got SIGTERM\n',
      });
      expect(await server.registry.list()).toEqual([]);
    });

    it('a command killed by the forwarded signal: wrap exits 128 + the signal number', async () => {
      running = wrap(server.url, 'service', 60_000, [
        process.execPath,
        '-e',
        "setInterval(() => {}, 1000); console.log('ready');",
      ]);
      await running.waitForOutput(/ready/);

      running.child.kill('SIGTERM');
      const { code } = await running.finished;

      expect(code).toBe(143);
    });

    it('a heartbeat server that is down never stops the command: one line on stderr, the exit code passes', async () => {
      const port = await freePort();
      running = wrap(
        `http://127.0.0.1:${port}`,
        'offline-job',
        200,
        untilStdinEnds(5),
      );
      await eventually(
        async () => (running!.stderr().includes('failed') ? true : undefined),
        'the failure report',
      );
      // Let a few retries (every 500 ms at most) go by.
      await new Promise((resolve) => setTimeout(resolve, 1500));

      running.child.stdin!.end();
      const { code, stderr } = await running.finished;

      expect(code).toBe(5);
      expect(stderr.trim().split('\n')).toEqual([
        `nestjs-heartbeat wrap: heartbeat for [offline-job] failed: hb_init: cannot reach the heartbeat server at http://127.0.0.1:${port}/hb_init (connect ECONNREFUSED 127.0.0.1:${port}); retrying with backoff, quiet until it recovers`,
      ]);
    });
  });

  describe('serve', () => {
    it('with no command runs the standalone server from HB_* variables; SIGTERM stops it with 0', async () => {
      running = startNode(cliPath, [], {
        HB_HOST: '127.0.0.1',
        HB_PORT: '0',
        HB_TOLERANCE_MS: '250',
      });
      const [, url] = await running.waitForOutput(
        /listening on (http:\/\/\S+)/,
      );

      expect(
        await cli('ping', '--url', url!, '--appid', 'a', '--timeout', '1000'),
      ).toMatchObject({ code: 0, stdout: '1250\n' });
      expect(await cli('check', '--url', url!)).toMatchObject({ code: 0 });

      running.child.kill('SIGTERM');
      expect(await running.finished).toMatchObject({ code: 0, signal: null });
    });
  });

  it('the client commands need no Nest: check, ping and list with @nestjs/* unresolvable', async () => {
    const blockNest = [
      '--import',
      join(import.meta.dirname, 'fixtures', 'block-nest-and-rxjs.mjs'),
    ];
    const run = (...args: string[]) => runNode(cliPath, args, {}, blockNest);

    const ping = await run(
      'ping',
      '--url',
      server.url,
      '--appid',
      'cron-job',
      '--timeout',
      '500',
    );
    const check = await run(
      'check',
      '--url',
      server.url,
      '--appid',
      'cron-job',
    );
    const list = await run('list', '--url', server.url);
    const serve = await run('serve');

    expect(ping).toMatchObject({ code: 0, stdout: '1500\n', stderr: '' });
    expect(check).toMatchObject({
      code: 0,
      stdout:
        'OK - fine application [cron-job]| od=0.00;3;5;0;6 delay=1500ms;;;\n',
    });
    expect(list).toMatchObject({ code: 0, stdout: 'cron-job\n' });
    // Only the server itself needs Nest.
    expect(serve.code).not.toBe(0);
    expect(serve.stderr).toContain('@nestjs/');
  });
});
