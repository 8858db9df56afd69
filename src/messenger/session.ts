/**
 * The contract between the gateway and a Messenger implementation.
 *
 * A small required {@link MessengerSession} plus optional capabilities (methods marked `?`) that
 * the gateway detects with {@link capability}; a missing capability becomes an `unsupported`
 * error the user can read, never a silent drop. Both the fca adapter and the simulated network
 * implement this; the gateway imports nothing else from `src/messenger/` but these types.
 *
 * @module
 */

import type { ConnectionState } from "./connection_state.ts";
import type { Cookie, Credentials } from "./credentials.ts";
import { MessengerError } from "./errors.ts";
import type { Attachment, Mention, RemoteEvent } from "./events.ts";
import type { MessageId, ThreadId, UserId } from "./ids.ts";

/** A file the user sends, already downloaded and checked by the gateway. */
export interface OutgoingAttachment {
  filename: string;
  contentType: string;
  data: Uint8Array;
}

/** A message the gateway asks Messenger to send. At least text or one attachment. */
export interface OutgoingMessage {
  text?: string;
  replyTo?: MessageId;
  mentions?: Mention[];
  attachments?: OutgoingAttachment[];
}

/** What Messenger answered for a sent message. */
export interface SentMessage {
  id: MessageId;
  timestamp: number;
}

/** What is known about a Messenger user. */
export interface UserInfo {
  id: UserId;
  name: string;
  firstName?: string;
  /** Profile picture URL; may expire. */
  avatarUrl?: string;
  profileUrl?: string;
  isFriend?: boolean;
}

/** What is known about a conversation. */
export interface ThreadInfo {
  id: ThreadId;
  isGroup: boolean;
  name?: string;
  participants: UserId[];
  /**
   * What the thread itself says of its participants (names, profile pictures), when it says
   * anything: spares a `getUserInfo` and brings fresh picture URLs.
   */
  users?: UserInfo[];
  /** A group's admins (the rest are plain members), when known. */
  admins?: UserId[];
  imageUrl?: string;
  /** Time of the last message (ms since the epoch). */
  lastActivity?: number;
  /**
   * What the thread list says of the newest message, so a watchdog can tell whether it was
   * delivered (a message Messenger has and the listener never brought means a silently dead
   * listener); fetch it with `getHistory` for its id. Absent when the list says nothing.
   */
  lastMessage?: LastMessageSummary;
  unreadCount?: number;
  /** A pending message request rather than an accepted conversation. */
  isMessageRequest?: boolean;
}

/** A thread list's summary of a thread's newest message (no id: lists do not carry one). */
export interface LastMessageSummary {
  /** ms since the epoch. */
  timestamp: number;
  sender?: UserId;
  /** Messenger's preview text ("sent a photo." for a photo alone), when given. */
  snippet?: string;
}

/** A message read back from history. */
export interface HistoryMessage {
  id: MessageId;
  thread: ThreadId;
  sender: UserId;
  text: string;
  attachments: Attachment[];
  timestamp: number;
}

/** Receives a session's events in order. Must not throw; it is called on the adapter's loop. */
export type EventHandler = (event: RemoteEvent) => void;

/**
 * One logged-in Messenger account.
 *
 * Contract: every method settles exactly once, within the implementation's timeout, with a
 * value or a {@link MessengerError}. Events are delivered to the handlers in the order Messenger
 * produced them; duplicates (same message id) are dropped before delivery.
 */
export interface MessengerSession {
  /** The logged-in account. Known from login on; does no IO. */
  readonly self: { id: UserId; name?: string };
  /** The current connection state; does no IO. */
  readonly state: ConnectionState;
  /** Adds an event handler; returns a function removing it. Events start after {@link listen}. */
  onEvent(handler: EventHandler): () => void;
  /** Starts receiving events and keeps the connection alive (reconnecting) until disconnect. */
  listen(): Promise<void>;
  /** Sends a message to a thread. */
  sendMessage(
    thread: ThreadId,
    message: OutgoingMessage,
    options: { isGroup: boolean },
  ): Promise<SentMessage>;
  /** Cookies to save so a restart needs no password. Called after login and periodically. */
  exportCookies(): Promise<Cookie[]>;
  /** Stops everything; the session cannot be used afterwards. Never throws. */
  disconnect(): Promise<void>;

  /** Sets (or with `""` removes) the account's reaction to a message. */
  react?(message: MessageId, reaction: string): Promise<void>;
  /** Unsends one of the account's messages. */
  unsend?(message: MessageId): Promise<void>;
  /** Marks a thread read. */
  markRead?(thread: ThreadId): Promise<void>;
  /** Shows or hides the typing indicator in a thread. */
  setTyping?(thread: ThreadId, typing: boolean, options: { isGroup: boolean }): Promise<void>;
  /** Recent threads, newest first. */
  getThreads?(limit: number): Promise<ThreadInfo[]>;
  /** One thread's details. */
  getThreadInfo?(thread: ThreadId): Promise<ThreadInfo>;
  /** The last `count` messages of a thread before `before` (ms), oldest first. */
  getHistory?(thread: ThreadId, count: number, before?: number): Promise<HistoryMessage[]>;
  /** The account's friends. */
  getFriends?(): Promise<UserInfo[]>;
  /** Details of some users; unknown ids are left out. */
  getUserInfo?(users: UserId[]): Promise<UserInfo[]>;
  /** Finds users by name. */
  searchUsers?(query: string): Promise<UserInfo[]>;
  /** Creates a group with a title; returns its thread id. */
  createGroup?(users: UserId[], title: string): Promise<ThreadId>;
  /** Adds a user to a group. */
  addToGroup?(thread: ThreadId, user: UserId): Promise<void>;
  /** Removes a user (the account itself to leave) from a group. */
  removeFromGroup?(thread: ThreadId, user: UserId): Promise<void>;
  /** Renames a group. */
  renameGroup?(thread: ThreadId, name: string): Promise<void>;
  /**
   * Makes a member of a group an admin (`admin: true`) or takes that role away (the account
   * itself to step down). Only an admin may; Messenger refuses others with `bad_request`, as it
   * refuses what is so already. The change comes back as an `admins_changed` event.
   */
  setGroupAdmin?(thread: ThreadId, user: UserId, admin: boolean): Promise<void>;
  /** Accepts or declines message requests. */
  handleMessageRequest?(threads: ThreadId[], accept: boolean): Promise<void>;
  /**
   * Drops the event connection and opens a fresh one, with the same login: for a listener that
   * looks connected but brings nothing (keepalives answered, messages missing). Resolves once the
   * new connection is up, or once it is reconnecting in the background; rejects when the session
   * has ended (`not_logged_in`, `disconnected`). Events missed meanwhile are not replayed: read
   * them back with `getHistory`.
   */
  restartListener?(): Promise<void>;
}

/** Names of the optional capabilities of a session. */
export type Capability = {
  [K in keyof MessengerSession]-?: undefined extends MessengerSession[K] ? K : never;
}[keyof MessengerSession];

/** Every optional capability, e.g. for listing what a session offers or validating names. */
export const ALL_CAPABILITIES = [
  "react",
  "unsend",
  "markRead",
  "setTyping",
  "getThreads",
  "getThreadInfo",
  "getHistory",
  "getFriends",
  "getUserInfo",
  "searchUsers",
  "createGroup",
  "addToGroup",
  "removeFromGroup",
  "renameGroup",
  "setGroupAdmin",
  "handleMessageRequest",
  "restartListener",
] as const satisfies readonly Capability[];

// Fails to compile when a capability is added to MessengerSession but not to the list above.
const _allCapabilitiesListed: Capability extends (typeof ALL_CAPABILITIES)[number] ? true
  : never = true;

/**
 * Returns the capability's method bound to the session, or throws an `unsupported`
 * MessengerError naming what is missing, so callers can show it to the user.
 */
export function capability<K extends Capability>(
  session: MessengerSession,
  name: K,
): NonNullable<MessengerSession[K]> {
  const method = session[name];
  if (typeof method !== "function") {
    throw new MessengerError("unsupported", `This Messenger connection cannot ${describe(name)}`);
  }
  return (method as (...args: unknown[]) => unknown).bind(session) as NonNullable<
    MessengerSession[K]
  >;
}

/** True when the session offers the capability. */
export function hasCapability(session: MessengerSession, name: Capability): boolean {
  return typeof session[name] === "function";
}

/** What a capability does, where its name alone reads badly in "This … cannot <what>". */
const DESCRIPTIONS: Partial<Record<Capability, string>> = {
  setGroupAdmin: "make group members admins or take that role away",
};

function describe(name: Capability): string {
  return DESCRIPTIONS[name] ?? name.replace(/[A-Z]/g, (letter) => ` ${letter.toLowerCase()}`);
}

/** Options for a login. */
export interface LoginOptions {
  /** Receive own messages sent from other devices (needed for carbons). */
  selfListen?: boolean;
  /** Give up after this long (ms). */
  timeoutMs?: number;
}

/** The result of a login step: a session, or Messenger asking for a two-factor code. */
export type LoginResult =
  | { kind: "logged_in"; session: MessengerSession }
  | {
    kind: "two_factor_required";
    /** Continues the login with the code the user received. Wrong code: `two_factor_failed`. */
    submitCode(code: string): Promise<LoginResult>;
    /** Abandons the pending login and frees its resources. */
    cancel(): void;
  };

/**
 * A Messenger network: the thing that logs accounts in.
 * Login failures are thrown as MessengerError (`auth_failed`, `checkpoint`, `network`, `timeout`…).
 */
export interface MessengerNetwork {
  /** Human name of the implementation, for logs and the version reply. */
  readonly name: string;
  login(credentials: Credentials, options?: LoginOptions): Promise<LoginResult>;
  /** Frees what the network holds (servers, Workers). */
  close(): Promise<void>;
  /**
   * The origin (`http://host:port`) of the network's own file server when it runs on a private
   * address, as the simulated network's does on loopback: URLs in this network's events at
   * exactly this origin may be downloaded although private — never links users send. Absent
   * (or undefined before the server starts) otherwise.
   */
  readonly privateMediaOrigin?: string | undefined;
  /**
   * False when logins reach nothing that must be spared bursts of them (the simulated network):
   * the gateway's startup stagger (`gateway.login_stagger_ms`) is then not applied. Absent: true,
   * as for Facebook, whose account checks react to many logins from one address at once.
   */
  readonly pacesLogins?: boolean;
}
