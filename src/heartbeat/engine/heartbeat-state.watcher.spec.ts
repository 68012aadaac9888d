import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import { HeartbeatStateWatcher } from './heartbeat-state.watcher.js';

const thresholds = { warnThreshold: 3, critThreshold: 5, dropThreshold: 6 };

function record(lastSeen: number, delayMs = 1000): HeartbeatRecord {
  return {
    appId: 'app',
    lastSeen,
    delayMs,
    registeredAt: 0,
    warnAt: lastSeen + 3 * delayMs,
    critAt: lastSeen + 5 * delayMs,
    expiresAt: lastSeen + 6 * delayMs,
  };
}

const steps = (transitions: Array<{ from: string; to: string }>) =>
  transitions.map((t) => `${t.from}->${t.to}`);

describe('HeartbeatStateWatcher', () => {
  it('is due exactly at each threshold', () => {
    const watcher = new HeartbeatStateWatcher(thresholds);
    watcher.beat(record(0));
    expect(watcher.dueAt(2999, 10)).toEqual([]);
    expect(watcher.dueAt(3000, 10)).toEqual(['app']);
    expect(steps(watcher.advance('app', record(0), 3000))).toEqual([
      'OK->WARNING',
    ]);
    expect(watcher.dueAt(4999, 10)).toEqual([]);
    expect(steps(watcher.advance('app', record(0), 5000))).toEqual([
      'WARNING->CRITICAL',
    ]);
    expect(watcher.dueAt(5999, 10)).toEqual([]);
    expect(watcher.dueAt(6000, 10)).toEqual(['app']);
  });

  it('reports a recovery seen only in the store (a heartbeat another replica received)', () => {
    const watcher = new HeartbeatStateWatcher(thresholds);
    watcher.beat(record(0));
    watcher.advance('app', record(0), 4000); // WARNING
    expect(steps(watcher.advance('app', record(3900), 4000))).toEqual([
      'WARNING->OK',
    ]);
    expect(watcher.dueAt(6899, 10)).toEqual([]);
    expect(watcher.dueAt(6900, 10)).toEqual(['app']);
  });

  it('forgets an app whose record is gone', () => {
    const watcher = new HeartbeatStateWatcher(thresholds);
    watcher.beat(record(0));
    watcher.advance('app', record(0), 5000); // CRITICAL
    expect(watcher.advance('app', undefined, 6000)).toEqual([]);
    expect(watcher.size).toBe(0);
  });

  it('reports the way back to OK on a heartbeat', () => {
    const watcher = new HeartbeatStateWatcher(thresholds);
    watcher.beat(record(0));
    watcher.advance('app', record(0), 3000);
    expect(watcher.beat(record(3500))).toMatchObject({
      from: 'WARNING',
      to: 'OK',
    });
    expect(watcher.beat(record(3600))).toBeUndefined();
  });

  it('ignores a record read before a heartbeat it has already seen', () => {
    const watcher = new HeartbeatStateWatcher(thresholds);
    watcher.beat(record(0));
    watcher.beat(record(2900)); // arrived while the expiry task was reading record(0)
    expect(watcher.advance('app', record(0), 3000)).toEqual([]);
    expect(watcher.dueAt(5899, 10)).toEqual([]);
    expect(watcher.dueAt(5900, 10)).toEqual(['app']);
  });

  it('seeds an app with its state at a given time, leaving known apps alone', () => {
    const watcher = new HeartbeatStateWatcher(thresholds);
    watcher.seed(record(0), 4000); // WARNING already: the baseline, not a change
    expect(watcher.dueAt(4999, 10)).toEqual([]);
    expect(steps(watcher.advance('app', record(0), 5000))).toEqual([
      'WARNING->CRITICAL',
    ]);
    watcher.seed(record(0), 0); // known: no reset to OK
    expect(watcher.advance('app', record(0), 5500)).toEqual([]);
    expect(watcher.size).toBe(1);
  });
});
