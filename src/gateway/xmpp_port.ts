/**
 * What the gateway core asks of the XMPP side (the "XMPP connector" interface, after mautrix
 * bridgev2's matrixinterface): the core decides *what* a user should see, the XMPP side decides
 * which stanzas that takes. Defined here so the core imports nothing from `src/xmpp/`.
 *
 * `user` is always a bare JID; contacts are named by their Messenger user id, and everything
 * said or done in a conversation by the {@link Chat} it happens in and the {@link Speaker} who did
 * it: a contact in a direct chat, an occupant in a room, or the user themselves.
 *
 * @module
 */

import type { Attachment, ConversationRef, Mention } from "../messenger/events.ts";
import type { ThreadId, UserId } from "../messenger/ids.ts";
import type { Occupant } from "./group_members.ts";

export type { Occupant };

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
  /** How the user addresses a contact (its JID), for texts that name it. Does no IO. */
  contactAddress(contact: UserId): string;

  /**
   * Resolves true once the XMPP server connection is up (at once when it is), false if it is
   * still down after `timeoutMs`: Messenger events wait for it instead of being lost.
   */
  whenOnline(timeoutMs: number): Promise<boolean>;

  /**
   * A message in a conversation: from a contact (a direct chat), from an occupant (a room), or
   * the user's own from the official app (`speaker.self`: reflected to their XMPP clients).
   * Throws {@link XmppUnavailable} when the connection to the XMPP server dropped before it was
   * sent. Returns the XMPP ids of the stanzas used (more than one when attachments are split), so
   * later reactions and replies can find them.
   */
  message(chat: Chat, speaker: Speaker, message: ChatMessage): Promise<string[]>;
  /** The speaker's complete set of reactions to one message (empty: removed). */
  reaction(chat: Chat, speaker: Speaker, target: string, emojis: string[]): Promise<void>;
  /** The speaker unsent one of their messages. */
  retraction(chat: Chat, speaker: Speaker, target: string): Promise<void>;
  /** The speaker read the conversation up to `target`. */
  displayed(chat: Chat, speaker: Speaker, target: string): Promise<void>;
  /** The speaker started or stopped typing. */
  chatState(chat: Chat, speaker: Speaker, state: "composing" | "paused"): Promise<void>;
  /** Messenger accepted the user's message `id` (a XEP-0184 receipt when one was asked for). */
  messageDelivered(chat: Chat, id: string): Promise<void>;
  /**
   * The user's message `id` could not be delivered: an error the client shows, sent to `client`,
   * the full JID of the client that sent it (servers drop errors sent to a bare JID).
   */
  messageFailed(
    client: string,
    chat: Chat,
    id: string | undefined,
    failure: MessageFailure,
  ): Promise<void>;

  /**
   * Something changed in a room: its members or their admin role, subject or picture, or the
   * user's membership.
   */
  roomChanged(chat: Chat, change: RoomChange): Promise<void>;
  /**
   * Rooms the user should find in their client: put into their XEP-0402 bookmarks (autojoin)
   * where the server grants it, else offered with a XEP-0249 invitation. Called at login and
   * when the account is added to a group.
   */
  bookmarkRooms(user: string, rooms: RoomCard[]): Promise<void>;
}

/** A room as listed (service discovery, bookmarks). */
export interface RoomCard {
  thread: ThreadId;
  name?: string;
  /** The user's nick in it. */
  nick?: string;
  /** How many members the group has, when known. */
  members?: number;
}

/** A change in a room, as its occupants see it. */
export type RoomChange =
  /** Someone was added to the group. */
  | { kind: "joined"; occupant: Occupant; by?: Occupant }
  /** Someone left, or was removed by `by` (a kick). */
  | { kind: "left"; occupant: Occupant; by?: Occupant }
  /** The group was renamed (`by` did it); also the room's subject. */
  | { kind: "subject"; subject: string; by?: Occupant }
  /** The group's picture changed (`url` absent: removed). */
  | { kind: "avatar"; url?: string }
  /**
   * `by` made the occupant a group admin or took that role away (`occupant.admin` says which;
   * `occupant.self`: the user): the room shows admins as owners.
   */
  | { kind: "affiliation"; occupant: Occupant; by?: Occupant }
  /** The account left the group, or was removed from it by `by`: the room is gone for the user. */
  | { kind: "removed"; self: Occupant; by?: Occupant };

/** A user and one of their conversations: where something is shown. */
export interface Chat {
  /** The user's bare JID. */
  user: string;
  conversation: ConversationRef;
}

/** Who says or does something in a conversation. */
export interface Speaker {
  /** Their Messenger id. */
  id: UserId;
  /** The account itself: what the user did in another Messenger app. */
  self: boolean;
  /** How they are shown (a contact's name; an occupant's nick), when known. */
  name?: string;
}

/** A message as the user's clients should see it. */
export interface ChatMessage {
  /**
   * The XMPP id of its first stanza: the Messenger message id, or in a room, for the user's own
   * message sent from XMPP, the id their client gave it (reflected back unchanged).
   */
  id: string;
  /** In a room: the stable archive id, given as the room's `stanza-id` (the Messenger id). */
  archiveId?: string;
  /** In a room: the `origin-id` the user's client gave its message. */
  originId?: string;
  text: string;
  attachments: Attachment[];
  timestamp: number;
  /** What it replies to: the XMPP id of the replied message, and a quote for the fallback. */
  reply?: {
    id: string;
    /** The replied message's author as shown in the quote. */
    author: string;
    /** The replied message is the user's own. */
    bySelf: boolean;
    text?: string;
  };
  /** The account's own Messenger id (mentions of it are mentions of the user). */
  self?: UserId;
  /**
   * Mentions by Messenger user id (UTF-16 offsets into `text`); the XMPP side maps them to JIDs.
   * In a room, `nick` names a mentioned member, who is then addressed as an occupant.
   */
  mentions?: (Mention & { nick?: string })[];
}

/** Why a user's message failed, mapped by the XMPP side to an error condition. */
export interface MessageFailure {
  kind:
    | "not_acceptable"
    | "item_not_found"
    | "service_unavailable"
    | "remote_server_timeout"
    | "feature_not_implemented"
    | "not_allowed"
    | "internal";
  /** A sentence for the user. */
  text: string;
}

/** The XMPP server connection is down: nothing was delivered, try again once it is back. */
export class XmppUnavailable extends Error {
  override name = "XmppUnavailable";
}
