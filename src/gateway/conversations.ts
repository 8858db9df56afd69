/**
 * A user's open conversations, owned by their session: the one place a conversation object is
 * found or made, so both directions of one chat always share one queue and one state.
 *
 * Bounded: conversations come from remote thread ids (strangers' message requests included), so
 * beyond {@link DEFAULT_OPEN_CONVERSATIONS} the least recently used idle one is dropped (it holds
 * only a little state; a later message opens it again).
 *
 * @module
 */

import type { ConversationRef } from "../messenger/events.ts";
import type { ThreadId } from "../messenger/ids.ts";
import { Conversation, type ConversationOwner, type QueueSettings } from "./conversation.ts";

/** How many conversations a user keeps open at most by default. */
export const DEFAULT_OPEN_CONVERSATIONS = 2_000;

/** One user's conversations. */
export class Conversations {
  readonly #owner: ConversationOwner;
  readonly #queue: QueueSettings;
  readonly #limit: number;
  readonly #open = new Map<ThreadId, Conversation>();

  constructor(
    owner: ConversationOwner,
    queue: QueueSettings,
    limit: number = DEFAULT_OPEN_CONVERSATIONS,
  ) {
    this.#owner = owner;
    this.#queue = queue;
    this.#limit = Math.max(1, limit);
  }

  /**
   * The conversation of `ref.thread`, made if needed. When Messenger names it with another
   * kind than first thought, the conversation takes that kind.
   */
  open(ref: ConversationRef): Conversation {
    let conversation = this.#open.get(ref.thread);
    if (conversation === undefined) {
      conversation = new Conversation(ref, this.#owner, this.#queue);
      this.#evictBeyond(this.#limit - 1);
    } else {
      this.#open.delete(ref.thread); // re-inserted below: most recently used last
      if (conversation.kind !== ref.kind) conversation.reclassify(ref.kind);
    }
    this.#open.set(ref.thread, conversation);
    return conversation;
  }

  /** The open conversation of a thread, if any. */
  get(thread: ThreadId): Conversation | undefined {
    return this.#open.get(thread);
  }

  /** Every open conversation. */
  all(): Conversation[] {
    return [...this.#open.values()];
  }

  /** How many are open. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * Closes every conversation: waiting work is dropped and running work is waited for (each up
   * to `drainMs`). Resolves false if some was still running. Nothing is kept afterwards.
   */
  async closeAll(reason: string, drainMs: number): Promise<boolean> {
    const open = [...this.#open.values()];
    this.#open.clear();
    const drained = await Promise.all(
      open.map((conversation) => conversation.close(reason, drainMs)),
    );
    return drained.every(Boolean);
  }

  /** Waits (up to `timeoutMs`) until no conversation has work; false if some still had. */
  async idle(timeoutMs: number): Promise<boolean> {
    const results = await Promise.all(
      [...this.#open.values()].map((conversation) => conversation.queue.idle(timeoutMs)),
    );
    return results.every(Boolean);
  }

  #evictBeyond(size: number): void {
    if (this.#open.size <= size) return;
    for (const [thread, conversation] of this.#open) {
      if (this.#open.size <= size) return;
      if (conversation.queue.idleNow) this.#open.delete(thread);
    }
  }
}
