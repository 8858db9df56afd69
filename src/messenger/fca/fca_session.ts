/**
 * One Messenger account over fca-unofficial, running in an fca Worker (alone, or with other
 * accounts, each on its own copy of fca: `messenger.accounts_per_worker`, worker_pool.ts).
 *
 * The session owns the account's place in its Worker: it logs in (cookies, password, 2FA),
 * supervises the listener ({@link ListenerSupervisor}), converts and de-duplicates events, and
 * maps every fca failure to a {@link MessengerError}. When the session dies ("Not logged in") or
 * its Worker crashes or hangs, it leaves that Worker (a hung one is stopped, with every account in
 * it) and logs in again ONCE from the saved cookies (at most once per `reloginCooldownMs`); if
 * that fails, or the budget is spent, the state becomes `bad_credentials` and nothing is retried:
 * looping logins gets accounts checkpointed.
 *
 * Before that, a refused session (1357001, 1357004: often only stale request tokens) gets one
 * token refresh in the same Worker and the call is tried once more; the tokens are also
 * refreshed every ~2 hours (`tokenRefreshMs`, jittered). A checkpoint ends the session at once,
 * with the page the user must open (`bad_credentials`, reason `checkpoint` or
 * `account_suspended`): no login can get past it.
 *
 * @module
 */

import { messengerLog } from "../../log.ts";
import { redactValues } from "../../secret.ts";
import type { ConnectionState } from "../connection_state.ts";
import { type Cookie, secretCookieValues } from "../credentials.ts";
import { isMessengerError, MessengerError } from "../errors.ts";
import { isConversationEvent, type RemoteEvent } from "../events.ts";
import { asThreadId, asUserId, type MessageId, type ThreadId, type UserId } from "../ids.ts";
import type {
  EventHandler,
  HistoryMessage,
  MessengerSession,
  OutgoingMessage,
  SentMessage,
  ThreadInfo,
  UserInfo,
} from "../session.ts";
import { record, text } from "./_narrow.ts";
import { backoffDelay } from "./backoff.ts";
import { type ConversionContext, messageFromParseError, remoteEventFromFca } from "./convert.ts";
import {
  historyFromFca,
  sentMessageFromFca,
  threadFromThreadInfo,
  threadIdFromCreateGroup,
  threadsFromThreadList,
  usersFromFriendsList,
  usersFromSearch,
  usersFromUserInfo,
} from "./convert_info.ts";
import { errorCodeOf, messengerErrorFromWire } from "./error_mapping.ts";
import { ListenerSupervisor, type SupervisorClock, SYSTEM_CLOCK } from "./listener_supervisor.ts";
import type {
  EndpointOverride,
  WireCookie,
  WireCredentials,
  WireError,
  WireLoginOutcome,
  WireMention,
  WorkerNotice,
  WorkerOp,
  WorkerOps,
} from "./protocol.ts";
import { RecentIds } from "./recent_ids.ts";
import { ThreadKinds } from "./thread_kinds.ts";
import { type FcaTimings, TOKEN_REFRESH_JITTER } from "./timings.ts";
import type { AccountChannel } from "./worker_client.ts";
import type { WorkerPool } from "./worker_pool.ts";

/** Everything a session is configured with (built by {@link FcaNetwork}). */
export interface FcaSessionSettings {
  timings: FcaTimings;
  /** Deliver the account's own messages sent from other devices. */
  selfListen: boolean;
  /** The browser fca claims to be. */
  userAgent: string;
  /** Test-only: where the Worker sends Facebook traffic. */
  endpointOverride?: EndpointOverride;
  /** The Workers the account is placed in (shared by the network's sessions). */
  pool: WorkerPool;
  clock?: SupervisorClock;
  now?: () => number;
}

/** What a login step ended with, as the network needs it. */
export type LoginStep = "logged_in" | "two_factor_required";

/**
 * Re-logins retried after network failures before the session gives up and asks the user to log
 * in again (at most this many more logins per lost session).
 */
export const MAX_RELOGIN_NETWORK_RETRIES = 4;

/** Secrets of one account kept for redacting fca's texts (cookies rotate: the oldest go). */
const MAX_KEPT_SECRETS = 200;

/** The fca implementation of {@link MessengerSession}; see the module documentation. */
export class FcaSession implements MessengerSession {
  readonly #settings: FcaSessionSettings;
  readonly #clock: SupervisorClock;
  readonly #now: () => number;
  readonly #handlers = new Set<EventHandler>();
  readonly #stateWaiters = new Set<(state: ConnectionState) => void>();
  readonly #recent: RecentIds;
  readonly #kinds = new ThreadKinds();
  /** Events wait here, in order, behind one whose conversation kind is being looked up. */
  #ordered: Promise<void> | undefined;
  #orderedCount = 0;
  readonly #supervisor: ListenerSupervisor;
  #self: { id: UserId; name?: string } | undefined;
  #state: ConnectionState = { status: "connecting" };
  #worker: AccountChannel | undefined;
  #cookies: Cookie[] = [];
  /**
   * This account's secrets (password, two-factor codes, cookie values, newest last), hidden in
   * what fca says: its log lines and error texts may quote them. Bounded: cookies rotate.
   */
  #secrets = new Set<string>();
  #closed = false;
  #listening = false;
  #recovering = false;
  #lastReloginAt: number | undefined;
  #reloginNetworkFailures = 0;
  #retryTimer: unknown;
  #tokenTimer: unknown;
  /** The token refresh under way, shared by every call that needs it. */
  #refreshing: Promise<void> | undefined;
  #abandonedReason: string | undefined;

  constructor(settings: FcaSessionSettings) {
    this.#settings = settings;
    this.#clock = settings.clock ?? SYSTEM_CLOCK;
    this.#now = settings.now ?? Date.now;
    this.#recent = new RecentIds(settings.timings.dedupeCapacity);
    this.#supervisor = new ListenerSupervisor({
      startListener: () => this.#startListener(),
      setState: (state) => this.#setState(state),
    }, {
      stallTimeoutMs: settings.timings.stallTimeoutMs,
      backoff: settings.timings.backoff,
      clock: this.#clock,
    });
  }

  /** The logged-in account (throws before login completed: the gateway never sees that). */
  get self(): { id: UserId; name?: string } {
    if (this.#self === undefined) throw new MessengerError("not_logged_in", "Not logged in yet");
    return this.#self;
  }

  /** The current connection state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Adds an event handler; returns its remover. */
  onEvent(handler: EventHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  // ---- Login (driven by FcaNetwork) ----

  /** First login step, in a Worker of the pool. The account leaves it when this throws. */
  async begin(credentials: WireCredentials, timeoutMs: number): Promise<LoginStep> {
    this.#keepSecret(
      ...(credentials.kind === "password"
        ? [credentials.password]
        : secretCookieValues(credentials.appState)),
    );
    const outcome = await this.#spawnAndLogin(credentials, timeoutMs);
    return outcome.kind;
  }

  /**
   * Continues a login waiting for a two-factor code. A wrong code throws `two_factor_failed`
   * and leaves the login waiting for another try; other failures free the Worker.
   */
  async submitCode(code: string, timeoutMs: number): Promise<LoginStep> {
    if (this.#abandonedReason !== undefined) {
      throw new MessengerError("timeout", this.#abandonedReason);
    }
    const worker = this.#requireWorker("submit a two-factor code");
    this.#keepSecret(code);
    try {
      const outcome = await worker.call("submit_code", { code }, timeoutMs);
      this.#adopt(outcome);
      return outcome.kind;
    } catch (error) {
      if (!isMessengerError(error, "two_factor_failed")) this.abandon("The login failed");
      throw error;
    }
  }

  /** Gives up a pending login and leaves its Worker. */
  abandon(reason = "The login was cancelled"): void {
    this.#abandonedReason ??= reason;
    this.#closed = true;
    this.#stopTokenRefresh();
    this.#worker?.release();
    this.#worker = undefined;
  }

  // ---- MessengerSession ----

  /**
   * Starts the supervised listener and waits for its first outcome: resolves once connected, or
   * once reconnecting in the background (`transient_disconnect`); rejects if the session ended
   * (`bad_credentials`, `logged_out`). Bounded by the stall and call timeouts.
   */
  async listen(): Promise<void> {
    this.#assertOpen("listen");
    if (this.#listening) return;
    this.#listening = true;
    const outcome = this.#nextSettledState();
    try {
      await this.#supervisor.start();
    } catch (error) {
      outcome.cancel();
      if (!this.#recovering) this.#listening = false;
      throw error;
    }
    const state = await outcome.state;
    if (state.status === "bad_credentials") {
      throw new MessengerError("not_logged_in", state.message);
    }
    if (state.status === "logged_out") throw new MessengerError("disconnected", state.message);
  }

  /**
   * Drops the MQTT connection and opens a fresh one in the same Worker (no new login): for a
   * listener that is connected but brings nothing. Resolves like {@link listen}.
   */
  async restartListener(): Promise<void> {
    this.#assertOpen("restart the listener");
    if (this.#state.status === "bad_credentials") {
      throw new MessengerError("not_logged_in", this.#state.message);
    }
    if (!this.#listening) return await this.listen();
    if (this.#recovering) return; // A new login is under way; it starts a fresh listener.
    this.#supervisor.restart("Restarting the Messenger listener on request");
    const state = await this.#nextSettledState().state;
    if (state.status === "bad_credentials") {
      throw new MessengerError("not_logged_in", state.message);
    }
    if (state.status === "logged_out") throw new MessengerError("disconnected", state.message);
  }

  /** The next state other than `connecting` (or the current one after a bounded wait). */
  #nextSettledState(): { state: Promise<ConnectionState>; cancel(): void } {
    let cancel = () => {};
    const state = new Promise<ConnectionState>((resolve) => {
      const { stallTimeoutMs, callTimeoutMs } = this.#settings.timings;
      const timer = this.#clock.setTimeout(
        () => finish(this.#state),
        stallTimeoutMs + callTimeoutMs,
      );
      const waiter = (settled: ConnectionState) => finish(settled);
      const finish = (settled: ConnectionState) => {
        this.#clock.clearTimeout(timer);
        this.#stateWaiters.delete(waiter);
        resolve(settled);
      };
      this.#stateWaiters.add(waiter);
      cancel = () => finish(this.#state);
    });
    return { state, cancel: () => cancel() };
  }

  /** Sends a message; rejects `bad_request` when it has neither text nor attachments. */
  async sendMessage(
    thread: ThreadId,
    message: OutgoingMessage,
    options: { isGroup: boolean },
  ): Promise<SentMessage> {
    const body = message.text ?? "";
    const attachments = message.attachments ?? [];
    if (body === "" && attachments.length === 0) {
      throw new MessengerError("bad_request", "A message needs text or an attachment");
    }
    const mentions: WireMention[] = (message.mentions ?? []).map((mention) => ({
      tag: body.slice(mention.offset, mention.offset + mention.length),
      id: mention.user,
      fromIndex: mention.offset,
    })).filter((mention) => mention.tag !== "");
    const params: WorkerOps["send_message"]["params"] = {
      thread,
      isGroup: options.isGroup,
      text: body,
      mentions,
      attachments: attachments.map((file) => ({ ...file })),
    };
    if (message.replyTo !== undefined) params.replyTo = message.replyTo;
    const raw = await this.#call("send_message", params);
    return sentMessageFromFca(raw, this.#now);
  }

  /** The session's cookies to persist (the last known ones if the Worker cannot answer now). */
  async exportCookies(): Promise<Cookie[]> {
    if (this.#worker?.alive === true && this.#self !== undefined && !this.#recovering) {
      try {
        this.#rememberCookies(await this.#call("export_cookies", {}));
      } catch (error) {
        messengerLog.warning("Could not read the session cookies, using the last known: {error}", {
          error,
        });
      }
    }
    return this.#cookies.map((cookie) => ({ ...cookie }));
  }

  /** Stops the listener and leaves the Worker; never throws. */
  async disconnect(): Promise<void> {
    if (this.#closed && this.#worker === undefined) return;
    this.#closed = true;
    this.#supervisor.stop();
    if (this.#retryTimer !== undefined) this.#clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#stopTokenRefresh();
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker?.alive === true) {
      try {
        await worker.call("listen_stop", {}, Math.min(2_000, this.#settings.timings.callTimeoutMs));
      } catch {
        // The account leaves anyway.
      }
      worker.release();
    }
    this.#setState({
      status: "logged_out",
      reason: "user_logout",
      message: "Disconnected from Messenger",
    });
  }

  /** Sets or removes (`""`) the account's reaction. */
  async react(message: MessageId, reaction: string): Promise<void> {
    await this.#call("react", { messageId: message, reaction });
  }

  /** Unsends one of the account's messages. */
  async unsend(message: MessageId): Promise<void> {
    await this.#call("unsend", { messageId: message });
  }

  /** Marks a thread read (needs the listener: it goes over MQTT). */
  async markRead(thread: ThreadId): Promise<void> {
    await this.#call("mark_read", { thread });
  }

  /** Shows or hides the typing indicator. */
  async setTyping(thread: ThreadId, typing: boolean, options: { isGroup: boolean }) {
    await this.#call("typing", { thread, typing, isGroup: options.isGroup });
  }

  /** Recent inbox threads. */
  async getThreads(limit: number): Promise<ThreadInfo[]> {
    const threads = threadsFromThreadList(await this.#call("get_thread_list", { limit }));
    for (const thread of threads) {
      this.#kinds.learn(thread.id, thread.isGroup ? "group" : "direct", true);
    }
    return threads;
  }

  /** One thread's details. */
  async getThreadInfo(thread: ThreadId): Promise<ThreadInfo> {
    const info = threadFromThreadInfo(thread, await this.#call("get_thread_info", { thread }));
    this.#kinds.learn(info.id, info.isGroup ? "group" : "direct", true);
    return info;
  }

  /** Messages of a thread before `before`, oldest first. */
  async getHistory(thread: ThreadId, count: number, before?: number): Promise<HistoryMessage[]> {
    const params: WorkerOps["get_history"]["params"] = { thread, count };
    if (before !== undefined) params.before = before;
    return historyFromFca(thread, await this.#call("get_history", params));
  }

  /** The account's friends. */
  async getFriends(): Promise<UserInfo[]> {
    return usersFromFriendsList(await this.#call("get_friends", {}));
  }

  /** Details of users; unknown ones are left out. */
  async getUserInfo(users: UserId[]): Promise<UserInfo[]> {
    if (users.length === 0) return [];
    return usersFromUserInfo(await this.#call("get_user_info", { users }));
  }

  /** Finds users by name. */
  async searchUsers(query: string): Promise<UserInfo[]> {
    return usersFromSearch(await this.#call("search_users", { query }));
  }

  /** Creates a group (Messenger needs at least two other members). */
  async createGroup(users: UserId[], title: string): Promise<ThreadId> {
    if (users.length < 2) {
      throw new MessengerError("bad_request", "A group needs at least two other members");
    }
    return threadIdFromCreateGroup(await this.#call("create_group", { users, title }));
  }

  /** Adds a user to a group. */
  async addToGroup(thread: ThreadId, user: UserId): Promise<void> {
    await this.#call("add_to_group", { thread, user });
  }

  /** Removes a user (or the account itself) from a group. */
  async removeFromGroup(thread: ThreadId, user: UserId): Promise<void> {
    await this.#call("remove_from_group", { thread, user });
  }

  /** Renames a group. */
  async renameGroup(thread: ThreadId, name: string): Promise<void> {
    await this.#call("rename_group", { thread, name });
  }

  /** Makes a group member an admin or takes that role away (Facebook's save_admins). */
  async setGroupAdmin(thread: ThreadId, user: UserId, admin: boolean): Promise<void> {
    await this.#call("set_group_admin", { thread, user, admin });
  }

  /** Accepts or declines message requests. */
  async handleMessageRequest(threads: ThreadId[], accept: boolean): Promise<void> {
    await this.#call("handle_message_request", { threads, accept });
  }

  /**
   * Test-only: makes the Worker crash for real, throw and reject uncaught (which it must
   * contain), or block its loop for `hangMs`. The Worker refuses
   * unless the session runs against an endpoint override (a fake Facebook).
   */
  async testOnlyWorkerFailure(
    failure: { crash: true } | { uncaught: true } | { hangMs: number },
  ): Promise<void> {
    const worker = this.#requireWorker("simulate a failure");
    const timeout = this.#settings.timings.callTimeoutMs;
    if ("crash" in failure) {
      await worker.call("test_crash", {}, timeout).catch((error: unknown) => {
        // The crash may overtake the Worker's answer: what was asked for happened.
        if (!isMessengerError(error, "internal")) throw error;
      });
    } else if ("uncaught" in failure) {
      await worker.call("test_uncaught", {}, timeout);
    } else {
      worker.call("test_hang", { ms: failure.hangMs }, failure.hangMs + 60_000).catch(() => {});
    }
  }

  // ---- Internals ----

  async #call<K extends WorkerOp>(
    op: K,
    params: WorkerOps[K]["params"],
  ): Promise<WorkerOps[K]["result"]> {
    this.#assertOpen(op);
    if (this.#recovering || this.#state.status === "bad_credentials") {
      throw new MessengerError(
        this.#state.status === "bad_credentials" ? "not_logged_in" : "disconnected",
        `The Messenger session is not usable now: ${op}`,
      );
    }
    const attempt = () =>
      this.#requireWorker(op).call(op, params, this.#settings.timings.callTimeoutMs);
    let refused: MessengerError;
    try {
      return await attempt();
    } catch (error) {
      if (isMessengerError(error, "checkpoint")) this.#accountBlocked(error);
      if (!isMessengerError(error, "not_logged_in")) throw error;
      refused = error;
    }
    // Refused: often only stale request tokens. Fresh ones, then one more try. When the
    // refresh itself could not be done (network), that is the failure to report: the session
    // may well be fine.
    const failure = await this.#refreshTokens(`a refused ${op}`);
    if (failure !== undefined) throw failure.code === "not_logged_in" ? refused : failure;
    try {
      return await attempt();
    } catch (error) {
      if (isMessengerError(error, "checkpoint")) this.#accountBlocked(error);
      else if (isMessengerError(error, "not_logged_in")) this.#sessionLost("expired");
      throw error;
    }
  }

  /**
   * Fetches fresh request tokens in the current Worker (one refresh at a time, shared).
   * Resolves with nothing when it worked, else with why not: Facebook logged the session out
   * (`not_logged_in`: a re-login from cookies is under way) or put it behind a checkpoint (the
   * session is ended), or the refresh could not be done now (network, timeout: left alone, the
   * next call or timer tries again).
   */
  async #refreshTokens(why: string): Promise<MessengerError | undefined> {
    const worker = this.#worker;
    if (worker === undefined || !worker.alive || this.#recovering || this.#closed) {
      return new MessengerError("disconnected", "The Messenger connection is being replaced");
    }
    this.#refreshing ??= (async () => {
      try {
        const found = await worker.call("refresh_tokens", {}, this.#settings.timings.callTimeoutMs);
        messengerLog.info("Refreshed the Messenger request tokens after {why} (LSD: {lsd})", {
          why,
          lsd: found.lsd ? "yes" : "no",
        });
      } finally {
        this.#refreshing = undefined;
      }
    })();
    try {
      await this.#refreshing;
      return undefined;
    } catch (error) {
      const failure = isMessengerError(error)
        ? error
        : new MessengerError("internal", "The token refresh failed", { cause: error });
      if (this.#worker !== worker) return failure;
      if (failure.code === "checkpoint") this.#accountBlocked(failure);
      else if (failure.code === "not_logged_in") this.#sessionLost("expired");
      else {
        messengerLog.warning("Could not refresh the Messenger request tokens: {reason}", {
          reason: failure.message,
        });
      }
      return failure;
    }
  }

  /** (Re)arms the periodic token refresh: `tokenRefreshMs`, ±{@link TOKEN_REFRESH_JITTER}. */
  #scheduleTokenRefresh(): void {
    this.#stopTokenRefresh();
    if (this.#closed) return;
    const base = this.#settings.timings.tokenRefreshMs;
    const delay = Math.round(base * (1 + (this.#clock.random() * 2 - 1) * TOKEN_REFRESH_JITTER));
    this.#tokenTimer = this.#clock.setTimeout(() => {
      this.#tokenTimer = undefined;
      this.#refreshTokens("the periodic timer").finally(() => {
        if (!this.#closed && this.#state.status !== "bad_credentials") this.#scheduleTokenRefresh();
      });
    }, delay);
  }

  #stopTokenRefresh(): void {
    if (this.#tokenTimer !== undefined) this.#clock.clearTimeout(this.#tokenTimer);
    this.#tokenTimer = undefined;
  }

  /**
   * Facebook put the account behind a checkpoint: nothing works until the user passes it in a
   * browser, and logging in again would only make things worse. Ends the session with the page.
   */
  #accountBlocked(error: MessengerError): void {
    if (this.#closed || this.#state.status === "bad_credentials") return;
    this.#supervisor.stop();
    this.#stopTokenRefresh();
    this.#worker?.release();
    this.#worker = undefined;
    this.#setState(blockedState(error));
  }

  #assertOpen(what: string): void {
    if (this.#closed) throw new MessengerError("disconnected", `The session is closed: ${what}`);
  }

  #requireWorker(what: string): AccountChannel {
    const worker = this.#worker;
    if (worker === undefined || !worker.alive) {
      throw new MessengerError("disconnected", `The Messenger connection is down: ${what}`);
    }
    return worker;
  }

  async #spawnAndLogin(credentials: WireCredentials, timeoutMs: number) {
    const worker: AccountChannel = this.#settings.pool.attach({
      onNotice: (notice) => {
        if (this.#worker === worker) this.#onNotice(notice);
      },
      onCrash: (reason) => {
        if (this.#worker === worker) this.#onWorkerFailure(this.#redact(reason));
      },
      redact: (text) => this.#redact(text),
    });
    this.#worker = worker;
    const params: WorkerOps["login"]["params"] = {
      credentials,
      options: { selfListen: this.#settings.selfListen, userAgent: this.#settings.userAgent },
    };
    if (this.#settings.endpointOverride !== undefined) {
      params.endpointOverride = this.#settings.endpointOverride;
    }
    try {
      const outcome = await worker.call("login", params, timeoutMs);
      this.#adopt(outcome);
      return outcome;
    } catch (error) {
      worker.release();
      if (this.#worker === worker) this.#worker = undefined;
      throw error;
    }
  }

  #adopt(outcome: WireLoginOutcome): void {
    if (outcome.kind !== "logged_in") return;
    if (this.#self !== undefined && this.#self.id !== outcome.userId) {
      throw new MessengerError("auth_failed", "The saved cookies belong to another account");
    }
    this.#self ??= { id: asUserId(outcome.userId) };
    this.#rememberCookies(outcome.cookies);
    this.#scheduleTokenRefresh();
  }

  #keepSecret(...values: string[]): void {
    for (const value of values) {
      this.#secrets.delete(value);
      this.#secrets.add(value);
    }
    while (this.#secrets.size > MAX_KEPT_SECRETS) {
      this.#secrets.delete(this.#secrets.values().next().value!);
    }
  }

  #redact(text: string): string {
    return redactValues(text, this.#secrets);
  }

  #rememberCookies(cookies: WireCookie[]): void {
    if (cookies.length === 0) return;
    this.#keepSecret(...secretCookieValues(cookies));
    this.#cookies = cookies.map((cookie) => ({ ...cookie }));
  }

  async #startListener(): Promise<void> {
    const worker = this.#requireWorker("listen");
    try {
      await worker.call("listen_start", {}, this.#settings.timings.callTimeoutMs);
    } catch (error) {
      if (isMessengerError(error, "timeout") && this.#worker === worker) {
        // Its Worker is hung: stopped, and every account in it (this one too) hears onCrash.
        worker.kill("The fca Worker stopped answering");
      }
      throw error;
    }
  }

  #onNotice(notice: Exclude<WorkerNotice, { kind: "response" }>): void {
    switch (notice.kind) {
      case "log":
        messengerLog[notice.level === "warning" ? "warning" : notice.level](
          "fca Worker: {message}",
          { message: this.#redact(notice.message) },
        );
        return;
      case "mqtt":
        if (notice.what === "closed") {
          this.#supervisor.lost("network", "The connection to Messenger closed");
        } else this.#supervisor.traffic();
        return;
      case "listener_event": {
        this.#supervisor.traffic();
        this.#convertAndDeliver((context) =>
          remoteEventFromFca(notice.event, context, notice.delta)
        );
        return;
      }
      case "thread_kinds":
        for (const [thread, kind] of notice.kinds) this.#kinds.learn(thread, kind, true);
        return;
      case "listener_error":
        this.#onListenerError(notice.error);
        return;
    }
  }

  #onListenerError(raw: unknown): void {
    const fields = record(raw);
    switch (text(fields?.type)) {
      case "ready":
        this.#supervisor.ready();
        return;
      case "stop_listen":
        this.#supervisor.lost("network", "Messenger stopped the listener");
        return;
      case "parse_error": {
        this.#supervisor.traffic();
        messengerLog.warning("fca could not parse a delta: rescuing what it can");
        this.#convertAndDeliver((context) => messageFromParseError(raw, context));
        return;
      }
      default: {
        const wire = (record(fields?.error) ?? {}) as WireError;
        const code = errorCodeOf(wire);
        if (code === "checkpoint") {
          this.#accountBlocked(messengerErrorFromWire("listen", wire));
          return;
        }
        if (code === "not_logged_in") {
          // Often stale tokens (the sequence-id query was refused): fresh ones, then a new
          // listener (with backoff). A session really logged out or behind a checkpoint is
          // handled by the refresh's failure, which also stops the supervisor.
          this.#refreshTokens("a refused listener").then(() => {
            this.#supervisor.lost("network", "Messenger refused the listener");
          });
          return;
        }
        const detail = text(wire.error) ?? text(wire.code) ?? code;
        this.#supervisor.lost("network", `The Messenger listener failed: ${detail}`);
      }
    }
  }

  /**
   * Converts one fca event and delivers it, in order. The rare event whose conversation kind
   * the conversion could not decide waits for a thread lookup, and the events after it wait too.
   */
  #convertAndDeliver(convert: (context: ConversionContext) => RemoteEvent | null): void {
    let undecided: string | undefined;
    const event = convert({
      selfId: this.self.id,
      selfListen: this.#settings.selfListen,
      now: this.#now,
      exactKindOf: (thread) => this.#kinds.exact(thread),
      kindOf: (thread) => this.#kinds.get(thread),
      undecided: (thread) => (undecided = thread),
    });
    if (event === null || this.#closed) return;
    if (isConversationEvent(event) && undecided === undefined) {
      this.#kinds.learn(event.conversation.thread, event.conversation.kind);
    }
    if (undecided === undefined && this.#ordered === undefined) {
      this.#deliver(event);
      return;
    }
    const thread = undecided;
    this.#orderedCount++;
    this.#ordered = (this.#ordered ?? Promise.resolve()).then(async () => {
      if (thread !== undefined && isConversationEvent(event)) {
        event.conversation.kind = await this.#lookUpKind(thread);
      }
      this.#deliver(event);
    }).finally(() => {
      if (--this.#orderedCount === 0) this.#ordered = undefined;
    });
  }

  /** A thread's kind, asked of Messenger (a 1:1 chat when that fails: logged). */
  async #lookUpKind(thread: string): Promise<"direct" | "group"> {
    const known = this.#kinds.get(thread);
    if (known !== undefined) return known;
    try {
      return (await this.getThreadInfo(asThreadId(thread))).isGroup ? "group" : "direct";
    } catch (error) {
      messengerLog.warning("Could not tell whether a thread is a group, taken as 1:1: {reason}", {
        reason: error instanceof Error ? error.message : String(error),
      });
      return "direct";
    }
  }

  #deliver(event: RemoteEvent): void {
    if (this.#closed) return;
    if (event.type === "message" && !this.#recent.add(event.id)) {
      messengerLog.debug("Dropped a duplicate message");
      return;
    }
    this.#emit(event);
  }

  #emit(event: RemoteEvent): void {
    for (const handler of [...this.#handlers]) {
      try {
        handler(event);
      } catch (error) {
        messengerLog.error("An event handler threw: {error}", { error });
      }
    }
  }

  #setState(state: ConnectionState): void {
    if (JSON.stringify(state) === JSON.stringify(this.#state)) return;
    this.#state = state;
    if (state.status !== "connecting") {
      for (const waiter of [...this.#stateWaiters]) waiter(state);
    }
    const detail = "message" in state ? `: ${state.message}` : "";
    messengerLog.info("Messenger session {status}{detail}", { status: state.status, detail });
    this.#emit({ type: "connection", state });
  }

  #onWorkerFailure(reason: string): void {
    messengerLog.error("{reason}", { reason });
    this.#sessionLost("crashed", reason);
  }

  /** The session is dead or its Worker is: recover once from the saved cookies. */
  #sessionLost(kind: "expired" | "crashed", reason?: string): void {
    if (this.#closed || this.#recovering || this.#state.status === "bad_credentials") return;
    // Before the first login completed, the login call itself reports the failure.
    if (this.#self === undefined) return;
    this.#recovering = true;
    this.#supervisor.stop();
    this.#stopTokenRefresh();
    this.#worker?.release();
    this.#worker = undefined;
    this.#recover(kind, reason).finally(() => {
      this.#recovering = false;
    });
  }

  async #recover(kind: "expired" | "crashed", reason?: string): Promise<void> {
    const now = this.#now();
    const cooldown = this.#settings.timings.reloginCooldownMs;
    if (this.#lastReloginAt !== undefined && now - this.#lastReloginAt < cooldown) {
      this.#giveUp(kind);
      return;
    }
    this.#lastReloginAt = now;
    this.#setState({
      status: "transient_disconnect",
      reason: kind === "expired" ? "session_expired" : "unknown",
      message: `${reason ?? "The Messenger session ended"}: logging in again from saved cookies`,
    });
    try {
      const outcome = await this.#spawnAndLogin(
        { kind: "cookies", appState: this.#cookies },
        this.#settings.timings.loginTimeoutMs,
      );
      if (outcome.kind !== "logged_in") throw new MessengerError("auth_failed", "2FA on re-login");
      this.#reloginNetworkFailures = 0;
      if (this.#closed) {
        this.#worker?.release();
        return;
      }
      if (this.#listening) {
        this.#recovering = false;
        await this.#supervisor.start();
      }
    } catch (error) {
      if (this.#closed) return;
      const code = isMessengerError(error) ? error.code : "internal";
      // A refused or broken connection most likely never carried a login: retried, a few times.
      // A timeout may well have reached Facebook (slow to answer): it spends the one re-login
      // the cooldown allows, like any other failure — logins must never loop (account locks).
      if (code === "network" && this.#reloginNetworkFailures < MAX_RELOGIN_NETWORK_RETRIES) {
        this.#lastReloginAt = undefined;
        const delay = backoffDelay(
          this.#settings.timings.backoff,
          this.#reloginNetworkFailures++,
          this.#clock.random(),
        );
        this.#setState({
          status: "transient_disconnect",
          reason: "network",
          message: "Facebook could not be reached to log in again",
          retryInMs: delay,
        });
        this.#retryTimer = this.#clock.setTimeout(() => {
          this.#retryTimer = undefined;
          this.#sessionLost(kind, reason);
        }, delay);
        return;
      }
      if (code === "checkpoint" && isMessengerError(error)) {
        this.#setState(blockedState(error));
        return;
      }
      this.#giveUp(kind);
    }
  }

  #giveUp(kind: "expired" | "crashed"): void {
    this.#supervisor.stop();
    this.#stopTokenRefresh();
    this.#worker?.release();
    this.#worker = undefined;
    this.#setState(
      kind === "expired"
        ? {
          status: "bad_credentials",
          reason: "session_expired",
          message: "The Messenger session expired: log in again",
        }
        : {
          status: "bad_credentials",
          reason: "unknown",
          message: "The Messenger connection keeps failing: log in again",
        },
    );
  }
}

/** The state of an account Facebook put behind a checkpoint (`error.code` is `checkpoint`). */
function blockedState(error: MessengerError): ConnectionState {
  const state: ConnectionState = error.detail.suspended === true
    ? {
      status: "bad_credentials",
      reason: "account_suspended",
      message: "Facebook suspended or disabled the account",
    }
    : {
      status: "bad_credentials",
      reason: "checkpoint",
      message: "Facebook wants the account confirmed in a browser; then log in again",
    };
  if (error.detail.url !== undefined) state.url = error.detail.url;
  return state;
}
