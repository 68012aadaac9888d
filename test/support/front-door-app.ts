import type { INestApplication } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { setupStandaloneApp } from '../../src/app.setup.js';
import {
  HEARTBEAT_CLOCK,
  HeartbeatModule,
  HeartbeatRegistry,
  type HeartbeatModuleOptions,
} from '../../src/heartbeat/index.js';
import { FakeHeartbeatClock } from '../../src/heartbeat/testing/index.js';

export interface FrontDoorApp {
  readonly app: INestApplication;
  readonly clock: FakeHeartbeatClock;
  readonly registry: HeartbeatRegistry;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
}

/**
 * The standalone server's shape in process: the module as `AppModule` configures it (the front
 * door answers protocol, monitoring and dashboard; Nest the JSON API), with explicit options
 * instead of the runner's environment and a `FakeHeartbeatClock`, listening on a free port.
 */
export async function startFrontDoorApp(
  options: HeartbeatModuleOptions = {},
  setup: { dashboard?: boolean } = {},
): Promise<FrontDoorApp> {
  const clock = new FakeHeartbeatClock();
  const moduleRef = await Test.createTestingModule({
    imports: [
      ScheduleModule.forRoot(),
      HeartbeatModule.forRoot({
        ...options,
        protocol: false,
        monitoring: false,
        api: true,
      }),
    ],
  })
    .overrideProvider(HEARTBEAT_CLOCK)
    .useValue(clock)
    .compile();
  const app = moduleRef.createNestApplication({
    logger: false,
    bodyParser: false,
    // A browser keeps sockets open (and may open one it has not used yet): close() ends them
    // rather than wait for the server's header timeout.
    forceCloseConnections: true,
  });
  setupStandaloneApp(app, setup);
  await app.listen(0, '127.0.0.1');
  return {
    app,
    clock,
    registry: app.get(HeartbeatRegistry),
    url: (await app.getUrl()).replace('[::1]', '127.0.0.1'),
  };
}
