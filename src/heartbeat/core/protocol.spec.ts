import { HeartbeatError } from './errors.js';
import {
  appIdFromBody,
  assertMethod,
  lastPathSegment,
  parseMonitorAppId,
  parseProtocolRequest,
  parseQuery,
  parseTimeout,
  rawQueryOf,
  validateAppId,
  validateTimeout,
} from './protocol.js';

const limits = { maxAppIdLength: 256, maxTimeoutMs: 86_400_000 };
const form = () => 'application/x-www-form-urlencoded';

describe('lastPathSegment', () => {
  it.each([
    ['/hb_ping', 'hb_ping'],
    ['/heartbeat/hb_ping', 'hb_ping'],
    ['/any/prefix/hb_ping?5&appid=x', 'hb_ping'],
    ['/status?0&appid=a/b', 'status'],
    ['/list/', ''],
    ['//hb_ping', 'hb_ping'],
    ['/hb_ping#f?0&appid=X', 'hb_ping'],
    ['/', ''],
  ])('%s -> %s', (url, segment) => {
    expect(lastPathSegment(url)).toBe(segment);
  });
});

describe('rawQueryOf', () => {
  it.each([
    ['/hb_ping', ''],
    ['/hb_ping?', ''],
    ['/hb_ping?5&appid=x', '5&appid=x'],
    ['/hb_ping?5&appid=x#frag', '5&appid=x'],
    ['/hb_ping#f?0&appid=X', ''],
  ])('%s -> %j', (url, query) => {
    expect(rawQueryOf(url)).toBe(query);
  });
});

describe('parseQuery', () => {
  it.each([
    ['', { timeout: '', appId: undefined }],
    ['5000&appid=Tetris', { timeout: '5000', appId: 'Tetris' }],
    ['appid=Tetris', { timeout: undefined, appId: 'Tetris' }],
    ['&appid=Tetris', { timeout: '', appId: 'Tetris' }],
    ['appid=Tetris&timeout=300', { timeout: '300', appId: 'Tetris' }],
    ['appid=Tetris&TIMEOUT=300', { timeout: '300', appId: 'Tetris' }],
    ['0&appid=Zelda', { timeout: '0', appId: 'Zelda' }],
    ['5&appid=a%26b%3Dc', { timeout: '5', appId: 'a&b=c' }],
    ['5&appid=caf%C3%A9', { timeout: '5', appId: 'café' }],
    ['5&appid=a+b', { timeout: '5', appId: 'a+b' }],
    ['5&appid=x&cache_buster=1732&other', { timeout: '5', appId: 'x' }],
    ['5&appid=first&appid=second', { timeout: '5', appId: 'first' }],
    ['5&appid=', { timeout: '5', appId: '' }],
  ])('%j', (query, expected) => {
    expect(parseQuery(query)).toEqual(expected);
  });

  it.each(['5&appid=%zz', '5&appid=%E0%A4', '%&appid=x', '5&appid=abc%'])(
    'refuses malformed percent-encoding in %j',
    (query) => {
      expect(() => parseQuery(query)).toThrow(/malformed percent-encoding/);
    },
  );
});

describe('parseTimeout', () => {
  it.each([
    [undefined, 0],
    ['', 0],
    ['0', 0],
    ['5000', 5000],
    ['007', 7],
    ['86400000', 86_400_000],
  ])('%j -> %d', (raw, value) => {
    expect(parseTimeout(raw, limits.maxTimeoutMs)).toBe(value);
  });

  it.each([
    ['abc', /TIMEOUT must be a non-negative integer.*\[abc\]/],
    ['-5', /non-negative integer/],
    ['1.5', /non-negative integer/],
    ['1e3', /non-negative integer/],
    [' 5', /non-negative integer/],
    ['0x10', /non-negative integer/],
    ['86400001', /exceeds the limit of 86400000 ms/],
    ['9'.repeat(400), /exceeds the limit/],
  ])('refuses %j', (raw, message) => {
    expect(() => parseTimeout(raw, limits.maxTimeoutMs)).toThrow(message);
  });

  it('throws typed errors of kind invalid', () => {
    expect(() => parseTimeout('x', 10)).toThrow(HeartbeatError);
    try {
      parseTimeout('x', 10);
    } catch (error) {
      expect((error as HeartbeatError).kind).toBe('invalid');
    }
  });
});

describe('validateTimeout', () => {
  it.each([NaN, -1, 1.5, Infinity])('refuses %d', (value) => {
    expect(() => validateTimeout(value, 1000)).toThrow(/non-negative integer/);
  });
  it('refuses values above the limit', () => {
    expect(() => validateTimeout(1001, 1000)).toThrow(
      /exceeds the limit of 1000 ms/,
    );
  });
});

describe('validateAppId', () => {
  it.each([
    'Tetris',
    'a|b',
    'café',
    '😀'.repeat(256),
    'x'.repeat(256),
    'with space',
  ])('accepts %j', (id) => {
    expect(validateAppId(id, 256)).toBe(id);
  });

  it.each([
    [undefined, 'missing appid'],
    [null, 'missing appid'],
    ['', 'empty appid'],
    [42, 'appid must be a string'],
    [['a'], 'appid must be a string'],
    ['x'.repeat(257), 'appid is 257 characters long, the limit is 256'],
    ['a\nb', 'appid contains a control character'],
    ['a\rb', 'appid contains a control character'],
    ['a\u0000b', 'appid contains a control character'],
    ['a\u007fb', 'appid contains a control character'],
    ['a\u0085b', 'appid contains a control character'],
    ['a\u2028b', 'appid contains a control character'],
    ['tet\u200Bris', 'appid contains an invisible format character (U+200B)'],
    ['a\u200Db', 'appid contains an invisible format character (U+200D)'],
    ['a\u202Eb', 'appid contains an invisible format character (U+202E)'],
    ['a\u2066b\u2069', 'appid contains an invisible format character (U+2066)'],
    ['\uFEFFbom', 'appid contains an invisible format character (U+FEFF)'],
    [
      'soft\u00ADhyphen',
      'appid contains an invisible format character (U+00AD)',
    ],
    ['a\u061Cb', 'appid contains an invisible format character (U+061C)'],
    ['tag\u{E0041}', 'appid contains an invisible format character (U+E0041)'],
    ['LS\ud800x', 'appid is not well-formed Unicode (lone surrogate U+D800)'],
    ['LS\udc00', 'appid is not well-formed Unicode (lone surrogate U+DC00)'],
    ['\ud83d', 'appid is not well-formed Unicode (lone surrogate U+D83D)'],
  ])('refuses %j', (id, message) => {
    expect(() => validateAppId(id, 256)).toThrow(message);
  });

  it('accepts surrogate pairs and visible joiners of scripts', () => {
    expect(validateAppId('😀-\u{1F469}\u{1F3FD}', 256)).toBe(
      '😀-\u{1F469}\u{1F3FD}',
    );
    expect(validateAppId('日本語-ελληνικά', 256)).toBe('日本語-ελληνικά');
  });
});

describe('appIdFromBody', () => {
  it.each([
    [undefined, undefined, undefined],
    [null, undefined, undefined],
    ['', 'text/plain', undefined],
    [{}, undefined, undefined],
    [{ appid: 'Py' }, 'application/x-www-form-urlencoded', 'Py'],
    [{ appid: 'Sh' }, 'application/json', 'Sh'],
    ['appid=Py+App&x=1', 'application/x-www-form-urlencoded', 'Py App'],
    ['appid=a%26b', 'application/x-www-form-urlencoded', 'a&b'],
    ['{"appid":"Sh"}', 'application/json', 'Sh'],
    ['{"appid":"Sh"}', 'text/plain;charset=UTF-8', 'Sh'],
    ['appid=Beacon', 'text/plain;charset=UTF-8', 'Beacon'],
    ['[1,2]', 'application/json', undefined],
    [new TextEncoder().encode('appid=Bytes'), undefined, 'Bytes'],
  ])('%j (%s) -> %j', (body, contentType, appId) => {
    expect(appIdFromBody(body, contentType)).toBe(appId);
  });

  describe('a form a parser already decoded', () => {
    const form = 'application/x-www-form-urlencoded';

    it('takes the first of a repeated appid', () => {
      expect(appIdFromBody({ appid: ['first', 'second'] }, form)).toBe('first');
    });

    it.each(['%ZZ', 'caf%C3', '100%'])(
      'refuses %j, which the client sent malformed or which cannot be told from it',
      (value) => {
        expect(() => appIdFromBody({ appid: value }, form)).toThrow(
          `malformed percent-encoding in [${value}]`,
        );
      },
    );

    it('accepts a value that is itself valid percent-encoding (sent as %2541)', () => {
      expect(appIdFromBody({ appid: '%41' }, form)).toBe('%41');
    });

    it('reads a JSON value as it is: JSON has no percent-encoding', () => {
      expect(appIdFromBody({ appid: '%ZZ' }, 'application/json')).toBe('%ZZ');
      expect(appIdFromBody({ appid: ['a'] }, 'application/json')).toEqual([
        'a',
      ]);
    });
  });

  it('reads a raw form with a repeated appid as the query is read: the first', () => {
    expect(appIdFromBody('appid=a&appid=b', form())).toBe('a');
  });

  it('returns non-string appid values for validation to refuse', () => {
    expect(appIdFromBody({ appid: 7 })).toBe(7);
  });

  it('refuses a malformed JSON body', () => {
    expect(() => appIdFromBody('{"appid":', 'application/json')).toThrow(
      'malformed JSON body',
    );
  });
});

describe('parseProtocolRequest', () => {
  it('takes TIMEOUT from the query and appid from the query first', () => {
    expect(
      parseProtocolRequest(
        { query: '300&appid=query', body: { appid: 'body' } },
        limits,
      ),
    ).toEqual({ timeoutMs: 300, appId: 'query' });
  });

  it('falls back to the body when the query has no appid', () => {
    expect(
      parseProtocolRequest({ query: '300', body: { appid: 'body' } }, limits),
    ).toEqual({ timeoutMs: 300, appId: 'body' });
  });

  it('treats a missing TIMEOUT as 0', () => {
    expect(parseProtocolRequest({ query: 'appid=x' }, limits)).toEqual({
      timeoutMs: 0,
      appId: 'x',
    });
  });

  it('refuses a request without an appid anywhere', () => {
    expect(() => parseProtocolRequest({ query: '300' }, limits)).toThrow(
      'missing appid',
    );
  });

  it('an empty appid in the query wins over the body and is refused', () => {
    expect(() =>
      parseProtocolRequest({ query: '3&appid=', body: { appid: 'b' } }, limits),
    ).toThrow('empty appid');
  });
});

describe('parseMonitorAppId', () => {
  it.each([
    ['', undefined],
    ['0', undefined],
    ['appid=Zelda', 'Zelda'],
    ['0&appid=Zelda', 'Zelda'],
  ])('%j -> %j', (query, appId) => {
    expect(parseMonitorAppId(query, limits)).toBe(appId);
  });

  it('validates the ID', () => {
    expect(() => parseMonitorAppId('appid=a%0Ab', limits)).toThrow(
      'control character',
    );
  });
});

describe('assertMethod', () => {
  it('accepts listed methods in any case', () => {
    expect(() => assertMethod('get', ['GET', 'POST'])).not.toThrow();
  });

  it('refuses others with a method error carrying Allow', () => {
    expect(() => assertMethod('PUT', ['GET', 'POST'])).toThrow(
      'method PUT not allowed, use GET or POST',
    );
    try {
      assertMethod('DELETE', ['GET', 'HEAD']);
    } catch (error) {
      expect(error).toMatchObject({ kind: 'method', allow: ['GET', 'HEAD'] });
    }
  });
});
