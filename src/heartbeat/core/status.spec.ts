import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import {
  dropDeadline,
  evaluateRecord,
  overdueRatio,
  stateAt,
  stateDeadlines,
  stateOf,
  type HeartbeatThresholds,
} from './status.js';

const thresholds = { warnThreshold: 3, critThreshold: 5, dropThreshold: 6 };
const T = 2000;

function recordAt(
  lastSeen: number,
  delayMs = T,
  limits: HeartbeatThresholds = thresholds,
): HeartbeatRecord {
  return {
    appId: 'Tetris',
    lastSeen,
    delayMs,
    registeredAt: lastSeen,
    ...stateDeadlines(lastSeen, delayMs, limits),
  };
}

describe('overdueRatio', () => {
  it.each([
    [0, 0],
    [1000, 0.5],
    [6000, 3],
    [12_000, 6],
  ])('%d ms after the last beat with T=2000 -> %d', (elapsed, od) => {
    expect(overdueRatio(recordAt(0), elapsed)).toBe(od);
  });

  it('treats a clock stepping backwards as not late', () => {
    expect(overdueRatio(recordAt(10_000), 9_000)).toBe(0);
  });

  it('handles T = 0 (zero tolerance and TIMEOUT)', () => {
    expect(overdueRatio(recordAt(0, 0), 0)).toBe(0);
    expect(overdueRatio(recordAt(0, 0), 1)).toBe(Infinity);
  });
});

describe('stateOf at the edges', () => {
  it.each([
    [0, 'OK'],
    [2.999, 'OK'],
    [3, 'WARNING'],
    [4.999, 'WARNING'],
    [5, 'CRITICAL'],
    [5.999, 'CRITICAL'],
  ] as const)('od=%d -> %s', (od, state) => {
    expect(stateOf(od, thresholds)).toBe(state);
  });
});

describe('evaluateRecord', () => {
  it.each([
    [5_999, 'OK'],
    [6_000, 'WARNING'],
    [9_999, 'WARNING'],
    [10_000, 'CRITICAL'],
    [11_999, 'CRITICAL'],
  ] as const)('%d ms after the beat -> %s', (elapsed, state) => {
    expect(evaluateRecord(recordAt(0), elapsed, thresholds)?.state).toBe(state);
  });

  it('drops a record exactly at od = 6, independent of any sweep', () => {
    expect(evaluateRecord(recordAt(0), 11_999, thresholds)).toBeDefined();
    expect(evaluateRecord(recordAt(0), 12_000, thresholds)).toBeUndefined();
    expect(evaluateRecord(recordAt(0), 1e12, thresholds)).toBeUndefined();
  });

  it('returns the record fields with od and state, nothing else', () => {
    expect(evaluateRecord(recordAt(1000), 2000, thresholds)).toEqual({
      appId: 'Tetris',
      lastSeen: 1000,
      delayMs: T,
      registeredAt: 1000,
      warnAt: 7000,
      critAt: 11_000,
      expiresAt: 13_000,
      od: 0.5,
      state: 'OK',
      paused: false,
    });
  });

  it('honours custom thresholds', () => {
    const custom = { warnThreshold: 1.5, critThreshold: 2, dropThreshold: 2 };
    const record = recordAt(0, 1000, custom);
    expect(evaluateRecord(record, 1499, custom)?.state).toBe('OK');
    expect(evaluateRecord(record, 1500, custom)?.state).toBe('WARNING');
    expect(evaluateRecord(record, 2000, custom)).toBeUndefined();
  });
});

describe('dropDeadline', () => {
  it('is lastSeen + drop * T, agreeing with the od rule', () => {
    const record = recordAt(500);
    expect(record.expiresAt).toBe(12_500);
    expect(evaluateRecord(record, record.expiresAt - 1, thresholds)).toBeDefined();
    expect(evaluateRecord(record, record.expiresAt, thresholds)).toBeUndefined();
  });

  it('rounds up for fractional thresholds so the index never drops early', () => {
    expect(dropDeadline(0, 1001, { dropThreshold: 2.5 })).toBe(2503);
  });
});

describe('stateDeadlines and stateAt', () => {
  it('put each deadline where od reaches its threshold, for integer times', () => {
    for (const delayMs of [1, 999, 1000, 2725, 86_401_000]) {
      const deadlines = stateDeadlines(5000, delayMs, thresholds);
      for (const [at, threshold] of [
        [deadlines.warnAt, 3],
        [deadlines.critAt, 5],
        [deadlines.expiresAt, 6],
      ] as const) {
        expect(
          overdueRatio(recordAt(5000, delayMs), at),
        ).toBeGreaterThanOrEqual(threshold);
        expect(overdueRatio(recordAt(5000, delayMs), at - 1)).toBeLessThan(
          threshold,
        );
      }
    }
  });

  it('decide the state by the deadlines alone', () => {
    const deadlines = { warnAt: 10, critAt: 20, expiresAt: 30 };
    expect(
      [9, 10, 19, 20, 29, 30].map((now) => stateAt(deadlines, now)),
    ).toEqual(['OK', 'WARNING', 'WARNING', 'CRITICAL', 'CRITICAL', undefined]);
  });

  it('round fractional products up, like the drop deadline', () => {
    expect(
      stateDeadlines(0, 1001, {
        warnThreshold: 1.5,
        critThreshold: 2.5,
        dropThreshold: 2.5,
      }),
    ).toEqual({ warnAt: 1502, critAt: 2503, expiresAt: 2503 });
  });
});
