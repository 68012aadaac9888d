import {
  formatAppStatusLine,
  formatList,
  formatMultipleAppsLine,
  formatUnknownAppLine,
  nagiosExitCode,
  nagiosSafeId,
  NO_CLIENTS_LINE,
  performanceData,
} from './nagios.js';
import type { HeartbeatAppStatus, HeartbeatState } from './status.js';

const thresholds = { warnThreshold: 3, critThreshold: 5, dropThreshold: 6 };

function status(
  appId: string,
  state: HeartbeatState,
  od: number,
  delayMs: number,
): HeartbeatAppStatus {
  return {
    appId,
    state,
    od,
    delayMs,
    lastSeen: 0,
    registeredAt: 0,
    warnAt: 0,
    critAt: 0,
    expiresAt: 0,
    paused: false,
  };
}

describe('formatAppStatusLine', () => {
  it.each([
    [
      status('Tetris', 'OK', 1.83, 2725),
      'OK - fine application [Tetris]| od=1.83;3;5;0;6 delay=2725ms;;;',
    ],
    [
      status('Zelda', 'OK', 2.1549, 2754),
      'OK - fine application [Zelda]| od=2.15;3;5;0;6 delay=2754ms;;;',
    ],
    [
      status('Tetris', 'WARNING', 3.83, 2850),
      'WARNING - somewhat late application [Tetris]| od=3.83;3;5;0;6 delay=2850ms;;;',
    ],
    [
      status('Tetris', 'CRITICAL', 5.07, 2850),
      'CRITICAL - quite late application [Tetris]| od=5.07;3;5;0;6 delay=2850ms;;;',
    ],
    [
      status('x', 'OK', 0, 1000),
      'OK - fine application [x]| od=0.00;3;5;0;6 delay=1000ms;;;',
    ],
    [
      status('x', 'CRITICAL', 5.999, 1000),
      'CRITICAL - quite late application [x]| od=6.00;3;5;0;6 delay=1000ms;;;',
    ],
  ])('%o', (input, line) => {
    expect(formatAppStatusLine(input, thresholds)).toBe(line);
  });

  it('prints configured thresholds as given', () => {
    expect(
      performanceData(
        { od: 1, delayMs: 10 },
        { warnThreshold: 2.5, critThreshold: 4, dropThreshold: 4 },
      ),
    ).toBe('od=1.00;2.5;4;0;4 delay=10ms;;;');
  });

  it('keeps | in an ID from breaking the line or its performance data', () => {
    const line = formatAppStatusLine(
      status('a|b||c', 'OK', 1, 1000),
      thresholds,
    );
    expect(line).toBe(
      'OK - fine application [a%7Cb%7C%7Cc]| od=1.00;3;5;0;6 delay=1000ms;;;',
    );
    expect(line.indexOf('|')).toBe(line.lastIndexOf('|'));
    expect(line.split('|')[1]).toBe(' od=1.00;3;5;0;6 delay=1000ms;;;');
  });
});

describe('host and unknown lines', () => {
  it('no applications', () => {
    expect(NO_CLIENTS_LINE).toBe(
      'UNKNOWN - no heartbeat clients at the moment...',
    );
  });

  it('several applications', () => {
    expect(formatMultipleAppsLine(['Tetris', 'Zelda', 'Sonic'])).toBe(
      'WARNING - multiple (3) applications: [Tetris,Zelda,Sonic]',
    );
    expect(formatMultipleAppsLine(['a|b', 'c'])).toBe(
      'WARNING - multiple (2) applications: [a%7Cb,c]',
    );
  });

  it('more applications than named: the count, the names, and how many more', () => {
    expect(formatMultipleAppsLine(['a', 'b'], 100_000)).toBe(
      'WARNING - multiple (100000) applications: [a,b] and 99998 more',
    );
    expect(formatMultipleAppsLine([], 7)).toBe(
      'WARNING - multiple (7) applications: [] and 7 more',
    );
    expect(nagiosExitCode(formatMultipleAppsLine(['a'], 2))).toBe(1);
  });

  it('unknown ID', () => {
    expect(formatUnknownAppLine('Tetris')).toBe(
      'CRITICAL - no application record for queried ID: [Tetris]',
    );
    expect(formatUnknownAppLine('x|y')).toBe(
      'CRITICAL - no application record for queried ID: [x%7Cy]',
    );
  });
});

describe('formatList', () => {
  it.each([
    [[], ''],
    [['Tetris'], 'Tetris\n'],
    [['Sonic', 'Zelda', 'Tetris'], 'Sonic\nZelda\nTetris\n'],
  ])('%j', (ids, body) => {
    expect(formatList(ids)).toBe(body);
  });
});

describe('nagiosSafeId', () => {
  it('leaves ordinary IDs untouched', () => {
    expect(nagiosSafeId('web-01 [eu]')).toBe('web-01 [eu]');
  });
});

describe('nagiosExitCode', () => {
  it.each([
    ['OK - fine application [x]| od=0.00;3;5;0;6 delay=1000ms;;;', 0],
    ['WARNING - multiple (2) applications: [a,b]', 1],
    ['CRITICAL - no application record for queried ID: [x]', 2],
    ['UNKNOWN - no heartbeat clients at the moment...', 3],
    ['ERROR: store unavailable', 3],
    ['', 3],
    ['ok - lowercase', 3],
  ])('%j -> %d', (line, code) => {
    expect(nagiosExitCode(line)).toBe(code);
  });
});
