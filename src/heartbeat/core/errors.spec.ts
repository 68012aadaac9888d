import { errorResponse, HeartbeatError } from './errors.js';

const limits = { maxBodyBytes: 16_384 };

describe('errorResponse', () => {
  it.each([
    [
      new HeartbeatError('invalid', 'missing appid'),
      400,
      'ERROR: missing appid',
    ],
    [
      new HeartbeatError('capacity', 'registry is full'),
      503,
      'ERROR: registry is full',
    ],
    [
      new HeartbeatError('unavailable', 'store unavailable'),
      503,
      'ERROR: store unavailable',
    ],
    [
      Object.assign(new Error('too large'), {
        status: 413,
        type: 'entity.too.large',
      }),
      413,
      'ERROR: request body exceeds 16384 bytes',
    ],
    [
      Object.assign(new Error('Unexpected token'), {
        statusCode: 400,
        type: 'entity.parse.failed',
      }),
      400,
      'ERROR: malformed JSON body',
    ],
    [
      Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }),
      415,
      'ERROR: Unsupported Media Type',
    ],
    [
      { getStatus: () => 403, message: 'x' },
      403,
      'ERROR: cannot process your request',
    ],
    [new Error('boom'), 500, 'ERROR: internal server error'],
    ['a string', 500, 'ERROR: internal server error'],
  ])('%o -> %d %s', (error, status, body) => {
    expect(errorResponse(error, limits)).toMatchObject({ status, body });
  });

  it('recognises a JSON parse failure wrapped by the platform', () => {
    const wrapped = Object.assign(new Error('Unexpected end of JSON input'), {
      getStatus: () => 400,
      cause: Object.assign(new SyntaxError('Unexpected end of JSON input'), {
        status: 400,
      }),
    });
    expect(errorResponse(wrapped, limits)).toEqual({
      status: 400,
      body: 'ERROR: malformed JSON body',
    });
  });

  it("recognises Fastify's JSON parse failure", () => {
    const error = Object.assign(new Error('Body is not valid JSON'), {
      statusCode: 400,
      code: 'FST_ERR_CTP_INVALID_JSON_BODY',
    });
    expect(errorResponse(error, limits).body).toBe(
      'ERROR: malformed JSON body',
    );
  });

  it('adds Allow for method errors', () => {
    expect(
      errorResponse(
        new HeartbeatError('method', 'no', ['GET', 'POST']),
        limits,
      ),
    ).toEqual({
      status: 405,
      body: 'ERROR: no',
      allow: 'GET, POST',
    });
  });

  it('keeps the body on one line', () => {
    const error = Object.assign(new Error('line one\nline two\r\n'), {
      status: 400,
    });
    expect(errorResponse(error, limits).body).toBe('ERROR: line one line two');
  });
});
