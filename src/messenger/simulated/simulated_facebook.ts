/**
 * The Facebook side of the simulation: the state of the world (users, threads, messages,
 * reactions), Messenger's rules (who may do what, one reaction per user, unsend only one's own
 * messages…) and the fan-out of every change as events to the logged-in sessions of everyone
 * concerned.
 *
 * Gateway sessions and the control API both act through it, so a friend's message injected by a
 * test and a message the gateway sends follow the same rules. Everything here is synchronous;
 * sessions deliver the events asynchronously and in order.
 *
 * Who is told what:
 * - messages, reactions, unsends, read receipts and typing go to every session of every account
 *   in the thread, except the session that acted (it knows what it did); the account's other
 *   sessions get them with `fromSelf: true`;
 * - group changes (rename, add, remove/leave, picture, admins) go to every session of every
 *   member, the acting session included (the events carry `author`);
 * - presence goes to the sessions of accounts that have the user as a friend.
 *
 * @module
 */

import type { ConnectionState } from "../connection_state.ts";
import { MessengerError } from "../errors.ts";
import type {
  Attachment,
  ConversationRef,
  Mention,
  RemoteEvent,
  RepliedMessage,
} from "../events.ts";
import { asUserId, directThreadOf, type MessageId, type ThreadId, type UserId } from "../ids.ts";
import type { HistoryMessage, ThreadInfo, UserInfo } from "../session.ts";
import { FaultPlan } from "./faults.ts";
import type { SimulatedIds } from "./simulated_ids.ts";
import type { WorkTracker } from "./work_tracker.ts";
import type { World, WorldAccount, WorldUser } from "./world.ts";

/** The longest text Messenger accepts in one message. */
export const MAX_TEXT_LENGTH = 20_000;

/** What the simulated Facebook knows of a logged-in session, and how it reaches it. */
export interface SessionPort {
  /** The session number (as in the operation log). */
  readonly id: number;
  readonly account: UserId;
  /** Connection state, for the control API's account listing. */
  readonly state: ConnectionState;
  /** Hands over an event meant for this session; the session drops what it must not deliver. */
  deliver(event: RemoteEvent): void;
  /** Simulates losing the connection for `downMs` (the `drop_connection` fault). */
  dropConnection(downMs: number, loseEvents: boolean): void;
  /** Simulates Facebook ending the session (the `expire_session` fault). */
  expire(): void;
  /** Simulates a listener that stays connected but brings nothing (the `silent` fault). */
  silence(): void;
}

/** Who caused a change: a gateway session (not told about its own act) or the control API. */
export interface Origin {
  session?: number;
}

/** An account's live state. */
export interface SimAccount {
  readonly world: WorldAccount;
  readonly user: WorldUser;
  readonly friends: Set<UserId>;
  readonly sessions: Set<SessionPort>;
  readonly faults: FaultPlan;
}

/** One account's view of a thread. */
interface ThreadView {
  unread: number;
  /** A pending request from a non-friend. */
  messageRequest: boolean;
  /** The account replied or accepted: later messages are no longer requests. */
  accepted: boolean;
  /** Declined: left out of the thread list until a new message comes. */
  hidden: boolean;
}

/** A conversation, 1:1 or group. */
export interface SimThread {
  /** Internal key: the group id, or `direct:<a>:<b>`. */
  readonly key: string;
  readonly isGroup: boolean;
  /** The group id (groups only; a 1:1 thread's id depends on who looks at it). */
  readonly groupId?: ThreadId;
  name?: string;
  imageUrl?: string;
  participants: UserId[];
  /** Group members who may remove others and make or unmake admins. */
  admins: UserId[];
  readonly messages: SimMessage[];
  lastActivity?: number;
  readonly views: Map<UserId, ThreadView>;
}

/** A stored message. */
export interface SimMessage {
  readonly id: MessageId;
  readonly thread: SimThread;
  readonly sender: UserId;
  readonly text: string;
  readonly attachments: Attachment[];
  readonly mentions: Mention[];
  readonly replyTo?: RepliedMessage;
  readonly timestamp: number;
  /** One reaction per user. */
  readonly reactions: Map<UserId, string>;
  unsent: boolean;
}

/** The content of a new message. */
export interface NewMessage {
  text: string;
  attachments: Attachment[];
  mentions: Mention[];
  replyTo?: MessageId;
  /** Only for injected messages: a chosen id (must be new). */
  id?: MessageId;
  /** Only for injected messages: a chosen time. */
  timestamp?: number;
}

/** Builds the event a change produces, as one account sees it. */
export type EventFor = (viewer: UserId) => RemoteEvent;

/** Settings of the simulated Facebook. */
export interface SimulatedFacebookOptions {
  ids: SimulatedIds;
  tracker: WorkTracker;
  /** The clock (ms since the epoch). */
  now: () => number;
  /** Delay of echo friends' answers. */
  echoDelayMs: number;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** The simulated Messenger service: state, rules and fan-out. */
export class SimulatedFacebook {
  readonly #users = new Map<string, WorldUser>();
  readonly #accounts = new Map<string, SimAccount>();
  readonly #threads = new Map<string, SimThread>();
  readonly #messages = new Map<string, SimMessage>();
  #lastTimestamp = 0;

  constructor(world: World, private readonly options: SimulatedFacebookOptions) {
    for (const user of world.users) this.#users.set(user.id, { ...user });
    for (const account of world.accounts) {
      const user = this.#users.get(account.userId);
      if (user === undefined) throw new Error(`World account ${account.userId} has no user entry`);
      this.#accounts.set(account.userId, {
        world: account,
        user,
        friends: new Set(account.friends),
        sessions: new Set(),
        faults: new FaultPlan(),
      });
    }
    for (const group of world.groups) {
      const thread = this.#newThread(group.id, true, [...group.members]);
      thread.admins = [...group.admins];
      if (group.name !== undefined) thread.name = group.name;
      if (group.imageUrl !== undefined) thread.imageUrl = group.imageUrl;
      thread.lastActivity = this.#tick();
    }
    for (const account of world.accounts) {
      for (const request of account.messageRequests) {
        const thread = this.resolveThread(request.from, directThreadOf(account.userId));
        this.sendMessage(request.from, thread, {
          text: request.text,
          attachments: [],
          mentions: [],
        }, {});
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Accounts and sessions

  /** Every account, in world-file order. */
  accounts(): SimAccount[] {
    return [...this.#accounts.values()];
  }

  /** The account with this user id, if any. */
  account(id: string): SimAccount | undefined {
    return this.#accounts.get(id);
  }

  /** The account with this email (case-insensitive), if any. */
  accountByEmail(email: string): SimAccount | undefined {
    const wanted = email.trim().toLowerCase();
    return this.accounts().find((account) => account.world.email.toLowerCase() === wanted);
  }

  /** The account, or a `not_found` error naming the id. */
  requireAccount(id: string): SimAccount {
    const account = this.#accounts.get(id);
    if (account === undefined) {
      throw new MessengerError("not_found", `No account ${id} in this world`);
    }
    return account;
  }

  /** A user of the world, or a `not_found` error. */
  requireUser(id: string): WorldUser {
    const user = this.#users.get(id);
    if (user === undefined) throw new MessengerError("not_found", `No Messenger user ${id}`);
    return user;
  }

  /** Starts delivering events to a session. */
  attach(port: SessionPort): void {
    this.requireAccount(port.account).sessions.add(port);
  }

  /** Stops delivering events to a session. */
  detach(port: SessionPort): void {
    this.#accounts.get(port.account)?.sessions.delete(port);
  }

  // ---------------------------------------------------------------------------------------------
  // Threads

  /**
   * The thread `threadId` names for `viewer`: a group the viewer is in, or the 1:1 thread with a
   * known user. Anything else is `not_found`.
   */
  resolveThread(viewer: UserId, threadId: ThreadId): SimThread {
    const group = this.#threads.get(threadId);
    if (group !== undefined && group.isGroup) {
      if (!group.participants.includes(viewer)) throw threadNotFound(threadId);
      return group;
    }
    if (threadId === directThreadOf(viewer) || !this.#users.has(threadId)) {
      throw threadNotFound(threadId);
    }
    const other = asUserId(threadId);
    const key = directKey(viewer, other);
    return this.#threads.get(key) ?? this.#newDirectThread(key, viewer, other);
  }

  /** The id `viewer` knows the thread by (a 1:1 thread is named after the other person). */
  threadIdFor(thread: SimThread, viewer: UserId): ThreadId {
    if (thread.groupId !== undefined) return thread.groupId;
    const other = thread.participants.find((user) => user !== viewer) ?? thread.participants[0];
    return directThreadOf(other);
  }

  /** The conversation as `viewer` knows it: its thread id for them, and its kind. */
  conversationFor(thread: SimThread, viewer: UserId): ConversationRef {
    return { thread: this.threadIdFor(thread, viewer), kind: thread.isGroup ? "group" : "direct" };
  }

  // ---------------------------------------------------------------------------------------------
  // Changes (each validates, updates the state, fans out and returns the event builder)

  /** `actor` sends a message to `thread`. */
  sendMessage(actor: UserId, thread: SimThread, input: NewMessage, origin: Origin): SimMessage {
    this.#requireParticipant(actor, thread);
    if (input.text.trim() === "" && input.attachments.length === 0) {
      throw new MessengerError("bad_request", "A message needs text or an attachment");
    }
    if (input.text.length > MAX_TEXT_LENGTH) {
      throw new MessengerError(
        "bad_request",
        `A message has at most ${MAX_TEXT_LENGTH} characters`,
      );
    }
    let replyTo: RepliedMessage | undefined;
    if (input.replyTo !== undefined) {
      const replied = this.#messages.get(input.replyTo);
      if (replied === undefined || replied.thread !== thread || replied.unsent) {
        throw new MessengerError(
          "not_found",
          `No message ${input.replyTo} in this thread to reply to`,
        );
      }
      replyTo = { id: replied.id, actor: replied.sender, text: replied.text };
    }
    for (const mention of input.mentions) {
      if (!thread.participants.includes(mention.user)) {
        throw new MessengerError(
          "bad_request",
          `Mentioned user ${mention.user} is not in the thread`,
        );
      }
      if (
        !Number.isInteger(mention.offset) || !Number.isInteger(mention.length) ||
        mention.offset < 0 || mention.length <= 0 ||
        mention.offset + mention.length > input.text.length
      ) {
        throw new MessengerError("bad_request", "A mention lies outside the text");
      }
    }
    if (input.id !== undefined && this.#messages.has(input.id)) {
      throw new MessengerError("bad_request", `Message ${input.id} already exists`);
    }
    const message: SimMessage = {
      id: input.id ?? this.options.ids.message(),
      thread,
      sender: actor,
      text: input.text,
      attachments: input.attachments.map((attachment) => ({ ...attachment })),
      mentions: input.mentions.map((mention) => ({ ...mention })),
      timestamp: input.timestamp ?? this.#tick(),
      reactions: new Map(),
      unsent: false,
      ...(replyTo === undefined ? {} : { replyTo }),
    };
    thread.messages.push(message);
    this.#messages.set(message.id, message);
    thread.lastActivity = Math.max(thread.lastActivity ?? 0, message.timestamp);
    this.#updateViewsForMessage(thread, actor);
    this.#fanOut(thread.participants, (viewer) => this.messageEvent(message, viewer), origin, true);
    this.#echoMessage(message);
    return message;
  }

  /** `actor` sets (or with `""` removes) their one reaction to a message. Unchanged: no event. */
  react(
    actor: UserId,
    messageId: MessageId,
    reaction: string,
    origin: Origin,
    timestamp?: number,
  ): EventFor | undefined {
    const message = this.#visibleMessage(actor, messageId);
    if (
      reaction !== "" && (reaction.trim() === "" || [...graphemes.segment(reaction)].length !== 1)
    ) {
      throw new MessengerError("bad_request", "A reaction must be exactly one emoji");
    }
    if ((message.reactions.get(actor) ?? "") === reaction) return undefined;
    if (reaction === "") message.reactions.delete(actor);
    else message.reactions.set(actor, reaction);
    const time = timestamp ?? this.#tick();
    const eventFor: EventFor = (viewer) => ({
      type: "reaction",
      conversation: this.conversationFor(message.thread, viewer),
      actor,
      messageId: message.id,
      reaction,
      timestamp: time,
      fromSelf: viewer === actor,
    });
    this.#fanOut(message.thread.participants, eventFor, origin, true);
    this.#echoReaction(message, actor, reaction);
    return eventFor;
  }

  /** `actor` unsends one of their own messages. */
  unsend(actor: UserId, messageId: MessageId, origin: Origin, timestamp?: number): EventFor {
    const message = this.#visibleMessage(actor, messageId);
    if (message.sender !== actor) {
      throw new MessengerError("bad_request", "Only its sender can unsend a message");
    }
    message.unsent = true;
    const time = timestamp ?? this.#tick();
    const eventFor: EventFor = (viewer) => ({
      type: "unsend",
      conversation: this.conversationFor(message.thread, viewer),
      actor,
      messageId: message.id,
      timestamp: time,
      fromSelf: viewer === actor,
    });
    this.#fanOut(message.thread.participants, eventFor, origin, true);
    return eventFor;
  }

  /** `actor` reads `thread` up to now. */
  markRead(actor: UserId, thread: SimThread, origin: Origin, timestamp?: number): EventFor {
    this.#requireParticipant(actor, thread);
    const view = this.#viewOf(thread, actor);
    if (view !== undefined) view.unread = 0;
    const time = timestamp ?? this.#tick();
    const eventFor: EventFor = (viewer) => ({
      type: "read_receipt",
      conversation: this.conversationFor(thread, viewer),
      actor,
      timestamp: time,
      fromSelf: viewer === actor,
    });
    this.#fanOut(thread.participants, eventFor, origin, true);
    return eventFor;
  }

  /** `actor` starts or stops typing in `thread`. */
  setTyping(actor: UserId, thread: SimThread, typing: boolean, origin: Origin): EventFor {
    this.#requireParticipant(actor, thread);
    const time = this.options.now();
    const eventFor: EventFor = (viewer) => ({
      type: "typing",
      conversation: this.conversationFor(thread, viewer),
      actor,
      typing,
      timestamp: time,
      fromSelf: viewer === actor,
    });
    this.#fanOut(thread.participants, eventFor, origin, true);
    return eventFor;
  }

  /** A user's online state changes; told to the accounts that have them as a friend. */
  setPresence(user: UserId, online: boolean, lastActive?: number): EventFor {
    this.requireUser(user);
    const eventFor: EventFor = () => ({
      type: "presence",
      actor: user,
      online,
      ...(lastActive === undefined ? {} : { lastActive }),
    });
    const watchers = this.accounts().filter((account) => account.friends.has(user));
    this.#fanOut(watchers.map((account) => account.world.userId), eventFor, {}, false);
    return eventFor;
  }

  /** `actor` renames a group (`""` removes the name). */
  renameGroup(
    actor: UserId,
    thread: SimThread,
    name: string,
    origin: Origin,
    timestamp?: number,
  ): EventFor {
    this.#requireGroupMember(actor, thread);
    const trimmed = name.trim();
    if (trimmed === "") delete thread.name;
    else thread.name = trimmed;
    const time = timestamp ?? this.#tick();
    const eventFor: EventFor = (viewer) => ({
      type: "thread_renamed",
      conversation: this.conversationFor(thread, viewer),
      actor,
      name: trimmed,
      timestamp: time,
      fromSelf: viewer === actor,
    });
    this.#fanOut(thread.participants, eventFor, origin, false);
    return eventFor;
  }

  /** `actor` adds users to a group. */
  addToGroup(
    actor: UserId,
    thread: SimThread,
    users: UserId[],
    origin: Origin,
    timestamp?: number,
  ): EventFor {
    this.#requireGroupMember(actor, thread);
    if (users.length === 0) throw new MessengerError("bad_request", "No user to add");
    const added: UserId[] = [];
    const friends = this.#accounts.get(actor)?.friends;
    for (const user of users) {
      const added_ = this.requireUser(user);
      if (friends !== undefined && !friends.has(user)) {
        throw new MessengerError(
          "bad_request",
          `${added_.name} is not your Messenger friend: only friends can be added to a group`,
        );
      }
      if (thread.participants.includes(user) || added.includes(user)) {
        throw new MessengerError("bad_request", `User ${user} is already in the group`);
      }
      added.push(user);
    }
    thread.participants.push(...added);
    const time = timestamp ?? this.#tick();
    const eventFor: EventFor = (viewer) => ({
      type: "participants_added",
      conversation: this.conversationFor(thread, viewer),
      actor,
      users: added.map((id) => ({ id, name: this.requireUser(id).name })),
      timestamp: time,
      fromSelf: viewer === actor,
    });
    this.#fanOut(thread.participants, eventFor, origin, false);
    return eventFor;
  }

  /** `actor` removes `user` from a group (themselves: leaves it). */
  removeFromGroup(
    actor: UserId,
    thread: SimThread,
    user: UserId,
    origin: Origin,
    timestamp?: number,
  ): EventFor {
    this.#requireGroupMember(actor, thread);
    if (!thread.participants.includes(user)) {
      throw new MessengerError("bad_request", `User ${user} is not in the group`);
    }
    if (user !== actor && !thread.admins.includes(actor)) {
      throw new MessengerError("bad_request", "Only a group admin can remove someone else");
    }
    const before = [...thread.participants];
    thread.admins = thread.admins.filter((admin) => admin !== user);
    thread.participants = thread.participants.filter((member) => member !== user);
    thread.views.delete(user);
    const time = timestamp ?? this.#tick();
    const eventFor: EventFor = (viewer) => ({
      type: "participant_left",
      conversation: this.conversationFor(thread, viewer),
      actor,
      user,
      timestamp: time,
      fromSelf: viewer === actor,
    });
    this.#fanOut(before, eventFor, origin, false);
    return eventFor;
  }

  /** `actor` changes (or with `undefined` removes) a group's picture. */
  setGroupImage(
    actor: UserId,
    thread: SimThread,
    url: string | undefined,
    origin: Origin,
    timestamp?: number,
  ): EventFor {
    this.#requireGroupMember(actor, thread);
    if (url === undefined) delete thread.imageUrl;
    else thread.imageUrl = url;
    const time = timestamp ?? this.#tick();
    const eventFor: EventFor = (viewer) => ({
      type: "thread_image",
      conversation: this.conversationFor(thread, viewer),
      actor,
      ...(url === undefined ? {} : { url }),
      timestamp: time,
      fromSelf: viewer === actor,
    });
    this.#fanOut(thread.participants, eventFor, origin, false);
    return eventFor;
  }

  /**
   * `actor`, a group admin, makes `user` an admin (`admin: true`) or takes that role away; an
   * admin may step down themselves. What is so already is refused, as Messenger greys it out.
   */
  setAdmin(
    actor: UserId,
    thread: SimThread,
    user: UserId,
    admin: boolean,
    origin: Origin,
    timestamp?: number,
  ): EventFor {
    this.#requireGroupMember(actor, thread);
    if (!thread.admins.includes(actor)) {
      throw new MessengerError("bad_request", "Only a group admin can make or unmake admins");
    }
    if (!thread.participants.includes(user)) {
      throw new MessengerError("bad_request", `User ${user} is not in the group`);
    }
    if (thread.admins.includes(user) === admin) {
      throw new MessengerError(
        "bad_request",
        `User ${user} is ${admin ? "already" : "not"} an admin of the group`,
      );
    }
    thread.admins = admin
      ? [...thread.admins, user]
      : thread.admins.filter((known) => known !== user);
    const time = timestamp ?? this.#tick();
    const eventFor: EventFor = (viewer) => ({
      type: "admins_changed",
      conversation: this.conversationFor(thread, viewer),
      actor,
      user,
      admin,
      timestamp: time,
      fromSelf: viewer === actor,
    });
    this.#fanOut(thread.participants, eventFor, origin, false);
    return eventFor;
  }

  /** `actor` creates a group with at least two other people; members are told who was added. */
  createGroup(actor: UserId, users: UserId[], title: string, origin: Origin): SimThread {
    const others = [...new Set(users)].filter((user) => user !== actor);
    for (const user of others) this.requireUser(user);
    if (others.length < 2) {
      throw new MessengerError("bad_request", "A group needs at least two other people");
    }
    const id = this.options.ids.group((candidate) =>
      this.#threads.has(candidate) || this.#users.has(candidate)
    );
    const thread = this.#newThread(id, true, [actor, ...others]);
    thread.admins = [actor];
    if (title.trim() !== "") thread.name = title.trim();
    const time = this.#tick();
    thread.lastActivity = time;
    this.#fanOut(
      thread.participants,
      (viewer) => ({
        type: "participants_added",
        conversation: this.conversationFor(thread, viewer),
        actor,
        users: others.map((user) => ({ id: user, name: this.requireUser(user).name })),
        timestamp: time,
        fromSelf: viewer === actor,
      }),
      origin,
      false,
    );
    return thread;
  }

  /** `actor` accepts or declines pending message requests (all or none). */
  handleMessageRequest(actor: UserId, threadIds: ThreadId[], accept: boolean): void {
    if (threadIds.length === 0) throw new MessengerError("bad_request", "No thread given");
    const views = threadIds.map((threadId) => {
      const view = this.#viewOf(this.resolveThread(actor, threadId), actor);
      if (view === undefined || !view.messageRequest) {
        throw new MessengerError("bad_request", `Thread ${threadId} is not a message request`);
      }
      return view;
    });
    for (const view of views) {
      view.messageRequest = false;
      view.accepted = accept;
      view.hidden = !accept;
    }
  }

  /**
   * Delivers a stored message to the account's sessions once more, as Facebook sometimes does
   * (sessions must drop the duplicate). Returns how many sessions it was handed to.
   */
  redeliver(account: UserId, messageId: MessageId): number {
    const message = this.#messages.get(messageId);
    const target = this.requireAccount(account);
    if (message === undefined || !message.thread.participants.includes(account)) {
      throw new MessengerError("not_found", `No message ${messageId} for account ${account}`);
    }
    for (const port of target.sessions) port.deliver(this.messageEvent(message, account));
    return target.sessions.size;
  }

  // ---------------------------------------------------------------------------------------------
  // Queries

  /** The message as `viewer` receives it. */
  messageEvent(message: SimMessage, viewer: UserId): RemoteEvent {
    return {
      type: "message",
      conversation: this.conversationFor(message.thread, viewer),
      actor: message.sender,
      id: message.id,
      text: message.text,
      attachments: message.attachments.map((attachment) => ({ ...attachment })),
      mentions: message.mentions.map((mention) => ({ ...mention })),
      ...(message.replyTo === undefined ? {} : { replyTo: { ...message.replyTo } }),
      timestamp: message.timestamp,
      fromSelf: message.sender === viewer,
    };
  }

  /** The account's threads with activity, newest first (declined requests left out). */
  threads(account: UserId, limit: number): ThreadInfo[] {
    return [...this.#threads.values()]
      .filter((thread) =>
        thread.participants.includes(account) && (thread.isGroup || thread.messages.length > 0) &&
        this.#viewOf(thread, account)?.hidden !== true
      )
      .sort((a, b) => (b.lastActivity ?? 0) - (a.lastActivity ?? 0))
      .slice(0, Math.max(0, limit))
      .map((thread) => this.threadInfo(account, thread));
  }

  /** What `viewer` sees of a thread. */
  threadInfo(viewer: UserId, thread: SimThread): ThreadInfo {
    const info: ThreadInfo = {
      id: this.threadIdFor(thread, viewer),
      isGroup: thread.isGroup,
      participants: [...thread.participants],
      ...(thread.isGroup ? { admins: [...thread.admins] } : {}),
    };
    const other = thread.isGroup ? undefined : this.#users.get(this.threadIdFor(thread, viewer));
    const name = thread.isGroup ? thread.name : other?.name;
    const imageUrl = thread.isGroup ? thread.imageUrl : other?.avatarUrl;
    if (name !== undefined) info.name = name;
    if (imageUrl !== undefined) info.imageUrl = imageUrl;
    if (thread.lastActivity !== undefined) info.lastActivity = thread.lastActivity;
    const last = thread.messages.findLast((message) => !message.unsent);
    if (last !== undefined) {
      info.lastMessage = { timestamp: last.timestamp, sender: last.sender, snippet: last.text };
    }
    const view = this.#viewOf(thread, viewer);
    info.unreadCount = view?.unread ?? 0;
    info.isMessageRequest = view?.messageRequest ?? false;
    return info;
  }

  /** The last `count` messages before `before`, oldest first (unsent ones left out). */
  history(viewer: UserId, thread: SimThread, count: number, before?: number): HistoryMessage[] {
    const visible = thread.messages.filter((message) =>
      !message.unsent && (before === undefined || message.timestamp < before)
    );
    return visible.slice(Math.max(0, visible.length - Math.max(0, count))).map((message) => ({
      id: message.id,
      thread: this.threadIdFor(thread, viewer),
      sender: message.sender,
      text: message.text,
      attachments: message.attachments.map((attachment) => ({ ...attachment })),
      timestamp: message.timestamp,
    }));
  }

  /** The account's friends. */
  friends(account: UserId): UserInfo[] {
    return [...this.requireAccount(account).friends].map((id) =>
      this.userInfo(account, this.requireUser(id))
    );
  }

  /** What `viewer` sees of a user. */
  userInfo(viewer: UserId, user: WorldUser): UserInfo {
    const info: UserInfo = {
      id: user.id,
      name: user.name,
      profileUrl: `https://www.facebook.com/profile.php?id=${user.id}`,
      isFriend: this.#accounts.get(viewer)?.friends.has(user.id) ?? false,
    };
    if (user.firstName !== undefined) info.firstName = user.firstName;
    else info.firstName = user.name.split(/\s+/)[0];
    if (user.avatarUrl !== undefined) info.avatarUrl = user.avatarUrl;
    return info;
  }

  /** Known users among `ids` (unknown ones left out). */
  users(viewer: UserId, ids: UserId[]): UserInfo[] {
    return ids.flatMap((id) => {
      const user = this.#users.get(id);
      return user === undefined ? [] : [this.userInfo(viewer, user)];
    });
  }

  /** Users whose name contains `query` (case-insensitive), friends first, at most 20. */
  search(viewer: UserId, query: string): UserInfo[] {
    const wanted = query.trim().toLowerCase();
    if (wanted === "") throw new MessengerError("bad_request", "The search text is empty");
    const friends = this.#accounts.get(viewer)?.friends ?? new Set();
    return [...this.#users.values()]
      .filter((user) => user.id !== viewer && user.name.toLowerCase().includes(wanted))
      .sort((a, b) => Number(friends.has(b.id)) - Number(friends.has(a.id)))
      .slice(0, 20)
      .map((user) => this.userInfo(viewer, user));
  }

  /** A message `viewer` may see, or `not_found`. */
  #visibleMessage(viewer: UserId, messageId: MessageId): SimMessage {
    const message = this.#messages.get(messageId);
    if (message === undefined || message.unsent || !message.thread.participants.includes(viewer)) {
      throw new MessengerError("not_found", `No message ${messageId}`);
    }
    return message;
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  /** A strictly increasing clock, so messages sent in the same millisecond keep their order. */
  #tick(): number {
    this.#lastTimestamp = Math.max(this.options.now(), this.#lastTimestamp + 1);
    return this.#lastTimestamp;
  }

  #newThread(id: ThreadId, isGroup: true, participants: UserId[]): SimThread {
    const thread: SimThread = {
      key: id,
      isGroup,
      groupId: id,
      participants,
      admins: [],
      messages: [],
      views: new Map(),
    };
    this.#threads.set(thread.key, thread);
    return thread;
  }

  #newDirectThread(key: string, a: UserId, b: UserId): SimThread {
    const thread: SimThread = {
      key,
      isGroup: false,
      participants: [a, b],
      admins: [],
      messages: [],
      views: new Map(),
    };
    this.#threads.set(key, thread);
    return thread;
  }

  /** The account's view of the thread (undefined for users who are not accounts). */
  #viewOf(thread: SimThread, user: UserId): ThreadView | undefined {
    if (!this.#accounts.has(user)) return undefined;
    let view = thread.views.get(user);
    if (view === undefined) {
      view = { unread: 0, messageRequest: false, accepted: false, hidden: false };
      thread.views.set(user, view);
    }
    return view;
  }

  #updateViewsForMessage(thread: SimThread, sender: UserId): void {
    for (const participant of thread.participants) {
      const view = this.#viewOf(thread, participant);
      if (view === undefined) continue;
      view.hidden = false;
      if (participant === sender) {
        view.unread = 0;
        view.accepted = true;
        view.messageRequest = false;
        continue;
      }
      view.unread += 1;
      const isFriend = this.#accounts.get(participant)?.friends.has(sender) ?? false;
      if (!thread.isGroup && !isFriend && !view.accepted) view.messageRequest = true;
    }
  }

  #requireParticipant(user: UserId, thread: SimThread): void {
    if (!thread.participants.includes(user)) {
      throw new MessengerError("not_found", `User ${user} is not in this thread`);
    }
  }

  #requireGroupMember(user: UserId, thread: SimThread): void {
    if (!thread.isGroup) throw new MessengerError("bad_request", "This is not a group");
    this.#requireParticipant(user, thread);
  }

  /** Hands `eventFor(viewer)` to every session of every account among `users`. */
  #fanOut(users: UserId[], eventFor: EventFor, origin: Origin, skipOrigin: boolean): void {
    for (const user of users) {
      const account = this.#accounts.get(user);
      if (account === undefined) continue;
      for (const port of account.sessions) {
        if (skipOrigin && port.id === origin.session) continue;
        port.deliver(eventFor(user));
      }
    }
  }

  #isEcho(user: UserId): boolean {
    return this.#users.get(user)?.echo === true;
  }

  /** Echo friends in the thread answer with the same text and attachments. */
  #echoMessage(message: SimMessage): void {
    if (this.#isEcho(message.sender)) return;
    for (const participant of message.thread.participants) {
      if (participant === message.sender || !this.#isEcho(participant)) continue;
      this.options.tracker.schedule("echo", () => {
        if (!message.thread.participants.includes(participant)) return;
        this.sendMessage(participant, message.thread, {
          text: message.text,
          attachments: message.attachments,
          mentions: [],
        }, {});
      }, this.options.echoDelayMs);
    }
  }

  /** Echo friends in the thread mirror a reaction on the same message. */
  #echoReaction(message: SimMessage, actor: UserId, reaction: string): void {
    if (this.#isEcho(actor)) return;
    for (const participant of message.thread.participants) {
      if (!this.#isEcho(participant)) continue;
      this.options.tracker.schedule("echo", () => {
        if (message.unsent || !message.thread.participants.includes(participant)) return;
        this.react(participant, message.id, reaction, {});
      }, this.options.echoDelayMs);
    }
  }
}

function directKey(a: UserId, b: UserId): string {
  return a < b ? `direct:${a}:${b}` : `direct:${b}:${a}`;
}

function threadNotFound(thread: ThreadId): MessengerError {
  return new MessengerError("not_found", `No thread ${thread}`);
}
