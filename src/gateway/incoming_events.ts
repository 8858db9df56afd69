/**
 * From Messenger to the user's XMPP clients: a session's remote events (messages, reactions,
 * unsends, read receipts, typing) turned into what the user should see, in order per
 * conversation (each event runs in its conversation's queue), each Messenger message at most once.
 *
 * What the account did in the official app (`fromSelf`) is reflected as the user's own
 * activity. Groups go through the same flow; what only groups have (members and their nicks, the
 * room's archive, membership changes) is asked of {@link Rooms}.
 *
 * Attachments go through an optional `rehost` step first (the XMPP side re-uploads Messenger's
 * files to the user's server when configured), in the conversation's queue, so order is kept.
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
import type { MessageId } from "../messenger/ids.ts";
import type { Conversation } from "./conversation.ts";
import type { Rooms } from "./rooms.ts";
import type { UserSession } from "./user_session.ts";
import {
  type Chat,
  type ChatMessage,
  type Speaker,
  type XmppPort,
  XmppUnavailable,
} from "./xmpp_port.ts";

/** How long Messenger events wait for the XMPP server before being dropped (logged). */
export const OFFLINE_WAIT_MS = 10 * 60_000;

/** Attempts at delivering one event whose send fails because the connection dropped. */
const DELIVERY_ATTEMPTS = 3;
/** Pause before a further attempt, times the attempt number (ms): lets the connection notice. */
const RETRY_PAUSE_MS = 1000;

/** Delivers Messenger events to users. */
export class IncomingEvents {
  #xmpp: XmppPort;
  #rooms: Rooms;
  #counters: { toXmpp: number };
  #rehost: ((attachment: Attachment) => Promise<Attachment>) | undefined;
  #retryPauseMs: number;

  constructor(options: {
    xmpp: XmppPort;
    /** What groups have beyond direct chats: members, nicks, archives. */
    rooms: Rooms;
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
    this.#xmpp = options.xmpp;
    this.#rooms = options.rooms;
    this.#counters = options.counters;
    this.#rehost = options.rehost;
  }

  /** Queues one event of `session`'s user in its conversation. Never throws. */
  accept(session: UserSession, event: RemoteEvent): void {
    if (!isConversationEvent(event)) return;
    const conversation = session.conversations.open(event.conversation);
    // A message counts as arriving from now until its delivery ends (shown, a duplicate, or
    // failed: then the content watchdog may find it again).
    const arriving = event.type === "message" ? event.id : undefined;
    if (arriving !== undefined) session.arriving.add(arriving);
    const queued = conversation.queue.post("to_xmpp", async () => {
      try {
        await this.#deliverWhenOnline(session, conversation, event);
      } finally {
        if (arriving !== undefined) session.arriving.delete(arriving);
      }
    });
    if (!queued && arriving !== undefined) session.arriving.delete(arriving);
  }

  /**
   * Delivers once the XMPP server connection is up: while it is down (a Prosody restart) the
   * conversation's events wait, in order, instead of being sent into the void. A message whose
   * send fails because the connection dropped meanwhile is tried again after the reconnection.
   */
  async #deliverWhenOnline(
    session: UserSession,
    conversation: Conversation,
    event: ConversationEvent,
  ): Promise<void> {
    for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS; attempt++) {
      // Unregistered (or the gateway stopping) while this waited: nothing more is shown.
      if (conversation.closed) return;
      if (!(await this.#xmpp.whenOnline(OFFLINE_WAIT_MS))) {
        gatewayLog.error(
          "Dropped a Messenger {type} for {user}: the XMPP server was unreachable for {minutes} min",
          { type: event.type, user: session.jid, minutes: OFFLINE_WAIT_MS / 60_000 },
        );
        return;
      }
      try {
        await this.#deliver(session, conversation, event);
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

  async #deliver(
    session: UserSession,
    conversation: Conversation,
    event: ConversationEvent,
  ): Promise<void> {
    const chat: Chat = { user: session.jid, conversation: conversation.ref };
    if (conversation.kind === "group" && GROUP_CHANGES.has(event.type)) {
      await this.#rooms.applyChange(session, conversation, event);
      return;
    }
    const speaker = await this.#speakerOf(session, conversation, event);
    switch (event.type) {
      case "message":
        await this.#message(session, conversation, chat, speaker, event);
        return;
      case "reaction": {
        const target = await xmppIdOf(conversation, event.messageId);
        const emojis = event.reaction === "" ? [] : [event.reaction];
        await this.#xmpp.reaction(chat, speaker, target, emojis);
        return;
      }
      case "unsend":
        if (conversation.kind === "group") {
          await conversation.archive.update(event.messageId, { retracted: true });
        }
        await this.#xmpp.retraction(chat, speaker, await xmppIdOf(conversation, event.messageId));
        return;
      case "read_receipt": {
        // The user's own read points at what they were shown; a contact's at what the user sent.
        const target = event.fromSelf ? conversation.lastShown : conversation.lastSent;
        if (target) await this.#xmpp.displayed(chat, speaker, target);
        return;
      }
      case "typing":
        if (event.fromSelf) return;
        await this.#xmpp.chatState(chat, speaker, event.typing ? "composing" : "paused");
        return;
      default:
        return;
    }
  }

  async #message(
    session: UserSession,
    conversation: Conversation,
    chat: Chat,
    speaker: Speaker,
    event: MessageEvent,
  ): Promise<void> {
    const ids = session.ids;
    if (!(await ids.markSeen(event.id, event.timestamp))) return;
    const attachments = await this.#durable(event.attachments);
    if (conversation.closed) {
      // Unregistered during the re-upload: show nothing, store nothing.
      ids.release(event.id);
      return;
    }
    const message: ChatMessage = {
      id: event.id,
      text: event.text,
      attachments,
      timestamp: event.timestamp,
    };
    const inRoom = conversation.kind === "group";
    const self = session.messenger?.self.id;
    if (event.mentions.length > 0) {
      message.mentions = inRoom
        ? await Promise.all(event.mentions.map(async (mention) => ({
          ...mention,
          nick: (await this.#rooms.occupant(session, conversation.thread, mention.user)).nick,
        })))
        : event.mentions;
      if (self) message.self = self;
    }
    if (event.replyTo) {
      const bySelf = event.replyTo.actor === self;
      const author = event.replyTo.actor ?? event.actor;
      message.reply = {
        id: await xmppIdOf(conversation, event.replyTo.id),
        author: inRoom
          ? (await this.#rooms.occupant(session, conversation.thread, author)).nick
          : bySelf
          ? "You"
          : session.contact(author)?.name ?? "They",
        bySelf,
        ...(event.replyTo.text ? { text: event.replyTo.text } : {}),
      };
    }
    if (inRoom) {
      // The room's archive holds every message, whether a client of the user is in it or not.
      message.archiveId = event.id;
      await conversation.archive.append({
        id: event.id,
        timestamp: event.timestamp,
        actor: event.actor,
        nick: speaker.name ?? event.actor,
        fromSelf: event.fromSelf,
        text: event.text,
        attachments,
        ...(message.reply
          ? {
            replyTo: {
              id: message.reply.id,
              nick: message.reply.author,
              ...(message.reply.text ? { text: message.reply.text } : {}),
            },
          }
          : {}),
        ...(event.mentions.length > 0 ? { mentions: event.mentions } : {}),
      });
    }
    let xmppIds: string[];
    try {
      xmppIds = await this.#xmpp.message(chat, speaker, message);
    } catch (error) {
      // Not delivered: a redelivery (or the retry above) must not be dropped as a duplicate.
      ids.release(event.id);
      throw error;
    }
    if (!event.fromSelf) this.#counters.toXmpp++;
    // In a room, clients name a message by its stanza-id, the Messenger id.
    if (inRoom) xmppIds = [event.id];
    if (xmppIds.length > 0) {
      conversation.link(event.id, xmppIds);
      if (!event.fromSelf) conversation.lastShown = xmppIds[0];
    }
  }

  /** Who acted, as the XMPP side shows them: a contact by name, an occupant by nick. */
  async #speakerOf(
    session: UserSession,
    conversation: Conversation,
    event: ConversationEvent,
  ): Promise<Speaker> {
    const name = conversation.kind === "group"
      ? (await this.#rooms.occupant(session, conversation.thread, event.actor)).nick
      : session.contact(event.actor)?.name;
    return { id: event.actor, self: event.fromSelf, ...(name === undefined ? {} : { name }) };
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
}

/** Events that change a group itself (members, admins, name, picture): Rooms handles them. */
const GROUP_CHANGES = new Set<ConversationEvent["type"]>([
  "thread_renamed",
  "participants_added",
  "participant_left",
  "thread_image",
  "admins_changed",
]);

/**
 * The XMPP id the user's clients know a Messenger message by: in a room its stanza-id, the
 * Messenger id; in a direct chat the id of the stanza that carried it (its own id if unknown).
 */
async function xmppIdOf(conversation: Conversation, messengerId: MessageId): Promise<string> {
  if (conversation.kind === "group") return messengerId;
  return (await conversation.byMessengerId(messengerId))?.xmppIds[0] ?? messengerId;
}
