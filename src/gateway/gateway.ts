/**
 * The gateway core: who is registered, one {@link UserSession} per registered user, and the
 * registration and unregistration flows. It knows neither stanzas nor fca: the XMPP side calls
 * in here, and the core answers through {@link XmppPort}.
 *
 * @module
 */

import { gatewayLog } from "../log.ts";
import type { Credentials } from "../messenger/credentials.ts";
import { Secret } from "../secret.ts";
import { isMessengerError } from "../messenger/errors.ts";
import type { RemoteEvent } from "../messenger/events.ts";
import type { LoginResult, MessengerNetwork, MessengerSession } from "../messenger/session.ts";
import {
  deleteUserData,
  getUser,
  listUsers,
  putUser,
  type UserRecord,
} from "../store/user_records.ts";
import { storeWrite } from "../store/store_write_error.ts";
import type { LoginStatus } from "./login_state.ts";
import { NOT_BRIDGED } from "./what_is_bridged.ts";
import { type SessionSettings, UserSession } from "./user_session.ts";
import type { MessageIdStore } from "../store/message_ids.ts";
import type { QueueSettings } from "./conversation.ts";
import type { RoomArchives } from "../store/room_archive.ts";

/** How long stopping the gateway lets conversations finish what they are doing (ms). */
export const STOP_DRAIN_MS = 5_000;
import type { XmppPort } from "./xmpp_port.ts";

/** The configuration the core needs. */
export interface GatewaySettings extends SessionSettings {
  /** The configured gateway name (welcome texts). */
  name: string;
  /** Bare JIDs of admins, lower-cased. */
  admins: string[];
  /** Who may register. */
  allowedJids: RegExp[];
  /** Delay between two logins at startup (ms), so a restart is not a burst of logins. */
  loginStaggerMs: number;
  /**
   * How long unregistering and stopping wait for a conversation's running work (ms); default
   * {@link CLOSE_DRAIN_MS}.
   */
  drainMs?: number;
}

/** A registration in progress: done, or waiting for the two-factor code. */
export type RegistrationStep =
  | { kind: "registered"; name: string }
  | {
    kind: "two_factor_required";
    /** Continues with the code; a wrong code throws `two_factor_failed` and may be retried. */
    submit(code: string): Promise<RegistrationStep>;
    /** Abandons the registration; nothing is stored. */
    cancel(): void;
  };

/** Why a user is being unregistered (for logs and the admin notice). */
export type UnregisterReason = "user" | "admin" | "unsubscribed";

/** Counters for the statistics command. */
export interface GatewayStatistics {
  users: number;
  sessionsByState: Partial<Record<LoginStatus, number>>;
  messagesToMessenger: number;
  messagesToXmpp: number;
  startedAt: number;
}

/** The running gateway core. */
export class Gateway {
  readonly settings: GatewaySettings;
  #kv: Deno.Kv;
  #network: MessengerNetwork;
  #xmpp: XmppPort;
  #sessions = new Map<string, UserSession>();
  #startTimers = new Set<ReturnType<typeof setTimeout>>();
  #eventHandlers: ((session: UserSession, event: RemoteEvent) => void)[] = [];
  #messageIds: MessageIdStore;
  #queues: QueueSettings;
  #flushWrites: () => Promise<void>;
  #archives: Pick<RoomArchives, "forRoom" | "forgetUser">;
  #onConnected: ((session: UserSession) => Promise<void>) | undefined;
  /**
   * Registrations in progress by bare JID: logging in (no `abandon`), or waiting for a 2FA code
   * (`abandon` cancels that login, so a new attempt can replace one the user walked away from).
   */
  #registering = new Map<string, { abandon?: () => void }>();
  readonly #startedAt = Date.now();
  /** Bridged message counters (incremented by the message flows). */
  readonly counters = { toMessenger: 0, toXmpp: 0 };

  constructor(options: {
    settings: GatewaySettings;
    kv: Deno.Kv;
    network: MessengerNetwork;
    xmpp: XmppPort;
    /** The message id mappings (each session takes its user's view). */
    messageIds: MessageIdStore;
    /** How conversations queue work (bounds, error reporting). */
    queues: QueueSettings;
    /** Commits batched writes (before a user's data is deleted). */
    flushWrites?: () => Promise<void>;
    /** Opens the archive of one of a user's rooms. */
    archives: Pick<RoomArchives, "forRoom" | "forgetUser">;
    /** Runs after each login of a user, once contacts are synced. */
    onConnected?: (session: UserSession) => Promise<void>;
  }) {
    this.settings = options.settings;
    this.#kv = options.kv;
    this.#network = options.network;
    this.#xmpp = options.xmpp;
    this.#messageIds = options.messageIds;
    this.#queues = options.queues;
    this.#flushWrites = options.flushWrites ?? (() => Promise.resolve());
    this.#archives = options.archives;
    this.#onConnected = options.onConnected;
  }

  /** The Messenger implementation in use (its name is shown in `info`). */
  get network(): MessengerNetwork {
    return this.#network;
  }

  /**
   * Loads registered users and logs them in, one every `loginStaggerMs` when the network paces
   * logins (Facebook), all at once otherwise (the simulated network).
   */
  async start(): Promise<void> {
    const users = await listUsers(this.#kv);
    gatewayLog.info("{count} registered {users}", {
      count: users.length,
      users: users.length === 1 ? "user" : "users",
    });
    const stagger = this.#network.pacesLogins === false ? 0 : this.settings.loginStaggerMs;
    const started = performance.now();
    const logins = users.map((user, index) => {
      const session = this.#newSession(user.jid);
      if (stagger === 0) return session.loginFromStore();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#startTimers.delete(timer);
          session.loginFromStore().finally(resolve);
        }, index * stagger);
        this.#startTimers.add(timer);
      });
    });
    // When a restart is over, for the admin (and how long it took: a restart's cost to watch).
    if (users.length > 0) {
      void Promise.allSettled(logins).then(() => {
        const connected = users.filter((user) =>
          this.#sessions.get(user.jid)?.state.status === "connected"
        ).length;
        gatewayLog.info(
          "Startup logins done: {connected} of {count} users connected after {seconds} s",
          {
            connected,
            count: users.length,
            seconds: ((performance.now() - started) / 1000).toFixed(2),
          },
        );
      });
    }
  }

  /** Adds a handler for every user's Messenger events (message bridging). */
  onMessengerEvent(handler: (session: UserSession, event: RemoteEvent) => void): void {
    this.#eventHandlers.push(handler);
  }

  /** True for configured admins. */
  isAdmin(jid: string): boolean {
    return this.settings.admins.includes(jid.toLowerCase());
  }

  /** True when the bare JID may register (admins always may). */
  isAllowed(jid: string): boolean {
    return this.isAdmin(jid) || this.settings.allowedJids.some((re) => re.test(jid));
  }

  /** True when the bare JID is registered. Cheap: called for every stanza to a contact. */
  isRegistered(jid: string): boolean {
    return this.#sessions.has(jid.toLowerCase());
  }

  /** The session of a registered user. */
  session(jid: string): UserSession | undefined {
    return this.#sessions.get(jid.toLowerCase());
  }

  /** Every session (admin listing). */
  sessions(): UserSession[] {
    return [...this.#sessions.values()];
  }

  /**
   * Registers a user (or renews a registered user's login): logs in to Messenger, and only
   * once that worked stores the session cookies, so nothing half-registered is ever left.
   * Throws MessengerError when Messenger refuses (the caller explains it).
   */
  async register(
    jid: string,
    credentials: Credentials,
    options: { savePassword?: boolean } = {},
  ): Promise<RegistrationStep> {
    const bare = jid.toLowerCase();
    if (!this.isAllowed(bare)) {
      throw new RegistrationRefused("This gateway is not open to your address");
    }
    const pending = this.#registering.get(bare);
    if (pending && !pending.abandon) {
      throw new RegistrationRefused(
        "A registration for your address is already in progress: wait a moment and try again",
      );
    }
    // One waiting for a code the user never gave (a client that closed the dialog): replaced.
    if (pending?.abandon) {
      gatewayLog.info("{jid} starts a new registration: the one waiting for a code is cancelled", {
        jid: bare,
      });
      pending.abandon();
    }
    // One registration per address at a time: each one is a Messenger login (and a Worker).
    const token: { abandon?: () => void } = {};
    this.#registering.set(bare, token);
    let result: LoginResult;
    try {
      result = await this.#network.login(credentials, { selfListen: true });
    } catch (error) {
      this.#endRegistration(bare, token);
      throw error;
    }
    return this.#continueRegistration(bare, token, result, credentials, options);
  }

  /** Ends registration `token` of `jid`, unless a newer one took its place. */
  #endRegistration(jid: string, token: { abandon?: () => void }): void {
    if (this.#registering.get(jid) === token) this.#registering.delete(jid);
  }

  #continueRegistration(
    jid: string,
    token: { abandon?: () => void },
    result: LoginResult,
    credentials: Credentials,
    options: { savePassword?: boolean },
  ): RegistrationStep | Promise<RegistrationStep> {
    if (result.kind === "two_factor_required") {
      token.abandon = () => {
        this.#endRegistration(jid, token);
        result.cancel();
      };
      return {
        kind: "two_factor_required",
        submit: async (code) => {
          let next: LoginResult;
          try {
            next = await result.submitCode(code.trim());
          } catch (error) {
            // A wrong code may be corrected; anything else ends this registration.
            if (!isMessengerError(error, "two_factor_failed")) this.#endRegistration(jid, token);
            throw error;
          }
          if (this.#registering.get(jid) !== token) {
            // Replaced by a newer registration meanwhile: this login is not wanted any more.
            if (next.kind === "logged_in") await next.session.disconnect().catch(() => {});
            throw new RegistrationRefused("This registration was replaced by a newer one");
          }
          delete token.abandon;
          return await this.#continueRegistration(jid, token, next, credentials, options);
        },
        cancel: () => {
          this.#endRegistration(jid, token);
          result.cancel();
        },
      };
    }
    return this.#completeRegistration(jid, result.session, credentials, options).finally(() =>
      this.#endRegistration(jid, token)
    );
  }

  async #completeRegistration(
    jid: string,
    messenger: MessengerSession,
    credentials: Credentials,
    options: { savePassword?: boolean },
  ): Promise<RegistrationStep> {
    let cookies;
    try {
      cookies = await messenger.exportCookies();
    } catch (error) {
      await messenger.disconnect();
      throw error;
    }
    const existing = await getUser(this.#kv, jid);
    const record: UserRecord = {
      jid,
      registeredAt: existing?.registeredAt ?? Date.now(),
      messengerSession: new Secret(JSON.stringify(cookies)),
      preferences: existing?.preferences ?? {},
      ...(options.savePassword && credentials.kind === "password"
        ? { savedLogin: { email: credentials.email, password: credentials.password } }
        : {}),
    };
    try {
      await storeWrite(`the registration of ${jid}`, () => putUser(this.#kv, record));
    } catch (error) {
      // Not saved, so not registered: the login ends here, and the user is told.
      await messenger.disconnect().catch(() => {});
      throw error;
    }
    const isNew = existing === null;
    const session = this.#sessions.get(jid) ?? this.#newSession(jid);
    const name = messenger.self.name ?? messenger.self.id;
    gatewayLog.info("{jid} {what} as Messenger user {id}", {
      jid,
      what: isNew ? "registered" : "logged in again",
      id: messenger.self.id,
    });
    if (isNew) {
      await this.#xmpp.gatewayMessage(
        jid,
        `Welcome to ${this.settings.name}! You are logged in to Messenger as ${name}. ` +
          "Your Messenger contacts will appear in your roster and your groups as group chats. " +
          `${NOT_BRIDGED} Send 'help' to see what I can do.`,
      );
      for (const admin of this.settings.admins) {
        if (admin !== jid) await this.#xmpp.gatewayMessage(admin, `${jid} has registered`);
      }
    }
    void session.adopt(messenger);
    return { kind: "registered", name };
  }

  /**
   * Unregisters a user on any path: ends the Messenger session, makes every contact and the
   * gateway leave the user's roster, and deletes everything stored for them.
   *
   * The order matters: the session closes first (its conversations drop their waiting work and
   * let running work finish, which then shows and stores nothing; everything kept about them is
   * forgotten with them), batched writes are committed, and only then is the data deleted, so
   * nothing is written back afterwards.
   */
  async unregister(jid: string, reason: UnregisterReason): Promise<boolean> {
    const bare = jid.toLowerCase();
    const session = this.#sessions.get(bare);
    const record = await getUser(this.#kv, bare);
    if (!session && !record) return false;
    this.#sessions.delete(bare);
    const contacts = session?.contacts.map((card) => card.id) ?? [];
    if (session) {
      const drained = await session.close({ forget: true, drainMs: this.settings.drainMs });
      if (!drained) {
        gatewayLog.warn("Work for {jid} was still running when their data was deleted", {
          jid: bare,
        });
      }
    }
    await this.#flushWrites();
    await this.#xmpp.removeContacts(bare, contacts);
    const deleted = await deleteUserData(this.#kv, bare);
    gatewayLog.info("{jid} unregistered ({reason}); {count} stored entries deleted", {
      jid: bare,
      reason,
      count: deleted,
    });
    for (const admin of this.settings.admins) {
      if (admin !== bare) {
        await this.#xmpp.gatewayMessage(admin, `${bare} has unregistered (${reason})`);
      }
    }
    return true;
  }

  /** Logs a registered user in again from the saved session (re-login command). */
  async relogin(jid: string): Promise<void> {
    const session = this.#sessions.get(jid.toLowerCase());
    if (!session) throw new RegistrationRefused("You are not registered");
    // An explicit re-login wins over a suspension for offline users.
    if (session.suspended) await session.resume();
    else await session.loginFromStore();
  }

  /** Numbers for the statistics command. */
  statistics(): GatewayStatistics {
    const sessionsByState: Partial<Record<LoginStatus, number>> = {};
    for (const session of this.#sessions.values()) {
      sessionsByState[session.state.status] = (sessionsByState[session.state.status] ?? 0) + 1;
    }
    return {
      users: this.#sessions.size,
      sessionsByState,
      messagesToMessenger: this.counters.toMessenger,
      messagesToXmpp: this.counters.toXmpp,
      startedAt: this.#startedAt,
    };
  }

  /** Ends every session (users stay registered); used at shutdown. */
  async stop(): Promise<void> {
    for (const timer of this.#startTimers) clearTimeout(timer);
    this.#startTimers.clear();
    await Promise.all(
      [...this.#sessions.values()].map((session) =>
        session.close({ drainMs: Math.min(this.settings.drainMs ?? STOP_DRAIN_MS, STOP_DRAIN_MS) })
      ),
    );
  }

  #newSession(jid: string): UserSession {
    const session = new UserSession({
      jid,
      kv: this.#kv,
      network: this.#network,
      xmpp: this.#xmpp,
      settings: this.settings,
      messageIds: this.#messageIds,
      queues: this.#queues,
      archives: this.#archives,
      committed: this.#flushWrites,
      ...(this.#onConnected ? { onConnected: this.#onConnected } : {}),
      onEvent: (s, event) => {
        for (const handler of this.#eventHandlers) handler(s, event);
      },
    });
    this.#sessions.set(jid, session);
    return session;
  }
}

/** The gateway refuses a registration for a reason of its own (not Messenger's). */
export class RegistrationRefused extends Error {
  override name = "RegistrationRefused";
}
