/**
 * Messenger groups as rooms, as the gateway core keeps them: who is in each group (with their
 * room nicks), its name and picture, its archive, and what changes when Messenger says someone
 * joined, left or was removed, became an admin or stopped being one, or the group was renamed or
 * got a new picture.
 *
 * Messages, reactions, retractions, markers and typing in groups go through the same flows as in
 * direct chats (incoming_events.ts, outgoing_messages.ts); this module adds only what a group has
 * and a direct chat has not. What is known of a group lives in the user's conversation directory
 * (KV), so rooms look the same after a restart, before Messenger is connected again.
 *
 * @module
 */

import { gatewayLog } from "../log.ts";
import type { ConversationEvent } from "../messenger/events.ts";
import type { ThreadId, UserId } from "../messenger/ids.ts";
import {
  capability,
  hasCapability,
  type HistoryMessage,
  type MessengerSession,
  type UserInfo,
} from "../messenger/session.ts";
import type { ArchivedMessage } from "../store/room_archive.ts";
import type { Conversation } from "./conversation.ts";
import {
  type GroupInfo,
  type GroupMember,
  type Occupant,
  occupantByNick,
  occupantOf,
  occupantsOf,
  withMembers,
  withoutMember,
} from "./group_members.ts";
import { explainFailure } from "./login_failure.ts";
import { isMessengerError } from "../messenger/errors.ts";
import { MessageRefused } from "./outgoing_messages.ts";
import type { UserSession } from "./user_session.ts";
import type { Chat, RoomCard, XmppPort } from "./xmpp_port.ts";

/** How rooms behave (the `[groups]` configuration). */
export interface RoomSettings {
  /** History messages a joining client gets when its join does not say. */
  joinHistory: number;
  /** Messages fetched from Messenger into a room's archive when it is first joined. */
  backfill: number;
}

/** What a joining client asks of the history (XEP-0045 `<history/>`). */
export interface HistoryRequest {
  maxStanzas?: number;
  maxChars?: number;
  /** Only messages of the last `seconds`. */
  seconds?: number;
  /** Only messages since this time (ms since the epoch). */
  since?: number;
}

/** What a room shows a client that joins it. */
export interface RoomSnapshot {
  thread: ThreadId;
  /** The group's name, also the room's subject. */
  name?: string;
  /** Everyone in the room, the user first. */
  occupants: Occupant[];
  /** The user. */
  self: Occupant;
  imageUrl?: string;
  /** The history to send, oldest first. */
  history: ArchivedMessage[];
}

/** What a room is, without joining it (service discovery, vCard, affiliation lists). */
export interface RoomInfo {
  thread: ThreadId;
  name?: string;
  /** How many members the group has. */
  occupants: number;
  /**
   * The members with their nicks and roles, the user first (empty while the account is not
   * known yet): the owner and member lists of XEP-0045 are the admins and the others.
   */
  members: Occupant[];
  imageUrl?: string;
}

/** The room side of the core. */
export class Rooms {
  readonly #xmpp: XmppPort;
  readonly #settings: RoomSettings;

  constructor(options: { xmpp: XmppPort; settings: RoomSettings }) {
    this.#xmpp = options.xmpp;
    this.#settings = options.settings;
  }

  /** The user's rooms (the groups they are in), by name. */
  async list(session: UserSession): Promise<RoomCard[]> {
    const self = await session.account();
    const groups = await session.directory.groups();
    const cards: RoomCard[] = [];
    for (const entry of groups) {
      const info = await session.directory.group(entry.thread);
      const occupants = self && info ? occupantsOf(info, self) : undefined;
      const nick = occupants?.[0].nick ?? self?.name;
      cards.push({
        thread: entry.thread,
        ...(entry.name === undefined ? {} : { name: entry.name }),
        ...(nick === undefined ? {} : { nick }),
        ...(occupants ? { members: occupants.length } : {}),
      });
    }
    return cards;
  }

  /**
   * The account is in a new group (it created it, or was added): fetched, stored and put into
   * the user's bookmarks.
   */
  async joined(session: UserSession, thread: ThreadId): Promise<void> {
    const self = await session.account();
    const info = await this.refresh(session, thread);
    if (!self || !info) return;
    await this.#xmpp.bookmarkRooms(session.jid, [{
      thread,
      ...optional("name", info.name),
      nick: occupantsOf(info, self)[0].nick,
    }]);
  }

  /** What a room is, or undefined when it is not one of the user's groups. */
  async describe(session: UserSession, thread: ThreadId): Promise<RoomInfo | undefined> {
    const entry = await session.directory.lookup(thread);
    if (entry.kind !== "group" || entry.left) return undefined;
    const info = await session.directory.group(thread) ?? { members: [], admins: [] };
    const self = await session.account();
    const members = self ? occupantsOf(info, self) : [];
    return {
      thread,
      ...(info.name === undefined ? {} : { name: info.name }),
      occupants: self ? members.length : info.members.length,
      members,
      ...(info.imageUrl === undefined ? {} : { imageUrl: info.imageUrl }),
    };
  }

  /**
   * The room of `thread` as a joining client sees it, or undefined when it is not one of the
   * user's groups (never was, or they left). The first join fetches recent history from Messenger
   * into the archive (once, never twice).
   */
  async snapshot(
    session: UserSession,
    thread: ThreadId,
    history: HistoryRequest = {},
  ): Promise<RoomSnapshot | undefined> {
    const entry = await session.directory.lookup(thread);
    if (entry.kind !== "group" || entry.left) return undefined;
    const self = await session.account();
    if (!self) return undefined;
    let info = await session.directory.group(thread) ?? { members: [], admins: [] };
    if (info.members.length === 0) info = await this.refresh(session, thread) ?? info;
    const conversation = session.conversations.open({ thread, kind: "group" });
    await this.#backfillOnce(session, conversation, info, self);
    const occupants = occupantsOf(info, self);
    const limit = history.maxStanzas ?? this.#settings.joinHistory;
    const since = history.since ??
      (history.seconds === undefined ? undefined : Date.now() - history.seconds * 1000);
    const messages = limit <= 0 ? [] : await conversation.archive.recent(limit, {
      ...(history.maxChars === undefined ? {} : { maxChars: history.maxChars }),
      ...(since === undefined ? {} : { sinceMs: since }),
    });
    return {
      thread,
      ...(info.name === undefined ? {} : { name: info.name }),
      occupants,
      self: occupants[0],
      ...(info.imageUrl === undefined ? {} : { imageUrl: info.imageUrl }),
      history: messages,
    };
  }

  /**
   * Fetches a group from Messenger (name, members with their names, admins, picture) and stores
   * it. Undefined (logged) when Messenger cannot say now; the stored state stays.
   */
  async refresh(session: UserSession, thread: ThreadId): Promise<GroupInfo | undefined> {
    const messenger = session.messenger;
    if (!messenger || !hasCapability(messenger, "getThreadInfo")) return undefined;
    try {
      const thread_ = await capability(messenger, "getThreadInfo")(thread);
      if (!thread_.isGroup) return undefined;
      const known = await session.directory.group(thread);
      const members = await membersOf(session, messenger, thread_.participants, {
        known,
        told: thread_.users,
      });
      const info: GroupInfo = {
        members: thread_.participants.map((id) => members.get(id) ?? { id, name: id }),
        admins: thread_.admins ?? known?.admins ?? [],
        ...(thread_.name === undefined ? {} : { name: thread_.name }),
        ...(thread_.imageUrl === undefined ? {} : { imageUrl: thread_.imageUrl }),
      };
      await session.directory.saveGroup(thread, info);
      return info;
    } catch (error) {
      gatewayLog.warn("Could not fetch group {thread} of {jid}: {reason}", {
        thread,
        jid: session.jid,
        reason: explainFailure(error).sentence,
      });
      return undefined;
    }
  }

  /**
   * Puts the account's recent groups into the directory with their members, and into the
   * user's bookmarks (at login). Never throws.
   */
  async syncAtLogin(session: UserSession, limit: number): Promise<void> {
    const messenger = session.messenger;
    if (!messenger || !hasCapability(messenger, "getThreads")) return;
    try {
      const threads = (await capability(messenger, "getThreads")(limit)).filter((t) => t.isGroup);
      const ids = [...new Set(threads.flatMap((thread) => thread.participants))];
      const members = await membersOf(session, messenger, ids, {
        told: threads.flatMap((thread) => thread.users ?? []),
      });
      for (const thread of threads) {
        const known = await session.directory.group(thread.id);
        await session.directory.saveGroup(thread.id, {
          members: thread.participants.map((id) => members.get(id) ?? { id, name: id }),
          admins: thread.admins ?? known?.admins ?? [],
          ...(thread.name === undefined ? {} : { name: thread.name }),
          ...(thread.imageUrl === undefined ? {} : { imageUrl: thread.imageUrl }),
        });
      }
      const cards = await this.list(session);
      if (cards.length > 0) await this.#xmpp.bookmarkRooms(session.jid, cards);
    } catch (error) {
      gatewayLog.warn("Could not fetch the groups of {jid}: {reason}", {
        jid: session.jid,
        reason: explainFailure(error).sentence,
      });
    }
  }

  /** The occupant who did something in a group (an unknown member is looked up once). */
  async occupant(session: UserSession, thread: ThreadId, id: UserId): Promise<Occupant> {
    const self = await session.account() ?? { id, name: id };
    let info = await session.directory.group(thread) ?? { members: [], admins: [] };
    const known = occupantOf(info, self, id);
    if (known) return known;
    info = await this.refresh(session, thread) ?? info;
    if (!info.members.some((member) => member.id === id)) {
      // Still unknown (Messenger unreachable): shown by name or id until the next refresh.
      info = withMembers(info, [memberOf(session, { id })]);
    }
    return occupantOf(info, self, id)!;
  }

  /** The member of a group whose room nick is `nick` (case-insensitive), if any. */
  async memberByNick(
    session: UserSession,
    thread: ThreadId,
    nick: string,
  ): Promise<UserId | undefined> {
    return (await this.#member(session, thread, { nick }))?.id;
  }

  /** The occupant a room action names by nick or by Messenger id, if they are in the group. */
  async #member(
    session: UserSession,
    thread: ThreadId,
    who: MemberRef,
  ): Promise<Occupant | undefined> {
    const self = await session.account();
    const info = await session.directory.group(thread);
    if (!self || !info) return undefined;
    if ("user" in who) return occupantOf(info, self, who.user);
    return occupantByNick(occupantsOf(info, self), who.nick);
  }

  /** {@link #member}, or an `item_not_found` refusal naming who was not found. */
  async #requireMember(
    session: UserSession,
    thread: ThreadId,
    who: MemberRef,
  ): Promise<Occupant> {
    const member = await this.#member(session, thread, who);
    if (member) return member;
    throw new MessageRefused({
      kind: "item_not_found",
      text: "user" in who
        ? `Messenger user ${who.user} is not in this group`
        : `Nobody in this group is called ${who.nick}`,
    });
  }

  /**
   * A Messenger event that changes a group: members and admins, name, picture, or the account's
   * own membership. Runs in the conversation's queue, so the room changes in Messenger's order.
   */
  async applyChange(
    session: UserSession,
    conversation: Conversation,
    event: ConversationEvent,
  ): Promise<void> {
    const thread = conversation.thread;
    const chat: Chat = { user: session.jid, conversation: conversation.ref };
    const self = await session.account();
    if (!self) return;
    const info = await session.directory.group(thread) ?? { members: [], admins: [] };
    const before = occupantsOf(info, self);
    const who = (id: UserId) => before.find((occupant) => occupant.id === id);
    switch (event.type) {
      case "thread_renamed": {
        const renamed = { ...info };
        if (event.name === "") delete renamed.name;
        else renamed.name = event.name;
        await session.directory.saveGroup(thread, renamed);
        await this.#xmpp.roomChanged(chat, {
          kind: "subject",
          subject: event.name,
          ...optional("by", who(event.actor)),
        });
        return;
      }
      case "thread_image": {
        const changed = { ...info };
        if (event.url === undefined) delete changed.imageUrl;
        else changed.imageUrl = event.url;
        await session.directory.saveGroup(thread, changed);
        await this.#xmpp.roomChanged(chat, { kind: "avatar", ...optional("url", event.url) });
        return;
      }
      case "participants_added": {
        if (event.users.some((user) => user.id === self.id)) {
          // The account was added to a group: a new room, put into the user's bookmarks.
          await this.joined(session, thread);
          return;
        }
        const added = withMembers(info, event.users.map((user) => memberOf(session, user)));
        await session.directory.saveGroup(thread, added);
        const after = occupantsOf(added, self);
        for (const user of event.users) {
          const occupant = after.find((candidate) => candidate.id === user.id);
          if (!occupant || who(user.id)) continue;
          await this.#xmpp.roomChanged(chat, {
            kind: "joined",
            occupant,
            ...optional("by", who(event.actor)),
          });
        }
        return;
      }
      case "participant_left": {
        const by = event.actor === event.user ? undefined : who(event.actor);
        if (event.user === self.id) {
          await session.directory.leave(thread);
          await this.#xmpp.roomChanged(chat, {
            kind: "removed",
            self: before[0],
            ...optional("by", by),
          });
          return;
        }
        const occupant = who(event.user);
        await session.directory.saveGroup(thread, withoutMember(info, event.user));
        if (occupant) {
          await this.#xmpp.roomChanged(chat, { kind: "left", occupant, ...optional("by", by) });
        }
        return;
      }
      case "admins_changed": {
        const others = info.admins.filter((admin) => admin !== event.user);
        const changed = { ...info, admins: event.admin ? [...others, event.user] : others };
        await session.directory.saveGroup(thread, changed);
        // A member not known yet shows up with the role at their arrival (or the next refresh).
        const occupant = occupantOf(changed, self, event.user);
        if (occupant) {
          await this.#xmpp.roomChanged(chat, {
            kind: "affiliation",
            occupant,
            ...optional("by", who(event.actor)),
          });
        }
        return;
      }
      default:
        return;
    }
  }

  /**
   * Carries out what the user asked of a room from XMPP (invite, kick, admin role, new subject)
   * on Messenger. The room itself changes when Messenger's event comes back, as for changes made in
   * the app. Throws {@link MessageRefused} with what the user should read when it cannot be done.
   */
  async act(session: UserSession, thread: ThreadId, action: RoomAction): Promise<void> {
    const entry = await session.directory.lookup(thread);
    if (entry.kind !== "group" || entry.left) {
      throw new MessageRefused({ kind: "item_not_found", text: "You are not in this group" });
    }
    const messenger = await session.whenConnected(ACTION_WAIT_MS);
    if (!messenger) {
      throw new MessageRefused({
        kind: "remote_server_timeout",
        text:
          `Not done: the gateway is not connected to Messenger right now (${session.presence().status})`,
      });
    }
    try {
      switch (action.kind) {
        case "invite":
          await capability(messenger, "addToGroup")(thread, action.user);
          return;
        case "kick": {
          const member = await this.#requireMember(session, thread, { nick: action.nick });
          await capability(messenger, "removeFromGroup")(thread, member.id);
          return;
        }
        case "admin": {
          const member = await this.#requireMember(session, thread, action.member);
          await capability(messenger, "setGroupAdmin")(thread, member.id, action.admin);
          return;
        }
        case "subject":
          await capability(messenger, "renameGroup")(thread, action.subject);
          return;
        case "leave": {
          const self = await session.account();
          if (!self) return;
          await capability(messenger, "removeFromGroup")(thread, self.id);
          // The room ends now, whether or not Messenger's own event about it comes back.
          const conversation = session.conversations.open({ thread, kind: "group" });
          await conversation.queue.run("to_xmpp", () =>
            this.applyChange(session, conversation, {
              type: "participant_left",
              conversation: conversation.ref,
              actor: self.id,
              user: self.id,
              timestamp: Date.now(),
              fromSelf: true,
            }));
          return;
        }
      }
    } catch (error) {
      throw refusal(error);
    }
  }

  /**
   * Fetches the room's recent history from Messenger into its archive, once: a flag in the
   * archive says it was done, so a restart never fetches (and archives) it twice.
   */
  async #backfillOnce(
    session: UserSession,
    conversation: Conversation,
    info: GroupInfo,
    self: GroupMember,
  ): Promise<void> {
    const archive = conversation.archive;
    if (this.#settings.backfill <= 0 || await archive.isBackfilled()) return;
    const messenger = session.messenger;
    if (!messenger || !hasCapability(messenger, "getHistory")) return;
    let messages: HistoryMessage[];
    try {
      messages = await capability(messenger, "getHistory")(
        conversation.thread,
        this.#settings.backfill,
      );
    } catch (error) {
      gatewayLog.info("No history of group {thread} for {jid}: {reason}", {
        thread: conversation.thread,
        jid: session.jid,
        reason: explainFailure(error).sentence,
      });
      return;
    }
    const occupants = occupantsOf(
      withMembers(info, messages.map((message) => memberOf(session, { id: message.sender }))),
      self,
    );
    for (const message of messages) {
      const author = occupants.find((occupant) => occupant.id === message.sender);
      // Messages that came live before the first join are archived already: kept as they are.
      if (await archive.get(message.id)) continue;
      await archive.append({
        id: message.id,
        timestamp: message.timestamp,
        actor: message.sender,
        nick: author?.nick ?? message.sender,
        fromSelf: message.sender === self.id,
        text: message.text,
        attachments: message.attachments,
      });
      // Later Messenger redeliveries of these are duplicates, never shown again.
      await session.ids.markSeen(message.id, message.timestamp);
      conversation.link(message.id, [message.id]);
    }
    await archive.markBackfilled();
  }
}

/** How long a room action waits for a briefly disconnected Messenger session (ms). */
const ACTION_WAIT_MS = 15_000;

/** Something the user asks of a room from XMPP. */
export type RoomAction =
  /** Add a Messenger user (a contact's JID, or a XEP-0249 / mediated invitation). */
  | { kind: "invite"; user: UserId }
  /** Remove the member with this nick (a kick: `role='none'`). */
  | { kind: "kick"; nick: string }
  /**
   * Make a member an admin (`admin: true`, a room owner) or a plain member again (an
   * affiliation change); Messenger's own event about it then changes the room.
   */
  | { kind: "admin"; member: MemberRef; admin: boolean }
  /** Rename the group (a new subject). */
  | { kind: "subject"; subject: string }
  /** Leave the group for good (the leave-group command). */
  | { kind: "leave" };

/** A group member as a room action names them: by room nick, or by Messenger id (a JID). */
export type MemberRef = { nick: string } | { user: UserId };

/** What the user reads when Messenger refuses a room action. */
function refusal(error: unknown): MessageRefused {
  if (error instanceof MessageRefused) return error;
  const sentence = explainFailure(error).sentence;
  if (isMessengerError(error, "bad_request")) {
    return new MessageRefused({ kind: "not_allowed", text: `Messenger refused: ${sentence}` });
  }
  if (isMessengerError(error, "unsupported")) {
    return new MessageRefused({ kind: "feature_not_implemented", text: sentence });
  }
  if (isMessengerError(error, "not_found")) {
    return new MessageRefused({ kind: "item_not_found", text: `Messenger refused: ${sentence}` });
  }
  if (isMessengerError(error, "network", "timeout", "disconnected", "rate_limited")) {
    return new MessageRefused({ kind: "remote_server_timeout", text: `Not done: ${sentence}` });
  }
  gatewayLog.error("A room action failed: {error}", { error });
  return new MessageRefused({ kind: "internal", text: `Not done: ${sentence}` });
}

/**
 * A member from an event's user, named by the event, the contact list, or their id; with the
 * contact's picture when they are one.
 */
function memberOf(session: UserSession, user: { id: UserId; name?: string }): GroupMember {
  const contact = session.contact(user.id);
  return {
    id: user.id,
    name: user.name ?? contact?.name ?? user.id,
    ...optional("avatarUrl", contact?.avatarUrl),
  };
}

/**
 * Names and pictures of users, from what is known (the account, the stored group, contacts,
 * what the thread itself `told`); the users still without a name or a picture are asked of
 * Messenger at once, in one call (stored groups from before pictures were kept get theirs so).
 * Pictures: a contact's current one first (the same URL their roster entry shows, so one download
 * serves both), then Messenger's newest, then the stored one (the URLs expire).
 */
async function membersOf(
  session: UserSession,
  messenger: MessengerSession,
  ids: UserId[],
  from: { known?: GroupInfo | undefined; told?: UserInfo[] | undefined },
): Promise<Map<UserId, GroupMember>> {
  const members = new Map<UserId, GroupMember>();
  const learn = (id: UserId, name: string | undefined, avatarUrl: string | undefined) => {
    const was = members.get(id);
    const url = avatarUrl || was?.avatarUrl;
    members.set(id, {
      id,
      name: name || was?.name || id,
      ...optional("avatarUrl", url),
    });
  };
  const self = messenger.self;
  if (self.name) learn(self.id, self.name, undefined);
  for (const member of from.known?.members ?? []) {
    learn(member.id, member.name === member.id ? undefined : member.name, member.avatarUrl);
  }
  for (const user of from.told ?? []) learn(user.id, user.name, user.avatarUrl);
  const lacking = (id: UserId) => {
    const member = members.get(id);
    return member === undefined || member.name === id ||
      (member.avatarUrl === undefined && id !== self.id);
  };
  const missing = ids.filter((id) => lacking(id) && !session.contact(id));
  if (missing.length > 0 && hasCapability(messenger, "getUserInfo")) {
    try {
      for (const user of await capability(messenger, "getUserInfo")(missing)) {
        learn(user.id, user.name, user.avatarUrl);
      }
    } catch (error) {
      gatewayLog.debug("Could not fetch the names of group members: {reason}", {
        reason: explainFailure(error).sentence,
      });
    }
  }
  for (const id of ids) {
    const contact = session.contact(id);
    if (contact) learn(id, contact.name, contact.avatarUrl);
  }
  return members;
}

/** `{ [key]: value }` when the value is defined, `{}` otherwise (exact optional properties). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
