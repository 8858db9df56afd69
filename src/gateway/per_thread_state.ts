/**
 * Small state kept per (user, conversation) beside the thread queues: the last message shown or
 * sent (read receipts point at it), the last typing notification.
 *
 * Why a class and not a plain Map: the keys come from remote conversation ids, so a wave of
 * strangers writing must not grow memory without bound (the entries set least recently go first),
 * and an unregistered user's entries must go with them (a re-registered user must not see a
 * receipt point at a message from before).
 *
 * @module
 */

import type { ThreadId } from "../messenger/ids.ts";
import { threadKey } from "./thread_queue.ts";

/** Entries kept at most by default, across all users. */
export const DEFAULT_PER_THREAD_LIMIT = 50_000;

/** A bounded map from (user, thread) to `V`. */
export class PerThreadState<V> {
  readonly #entries = new Map<string, V>();
  readonly #limit: number;

  constructor(limit: number = DEFAULT_PER_THREAD_LIMIT) {
    this.#limit = Math.max(1, limit);
  }

  get(user: string, thread: ThreadId): V | undefined {
    return this.#entries.get(threadKey(user, thread));
  }

  /** Sets the value; when over the limit, the entry set least recently is dropped. */
  set(user: string, thread: ThreadId, value: V): void {
    const key = threadKey(user, thread);
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.#limit) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }

  /** Drops every entry of `user` (unregistered). */
  forgetUser(user: string): void {
    const prefix = threadKey(user, "" as ThreadId);
    for (const key of [...this.#entries.keys()]) {
      if (key.startsWith(prefix)) this.#entries.delete(key);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
