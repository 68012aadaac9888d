// No decorator and no top-level `@nestjs/*` import here: this subpath must load where Nest is not
// installed. A dynamic module is a plain object, its providers are factories with `inject`, and
// Nest calls lifecycle hooks on any provider instance that has them.
import { bindHeartbeatClient } from './heartbeat-client.binding.js';
import {
  HEARTBEAT_CLIENT_DEFAULTS,
  HEARTBEAT_CLIENT_MODULE_OPTIONS,
} from './heartbeat-client.constants.js';
import type {
  HeartbeatClientLogger,
  HeartbeatClientModuleAsyncOptions,
  HeartbeatClientModuleExtras,
  HeartbeatClientModuleOptions,
} from './heartbeat-client-options.interface.js';
import { HeartbeatClient } from './heartbeat.client.js';
import { HeartbeatKeeper } from './heartbeat.keeper.js';

/** The module's logger, resolved once. */
const HEARTBEAT_CLIENT_LOGGER = Symbol('HeartbeatClientLogger');

/**
 * A provider token: what Nest's `InjectionToken` is, spelled out.
 *
 * @publicApi
 */
export type HeartbeatClientToken =
  string | symbol | (abstract new (...args: any[]) => unknown);

/**
 * A provider of `HeartbeatClientModule`, in the shapes Nest's `Provider` accepts.
 *
 * @publicApi
 */
export type HeartbeatClientProvider =
  | { provide: HeartbeatClientToken; useValue: unknown }
  | {
      provide: HeartbeatClientToken;
      useFactory: (...args: any[]) => unknown;
      inject: HeartbeatClientToken[];
    }
  | { provide: HeartbeatClientToken; useExisting: HeartbeatClientToken };

/**
 * The dynamic module `forRoot`/`forRootAsync` return: Nest's `DynamicModule`, spelled out so that
 * this subpath's typings need no `@nestjs/*` package either.
 *
 * @publicApi
 */
export interface HeartbeatClientDynamicModule {
  module: typeof HeartbeatClientModule;
  global: boolean;
  imports: any[];
  providers: HeartbeatClientProvider[];
  exports: HeartbeatClientToken[];
}

/**
 * The token a module registered with `name` provides its client under, besides the
 * `HeartbeatClient` class: `@Inject(getHeartbeatClientToken('billing'))`. For the default name
 * it is the class itself.
 *
 * @publicApi
 */
export function getHeartbeatClientToken(
  name: string = HEARTBEAT_CLIENT_DEFAULTS.clientName,
): HeartbeatClientToken {
  return name === HEARTBEAT_CLIENT_DEFAULTS.clientName
    ? HeartbeatClient
    : `nestjs-heartbeat:client:${name}`;
}

/**
 * Bridges the keeper and the decorator binding to Nest's lifecycle. Nest finds the hooks by name
 * on this provider's instance.
 *
 * @internal
 */
export class HeartbeatClientLifecycle {
  #unbind: (() => void) | undefined;

  constructor(
    readonly client: HeartbeatClient,
    readonly keeper: HeartbeatKeeper,
    readonly logger: HeartbeatClientLogger,
    readonly name: string,
  ) {}

  /** Once the application has started: registration runs in the background, never awaited. */
  onApplicationBootstrap(): void {
    this.#unbind = bindHeartbeatClient(this.client, {
      name: this.name,
      logger: this.logger,
    });
    this.keeper.start();
  }

  /** Before the application shuts down: goodbye, bounded by the request timeout. */
  async beforeApplicationShutdown(): Promise<void> {
    this.#unbind?.();
    this.#unbind = undefined;
    await this.keeper.stop();
  }
}

/**
 * Sends an application's heartbeats to a heartbeat server: `hb_init` once the application has
 * started (start-up never waits for it), `hb_ping` every `timeoutMs / 2` (±10 %), `hb_done` on
 * shutdown. An unreachable server never breaks the application: the first failure is logged,
 * retries back off, and the recovery is logged. The client is injectable as `HeartbeatClient`,
 * and `@Heartbeat()` methods ping through it.
 *
 * Needs no `@nestjs/*` import of its own: the subpath `nestjs-heartbeat/client` loads (and
 * `HeartbeatClient` works) where Nest is not installed.
 *
 * @example
 * @Module({
 *   imports: [
 *     HeartbeatClientModule.forRoot({
 *       url: 'http://monitor:8888',
 *       appId: 'billing-worker',
 *       timeoutMs: 60_000,
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * @publicApi
 */
export class HeartbeatClientModule {
  /** Configures the module with options known now. */
  static forRoot(
    options: HeartbeatClientModuleOptions & HeartbeatClientModuleExtras,
  ): HeartbeatClientDynamicModule {
    const { isGlobal, name, ...rest } = options;
    return build(
      [{ provide: HEARTBEAT_CLIENT_MODULE_OPTIONS, useValue: rest }],
      [],
      { isGlobal, name },
    );
  }

  /**
   * Configures the module with options from a factory, e.g. from `ConfigService`. The extras
   * (`isGlobal`, `name`) are given directly.
   *
   * @example
   * HeartbeatClientModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({
   *     url: config.getOrThrow('HB_URL'),
   *     appId: 'billing-worker',
   *     timeoutMs: 60_000,
   *   }),
   * });
   */
  static forRootAsync(
    options: HeartbeatClientModuleAsyncOptions,
  ): HeartbeatClientDynamicModule {
    return build(
      [
        {
          provide: HEARTBEAT_CLIENT_MODULE_OPTIONS,
          useFactory: options.useFactory,
          inject: [...(options.inject ?? [])],
        },
      ],
      options.imports ?? [],
      options,
    );
  }
}

function build(
  optionsProviders: HeartbeatClientProvider[],
  imports: any[],
  extras: HeartbeatClientModuleExtras,
): HeartbeatClientDynamicModule {
  const name = extras.name ?? HEARTBEAT_CLIENT_DEFAULTS.clientName;
  const providers: HeartbeatClientProvider[] = [
    ...optionsProviders,
    {
      provide: HeartbeatClient,
      useFactory: (options: HeartbeatClientModuleOptions) =>
        new HeartbeatClient(options),
      inject: [HEARTBEAT_CLIENT_MODULE_OPTIONS],
    },
    {
      provide: HEARTBEAT_CLIENT_LOGGER,
      useFactory: loggerFor,
      inject: [HEARTBEAT_CLIENT_MODULE_OPTIONS],
    },
    {
      provide: HeartbeatKeeper,
      useFactory: (
        options: HeartbeatClientModuleOptions,
        client: HeartbeatClient,
        logger: HeartbeatClientLogger,
      ) => new HeartbeatKeeper(client, { ...options, logger }),
      inject: [
        HEARTBEAT_CLIENT_MODULE_OPTIONS,
        HeartbeatClient,
        HEARTBEAT_CLIENT_LOGGER,
      ],
    },
    {
      provide: HeartbeatClientLifecycle,
      useFactory: (
        client: HeartbeatClient,
        keeper: HeartbeatKeeper,
        logger: HeartbeatClientLogger,
      ) => new HeartbeatClientLifecycle(client, keeper, logger, name),
      inject: [HeartbeatClient, HeartbeatKeeper, HEARTBEAT_CLIENT_LOGGER],
    },
  ];
  const exports: HeartbeatClientToken[] = [HeartbeatClient, HeartbeatKeeper];
  const named = getHeartbeatClientToken(name);
  if (named !== HeartbeatClient) {
    providers.push({ provide: named, useExisting: HeartbeatClient });
    exports.push(named);
  }
  return {
    module: HeartbeatClientModule,
    global: extras.isGlobal ?? false,
    imports,
    providers,
    exports,
  };
}

/**
 * The given logger, else Nest's `Logger`: loaded here, inside a provider factory, which only
 * ever runs under Nest.
 */
async function loggerFor(
  options: HeartbeatClientModuleOptions,
): Promise<HeartbeatClientLogger> {
  if (options.logger) return options.logger;
  const { Logger } = await import('@nestjs/common');
  return new Logger('HeartbeatClient');
}
