import {
  fullEventName,
  redactWebhookUrl,
  resolveHeartbeatWebhooks,
} from './webhooks.js';

describe('resolveHeartbeatWebhooks', () => {
  it('none by default', () => {
    expect(resolveHeartbeatWebhooks(undefined)).toEqual([]);
  });

  it('defaults to state changes and drops, and makes short names full', () => {
    expect(
      resolveHeartbeatWebhooks([
        { url: 'https://alerts.example.com/hb' },
        {
          url: 'http://127.0.0.1:9000/',
          secret: 's',
          events: ['dropped', 'heartbeat.deregistered', 'dropped'],
        },
      ]),
    ).toEqual([
      {
        url: 'https://alerts.example.com/hb',
        secret: undefined,
        events: ['heartbeat.state-changed', 'heartbeat.dropped'],
      },
      {
        url: 'http://127.0.0.1:9000/',
        secret: 's',
        events: ['heartbeat.dropped', 'heartbeat.deregistered'],
      },
    ]);
  });

  it.each([
    [
      [{ url: 'not a url' }],
      'webhooks[0].url: expected an http:// or https:// URL',
    ],
    [[{ url: 'ftp://x/' }], 'webhooks[0].url'],
    [
      [{ url: 'http://x/', secret: '' }],
      'webhooks[0].secret (empty): expected a non-empty string',
    ],
    [[{ url: 'http://x/', events: [] }], 'webhooks[0].events=[]'],
    ['http://x/', 'webhooks (string): expected a list'],
  ])('refuses %j', (raw, message) => {
    expect(() =>
      resolveHeartbeatWebhooks(
        raw as Parameters<typeof resolveHeartbeatWebhooks>[0],
      ),
    ).toThrow(message);
  });
});

describe('fullEventName', () => {
  it.each([
    ['dropped', 'heartbeat.dropped'],
    [' heartbeat.state-changed ', 'heartbeat.state-changed'],
  ])('%s is %s', (name, full) => {
    expect(fullEventName(name)).toBe(full);
  });
});

describe('redactWebhookUrl', () => {
  it.each([
    [
      'https://hooks.example.com/services/T0/B0/secret',
      'https://hooks.example.com/…',
    ],
    ['http://127.0.0.1:9000/', 'http://127.0.0.1:9000/'],
    ['http://user:pw@host/?key=1', 'http://host/…'],
    ['nonsense', '(invalid URL)'],
  ])('%s shows as %s', (url, shown) => {
    expect(redactWebhookUrl(url)).toBe(shown);
  });
});
