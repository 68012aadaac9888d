import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import request from 'supertest';
import { buildStandalone, freePort } from './support/build-standalone.js';
import { childEnv } from './support/child-env.js';
import { expectPlainText } from './support/expect-plain-text.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

const PING = 'kiosk-Ping-7f3a';
const OPS = 'ops-ping-token';
const READ = 'read-Nagios-19c2';
const ADMIN = 'admin-Token-5d0e';
const TOKENS = [PING, OPS, READ, ADMIN];
/** Each test starts a process or two; on a busy machine that alone may take seconds. */
const PROCESS_TEST_MS = 30_000;

/** Access control and webhooks of the standalone server, as a process configured by HB_*. */
describe('standalone server in production (node dist/main.js)', () => {
  let build: ReturnType<typeof buildStandalone>;

  beforeAll(() => {
    build = buildStandalone();
  }, 120_000);
  afterAll(() => build?.cleanup());

  interface Running {
    child: ChildProcess;
    url: string;
    output: () => string;
    stop: () => Promise<void>;
  }

  /** Starts the server with exactly this environment; resolves once it serves. */
  async function start(vars: Record<string, string>): Promise<Running> {
    const child = spawn(process.execPath, [build.main], {
      env: childEnv(vars),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => (output += chunk.toString());
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const port = await new Promise<string>((resolve, reject) => {
      const onData = () => {
        const match = /listening on http:\/\/\S+:(\d+)/.exec(output);
        if (match) resolve(match[1]!);
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code) =>
        reject(new Error(`exited with ${code}: ${output}`)),
      );
    });
    return {
      child,
      // Whatever address it listens on, the test reaches it on loopback.
      url: `http://127.0.0.1:${port}`,
      output: () => output,
      stop: async () => {
        child.kill('SIGTERM');
        const [code] = (await once(child, 'exit')) as [number | null];
        expect(code).toBe(0);
      },
    };
  }

  it.each(['express', 'fastify'])(
    'HB_ADAPTER=%s: tokens from HB_*_TOKENS guard the protocol, the JSON API and metrics; no token reaches the log',
    async (adapter) => {
      const server = await start({
        HB_ADAPTER: adapter,
        HB_PORT: String(await freePort()),
        HB_PING_TOKENS: `${PING}:kiosk-:2,${OPS}`,
        HB_READ_TOKENS: READ,
        HB_ADMIN_TOKENS: ADMIN,
      });
      try {
        const http = request(server.url);
        // The Python, Bash and browser clients with HB_URL=http://host:port/<token>.
        expectPlainText(
          await http
            .post(`/${PING}/hb_init?1000`)
            .type('form')
            .send('appid=kiosk-1'),
          200,
          '2000',
        );
        expectPlainText(
          await http
            .post(`/${PING}/hb_ping?0`)
            .set('Content-Type', 'application/json')
            .send('{"appid":"kiosk-2"}'),
          200,
          '1000',
        );
        expectPlainText(
          await http.get(`/${PING}/hb_ping?0&appid=kiosk-1&cache_buster=9`),
          200,
          '1000',
        );
        expectPlainText(
          await http
            .post(`/${PING}/hb_ping?0&appid=kiosk-2`)
            .set('Content-Type', 'text/plain;charset=UTF-8')
            .send(''),
          200,
          '1000',
        );
        // A Nagios check with the read token in its URL, under a prefix of its own.
        const status = await http.get(`/monitor/${READ}/status?appid=kiosk-1`);
        expect(status.status).toBe(200);
        expect(status.text).toMatch(/^OK - fine application \[kiosk-1\]\| /);

        expectPlainText(
          await http.get('/hb_ping?0&appid=kiosk-1'),
          401,
          'ERROR: missing or invalid token',
        );
        expectPlainText(
          await http.get('/not-a-token/status'),
          401,
          'ERROR: missing or invalid token',
        );
        expectPlainText(
          await http.get(`/${READ}/hb_init?0&appid=kiosk-3`),
          403,
          'ERROR: this token may not register, ping and deregister applications',
        );
        expectPlainText(
          await http.get(`/${PING}/hb_init?0&appid=pos-1`),
          403,
          'ERROR: this token may only use appids starting with [kiosk-], not [pos-1]',
        );
        expectPlainText(
          await http.get(`/${PING}/hb_init?0&appid=kiosk-3`),
          403,
          'ERROR: this token already holds 2 applications, its limit; new IDs are refused',
        );
        await http.get(`/${OPS}/hb_init?0&appid=pos-1`).expect(200);

        // The JSON API and metrics read the Authorization header.
        await http.get('/apps').expect(401);
        await http
          .get('/apps')
          .set('Authorization', `Bearer ${PING}`)
          .expect(403);
        const apps = await http
          .get('/apps')
          .set('Authorization', `Bearer ${READ}`)
          .expect(200);
        expect(apps.body.apps.map((a: { id: string }) => a.id)).toEqual([
          'kiosk-1',
          'kiosk-2',
          'pos-1',
        ]);
        await http
          .delete('/apps/pos-1')
          .set('Authorization', `Bearer ${READ}`)
          .expect(403);
        await http
          .delete('/apps/pos-1')
          .set('Authorization', `Bearer ${ADMIN}`)
          .expect(200, { id: 'pos-1', removed: true });
        await http.get('/metrics').expect(401);
        const metrics = await http
          .get('/metrics')
          .set('Authorization', `Bearer ${READ}`)
          .expect(200);
        expect(metrics.text).toContain(
          'heartbeat_auth_refusals_total{reason="unauthorized"} 4',
        );
        expect(metrics.text).toContain(
          'heartbeat_auth_refusals_total{reason="forbidden"} 4',
        );
        expect(metrics.text).toContain(
          'heartbeat_auth_refusals_total{reason="quota"} 1',
        );
        expect(metrics.text).toContain('heartbeat_apps{state="OK"} 2');
      } finally {
        await server.stop();
      }
      for (const token of TOKENS) expect(server.output()).not.toContain(token);
      expect(server.output()).not.toContain('open access');
    },
    PROCESS_TEST_MS,
  );

  it(
    'says once that access is open when it listens beyond loopback',
    async () => {
      const server = await start({
        HB_HOST: '0.0.0.0',
        HB_PORT: String(await freePort()),
      });
      try {
        await request(server.url).get('/hb_ping?0&appid=a').expect(200);
        await request(server.url).get('/status').expect(200);
      } finally {
        await server.stop();
      }
      const warnings = server
        .output()
        .split('\n')
        .filter((line) => line.includes('with open access'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(
        'listening on 0.0.0.0 with open access: anyone who can reach it may register, ping and deregister applications, read the registry, administer the registry; set HB_PING_TOKENS, HB_READ_TOKENS and HB_ADMIN_TOKENS',
      );
    },
    PROCESS_TEST_MS,
  );

  it(
    'posts signed webhooks from HB_WEBHOOK_*, retrying a receiver that failed',
    async () => {
      const receiver = await WebhookReceiver.start('webhook-secret', [500]);
      const server = await start({
        HB_PORT: String(await freePort()),
        HB_ADMIN_TOKENS: ADMIN,
        HB_WEBHOOK_URLS: `${receiver.url}/hooks/heartbeat`,
        HB_WEBHOOK_SECRET: 'webhook-secret',
        HB_WEBHOOK_EVENTS: 'registered,deregistered',
        // Real time in a process: a short first retry keeps the test quick.
        HB_WEBHOOK_RETRY_DELAY_MS: '20',
      });
      try {
        const http = request(server.url);
        await http.get(`/${ADMIN}/hb_init?0&appid=billing`).expect(200);
        await receiver.until(2);
        await http.get(`/${ADMIN}/hb_done?0&appid=billing`).expect(200);
        await receiver.until(3);
        expect(
          receiver.received.map((r) => [r.status, r.payload.event, r.signed]),
        ).toEqual([
          [500, 'heartbeat.registered', true],
          [200, 'heartbeat.registered', true],
          [200, 'heartbeat.deregistered', true],
        ]);
        const [first, retry] = receiver.received;
        expect(retry!.headers['x-heartbeat-delivery']).toBe(
          first!.headers['x-heartbeat-delivery'],
        );
        expect(first!.path).toBe('/hooks/heartbeat');
        const deliveries = await http
          .get('/webhooks/deliveries')
          .set('Authorization', `Bearer ${ADMIN}`)
          .expect(200);
        expect(deliveries.body.deliveries).toEqual([
          expect.objectContaining({
            event: 'heartbeat.deregistered',
            status: 'delivered',
            attempts: 1,
          }),
          expect.objectContaining({
            event: 'heartbeat.registered',
            appId: 'billing',
            url: `${receiver.url}/…`,
            status: 'delivered',
            attempts: 2,
            responseStatus: 200,
          }),
        ]);
        const metrics = await http
          .get('/metrics')
          .set('Authorization', `Bearer ${ADMIN}`);
        expect(metrics.text).toContain(
          'heartbeat_webhook_deliveries_total{outcome="delivered"} 2',
        );
        expect(metrics.text).toContain('heartbeat_webhook_attempts_total 3');
      } finally {
        await server.stop();
        await receiver.close();
      }
      expect(server.output()).not.toContain('webhook-secret');
    },
    PROCESS_TEST_MS,
  );
  it.each(['express', 'fastify'])(
    'HB_ADAPTER=%s: an admin pauses with a JSON until and resumes; /status says paused meanwhile',
    async (adapter) => {
      const server = await start({
        HB_ADAPTER: adapter,
        HB_PORT: String(await freePort()),
        HB_ADMIN_TOKENS: ADMIN,
      });
      try {
        const http = request(server.url);
        await http.get(`/${ADMIN}/hb_init?5000&appid=batch`).expect(200);
        const until = new Date(Date.now() + 3_600_000).toISOString();
        await http.post('/apps/batch/pause').send({ until }).expect(401);
        const paused = await http
          .post('/apps/batch/pause')
          .set('Authorization', `Bearer ${ADMIN}`)
          .send({ until })
          .expect(200);
        expect(paused.body).toMatchObject({ paused: true, pausedUntil: until });
        expectPlainText(
          await http.get(`/${ADMIN}/status?appid=batch`),
          200,
          'OK - paused application [batch]| od=0.00;3;5;0;6 delay=6000ms;;;',
        );
        await http
          .post('/apps/batch/pause')
          .set('Authorization', `Bearer ${ADMIN}`)
          .send({ until: 'soon' })
          .expect(400);
        await http
          .post('/apps/batch/resume')
          .set('Authorization', `Bearer ${ADMIN}`)
          .expect(200);
        expect((await http.get(`/${ADMIN}/status?appid=batch`)).text).toMatch(
          /^OK - fine application \[batch\]/,
        );
      } finally {
        await server.stop();
      }
    },
    PROCESS_TEST_MS,
  );
});
