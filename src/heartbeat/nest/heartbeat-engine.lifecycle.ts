import {
  Injectable,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import { HeartbeatWebhookDispatcher } from '../engine/heartbeat-webhook.dispatcher.js';

/**
 * Ties the framework-free engine to the Nest application's lifecycle: attaches the host's
 * `EventEmitter2` when `@nestjs/event-emitter` is installed and `EventEmitterModule` imported
 * (this module never registers it), starts the webhook dispatcher, and at shutdown closes it and
 * then the registry (and so the store).
 *
 * @internal
 */
@Injectable()
export class HeartbeatEngineLifecycle
  implements OnModuleInit, OnApplicationShutdown
{
  constructor(
    private readonly registry: HeartbeatRegistry,
    private readonly webhooks: HeartbeatWebhookDispatcher,
    private readonly moduleRef: ModuleRef,
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

  async onApplicationShutdown(): Promise<void> {
    await this.webhooks.close();
    await this.registry.close();
  }
}
