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
import type { PresenceEvent, RemoteEvent } from "../messenger/events.ts";
import type { UserId } from "../messenger/ids.ts";
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
import { describeLoginState, type LoginState } from "./login_state.ts";
import { preferencesOf } from "./user_preferences.ts";
import type { ContactCard, PresenceState, XmppPort } from "./xmpp_port.ts";

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
}

/** What a session needs from the gateway around it. */
export interface SessionContext {
  jid: string;
  kv: Deno.Kv;
  network: MessengerNetwork;
  xmpp: XmppPort;
  settings: SessionSettings;
  /** Receives every Messenger event of this user (message bridging hooks in here). */
  onEvent?: (session: UserSession, event: RemoteEvent) => void;
}

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
  #ctx: SessionContext;
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
  /** Passing login failures in a row (network, timeouts): retried a few times, then the user decides. */
  #transientFailures = 0;

  constructor(ctx: SessionContext) {
    this.jid = ctx.jid;
    this.#ctx = ctx;
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
    if (this.#loginInFlight) return await this.#loginInFlight;
    if (this.#messenger && this.#state.status !== "needs_reauth") return;
    this.#loginInFlight = this.#loginFromStore().finally(() => (this.#loginInFlight = undefined));
    return await this.#loginInFlight;
  }

  async #loginFromStore(): Promise<void> {
    clearTimeout(this.#retryTimer);
    const generation = this.#generation;
    const record = await getUser(this.#ctx.kv, this.jid);
    const cookies = parseStoredCookies(record?.messengerSession?.reveal());
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
    await this.syncContacts();
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

  /** Saves refreshed cookies so a restart needs no password. */
  async saveCookies(): Promise<void> {
    const messenger = this.#messenger;
    if (!messenger) return;
    try {
      const cookies = await messenger.exportCookies();
      // Atomic: a preference saved at the same moment must not be overwritten.
      await updateUser(this.#ctx.kv, this.jid, (record) => ({
        ...record,
        messengerSession: new Secret(JSON.stringify(cookies)),
      }));
    } catch (error) {
      gatewayLog.debug("Could not save cookies of {jid}: {reason}", {
        jid: this.jid,
        reason: explainFailure(error).sentence,
      });
    }
  }

  /** Ends the Messenger session; the user stays registered. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.saveCookies();
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    await this.#dropMessenger();
    this.#state = { status: "logged_out" };
    // Work waiting for a reconnection stops waiting: there will be none.
    for (const wake of this.#connectedWaiters) wake();
    this.#connectedWaiters.clear();
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

  /** A contact's Messenger presence changed: shown when `contacts.presence` is `messenger`. */
  async #onPresence(event: PresenceEvent): Promise<void> {
    if (!this.#presences.record(event)) return;
    if (!this.#contacts.has(event.user) || this.#state.status !== "connected") return;
    await this.#ctx.xmpp.contactPresence(this.jid, event.user, this.contactPresence(event.user));
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
          this.#setState({ status: "needs_reauth", reason: state.message })
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
      await this.#setState({ status: "needs_reauth", reason: explanation.sentence });
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

  async #dropMessenger(): Promise<void> {
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
    gatewayLog.info("{jid}: {state}", { jid: this.jid, state: describeLoginState(state) });
    if (this.#closed) return;
    await this.#ctx.xmpp.gatewayPresence(this.jid, this.presence());
    await this.#announceContacts(before, state);
    if (state.status === "connected") this.#explained = undefined;
    if (state.status === "failed" || state.status === "needs_reauth") {
      const text = describeLoginState(state);
      if (this.#explained !== text && await wantsLoginNotices(this.#ctx.kv, this.jid)) {
        this.#explained = text;
        const hint = state.status === "needs_reauth"
          ? " Run the 're-login' command (or send 're-login' to me) to log in again."
          : " I will keep trying by myself.";
        await this.#ctx.xmpp.gatewayMessage(this.jid, `${text}.${hint}`);
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
