/**
 * What the XMPP side may ask of the gateway core: the one entry of the XMPP → core direction
 * (after mautrix bridgev2's `QueueMatrixEvent`), the mirror of {@link XmppPort}. Stanza handlers
 * get this object and nothing else of the core, so they never reach into sessions or flows.
 *
 * @module
 */

import type { Command, CommandCaller, FormValues } from "./command.ts";
import type { DirectoryEntry } from "./conversation_directory.ts";
import type { FriendLookup } from "./friend_lookup.ts";
import type { LoginState } from "./login_state.ts";
import type { MessageRefused } from "./outgoing_messages.ts";
import type { ParsedMessage } from "./message_actions.ts";
import type { ContactCard, PresenceState } from "./xmpp_port.ts";
import type { ConversationRef } from "../messenger/events.ts";
import type { ThreadId, UserId } from "../messenger/ids.ts";
import type { UnregisterReason } from "./gateway.ts";
import type { HistoryRequest, RoomAction, RoomInfo, RoomSnapshot } from "./rooms.ts";
import type { RoomCard } from "./xmpp_port.ts";
import type { ArchivedMessage, ArchivePage, ArchiveQuery } from "../store/room_archive.ts";
import type { FoundUser } from "./commands/find.ts";

export type {
  ArchivedMessage,
  ArchivePage,
  ArchiveQuery,
  DirectoryEntry,
  FoundUser,
  FriendLookup,
  HistoryRequest,
  MessageRefused,
  RoomAction,
  RoomCard,
  RoomInfo,
  RoomSnapshot,
  UnregisterReason,
};

/** A registered user, as the XMPP side sees them (presences, roster, vCards). */
export interface RegisteredUser {
  readonly jid: string;
  /** The login state (for texts). */
  readonly state: LoginState;
  /** The gateway JID's presence for this user (their login state). */
  presence(): PresenceState & { status: string };
  /** The contacts of the last sync. */
  readonly contacts: ContactCard[];
  /** A contact by Messenger id, when known. */
  contact(id: UserId): ContactCard | undefined;
  /** The presence the user should see from a contact now. */
  contactPresence(id: UserId): PresenceState;
  /** The user removed a contact from their roster (or added it back). Never throws. */
  contactRemovedFromRoster(id: UserId, removed: boolean): Promise<void>;
}

/**
 * Which of a user's XMPP resources are online; with `keep_sessions_when_offline = false` it ends
 * and resumes Messenger sessions accordingly.
 */
export interface ResourcePresence {
  /** A resource is available; true when it was not known online (it is then told presences). */
  available(jid: string, resource: string): boolean;
  /** A resource (or, with `""`, the whole user) went unavailable. */
  unavailable(jid: string, resource: string): void;
  /** Forgets a user (unregistered, or not registered at all). */
  forget(jid: string): void;
  /** The XMPP connection dropped: the server will tell again who is online. */
  reset(): void;
}

/** Where a one-step registration (XEP-0077) ended. */
export type OneStepRegistration = "registered" | "two_factor_required";

/** The gateway core, as the XMPP side uses it. */
export interface GatewayCore {
  /** True when the bare JID is registered. Cheap: asked for every stanza to a contact or room. */
  isRegistered(jid: string): boolean;
  /** True when the bare JID may register. */
  isAllowed(jid: string): boolean;
  /** A registered user. */
  user(jid: string): RegisteredUser | undefined;
  /** Every registered user. */
  users(): RegisteredUser[];

  /** The commands (ad-hoc and chat render the same ones). */
  commands(): Command[];
  /** Who is calling a command, from their full JID. */
  caller(fullJid: string): CommandCaller;
  /**
   * One-step registration from the in-band form. Throws a `CommandError` the XMPP side turns
   * into an error (never echoing what was submitted).
   */
  register(jid: string, values: FormValues): Promise<OneStepRegistration>;
  /** Unregisters a user; false when they were not registered. */
  unregister(jid: string, reason: UnregisterReason): Promise<boolean>;
  /** Searches Messenger users by name (XEP-0055). Throws a `CommandError`. */
  search(jid: string, query: string): Promise<FoundUser[]>;
  /** The contact JID for a name or id (XEP-0100), `null` when nobody matches. */
  resolveContact(jid: string, prompt: string): Promise<string | null>;

  /**
   * What `thread@component` is for a registered user: a group (a room; maybe one they left) or
   * a direct chat (a contact). Asked before any stanza to such a JID is acted on, so it answers
   * from memory (no promise) once the user's directory is loaded.
   */
  conversationAt(user: string, thread: ThreadId): DirectoryEntry | Promise<DirectoryEntry>;
  /**
   * A registered user's message to one of their conversations, from the client `client` (a full
   * JID: errors go back to it). Throws {@link MessageRefused} when it is refused at once; later
   * failures come back through `XmppPort.messageFailed`.
   */
  sendMessage(
    user: string,
    client: string,
    conversation: ConversationRef,
    message: ParsedMessage,
  ): void;
  /** The user's rooms (service discovery), by name. */
  rooms(user: string): Promise<RoomCard[]>;
  /**
   * A client joins a room: `show` gets what the room shows it (occupants, subject, history) and
   * sends it; it runs in the conversation's order, so no live message of the room overtakes the
   * join. False (nothing shown) when the room is not one of the user's groups.
   */
  joinRoom(
    user: string,
    thread: ThreadId,
    history: HistoryRequest,
    show: (snapshot: RoomSnapshot) => Promise<void>,
  ): Promise<boolean>;
  /** What a room is (disco#info, vCard), or undefined when it is not one of the user's groups. */
  roomInfo(user: string, thread: ThreadId): Promise<RoomInfo | undefined>;
  /** A page of a room's archive (XEP-0313); undefined when it is not one of the user's groups. */
  queryArchive(
    user: string,
    thread: ThreadId,
    query: ArchiveQuery,
  ): Promise<ArchivePage | undefined>;
  /** The first and last message of a room's archive (XEP-0313 metadata), null when empty. */
  archiveBounds(
    user: string,
    thread: ThreadId,
  ): Promise<{ first: ArchivedMessage; last: ArchivedMessage } | null | undefined>;
  /** Invite, kick, admin role, rename, leave: throws {@link MessageRefused} with what to read. */
  roomAction(user: string, thread: ThreadId, action: RoomAction): Promise<void>;
  /** Whether a Messenger user is one of the user's friends (subscription requests). */
  lookUpFriend(user: string, id: UserId): Promise<FriendLookup>;
  /** Users' resources online, and the offline policy. */
  readonly resources: ResourcePresence;
}
