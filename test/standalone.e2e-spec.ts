import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { buildStandalone, freePort } from './support/build-standalone.js';
import {
  BROWSER_TEST_MS,
  describeWithChromium,
  launchChromium,
  row,
  SHOWN,
} from './support/chromium.js';
import { childEnv } from './support/child-env.js';
import { expectPlainText } from './support/expect-plain-text.js';
import {
  describeWithRedisCluster,
  PrivateRedisCluster,
} from './support/redis-cluster.js';

const ROOT = join(import.meta.dirname, '..');

/**
 * The standalone server as users run it: `node dist/main.js` configured by HB_* variables. Each
 * test starts a process, which on a machine loaded by other builds can take more than the default
 * 5 s: the timeout bounds a hang, it is not a timing assertion.
 */
describe('standalone server (node dist/main.js)', { timeout: 30_000 }, () => {
  let build: ReturnType<typeof buildStandalone>;

  beforeAll(() => {
    build = buildStandalone();
  }, 120_000);
  afterAll(() => build?.cleanup());

  interface Running {
    child: ChildProcess;
    url: string;
    output: () => string;
  }

  /** Starts the server and resolves once it logs the address it serves. */
  async function start(env: Record<string, string>): Promise<Running> {
    const child = spawn(process.execPath, [build.main], {
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => (output += chunk.toString());
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const url = await new Promise<string>((resolve, reject) => {
      const onData = () => {
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) resolve(match[1]!);
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code) =>
        reject(new Error(`exited with ${code}: ${output}`)),
      );
    });
    return { child, url, output: () => output };
  }

  /** Resolves once the server's output matches. */
  async function waitFor(server: Running, pattern: RegExp): Promise<void> {
    while (!pattern.test(server.output())) {
      await once(server.child.stdout!, 'data');
    }
  }

  /** Runs the server expecting it to refuse to start. */
  async function failToStart(
    env: Record<string, string>,
  ): Promise<{ code: number | null; output: string }> {
    const child = spawn(process.execPath, [build.main], {
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, output };
  }

  it.each(['express', 'fastify'])(
    'HB_ADAPTER=%s: serves on HB_HOST:HB_PORT with HB_* options, bounds bodies, exits 0 on SIGTERM',
    async (adapter) => {
      const port = await freePort();
      const server = await start({
        HB_ADAPTER: adapter,
        HB_HOST: '127.0.0.1',
        HB_PORT: String(port),
        HB_TOLERANCE_MS: '500',
        HB_MAX_APPS: '2',
        HB_MAX_BODY_BYTES: '1024',
      });
      try {
        expect(server.url).toBe(`http://127.0.0.1:${port}`);
        const http = request(server.url);
        expectPlainText(await http.get('/hb_init?1000&appid=one'), 200, '1500');
        expectPlainText(
          await http.post('/hb_ping?0').type('form').send('appid=two'),
          200,
          '500',
        );
        expectPlainText(
          await http.get('/hb_init?0&appid=three'),
          503,
          'ERROR: registry is full (2 applications), new registrations are refused',
        );
        expectPlainText(await http.get('/hb_ping?0&appid=one'), 200, '500');
        expectPlainText(
          await http
            .post('/hb_ping?0')
            .set('Content-Type', 'application/json')
            .send(JSON.stringify({ appid: 'x'.repeat(2000) })),
          413,
          'ERROR: request body exceeds 1024 bytes',
        );
        expectPlainText(
          await http
            .post('/hb_ping?0')
            .set('Content-Type', 'application/json')
            .send('{"appid":'),
          400,
          'ERROR: malformed JSON body',
        );
        expectPlainText(await http.get('/list'), 200, 'one\ntwo\n');
        const metrics = await http.get('/metrics').expect(200);
        expect(metrics.headers['content-type']).toMatch(
          /^text\/plain; version=0\.0\.4/,
        );
        expect(metrics.text).toContain('heartbeat_apps{state="OK"} 2');
        expect(metrics.text).toContain('heartbeat_rejected_requests_total 3');
        expect(metrics.text).toContain('process_cpu_user_seconds_total');
        expect((await http.get('/apps/one').expect(200)).body).toMatchObject({
          id: 'one',
          state: 'OK',
          timeoutMs: 0, // its last ping said 0
        });
      } finally {
        server.child.kill('SIGTERM');
      }
      const [code, signal] = (await once(server.child, 'exit')) as [
        number | null,
        string | null,
      ];
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    },
  );

  it.each(['express', 'fastify'])(
    'HB_ADAPTER=%s: the front door answers the protocol under any prefix; the rest keeps its own errors',
    async (adapter) => {
      const server = await start({
        HB_ADAPTER: adapter,
        HB_PORT: String(await freePort()),
      });
      try {
        const http = request(server.url);
        expectPlainText(
          await http.get('/a/b/c/hb_init?0&appid=deep'),
          200,
          '1000',
        );
        expectPlainText(await http.get('//hb_ping?0&appid=deep'), 200, '1000');
        const status = await http.get('/x/y/status?appid=deep').expect(200);
        expect(status.text).toMatch(
          /^OK - fine application \[deep\]\| od=\d+\.\d\d;3;5;0;6 delay=1000ms;;;$/,
        );
        // The JSON API answers JSON, byte for byte as the README and docs/integrations.md show.
        const missing = await http.get('/apps/Zelda').expect(404);
        expect(missing.headers['content-type']).toMatch(/^application\/json/);
        expect(missing.body).toEqual({
          statusCode: 404,
          error: 'Not Found',
          message: 'CRITICAL - no application record for queried ID: [Zelda]',
        });
        for (const doc of ['README.md', join('docs', 'integrations.md')]) {
          const text = readFileSync(join(ROOT, doc), 'utf8');
          expect(/\/apps\/Zelda\n(\{.*\})\n/.exec(text)?.[1], doc).toBe(
            missing.text,
          );
        }
        // What scanners ask for is an unknown path: a one-line text 404, not a rejection.
        for (const path of ['/favicon.ico', '/wp-login.php', '/hb_ping/']) {
          const answer = await http.get(path);
          expect(answer.status).toBe(404);
          expect(answer.text).toMatch(/^ERROR: [^\n]*$/);
        }
        expectPlainText(
          await http.get('/hb_ping?oops&appid=deep'),
          400,
          'ERROR: TIMEOUT must be a non-negative integer number of milliseconds, got [oops]',
        );
        const metrics = await http.get('/metrics').expect(200);
        expect(metrics.text).toContain('heartbeat_rejected_requests_total 1');
        // Start-up is a handful of lines, not one per route.
        const startup = server.output().split('\n').filter(Boolean);
        expect(startup.length).toBeLessThanOrEqual(12);
        expect(server.output()).not.toMatch(/Mapped \{/);
      } finally {
        server.child.kill('SIGTERM');
        await once(server.child, 'exit');
      }
    },
  );

  it('on SIGTERM finishes a request in flight before it exits 0', async () => {
    const port = await freePort();
    const server = await start({ HB_PORT: String(port) });
    // A POST whose body is still arriving when the signal comes.
    let inFlight: http.ClientRequest | undefined;
    const answer = new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/hb_init?0',
            headers: {
              'Content-Type': 'application/x-www-form-urlencoded',
              'Content-Length': '12',
            },
          },
          (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.write('appid=');
        inFlight = req;
      },
    );
    // Once a later request on another connection is answered, the server has the first one.
    await request(server.url).get('/status').expect(200);
    server.child.kill('SIGTERM');
    await waitFor(server, /SIGTERM received, shutting down/);
    inFlight!.end('slowly');
    expect(await answer).toEqual({ status: 200, body: '1000' });
    const [code] = (await once(server.child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  it('listens on the address of HB_URL', async () => {
    const port = await freePort();
    const server = await start({ HB_URL: `http://127.0.0.1:${port}` });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${port}`);
      expectPlainText(
        await request(server.url).get('/status'),
        200,
        'UNKNOWN - no heartbeat clients at the moment...',
      );
    } finally {
      server.child.kill('SIGINT');
    }
    const [code] = (await once(server.child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  it('sees only the environment the test gives it, not the REDIS_URL or HB_* of the shell', async () => {
    vi.stubEnv('REDIS_URL', 'redis://127.0.0.1:1/9');
    vi.stubEnv('HB_TOLERANCE_MS', '7');
    try {
      const server = await start({ HB_PORT: String(await freePort()) });
      try {
        expect(server.output()).not.toContain('registry in Redis');
        expectPlainText(
          await request(server.url).get('/hb_init?0&appid=a'),
          200,
          '1000',
        );
      } finally {
        server.child.kill('SIGTERM');
      }
      const [code] = (await once(server.child, 'exit')) as [number | null];
      expect(code).toBe(0);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('refuses to start when HB_URL and HB_PORT disagree, naming both', async () => {
    const { code, output } = await failToStart({
      HB_URL: 'http://127.0.0.1:8888',
      HB_PORT: '9999',
    });
    expect(code).toBe(1);
    expect(output).toContain(
      'HB_PORT=9999 disagrees with HB_URL=http://127.0.0.1:8888',
    );
  });

  it('refuses to start on an invalid limit, naming it', async () => {
    const { code, output } = await failToStart({ HB_MAX_APPS: '-3' });
    expect(code).toBe(1);
    expect(output).toContain(
      'invalid heartbeat option HB_MAX_APPS=-3: expected an integer >= 1',
    );
  });

  describeWithRedisCluster('on a Redis Cluster (REDIS_CLUSTER_NODES)', () => {
    let cluster: PrivateRedisCluster;
    beforeAll(async () => {
      cluster = await PrivateRedisCluster.start();
    }, 60_000);
    afterAll(() => cluster?.stop());

    it('two replicas act as one server', async () => {
      const replicas = await Promise.all(
        [0, 1].map(async () =>
          start({
            HB_PORT: String(await freePort()),
            REDIS_CLUSTER_NODES: cluster.nodeList,
            HB_REDIS_PREFIX: 'hbtest:{standalone}:',
            HB_MAX_LISTED_IDS: '2',
          }),
        ),
      );
      const [a, b] = replicas as [Running, Running];
      try {
        expect(a.output()).toContain('registry in Redis Cluster at 127.0.0.1:');
        // Each replica answers 503 until its cluster client has the slots.
        for (const replica of replicas) {
          for (let i = 0; i < 100; i++) {
            if (
              (await request(replica.url).get('/hb_ping?60000&appid=probe'))
                .status === 200
            )
              break;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        await request(a.url).get('/hb_done?0&appid=probe').expect(200);
        for (const id of ['Tetris', 'Zelda', 'Sonic'])
          await request(id === 'Zelda' ? b.url : a.url)
            .get(`/hb_init?60000&appid=${id}`)
            .expect(200, '61000');
        for (const replica of replicas) {
          expectPlainText(
            await request(replica.url).get('/list'),
            200,
            'Tetris\nZelda\nSonic\n',
          );
          expectPlainText(
            await request(replica.url).get('/status'),
            200,
            'WARNING - multiple (3) applications: [Tetris,Zelda] and 1 more',
          );
          const metrics = await request(replica.url)
            .get('/metrics')
            .expect(200);
          expect(metrics.text).toContain('heartbeat_apps{state="OK"} 3');
        }
      } finally {
        for (const replica of replicas) replica.child.kill('SIGTERM');
        await Promise.all(replicas.map((r) => once(r.child, 'exit')));
      }
    });
  });

  // The page on the real server: it must ride out a restart on its own.
  describeWithChromium('its dashboard in Chromium', () => {
    let browser: Browser;
    let child: ChildProcess | undefined;

    beforeAll(async () => {
      browser = await launchChromium();
    }, BROWSER_TEST_MS);
    afterAll(() => browser?.close(), BROWSER_TEST_MS);
    afterEach(async () => {
      if (child && child.exitCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    }, BROWSER_TEST_MS);

    /** `node dist/main.js` on `port`, with only the environment it needs; resolves once it listens. */
    async function serve(port: number): Promise<ChildProcess> {
      const server = spawn(process.execPath, [build.main], {
        env: childEnv({ HB_HOST: '127.0.0.1', HB_PORT: String(port) }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      // Read everything it writes, to the end: a closed pipe would fail its last log lines.
      const collect = (chunk: Buffer) => (output += String(chunk));
      server.stdout!.on('data', collect);
      server.stderr!.on('data', collect);
      while (!output.includes('dashboard at')) {
        const [event] = await Promise.race([
          once(server.stdout!, 'data').then(() => ['data']),
          once(server, 'exit').then(() => ['exit']),
        ]);
        if (event === 'exit') {
          throw new Error(`the server did not start: ${output}`);
        }
      }
      return server;
    }

    it('reconnects by itself after the server restarts, and says so meanwhile', async () => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      child = await serve(port);
      await fetch(`${base}/hb_init?60000&appid=before-restart`);
      const page = await browser.newPage();
      try {
        await page.goto(`${base}/`);
        await row(page, 'before-restart').waitFor(SHOWN);
        await page.locator('#connection', { hasText: 'Live' }).waitFor(SHOWN);
        expect(await page.locator('#banner').isHidden()).toBe(true);

        child.kill('SIGTERM');
        const [code] = (await once(child, 'exit')) as [number | null];
        expect(code).toBe(0); // The open event stream did not hold the shutdown.
        await page.locator('#banner').waitFor({ ...SHOWN, state: 'visible' });
        expect(await page.locator('#banner').textContent()).toContain(
          'Disconnected from the server, reconnecting…',
        );

        child = await serve(port);
        // A fresh in-memory registry: what pings after the restart is what the page shows.
        await fetch(`${base}/hb_ping?60000&appid=after-restart`);
        await row(page, 'after-restart').waitFor(SHOWN);
        await page.locator('#banner').waitFor({ ...SHOWN, state: 'hidden' });
        expect(await row(page, 'before-restart').count()).toBe(0);
      } finally {
        await page.close();
      }
    });
  });
});
