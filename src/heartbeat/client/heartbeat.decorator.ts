import { sendDecoratorPing } from './heartbeat-client.binding.js';
import { HEARTBEAT_CLIENT_DEFAULTS } from './heartbeat-client.constants.js';
import { HeartbeatClientError } from './heartbeat-client.error.js';
import { HeartbeatClientMessages as Messages } from './heartbeat-client.messages.js';

/**
 * Options of `@Heartbeat()`.
 *
 * @publicApi
 */
export interface HeartbeatDecoratorOptions {
  /**
   * The promise sent with each ping: the next successful run comes within this many
   * milliseconds. For a nightly job, a day plus a margin.
   */
  readonly timeoutMs: number;
  /**
   * The name of the bound client to ping through (see `HeartbeatClientModule`'s `name`).
   * @default 'default'
   */
  readonly client?: string;
}

type AnyMethod = (this: unknown, ...args: any[]) => unknown;

/**
 * The decorator `@Heartbeat()` returns; it works as a legacy (`experimentalDecorators`, as in
 * Nest) and as a standard TypeScript 5 method decorator.
 *
 * @publicApi
 */
export interface HeartbeatMethodDecorator {
  <T>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): TypedPropertyDescriptor<T> | void;
  <This, Args extends any[], Return>(
    value: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<
      This,
      (this: This, ...args: Args) => Return
    >,
  ): (this: This, ...args: Args) => Return;
}

/**
 * Pings `appId` each time the decorated method succeeds: when it returns, or when the promise it
 * returns resolves. A run that throws or rejects sends nothing, so the server sees the job go
 * late. The method's value and exception pass through unchanged; the ping is fire-and-forget and
 * its failure is logged (once, until a ping succeeds again), never thrown. A ping registers an ID
 * the server does not know, so no `hb_init` is needed.
 *
 * The client is found when the method runs: `HeartbeatClientModule` binds its client when the
 * application has started (under its `name`, default `'default'`), `bindHeartbeatClient()` binds
 * one without Nest. Metadata other decorators put on the method (`@Cron`, `@Interval`) is kept,
 * whichever order they are written in.
 *
 * @example
 * @Cron('0 3 * * *')
 * @Heartbeat('nightly-report', { timeoutMs: 25 * 60 * 60 * 1000 })
 * async sendReport(): Promise<void> { ... }
 * @publicApi
 */
export function Heartbeat(
  appId: string,
  options: HeartbeatDecoratorOptions,
): HeartbeatMethodDecorator {
  if (typeof appId !== 'string' || appId === '') {
    throw new HeartbeatClientError('usage', Messages.invalidAppId(appId));
  }
  const timeoutMs = options?.timeoutMs;
  if (
    typeof timeoutMs !== 'number' ||
    !Number.isSafeInteger(timeoutMs) ||
    timeoutMs < 0
  ) {
    throw new HeartbeatClientError(
      'usage',
      Messages.invalidTimeout('timeoutMs', timeoutMs, 0),
    );
  }
  const clientName = options.client ?? HEARTBEAT_CLIENT_DEFAULTS.clientName;
  const ping = () => sendDecoratorPing(appId, timeoutMs, clientName);

  function decorate(
    targetOrValue: unknown,
    keyOrContext: unknown,
    descriptor?: PropertyDescriptor,
  ): any {
    if (descriptor !== undefined) {
      // Legacy decorator: replace the descriptor's function.
      if (typeof descriptor.value !== 'function') return descriptor;
      return {
        ...descriptor,
        value: wrap(descriptor.value as AnyMethod, ping),
      };
    }
    if (
      typeof targetOrValue === 'function' &&
      typeof keyOrContext === 'object' &&
      (keyOrContext as { kind?: unknown } | null)?.kind === 'method'
    ) {
      // Standard decorator: return the replacement.
      return wrap(targetOrValue as AnyMethod, ping);
    }
    return undefined;
  }
  return decorate as HeartbeatMethodDecorator;
}

function wrap(original: AnyMethod, ping: () => void): AnyMethod {
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const result = original.apply(this, args);
    if (isThenable(result)) {
      // A new promise settling like the original: the caller still sees its rejection (and an
      // unhandled one is still reported), and the ping waits for success.
      return result.then((value: unknown) => {
        ping();
        return value;
      });
    }
    ping();
    return result;
  };
  Object.defineProperty(wrapped, 'name', { value: original.name });
  copyMetadata(original, wrapped);
  return wrapped;
}

function isThenable(
  value: unknown,
): value is { then: (onFulfilled: (value: unknown) => unknown) => unknown } {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Nest's `SetMetadata` (and so `@Cron`, `@Interval`) stores metadata on the method's function
 * with `reflect-metadata`. When `@Heartbeat` is applied after them it must carry that metadata
 * over to its wrapper, or the scheduler would never see the job. Without `reflect-metadata`
 * loaded there is nothing to carry.
 */
function copyMetadata(from: object, to: object): void {
  const reflect = Reflect as unknown as {
    getOwnMetadataKeys?: (target: object) => unknown[];
    getOwnMetadata?: (key: unknown, target: object) => unknown;
    defineMetadata?: (key: unknown, value: unknown, target: object) => void;
  };
  if (
    typeof reflect.getOwnMetadataKeys !== 'function' ||
    typeof reflect.getOwnMetadata !== 'function' ||
    typeof reflect.defineMetadata !== 'function'
  ) {
    return;
  }
  for (const key of reflect.getOwnMetadataKeys(from)) {
    reflect.defineMetadata(key, reflect.getOwnMetadata(key, from), to);
  }
}
