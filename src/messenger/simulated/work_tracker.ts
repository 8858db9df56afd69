/**
 * Background work of the simulated network (event deliveries, echo replies, reconnections):
 * scheduled here so that tests can wait until the network is quiet and `close()` can cancel every
 * timer (Deno's test sanitizers fail on leaked timers).
 *
 * @module
 */

import { clearImmediate, setImmediate } from "node:timers";
import { messengerLog } from "../../log.ts";

/** What a piece of background work is, so a caller can wait for some kinds only. */
export type WorkKind = "delivery" | "echo" | "reconnect";

const ALL_KINDS: readonly WorkKind[] = ["delivery", "echo", "reconnect"];

/** Schedules tracked work and tells when none (of some kinds) is pending. */
export class WorkTracker {
  readonly #pending = new Map<WorkKind, number>(ALL_KINDS.map((kind) => [kind, 0]));
  #closed = false;
  readonly #timers = new Set<{ cancel(): void }>();
  #waiters: { kinds: readonly WorkKind[]; wake: () => void }[] = [];

  /**
   * Runs `task` after `delayMs` (0: the next turn of the event loop, through `setImmediate`:
   * a zero `setTimeout` costs about 2 ms in Deno, which would dominate every measurement of
   * the gateway made against this network). Ignored after {@link close}.
   */
  schedule(kind: WorkKind, task: () => void, delayMs = 0): void {
    if (this.#closed) return;
    this.#pending.set(kind, (this.#pending.get(kind) ?? 0) + 1);
    const run = () => {
      this.#timers.delete(handle);
      try {
        task();
      } catch (error) {
        messengerLog.error("Simulated network background task failed: {error}", { error });
      } finally {
        this.#pending.set(kind, (this.#pending.get(kind) ?? 1) - 1);
        this.#wakeWaiters();
      }
    };
    let handle: { cancel(): void };
    if (delayMs <= 0) {
      const immediate = setImmediate(run);
      handle = { cancel: () => clearImmediate(immediate) };
    } else {
      const timer = setTimeout(run, delayMs);
      handle = { cancel: () => clearTimeout(timer) };
    }
    this.#timers.add(handle);
  }

  /**
   * Resolves once no work of the given kinds (default: all) is pending; work scheduled by that
   * work counts too, so this also waits for what a delivery or an echo sets off.
   */
  idle(kinds: readonly WorkKind[] = ALL_KINDS): Promise<void> {
    if (this.#quiet(kinds)) return Promise.resolve();
    return new Promise((wake) => this.#waiters.push({ kinds, wake }));
  }

  /** Cancels every pending timer; later {@link schedule} calls do nothing. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) timer.cancel();
    this.#timers.clear();
    for (const kind of ALL_KINDS) this.#pending.set(kind, 0);
    this.#wakeWaiters();
  }

  #quiet(kinds: readonly WorkKind[]): boolean {
    return kinds.every((kind) => this.#pending.get(kind) === 0);
  }

  #wakeWaiters(): void {
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiting) {
      if (this.#quiet(waiter.kinds)) waiter.wake();
      else this.#waiters.push(waiter);
    }
  }
}
