import {
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HeartbeatDashboardHandler } from '../dashboard/heartbeat-dashboard.handler.js';
import { HeartbeatRegistry } from '../engine/heartbeat-registry.js';

/**
 * Ties the framework-free engine to the Nest application's lifecycle: attaches the host's
 * `EventEmitter2` when `@nestjs/event-emitter` is installed and `EventEmitterModule` imported
 * (this module never registers it), ends the dashboard's event streams before the HTTP server
 * closes (an open stream would hold its close forever), and closes the registry (and so the
 * store) at shutdown.
 *
 * @internal
 */
@Injectable()
export class HeartbeatEngineLifecycle
  implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown
{
  constructor(
    private readonly registry: HeartbeatRegistry,
    private readonly moduleRef: ModuleRef,
    private readonly dashboard: HeartbeatDashboardHandler,
  ) {}

  async onModuleInit(): Promise<void> {
    try {
      const { EventEmitter2 } = await import('@nestjs/event-emitter');
      this.registry.useEventEmitter(
        this.moduleRef.get(EventEmitter2, { strict: false }),
      );
    } catch {
      // Not installed, or EventEmitterModule not imported: events$ only.
    }
  }

  beforeApplicationShutdown(): void {
    this.dashboard.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.registry.close();
  }
}
