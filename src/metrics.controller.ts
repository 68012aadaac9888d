import {
  Controller,
  Get,
  Logger,
  NotFoundException,
  Res,
  UseGuards,
  type OnModuleInit,
} from '@nestjs/common';
import type { Registry } from 'prom-client';
import {
  HeartbeatAccessGuard,
  HeartbeatRegistry,
  HeartbeatWebhookDispatcher,
} from './heartbeat/index.js';

interface MetricsReply {
  header(name: string, value: string): MetricsReply;
  send(body: string): unknown;
}

/**
 * `GET /metrics` of the standalone server: the heartbeat metrics plus Node process metrics, in
 * the Prometheus text format (a read token when `HB_READ_TOKENS` is set). prom-client is loaded
 * only here, and only if installed.
 */
@Controller()
@UseGuards(HeartbeatAccessGuard)
export class MetricsController implements OnModuleInit {
  private register?: Registry;

  constructor(
    private readonly heartbeats: HeartbeatRegistry,
    private readonly webhooks: HeartbeatWebhookDispatcher,
  ) {}

  async onModuleInit(): Promise<void> {
    try {
      const prom = await import('prom-client');
      const { registerHeartbeatMetrics } =
        await import('./heartbeat/metrics/index.js');
      const register = new prom.Registry();
      prom.collectDefaultMetrics({ register });
      registerHeartbeatMetrics(this.heartbeats, {
        register,
        webhooks: this.webhooks,
      });
      this.register = register;
    } catch (error) {
      new Logger('Heartbeat').warn(`/metrics disabled: ${String(error)}`);
    }
  }

  @Get('metrics')
  async metrics(@Res() reply: MetricsReply): Promise<void> {
    if (!this.register) throw new NotFoundException();
    reply
      .header('Content-Type', this.register.contentType)
      .send(await this.register.metrics());
  }
}
