import type { HeartbeatScheduler } from '../../src/heartbeat/client/index.js';

interface Task {
  readonly id: number;
  readonly due: number;
  readonly delayMs: number;
  readonly callback: () => void;
}

/**
 * A `HeartbeatScheduler` whose time only moves when a test says so: heartbeats and retries are
 * scheduled here and run by `runNext()` or `advance()`, never by the wall clock.
 */
export class ManualScheduler implements HeartbeatScheduler {
  #now = 0;
  #nextId = 1;
  #tasks: Task[] = [];

  setTimeout(callback: () => void, delayMs: number): number {
    const task = {
      id: this.#nextId++,
      due: this.#now + delayMs,
      delayMs,
      callback,
    };
    this.#tasks.push(task);
    return task.id;
  }

  clearTimeout(handle: unknown): void {
    this.#tasks = this.#tasks.filter((task) => task.id !== handle);
  }

  /** The delays of the scheduled tasks, in the order they were scheduled. */
  get pending(): number[] {
    return this.#tasks.map((task) => task.delayMs);
  }

  /** Moves time to the earliest task and runs it; returns the delay it was scheduled with. */
  runNext(): number {
    const task = [...this.#tasks].sort((a, b) => a.due - b.due)[0];
    if (!task) throw new Error('nothing scheduled');
    this.#tasks = this.#tasks.filter((t) => t !== task);
    this.#now = task.due;
    task.callback();
    return task.delayMs;
  }

  /** Moves time forward, running every task that falls due on the way. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const task = [...this.#tasks]
        .filter((t) => t.due <= until)
        .sort((a, b) => a.due - b.due)[0];
      if (!task) break;
      this.#tasks = this.#tasks.filter((t) => t !== task);
      this.#now = task.due;
      task.callback();
    }
    this.#now = until;
  }
}
