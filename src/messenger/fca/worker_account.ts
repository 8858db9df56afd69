/**
 * Worker-only: one Messenger account inside an fca Worker, on its own copy of fca-unofficial.
 *
 * A Worker hosts one or several accounts (`messenger.accounts_per_worker`); each gets a
 * {@link WorkerAccount} with its own copy of fca's files (fca_loader.ts: fca keeps per-login state
 * at module level), its own `request` with its own headers (http_interception.ts), its own hooks
 * into fca's utils (fca_hooks.ts) and its own listener state. Nothing here is shared between
 * accounts but the libraries fca depends on. This is thin glue: it turns requests into fca calls
 * (always callback style, each settled once), posts raw listener events as JSON tagged with the
 * account, and reports MQTT connection life so the main side can supervise. Timeouts,
 * conversions and reconnection policy live on the main side.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { PassThrough } from "node:stream";
import { tapSyncPayload, typingThreadKind } from "./delta_tap.ts";
import { toWireError } from "./error_mapping.ts";
import { type FcaInstance, loadFca } from "./fca_loader.ts";
import { FcaHooks } from "./fca_hooks.ts";
import { requestWithHeaders } from "./http_interception.ts";
import type {
  AccountKey,
  AccountNotice,
  WireCookie,
  WireLoginOutcome,
  WireLogLevel,
  WorkerNotice,
  WorkerOps,
} from "./protocol.ts";

// deno-lint-ignore no-explicit-any
type Fca = any;

/** The operations an account answers (`leave`, `ping` and the test operations are the Worker's). */
export type AccountOp = Exclude<keyof WorkerOps, `test_${string}` | "leave" | "ping">;

type Handlers = {
  [K in AccountOp]: (id: number, params: WorkerOps[K]["params"]) => void;
};

/** Raw message deltas kept until fca emits their message (bounded: fca may drop some). */
const MAX_RAW_DELTAS = 500;

/** JSON-safe copy of an fca object: Errors become {name, message, code}, cycles and functions go. */
export function plain(value: unknown): unknown {
  const seen = new WeakSet<object>();
  try {
    const json = JSON.stringify(value, (_key, inner) => {
      if (inner instanceof Error) {
        return { name: inner.name, message: inner.message, code: (inner as Fca).code };
      }
      if (typeof inner === "function") return undefined;
      if (typeof inner === "bigint") return inner.toString();
      if (typeof inner === "object" && inner !== null) {
        if (seen.has(inner)) return undefined;
        seen.add(inner);
      }
      return inner;
    });
    return json === undefined ? null : JSON.parse(json);
  } catch {
    return null;
  }
}

/** One account in the Worker; see the module documentation. */
export class WorkerAccount {
  readonly #key: AccountKey;
  readonly #post: (notice: WorkerNotice) => void;
  readonly #fca: FcaInstance;
  readonly #hooks: FcaHooks;
  #api: Fca = null;
  #ctx: Fca = null;
  #listening = false;
  #left = false;
  /** The request waiting for fca's login callback (login or a 2FA code), if any. */
  #pendingLoginId: number | null = null;
  #continueTwoFactor: ((code: string) => void) | null = null;
  readonly #typingEnders = new Map<string, (callback: (error?: unknown) => void) => void>();
  #lastTrafficPost = 0;
  /** Raw message deltas by message id, until fca emits the message. */
  readonly #rawDeltas = new Map<string, Record<string, unknown>>();

  /** `post` sends to the main side (the Worker's `postMessage`, guarded). */
  constructor(key: AccountKey, post: (notice: WorkerNotice) => void) {
    this.#key = key;
    this.#post = post;
    this.#fca = loadFca({
      dependencies: {
        request: (shared) =>
          requestWithHeaders(shared, {
            // Read at each request, all of which come after the constructor.
            headers: () => this.#hooks.headers(),
            open: () => !this.#left,
          }),
      },
    });
    this.#hooks = new FcaHooks(this.#fca.utils, (message) => this.#log("debug", message));
    this.#hooks.install();
  }

  /** Runs one request; a handler that throws answers with the error. */
  handle(id: number, op: AccountOp, params: unknown): void {
    const handler = this.#handlers[op] as ((id: number, params: unknown) => void) | undefined;
    if (typeof handler !== "function") return this.#respondError(id, "Unknown operation");
    try {
      handler(id, params);
    } catch (error) {
      this.#respondError(id, error);
    }
  }

  /**
   * Leaves the Worker: ends the listener and its MQTT client, clears fca's timers, refuses any
   * further request fca would send, and drops fca's objects. Idempotent.
   */
  leave(): void {
    if (this.#left) return;
    this.#left = true;
    this.#listening = false;
    if (this.#ctx !== null) this.#ctx.mqttClient = undefined;
    this.#fca.dispose();
    this.#typingEnders.clear();
    this.#rawDeltas.clear();
    this.#api = null;
    this.#pendingLoginId = null;
    this.#continueTwoFactor = null;
  }

  #notify(notice: AccountNotice): void {
    if (this.#left) return;
    this.#post({ ...notice, account: this.#key });
  }

  #log(level: WireLogLevel, message: string): void {
    this.#notify({ kind: "log", level, message });
  }

  #respondOk(id: number, value: unknown): void {
    this.#post({ kind: "response", id, ok: true, value });
  }

  #respondError(id: number, error: unknown): void {
    this.#post({ kind: "response", id, ok: false, error: toWireError(error) });
  }

  /** A node-style callback that answers request `id` exactly once. */
  #settleOnce(id: number, map: (value: Fca) => unknown = (value) => plain(value) ?? null) {
    let settled = false;
    return (error: unknown, value?: unknown) => {
      if (settled) return;
      settled = true;
      if (error !== null && error !== undefined && error !== false) this.#respondError(id, error);
      else {
        try {
          this.#respondOk(id, map(value));
        } catch (mapError) {
          this.#respondError(id, mapError);
        }
      }
    };
  }

  #requireApi(): Fca {
    if (this.#api === null) throw { error: "Not logged in." };
    return this.#api;
  }

  /** The cookies to save, once each (fca lists facebook.com ones twice and adds messenger.com). */
  #exportCookies(): WireCookie[] {
    const seen = new Set<string>();
    const cookies: WireCookie[] = [];
    for (const cookie of this.#requireApi().getAppState() as Fca[]) {
      const key = String(cookie.key ?? "");
      const domain = String(cookie.domain ?? "");
      const path = String(cookie.path ?? "/");
      const identity = `${key}\u0000${domain}\u0000${path}`;
      if (key === "" || domain === "" || seen.has(identity)) continue;
      seen.add(identity);
      const wire: WireCookie = { key, value: String(cookie.value ?? ""), domain, path };
      if (cookie.expires instanceof Date) wire.expires = cookie.expires.toUTCString();
      if (cookie.secure === true) wire.secure = true;
      if (cookie.httpOnly === true) wire.httpOnly = true;
      cookies.push(wire);
    }
    return cookies;
  }

  /** Wraps fca's ctx.mqttClient so every client it creates is supervised from the main side. */
  #watchMqttClients(): void {
    let current: Fca = undefined;
    Object.defineProperty(this.#ctx, "mqttClient", {
      configurable: true,
      enumerable: true,
      get: () => current,
      set: (client: Fca) => {
        if (current !== undefined && current !== client) endQuietly(current);
        current = client;
        if (client === undefined || client === null) return;
        if (this.#left) {
          // fca connecting for an account that has left (a late retry): not any more.
          endQuietly(client);
          current = undefined;
          return;
        }
        // The main side reconnects, with backoff; fca's MQTT client would retry every second.
        client.options.reconnectPeriod = 0;
        this.#tapMessages(client);
        client.on("connect", () => {
          if (client !== current) return;
          this.#notify({ kind: "mqtt", what: "connected" });
          // After fca's own connect handler (subscriptions, sync queue), as current clients do.
          queueMicrotask(() => {
            if (client === current) this.#publishForeground(client);
          });
        });
        client.on("close", () => {
          if (client === current) this.#notify({ kind: "mqtt", what: "closed" });
        });
        client.on("packetreceive", () => {
          const now = Date.now();
          if (client !== current || now - this.#lastTrafficPost < 500) return;
          this.#lastTrafficPost = now;
          this.#notify({ kind: "mqtt", what: "traffic" });
        });
        client.on("error", () => {/* fca has its own handler; this keeps errors from escaping */});
      },
    });
  }

  /**
   * Runs every MQTT message through the delta tap (delta_tap.ts) before fca's handler: a `/t_ms`
   * batch is repaired and handed to fca one delta at a time, the exact thread kinds go to the
   * main side, message deltas are kept for their mentions, and a delta fca drops but the gateway
   * reads is formatted for it right after its turn (`#rescue`). fca's handler still throws on
   * shapes it cannot read; uncaught, that would also leave the MQTT parser waiting forever (a
   * silent stall). It is caught per delta: only that delta is lost, and a message is rescued
   * from its raw delta.
   */
  #tapMessages(client: Fca): void {
    const emit = client.emit;
    const deliver = (args: unknown[], delta?: Record<string, unknown>) => {
      try {
        emit.call(client, "message", ...args);
      } catch (error) {
        const wire = toWireError(error);
        this.#log(
          "warning",
          `fca failed on a message from ${String(args[0])}: ${wire.message ?? "?"}`,
        );
        if (delta?.class === "NewMessage") {
          this.#notify({
            kind: "listener_error",
            error: { type: "parse_error", res: { delta: plain(delta) } },
          });
        }
      }
    };
    // deno-lint-ignore no-this-alias
    const account = this;
    client.emit = function (this: unknown, name: string, ...args: unknown[]) {
      if (name !== "message") return emit.call(this, name, ...args);
      const [topic, message, ...rest] = args;
      const payload = String(message ?? "");
      if (topic === "/t_ms") {
        const tapped = tapSyncPayload(payload);
        if (tapped !== undefined) {
          for (const note of tapped.notes) account.#log("debug", note);
          if (tapped.kinds.length > 0) {
            account.#notify({ kind: "thread_kinds", kinds: tapped.kinds });
          }
          for (const [id, delta] of tapped.messages) account.#rememberDelta(id, delta);
          if (typeof tapped.parts !== "string") {
            for (const part of tapped.parts) {
              deliver([topic, Buffer.from(part.payload), ...rest], part.delta);
              if (part.rescue) account.#rescue(part.delta);
            }
            return true;
          }
        }
      } else if (topic === "/thread_typing" || topic === "/orca_typing_notifications") {
        const kind = typingThreadKind(topic, payload);
        if (kind !== undefined) account.#notify({ kind: "thread_kinds", kinds: [kind] });
      }
      deliver(args);
      return true;
    };
  }

  /**
   * A delta fca 1.3.10 drops but the gateway reads (a group admin change, delta_tap.ts): made into
   * the event later fca versions emit, by this fca's own `formatDeltaEvent`, and delivered under
   * the rule fca applies to the group events it knows (the account's own only with selfListen).
   */
  #rescue(delta: Record<string, unknown>): void {
    const ctx = this.#ctx;
    if (ctx === null || !ctx.loggedIn) return;
    let event: Fca;
    try {
      event = this.#fca.utils.formatDeltaEvent(delta);
    } catch (error) {
      this.#log(
        "warning",
        `Could not read a ${String(delta.type)} delta: ${toWireError(error).message ?? "?"}`,
      );
      return;
    }
    if (!ctx.globalOptions?.selfListen && String(event?.author) === String(ctx.userID)) return;
    this.#onListenerCallback(null, event);
  }

  #rememberDelta(id: string, delta: Record<string, unknown>): void {
    this.#rawDeltas.delete(id);
    this.#rawDeltas.set(id, delta);
    if (this.#rawDeltas.size > MAX_RAW_DELTAS) {
      const oldest = this.#rawDeltas.keys().next().value;
      if (oldest !== undefined) this.#rawDeltas.delete(oldest);
    }
  }

  /** Tells Facebook the client is in the foreground, as current web clients do after connecting. */
  #publishForeground(client: Fca): void {
    try {
      client.publish("/foreground_state", JSON.stringify({ foreground: true }), { qos: 1 });
      client.publish(
        "/set_client_settings",
        JSON.stringify({ make_user_available_when_in_foreground: true }),
        { qos: 1 },
      );
    } catch (error) {
      this.#log(
        "warning",
        `Could not publish the foreground state: ${toWireError(error).message ?? "?"}`,
      );
    }
  }

  #onListenerCallback(error: unknown, event: unknown): void {
    if (!this.#listening) return;
    if (error !== null && error !== undefined) {
      const type = (error as Fca)?.type;
      if (type === "ready" || type === "stop_listen" || type === "parse_error") {
        this.#notify({ kind: "listener_error", error: plain(error) });
      } else {
        this.#notify({
          kind: "listener_error",
          error: { type: "error", error: toWireError(error) },
        });
      }
      return;
    }
    const id = (event as Fca)?.messageID;
    const delta = typeof id === "string" ? this.#rawDeltas.get(id) : undefined;
    if (delta === undefined) {
      this.#notify({ kind: "listener_event", event: plain(event) });
      return;
    }
    this.#rawDeltas.delete(id);
    this.#notify({ kind: "listener_event", event: plain(event), delta: plain(delta) });
  }

  #onLoginCallback(error: Fca, loggedIn: Fca): void {
    const id = this.#pendingLoginId;
    this.#pendingLoginId = null;
    if (this.#left) return;
    if (error?.error === "login-approval" && typeof error.continue === "function") {
      this.#continueTwoFactor = error.continue;
      if (id === null) return;
      if (typeof error.errordesc === "string") this.#respondError(id, error);
      else this.#respondOk(id, { kind: "two_factor_required" } satisfies WireLoginOutcome);
      return;
    }
    if (error !== null && error !== undefined) {
      // Whatever fca says, a login that ended on a checkpoint page failed because of it.
      if (id !== null) this.#respondError(id, this.#hooks.lastPageProblem() ?? error);
      return;
    }
    if (id === null) return;
    try {
      this.#api = loggedIn;
      this.#api.addExternalModule({
        adapterContext: (_defaults: unknown, _api: unknown, fcaContext: unknown) => {
          this.#ctx = fcaContext;
          return () => undefined;
        },
      });
      this.#watchMqttClients();
      this.#respondOk(
        id,
        {
          kind: "logged_in",
          userId: String(this.#api.getCurrentUserID()),
          cookies: this.#exportCookies(),
        } satisfies WireLoginOutcome,
      );
    } catch (setupError) {
      this.#respondError(id, setupError);
    }
  }

  readonly #handlers: Handlers = {
    login: (id, { credentials, options }) => {
      if (this.#api !== null || this.#pendingLoginId !== null) {
        return this.#respondError(id, "Already logged in in this Worker");
      }
      const fcaCredentials = credentials.kind === "cookies"
        ? { appState: credentials.appState.map((cookie) => ({ path: "/", ...cookie })) }
        : { email: credentials.email, password: credentials.password };
      this.#pendingLoginId = id;
      this.#fca.login(fcaCredentials, {
        logLevel: "silent",
        selfListen: options.selfListen,
        listenEvents: true,
        listenTyping: true,
        updatePresence: false,
        emitReady: true,
        autoReconnect: false,
        autoMarkDelivery: true,
        autoMarkRead: false,
        online: true,
        forceLogin: false,
        userAgent: options.userAgent,
      }, (error: Fca, api: Fca) => this.#onLoginCallback(error, api));
    },
    submit_code: (id, { code }) => {
      const submit = this.#continueTwoFactor;
      if (submit === null) return this.#respondError(id, "No two-factor login is pending");
      this.#continueTwoFactor = null;
      this.#pendingLoginId = id;
      submit(code);
    },
    listen_start: (id) => {
      const api = this.#requireApi();
      this.#ctx.mqttClient = undefined;
      this.#listening = true;
      api.listenMqtt((error: unknown, event: unknown) => this.#onListenerCallback(error, event));
      this.#respondOk(id, null);
    },
    listen_stop: (id) => {
      this.#listening = false;
      if (this.#ctx !== null) this.#ctx.mqttClient = undefined;
      this.#respondOk(id, null);
    },
    send_message: (id, params) => {
      const message: Fca = { body: params.text ?? "" };
      if (params.mentions !== undefined && params.mentions.length > 0) {
        message.mentions = params.mentions;
      }
      if (params.attachments !== undefined && params.attachments.length > 0) {
        message.attachment = params.attachments.map((file) => {
          const stream: Fca = new PassThrough();
          stream.path = file.filename; // form-data takes the upload's name from here
          stream.end(Buffer.from(file.data));
          return stream;
        });
      }
      this.#requireApi().sendMessage(
        message,
        params.thread,
        this.#settleOnce(id),
        params.replyTo,
        // Always a boolean: anything else makes fca look the thread up first (/chat/user_info/).
        params.isGroup === true,
      );
    },
    react: (id, { messageId, reaction }) => {
      this.#requireApi().setMessageReaction(
        reaction,
        messageId,
        this.#settleOnce(id, () => null),
        true,
      );
    },
    unsend: (id, { messageId }) => {
      this.#requireApi().unsendMessage(messageId, this.#settleOnce(id, () => null));
    },
    mark_read: (id, { thread }) => {
      // markAsRead never calls back on success; its promise resolves with the error, or null.
      const settle = this.#settleOnce(id, () => null);
      this.#requireApi().markAsRead(thread, true, settle).then(
        (error: unknown) => settle(error ?? null),
        (error: unknown) => settle(error ?? "markAsRead failed"),
      );
    },
    typing: (id, { thread, typing, isGroup: group }) => {
      const settle = this.#settleOnce(id, () => null);
      const isGroup = group === true; // a boolean, or fca looks the thread up (/chat/user_info/)
      const ender = this.#typingEnders.get(thread);
      this.#typingEnders.delete(thread);
      if (typing) {
        const end = this.#requireApi().sendTypingIndicator(thread, settle, isGroup);
        if (typeof end === "function") this.#typingEnders.set(thread, end);
      } else if (ender !== undefined) {
        ender(settle);
      } else {
        // Nothing to end here: start and end at once, which clears the indicator.
        const end = this.#requireApi().sendTypingIndicator(thread, () => undefined, isGroup);
        if (typeof end === "function") end(settle);
        else settle(null);
      }
    },
    get_user_info: (id, { users }) => {
      this.#requireApi().getUserInfo(users, this.#settleOnce(id));
    },
    get_friends: (id) => {
      this.#requireApi().getFriendsList(this.#settleOnce(id));
    },
    get_thread_list: (id, { limit }) => {
      // The inbox, then the pending message requests (a folder of their own on Facebook). The
      // requests are a bonus: when their folder cannot be read, the inbox still answers.
      const settle = this.#settleOnce(id);
      const fca = this.#requireApi();
      fca.getThreadList(limit, null, ["INBOX"], (error: unknown, inbox: unknown) => {
        if (error !== null && error !== undefined && error !== false) return settle(error);
        try {
          fca.getThreadList(limit, null, ["PENDING"], (pendingError: unknown, pending: unknown) => {
            const requests = pendingError || !Array.isArray(pending) ? [] : pending;
            settle(null, [...(Array.isArray(inbox) ? inbox : []), ...requests]);
          });
        } catch {
          settle(null, inbox);
        }
      });
    },
    get_thread_info: (id, { thread }) => {
      this.#requireApi().getThreadInfo(thread, this.#settleOnce(id));
    },
    get_history: (id, { thread, count, before }) => {
      this.#requireApi().getThreadHistory(thread, count, before, this.#settleOnce(id));
    },
    search_users: (id, { query }) => {
      this.#requireApi().getUserID(query, this.#settleOnce(id));
    },
    create_group: (id, { users, title }) => {
      this.#requireApi().createNewGroup(users, title, this.#settleOnce(id));
    },
    add_to_group: (id, { thread, user }) => {
      this.#requireApi().addUserToGroup(user, thread, this.#settleOnce(id, () => null));
    },
    remove_from_group: (id, { thread, user }) => {
      this.#requireApi().removeUserFromGroup(user, thread, this.#settleOnce(id, () => null));
    },
    rename_group: (id, { thread, name }) => {
      this.#requireApi().setTitle(name, thread, this.#settleOnce(id, () => null));
    },
    set_group_admin: (id, { thread, user, admin }) => {
      this.#requireApi().changeAdminStatus(thread, [user], admin, this.#settleOnce(id, () => null));
    },
    handle_message_request: (id, { threads, accept }) => {
      this.#requireApi().handleMessageRequest(threads, accept, this.#settleOnce(id, () => null));
    },
    export_cookies: (id) => {
      this.#respondOk(id, this.#exportCookies());
    },
    refresh_tokens: (id) => {
      this.#requireApi();
      this.#hooks.refresh(this.#ctx).then(
        (outcome) => this.#respondOk(id, outcome),
        (error: unknown) => this.#respondError(id, error),
      );
    },
  };
}

function endQuietly(client: Fca): void {
  try {
    client.end(true);
  } catch {
    // Already ended.
  }
}
