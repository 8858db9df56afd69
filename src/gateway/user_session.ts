/**
 * One registered user's bridge to Messenger: the logged-in Messenger session, its login state
 * as the user sees it, and the user's contacts.
 *
 * Logins are never looped: a refused saved session marks the user "needs re-authentication"
 * and waits for them; only passing failures (network, timeouts) are retried, with growing delays.
 *
 * @module
 */

import { gatewayLog } from "../log.ts";
import type { ConnectionState } from "../messenger/connection_state.ts";
import type { Cookie } from "../messenger/credentials.ts";
import {
  type ConversationEvent,
  isConversationEvent,
  type PresenceEvent,
  type RemoteEvent,
} from "../messenger/events.ts";
import { asUserId, type ThreadId, type UserId } from "../messenger/ids.ts";
import type { RoomArchive, RoomArchives } from "../store/room_archive.ts";
import { getAccount, putAccount } from "../store/accounts.ts";
import { getWatchdogMark, putWatchdogMark } from "../store/watchdog_mark.ts";
import {
  capability,
  hasCapability,
  type MessengerNetwork,
  type MessengerSession,
  type UserInfo,
} from "../messenger/session.ts";
import {
  markContactRemoved,
  removedContacts,
  unmarkContactRemoved,
} from "../store/removed_contacts.ts";
import { Secret } from "../secret.ts";
import { getUser, updateUser } from "../store/user_records.ts";
import { type ContactPresenceMode, ContactPresences } from "./contact_presence.ts";
import { isMessengerError } from "../messenger/errors.ts";
import { explainFailure } from "./login_failure.ts";
import { describeLoginState, type LoginState, whatToDo } from "./login_state.ts";
import { preferencesOf } from "./user_preferences.ts";
import type { ContactCard, PresenceState, XmppPort } from "./xmpp_port.ts";
import type { MessageIdStore, UserMessageIds } from "../store/message_ids.ts";
import type { QueueSettings } from "./conversation.ts";
import { ConversationDirectory } from "./conversation_directory.ts";
import { Conversations } from "./conversations.ts";
import { RequestBook } from "./message_requests.ts";
import { type CheckOutcome, ContentWatchdog, type WatchdogSettings } from "./content_watchdog.ts";

/** Settings a session needs from the configuration. */
export interface SessionSettings {
  /** How many contacts to put into the roster at most. */
  rosterMaxContacts: number;
  /** First retry delay after a passing login failure (ms); doubles up to an hour. */
  retryDelayMs: number;
  /** How often to save refreshed cookies (ms). */
  cookieSaveIntervalMs: number;
  /** Where contacts' presence comes from (`contacts.presence`); default `connected`. */
  contactPresence?: ContactPresenceMode;
  /** The connected-but-silent checks; default off. */
  watchdog?: WatchdogSettings;
}

/** What a session needs from the gateway around it. */
export interface SessionContext {
  jid: string;
  kv: Deno.Kv;
  network: MessengerNetwork;
  xmpp: XmppPort;
  settings: SessionSettings;
  /** The message id mappings of all users (the session takes its own view). */
  messageIds: MessageIdStore;
  /** How the session's conversations queue work (bounds, error reporting). */
  queues: QueueSettings;
  /** Opens the archive of one of a user's rooms. */
  archives: Pick<RoomArchives, "forRoom" | "forgetUser">;
  /** Commits what is batched for the store (acknowledgements wait for it); default: nothing. */
  committed?: () => Promise<void>;
  /** Receives every Messenger event of this user (message bridging hooks in here). */
  onEvent?: (session: UserSession, event: RemoteEvent) => void;
  /** Runs after each login, once contacts are synced (groups and bookmarks hook in here). */
  onConnected?: (session: UserSession) => Promise<void>;
}

/** How long closing a session waits for each conversation's running work by default (ms). */
export const CLOSE_DRAIN_MS = 30_000;

/** Passing login failures (network, timeouts) retried by the gateway before asking the user. */
export const MAX_PASSING_FAILURES = 5;

/** What a contact sync did: contacts put into the roster, and ones left out (removed by the user). */
export interface ContactSync {
  synced: number;
  leftOut: number;
}

/** A registered user's Messenger session. */
export class UserSession {
  readonly jid: string;
  /** The user's message id mapping (their view of the store). */
  readonly ids: UserMessageIds;
  /** The user's conversations: each one's queue, state and message-id scope. */
  readonly conversations: Conversations;
  /** Which of the user's threads are groups (rooms) and which direct chats (contacts). */
  readonly directory: ConversationDirectory;
  /** Pending message requests seen arriving. */
  readonly requests: RequestBook;
  /**
   * Ids of Messenger messages received and waiting in their conversation's queue, not shown (nor
   * marked seen) yet: the content watchdog must not take them for missing.
   */
  readonly arriving = new Set<string>();
  /** One-time notices already given (e.g. "corrections are sent as new messages"). */
  readonly #told = new Set<string>();
  #ctx: SessionContext;
  readonly #watchdog: ContentWatchdog;
  #state: LoginState = { status: "logged_out" };
  #messenger: MessengerSession | undefined;
  #unsubscribe: (() => void) | undefined;
  #contacts = new Map<UserId, ContactCard>();
  #presences: ContactPresences;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #cookieTimer: ReturnType<typeof setInterval> | undefined;
  #retryDelayMs: number;
  #explained: string | undefined;
  #closed = false;
  #suspended = false;
  #connectedWaiters = new Set<() => void>();
  /** Bumped by every adopt(): a login that started before a newer session was adopted is stale. */
  #generation = 0;
  #loginInFlight: Promise<void> | undefined;
  #account: Promise<{ id: UserId; name: string } | undefined> | undefined;
  /** The cookies as last read from or written to the store (JSON), to skip unchanged saves. */
  #savedCookies: string | undefined;
  /** Settles when the syncs after the latest login (contacts, groups) are done. */
  #loginSyncs = Promise.withResolvers<void>();
  #loginSyncsDone = false;
  /** Passing login failures in a row (network, timeouts): retried a few times, then the user decides. */
  #transientFailures = 0;

  constructor(ctx: SessionContext) {
    this.jid = ctx.jid;
    this.#ctx = ctx;
    this.ids = ctx.messageIds.forUser(ctx.jid);
    this.conversations = new Conversations(this, ctx.queues);
    this.directory = new ConversationDirectory(ctx.kv, ctx.jid);
    this.requests = new RequestBook(ctx.kv, ctx.jid);
    this.#watchdog = new ContentWatchdog({
      jid: this.jid,
      ids: this.ids,
      connectedMessenger: () => this.#state.status === "connected" ? this.#messenger : undefined,
      redeliver: (event) => this.#onEvent(event),
      arriving: (id) => this.arriving.has(id),
      tell: (text) => this.#ctx.xmpp.gatewayMessage(this.jid, text),
      loadMark: () => getWatchdogMark(ctx.kv, this.jid),
      saveMark: async (at) => {
        if (this.#closed) return;
        await putWatchdogMark(ctx.kv, this.jid, at).catch((error) =>
          gatewayLog.debug("Could not store the watchdog mark of {jid}: {error}", {
            jid: this.jid,
            error,
          })
        );
      },
    }, ctx.settings.watchdog ?? { intervalMs: 0, threads: 5 });
    this.#retryDelayMs = ctx.settings.retryDelayMs;
    this.#presences = new ContactPresences(ctx.settings.contactPresence);
  }

  /** The login state shown to the user. */
  get state(): LoginState {
    return this.#state;
  }

  /** The Messenger session while logged in. */
  get messenger(): MessengerSession | undefined {
    return this.#messenger;
  }

  /** The contacts known from the last sync. */
  get contacts(): ContactCard[] {
    return [...this.#contacts.values()];
  }

  /** A contact by Messenger id, when known. */
  contact(id: UserId): ContactCard | undefined {
    return this.#contacts.get(id);
  }

  /** The presence the user should see from a contact now (see `contacts.presence`). */
  contactPresence(id: UserId): PresenceState {
    return this.#presences.of(id, this.#state.status === "connected");
  }

  /**
   * The Messenger account this user is (id and name): the live session's, or the one remembered
   * from the last login while Messenger is not connected; undefined before any login.
   */
  async account(): Promise<{ id: UserId; name: string } | undefined> {
    const live = this.#messenger?.self;
    if (live) return { id: live.id, name: live.name ?? live.id };
    return await this.#rememberedAccount();
  }

  #rememberedAccount(): Promise<{ id: UserId; name: string } | undefined> {
    this.#account ??= getAccount(this.#ctx.kv, this.jid).then((stored) =>
      stored ? { id: asUserId(stored.id), name: stored.name ?? stored.id } : undefined
    ).catch(() => undefined);
    return this.#account;
  }

  /**
   * Remembers the live account, so rooms know the user's nick before the next login. Written only
   * when it changed: a restart logs every user in, and a write each is a KV commit each.
   */
  async #rememberAccount(messenger: MessengerSession): Promise<void> {
    const live = { id: messenger.self.id, name: messenger.self.name ?? messenger.self.id };
    const known = await this.#rememberedAccount();
    this.#account = Promise.resolve(live);
    if (known?.id === live.id && known.name === live.name) return;
    try {
      await putAccount(this.#ctx.kv, this.jid, live);
    } catch (error) {
      gatewayLog.warn("Could not store the Messenger account of {jid}: {error}", {
        jid: this.jid,
        error,
      });
    }
  }

  /** The archive of one of the user's rooms. */
  archiveOf(thread: ThreadId): RoomArchive {
    return this.#ctx.archives.forRoom(this.jid, thread);
  }

  /** Resolves once everything recorded so far is committed to the store. */
  committed(): Promise<void> {
    return this.#ctx.committed?.() ?? Promise.resolve();
  }

  /** Resolves once the syncs after the latest login (contacts, groups, bookmarks) are done. */
  afterLoginSyncs(): Promise<void> {
    return this.#loginSyncs.promise;
  }

  /** True the first time it is asked about `notice`: one-time explanations. */
  firstTime(notice: string): boolean {
    if (this.#told.has(notice)) return false;
    this.#told.add(notice);
    return true;
  }

  /** True once {@link close} ran: the user unregistered, or the gateway is stopping. */
  get closed(): boolean {
    return this.#closed;
  }

  /** True while the Messenger session is ended because the user is offline (see suspend). */
  get suspended(): boolean {
    return this.#suspended;
  }

  /**
   * Ends the Messenger session while the user has no XMPP client online (when the admin chose
   * not to keep sessions of offline users); the user stays registered and {@link resume} logs
   * in again. Logins that would start meanwhile (startup, retries) do not happen.
   */
  async suspend(): Promise<void> {
    if (this.#closed || this.#suspended) return;
    this.#suspended = true;
    clearTimeout(this.#retryTimer);
    await this.saveCookies();
    await this.#dropMessenger();
    await this.#setState({ status: "logged_out" });
  }

  /** Logs in again after {@link suspend} (the user came back online). */
  async resume(): Promise<void> {
    if (this.#closed || !this.#suspended) return;
    this.#suspended = false;
    await this.loginFromStore();
  }

  /**
   * The Messenger session once it is connected, waiting up to `timeoutMs` while it is logging
   * in or reconnecting (so a message sent during a short outage is delivered after it), or
   * `undefined` when it is not connected by then or needs the user to log in again.
   */
  async whenConnected(timeoutMs: number): Promise<MessengerSession | undefined> {
    const ready = () => this.#state.status === "connected" ? this.#messenger : undefined;
    if (ready() || this.#closed || this.#state.status === "needs_reauth") return ready();
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    this.#connectedWaiters.add(wake);
    const timer = setTimeout(wake, timeoutMs);
    try {
      await woken;
    } finally {
      clearTimeout(timer);
      this.#connectedWaiters.delete(wake);
    }
    return ready();
  }

  /** Logs in with the cookies saved at registration (startup, re-login). */
  async loginFromStore(): Promise<void> {
    if (this.#closed || this.#suspended) return;
    // One login at a time, and none while a session is in place (a re-login command, a startup
    // slot and a retry timer must never stack up logins: that is how accounts get locked).
    const inFlight = this.#loginInFlight;
    if (inFlight) {
      await inFlight;
      // That login (and the syncs after it) may have ended after a suspension dropped its
      // session: a resume called meanwhile must not be lost, so log in again only then.
      if (!this.#droppedWhileLoggingIn()) return;
    }
    if (this.#messenger && this.#state.status !== "needs_reauth") return;
    this.#loginInFlight = this.#loginFromStore().finally(() => (this.#loginInFlight = undefined));
    return await this.#loginInFlight;
  }

  /** After waiting for another login: nothing in place, nothing running, nothing stopping us. */
  #droppedWhileLoggingIn(): boolean {
    return !this.#messenger && this.#state.status === "logged_out" && !this.#loginInFlight &&
      !this.#closed && !this.#suspended;
  }

  async #loginFromStore(): Promise<void> {
    clearTimeout(this.#retryTimer);
    const generation = this.#generation;
    const record = await getUser(this.#ctx.kv, this.jid);
    this.#savedCookies = record?.messengerSession?.reveal();
    const cookies = parseStoredCookies(this.#savedCookies);
    if (!cookies) {
      await this.#setState({ status: "needs_reauth", reason: "no saved Messenger session" });
      return;
    }
    await this.#setState({ status: "logging_in" });
    try {
      const result = await this.#ctx.network.login({ kind: "cookies", cookies }, {
        selfListen: true,
      });
      if (result.kind === "two_factor_required") {
        result.cancel();
        if (generation !== this.#generation) return;
        await this.#setState({
          status: "needs_reauth",
          reason: "Messenger asks for a two-factor code",
        });
        return;
      }
      if (this.#suspended || this.#closed || generation !== this.#generation) {
        // The user went offline, or a newer session (registration) was adopted meanwhile.
        await result.session.disconnect();
        return;
      }
      await this.adopt(result.session);
    } catch (error) {
      await this.#loginFailed(error, generation);
    }
  }

  /** Takes over a freshly logged-in Messenger session (after registration or login). */
  async adopt(messenger: MessengerSession): Promise<void> {
    const generation = ++this.#generation;
    if (this.#loginSyncsDone) {
      this.#loginSyncs = Promise.withResolvers<void>();
      this.#loginSyncsDone = false;
    }
    clearTimeout(this.#retryTimer);
    await this.#dropMessenger();
    if (this.#closed) {
      await messenger.disconnect();
      return;
    }
    this.#suspended = false;
    this.#messenger = messenger;
    this.#retryDelayMs = this.#ctx.settings.retryDelayMs;
    this.#unsubscribe = messenger.onEvent((event) => this.#onEvent(event));
    await this.saveCookies();
    await this.#rememberAccount(messenger);
    this.#cookieTimer = setInterval(
      () => void this.saveCookies(),
      this.#ctx.settings.cookieSaveIntervalMs,
    );
    try {
      await messenger.listen();
    } catch (error) {
      await this.#loginFailed(error, generation);
      return;
    }
    if (generation !== this.#generation) return;
    this.#transientFailures = 0;
    this.#onConnection(messenger.state);
    void this.#watchdog.start();
    await this.syncContacts();
    await this.#ctx.onConnected?.(this);
    this.#loginSyncs.resolve();
    this.#loginSyncsDone = true;
  }

  /**
   * Fetches friends (or recent threads) and puts them into the user's roster, except the ones the
   * user removed from it (they still reach the user when they write).
   */
  async syncContacts(): Promise<ContactSync> {
    const none = { synced: 0, leftOut: 0 };
    const messenger = this.#messenger;
    if (!messenger) return none;
    let users: UserInfo[] = [];
    try {
      if (hasCapability(messenger, "getFriends")) {
        users = await capability(messenger, "getFriends")();
      }
    } catch (error) {
      gatewayLog.warn("Could not fetch contacts of {jid}: {reason}", {
        jid: this.jid,
        reason: explainFailure(error).sentence,
      });
      return none;
    }
    const cards = users.slice(0, this.#ctx.settings.rosterMaxContacts).map((user): ContactCard => ({
      id: user.id,
      name: user.name,
      ...(user.avatarUrl ? { avatarUrl: user.avatarUrl } : {}),
      ...(user.isFriend === undefined ? {} : { isFriend: user.isFriend }),
    }));
    for (const card of cards) this.#contacts.set(card.id, card);
    const removed = await removedContacts(this.#ctx.kv, this.jid).catch((error) => {
      gatewayLog.warn("Could not read the removed contacts of {jid}: {error}", {
        jid: this.jid,
        error,
      });
      return new Set<string>();
    });
    const shown = cards.filter((card) => !removed.has(card.id));
    await this.#ctx.xmpp.addContacts(this.jid, shown);
    if (this.#state.status === "connected") {
      for (const card of shown) {
        const presence = this.contactPresence(card.id);
        if (presence.available) await this.#ctx.xmpp.contactPresence(this.jid, card.id, presence);
      }
    }
    return { synced: shown.length, leftOut: cards.length - shown.length };
  }

  /**
   * The user removed a contact from their roster (or added it back): later syncs leave it out
   * (or put it in again). Never throws: a failed write only means the old behaviour.
   */
  async contactRemovedFromRoster(contact: UserId, removed: boolean): Promise<void> {
    try {
      if (removed) await markContactRemoved(this.#ctx.kv, this.jid, contact);
      else await unmarkContactRemoved(this.#ctx.kv, this.jid, contact);
    } catch (error) {
      gatewayLog.warn("Could not record a roster change of {jid}: {error}", {
        jid: this.jid,
        error,
      });
    }
  }

  /** Saves refreshed cookies so a restart needs no password; unchanged ones are not written. */
  async saveCookies(): Promise<void> {
    const messenger = this.#messenger;
    if (!messenger) return;
    try {
      const cookies = JSON.stringify(await messenger.exportCookies());
      if (cookies === this.#savedCookies) return;
      // Atomic: a preference saved at the same moment must not be overwritten.
      await updateUser(this.#ctx.kv, this.jid, (record) => ({
        ...record,
        messengerSession: new Secret(cookies),
      }));
      this.#savedCookies = cookies;
    } catch (error) {
      gatewayLog.debug("Could not save cookies of {jid}: {reason}", {
        jid: this.jid,
        reason: explainFailure(error).sentence,
      });
    }
  }

  /**
   * Ends the Messenger session. At shutdown (`forget` false) the user stays registered and
   * the conversations' work is given `drainMs` to finish. At unregistration (`forget` true)
   * waiting work is dropped, running work is waited for (it then shows and stores nothing), and
   * everything kept about the user's conversations is forgotten with them. Resolves false when
   * work was still running after `drainMs`.
   */
  async close(
    options: { forget?: boolean; drainMs?: number } = {},
  ): Promise<boolean> {
    const drainMs = options.drainMs ?? CLOSE_DRAIN_MS;
    if (!this.#closed) {
      await this.saveCookies();
      this.#closed = true;
      clearTimeout(this.#retryTimer);
      await this.#dropMessenger();
      this.#state = { status: "logged_out" };
      // Work waiting for a reconnection stops waiting: there will be none.
      for (const wake of this.#connectedWaiters) wake();
      this.#connectedWaiters.clear();
    }
    if (!options.forget) return await this.conversations.idle(drainMs);
    this.directory.close();
    this.requests.close();
    const drained = await this.conversations.closeAll("unregistered", drainMs);
    this.ids.forget();
    this.#ctx.archives.forgetUser(this.jid);
    return drained;
  }

  /** The presence the gateway JID shows this user for the current state. */
  presence(): { available: boolean; show?: "away" | "dnd" | "xa"; status: string } {
    const status = describeLoginState(this.#state);
    switch (this.#state.status) {
      case "connected":
        return { available: true, status };
      case "logging_in":
        return { available: true, show: "dnd", status };
      case "reconnecting":
        return { available: true, show: "away", status };
      case "failed":
      case "needs_reauth":
        return { available: true, show: "xa", status };
      case "logged_out":
        return { available: false, status };
    }
  }

  #onEvent(event: RemoteEvent): void {
    if (event.type === "connection") {
      this.#onConnection(event.state);
      return;
    }
    if (event.type === "presence") {
      this.#onPresence(event).catch((error) =>
        gatewayLog.error("Showing a presence to {jid} failed: {error}", { jid: this.jid, error })
      );
    }
    if (isConversationEvent(event)) void this.#learnFrom(event);
    try {
      this.#ctx.onEvent?.(this, event);
    } catch (error) {
      gatewayLog.error("Handling a {type} event of {jid} failed: {error}", {
        type: event.type,
        jid: this.jid,
        error,
      });
    }
  }

  /** What an event says about the conversation it happened in goes into the directory. */
  async #learnFrom(event: ConversationEvent): Promise<void> {
    const { thread } = event.conversation;
    if (event.type === "participant_left" && event.user === this.#messenger?.self.id) {
      await this.directory.leave(thread);
    } else {
      await this.directory.observe(event.conversation);
    }
  }

  /** A contact's Messenger presence changed: shown when `contacts.presence` is `messenger`. */
  async #onPresence(event: PresenceEvent): Promise<void> {
    if (!this.#presences.record(event)) return;
    if (!this.#contacts.has(event.actor) || this.#state.status !== "connected") return;
    await this.#ctx.xmpp.contactPresence(this.jid, event.actor, this.contactPresence(event.actor));
  }

  #onConnection(state: ConnectionState): void {
    const name = this.#messenger?.self.name ?? this.#messenger?.self.id ?? "?";
    switch (state.status) {
      case "connected":
        void this.#setState({ status: "connected", name });
        break;
      case "connecting":
        if (this.#state.status !== "connected") void this.#setState({ status: "logging_in" });
        break;
      case "transient_disconnect":
        void this.#setState({ status: "reconnecting", reason: state.message });
        break;
      case "bad_credentials":
        void this.#dropMessenger().then(() =>
          this.#setState({
            status: "needs_reauth",
            reason: state.message,
            cause: state.reason === "checkpoint"
              ? "checkpoint"
              : state.reason === "account_suspended"
              ? "suspended"
              : state.reason === "session_expired"
              ? "session_expired"
              : "credentials",
            ...(state.url === undefined ? {} : { url: state.url }),
          })
        );
        break;
      case "logged_out":
        void this.#dropMessenger().then(() => this.#setState({ status: "logged_out" }));
        break;
    }
  }

  /**
   * A login (or the listen after it) failed. Only passing trouble is retried, a few times with
   * growing delays; anything else waits for the user (re-login or register again), because
   * repeated logins are what gets Facebook accounts locked.
   */
  async #loginFailed(error: unknown, generation: number): Promise<void> {
    if (generation !== this.#generation) return; // a newer session took over: not ours to drop
    const explanation = explainFailure(error);
    await this.#dropMessenger();
    const passing = isMessengerError(error, "network", "timeout", "disconnected", "rate_limited");
    if (explanation.credentialsRefused || !passing) {
      const detail = isMessengerError(error) ? error.detail : {};
      await this.#setState({
        status: "needs_reauth",
        reason: explanation.sentence,
        cause: isMessengerError(error, "checkpoint")
          ? (detail.suspended ? "suspended" : "checkpoint")
          : isMessengerError(error, "not_logged_in")
          ? "session_expired"
          : "credentials",
        ...(detail.url === undefined ? {} : { url: detail.url }),
      });
      return;
    }
    this.#transientFailures++;
    if (this.#transientFailures > MAX_PASSING_FAILURES) {
      await this.#setState({
        status: "needs_reauth",
        reason: `${explanation.sentence} (gave up after ${MAX_PASSING_FAILURES} tries)`,
      });
      return;
    }
    await this.#setState({ status: "failed", reason: explanation.sentence });
    if (this.#closed) return;
    const delay = isMessengerError(error, "rate_limited")
      ? Math.max(this.#retryDelayMs, 3_600_000)
      : this.#retryDelayMs;
    this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, 3_600_000);
    this.#retryTimer = setTimeout(() => void this.loginFromStore(), delay);
  }

  /** Runs one connected-but-silent check now (tests; the timer runs them otherwise). */
  checkContent(): Promise<CheckOutcome> {
    return this.#watchdog.check();
  }

  async #dropMessenger(): Promise<void> {
    this.#watchdog.stop();
    clearInterval(this.#cookieTimer);
    this.#cookieTimer = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    const messenger = this.#messenger;
    this.#messenger = undefined;
    if (messenger) await messenger.disconnect();
  }

  /**
   * Contacts follow the connection: unavailable when it is lost, available again when it comes
   * back (the first login announces them after the contact sync instead).
   */
  async #announceContacts(before: LoginState, state: LoginState): Promise<void> {
    if (!this.#presences.showsAvailability) return;
    const wasConnected = before.status === "connected";
    const isConnected = state.status === "connected";
    if (wasConnected === isConnected) return;
    for (const card of this.#contacts.values()) {
      const presence = this.contactPresence(card.id);
      if (isConnected && !presence.available) continue;
      await this.#ctx.xmpp.contactPresence(this.jid, card.id, presence);
    }
    if (!isConnected) this.#presences.reset();
  }

  async #setState(state: LoginState): Promise<void> {
    const before = this.#state;
    this.#state = state;
    if (state.status === "connected" || state.status === "needs_reauth" || this.#closed) {
      for (const wake of this.#connectedWaiters) wake();
      this.#connectedWaiters.clear();
    }
    if (JSON.stringify(before) === JSON.stringify(state)) return;
    // Logging in is on the way to one of the other states, which are what an admin looks for (a
    // restart of 1,000 users would write 1,000 lines more).
    const level = state.status === "logging_in" ? "debug" : "info";
    gatewayLog[level]("{jid}: {state}", { jid: this.jid, state: describeLoginState(state) });
    if (this.#closed) return;
    await this.#ctx.xmpp.gatewayPresence(this.jid, this.presence());
    await this.#announceContacts(before, state);
    if (state.status === "connected") this.#explained = undefined;
    if (state.status === "failed" || state.status === "needs_reauth") {
      const text = describeLoginState(state);
      if (this.#explained !== text && await wantsLoginNotices(this.#ctx.kv, this.jid)) {
        this.#explained = text;
        await this.#ctx.xmpp.gatewayMessage(this.jid, `${text}. ${whatToDo(state) ?? ""}`.trim());
      }
    }
  }
}

/** The user's `login_notices` preference (on when unreadable: better one message too many). */
async function wantsLoginNotices(kv: Deno.Kv, jid: string): Promise<boolean> {
  try {
    return preferencesOf(await getUser(kv, jid)).login_notices;
  } catch {
    return true;
  }
}

function parseStoredCookies(stored: string | undefined): Cookie[] | null {
  if (!stored) return null;
  try {
    const parsed = JSON.parse(stored);
    return Array.isArray(parsed) && parsed.length > 0 ? parsed as Cookie[] : null;
  } catch {
    return null;
  }
}
