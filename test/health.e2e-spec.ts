import { Controller, Get, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import {
  HealthCheck,
  HealthCheckService,
  TerminusModule,
} from '@nestjs/terminus';
import request from 'supertest';
import { HeartbeatModule } from '../src/heartbeat/index.js';
import { HeartbeatHealthIndicator } from '../src/heartbeat/terminus/index.js';
import {
  createHeartbeatApp,
  type HeartbeatTestApp,
} from './support/create-heartbeat-app.js';
import { PLATFORMS } from './support/platforms.js';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly heartbeats: HeartbeatHealthIndicator,
  ) {}

  @Get('worker')
  @HealthCheck()
  worker() {
    return this.health.check([
      () => this.heartbeats.isNotCritical('worker', 'worker-1'),
    ]);
  }

  @Get('capped')
  @HealthCheck()
  capped() {
    return this.health.check([
      () => this.heartbeats.noneCritical('capped', { maxListed: 2 }),
    ]);
  }

  @Get()
  @HealthCheck()
  all() {
    return this.health.check([() => this.heartbeats.noneCritical('heartbeat')]);
  }
}

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [HeartbeatHealthIndicator],
})
class HealthModule {}

describe.each(PLATFORMS)('Terminus health indicator on $name', (platform) => {
  let t: HeartbeatTestApp;

  beforeEach(async () => {
    t = await createHeartbeatApp(platform, {
      imports: [
        ScheduleModule.forRoot(),
        HeartbeatModule.forRoot({ isGlobal: true }),
        HealthModule,
      ],
    });
  });
  afterEach(() => t.app.close());

  it('"app X is not CRITICAL": up, degraded, down', async () => {
    const down = await request(t.server).get('/health/worker').expect(503);
    expect(down.body.error.worker).toEqual({
      status: 'down',
      appId: 'worker-1',
      message: 'no application record',
    });

    await request(t.server).get('/hb_init?1000&appid=worker-1').expect(200); // T = 2000
    const up = await request(t.server).get('/health/worker').expect(200);
    expect(up.body.info.worker).toEqual({
      status: 'up',
      appId: 'worker-1',
      state: 'OK',
      od: 0,
    });

    t.clock.advance(6000);
    const degraded = await request(t.server).get('/health/worker').expect(200);
    expect(degraded.body.status).toBe('degraded');

    t.clock.advance(4000);
    const critical = await request(t.server).get('/health/worker').expect(503);
    expect(critical.body.error.worker).toMatchObject({
      status: 'down',
      state: 'CRITICAL',
      od: 5,
    });
  });

  it('"no app is CRITICAL"', async () => {
    await request(t.server).get('/hb_init?0&appid=late').expect(200);
    await request(t.server).get('/hb_init?60000&appid=fine').expect(200);
    expect(
      (await request(t.server).get('/health').expect(200)).body.info.heartbeat,
    ).toEqual({
      status: 'up',
      apps: 2,
      ok: 2,
      warning: 0,
      critical: 0,
      warningApps: [],
      criticalApps: [],
    });
    t.clock.advance(5000);
    expect(
      (await request(t.server).get('/health').expect(503)).body.error.heartbeat,
    ).toEqual({
      status: 'down',
      apps: 2,
      ok: 1,
      warning: 0,
      critical: 1,
      warningApps: [],
      criticalApps: ['late'],
    });
  });

  it('names at most maxListed apps per state, the most overdue first', async () => {
    for (const [id, timeout] of [
      ['dead-a', 900],
      ['dead-b', 700],
      ['dead-c', 1000],
      ['dead-d', 800],
    ] as const) {
      await request(t.server)
        .get(`/hb_init?${timeout}&appid=${id}`)
        .expect(200);
    }
    t.clock.advance(10_000); // od: 5.26, 5.88, 5, 5.56: all CRITICAL, none dropped yet
    const body = (await request(t.server).get('/health/capped').expect(503))
      .body;
    expect(body.error.capped).toMatchObject({
      apps: 4,
      critical: 4,
      criticalApps: ['dead-b', 'dead-d'],
    });
  });
});
