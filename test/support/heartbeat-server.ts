import {
  HeartbeatRegistry,
  type HeartbeatModuleForRootOptions,
} from '../../src/heartbeat/index.js';
import type { FakeHeartbeatClock } from '../../src/heartbeat/testing/index.js';
import { createHeartbeatApp } from './create-heartbeat-app.js';
import { PLATFORMS, type Platform } from './platforms.js';

export interface ListeningHeartbeatServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly clock: FakeHeartbeatClock;
  readonly registry: HeartbeatRegistry;
  close(): Promise<void>;
}

/**
 * The project's own server, in-process on an ephemeral port, with a fake clock: clients talk to
 * it over real HTTP while the test moves its time.
 */
export async function startHeartbeatServer(
  options: {
    platform?: Platform;
    heartbeat?: HeartbeatModuleForRootOptions;
    port?: number;
  } = {},
): Promise<ListeningHeartbeatServer> {
  const { app, clock } = await createHeartbeatApp(
    options.platform ?? PLATFORMS[0]!,
    // Routed as the standalone server is: the command as the last segment under any prefix.
    { heartbeat: { anyPrefix: true, ...options.heartbeat } },
  );
  await app.listen(options.port ?? 0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    url,
    clock,
    registry: app.get(HeartbeatRegistry),
    close: () => app.close(),
  };
}
