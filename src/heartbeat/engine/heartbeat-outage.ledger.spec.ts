import {
  HeartbeatOutageLedger,
  MAX_REMEMBERED_OUTAGES,
} from './heartbeat-outage.ledger.js';

describe('HeartbeatOutageLedger', () => {
  let ledger: HeartbeatOutageLedger;
  beforeEach(() => {
    ledger = new HeartbeatOutageLedger();
  });

  it('credits nothing while there has been no outage', () => {
    expect(ledger.empty).toBe(true);
    expect(ledger.credit(0, 1_000_000)).toBe(0);
    expect(ledger.maxCredit(1_000_000)).toBe(0);
  });

  it('stops lateness while an outage is in progress', () => {
    expect(ledger.begin(1000)).toBe(true);
    expect(ledger.begin(1500)).toBe(false); // one outage, not two
    expect(ledger.open).toBe(true);
    // Last seen at 400: 600 ms counted before the outage, nothing after.
    for (const now of [1000, 5000, 60_000]) {
      expect(now - 400 - ledger.credit(400, now)).toBe(600);
    }
  });

  it('credits a record with the refused time after its last heartbeat', () => {
    ledger.begin(1000);
    expect(ledger.end(4000)).toBe(3000);
    expect(ledger.open).toBe(false);
    expect(ledger.credit(500, 10_000)).toBe(3000); // seen before: all of it
    expect(ledger.credit(2500, 10_000)).toBe(1500); // seen during: the rest of it
    expect(ledger.credit(4000, 10_000)).toBe(0); // seen after: none
    expect(ledger.credit(500, 2000)).toBe(1000); // asked during: what has passed
  });

  it('adds up several outages', () => {
    ledger.begin(1000);
    ledger.end(2000);
    ledger.begin(5000);
    ledger.end(5500);
    ledger.begin(9000); // in progress
    expect(ledger.credit(0, 9300)).toBe(1000 + 500 + 300);
    expect(ledger.credit(3000, 9300)).toBe(500 + 300);
    expect(ledger.credit(5200, 9300)).toBe(300 + 300);
    expect(ledger.maxCredit(9300)).toBe(1800);
  });

  it('gives recorded time: wall time minus every refused period, forgotten ones included', () => {
    expect(ledger.recordedTime(5000)).toBe(5000);
    ledger.begin(1000);
    ledger.end(4000);
    expect(ledger.recordedTime(10_000)).toBe(7000);
    ledger.begin(12_000); // in progress: recorded time stands still
    expect(ledger.recordedTime(13_000)).toBe(9000);
    expect(ledger.recordedTime(20_000)).toBe(9000);
    ledger.end(20_000);
    // Forgetting the first outage changes no recorded time, so stored deadlines stay valid.
    const before = ledger.recordedTime(1_000_000);
    ledger.forget(1_000_000, 100_000);
    expect(ledger.maxCredit(1_000_000)).toBe(0);
    expect(ledger.recordedTime(1_000_000)).toBe(before);
  });

  it('remembers nothing of an outage that ended as it began', () => {
    ledger.begin(1000);
    expect(ledger.end(1000)).toBe(0);
    expect(ledger.empty).toBe(true);
    expect(ledger.end(2000)).toBeUndefined();
  });

  it('forgets an outage once no live record can still need it', () => {
    ledger.begin(1000);
    ledger.end(2000);
    // A record last seen before 2000 lives at most 10 000 ms of recorded time: until 13 000.
    ledger.forget(12_999, 10_000);
    expect(ledger.credit(0, 12_999)).toBe(1000);
    ledger.forget(13_000, 10_000);
    expect(ledger.empty).toBe(true);
  });

  it('keeps the outage in progress, whatever its age', () => {
    ledger.begin(0);
    ledger.forget(1_000_000, 10);
    expect(ledger.open).toBe(true);
  });

  it(`remembers at most ${MAX_REMEMBERED_OUTAGES} outages, the latest`, () => {
    for (let i = 0; i <= MAX_REMEMBERED_OUTAGES; i++) {
      ledger.begin(i * 100);
      ledger.end(i * 100 + 10);
    }
    const now = MAX_REMEMBERED_OUTAGES * 100 + 50;
    expect(ledger.maxCredit(now)).toBe(MAX_REMEMBERED_OUTAGES * 10);
    expect(ledger.credit(100, now)).toBe(MAX_REMEMBERED_OUTAGES * 10);
  });
  it('continues from a snapshot with the downtime as one more refused period', () => {
    ledger.begin(1000);
    ledger.end(2000);
    ledger.begin(5000); // still open when the snapshot is taken at 6000
    const snapshot = ledger.snapshot(6000);
    expect(snapshot).toEqual({
      forgottenMs: 0,
      outages: [
        [1000, 2000],
        [5000, 6000],
      ],
    });
    const restored = new HeartbeatOutageLedger();
    restored.restore(snapshot, 6000, 106_000); // down from 6000 to 106000
    // Recorded time continues where it stood at the snapshot: 6000 - 2000 refused.
    expect(restored.recordedTime(106_000)).toBe(ledger.recordedTime(6000));
    expect(restored.recordedTime(106_500)).toBe(4500);
    expect(restored.open).toBe(false);
    // A record seen at 500 is credited every refused period after it, the downtime included.
    expect(restored.credit(500, 106_500)).toBe(1000 + 1000 + 100_000);
    expect(restored.credit(5500, 106_500)).toBe(500 + 100_000);
  });

  it('credits nothing for a clock that went backwards across the restart', () => {
    const restored = new HeartbeatOutageLedger();
    restored.restore({ forgottenMs: 250, outages: [] }, 10_000, 9000);
    expect(restored.empty).toBe(true);
    expect(restored.recordedTime(9000)).toBe(8750);
  });
});
