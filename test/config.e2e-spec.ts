import { ConfigModule, ConfigService } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import request from 'supertest';
import {
  getHeartbeatOptionsToken,
  HeartbeatModule,
  type ResolvedHeartbeatOptions,
} from '../src/heartbeat/index.js';
import {
  createHeartbeatApp,
  type HeartbeatTestApp,
} from './support/create-heartbeat-app.js';
import { expectPlainText } from './support/expect-plain-text.js';
import { PLATFORMS } from './support/platforms.js';

/**
 * The README's `forRootAsync` example, as written there: `ConfigService.get<number>()` returns the
 * text of the environment or of a `load` factory, typed as a number but a string at run time.
 */
function readmeHeartbeatModule() {
  return HeartbeatModule.forRootAsync({
    imports: [ConfigModule],
    inject: [ConfigService],
    useFactory: (config: ConfigService) => ({
      toleranceMs: config.get<number>('HEARTBEAT_TOLERANCE_MS'),
    }),
    // extras, known synchronously:
    isGlobal: true,
    protocol: true,
    monitoring: true,
    api: false,
  });
}

describe.each(PLATFORMS)(
  'configuration through ConfigService ($name)',
  (platform) => {
    let t: HeartbeatTestApp | undefined;

    afterEach(async () => {
      await t?.app.close();
      t = undefined;
      vi.unstubAllEnvs();
    });

    const start = (config: Parameters<typeof ConfigModule.forRoot>[0]) =>
      createHeartbeatApp(platform, {
        imports: [
          ConfigModule.forRoot(config),
          ScheduleModule.forRoot(),
          readmeHeartbeatModule(),
        ],
      });

    const toleranceOf = (app: HeartbeatTestApp) =>
      app.app.get<ResolvedHeartbeatOptions>(getHeartbeatOptionsToken())
        .toleranceMs;

    it('HEARTBEAT_TOLERANCE_MS=1500 from a load factory: T = TIMEOUT + 1500', async () => {
      t = await start({
        ignoreEnvFile: true,
        load: [() => ({ HEARTBEAT_TOLERANCE_MS: '1500' })],
      });
      expect(toleranceOf(t)).toBe(1500);
      expectPlainText(
        await request(t.server).get('/hb_init?1000&appid=worker'),
        200,
        '2500',
      );
    });

    it('HEARTBEAT_TOLERANCE_MS=250 from the environment', async () => {
      vi.stubEnv('HEARTBEAT_TOLERANCE_MS', '250');
      t = await start({ ignoreEnvFile: true });
      expect(toleranceOf(t)).toBe(250);
      expectPlainText(
        await request(t.server).get('/hb_ping?0&appid=worker'),
        200,
        '250',
      );
    });

    it('unset: the default tolerance', async () => {
      vi.stubEnv('HEARTBEAT_TOLERANCE_MS', undefined);
      t = await start({ ignoreEnvFile: true });
      expect(toleranceOf(t)).toBe(1000);
    });

    it('a value that is not a decimal number stops the start-up, naming the option', async () => {
      await expect(
        start({
          ignoreEnvFile: true,
          load: [() => ({ HEARTBEAT_TOLERANCE_MS: '15s' })],
        }),
      ).rejects.toThrow(
        'invalid heartbeat option toleranceMs="15s": expected an integer >= 0',
      );
    });
  },
);
