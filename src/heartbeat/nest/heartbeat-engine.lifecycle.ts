import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HeartbeatDashboardHandler } from '../dashboard/heartbeat-dashboard.handler.js';
import { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import { HeartbeatWebhookDispatcher } from '../engine/heartbeat-webhook.dispatcher.js';
import type { ResolvedHeartbeatOptions } from '../interfaces/heartbeat-module-options.interface.js';
import type { HeartbeatStore } from '../interfaces/heartbeat-store.interface.js';
import { HEARTBEAT_OPTIONS, HEARTBEAT_STORE } from './heartbeat.constants.js';

/**
 * Ties the framework-free engine to the Nest application's lifecycle: attaches the host's
 * `EventEmitter2` when `@nestjs/event-emitter` is installed and `EventEmitterModule` imported
 * (this module never registers it), starts the webhook dispatcher, ends the dashboard's event
 * streams before the HTTP server closes (an open stream would hold its close forever), and at
 * shutdown closes the dispatcher, then the registry (and so the store), and a store from the
 * options that an override left unused.
 *
 * @internal
 */
@Injectable()
export class HeartbeatEngineLifecycle
  implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown
{
  constructor(
    private readonly registry: HeartbeatRegistry,
    private readonly webhooks: HeartbeatWebhookDispatcher,
    private readonly moduleRef: ModuleRef,
    @Inject(HEARTBEAT_OPTIONS)
    private readonly options: ResolvedHeartbeatOptions,
    @Inject(HEARTBEAT_STORE) private readonly store: HeartbeatStore,
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
    this.webhooks.start();
  }

  beforeApplicationShutdown(): void {
    this.dashboard.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.webhooks.close();
    await this.registry.close();
    // A store given in the options but replaced (a test's overrideProvider(HEARTBEAT_STORE)) was
    // never used; it may still hold a connection of its own.
    if (this.options.store && this.options.store !== this.store) {
      await this.options.store.close?.();
    }
  }
}
