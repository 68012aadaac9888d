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
});
