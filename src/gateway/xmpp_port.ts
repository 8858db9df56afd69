/**
 * What the gateway core asks of the XMPP side (the "XMPP connector" interface, after mautrix
 * bridgev2's matrixinterface): the core decides *what* a user should see, the XMPP side decides
 * which stanzas that takes. Defined here so the core imports nothing from `src/xmpp/`.
 *
 * `user` is always a bare JID; contacts are named by their Messenger user id.
 *
 * @module
 */

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
}
