import { freePort } from '../../test/support/build-standalone.js';
import {
  startReferenceServerDouble,
  type ReferenceServerDouble,
} from '../../test/support/reference-server-double.js';
import type { CliIo } from './cli.io.js';
import { runCli } from './cli.runner.js';

/** Runs one command line in-process and collects what it prints. */
async function cli(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env,
  };
  const code = await runCli(argv, io);
  return { code, out, err };
}

describe('nestjs-heartbeat command line', () => {
  let server: ReferenceServerDouble;

  beforeEach(async () => {
    server = await startReferenceServerDouble();
  });
  afterEach(() => server.close());

  it.each([
    [['--help']],
    [['help']],
    [['serve', '--help']],
    [['check', '-h']],
    [['wrap', '--help']],
    [['init', '--help']],
    [['ping', '--help']],
    [['done', '--help']],
    [['list', '--help']],
    [['status', '--help']],
  ])('%j prints its usage and exits 0', async (argv) => {
    const { code, out, err } = await cli(argv);

    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/^Usage: nestjs-heartbeat/);
    expect(err).toEqual([]);
  });

  it.each([
    [['check', '--bogus'], 3, "UNKNOWN - usage: Unknown option '--bogus'"],
    [
      ['check', '--url', 'nowhere'],
      3,
      'UNKNOWN - usage: invalid heartbeat server URL "nowhere": expected http(s)://host[:port][/path]',
    ],
    [
      ['check', '--url', 'http://h', '--timeout', 'soon'],
      3,
      'UNKNOWN - usage: --timeout soon: expected a number of seconds above 0, at most 86400',
    ],
    [['check'], 3, 'UNKNOWN - usage: missing --url'],
  ])(
    'check: a usage error %j is one UNKNOWN line on stdout, exit 3',
    async (argv, exitCode, line) => {
      const { code, out } = await cli(argv);

      expect({ code, out }).toEqual({ code: exitCode, out: [line] });
    },
  );

  it.each([
    [
      ['ping', '--url', 'http://h', '--appid', 'a', '--bogus'],
      "nestjs-heartbeat ping: Unknown option '--bogus'",
    ],
    [['init', '--url', 'http://h'], 'nestjs-heartbeat init: missing --appid'],
    [
      ['done', '--url', 'http://h', '--appid', 'a', '--timeout', '-1'],
      "nestjs-heartbeat done: Option '--timeout' argument is ambiguous.",
    ],
    [
      ['ping', '--url', 'http://h', '--appid', 'a', '--timeout', '1.5'],
      'nestjs-heartbeat ping: --timeout 1.5: expected a non-negative integer number of milliseconds',
    ],
    [
      ['list', 'extra'],
      "nestjs-heartbeat list: Unexpected argument 'extra'. This command does not take positional arguments",
    ],
    [
      ['status', '--timeout', '3'],
      "nestjs-heartbeat status: Unknown option '--timeout'",
    ],
    [
      ['wrap', '--url', 'http://h', '--appid', 'a', '--timeout', '1000'],
      'nestjs-heartbeat wrap: missing the command to run, after --',
    ],
    [
      ['wrap', '--url', 'http://h', '--appid', 'a', '--', 'true'],
      'nestjs-heartbeat wrap: missing --timeout',
    ],
    [
      [
        'wrap',
        '--url',
        'http://h',
        '--appid',
        'a',
        '--timeout',
        '10',
        '--',
        'true',
      ],
      'nestjs-heartbeat wrap: invalid timeoutMs 10: expected an integer from 100 to 2147483647 milliseconds',
    ],
    [
      ['serve', '--port', '3'],
      "nestjs-heartbeat serve: Unknown option '--port'",
    ],
    [['--port', '3'], "nestjs-heartbeat serve: Unknown option '--port'"],
  ])('%j is a usage error on stderr, exit 2', async (argv, message) => {
    const { code, out, err } = await cli(argv);

    expect({ code, out, first: err[0]?.split('\n')[0] }).toEqual({
      code: 2,
      out: [],
      first: message,
    });
    expect(err[1]).toMatch(/^Try 'nestjs-heartbeat (\w+ )?--help'\.$/);
  });

  it('an unknown command exits 2', async () => {
    expect(await cli(['bogus'])).toEqual({
      code: 2,
      out: [],
      err: [
        'nestjs-heartbeat: unknown command "bogus"',
        "Try 'nestjs-heartbeat --help'.",
      ],
    });
  });

  it('one-shots print the answer; --url and --token default to HB_URL and HB_TOKEN', async () => {
    const env = { HB_URL: `${server.url}/base`, HB_TOKEN: 'secret' };

    expect(
      await cli(['init', '--appid', 'a b', '--timeout', '5000'], env),
    ).toEqual({ code: 0, out: ['6000'], err: [] });
    expect(await cli(['ping', '--appid', 'c'], env)).toEqual({
      code: 0,
      out: ['1000'],
      err: [],
    });
    expect(await cli(['list'], env)).toEqual({
      code: 0,
      out: ['a b', 'c'],
      err: [],
    });
    expect(await cli(['status'], env)).toEqual({
      code: 1,
      out: ['WARNING - multiple (2) applications: [a b,c]'],
      err: [],
    });
    expect(
      await cli(['done', '--appid', 'a b', '--url', server.url], env),
    ).toEqual({
      code: 0,
      out: ['So Long, and Thanks for All the Fish!'],
      err: [],
    });

    expect(
      server.requests.map((r) => [r.target, r.headers.authorization]),
    ).toEqual([
      ['/base/hb_init?5000&appid=a%20b', 'Bearer secret'],
      ['/base/hb_ping?0&appid=c', 'Bearer secret'],
      ['/base/list', 'Bearer secret'],
      ['/base/status', 'Bearer secret'],
      ['/hb_done?0&appid=a%20b', 'Bearer secret'],
    ]);
  });

  it('one-shots: a failed request is an ERROR line on stderr, exit 1 (status: 3)', async () => {
    server.answerWith(() => ({ status: 401, body: 'ERROR: Unauthorized' }));

    expect(await cli(['ping', '--url', server.url, '--appid', 'a'])).toEqual({
      code: 1,
      out: [],
      err: [
        'ERROR: hb_ping: the heartbeat server answered 401: ERROR: Unauthorized',
      ],
    });
    expect(await cli(['status', '--url', server.url])).toEqual({
      code: 3,
      out: [],
      err: [
        'ERROR: status: the heartbeat server answered 401: ERROR: Unauthorized',
      ],
    });
  });

  it.each([
    ['OK - fine application [a]| od=0.00;3;5;0;6 delay=1000ms;;;', 0],
    [
      'WARNING - somewhat late application [a]| od=3.00;3;5;0;6 delay=1000ms;;;',
      1,
    ],
    [
      'CRITICAL - quite late application [a]| od=5.00;3;5;0;6 delay=1000ms;;;',
      2,
    ],
    ['UNKNOWN - heartbeat store unavailable', 3],
  ])('check: prints %j, exits %i', async (line, exitCode) => {
    server.answerWith(() => ({ body: line }));

    expect(await cli(['check', '--url', server.url, '--appid', 'a'])).toEqual({
      code: exitCode,
      out: [line],
      err: [],
    });
  });

  it('check: no answer, a refused connection, a non-2xx answer or garbage is one UNKNOWN line, exit 3', async () => {
    const port = await freePort();
    const down = await cli(['check', '--url', `http://127.0.0.1:${port}`]);
    server.answerWith(() => 'hang');
    const silent = await cli([
      'check',
      '--url',
      server.url,
      '--timeout',
      '0.001',
    ]);
    server.answerWith(() => ({ status: 500, body: 'ERROR: boom' }));
    const failing = await cli(['check', '--url', server.url]);
    server.answerWith(() => ({ body: '<html>It works!</html>' }));
    const garbage = await cli(['check', '--url', server.url]);

    expect([down, silent, failing, garbage]).toEqual([
      {
        code: 3,
        err: [],
        out: [
          `UNKNOWN - status: cannot reach the heartbeat server at http://127.0.0.1:${port}/status (connect ECONNREFUSED 127.0.0.1:${port})`,
        ],
      },
      {
        code: 3,
        err: [],
        out: [
          `UNKNOWN - status: no answer from ${server.url}/status within 1 ms`,
        ],
      },
      {
        code: 3,
        err: [],
        out: [
          'UNKNOWN - status: the heartbeat server answered 500: ERROR: boom',
        ],
      },
      {
        code: 3,
        err: [],
        out: [
          `UNKNOWN - status: unexpected answer from ${server.url}/status: "<html>It works!</html>" is not a status line`,
        ],
      },
    ]);
  });
});
