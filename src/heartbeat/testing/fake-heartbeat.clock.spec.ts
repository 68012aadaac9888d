import { FakeHeartbeatClock } from './fake-heartbeat.clock.js';

describe('FakeHeartbeatClock', () => {
  it('fires timers in order, each at its own time, as advance() passes them', () => {
    const clock = new FakeHeartbeatClock(1000);
    const fired: Array<[string, number]> = [];
    clock.setTimer(() => fired.push(['b', clock.now()]), 200);
    clock.setTimer(() => {
      fired.push(['a', clock.now()]);
      // Set while advancing, and due within the same advance: fires too.
      clock.setTimer(() => fired.push(['c', clock.now()]), 50);
    }, 100);
    const cancelled = clock.setTimer(() => fired.push(['x', clock.now()]), 150);
    cancelled();
    expect(clock.advance(99)).toBe(1099);
    expect(fired).toEqual([]);
    expect(clock.advance(400)).toBe(1499);
    expect(fired).toEqual([
      ['a', 1100],
      ['c', 1150],
      ['b', 1200],
    ]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('set() forward fires what comes due; backwards fires nothing', () => {
    const clock = new FakeHeartbeatClock(0);
    const fired = vi.fn();
    clock.setTimer(fired, 10);
    clock.set(-5);
    expect(fired).not.toHaveBeenCalled();
    clock.set(100);
    expect(fired).toHaveBeenCalledTimes(1);
  });
});
