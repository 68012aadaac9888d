import { Logger } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import express from 'express';
import request from 'supertest';
import {
  createHeartbeatMiddleware,
  type HeartbeatMiddleware,
} from '../src/heartbeat/express/index.js';
import {
  HeartbeatExpiryScheduler,
  HeartbeatModule,
  HeartbeatWebhookDispatcher,
  type HeartbeatWebhookPayload,
} from '../src/heartbeat/index.js';
import { FakeHeartbeatClock } from '../src/heartbeat/testing/index.js';
import {
  createHeartbeatApp,
  type HeartbeatTestApp,
} from './support/create-heartbeat-app.js';
import { PLATFORMS } from './support/platforms.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

const SECRET = 'receiver-shared-secret';
const ADMIN = 'admin-token-webhooks';

/** `appId: from -> to` of each payload, for reading a sequence at a glance. */
const steps = (payloads: HeartbeatWebhookPayload[]) =>
  payloads.map((p) => `${p.appId}: ${p.from ?? '-'} -> ${p.to}`);

describe.each(PLATFORMS)('webhooks on $name', (platform) => {
  let t: HeartbeatTestApp;
  let receiver: WebhookReceiver;
  let webhooks: HeartbeatWebhookDispatcher;
  let tick: () => Promise<void>;

  beforeEach(async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
    receiver = await WebhookReceiver.start(SECRET);
    t = await createHeartbeatApp(platform, {
      imports: [
        ScheduleModule.forRoot(),
        HeartbeatModule.forRoot({
          api: true,
          auth: { admin: [ADMIN] },
          sweepIntervalMs: 3_600_000, // the test ticks by hand
          webhooks: [
            {
              url: `${receiver.url}/hooks`,
              secret: SECRET,
              events: ['state-changed', 'dropped', 'deregistered'],
            },
          ],
          webhookMaxAttempts: 3,
          webhookTimeoutMs: 2000,
        }),
      ],
    });
    webhooks = t.app.get(HeartbeatWebhookDispatcher);
    const scheduler = t.app.get(HeartbeatExpiryScheduler);
    tick = async () => {
      await scheduler.tick();
      await webhooks.settled();
    };
  });
  afterEach(async () => {
    await t.app.close();
    await receiver.close();
    expect(t.clock.pendingTimers).toBe(0);
    vi.restoreAllMocks();
  });

  it('a receiver that fails, then recovers, gets every change in order, signed', async () => {
    await request(t.server).get('/hb_init?0&appid=worker').expect(200); // T = 1000
    const start = t.clock.now();
    receiver.answer(500, 503);
    t.clock.advance(3000); // od = 3: WARNING
    await tick();
    expect(receiver.received.map((r) => r.status)).toEqual([500]);

    t.clock.advance(1000); // the first retry, after 1 s
    await webhooks.settled();
    t.clock.advance(1000); // od = 5: CRITICAL, found by the tick; WARNING's next retry is in 2 s
    await tick();
    expect(receiver.received.map((r) => r.status)).toEqual([500, 503]);
    // The way back to OK is reported at the heartbeat itself, and queued behind the others.
    t.clock.advance(500);
    await request(t.server).get('/hb_ping?0&appid=worker').expect(200);
    t.clock.advance(500);
    await webhooks.settled();

    expect(steps(receiver.accepted())).toEqual([
      'worker: OK -> WARNING',
      'worker: WARNING -> CRITICAL',
      'worker: CRITICAL -> OK',
    ]);
    expect(receiver.received.every((r) => r.signed)).toBe(true);
    const [warning, critical, recovery] = receiver.accepted();
    expect(warning).toMatchObject({
      event: 'heartbeat.state-changed',
      od: 3,
      atMs: start + 3000,
      at: new Date(start + 3000).toISOString(),
      lastSeenMs: start,
      lastSeen: new Date(start).toISOString(),
      delayMs: 1000,
    });
    expect(critical).toMatchObject({ od: 5, atMs: start + 5000 });
    expect(recovery).toMatchObject({ od: 0, lastSeenMs: start + 5500 });
    const ids = receiver.received.map((r) => r.headers['x-heartbeat-delivery']);
    expect(ids[0]).toBe(ids[1]); // one delivery, retried
    expect(new Set(ids).size).toBe(3);
    expect(receiver.received[0]!.path).toBe('/hooks');

    const deliveries = await request(t.server)
      .get('/webhooks/deliveries')
      .set('Authorization', `Bearer ${ADMIN}`)
      .expect(200);
    expect(
      deliveries.body.deliveries.map(
        (d: { status: string; attempts: number }) => [d.status, d.attempts],
      ),
    ).toEqual([
      ['delivered', 1],
      ['delivered', 1],
      ['delivered', 3],
    ]);
    expect(deliveries.body.totals).toMatchObject({
      delivered: 3,
      attempts: 5,
      failed: 0,
    });
  });

  it('a drop and a goodbye are told apart; a dead receiver never slows the protocol', async () => {
    receiver.answer('hang', 'hang');
    await request(t.server).get('/hb_init?0&appid=silent').expect(200);
    await request(t.server).get('/hb_init?60000&appid=leaving').expect(200);
    await request(t.server).get('/hb_done?0&appid=leaving').expect(200);
    await receiver.until(1);
    // The goodbye's delivery hangs; the protocol answers all the same.
    for (let i = 0; i < 5; i++) {
      await request(t.server).get('/hb_ping?60000&appid=other').expect(200);
    }
    t.clock.advance(2000); // no answer within 2 s: retried after 1 s
    await webhooks.settled();
    t.clock.advance(1000);
    await receiver.until(2);
    t.clock.advance(2000); // again no answer: retried after 2 s
    await webhooks.settled();
    t.clock.advance(2000); // the third attempt is answered
    await webhooks.settled();
    await tick(); // by now (7 s) silent has passed od 6: dropped
    const events = receiver
      .accepted()
      .filter((p) => p.event !== 'heartbeat.state-changed');
    expect(events).toEqual([
      expect.objectContaining({
        event: 'heartbeat.deregistered',
        appId: 'leaving',
        from: null,
        to: 'DEREGISTERED',
      }),
      expect.objectContaining({
        event: 'heartbeat.dropped',
        appId: 'silent',
        from: 'CRITICAL',
        to: 'DROPPED',
        lastSeenMs: t.clock.now() - 7000,
        delayMs: 1000,
      }),
    ]);
    expect(receiver.received.filter((r) => r.status === 0)).toHaveLength(2);
  });
});

describe('webhooks from the Express middleware', () => {
  let heartbeat: HeartbeatMiddleware;
  let receiver: WebhookReceiver;

  afterEach(async () => {
    await heartbeat.close();
    await receiver.close();
  });

  it('posts signed events of the registry behind the routes, and keeps the last deliveries', async () => {
    receiver = await WebhookReceiver.start(SECRET, [404]);
    const clock = new FakeHeartbeatClock();
    heartbeat = createHeartbeatMiddleware({
      clock,
      logger: { log() {}, warn() {}, error() {} },
      webhooks: [{ url: receiver.url, secret: SECRET }],
    });
    const app = express().use('/hb', heartbeat);
    await request(app).get('/hb/hb_init?0&appid=kiosk').expect(200);
    clock.advance(3000);
    await heartbeat.registry.sweep();
    await heartbeat.webhooks.settled();
    clock.advance(1000);
    await heartbeat.webhooks.settled();
    expect(receiver.received.map((r) => [r.status, r.signed])).toEqual([
      [404, true],
      [200, true],
    ]);
    expect(steps(receiver.accepted())).toEqual(['kiosk: OK -> WARNING']);
    expect(heartbeat.webhooks.deliveries()).toEqual([
      expect.objectContaining({
        event: 'heartbeat.state-changed',
        appId: 'kiosk',
        url: `${receiver.url}/`,
        status: 'delivered',
        attempts: 2,
        responseStatus: 200,
        error: null,
      }),
    ]);
  });
});
