import { Controller, Get, UseGuards } from '@nestjs/common';
import {
  HeartbeatWebhookDispatcher,
  type HeartbeatWebhookCounters,
  type HeartbeatWebhookDelivery,
} from '../../engine/heartbeat-webhook.dispatcher.js';
import {
  HeartbeatAccessGuard,
  RequireHeartbeatAccess,
} from '../heartbeat-access.guard.js';

/**
 * The answer to `GET webhooks/deliveries`.
 * @publicApi
 */
export interface HeartbeatDeliveriesView {
  /** The latest deliveries, newest first. */
  readonly deliveries: HeartbeatWebhookDelivery[];
  /** Deliveries waiting or retrying now. */
  readonly queued: number;
  /** Totals since start. */
  readonly totals: HeartbeatWebhookCounters;
}

/**
 * The webhook deliveries, for an operator who wonders why a receiver stayed quiet: status and
 * attempts of the latest ones (`webhookHistorySize`). Mounted with the `api` extra; a read or
 * admin token under the `auth` option.
 *
 * @publicApi
 */
@Controller('webhooks')
@UseGuards(HeartbeatAccessGuard)
@RequireHeartbeatAccess('read')
export class HeartbeatWebhooksController {
  constructor(private readonly webhooks: HeartbeatWebhookDispatcher) {}

  @Get('deliveries')
  deliveries(): HeartbeatDeliveriesView {
    return {
      deliveries: this.webhooks.deliveries(),
      queued: this.webhooks.queued,
      totals: { ...this.webhooks.counters },
    };
  }
}
