/**
 * What the session has learned about which threads are groups.
 *
 * fca names a 1:1 thread after the other person and a group after itself, and says `isGroup` only
 * on messages: a reaction or unsend by the account itself (from the official app) in a thread
 * never seen before cannot tell which it is. The session remembers every thread's kind it sees
 * and looks the rest up, so no group event ever reaches the gateway as a 1:1 chat. What Messenger
 * named itself (a raw delta's thread key, a typing topic, a thread list) is *exact* and is never
 * overwritten by what an event only suggests. Bounded: sessions run for months.
 *
 * @module
 */

import type { ConversationKind } from "../events.ts";

/** How many threads' kinds are remembered by default. */
export const DEFAULT_REMEMBERED_THREADS = 10_000;

/** A bounded map from thread id to its kind (least recently learned forgotten first). */
export class ThreadKinds {
  readonly #kinds = new Map<string, { kind: ConversationKind; exact: boolean }>();
  readonly #capacity: number;

  constructor(capacity: number = DEFAULT_REMEMBERED_THREADS) {
    this.#capacity = Math.max(1, capacity);
  }

  /** The kind learned for `thread`, if any. */
  get(thread: string): ConversationKind | undefined {
    return this.#kinds.get(thread)?.kind;
  }

  /** The kind Messenger named exactly for `thread`, if any. */
  exact(thread: string): ConversationKind | undefined {
    const known = this.#kinds.get(thread);
    return known?.exact === true ? known.kind : undefined;
  }

  /** Records what was learned about `thread`; an exact kind is kept over a suggested one. */
  learn(thread: string, kind: ConversationKind, exact = false): void {
    const known = this.#kinds.get(thread);
    if (known?.exact === true && !exact) kind = known.kind;
    this.#kinds.delete(thread);
    this.#kinds.set(thread, { kind, exact: exact || known?.exact === true });
    if (this.#kinds.size > this.#capacity) {
      const oldest = this.#kinds.keys().next().value;
      if (oldest !== undefined) this.#kinds.delete(oldest);
    }
  }
}
