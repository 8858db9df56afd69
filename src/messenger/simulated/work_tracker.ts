/**
 * Background work of the simulated network (event deliveries, echo replies, reconnections):
 * scheduled here so that tests can wait until the network is quiet and `close()` can cancel every
 * timer (Deno's test sanitizers fail on leaked timers).
 *
 * @module
 */

import { messengerLog } from "../../log.ts";

/** Schedules tracked work and tells when none is pending. */
export class WorkTracker {
  #pending = 0;
  #closed = false;
  readonly #timers = new Set<number>();
  #waiters: (() => void)[] = [];

  /** Runs `task` after `delayMs` (0: the next macrotask). Ignored after {@link close}. */
  schedule(task: () => void, delayMs = 0): void {
    if (this.#closed) return;
    this.#pending += 1;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      try {
        task();
      } catch (error) {
        messengerLog.error("Simulated network background task failed: {error}", { error });
      } finally {
        this.#finish();
      }
    }, delayMs);
    this.#timers.add(timer);
  }

  /** Resolves once no scheduled work is pending (work scheduled by work counts too). */
  idle(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Cancels every pending timer; later {@link schedule} calls do nothing. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#pending = 0;
    this.#wakeWaiters();
  }

  #finish(): void {
    this.#pending -= 1;
    if (this.#pending === 0) this.#wakeWaiters();
  }

  #wakeWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
