/**
 * What the session has learned about which threads are groups.
 *
 * fca names a 1:1 thread after the other person and a group after itself, and says `isGroup` only
 * on messages: a reaction or unsend by the account itself (from the official app) in a thread
 * never seen before cannot tell which it is. The session remembers every thread's kind it sees
 * (messages, thread lists, thread info) and looks the rest up, so no group event ever reaches
 * the gateway as a 1:1 chat. Bounded: sessions run for months.
 *
 * @module
 */

import type { ConversationKind } from "../events.ts";

/** How many threads' kinds are remembered by default. */
export const DEFAULT_REMEMBERED_THREADS = 10_000;

/** A bounded map from thread id to its kind (least recently learned forgotten first). */
export class ThreadKinds {
  readonly #kinds = new Map<string, ConversationKind>();
  readonly #capacity: number;

  constructor(capacity: number = DEFAULT_REMEMBERED_THREADS) {
    this.#capacity = Math.max(1, capacity);
  }

  /** The kind learned for `thread`, if any. */
  get(thread: string): ConversationKind | undefined {
    return this.#kinds.get(thread);
  }

  /** Records what was learned about `thread`. */
  learn(thread: string, kind: ConversationKind): void {
    this.#kinds.delete(thread);
    this.#kinds.set(thread, kind);
    if (this.#kinds.size > this.#capacity) {
      const oldest = this.#kinds.keys().next().value;
      if (oldest !== undefined) this.#kinds.delete(oldest);
    }
  }
}
