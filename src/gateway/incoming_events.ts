/**
 * From Messenger to the user's XMPP clients: a session's remote events (messages, reactions,
 * unsends, read receipts, typing) turned into what the user should see, in order per thread,
 * each Messenger message at most once.
 *
 * What the account did in the official app (`fromSelf`) is reflected as the user's own
 * activity (carbons). Group threads are not bridged by this flow.
 *
 * Attachments go through an optional `rehost` step first (the XMPP side re-uploads Messenger's
 * files to the user's server when configured), in the thread's queue, so order is kept.
 *
 * @module
 */

import { gatewayLog } from "../log.ts";
import {
  type Attachment,
  type ConversationEvent,
  isConversationEvent,
  type MessageEvent,
  type RemoteEvent,
} from "../messenger/events.ts";
import { asUserId, type MessageId } from "../messenger/ids.ts";
import type { MessageIdStore } from "../store/message_ids.ts";
import type { OutgoingMessages } from "./outgoing_messages.ts";
import { PerThreadState } from "./per_thread_state.ts";
import type { ThreadQueues } from "./thread_queue.ts";
import type { UserSession } from "./user_session.ts";
import { type ContactMessage, type XmppPort, XmppUnavailable } from "./xmpp_port.ts";

/** How long Messenger events wait for the XMPP server before being dropped (logged). */
export const OFFLINE_WAIT_MS = 10 * 60_000;

/** Attempts at delivering one event whose send fails because the connection dropped. */
const DELIVERY_ATTEMPTS = 3;
/** Pause before a further attempt, times the attempt number (ms): lets the connection notice. */
const RETRY_PAUSE_MS = 1000;

/** Delivers Messenger events to users. */
export class IncomingEvents {
  #queues: ThreadQueues;
  #ids: MessageIdStore;
  #xmpp: XmppPort;
  #outgoing: OutgoingMessages;
  #counters: { toXmpp: number };
  #rehost: ((attachment: Attachment) => Promise<Attachment>) | undefined;
  /** The last message id shown to the user per thread (own reads point at it). */
  #lastShown = new PerThreadState<string>();
  #retryPauseMs: number;

  constructor(options: {
    queues: ThreadQueues;
    ids: MessageIdStore;
    xmpp: XmppPort;
    outgoing: OutgoingMessages;
    counters: { toXmpp: number };
    /**
     * Makes an attachment's URL durable (e.g. re-uploads the file); resolves with the attachment
     * to show, the original when that fails. Must not throw.
     */
    rehost?: (attachment: Attachment) => Promise<Attachment>;
    /** Pause before a further delivery attempt, times the attempt number (ms); default 1 s. */
    retryPauseMs?: number;
  }) {
    this.#retryPauseMs = options.retryPauseMs ?? RETRY_PAUSE_MS;
    this.#queues = options.queues;
    this.#ids = options.ids;
    this.#xmpp = options.xmpp;
    this.#outgoing = options.outgoing;
    this.#counters = options.counters;
    this.#rehost = options.rehost;
  }

  /** Forgets what was kept about an unregistered user's conversations. */
  forgetUser(user: string): void {
    this.#lastShown.forgetUser(user);
  }

  /** Queues one event of `session`'s user. Never throws. */
  accept(session: UserSession, event: RemoteEvent): void {
    if (!isConversationEvent(event)) return;
    const { thread, kind } = event.conversation;
    if (kind === "group") {
      gatewayLog.debug("Group thread {thread} of {user} is not bridged yet", {
        thread,
        user: session.jid,
      });
      return;
    }
    this.#queues.post(session.jid, thread, () => this.#deliverWhenOnline(session, event));
  }

  /**
   * Delivers once the XMPP server connection is up: while it is down (a Prosody restart) the
   * thread's events wait, in order, instead of being sent into the void. A message whose send
   * fails because the connection dropped meanwhile is tried again after the reconnection.
   */
  async #deliverWhenOnline(session: UserSession, event: ConversationEvent): Promise<void> {
    for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS; attempt++) {
      // Unregistered (or the gateway stopping) while this waited: nothing more is shown.
      if (session.closed) return;
      if (!(await this.#xmpp.whenOnline(OFFLINE_WAIT_MS))) {
        gatewayLog.error(
          "Dropped a Messenger {type} for {user}: the XMPP server was unreachable for {minutes} min",
          { type: event.type, user: session.jid, minutes: OFFLINE_WAIT_MS / 60_000 },
        );
        return;
      }
      try {
        await this.#deliver(session, event);
        return;
      } catch (error) {
        if (!(error instanceof XmppUnavailable)) throw error;
      }
      // The send failed before the connection noticed it is down: give it time to notice.
      if (attempt < DELIVERY_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, this.#retryPauseMs * attempt));
      }
    }
    gatewayLog.error(
      "Dropped a Messenger {type} for {user}: sending it failed {attempts} times",
      { type: event.type, user: session.jid, attempts: DELIVERY_ATTEMPTS },
    );
  }

  async #deliver(session: UserSession, event: ConversationEvent): Promise<void> {
    const user = session.jid;
    switch (event.type) {
      case "message":
        await this.#message(session, event);
        return;
      case "reaction": {
        const target = await this.#xmppIdOf(user, event.messageId);
        const emojis = event.reaction === "" ? [] : [event.reaction];
        const contact = asUserId(event.conversation.thread);
        if (event.fromSelf) {
          await this.#xmpp.ownActivity(user, contact, { kind: "reaction", target, emojis });
        } else await this.#xmpp.contactReaction(user, contact, target, emojis);
        return;
      }
      case "unsend": {
        const target = await this.#xmppIdOf(user, event.messageId);
        const contact = asUserId(event.conversation.thread);
        if (event.fromSelf) {
          await this.#xmpp.ownActivity(user, contact, { kind: "retraction", target });
        } else await this.#xmpp.contactRetraction(user, contact, target);
        return;
      }
      case "read_receipt": {
        const contact = asUserId(event.conversation.thread);
        if (event.fromSelf) {
          const target = this.#lastShown.get(user, event.conversation.thread);
          if (target) await this.#xmpp.ownActivity(user, contact, { kind: "displayed", target });
        } else {
          const target = this.#outgoing.lastSent.get(user, event.conversation.thread);
          if (target) await this.#xmpp.contactDisplayed(user, contact, target);
        }
        return;
      }
      case "typing":
        if (event.fromSelf) return;
        await this.#xmpp.contactChatState(
          user,
          asUserId(event.conversation.thread),
          event.typing ? "composing" : "paused",
        );
        return;
      default:
        return;
    }
  }

  async #message(session: UserSession, event: MessageEvent): Promise<void> {
    const user = session.jid;
    if (!(await this.#ids.markSeen(user, event.id))) return;
    const contact = asUserId(event.conversation.thread);
    const attachments = await this.#durable(event.attachments);
    if (session.closed) {
      // Unregistered during the re-upload: show nothing, store nothing.
      this.#ids.release(user, event.id);
      return;
    }
    if (event.fromSelf) {
      try {
        await this.#xmpp.ownActivity(user, contact, {
          kind: "message",
          id: event.id,
          text: event.text,
          attachments,
          timestamp: event.timestamp,
        });
      } catch (error) {
        this.#ids.release(user, event.id); // not shown: the retry must not see a duplicate
        throw error;
      }
      this.#ids.link(user, {
        thread: event.conversation.thread,
        messengerId: event.id,
        xmppIds: [event.id],
      });
      return;
    }
    const message: ContactMessage = {
      id: event.id,
      text: event.text,
      attachments,
      timestamp: event.timestamp,
      ...(event.mentions.length > 0
        ? {
          mentions: event.mentions,
          ...(session.messenger ? { self: session.messenger.self.id } : {}),
        }
        : {}),
    };
    if (event.replyTo) {
      const author = event.replyTo.actor === session.messenger?.self.id
        ? "You"
        : session.contact(event.replyTo.actor ?? contact)?.name ?? "They";
      message.reply = {
        id: await this.#xmppIdOf(user, event.replyTo.id),
        author,
        ...(event.replyTo.text ? { text: event.replyTo.text } : {}),
      };
    }
    let xmppIds: string[];
    try {
      xmppIds = await this.#xmpp.contactMessage(user, contact, message);
    } catch (error) {
      // Not delivered: a redelivery (or the retry above) must not be dropped as a duplicate.
      this.#ids.release(user, event.id);
      throw error;
    }
    this.#counters.toXmpp++;
    if (xmppIds.length > 0) {
      this.#ids.link(user, { thread: event.conversation.thread, messengerId: event.id, xmppIds });
      this.#lastShown.set(user, event.conversation.thread, xmppIds[0]);
    }
  }

  /** The attachments with durable URLs where that is configured and works (one at a time). */
  async #durable(attachments: Attachment[]): Promise<Attachment[]> {
    const rehost = this.#rehost;
    if (!rehost || attachments.length === 0) return attachments;
    const result: Attachment[] = [];
    for (const attachment of attachments) {
      result.push(await rehost(attachment).catch(() => attachment));
    }
    return result;
  }

  /** The XMPP id the user's clients know a Messenger message by (its own id if unknown). */
  async #xmppIdOf(user: string, messengerId: MessageId): Promise<string> {
    return (await this.#ids.byMessengerId(user, messengerId))?.xmppIds[0] ?? messengerId;
  }
}
