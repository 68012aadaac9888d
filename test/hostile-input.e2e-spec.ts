import { ScheduleModule } from '@nestjs/schedule';
import express from 'express';
import { Redis } from 'ioredis';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  createHeartbeatMiddleware,
  type HeartbeatMiddleware,
} from '../src/heartbeat/express/index.js';
import {
  HeartbeatModule,
  HeartbeatRegistry,
  type HeartbeatLogger,
} from '../src/heartbeat/index.js';
import { HEARTBEAT_LOGGER } from '../src/heartbeat/nest/heartbeat.constants.js';
import { buildStandalone, freePort } from './support/build-standalone.js';
import { createHeartbeatApp } from './support/create-heartbeat-app.js';
import { PLATFORMS } from './support/platforms.js';
import { eventually, PrivateRedis } from './support/private-redis.js';
import {
  parseResponses,
  rawChunkedPost,
  rawGet,
  rawPost,
  rawRequest,
  sendRaw,
  startRaw,
} from './support/raw-http.js';
import {
  describeWithRedisServerBinary,
  uniquePrefix,
} from './support/redis.js';
import {
  startStandalone,
  type StandaloneProcess,
} from './support/standalone-process.js';

/**
 * What a client can send that must be refused, or read, the same way on every face: the
 * standalone server on both platforms (as a process), the module embedded on Express and on
 * Fastify, and the Express middleware (bare, and behind a host's own body parsers).
 */

interface Face {
  /** Where the heartbeat routes are mounted: '' or '/hb'. */
  readonly mount: string;
  readonly port: number;
  readonly url: string;
  ids(): Promise<string[]>;
  rejected(): Promise<number>;
  /** Error lines the face has logged. */
  problems(): string[];
  close(): Promise<void>;
}

interface FaceDefinition {
  readonly name: string;
  /** The command is matched under any prefix (the standalone server's rule, or the option). */
  readonly anyPrefix: boolean;
  /** The host parses bodies before the heartbeat routes see them (its errors are its own). */
  readonly hostParsers?: boolean;
  readonly standalone?: boolean;
  start(): Promise<Face>;
}

let build: ReturnType<typeof buildStandalone> | undefined;
function standaloneMain(): string {
  build ??= buildStandalone();
  return build.main;
}

function standaloneFace(adapter: 'express' | 'fastify'): FaceDefinition {
  return {
    name: `standalone server, HB_ADAPTER=${adapter}`,
    anyPrefix: true,
    standalone: true,
    start: async () => {
      const server = await startStandalone(standaloneMain(), {
        HB_ADAPTER: adapter,
      });
      return fromProcess(server);
    },
  };
}

function fromProcess(server: StandaloneProcess): Face {
  return {
    mount: '',
    port: server.port,
    url: server.url,
    ids: async () =>
      (await request(server.url).get('/list')).text.split('\n').slice(0, -1),
    rejected: async () => {
      const metrics = (await request(server.url).get('/metrics')).text;
      return Number(
        /^heartbeat_rejected_requests_total (\d+)$/m.exec(metrics)![1],
      );
    },
    problems: () =>
      server
        .output()
        .split('\n')
        .filter((line) => /\sERROR\s\[/.test(line)),
    close: async () => {
      // A clean stop after everything the tests sent: nothing held a connection open.
      expect(await server.stop()).toEqual({ code: 0, signal: null });
    },
  };
}

/** A logger that keeps the error lines it is given (a warning is a drop, which is fine). */
function collectingLogger(): { logger: HeartbeatLogger; problems: string[] } {
  const problems: string[] = [];
  return {
    problems,
    logger: {
      log: () => undefined,
      warn: () => undefined,
      error: (message) => void problems.push(message),
      debug: () => undefined,
    },
  };
}

function nestFace(
  platform: (typeof PLATFORMS)[number],
  anyPrefix: boolean,
): FaceDefinition {
  return {
    name: `module on ${platform.name}${anyPrefix ? ', anyPrefix' : ''}`,
    anyPrefix,
    start: async () => {
      const { logger, problems } = collectingLogger();
      const t = await createHeartbeatApp(platform, {
        imports: [
          ScheduleModule.forRoot(),
          HeartbeatModule.forRoot({ anyPrefix }),
        ],
        override: (builder) =>
          builder.overrideProvider(HEARTBEAT_LOGGER).useValue(logger),
      });
      await t.app.listen(0, '127.0.0.1');
      const port = (t.server.address() as AddressInfo).port;
      const registry = t.app.get(HeartbeatRegistry);
      return {
        mount: '',
        port,
        url: `http://127.0.0.1:${port}`,
        ids: async () => (await registry.list()).map((s) => s.appId),
        rejected: () => Promise.resolve(registry.counters.rejected),
        problems: () => problems,
        close: () => t.app.close(),
      };
    },
  };
}

function middlewareFace(
  name: string,
  options: { anyPrefix?: boolean; hostParsers?: boolean },
): FaceDefinition {
  return {
    name,
    anyPrefix: options.anyPrefix ?? false,
    hostParsers: options.hostParsers,
    start: async () => {
      const { logger, problems } = collectingLogger();
      const heartbeat: HeartbeatMiddleware = createHeartbeatMiddleware({
        anyPrefix: options.anyPrefix,
        logger,
      });
      const app = express();
      if (options.hostParsers) {
        app.use(express.urlencoded());
        app.use(express.json());
      }
      app.use('/hb', heartbeat);
      const server = await new Promise<Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      const port = (server.address() as AddressInfo).port;
      return {
        mount: '/hb',
        port,
        url: `http://127.0.0.1:${port}`,
        ids: async () => (await heartbeat.registry.list()).map((s) => s.appId),
        rejected: () => Promise.resolve(heartbeat.registry.counters.rejected),
        problems: () => problems,
        close: async () => {
          server.closeAllConnections();
          await new Promise((resolve) => server.close(resolve));
          await heartbeat.close();
        },
      };
    },
  };
}

const [expressPlatform, fastifyPlatform] = PLATFORMS;

const INPUT_FACES: FaceDefinition[] = [
  standaloneFace('express'),
  standaloneFace('fastify'),
  nestFace(expressPlatform!, false),
  nestFace(fastifyPlatform!, false),
  middlewareFace('Express middleware', {}),
  middlewareFace('Express middleware behind express.urlencoded() and json()', {
    hostParsers: true,
  }),
];

const ROUTING_FACES: FaceDefinition[] = [
  ...INPUT_FACES,
  nestFace(expressPlatform!, true),
  nestFace(fastifyPlatform!, true),
  middlewareFace('Express middleware, anyPrefix', { anyPrefix: true }),
];

// Each face starts once for the whole file (the standalone ones are processes) and stops at
// its end, which also shows that nothing sent to it holds a connection open.
const started = new Map<FaceDefinition, Promise<Face>>();
function useFace(definition: FaceDefinition): Promise<Face> {
  let face = started.get(definition);
  if (!face) started.set(definition, (face = definition.start()));
  return face;
}

afterAll(async () => {
  for (const face of started.values()) await (await face).close();
  build?.cleanup();
}, 60_000);

// One rule on every face: the exact lower-case command as the last path segment, never
// percent-decoded; one empty segment before it (an HB_URL ending in `/`) is fine; a trailing
// slash names no command; a fragment is cut before anything is read.
describe.each(ROUTING_FACES)('routing on the $name', (definition) => {
  let face: Face;
  beforeAll(async () => {
    face = await useFace(definition);
  }, 120_000);

  const prefix = definition.anyPrefix ? '/a/b' : '';

  it('serves the exact command, also after an empty segment', async () => {
    const m = face.mount;
    const served = [
      `${m}${prefix}/hb_ping?0&appid=route-1`,
      `${m}${prefix}//hb_ping?0&appid=route-2`,
      ...(definition.anyPrefix ? [`${m}//hb_ping?0&appid=route-3`] : []),
    ];
    for (const target of served) {
      const answer = await rawRequest(face.port, rawGet(target));
      expect({ target, status: answer.status, body: answer.body }).toEqual({
        target,
        status: 200,
        body: '1000',
      });
    }
    expect(
      (await rawRequest(face.port, rawGet(`${m}${prefix}//status`))).status,
    ).toBe(200);
    const ids = await face.ids();
    expect(ids).toEqual(
      expect.arrayContaining(served.map((_, i) => `route-${i + 1}`)),
    );
  });

  it('answers 404 to what only looks like a command, changing nothing', async () => {
    const m = face.mount;
    const notCommands = [
      `${m}${prefix}/hb_ping/?0&appid=route-x`,
      `${m}${prefix}/HB_PING?0&appid=route-x`,
      `${m}${prefix}/hb_%70ing?0&appid=route-x`,
      `${m}${prefix}/status/`,
      ...(definition.anyPrefix
        ? []
        : [`${m}/elsewhere/hb_ping?0&appid=route-x`]),
    ];
    for (const target of notCommands) {
      const answer = await rawRequest(face.port, rawGet(target));
      expect({ target, status: answer.status }).toEqual({
        target,
        status: 404,
      });
      if (definition.standalone) {
        expect(answer.body).toMatch(
          /^ERROR: no heartbeat route at \[[^\]]+\]$/,
        );
      }
    }
    expect(await face.ids()).not.toContain('route-x');
  });

  it('reads nothing after a fragment', async () => {
    const answer = await rawRequest(
      face.port,
      rawGet(`${face.mount}${prefix}/hb_ping#f?0&appid=route-x`),
    );
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 400,
      body: 'ERROR: missing appid',
    });
    expect(await face.ids()).not.toContain('route-x');
  });
});

describe.each(INPUT_FACES)('hostile input on the $name', (definition) => {
  let face: Face;
  beforeAll(async () => {
    face = await useFace(definition);
  }, 120_000);

  const ping = (query: string) => `${face.mount}/hb_ping?${query}`;
  const expectAnswer = async (
    bytes: string | Buffer,
    status: number,
    body: string,
  ) => {
    const answer = await rawRequest(face.port, bytes);
    expect({ status: answer.status, body: answer.body }).toEqual({
      status,
      body,
    });
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
  };

  it.each([
    ['U+200B zero width space', '%E2%80%8B', 'U+200B'],
    ['U+200D zero width joiner', '%E2%80%8D', 'U+200D'],
    ['U+202E right-to-left override', '%E2%80%AE', 'U+202E'],
    ['U+2066 left-to-right isolate', '%E2%81%A6', 'U+2066'],
    ['U+FEFF byte order mark', '%EF%BB%BF', 'U+FEFF'],
    ['U+00AD soft hyphen', '%C2%AD', 'U+00AD'],
    ['U+061C Arabic letter mark', '%D8%9C', 'U+061C'],
    ['U+E0041 tag latin capital A', '%F3%A0%81%81', 'U+E0041'],
  ])('refuses an ID with %s', async (_name, encoded, codePoint) => {
    const message = `ERROR: appid contains an invisible format character (${codePoint})`;
    await expectAnswer(rawGet(ping(`0&appid=tet${encoded}ris`)), 400, message);
    await expectAnswer(
      rawPost(
        ping('0'),
        `appid=tet${encoded}ris`,
        'application/x-www-form-urlencoded',
      ),
      400,
      message,
    );
    await expectAnswer(
      rawGet(`${face.mount}/status?appid=tet${encoded}ris`),
      400,
      message,
    );
    expect((await face.ids()).some((id) => id.startsWith('tet'))).toBe(false);
  });

  it('refuses an ID that is not well-formed Unicode (a lone surrogate in JSON)', async () => {
    for (const body of ['{"appid":"LS\\ud800x"}', '{"appid":"LS\\udc00"}']) {
      const answer = await rawRequest(
        face.port,
        rawPost(ping('0'), body, 'application/json'),
      );
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 400,
        body: expect.stringMatching(
          /^ERROR: appid is not well-formed Unicode \(lone surrogate U\+D[8C]00\)$/,
        ),
      });
    }
    expect((await face.ids()).some((id) => id.startsWith('LS'))).toBe(false);
  });

  it('refuses a malformed form value instead of storing it literally', async () => {
    await expectAnswer(
      rawPost(ping('0'), 'appid=%ZZ', 'application/x-www-form-urlencoded'),
      400,
      'ERROR: malformed percent-encoding in [%ZZ]',
    );
    await expectAnswer(
      rawPost(ping('0'), 'appid=caf%C3', 'application/x-www-form-urlencoded'),
      400,
      'ERROR: malformed percent-encoding in [caf%C3]',
    );
    expect(await face.ids()).not.toContain('%ZZ');
  });

  it('reads a beacon with a JSON content type and an empty body from its query', async () => {
    await expectAnswer(
      rawPost(ping('0&appid=beacon-json'), '', 'application/json'),
      200,
      '1000',
    );
    expect(await face.ids()).toContain('beacon-json');
  });

  it('accepts a body without Content-Type', async () => {
    await expectAnswer(rawPost(ping('0'), 'appid=no-type'), 200, '1000');
    await expectAnswer(
      rawPost(ping('0'), '{"appid":"no-type-json"}'),
      200,
      '1000',
    );
    expect(await face.ids()).toEqual(
      expect.arrayContaining(['no-type', 'no-type-json']),
    );
  });

  it('takes the first of a repeated form appid', async () => {
    await expectAnswer(
      rawPost(
        ping('0'),
        'appid=first-of-two&appid=second-of-two',
        'application/x-www-form-urlencoded',
      ),
      200,
      '1000',
    );
    const ids = await face.ids();
    expect(ids).toContain('first-of-two');
    expect(ids).not.toContain('second-of-two');
  });

  it.skipIf(definition.hostParsers)(
    'answers a malformed JSON body with an ERROR line',
    async () => {
      await expectAnswer(
        rawPost(ping('0'), '{"appid":', 'application/json'),
        400,
        'ERROR: malformed JSON body',
      );
    },
  );

  it.skipIf(definition.hostParsers)(
    'answers a 10 MB chunked body 413 with an ERROR line',
    async () => {
      const [answer] = parseResponses(
        await sendRaw(face.port, rawChunkedPost(ping('0'), 10)),
      );
      expect(answer?.status).toBe(413);
      expect(answer?.body).toMatch(/^ERROR: request body exceeds \d+ bytes$/);
    },
  );

  it('takes a client aborting its POST body as the client’s business: no error, no rejection', async () => {
    const before = await face.rejected();
    const socket = await startRaw(
      face.port,
      `POST ${ping('0')} HTTP/1.1\r\nHost: localhost\r\n` +
        'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n' +
        'appid=abort',
    );
    // Once a later request on another connection is answered, the server has the first one.
    await request(face.url).get(`${face.mount}/status`).expect(200);
    socket.destroy();
    await request(face.url).get(`${face.mount}/status`).expect(200);
    expect(await face.rejected()).toBe(before);
    expect(face.problems()).toEqual([]);
    expect(await face.ids()).not.toContain('abort');
  });
});

const STANDALONE_FACES = INPUT_FACES.filter((face) => face.standalone);

describe.each(STANDALONE_FACES)(
  'HTTP-level refusals on the $name',
  (definition) => {
    let face: Face;
    beforeAll(async () => {
      face = await useFace(definition);
    }, 120_000);

    it.each([
      [
        'headers over the size limit',
        `GET /status HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        431,
        'ERROR: request header fields too large',
      ],
      [
        'a request target over the header size limit',
        `GET /status?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
        431,
        'ERROR: request header fields too large',
      ],
      [
        'a request line that is no HTTP',
        'GARBAGE\r\n\r\n',
        400,
        'ERROR: malformed HTTP request (HPE_INVALID_METHOD)',
      ],
    ])('answers %s with one ERROR line', async (_name, bytes, status, body) => {
      const responses = parseResponses(await sendRaw(face.port, bytes));
      expect(responses).toEqual([
        {
          status,
          body,
          headers: expect.objectContaining({
            'content-type': 'text/plain; charset=utf-8',
            connection: 'close',
          }),
        },
      ]);
    });

    it('answers a valid request pipelined before garbage first, then the 400', async () => {
      const responses = parseResponses(
        await sendRaw(
          face.port,
          'GET /hb_ping?0&appid=pipelined HTTP/1.1\r\nHost: localhost\r\n\r\n' +
            'GET /status?appid=pipelined HTTP/1.1\r\nHost: localhost\r\n\r\n' +
            'BLAH BLAH\r\n\r\n',
        ),
      );
      expect(responses.map(({ status, body }) => ({ status, body }))).toEqual([
        { status: 200, body: '1000' },
        {
          status: 200,
          body: expect.stringMatching(/^OK - fine application \[pipelined\]/),
        },
        {
          status: 400,
          body: expect.stringMatching(/^ERROR: malformed HTTP request/),
        },
      ]);
    });

    it('serves GET /apps/<ID> for IDs longer than a default Fastify path parameter', async () => {
      const id = 'x'.repeat(150);
      const unknown = await request(face.url).get(`/apps/${id}`).expect(404);
      expect(unknown.body).toMatchObject({
        message: `CRITICAL - no application record for queried ID: [${id}]`,
      });
      await request(face.url).get(`/hb_init?0&appid=${id}`).expect(200, '1000');
      const known = await request(face.url).get(`/apps/${id}`).expect(200);
      expect(known.body).toMatchObject({ id, state: 'OK' });
    });
  },
);

describe.each(['express', 'fastify'] as const)(
  'graceful stop of the standalone server, HB_ADAPTER=%s',
  (adapter) => {
    it('ends within HB_SHUTDOWN_TIMEOUT_MS with clients trickling headers and a body, exit 0', async () => {
      const server = await startStandalone(standaloneMain(), {
        HB_ADAPTER: adapter,
        HB_SHUTDOWN_TIMEOUT_MS: '500',
      });
      const headers = await startRaw(
        server.port,
        'GET /status HTTP/1.1\r\nHost: localhost\r\n',
      );
      const body = await startRaw(
        server.port,
        'POST /hb_ping?0 HTTP/1.1\r\nHost: localhost\r\n' +
          'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\nappid=',
      );
      // Each keeps its request alive, one byte at a time, for as long as it is let.
      const trickle = setInterval(() => {
        headers.write('X-Slow: 1\r\n');
        body.write('x');
      }, 100);
      try {
        // Once a later request on another connection is answered, the server has both.
        await request(server.url).get('/status').expect(200);
        expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      } finally {
        clearInterval(trickle);
        headers.destroy();
        body.destroy();
      }
      expect(server.output()).toContain(
        'requests still in flight after 500 ms (HB_SHUTDOWN_TIMEOUT_MS): closing their connections',
      );
      expect(server.output()).not.toMatch(/\sERROR\s\[/);
    }, 60_000);
  },
);

describeWithRedisServerBinary(
  'the standalone server on a Redis that refuses writes',
  () => {
    it.each(['express', 'fastify'] as const)(
      'HB_ADAPTER=%s: answers 503 and UNKNOWN while Redis is out of memory or read-only, then serves again, logging each once',
      async (adapter) => {
        const redis = await PrivateRedis.start();
        const admin = new Redis(redis.url);
        const server = await startStandalone(standaloneMain(), {
          HB_ADAPTER: adapter,
          REDIS_URL: redis.url,
          HB_REDIS_PREFIX: uniquePrefix(),
        });
        try {
          const http = () => request(server.url);
          await eventually(
            async () =>
              (await http().get('/hb_ping?60000&appid=worker')).status === 200,
            'connected to Redis',
          );
          const refusals: Array<
            [() => Promise<unknown>, () => Promise<unknown>]
          > = [
            [
              async () => {
                await admin.config('SET', 'maxmemory-policy', 'noeviction');
                await admin.config('SET', 'maxmemory', '1');
              },
              () => admin.config('SET', 'maxmemory', '0'),
            ],
            [
              async () => admin.replicaof('127.0.0.1', await freePort()),
              () => admin.replicaof('NO', 'ONE'),
            ],
          ];
          for (const [refuse, restore] of refusals) {
            await refuse();
            await http()
              .get('/hb_ping?60000&appid=worker')
              .expect(503, 'ERROR: store unavailable');
            await http()
              .get('/status?appid=worker')
              .expect(200, 'UNKNOWN - heartbeat store unavailable');
            await http()
              .get('/status')
              .expect(200, 'UNKNOWN - heartbeat store unavailable');
            await restore();
            expect((await http().get('/status?appid=worker')).text).toMatch(
              /^OK - fine application \[worker\]\| od=0\.\d\d;/,
            );
            await http()
              .get('/hb_ping?60000&appid=worker')
              .expect(200, '61000');
          }
          const log = server.output();
          expect(log.match(/Redis refuses writes \(OOM /g)).toHaveLength(1);
          expect(log.match(/Redis refuses writes \(READONLY /g)).toHaveLength(
            1,
          );
          expect(log.match(/Redis is back/g)).toHaveLength(2);
        } finally {
          admin.disconnect();
          expect(await server.stop()).toEqual({ code: 0, signal: null });
          await redis.kill();
        }
      },
      60_000,
    );
  },
);
