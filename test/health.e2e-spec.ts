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
      warning: [],
      critical: [],
    });
    t.clock.advance(5000);
    expect(
      (await request(t.server).get('/health').expect(503)).body.error.heartbeat,
    ).toEqual({
      status: 'down',
      apps: 2,
      warning: [],
      critical: ['late'],
    });
  });
});
