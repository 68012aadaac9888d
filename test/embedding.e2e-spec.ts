import { ConfigModule, ConfigService } from '@nestjs/config';
import request from 'supertest';
import { HeartbeatModule, HeartbeatRegistry } from '../src/heartbeat/index.js';
import {
  createHostAppModule,
  WorkerSupervisor,
  type HostAppOptions,
} from './fixtures/host-app.module.js';
import {
  createHeartbeatApp,
  type HeartbeatTestApp,
} from './support/create-heartbeat-app.js';
import { expectPlainText } from './support/expect-plain-text.js';
import { PLATFORMS, type Platform } from './support/platforms.js';

const TOKEN = { 'x-monitor-token': 'secret' };

function hostApp(
  platform: Platform,
  host: HostAppOptions,
  globalPrefix?: string,
) {
  return createHeartbeatApp(platform, {
    imports: [createHostAppModule(host)],
    globalPrefix,
    // The platform's default route resolution: the module answers at its mount path only, so
    // it never shadows a host route whatever the order.
  });
}

describe.each(PLATFORMS)('embedded in a host app on $name', (platform) => {
  let t: HeartbeatTestApp;
  afterEach(() => t?.app.close());

  describe('under a global prefix, with the host interceptor, filter and guard', () => {
    beforeEach(async () => {
      t = await hostApp(
        platform,
        { heartbeat: HeartbeatModule.forRoot({}) },
        'api',
      );
    });

    it('protocol answers are byte for byte the protocol, not wrapped', async () => {
      expectPlainText(
        await request(t.server).get('/api/hb_init?1000&appid=Tetris'),
        200,
        '2000',
      );
      expectPlainText(
        await request(t.server)
          .post('/api/hb_ping?500')
          .type('form')
          .send('appid=Tetris'),
        200,
        '1500',
      );
      expectPlainText(
        await request(t.server).get('/api/hb_done?0&appid=Tetris'),
        200,
        'So Long, and Thanks for All the Fish!',
      );
    });

    it('protocol errors keep their wire format despite the host exception filter', async () => {
      expectPlainText(
        await request(t.server).get('/api/hb_ping?soon&appid=x'),
        400,
        'ERROR: TIMEOUT must be a non-negative integer number of milliseconds, got [soon]',
      );
      expectPlainText(
        await request(t.server).put('/api/hb_ping?1&appid=x'),
        405,
        'ERROR: method PUT not allowed, use GET or POST',
      );
    });

    it('the host guard protects the monitoring routes, and only those', async () => {
      await request(t.server).get('/api/hb_init?1000&appid=Tetris').expect(200);
      expectPlainText(
        await request(t.server).get('/api/status'),
        401,
        'ERROR: Unauthorized',
      );
      expectPlainText(
        await request(t.server).get('/api/list'),
        401,
        'ERROR: Unauthorized',
      );
      expectPlainText(
        await request(t.server).get('/api/status?appid=Tetris').set(TOKEN),
        200,
        'OK - fine application [Tetris]| od=0.00;3;5;0;6 delay=2000ms;;;',
      );
      expectPlainText(
        await request(t.server).get('/api/list').set(TOKEN),
        200,
        'Tetris\n',
      );
    });

    it("the host's own routes, interceptor and filter keep working", async () => {
      const users = await request(t.server).get('/api/users').expect(200);
      expect(users.body).toEqual({ data: [{ id: 1, name: 'Ada' }] });
      const broken = await request(t.server)
        .get('/api/reports/broken')
        .expect(400);
      expect(broken.body).toEqual({
        error: true,
        statusCode: 400,
        message: 'nope',
      });
    });

    it('host routes that end like a heartbeat route are the host’s', async () => {
      const report = await request(t.server)
        .get('/api/reports/status')
        .expect(200);
      expect(report.body).toEqual({ data: { healthy: true } });
      const names = await request(t.server).get('/api/users/list').expect(200);
      expect(names.body).toEqual({ data: ['Ada'] });
    });
  });

  it('mounts under a RouterModule path', async () => {
    t = await hostApp(platform, {
      heartbeat: HeartbeatModule.forRoot({}),
      routerPath: 'heartbeat',
    });
    expectPlainText(
      await request(t.server).get('/heartbeat/hb_init?0&appid=a'),
      200,
      '1000',
    );
    const status = await request(t.server).get('/heartbeat/status').set(TOKEN);
    expect(status.text).toMatch(/^OK - fine application \[a\]\| /);
    expect((await request(t.server).get('/hb_init?0&appid=a')).status).toBe(
      404,
    );
  });

  it.each([
    ['protocol only', { monitoring: false }, 200, 404],
    ['monitoring only', { protocol: false }, 404, 200],
  ])('%s', async (_name, extras, protocolStatus, monitoringStatus) => {
    t = await hostApp(
      platform,
      { heartbeat: HeartbeatModule.forRoot({ ...extras }) },
      'api',
    );
    expect((await request(t.server).get('/api/hb_ping?0&appid=a')).status).toBe(
      protocolStatus,
    );
    expect((await request(t.server).get('/api/status').set(TOKEN)).status).toBe(
      monitoringStatus,
    );
  });

  it('isGlobal makes the registry injectable in modules that do not import it', async () => {
    t = await hostApp(platform, {
      heartbeat: HeartbeatModule.forRoot({ isGlobal: true }),
      withWorkers: true,
    });
    await request(t.server).get('/hb_init?0&appid=worker-1').expect(200);
    const supervisor = t.app.get(WorkerSupervisor);
    expect(await supervisor.isHealthy('worker-1')).toBe(true);
    t.clock.advance(3000); // od = 3: WARNING
    expect(await supervisor.isHealthy('worker-1')).toBe(false);
  });

  it('without isGlobal the registry stays inside the module', async () => {
    await expect(
      hostApp(platform, {
        heartbeat: HeartbeatModule.forRoot({}),
        withWorkers: true,
      }),
    ).rejects.toThrow(/HeartbeatRegistry/);
  });

  it('forRootAsync takes its options from ConfigService', async () => {
    t = await hostApp(
      platform,
      {
        heartbeat: HeartbeatModule.forRootAsync({
          imports: [
            ConfigModule.forRoot({
              ignoreEnvFile: true,
              load: [() => ({ HEARTBEAT_TOLERANCE_MS: 250 })],
            }),
          ],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            toleranceMs: config.getOrThrow<number>('HEARTBEAT_TOLERANCE_MS'),
          }),
        }),
      },
      'api',
    );
    expectPlainText(
      await request(t.server).get('/api/hb_init?1000&appid=a'),
      200,
      '1250',
    );
    expect(t.app.get(HeartbeatRegistry).options.toleranceMs).toBe(250);
  });
});
