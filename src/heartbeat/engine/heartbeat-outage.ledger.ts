/**
 * The most outages remembered. Beyond it the oldest is forgotten: a record last seen before the
 * 64th-latest outage is then judged without the credit of the older ones.
 * @internal
 */
export const MAX_REMEMBERED_OUTAGES = 64;

/**
 * The periods during which the store refused to record heartbeats, so that no application is
 * judged late for them.
 *
 * While the store refuses writes (Redis out of memory, a read-only replica after a failover,
 * Redis unreachable), clients keep pinging and get 503: their last-seen times stand still in the
 * store although they are alive. Judging them by the wall clock would page for every application
 * at once. Instead lateness is measured in *recorded time*: the time during which heartbeats could
 * be recorded. A record last seen at `L` is credited with the refused time between `L` and now,
 *
 *     od = (now - L - credit(L, now)) / T
 *
 * so during an outage every application's lateness stands still, and afterwards each one resumes
 * where it was. Nothing is written back to the store: no record is re-stamped, the credit is
 * applied when a record is evaluated, at the cost of a binary search over the few outages kept
 * (and nothing at all while there has been none).
 *
 * An outage is forgotten once no live record can still need it: a record last seen before its
 * end is dead once `now - end - credit >= drop * (maxTimeoutMs + tolerance)`, whatever its own
 * TIMEOUT, and stays dead.
 *
 * @internal
 */
export class HeartbeatOutageLedger {
  /** Closed outages, oldest first: `[starts[i], ends[i])`. */
  private starts: number[] = [];
  private ends: number[] = [];
  /** Total duration of the closed outages before outage `i`. */
  private before: number[] = [];
  /** Start of the outage in progress. */
  private openSince: number | undefined;
  /** Total duration of the outages forgotten so far (they still count in recorded time). */
  private forgottenMs = 0;

  /** Whether the store is refusing heartbeats now (an outage is in progress). */
  get open(): boolean {
    return this.openSince !== undefined;
  }

  /** Whether any outage is remembered (otherwise no record is credited anything). */
  get empty(): boolean {
    return this.openSince === undefined && this.starts.length === 0;
  }

  /** Starts an outage at `now`; returns `false` when one was already in progress. */
  begin(now: number): boolean {
    if (this.openSince !== undefined) return false;
    this.openSince = now;
    return true;
  }

  /**
   * Ends the outage in progress at `now` (the store recorded a heartbeat again) and returns its
   * duration; `undefined` when none was in progress.
   */
  end(now: number): number | undefined {
    const start = this.openSince;
    if (start === undefined) return undefined;
    this.openSince = undefined;
    const duration = Math.max(0, now - start);
    if (duration > 0) {
      const last = this.starts.length - 1;
      this.before.push(
        last < 0
          ? 0
          : this.before[last]! + this.ends[last]! - this.starts[last]!,
      );
      this.starts.push(start);
      this.ends.push(start + duration);
      if (this.starts.length > MAX_REMEMBERED_OUTAGES) this.forgetOldest();
    }
    return duration;
  }

  /** The refused time between `lastSeen` and `now`: how much less late the record is. */
  credit(lastSeen: number, now: number): number {
    if (this.empty) return 0;
    return Math.max(
      0,
      this.refusedBefore(now, now) - this.refusedBefore(lastSeen, now),
    );
  }

  /**
   * `now` in recorded time: wall time minus every refused period so far, forgotten ones
   * included, so it never jumps. Records' deadlines are written and compared in it: a deadline
   * written before an outage then comes later by the outage's length, one written after it does
   * not, with no record re-stamped. Equal to `now` while no outage ever happened.
   */
  recordedTime(now: number): number {
    if (this.empty && this.forgottenMs === 0) return now;
    return now - this.forgottenMs - this.refusedBefore(now, now);
  }

  /** The largest credit any record can have at `now`: every refused period remembered. */
  maxCredit(now: number): number {
    return this.empty ? 0 : this.refusedBefore(now, now);
  }

  /**
   * Forgets the outages no live record can still be credited for, given the longest time a
   * record may live without a heartbeat (`drop * (maxTimeoutMs + tolerance)`).
   */
  forget(now: number, horizonMs: number): void {
    while (
      this.ends.length > 0 &&
      now - this.ends[0]! - this.maxCredit(now) >= horizonMs
    ) {
      this.forgetOldest();
    }
  }

  /**
   * The ledger at `now`, for a state file: the forgotten total and the outages remembered, one in
   * progress ending at `now`.
   */
  snapshot(now: number): {
    forgottenMs: number;
    outages: Array<readonly [number, number]>;
  } {
    const outages: Array<readonly [number, number]> = this.starts.map(
      (start, i) => [start, this.ends[i]!] as const,
    );
    if (this.openSince !== undefined && now > this.openSince) {
      outages.push([this.openSince, now]);
    }
    return { forgottenMs: this.forgottenMs, outages };
  }

  /**
   * Continues from a snapshot taken at `savedAt` (by a previous process) and counts the time
   * from `savedAt` to `now`, when this process was not running, as one more refused period:
   * heartbeats could not be recorded then either. Recorded time thus continues where it stood at
   * `savedAt`, so every deadline stored before the stop keeps exactly the time it had left, and
   * each record is credited with the downtime after its heartbeat. Replaces what the ledger held.
   */
  restore(
    snapshot: {
      readonly forgottenMs: number;
      readonly outages: ReadonlyArray<readonly [number, number]>;
    },
    savedAt: number,
    now: number,
  ): void {
    this.starts = [];
    this.ends = [];
    this.before = [];
    this.openSince = undefined;
    this.forgottenMs = snapshot.forgottenMs;
    for (const [start, end] of snapshot.outages) {
      this.begin(start);
      this.end(end);
    }
    // A clock that went backwards across the restart credits nothing (and takes nothing back).
    const last = this.ends.at(-1) ?? Number.NEGATIVE_INFINITY;
    this.begin(Math.max(savedAt, last));
    this.end(now);
  }

  /** Refused time before `t`; the outage in progress counts up to `now`. */
  private refusedBefore(t: number, now: number): number {
    // The last closed outage that started before t.
    let low = 0;
    let high = this.starts.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.starts[mid]! < t) low = mid + 1;
      else high = mid;
    }
    let total = 0;
    if (low > 0) {
      const k = low - 1;
      total = this.before[k]! + Math.min(t, this.ends[k]!) - this.starts[k]!;
    }
    if (this.openSince !== undefined && t > this.openSince) {
      total += Math.min(t, now) - this.openSince;
    }
    return total;
  }

  private forgetOldest(): void {
    const duration = this.ends[0]! - this.starts[0]!;
    this.forgottenMs += duration;
    this.starts.shift();
    this.ends.shift();
    this.before.shift();
    for (let i = 0; i < this.before.length; i++) this.before[i]! -= duration;
  }
}
