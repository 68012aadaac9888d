import { resolveHeartbeatAuth } from '../core/access.js';
import type { HeartbeatAuthOptions } from '../interfaces/heartbeat-access.interface.js';
import { HeartbeatAccessControl } from './heartbeat-access.js';

function control(
  auth: HeartbeatAuthOptions,
  live: Set<string> = new Set(),
): HeartbeatAccessControl {
  return new HeartbeatAccessControl(resolveHeartbeatAuth(auth), (id) =>
    Promise.resolve(live.has(id)),
  );
}

describe('HeartbeatAccessControl', () => {
  it('with no token configured, every kind is open and nothing is hashed', () => {
    const access = control({});
    expect(access.enabled).toBe(false);
    for (const kind of ['ping', 'read', 'admin'] as const) {
      expect(access.authorize(kind, ['whatever'])).toMatchObject({
        kind: 'open',
      });
    }
  });

  describe('with tokens of every kind', () => {
    const access = control({
      ping: ['team-a:a-', 'anywhere'],
      read: ['nagios'],
      admin: ['root'],
    });

    it.each([
      ['ping', 'team-a', { kind: 'ping', prefix: 'a-' }],
      ['ping', 'anywhere', { kind: 'ping', prefix: '' }],
      ['ping', 'root', { kind: 'admin', prefix: '' }],
      ['read', 'nagios', { kind: 'read' }],
      ['read', 'root', { kind: 'admin' }],
      ['admin', 'root', { kind: 'admin' }],
    ] as const)('%s with %s is allowed', (kind, token, grant) => {
      expect(access.authorize(kind, [token])).toMatchObject(grant);
    });

    it.each([
      [
        'ping',
        'nagios',
        'this token may not register, ping and deregister applications',
      ],
      ['read', 'team-a', 'this token may not read the registry'],
      ['admin', 'nagios', 'this token may not administer the registry'],
    ] as const)('%s with %s is forbidden', (kind, token, message) => {
      expect(() => access.authorize(kind, [token])).toThrow(
        expect.objectContaining({ kind: 'forbidden', message }),
      );
    });

    it.each([[[]], [[undefined]], [['nope']], [['Nagios']], [['nagios ']]])(
      'anything else is unauthorized: %j',
      (candidates) => {
        expect(() => access.authorize('read', candidates)).toThrow(
          expect.objectContaining({
            kind: 'unauthorized',
            message: 'missing or invalid token',
          }),
        );
      },
    );

    it('the first candidate that allows the kind wins', () => {
      expect(access.authorize('read', ['nope', 'team-a', 'nagios']).kind).toBe(
        'read',
      );
    });

    it('knows its tokens for routing, and nothing else', () => {
      expect(access.isToken('team-a')).toBe(true);
      expect(access.isToken('status')).toBe(false);
    });
  });

  it('counts each refusal by reason', () => {
    const access = control({ ping: ['p:x-'], read: ['r'] });
    expect(() => access.authorize('read', ['bad'])).toThrow();
    expect(() => access.authorize('read', ['p'])).toThrow();
    expect(() =>
      access.checkAppId(access.authorize('ping', ['p']), 'y-1'),
    ).toThrow('this token may only use appids starting with [x-], not [y-1]');
    expect(access.refusals).toEqual({
      unauthorized: 1,
      forbidden: 2,
      quota: 0,
    });
  });

  describe('app quota', () => {
    it('holds at most maxApps IDs per token; known IDs always pass', async () => {
      const live = new Set<string>();
      const access = control({ ping: ['k:kiosk-:2', 'other::1'] }, live);
      const grant = access.authorize('ping', ['k']);
      for (const id of ['kiosk-1', 'kiosk-2']) {
        expect(await access.reserve(grant, id)).toBe(true);
        live.add(id);
      }
      expect(await access.reserve(grant, 'kiosk-1')).toBe(false);
      await expect(access.reserve(grant, 'kiosk-3')).rejects.toThrow(
        'this token already holds 2 applications, its limit; new IDs are refused',
      );
      expect(access.refusals.quota).toBe(1);
      // Another token has its own quota.
      const other = access.authorize('ping', ['other']);
      expect(await access.reserve(other, 'kiosk-3')).toBe(true);
    });

    it('frees the IDs that are gone (dropped or removed anywhere) when full', async () => {
      const live = new Set(['kiosk-1']);
      const access = control({ ping: ['k::2'] }, live);
      const grant = access.authorize('ping', ['k']);
      await access.reserve(grant, 'kiosk-1');
      await access.reserve(grant, 'kiosk-2'); // never made it, or dropped since
      expect(await access.reserve(grant, 'kiosk-3')).toBe(true);
    });

    it('gives a place back on release', async () => {
      const access = control({ ping: ['k::1'] }, new Set(['a', 'b']));
      const grant = access.authorize('ping', ['k']);
      await access.reserve(grant, 'a');
      access.release(grant, 'a');
      expect(await access.reserve(grant, 'b')).toBe(true);
    });

    it('admin and unlimited tokens take no place', async () => {
      const access = control({ ping: ['free'], admin: ['root'] });
      expect(
        await access.reserve(access.authorize('ping', ['free']), 'x'),
      ).toBe(false);
      expect(
        await access.reserve(access.authorize('ping', ['root']), 'x'),
      ).toBe(false);
    });
  });

  describe('warnIfOpen', () => {
    const logger = () => ({
      log: vi.fn(),
      warn: vi.fn(),
      error: vi.fn(),
    });

    it('warns once, and only for an address beyond this machine', () => {
      const access = control({ admin: ['root'] });
      const log = logger();
      access.warnIfOpen('127.0.0.1', log);
      access.warnIfOpen('::1', log);
      expect(log.warn).not.toHaveBeenCalled();
      access.warnIfOpen('0.0.0.0', log);
      access.warnIfOpen('10.0.0.5', log);
      expect(log.warn).toHaveBeenCalledTimes(1);
      expect(log.warn).toHaveBeenCalledWith(
        'listening on 0.0.0.0 with open access: anyone who can reach it may register, ping and deregister applications, read the registry; set HB_PING_TOKENS, HB_READ_TOKENS and HB_ADMIN_TOKENS (option auth) to require tokens',
      );
      expect(access.warnSettled).toBe(true);
    });

    it('says nothing when every kind needs a token', () => {
      const access = control({ ping: ['p'], read: ['r'] });
      const log = logger();
      access.warnIfOpen('0.0.0.0', log);
      expect(log.warn).not.toHaveBeenCalled();
    });
  });
});
