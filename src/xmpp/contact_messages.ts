/**
 * The message half of the XMPP side of {@link XmppPort}: what a contact says, reacts, retracts
 * or reads, receipts and errors for the user's messages, and carbons of what the user did in the
 * official app (through the XEP-0356 message privilege, when the user's server granted it).
 *
 * @module
 */

import { contactJidOf } from "../gateway/contact_ids.ts";
import { stanzaErrorOf } from "./message_failure.ts";
import { type ChatMessage, type MessageFailure, XmppUnavailable } from "../gateway/xmpp_port.ts";
import type { Attachment } from "../messenger/events.ts";
import { xmppLog } from "../log.ts";
import type { UserId } from "../messenger/ids.ts";
import { attachmentLink } from "./attachment_presentation.ts";
import {
  buildChatState,
  buildContactMessages,
  buildDisplayedMarker,
  buildMessageError,
  buildReaction,
  buildReceipt,
  buildRetraction,
} from "./message_build.ts";
import { buildPrivilegedCarbon } from "./privileged_carbon.ts";
import { DEFAULT_MAX_STANZA_BYTES, textLimitFor } from "./stanza_size.ts";
import type { Privileges } from "./privileges.ts";
import type { Element } from "./xml.ts";

/** What the message senders need. */
export interface ContactMessagesOptions {
  domain: string;
  send: (stanza: Element) => Promise<unknown>;
  privileges: Privileges;
  /** Messages older than this get a `<delay>` (ms). */
  delayThresholdMs?: number;
  /** Resolves true once the component is online, false after `timeoutMs` (default: always true). */
  whenOnline?: (timeoutMs: number) => Promise<boolean>;
  /** The stanza size cap (bytes): longer texts are split to stay under it. Default: the default cap. */
  maxStanzaBytes?: number;
}

/** What the user did in another Messenger client, reflected as their own (carbons). */
export type OwnActivity =
  | { kind: "message"; id: string; text: string; attachments: Attachment[]; timestamp: number }
  | { kind: "reaction"; target: string; emojis: string[] }
  | { kind: "retraction"; target: string }
  | { kind: "displayed"; target: string };

/** How long the user's own activity waits for the server's XEP-0356 grant after connecting (ms). */
const GRANT_WAIT_MS = 5000;

/** How often, and how long each time, a later stanza of a message waits for the server (ms). */
const PART_RETRIES = 3;
const PART_WAIT_MS = 60_000;

/** Sends contacts' messages and the user's carbons. */
export class ContactMessages {
  #options: ContactMessagesOptions;
  #warnedNoCarbons = new Set<string>();
  /** Texts longer than this are sent as several messages. */
  #maxTextLength: number;

  constructor(options: ContactMessagesOptions) {
    this.#options = options;
    this.#maxTextLength = textLimitFor(options.maxStanzaBytes ?? DEFAULT_MAX_STANZA_BYTES);
  }

  #jid(contact: UserId): string {
    return contactJidOf(contact, this.#options.domain);
  }

  /** Sends a contact's message; returns the stanza ids used. */
  async contactMessage(user: string, contact: UserId, message: ChatMessage): Promise<string[]> {
    const from = this.#jid(contact);
    const stanzas = buildContactMessages({
      from,
      to: user,
      id: message.id,
      text: message.text,
      attachments: message.attachments.map(attachmentLink),
      timestamp: message.timestamp,
      maxTextLength: this.#maxTextLength,
      ...(message.reply
        ? {
          reply: {
            id: message.reply.id,
            to: message.reply.bySelf ? user : from,
            ...(message.reply.text
              ? { quote: { author: message.reply.author, text: message.reply.text } }
              : {}),
          },
        }
        : {}),
      ...(message.mentions?.length
        ? {
          mentions: message.mentions.map((mention) => ({
            // The account itself is the user; anyone else is a contact JID.
            jid: mention.user === message.self ? user : this.#jid(mention.user),
            offset: mention.offset,
            length: mention.length,
          })),
        }
        : {}),
    }, {
      now: Date.now(),
      thresholdMs: this.#options.delayThresholdMs,
      from: this.#options.domain,
    });
    await this.#sendParts(stanzas, user, message.id);
    return stanzas.map((stanza) => stanza.attrs.id).filter((id): id is string => !!id);
  }

  /**
   * Sends the stanzas of one message in order. Nothing shown yet (the first fails): throws
   * {@link XmppUnavailable} so the caller retries the whole message after the reconnection.
   * Part of it shown: the rest follows once back online (or is logged as lost).
   */
  async #sendParts(stanzas: Element[], user: string, id: string): Promise<void> {
    for (const [index, stanza] of stanzas.entries()) {
      if ((await this.#options.send(stanza)) !== false) continue;
      if (index === 0) throw new XmppUnavailable("The XMPP server connection is down");
      if (!(await this.#sendPartLater(stanza))) {
        xmppLog.error("Part {part} of message {id} for {user} was lost: the XMPP server was down", {
          part: index + 1,
          id,
          user,
        });
      }
    }
  }

  async #sendPartLater(stanza: Element): Promise<boolean> {
    const whenOnline = this.#options.whenOnline ?? (() => Promise.resolve(true));
    for (let attempt = 1; attempt <= PART_RETRIES; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, attempt * 500));
      if (!(await whenOnline(PART_WAIT_MS))) return false;
      if ((await this.#options.send(stanza)) !== false) return true;
    }
    return false;
  }

  async contactReaction(user: string, contact: UserId, target: string, emojis: string[]) {
    await this.#options.send(buildReaction({ from: this.#jid(contact), to: user, target, emojis }));
  }

  async contactRetraction(user: string, contact: UserId, target: string) {
    await this.#options.send(buildRetraction({ from: this.#jid(contact), to: user, target }));
  }

  async contactDisplayed(user: string, contact: UserId, target: string) {
    await this.#options.send(buildDisplayedMarker({ from: this.#jid(contact), to: user, target }));
  }

  async contactChatState(user: string, contact: UserId, state: "composing" | "paused") {
    await this.#options.send(buildChatState({ from: this.#jid(contact), to: user, state }));
  }

  async messageDelivered(user: string, contact: UserId, id: string) {
    await this.#options.send(buildReceipt({ from: this.#jid(contact), to: user, target: id }));
  }

  async messageFailed(
    user: string,
    contact: UserId,
    id: string | undefined,
    failure: MessageFailure,
  ) {
    await this.#options.send(
      buildMessageError(
        { from: this.#jid(contact), to: user, ...(id ? { id } : {}) },
        stanzaErrorOf(failure),
      ),
    );
  }

  /**
   * Reflects the user's own activity from another Messenger client as a message from the user
   * to the contact, injected through the server (carbons). Without the privilege it cannot be
   * shown as the user's: the user is told once, and the activity is not shown.
   */
  async ownActivity(user: string, contact: UserId, activity: OwnActivity): Promise<string[]> {
    // Right after a (re)connection the server has not re-sent its grant yet: wait for it.
    const privileges = this.#options.privileges;
    await privileges.settledWithin(GRANT_WAIT_MS);
    if (!privileges.canSendAs(user)) {
      if (!this.#warnedNoCarbons.has(user)) {
        this.#warnedNoCarbons.add(user);
        xmppLog.info(
          "Cannot reflect {user}'s activity from other Messenger apps: no XEP-0356 message privilege",
          { user },
        );
      }
      return [];
    }
    const route = { from: user, to: this.#jid(contact) };
    let inner: Element[];
    switch (activity.kind) {
      case "message":
        // The user's own message: nobody is asked for read markers on it.
        inner = buildContactMessages({
          ...route,
          id: activity.id,
          text: activity.text,
          attachments: activity.attachments.map(attachmentLink),
          timestamp: activity.timestamp,
          markable: false,
          maxTextLength: this.#maxTextLength,
        });
        break;
      case "reaction":
        inner = [buildReaction({ ...route, target: activity.target, emojis: activity.emojis })];
        break;
      case "retraction":
        inner = [buildRetraction({ ...route, target: activity.target })];
        break;
      case "displayed":
        inner = [buildDisplayedMarker({ ...route, target: activity.target })];
        break;
    }
    const serverDomain = user.slice(user.indexOf("@") + 1);
    const privileged = {
      serverDomain,
      gatewayDomain: this.#options.domain,
      namespace: privileges.of(user).namespace,
    };
    await this.#sendParts(
      inner.map((stanza) => buildPrivilegedCarbon(stanza, privileged)),
      user,
      activity.kind === "message" ? activity.id : activity.target,
    );
    return inner.map((stanza) => stanza.attrs.id).filter((id): id is string => !!id);
  }
}
