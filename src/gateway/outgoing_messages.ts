/**
 * From a user's XMPP client to Messenger: what a user's message to a contact asks for (text,
 * correction, retraction, reaction, read marker, typing) carried out on their Messenger session.
 *
 * Work runs in the conversation's queue, so order is kept per conversation and a slow one
 * never blocks another. A message sent while Messenger is briefly disconnected waits (bounded)
 * for the reconnection; whatever cannot be delivered comes back as an error the client shows —
 * never a silent loss.
 *
 * Files the user sends as links (XEP-0066) are downloaded and sent as Messenger attachments (see
 * outgoing_attachments.ts) before the message waits for Messenger, so a reconnection never makes
 * a file download twice.
 *
 * @module
 */

import { gatewayLog } from "../log.ts";
import { isMessengerError } from "../messenger/errors.ts";
import type { Attachment, Mention } from "../messenger/events.ts";
import type { MessageId, UserId } from "../messenger/ids.ts";
import type { Rooms } from "./rooms.ts";
import { capability, hasCapability, type MessengerSession } from "../messenger/session.ts";
import type { MessageLink } from "../store/message_ids.ts";
import type { Conversation } from "./conversation.ts";
import { threadIdOf, userIdOf } from "./contact_ids.ts";
import { explainFailure } from "./login_failure.ts";
import type { MessageAction, MessageContent, ParsedMessage } from "./message_actions.ts";
import {
  AttachmentFailed,
  type FileDownload,
  prepareContent,
  type PreparedContent,
} from "./outgoing_attachments.ts";
import type { UserSession } from "./user_session.ts";
import type { MessageFailure, XmppPort } from "./xmpp_port.ts";

/** Messenger refuses longer texts. */
export const MESSENGER_MAX_TEXT_LENGTH = 20_000;

/** How corrections (which Messenger cannot do) are delivered. */
export type CorrectionPolicy = "resend" | "retract_and_resend";

/** Settings of the outgoing flow. */
export interface OutgoingSettings {
  /** How long a message waits for a disconnected Messenger session (ms). */
  reconnectWaitMs: number;
  correctionPolicy: CorrectionPolicy;
  /** Minimum time between two "typing" notices to Messenger for one thread (ms). */
  typingThrottleMs: number;
}

/** Refused before anything was sent; the XMPP side answers with the matching error. */
export class MessageRefused extends Error {
  override name = "MessageRefused";
  constructor(readonly failure: MessageFailure) {
    super(failure.text);
  }
}

/** Carries out users' messages on Messenger. */
export class OutgoingMessages {
  #xmpp: XmppPort;
  #rooms: Rooms;
  #settings: OutgoingSettings;
  #counters: { toMessenger: number };
  #download: FileDownload | undefined;

  constructor(options: {
    xmpp: XmppPort;
    /** Members and nicks of groups, and their archives. */
    rooms: Rooms;
    settings: OutgoingSettings;
    counters: { toMessenger: number };
    /**
     * Downloads a file the user links to (bounded); without it, file links are sent as text.
     */
    download?: FileDownload;
  }) {
    this.#xmpp = options.xmpp;
    this.#rooms = options.rooms;
    this.#settings = options.settings;
    this.#counters = options.counters;
    this.#download = options.download;
  }

  /**
   * Accepts a parsed message of `session`'s user to a conversation, sent from the client
   * `sender` (a full JID: errors go back to it). Checks what can be checked at once (throws
   * {@link MessageRefused}); the rest runs in the conversation's queue and reports failures
   * through {@link XmppPort.messageFailed}.
   */
  accept(
    session: UserSession,
    conversation: Conversation,
    message: ParsedMessage,
    sender: string,
  ): void {
    for (const action of message.actions) precheck(action);
    const user = session.jid;
    const queued = conversation.queue.post("to_messenger", async () => {
      let failed = false;
      for (const action of message.actions) {
        if (conversation.closed) return;
        try {
          await this.#apply(session, conversation, message, action);
        } catch (error) {
          // Markers and chat states are best effort: a failure is logged, never bounced. A
          // stanza gets at most one error back, for what it carried that mattered.
          if (!isContentAction(action) || failed) {
            gatewayLog.debug("{kind} for {user} not carried out: {reason}", {
              kind: action.kind,
              user,
              reason: explainFailure(error).sentence,
            });
            continue;
          }
          failed = true;
          await this.#fail(sender, conversation, message.id, error);
        }
      }
    });
    if (!queued) {
      throw new MessageRefused({
        kind: "service_unavailable",
        text: "Too many messages are waiting in this conversation: please try again later",
      });
    }
  }

  async #apply(
    session: UserSession,
    conversation: Conversation,
    message: ParsedMessage,
    action: MessageAction,
  ): Promise<void> {
    const user = session.jid;
    const thread = conversation.thread;
    const isGroup = conversation.kind === "group";
    switch (action.kind) {
      case "text": {
        const prepared = await prepareContent(action.content, this.#download);
        await this.#withMessenger(
          session,
          (messenger) =>
            this.#send(session, conversation, messenger, message, action.content, prepared),
          { idempotent: false },
        );
        return;
      }
      case "correction": {
        if (session.firstTime("corrections_explained")) {
          await this.#xmpp.gatewayMessage(
            user,
            "Messenger cannot edit messages: your corrections are sent as new messages" +
              (this.#settings.correctionPolicy === "retract_and_resend"
                ? ", and the corrected message is unsent."
                : "."),
          );
        }
        const link = await conversation.byXmppId(action.target);
        const prepared = await prepareContent(action.content, this.#download);
        await this.#withMessenger(session, async (messenger) => {
          if (
            this.#settings.correctionPolicy === "retract_and_resend" && link &&
            hasCapability(messenger, "unsend")
          ) {
            await capability(messenger, "unsend")(link.messengerId);
          }
          await this.#send(session, conversation, messenger, message, action.content, prepared);
        }, { idempotent: false });
        return;
      }
      case "retraction": {
        const link = await known(conversation, action.target);
        await this.#withMessenger(
          session,
          (messenger) => capability(messenger, "unsend")(link.messengerId),
        );
        return;
      }
      case "reaction": {
        const link = await known(conversation, action.target);
        await this.#withMessenger(
          session,
          (messenger) => capability(messenger, "react")(link.messengerId, action.emojis[0] ?? ""),
        );
        return;
      }
      case "displayed": {
        const messenger = await this.#connected(session, false);
        if (messenger && hasCapability(messenger, "markRead")) {
          await capability(messenger, "markRead")(thread);
        }
        return;
      }
      case "chat_state": {
        const messenger = await this.#connected(session, false);
        if (!messenger || !hasCapability(messenger, "setTyping")) return;
        const typing = action.state === "composing";
        const last = conversation.lastTyping;
        const now = Date.now();
        if (
          last && last.typing === typing &&
          (!typing || now - last.at < this.#settings.typingThrottleMs)
        ) return;
        conversation.lastTyping = { typing, at: now };
        await capability(messenger, "setTyping")(thread, typing, { isGroup });
        return;
      }
      case "received":
        return;
    }
  }

  async #send(
    session: UserSession,
    conversation: Conversation,
    messenger: MessengerSession,
    message: ParsedMessage,
    content: MessageContent,
    prepared: PreparedContent,
  ): Promise<void> {
    const { text, attachments } = prepared;
    let replyTo: MessageId | undefined;
    if (content.replyTo) {
      replyTo = (await conversation.byXmppId(content.replyTo.id))?.messengerId;
    }
    // XEP-0372 mentions of contacts and of room occupants become Messenger mentions (others are
    // plain text).
    const mentions: Mention[] = [];
    for (const mention of content.mentions) {
      const id = await this.#mentioned(session, conversation, mention.jid);
      if (id) mentions.push({ user: id, offset: mention.offset, length: mention.length });
    }
    const sent = await messenger.sendMessage(
      conversation.thread,
      {
        ...(text !== "" || attachments.length === 0 ? { text } : {}),
        ...(attachments.length > 0 ? { attachments } : {}),
        ...(replyTo ? { replyTo } : {}),
        ...(mentions.length > 0 ? { mentions } : {}),
      },
      { isGroup: conversation.kind === "group" },
    );
    this.#counters.toMessenger++;
    const inRoom = conversation.kind === "group";
    const xmppIds = [message.id, message.originId].filter((id): id is string =>
      id !== undefined && id !== ""
    );
    // In a room, clients name messages by their stanza-id (the Messenger id) too.
    if (inRoom) xmppIds.push(sent.id);
    // Messenger echoes our own message back on some connections: never show it twice. (Marked
    // first: the link then takes the place of the queued mark, one write for both.)
    if (!conversation.closed) await conversation.owner.ids.markSeen(sent.id, sent.timestamp);
    if (xmppIds.length > 0) {
      conversation.link(sent.id, [...new Set(xmppIds)]);
      conversation.lastSent = inRoom ? sent.id : xmppIds[0];
    }
    if (inRoom && !conversation.closed) {
      await this.#reflect(session, conversation, message, content, sent.id, sent.timestamp);
    }
    if (message.receiptRequested && message.id) {
      // The receipt acknowledges the message: what the gateway recorded about it must outlive a
      // crash from now on (and so must everything recorded before it).
      await conversation.owner.committed();
      await this.#xmpp.messageDelivered(
        { user: conversation.user, conversation: conversation.ref },
        message.id,
      );
    }
  }

  /**
   * A message the user sent to a room is archived and reflected to every resource of theirs in
   * the room, with their client's id and origin-id kept (that is how clients mark it as sent)
   * and the Messenger id as the room's stanza-id.
   */
  async #reflect(
    session: UserSession,
    conversation: Conversation,
    message: ParsedMessage,
    content: MessageContent,
    messengerId: MessageId,
    timestamp: number,
  ): Promise<void> {
    const account = await session.account();
    if (!account) return;
    const self = await this.#rooms.occupant(session, conversation.thread, account.id);
    const attachments = content.attachmentUrls.map((url): Attachment => ({ kind: "file", url }));
    const originId = message.originId ?? message.id;
    await conversation.archive.append({
      id: messengerId,
      timestamp,
      actor: account.id,
      nick: self.nick,
      fromSelf: true,
      ...(originId === undefined ? {} : { originId }),
      text: content.body,
      attachments,
    });
    // The reflection is the room's acknowledgement: the link and the archived copy are stored.
    await conversation.owner.committed();
    await this.#xmpp.message(
      { user: session.jid, conversation: conversation.ref },
      { id: account.id, self: true, name: self.nick },
      {
        id: message.id ?? messengerId,
        archiveId: messengerId,
        ...(message.originId === undefined ? {} : { originId: message.originId }),
        text: content.body,
        attachments,
        timestamp,
      },
    );
  }

  /** The Messenger user an XEP-0372 mention names: a contact JID, or an occupant of this room. */
  async #mentioned(
    session: UserSession,
    conversation: Conversation,
    jid: string,
  ): Promise<UserId | null> {
    const at = jid.indexOf("@");
    if (at < 0) return null;
    const slash = jid.indexOf("/", at);
    const local = jid.slice(0, at);
    // room@gateway/nick is an occupant of this room, by nick; any other JID a contact.
    const inThisRoom = conversation.kind === "group" && threadIdOf(local) === conversation.thread;
    if (slash < 0 || !inThisRoom) return inThisRoom ? null : userIdOf(local);
    const nick = jid.slice(slash + 1);
    return await this.#rooms.memberByNick(session, conversation.thread, nick) ?? null;
  }

  /**
   * Runs `work` on the connected Messenger session. When the connection drops, waits for the
   * reconnection and tries again, until `reconnectWaitMs` is spent; then the last failure
   * stands. Work that is not idempotent (sending) is retried only when the session already knew
   * it was down, i.e. the request cannot have reached Messenger: never a message posted twice.
   */
  async #withMessenger<T>(
    session: UserSession,
    work: (messenger: MessengerSession) => Promise<T>,
    options: { idempotent: boolean } = { idempotent: true },
  ): Promise<T> {
    const deadline = Date.now() + this.#settings.reconnectWaitMs;
    while (true) {
      const messenger = await this.#connected(session, true, Math.max(0, deadline - Date.now()));
      try {
        return await work(messenger);
      } catch (error) {
        const remaining = deadline - Date.now();
        const dropped = isMessengerError(error, "network", "disconnected");
        const safe = options.idempotent || messenger.state.status !== "connected";
        if (!dropped || !safe || remaining <= 0) throw error;
        // The state change may not have reached the session yet: give it a moment.
        await new Promise((resolve) => setTimeout(resolve, Math.min(250, remaining)));
      }
    }
  }

  async #connected(
    session: UserSession,
    required: true,
    waitMs?: number,
  ): Promise<MessengerSession>;
  async #connected(session: UserSession, required: false): Promise<MessengerSession | undefined>;
  async #connected(
    session: UserSession,
    required: boolean,
    waitMs = this.#settings.reconnectWaitMs,
  ): Promise<MessengerSession | undefined> {
    const messenger = await session.whenConnected(required ? waitMs : 0);
    if (!messenger && required) {
      throw new MessageRefused({
        kind: "remote_server_timeout",
        text: "Not delivered: the gateway is not connected to Messenger right now " +
          `(${session.presence().status}). Please send it again later`,
      });
    }
    return messenger;
  }

  async #fail(
    sender: string,
    conversation: Conversation,
    id: string | undefined,
    error: unknown,
  ) {
    let failure: MessageFailure;
    if (error instanceof MessageRefused || error instanceof AttachmentFailed) {
      failure = error.failure;
    } else if (isMessengerError(error, "unsupported")) {
      failure = { kind: "feature_not_implemented", text: explainFailure(error).sentence };
    } else if (isMessengerError(error, "not_found")) {
      failure = {
        kind: "item_not_found",
        text: `Not delivered: ${explainFailure(error).sentence}`,
      };
    } else if (isMessengerError(error, "bad_request")) {
      failure = {
        kind: "not_acceptable",
        text: `Not delivered: ${explainFailure(error).sentence}`,
      };
    } else {
      if (!isMessengerError(error)) {
        gatewayLog.error("Sending for {sender} failed: {error}", { sender, error });
      }
      failure = {
        kind: isMessengerError(error, "network", "timeout", "disconnected", "rate_limited")
          ? "remote_server_timeout"
          : "internal",
        text: `Not delivered: ${explainFailure(error).sentence}`,
      };
    }
    await this.#xmpp.messageFailed(
      sender,
      { user: conversation.user, conversation: conversation.ref },
      id,
      failure,
    );
  }
}

/** The link of a message of the conversation the user names, or an error they can read. */
async function known(conversation: Conversation, xmppId: string): Promise<MessageLink> {
  const link = await conversation.byXmppId(xmppId);
  if (!link) {
    throw new MessageRefused({
      kind: "item_not_found",
      text: "That message is unknown to the gateway (too old, or never bridged)",
    });
  }
  return link;
}

/** Actions whose failure the user must hear about (the rest is best effort). */
function isContentAction(action: MessageAction): boolean {
  return action.kind === "text" || action.kind === "correction" || action.kind === "retraction" ||
    action.kind === "reaction";
}

/** Checks that need no Messenger round trip; throws {@link MessageRefused}. */
function precheck(action: MessageAction): void {
  if (action.kind === "reaction" && action.emojis.length > 1) {
    throw new MessageRefused({
      kind: "not_acceptable",
      text: "Maximum 1 emoji per message: Messenger allows one reaction per person",
    });
  }
  if (action.kind === "text" || action.kind === "correction") {
    const { body, attachmentUrls } = action.content;
    if (body.trim() === "" && attachmentUrls.length === 0) {
      throw new MessageRefused({ kind: "not_acceptable", text: "Empty messages cannot be sent" });
    }
    if (body.length > MESSENGER_MAX_TEXT_LENGTH) {
      throw new MessageRefused({
        kind: "not_acceptable",
        text: `Messenger refuses messages longer than ${MESSENGER_MAX_TEXT_LENGTH} characters ` +
          `(this one has ${body.length}): please split it`,
      });
    }
  }
}
