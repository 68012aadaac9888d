import { Injectable, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { systemClock } from '../engine/heartbeat.clock.js';
import {
  HEARTBEAT_CLOCK,
  HEARTBEAT_OPTIONS,
  HEARTBEAT_STORE,
} from './heartbeat.constants.js';
import {
  HEARTBEAT_MODULE_OPTIONS,
  type HeartbeatOptionsFactory,
} from './heartbeat.module-definition.js';
import { HeartbeatModule } from './heartbeat.module.js';
import {
  HeartbeatMonitorController,
  HeartbeatProtocolController,
} from './controllers/heartbeat-routes.controllers.js';
import type { HeartbeatModuleOptions } from '../interfaces/heartbeat-module-options.interface.js';
import { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import { InMemoryHeartbeatStore } from '../stores/in-memory-heartbeat.store.js';
import { FakeHeartbeatClock } from '../testing/fake-heartbeat.clock.js';

async function resolve(imports: unknown[]) {
  const moduleRef = await Test.createTestingModule({
    imports: [ScheduleModule.forRoot(), ...(imports as never[])],
  }).compile();
  return {
    raw: moduleRef.get<HeartbeatModuleOptions>(HEARTBEAT_MODULE_OPTIONS),
    options: moduleRef.get(HEARTBEAT_OPTIONS),
    store: moduleRef.get(HEARTBEAT_STORE),
    clock: moduleRef.get(HEARTBEAT_CLOCK),
    registry: moduleRef.get(HeartbeatRegistry),
    close: () => moduleRef.close(),
  };
}

@Injectable()
class OptionsFromClass implements HeartbeatOptionsFactory {
  createHeartbeatOptions(): HeartbeatModuleOptions {
    return { toleranceMs: 300 };
  }
}

@Module({ providers: [OptionsFromClass], exports: [OptionsFromClass] })
class OptionsModule {}

describe('HeartbeatModule', () => {
  it('forRoot: defaults, an in-memory store and the system clock', async () => {
    const r = await resolve([HeartbeatModule.forRoot({})]);
    expect(r.options.toleranceMs).toBe(1000);
    expect(r.store).toBeInstanceOf(InMemoryHeartbeatStore);
    expect(r.clock).toBe(systemClock);
    expect(r.registry.options).toBe(r.options);
    await r.close();
  });

  it('forRoot: extras shape the module but never reach the options', async () => {
    const dynamic = HeartbeatModule.forRoot({
      toleranceMs: 10,
      isGlobal: true,
      protocol: false,
      monitoring: true,
    });
    expect(dynamic.global).toBe(true);
    expect(dynamic.controllers).toEqual([HeartbeatMonitorController]);
    const r = await resolve([dynamic]);
    expect(r.raw).toEqual({ toleranceMs: 10 });
    expect(r.options).not.toHaveProperty('isGlobal');
    expect(r.options).not.toHaveProperty('protocol');
    await r.close();
  });

  it('mounts both controllers by default and is not global', () => {
    const dynamic = HeartbeatModule.forRoot({});
    expect(dynamic.controllers).toEqual([
      HeartbeatProtocolController,
      HeartbeatMonitorController,
    ]);
    expect(dynamic.global).toBe(false);
  });

  it('forRoot: uses the given store and clock', async () => {
    const store = new InMemoryHeartbeatStore();
    const clock = new FakeHeartbeatClock();
    const r = await resolve([HeartbeatModule.forRoot({ store, clock })]);
    expect(r.store).toBe(store);
    expect(r.clock).toBe(clock);
    await r.close();
  });

  it('uses the clock of a store that has one', async () => {
    const clock = new FakeHeartbeatClock();
    const store = Object.assign(new InMemoryHeartbeatStore(), { clock });
    const r = await resolve([HeartbeatModule.forRoot({ store })]);
    expect(r.clock).toBe(clock);
    await r.close();
  });

  it('forRootAsync with useFactory and inject', async () => {
    const r = await resolve([
      HeartbeatModule.forRootAsync({
        imports: [OptionsModule],
        inject: [OptionsFromClass],
        useFactory: (source: OptionsFromClass) => ({
          ...source.createHeartbeatOptions(),
          maxApps: 5,
        }),
        monitoring: false,
      }),
    ]);
    expect(r.options).toMatchObject({ toleranceMs: 300, maxApps: 5 });
    expect(r.raw).toEqual({ toleranceMs: 300, maxApps: 5 });
    await r.close();
  });

  it('forRootAsync with useClass', async () => {
    const r = await resolve([
      HeartbeatModule.forRootAsync({ useClass: OptionsFromClass }),
    ]);
    expect(r.options.toleranceMs).toBe(300);
    await r.close();
  });

  it('forRootAsync with useExisting', async () => {
    const r = await resolve([
      HeartbeatModule.forRootAsync({
        imports: [OptionsModule],
        useExisting: OptionsFromClass,
      }),
    ]);
    expect(r.options.toleranceMs).toBe(300);
    await r.close();
  });

  it('refuses invalid options with a message naming them', async () => {
    await expect(
      resolve([HeartbeatModule.forRoot({ maxAppIdLength: 0 })]),
    ).rejects.toThrow('invalid heartbeat option maxAppIdLength=0');
  });

  it('shares one registry with feature modules through a module that exports it, without isGlobal', async () => {
    @Module({
      imports: [HeartbeatModule.forRoot({ toleranceMs: 250 })],
      exports: [HeartbeatModule],
    })
    class MonitoringModule {}

    @Injectable()
    class Reporter {
      constructor(readonly registry: HeartbeatRegistry) {}
    }

    @Module({ imports: [MonitoringModule], providers: [Reporter] })
    class FeatureModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [ScheduleModule.forRoot(), MonitoringModule, FeatureModule],
    }).compile();
    await moduleRef.init();
    const reporter = moduleRef.get(Reporter);
    expect(reporter.registry).toBe(moduleRef.get(HeartbeatRegistry));
    expect(reporter.registry.options.toleranceMs).toBe(250);
    await moduleRef.close();
  });

  it('closes a store given in the options that an override left unused', async () => {
    const configured = new InMemoryHeartbeatStore();
    const close = vi.spyOn(configured, 'close');
    const used = new InMemoryHeartbeatStore();
    const moduleRef = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        HeartbeatModule.forRoot({ store: configured }),
      ],
    })
      .overrideProvider(HEARTBEAT_STORE)
      .useValue(used)
      .compile();
    await moduleRef.init();
    await moduleRef.close();
    expect(close).toHaveBeenCalledTimes(1);
  });
});
