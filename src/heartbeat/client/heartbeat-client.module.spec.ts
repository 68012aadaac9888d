import { Inject, Injectable, Logger, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ManualScheduler } from '../../../test/support/manual-scheduler.js';
import {
  startReferenceServerDouble,
  type ReferenceServerDouble,
} from '../../../test/support/reference-server-double.js';
import { spyLogger, type SpyLogger } from '../../../test/support/spy-logger.js';
import { getBoundHeartbeatClient } from './heartbeat-client.binding.js';
import { HEARTBEAT_CLIENT_MODULE_OPTIONS } from './heartbeat-client.constants.js';
import type { HeartbeatClientModuleOptions } from './heartbeat-client-options.interface.js';
import {
  HeartbeatClientModule,
  getHeartbeatClientToken,
} from './heartbeat-client.module.js';
import { HeartbeatClient } from './heartbeat.client.js';
import { HeartbeatKeeper } from './heartbeat.keeper.js';

@Injectable()
class ReportService {
  constructor(readonly heartbeat: HeartbeatClient) {}
}

@Injectable()
class HeartbeatSettings {
  url = '';
}

@Module({ providers: [HeartbeatSettings], exports: [HeartbeatSettings] })
class SettingsModule {}

describe('HeartbeatClientModule', () => {
  let server: ReferenceServerDouble;
  let scheduler: ManualScheduler;
  let logger: SpyLogger;

  beforeEach(async () => {
    server = await startReferenceServerDouble();
    scheduler = new ManualScheduler();
    logger = spyLogger();
  });
  afterEach(async () => {
    await server.close();
    vi.restoreAllMocks();
  });

  const targets = () => server.requests.map((r) => r.target);

  function options(
    extra: Partial<HeartbeatClientModuleOptions> = {},
  ): HeartbeatClientModuleOptions {
    return {
      url: server.url,
      appId: 'host-app',
      timeoutMs: 60_000,
      scheduler,
      logger,
      random: () => 0.5,
      ...extra,
    };
  }

  it('forRoot: injects the client by its class; registers once started, pings, says goodbye on close', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [HeartbeatClientModule.forRoot(options())],
      providers: [ReportService],
    }).compile();
    const client = moduleRef.get(HeartbeatClient);
    const keeper = moduleRef.get(HeartbeatKeeper);

    expect(moduleRef.get(ReportService).heartbeat).toBe(client);
    expect(client.appId).toBe('host-app');
    expect(keeper.state).toBe('idle');

    await moduleRef.init();
    await keeper.idle();
    expect(getBoundHeartbeatClient()).toBe(client);
    scheduler.runNext();
    await keeper.idle();
    await moduleRef.close();

    expect(targets()).toEqual([
      '/hb_init?60000&appid=host-app',
      '/hb_ping?60000&appid=host-app',
      '/hb_done?0&appid=host-app',
    ]);
    expect(getBoundHeartbeatClient()).toBeUndefined();
    expect(logger.log).toHaveBeenCalledTimes(1);
  });

  it('start-up never waits for the heartbeat server', async () => {
    server.answerWith((request) =>
      request.target.startsWith('/hb_init') ? 'hang' : { body: 'bye' },
    );
    const moduleRef = await Test.createTestingModule({
      imports: [HeartbeatClientModule.forRoot(options())],
    }).compile();

    await moduleRef.init(); // resolves while hb_init is unanswered
    await server.received(1);
    expect(moduleRef.get(HeartbeatKeeper).state).toBe('registering');
    await moduleRef.close();

    expect(targets()).toEqual([
      '/hb_init?60000&appid=host-app',
      '/hb_done?0&appid=host-app',
    ]);
  });

  it("logs through Nest's Logger when no logger is given", async () => {
    const log = vi
      .spyOn(Logger.prototype, 'log')
      .mockImplementation(() => undefined);
    const moduleRef = await Test.createTestingModule({
      imports: [
        HeartbeatClientModule.forRoot({ ...options(), logger: undefined }),
      ],
    }).compile();

    await moduleRef.init();
    await moduleRef.get(HeartbeatKeeper).idle();
    await moduleRef.close();

    expect(log).toHaveBeenCalledWith(
      `registered [host-app] with ${server.url} (server delay 61000 ms)`,
    );
  });

  it('forRoot: extras shape the module and never reach the options', () => {
    const raw = options();
    const dynamic = HeartbeatClientModule.forRoot({
      ...raw,
      isGlobal: true,
      name: 'billing',
    });

    expect(dynamic.global).toBe(true);
    expect(dynamic.module).toBe(HeartbeatClientModule);
    expect(dynamic.exports).toEqual([
      HeartbeatClient,
      HeartbeatKeeper,
      'nestjs-heartbeat:client:billing',
    ]);
    const optionsProvider = dynamic.providers.find(
      (p) => p.provide === HEARTBEAT_CLIENT_MODULE_OPTIONS,
    );
    expect(optionsProvider).toEqual({
      provide: HEARTBEAT_CLIENT_MODULE_OPTIONS,
      useValue: raw,
    });
  });

  it('forRootAsync: options from a factory with inject and imports; a named module binds its name', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        HeartbeatClientModule.forRootAsync({
          imports: [SettingsModule],
          inject: [HeartbeatSettings],
          useFactory: (settings: HeartbeatSettings) =>
            Promise.resolve(options({ url: `${settings.url}/prefix` })),
          name: 'billing',
        }),
      ],
    })
      .overrideProvider(HeartbeatSettings)
      .useValue({ url: server.url })
      .compile();

    const client = moduleRef.get(HeartbeatClient);
    expect(moduleRef.get(getHeartbeatClientToken('billing'))).toBe(client);
    expect(getHeartbeatClientToken()).toBe(HeartbeatClient);

    await moduleRef.init();
    await moduleRef.get(HeartbeatKeeper).idle();
    expect(getBoundHeartbeatClient('billing')).toBe(client);
    expect(getBoundHeartbeatClient()).toBeUndefined();
    await moduleRef.close();

    expect(targets()).toEqual([
      '/prefix/hb_init?60000&appid=host-app',
      '/prefix/hb_done?0&appid=host-app',
    ]);
  });

  it('two modules in one application: each keeps its own ID; the named one is injected by its token', async () => {
    @Injectable()
    class Side {
      constructor(
        @Inject(getHeartbeatClientToken('side'))
        readonly client: HeartbeatClient,
      ) {}
    }

    const moduleRef = await Test.createTestingModule({
      imports: [
        HeartbeatClientModule.forRoot(options()),
        HeartbeatClientModule.forRoot({
          ...options(),
          appId: 'side',
          name: 'side',
        }),
      ],
      providers: [Side],
    }).compile();
    await moduleRef.init();
    await server.received(2);
    expect(getBoundHeartbeatClient('side')).toBe(moduleRef.get(Side).client);
    await moduleRef.close();

    expect(moduleRef.get(Side).client.appId).toBe('side');
    expect(
      targets()
        .filter((t) => t.startsWith('/hb_init'))
        .sort(),
    ).toEqual(['/hb_init?60000&appid=host-app', '/hb_init?60000&appid=side']);
  });

  it('a bad option stops the application from starting, naming it', async () => {
    await expect(
      Test.createTestingModule({
        imports: [HeartbeatClientModule.forRoot(options({ timeoutMs: 10 }))],
      }).compile(),
    ).rejects.toThrow(
      'invalid timeoutMs 10: expected an integer from 100 to 2147483647 milliseconds',
    );
    await expect(
      Test.createTestingModule({
        imports: [HeartbeatClientModule.forRoot(options({ url: 'nowhere' }))],
      }).compile(),
    ).rejects.toThrow('invalid heartbeat server URL "nowhere"');
  });
});
