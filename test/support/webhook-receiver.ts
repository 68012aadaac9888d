import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HeartbeatWebhookPayload } from '../../src/heartbeat/index.js';

export interface ReceivedWebhook {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly payload: HeartbeatWebhookPayload;
  /** The answer it got. */
  readonly status: number;
  /** Whether `X-Heartbeat-Signature` is the HMAC-SHA256 of the raw body with the secret. */
  readonly signed: boolean;
}

/**
 * A webhook receiver on an ephemeral port: answers from a script of statuses (200 once the
 * script runs out; `'hang'` never answers) and checks each signature as a receiver should.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly waiting: Array<{ count: number; resolve: () => void }> = [];
  private readonly hanging: http.ServerResponse[] = [];

  private constructor(
    private readonly server: http.Server,
    private readonly secret: string | undefined,
    private readonly script: Array<number | 'hang'>,
  ) {}

  static async start(
    secret?: string,
    script: Array<number | 'hang'> = [],
  ): Promise<WebhookReceiver> {
    let receiver!: WebhookReceiver;
    const server = http.createServer((request, response) => {
      receiver.handle(request, response);
    });
    receiver = new WebhookReceiver(server, secret, script);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answers the next requests with these statuses. */
  answer(...statuses: Array<number | 'hang'>): void {
    this.script.push(...statuses);
  }

  /** Resolves once `count` requests have arrived. */
  until(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ count, resolve }));
  }

  /** The payloads answered 2xx, in order: what the receiver took in. */
  accepted(): HeartbeatWebhookPayload[] {
    return this.received
      .filter((r) => r.status >= 200 && r.status < 300)
      .map((r) => r.payload);
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const step = this.script.shift() ?? 200;
      this.received.push({
        path: request.url ?? '/',
        headers: request.headers,
        body: raw.toString('utf8'),
        payload: JSON.parse(raw.toString('utf8')) as HeartbeatWebhookPayload,
        status: step === 'hang' ? 0 : step,
        signed: this.verify(raw, request.headers['x-heartbeat-signature']),
      });
      for (const waiter of this.waiting.filter(
        (w) => this.received.length >= w.count,
      )) {
        waiter.resolve();
      }
      if (step === 'hang') {
        this.hanging.push(response);
        return;
      }
      response.writeHead(step, { 'content-type': 'text/plain' });
      response.end(step < 300 ? 'thanks' : 'not now');
    });
  }

  private verify(raw: Buffer, header: string | string[] | undefined): boolean {
    if (this.secret === undefined || typeof header !== 'string') return false;
    const expected = Buffer.from(
      `sha256=${createHmac('sha256', this.secret).update(raw).digest('hex')}`,
    );
    const given = Buffer.from(header);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
