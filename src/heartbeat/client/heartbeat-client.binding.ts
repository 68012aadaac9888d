import { HEARTBEAT_CLIENT_DEFAULTS } from './heartbeat-client.constants.js';
import { consoleHeartbeatLogger } from './heartbeat-client.defaults.js';
import { HeartbeatClientMessages as Messages } from './heartbeat-client.messages.js';
import type { HeartbeatClientLogger } from './heartbeat-client-options.interface.js';
import type { HeartbeatClient } from './heartbeat.client.js';

interface Binding {
  readonly client: HeartbeatClient;
  readonly logger: HeartbeatClientLogger;
  /** IDs whose last decorator ping failed: logged once, until one succeeds. */
  readonly failing: Set<string>;
}

/**
 * Options of `bindHeartbeatClient()`.
 *
 * @publicApi
 */
export interface BindHeartbeatClientOptions {
  /**
   * The name `@Heartbeat(id, { client })` selects the client by.
   * @default 'default'
   */
  readonly name?: string;
  /**
   * Where failed and recovered decorator pings are reported.
   * @default console, prefixed `[heartbeat]`
   */
  readonly logger?: HeartbeatClientLogger;
}

// Process-wide on purpose: decorators run when classes are defined, long before any module or
// client exists, so they can only find their client by name when the method runs.
const bindings = new Map<string, Binding>();
const unboundWarned = new Set<string>();
const pending = new Set<Promise<void>>();

/**
 * Makes `client` the one `@Heartbeat` methods ping through, under `name` (default `'default'`).
 * `HeartbeatClientModule` does this when the application has started and undoes it on shutdown;
 * call it yourself to use the decorator without Nest. Binding a name again replaces the earlier
 * client (logged). Returns a function that removes this binding (and nothing newer).
 *
 * @example
 * const unbind = bindHeartbeatClient(new HeartbeatClient({ url: 'http://127.0.0.1:8888' }));
 * @publicApi
 */
export function bindHeartbeatClient(
  client: HeartbeatClient,
  options: BindHeartbeatClientOptions = {},
): () => void {
  const name = options.name ?? HEARTBEAT_CLIENT_DEFAULTS.clientName;
  const binding: Binding = {
    client,
    logger: options.logger ?? consoleHeartbeatLogger,
    failing: new Set(),
  };
  const previous = bindings.get(name);
  if (previous && previous.client !== client) {
    binding.logger.warn(Messages.replacedBinding(name));
  }
  bindings.set(name, binding);
  return () => {
    if (bindings.get(name) === binding) bindings.delete(name);
  };
}

/**
 * The client bound under `name`, if any.
 *
 * @publicApi
 */
export function getBoundHeartbeatClient(
  name: string = HEARTBEAT_CLIENT_DEFAULTS.clientName,
): HeartbeatClient | undefined {
  return bindings.get(name)?.client;
}

/**
 * Resolves once every ping `@Heartbeat` has started so far has completed, delivered or not.
 * Pings are fire-and-forget; await this before a short-lived process exits, or in tests.
 *
 * @publicApi
 */
export async function settleHeartbeats(): Promise<void> {
  while (pending.size > 0) await Promise.all(pending);
}

/**
 * Sends one decorator ping, fire-and-forget: never throws, never rejects, reports through the
 * binding's logger (first failure per ID, then its recovery).
 *
 * @internal
 */
export function sendDecoratorPing(
  appId: string,
  timeoutMs: number,
  name: string,
): void {
  const binding = bindings.get(name);
  if (!binding) {
    const key = `${name}\u0000${appId}`;
    if (!unboundWarned.has(key)) {
      unboundWarned.add(key);
      consoleHeartbeatLogger.warn(Messages.noBoundClient(appId, name));
    }
    return;
  }
  const ping: Promise<void> = binding.client
    .ping(timeoutMs, { appId })
    .then(
      () => {
        if (binding.failing.delete(appId)) {
          binding.logger.log(Messages.decoratorPingRecovered(appId));
        }
      },
      (error: unknown) => {
        if (!binding.failing.has(appId)) {
          binding.failing.add(appId);
          binding.logger.warn(
            Messages.decoratorPingFailed(appId, (error as Error).message),
          );
        }
      },
    )
    .catch(() => undefined) // a throwing logger must not surface either
    .finally(() => pending.delete(ping));
  pending.add(ping);
}
