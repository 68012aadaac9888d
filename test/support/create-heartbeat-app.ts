import type {
  INestApplication,
  ModuleMetadata,
  NestApplicationOptions,
} from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import {
  HEARTBEAT_CLOCK,
  HeartbeatModule,
  type HeartbeatModuleForRootOptions,
} from '../../src/heartbeat/index.js';
import { FakeHeartbeatClock } from '../../src/heartbeat/testing/index.js';
import type { Platform } from './platforms.js';

export interface HeartbeatTestApp {
  readonly app: INestApplication;
  readonly clock: FakeHeartbeatClock;
  /** The Node HTTP server, for supertest. */
  readonly server: ReturnType<INestApplication['getHttpServer']>;
}

export interface CreateHeartbeatAppOptions {
  /** Options for `HeartbeatModule.forRoot()`; ignored when `imports` is given. */
  readonly heartbeat?: HeartbeatModuleForRootOptions;
  /** Replaces the default imports (ScheduleModule + HeartbeatModule.forRoot). */
  readonly imports?: ModuleMetadata['imports'];
  readonly globalPrefix?: string;
  /** Options for `createNestApplication` (e.g. `routeResolutionStrategy`). */
  readonly appOptions?: NestApplicationOptions;
  /** The clock to install; a new `FakeHeartbeatClock` by default. Share one across replicas. */
  readonly clock?: FakeHeartbeatClock;
  /** Extra overrides applied to the testing module before compiling. */
  readonly override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

/**
 * Builds and initialises a Nest app on the given platform with the heartbeat clock replaced by a
 * `FakeHeartbeatClock`, so tests move time instead of sleeping.
 */
export async function createHeartbeatApp(
  platform: Platform,
  options: CreateHeartbeatAppOptions = {},
): Promise<HeartbeatTestApp> {
  const clock = options.clock ?? new FakeHeartbeatClock();
  let builder = Test.createTestingModule({
    imports: options.imports ?? [
      ScheduleModule.forRoot(),
      HeartbeatModule.forRoot(options.heartbeat ?? {}),
    ],
  })
    .overrideProvider(HEARTBEAT_CLOCK)
    .useValue(clock);
  if (options.override) builder = options.override(builder);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication(platform.createAdapter(), {
    logger: false,
    ...options.appOptions,
  });
  if (options.globalPrefix) app.setGlobalPrefix(options.globalPrefix);
  await app.init();
  if (platform.name === 'fastify') {
    await app.getHttpAdapter().getInstance().ready();
  }
  return { app, clock, server: app.getHttpServer() };
}
