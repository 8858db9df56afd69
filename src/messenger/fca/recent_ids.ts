/**
 * A bounded set of recently seen ids (least recently seen evicted first).
 *
 * Messenger redelivers deltas after a reconnect, and fca may deliver a message twice when two
 * listeners briefly overlap; the session drops a message whose id it has just delivered. The
 * bound keeps memory flat for sessions that run for months.
 *
 * @module
 */

/** Remembers the last `capacity` ids. */
export class RecentIds {
  readonly #capacity: number;
  readonly #ids = new Set<string>();

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  /** Records `id`; returns false when it was already among the recent ones. */
  add(id: string): boolean {
    if (this.#ids.has(id)) {
      // Refresh: a Set iterates in insertion order, so re-inserting moves it to the end.
      this.#ids.delete(id);
      this.#ids.add(id);
      return false;
    }
    this.#ids.add(id);
    if (this.#ids.size > this.#capacity) {
      const oldest = this.#ids.values().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
    return true;
  }

  /** How many ids are remembered. */
  get size(): number {
    return this.#ids.size;
  }
}
