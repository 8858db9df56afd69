/**
 * One conversation of one user — a direct chat with a contact or a group (a room on the XMPP
 * side) — as the gateway core keeps it (after mautrix bridgev2's `Portal` and slidge's
 * `Recipient`): its serial queue for both directions, the little state kept about it (what was
 * last shown and sent, typing, whether it was checked for a message request), the scope of its
 * message ids, and its own cleanup.
 *
 * Conversations belong to the user's session ({@link Conversations}); unregistering a user closes
 * them all, which is how everything kept about their chats is forgotten.
 *
 * @module
 */

import type { ConversationKind, ConversationRef } from "../messenger/events.ts";
import type { MessageId, ThreadId } from "../messenger/ids.ts";
import type { MessageLink, UserMessageIds } from "../store/message_ids.ts";
import type { RoomArchive } from "../store/room_archive.ts";
import { ConversationQueue, type ConversationQueueOptions } from "./conversation_queue.ts";

/** What a conversation needs from the session that owns it. */
export interface ConversationOwner {
  /** The user's bare JID. */
  readonly jid: string;
  /** The user's message id mapping (KV-backed, batched). */
  readonly ids: UserMessageIds;
  /** True once the session closed (unregistered, or the gateway stopping). */
  readonly closed: boolean;
  /** The archive of one of the user's rooms (groups only). */
  archiveOf(thread: ThreadId): RoomArchive;
  /**
   * Resolves once everything recorded so far (id links, seen marks, archived messages) is
   * committed to the store. What the gateway acknowledges — a delivery receipt, a room's
   * reflection of the user's message — waits for it, so a crash cannot lose what was acknowledged.
   */
  committed(): Promise<void>;
}

/** Options of a conversation's queue (bounds, timeout, error reporting). */
export type QueueSettings = Omit<ConversationQueueOptions, "onError"> & {
  onError: (error: unknown, conversation: Conversation) => void;
};

/** One user's conversation; see the module documentation. */
export class Conversation {
  readonly thread: ThreadId;
  #kind: ConversationKind;
  readonly owner: ConversationOwner;
  /** Both directions' work, in order. */
  readonly queue: ConversationQueue;
  /** The XMPP id of the last message shown to the user (their own reads point at it). */
  lastShown: string | undefined;
  /** The XMPP id of the last message the user sent (contacts' read receipts point at it). */
  lastSent: string | undefined;
  /** The last typing notice sent to Messenger (throttled). */
  lastTyping: { typing: boolean; at: number } | undefined;
  /** Whether Messenger was asked if this is a pending message request. */
  requestChecked = false;
  #closed = false;
  #archive: RoomArchive | undefined;

  constructor(ref: ConversationRef, owner: ConversationOwner, queue: QueueSettings) {
    this.thread = ref.thread;
    this.#kind = ref.kind;
    this.owner = owner;
    this.queue = new ConversationQueue({
      ...queue,
      onError: (error) => queue.onError(error, this),
    });
  }

  /** Direct chat or group. */
  get kind(): ConversationKind {
    return this.#kind;
  }

  /** The conversation as events and the XMPP side name it. */
  get ref(): ConversationRef {
    return { thread: this.thread, kind: this.#kind };
  }

  /** The user's bare JID. */
  get user(): string {
    return this.owner.jid;
  }

  /**
   * True once the conversation or its session closed: work still running sees it and shows and
   * stores nothing more.
   */
  get closed(): boolean {
    return this.#closed || this.owner.closed;
  }

  /** The room's message archive (XEP-0313, join history); groups only. */
  get archive(): RoomArchive {
    this.#archive ??= this.owner.archiveOf(this.thread);
    return this.#archive;
  }

  /** Messenger says the thread is of another kind than first thought: it knows best. */
  reclassify(kind: ConversationKind): void {
    this.#kind = kind;
  }

  /**
   * Records that the Messenger message `messengerId` travelled as the XMPP stanza(s) `xmppIds`
   * in this conversation.
   */
  link(messengerId: MessageId, xmppIds: string[]): void {
    if (this.closed) return;
    this.owner.ids.link({ thread: this.thread, messengerId, xmppIds });
  }

  /** The link of a message of this conversation by an XMPP id; null if unknown or elsewhere. */
  async byXmppId(xmppId: string): Promise<MessageLink | null> {
    return this.#scoped(await this.owner.ids.byXmppId(xmppId));
  }

  /** The link of a message of this conversation by its Messenger id; null if unknown. */
  async byMessengerId(messengerId: MessageId): Promise<MessageLink | null> {
    return this.#scoped(await this.owner.ids.byMessengerId(messengerId));
  }

  /**
   * Drops the waiting work and waits (up to `drainMs`) for the running task, which then sees
   * {@link closed} and shows and stores nothing. Resolves false if it was still running.
   */
  async close(reason: string, drainMs: number): Promise<boolean> {
    this.#closed = true;
    this.queue.cancel(reason);
    return await this.queue.idle(drainMs);
  }

  #scoped(link: MessageLink | null): MessageLink | null {
    return link !== null && link.thread === this.thread ? link : null;
  }
}
