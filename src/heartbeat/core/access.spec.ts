import {
  isLoopbackAddress,
  openAccessKinds,
  resolveHeartbeatAuth,
} from './access.js';

describe('resolveHeartbeatAuth', () => {
  it('is open without the option', () => {
    expect(resolveHeartbeatAuth(undefined)).toEqual({
      ping: [],
      read: [],
      admin: [],
    });
  });

  it.each([
    ['secret', { token: 'secret', prefix: '', maxApps: undefined }],
    [
      'secret:kiosk-',
      { token: 'secret', prefix: 'kiosk-', maxApps: undefined },
    ],
    ['secret:kiosk-:100', { token: 'secret', prefix: 'kiosk-', maxApps: 100 }],
    ['secret::5', { token: 'secret', prefix: '', maxApps: 5 }],
  ])('reads the ping token %s', (entry, expected) => {
    expect(resolveHeartbeatAuth({ ping: [entry] }).ping).toEqual([expected]);
  });

  it('takes ping tokens as objects too, and read and admin tokens as strings', () => {
    const auth = resolveHeartbeatAuth({
      ping: [{ token: 'team-a', prefix: 'a:', maxApps: 3 }],
      read: ['nagios.Token~1'],
      admin: ['b64+token=='],
    });
    expect(auth).toEqual({
      ping: [{ token: 'team-a', prefix: 'a:', maxApps: 3 }],
      read: ['nagios.Token~1'],
      admin: ['b64+token=='],
    });
    expect(Object.isFrozen(auth.ping)).toBe(true);
  });

  // Each message names the entry, never the token: configuration errors end up in logs.
  it.each([
    [{ ping: ['bad/token'] }, 'auth.ping[0]: a token is 1 to 256 characters'],
    [{ ping: [''] }, 'auth.ping[0]: a token is'],
    [{ read: ['ok', 'sp ace'] }, 'auth.read[1]: a token is'],
    [{ admin: ['x'.repeat(257)] }, 'auth.admin[0]: a token is'],
    [{ ping: ['a:b:c:d'] }, 'auth.ping[0]: expected token, token:prefix'],
    [{ ping: ['tok:p:0'] }, 'auth.ping[0]: maxApps must be an integer >= 1'],
    [{ ping: ['tok:p:lots'] }, 'auth.ping[0]: maxApps must be an integer >= 1'],
    [{ ping: [{ token: 'tok', maxApps: 1.5 }] }, 'auth.ping[0]: maxApps'],
    [
      { ping: ['same'], admin: ['same'] },
      'auth.admin[0]: this token is already given',
    ],
    [{ read: ['twice', 'twice'] }, 'auth.read[1]: this token is already given'],
    [
      { read: 'one,two' as unknown as string[] },
      'auth.read (string): expected a list',
    ],
  ])('refuses %j', (raw, message) => {
    expect(() => resolveHeartbeatAuth(raw)).toThrow(message);
  });

  it.each([
    { admin: ['Sup3r-Secret!'] },
    { read: ['Sup3r-Secret', 'Sup3r-Secret'] },
    { ping: ['Sup3r-Secret:x:-1'] },
  ])('never echoes a token in a message: %j', (raw) => {
    expect(() => resolveHeartbeatAuth(raw)).toThrow(
      expect.objectContaining({
        message: expect.not.stringContaining('Sup3r') as unknown,
      }),
    );
    expect(() => resolveHeartbeatAuth(raw)).toThrow(
      /^invalid heartbeat option auth\./,
    );
  });
});

describe('openAccessKinds', () => {
  it.each([
    [{}, ['ping', 'read', 'admin']],
    [{ ping: ['p'] }, ['read']],
    [{ read: ['r'] }, ['ping']],
    [{ admin: ['a'] }, ['ping', 'read']],
    [{ ping: ['p'], read: ['r'] }, []],
  ])(
    '%j leaves %j open; admin only while nothing is configured',
    (raw, open) => {
      expect(openAccessKinds(resolveHeartbeatAuth(raw))).toEqual(open);
    },
  );
});

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['::ffff:10.0.0.1', false],
    ['127.0.0.1.example.com', false],
  ])('%s: %s', (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback);
  });
});
