import { HeartbeatAccessControl } from '../engine/heartbeat-access.js';
import { resolveHeartbeatAuth } from '../core/access.js';
import {
  authorizeHeartbeatRequest,
  bearerToken,
  pathToken,
  redactHeartbeatUrl,
} from './heartbeat-auth.js';

describe('bearerToken', () => {
  it.each([
    [{ authorization: 'Bearer abc' }, 'abc'],
    [{ authorization: 'bearer   abc  ' }, 'abc'],
    [{ authorization: ['Bearer one', 'Bearer two'] }, 'one'],
    [{ authorization: 'Basic dXNlcjpwdw==' }, undefined],
    [{ authorization: 'Bearer' }, undefined],
    [{ authorization: 'Bearer a b' }, undefined],
    [{}, undefined],
  ])('%j: %s', (headers, token) => {
    expect(bearerToken({ headers })).toBe(token);
  });
});

describe('pathToken', () => {
  it.each([
    ['/tok/hb_ping?0&appid=x', 'tok'],
    ['/a/b/tok/status', 'tok'],
    ['/hb_ping', undefined],
    ['//hb_ping', undefined],
    ['/tok/hb_ping#/x/y', 'tok'],
    ['/tok//hb_ping', 'tok'],
    ['/a/tok//status', 'tok'],
    ['/a///hb_ping', undefined],
    ['/status?appid=a/b/c', undefined],
  ])('%s: %s', (url, token) => {
    expect(pathToken(url)).toBe(token);
  });
});

describe('authorizeHeartbeatRequest', () => {
  const access = new HeartbeatAccessControl(
    resolveHeartbeatAuth({ ping: ['p1'], read: ['r1'], admin: ['a1'] }),
    () => Promise.resolve(true),
  );
  const request = (url: string, authorization?: string) => ({
    url,
    headers: authorization ? { authorization } : {},
  });

  it('takes the header, and the path segment only where the route allows it', () => {
    expect(
      authorizeHeartbeatRequest(access, request('/apps', 'Bearer r1'), 'read')
        .kind,
    ).toBe('read');
    expect(() =>
      authorizeHeartbeatRequest(access, request('/r1/apps'), 'read'),
    ).toThrow('missing or invalid token');
    expect(
      authorizeHeartbeatRequest(access, request('/r1/status'), 'read', {
        tokenInPath: true,
      }).kind,
    ).toBe('read');
  });

  it('a host Bearer token (a JWT) in the header does not hide a token in the path', () => {
    expect(
      authorizeHeartbeatRequest(
        access,
        request('/p1/hb_ping', 'Bearer eyJhbGciOi.host.jwt'),
        'ping',
        { tokenInPath: true },
      ).kind,
    ).toBe('ping');
  });
});

describe('redactHeartbeatUrl', () => {
  const on = { enabled: true };
  it.each([
    ['/s3cret/hb_ping?0&appid=x', '/***/hb_ping?0&appid=x'],
    ['/a/b/s3cret/status', '/a/b/***/status'],
    ['/hb_ping?0&appid=x', '/hb_ping?0&appid=x'],
    ['/s3cret/hb_ping#frag', '/***/hb_ping'],
    ['/s3cret//hb_ping?0&appid=x', '/***//hb_ping?0&appid=x'],
  ])('%s is logged as %s', (url, logged) => {
    expect(redactHeartbeatUrl(url, on)).toBe(logged);
  });

  it('leaves URLs alone when no token is in use', () => {
    expect(redactHeartbeatUrl('/a/hb_ping', { enabled: false })).toBe(
      '/a/hb_ping',
    );
  });
});
