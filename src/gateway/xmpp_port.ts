/**
 * What the gateway core asks of the XMPP side (the "XMPP connector" interface, after mautrix
 * bridgev2's matrixinterface): the core decides *what* a user should see, the XMPP side decides
 * which stanzas that takes. Defined here so the core imports nothing from `src/xmpp/`.
 *
 * `user` is always a bare JID; contacts are named by their Messenger user id.
 *
 * @module
 */

import type { Attachment, Mention } from "../messenger/events.ts";
import type { UserId } from "../messenger/ids.ts";

/** A presence as the core means it; the XMPP side turns it into `<presence>`. */
export interface PresenceState {
  available: boolean;
  /** XMPP `show` for available presences. */
  show?: "away" | "chat" | "dnd" | "xa";
  /** Human status text. */
  status?: string;
}

/** A Messenger contact as it appears in the user's roster. */
export interface ContactCard {
  id: UserId;
  name: string;
  avatarUrl?: string;
  /** False for someone the user only chats with (Messenger lists them with the friends). */
  isFriend?: boolean;
}

/** The XMPP side, as the gateway core uses it. Every method is best effort and never throws. */
export interface XmppPort {
  /** The gateway JID's presence to a user (login state). */
  gatewayPresence(user: string, presence: PresenceState): Promise<void>;
  /** A chat message from the gateway JID to a user (explanations, welcome, admin notices). */
  gatewayMessage(user: string, text: string): Promise<void>;
  /** A contact's presence to a user. */
  contactPresence(user: string, contact: UserId, presence: PresenceState): Promise<void>;
  /**
   * Puts contacts (and the gateway itself) into the user's roster: pushed with the XEP-0356
   * roster privilege when the server granted it, else asked for with `subscribe` presences.
   */
  addContacts(user: string, contacts: ContactCard[]): Promise<void>;
  /**
   * Tells the user's clients that contacts (and the gateway) go away for good: unsubscribe,
   * unsubscribed and unavailable from each, and removal from the roster where privileged.
   */
  removeContacts(user: string, contacts: UserId[]): Promise<void>;

  /**
   * Resolves true once the XMPP server connection is up (at once when it is), false if it is
   * still down after `timeoutMs`: Messenger events wait for it instead of being lost.
   */
  whenOnline(timeoutMs: number): Promise<boolean>;
  /**
   * A message from a contact to the user. Throws {@link XmppUnavailable} when the connection
   * to the XMPP server dropped before it was sent. Returns the XMPP ids of the stanzas used (more than
   * one when attachments are split), so later reactions and replies can find them.
   */
  contactMessage(user: string, contact: UserId, message: ContactMessage): Promise<string[]>;
  /** The contact's complete set of reactions to one of the user's messages (empty: removed). */
  contactReaction(user: string, contact: UserId, target: string, emojis: string[]): Promise<void>;
  /** The contact unsent one of their messages. */
  contactRetraction(user: string, contact: UserId, target: string): Promise<void>;
  /** The contact read the user's messages up to `target`. */
  contactDisplayed(user: string, contact: UserId, target: string): Promise<void>;
  /** The contact started or stopped typing. */
  contactChatState(user: string, contact: UserId, state: "composing" | "paused"): Promise<void>;
  /** Messenger accepted the user's message `id` (a XEP-0184 receipt when one was asked for). */
  messageDelivered(user: string, contact: UserId, id: string): Promise<void>;
  /**
   * The user's message `id` could not be delivered: an error the client shows. `user` is here
   * the full JID of the client that sent it (servers drop errors sent to a bare JID).
   */
  messageFailed(
    user: string,
    contact: UserId,
    id: string | undefined,
    failure: MessageFailure,
  ): Promise<void>;
  /**
   * Something the user did in the official Messenger app, reflected to their XMPP clients as
   * if one of them had done it (carbons through the XEP-0356 message privilege).
   */
  ownActivity(user: string, contact: UserId, activity: OwnActivity): Promise<void>;
}

/** A contact's message as the user's clients should see it. */
export interface ContactMessage {
  /** The Messenger message id; also the XMPP id of its first stanza. */
  id: string;
  text: string;
  attachments: Attachment[];
  timestamp: number;
  /** What it replies to: the XMPP id of the replied message, and a quote for the fallback. */
  reply?: { id: string; author: string; text?: string };
  /** The account's own Messenger id (mentions of it are mentions of the user). */
  self?: UserId;
  /** Mentions by Messenger user id (UTF-16 offsets into `text`); the XMPP side maps them to JIDs. */
  mentions?: Mention[];
}

/** Why a user's message failed, mapped by the XMPP side to an error condition. */
export interface MessageFailure {
  kind:
    | "not_acceptable"
    | "item_not_found"
    | "service_unavailable"
    | "remote_server_timeout"
    | "feature_not_implemented"
    | "internal";
  /** A sentence for the user. */
  text: string;
}

/** What the user did in another Messenger client. */
export type OwnActivity =
  | { kind: "message"; id: string; text: string; attachments: Attachment[]; timestamp: number }
  | { kind: "reaction"; target: string; emojis: string[] }
  | { kind: "retraction"; target: string }
  | { kind: "displayed"; target: string };

/** The XMPP server connection is down: nothing was delivered, try again once it is back. */
export class XmppUnavailable extends Error {
  override name = "XmppUnavailable";
}
