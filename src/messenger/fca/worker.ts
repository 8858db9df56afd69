/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * The Worker that runs fca-unofficial for exactly one Messenger account.
 *
 * fca keeps state at module level (sequence ids, the listener form, proxy, log level), so two
 * accounts must never share a module instance; a Worker each also contains fca's crashes. This
 * file is thin glue: it turns {@link WorkerRequest}s into fca calls (always callback style, each
 * settled once), posts raw listener events as JSON, and reports MQTT connection life so the main
 * side can supervise. What makes fca work against today's Facebook is plugged in here from its
 * own modules: the hooks into fca's request helpers (fca_hooks.ts), the HTTP interception
 * (http_interception.ts) and the tap on raw MQTT payloads (delta_tap.ts). Uncaught errors and
 * rejections are contained here and logged; timeouts, conversions and reconnection policy live
 * on the main side.
 *
 * @module
 */

import "./_worker_preamble.ts";
import { Buffer } from "node:buffer";
import { PassThrough } from "node:stream";
import fcaLogin from "fca-unofficial";
import { tapSyncPayload, typingThreadKind } from "./delta_tap.ts";
import { toWireError } from "./error_mapping.ts";
import { FcaHooks } from "./fca_hooks.ts";
import { installHttpInterception } from "./http_interception.ts";
import type {
  WireCookie,
  WireLoginOutcome,
  WireLogLevel,
  WorkerNotice,
  WorkerOps,
  WorkerRequest,
} from "./protocol.ts";

// deno-lint-ignore no-explicit-any
type Fca = any;

let api: Fca = null;
let ctx: Fca = null;
let testMode = false;
let containErrors = true;
let listening = false;
/** The request waiting for fca's login callback (login or a 2FA code), if any. */
let pendingLoginId: number | null = null;
let continueTwoFactor: ((code: string) => void) | null = null;
const typingEnders = new Map<string, (callback: (error?: unknown) => void) => void>();
let lastTrafficPost = 0;
/** Raw message deltas by message id, until fca emits the message (bounded: fca may drop some). */
const rawDeltas = new Map<string, Record<string, unknown>>();
const MAX_RAW_DELTAS = 500;
const hooks = new FcaHooks((message) => log("debug", message));
hooks.install();

function post(notice: WorkerNotice): void {
  try {
    self.postMessage(notice);
  } catch (error) {
    // A value that does not clone: report that instead of losing the message silently.
    self.postMessage({ kind: "log", level: "error", message: `Unpostable notice: ${error}` });
  }
}

function log(level: WireLogLevel, message: string): void {
  post({ kind: "log", level, message });
}

self.addEventListener("error", (event) => {
  if (!containErrors) return;
  event.preventDefault();
  log("error", `Contained an uncaught error in the fca Worker: ${event.message}`);
});

self.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  const wire = toWireError(event.reason);
  log("error", `Contained an unhandled rejection in the fca Worker: ${JSON.stringify(wire)}`);
});

/** JSON-safe copy of an fca object: Errors become {name, message, code}, cycles and functions go. */
function plain(value: unknown): unknown {
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

function respondOk(id: number, value: unknown): void {
  post({ kind: "response", id, ok: true, value });
}

function respondError(id: number, error: unknown): void {
  post({ kind: "response", id, ok: false, error: toWireError(error) });
}

/** A node-style callback that answers request `id` exactly once. */
function settleOnce(id: number, map: (value: Fca) => unknown = (value) => plain(value) ?? null) {
  let settled = false;
  return (error: unknown, value?: unknown) => {
    if (settled) return;
    settled = true;
    if (error !== null && error !== undefined && error !== false) respondError(id, error);
    else {
      try {
        respondOk(id, map(value));
      } catch (mapError) {
        respondError(id, mapError);
      }
    }
  };
}

function requireApi(): Fca {
  if (api === null) throw { error: "Not logged in." };
  return api;
}

/** The cookies to save, once each (fca lists facebook.com ones twice and adds messenger.com). */
function exportCookies(): WireCookie[] {
  const seen = new Set<string>();
  const cookies: WireCookie[] = [];
  for (const cookie of requireApi().getAppState() as Fca[]) {
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
function watchMqttClients(): void {
  let current: Fca = undefined;
  Object.defineProperty(ctx, "mqttClient", {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (client: Fca) => {
      if (current !== undefined && current !== client) endQuietly(current);
      current = client;
      if (client === undefined || client === null) return;
      // The main side reconnects, with backoff; fca's MQTT client would retry every second.
      client.options.reconnectPeriod = 0;
      tapMessages(client);
      client.on("connect", () => {
        if (client !== current) return;
        post({ kind: "mqtt", what: "connected" });
        // After fca's own connect handler (subscriptions, sync queue), as current clients do.
        queueMicrotask(() => {
          if (client === current) publishForeground(client);
        });
      });
      client.on("close", () => {
        if (client === current) post({ kind: "mqtt", what: "closed" });
      });
      client.on("packetreceive", () => {
        const now = Date.now();
        if (client !== current || now - lastTrafficPost < 500) return;
        lastTrafficPost = now;
        post({ kind: "mqtt", what: "traffic" });
      });
      client.on("error", () => {/* fca has its own handler; this keeps errors from escaping */});
    },
  });
}

/**
 * Runs every MQTT message through the delta tap (delta_tap.ts) before fca's handler: a `/t_ms`
 * batch is repaired and handed to fca one delta at a time, the exact thread kinds go to the main
 * side, and message deltas are kept for their mentions. fca's handler still throws on shapes it
 * cannot read; uncaught, that would also leave the MQTT parser waiting forever (a silent stall).
 * It is caught per delta: only that delta is lost, and a message is rescued from its raw delta.
 */
function tapMessages(client: Fca): void {
  const emit = client.emit;
  const deliver = (args: unknown[], delta?: Record<string, unknown>) => {
    try {
      emit.call(client, "message", ...args);
    } catch (error) {
      const wire = toWireError(error);
      log("warning", `fca failed on a message from ${String(args[0])}: ${wire.message ?? "?"}`);
      if (delta?.class === "NewMessage") {
        post({
          kind: "listener_error",
          error: { type: "parse_error", res: { delta: plain(delta) } },
        });
      }
    }
  };
  client.emit = function (this: unknown, name: string, ...args: unknown[]) {
    if (name !== "message") return emit.call(this, name, ...args);
    const [topic, message, ...rest] = args;
    const payload = String(message ?? "");
    if (topic === "/t_ms") {
      const tapped = tapSyncPayload(payload);
      if (tapped !== undefined) {
        for (const note of tapped.notes) log("debug", note);
        if (tapped.kinds.length > 0) post({ kind: "thread_kinds", kinds: tapped.kinds });
        for (const [id, delta] of tapped.messages) rememberDelta(id, delta);
        if (typeof tapped.parts !== "string") {
          for (const part of tapped.parts) {
            deliver([topic, Buffer.from(part.payload), ...rest], part.delta);
          }
          return true;
        }
      }
    } else if (topic === "/thread_typing" || topic === "/orca_typing_notifications") {
      const kind = typingThreadKind(topic, payload);
      if (kind !== undefined) post({ kind: "thread_kinds", kinds: [kind] });
    }
    deliver(args);
    return true;
  };
}

function rememberDelta(id: string, delta: Record<string, unknown>): void {
  rawDeltas.delete(id);
  rawDeltas.set(id, delta);
  if (rawDeltas.size > MAX_RAW_DELTAS) {
    const oldest = rawDeltas.keys().next().value;
    if (oldest !== undefined) rawDeltas.delete(oldest);
  }
}

/** Tells Facebook the client is in the foreground, as current web clients do after connecting. */
function publishForeground(client: Fca): void {
  try {
    client.publish("/foreground_state", JSON.stringify({ foreground: true }), { qos: 1 });
    client.publish(
      "/set_client_settings",
      JSON.stringify({ make_user_available_when_in_foreground: true }),
      { qos: 1 },
    );
  } catch (error) {
    log("warning", `Could not publish the foreground state: ${toWireError(error).message ?? "?"}`);
  }
}

function endQuietly(client: Fca): void {
  try {
    client.end(true);
  } catch {
    // Already ended.
  }
}

function onListenerCallback(error: unknown, event: unknown): void {
  if (!listening) return;
  if (error !== null && error !== undefined) {
    const type = (error as Fca)?.type;
    if (type === "ready" || type === "stop_listen" || type === "parse_error") {
      post({ kind: "listener_error", error: plain(error) });
    } else {
      post({ kind: "listener_error", error: { type: "error", error: toWireError(error) } });
    }
    return;
  }
  const id = (event as Fca)?.messageID;
  const delta = typeof id === "string" ? rawDeltas.get(id) : undefined;
  if (delta === undefined) {
    post({ kind: "listener_event", event: plain(event) });
    return;
  }
  rawDeltas.delete(id);
  post({ kind: "listener_event", event: plain(event), delta: plain(delta) });
}

function onLoginCallback(error: Fca, loggedIn: Fca): void {
  const id = pendingLoginId;
  pendingLoginId = null;
  if (error?.error === "login-approval" && typeof error.continue === "function") {
    continueTwoFactor = error.continue;
    if (id === null) return;
    if (typeof error.errordesc === "string") respondError(id, error);
    else respondOk(id, { kind: "two_factor_required" } satisfies WireLoginOutcome);
    return;
  }
  if (error !== null && error !== undefined) {
    // Whatever fca says, a login that ended on a checkpoint page failed because of it.
    if (id !== null) respondError(id, hooks.lastPageProblem() ?? error);
    return;
  }
  if (id === null) return;
  try {
    api = loggedIn;
    api.addExternalModule({
      adapterContext: (_defaults: unknown, _api: unknown, fcaContext: unknown) => {
        ctx = fcaContext;
        return () => undefined;
      },
    });
    watchMqttClients();
    respondOk(
      id,
      {
        kind: "logged_in",
        userId: String(api.getCurrentUserID()),
        cookies: exportCookies(),
      } satisfies WireLoginOutcome,
    );
  } catch (setupError) {
    respondError(id, setupError);
  }
}

type Handlers = {
  [K in keyof WorkerOps]: (id: number, params: WorkerOps[K]["params"]) => void;
};

const handlers: Handlers = {
  login(id, { credentials, options, endpointOverride }) {
    if (api !== null || pendingLoginId !== null) {
      return respondError(id, "Already logged in in this Worker");
    }
    installHttpInterception({
      headers: () => hooks.headers(),
      ...(endpointOverride === undefined ? {} : { override: endpointOverride }),
    });
    testMode = endpointOverride !== undefined;
    const fcaCredentials = credentials.kind === "cookies"
      ? { appState: credentials.appState.map((cookie) => ({ path: "/", ...cookie })) }
      : { email: credentials.email, password: credentials.password };
    pendingLoginId = id;
    fcaLogin(fcaCredentials, {
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
    }, onLoginCallback);
  },
  submit_code(id, { code }) {
    const submit = continueTwoFactor;
    if (submit === null) return respondError(id, "No two-factor login is pending");
    continueTwoFactor = null;
    pendingLoginId = id;
    submit(code);
  },
  listen_start(id) {
    requireApi();
    ctx.mqttClient = undefined;
    listening = true;
    requireApi().listenMqtt(onListenerCallback);
    respondOk(id, null);
  },
  listen_stop(id) {
    listening = false;
    if (ctx !== null) ctx.mqttClient = undefined;
    respondOk(id, null);
  },
  send_message(id, params) {
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
    requireApi().sendMessage(
      message,
      params.thread,
      settleOnce(id),
      params.replyTo,
      // Always a boolean: anything else makes fca look the thread up first (/chat/user_info/).
      params.isGroup === true,
    );
  },
  react(id, { messageId, reaction }) {
    requireApi().setMessageReaction(reaction, messageId, settleOnce(id, () => null), true);
  },
  unsend(id, { messageId }) {
    requireApi().unsendMessage(messageId, settleOnce(id, () => null));
  },
  mark_read(id, { thread }) {
    // markAsRead never calls back on success; its promise resolves with the error, or null.
    const settle = settleOnce(id, () => null);
    requireApi().markAsRead(thread, true, settle).then(
      (error: unknown) => settle(error ?? null),
      (error: unknown) => settle(error ?? "markAsRead failed"),
    );
  },
  typing(id, { thread, typing, isGroup: group }) {
    const settle = settleOnce(id, () => null);
    const isGroup = group === true; // a boolean, or fca looks the thread up (/chat/user_info/)
    const ender = typingEnders.get(thread);
    typingEnders.delete(thread);
    if (typing) {
      const end = requireApi().sendTypingIndicator(thread, settle, isGroup);
      if (typeof end === "function") typingEnders.set(thread, end);
    } else if (ender !== undefined) {
      ender(settle);
    } else {
      // Nothing to end in this Worker: start and end at once, which clears the indicator.
      const end = requireApi().sendTypingIndicator(thread, () => undefined, isGroup);
      if (typeof end === "function") end(settle);
      else settle(null);
    }
  },
  get_user_info(id, { users }) {
    requireApi().getUserInfo(users, settleOnce(id));
  },
  get_friends(id) {
    requireApi().getFriendsList(settleOnce(id));
  },
  get_thread_list(id, { limit }) {
    // The inbox, then the pending message requests (a folder of their own on Facebook). The
    // requests are a bonus: when their folder cannot be read, the inbox still answers.
    const settle = settleOnce(id);
    const fca = requireApi();
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
  get_thread_info(id, { thread }) {
    requireApi().getThreadInfo(thread, settleOnce(id));
  },
  get_history(id, { thread, count, before }) {
    requireApi().getThreadHistory(thread, count, before, settleOnce(id));
  },
  search_users(id, { query }) {
    requireApi().getUserID(query, settleOnce(id));
  },
  create_group(id, { users, title }) {
    requireApi().createNewGroup(users, title, settleOnce(id));
  },
  add_to_group(id, { thread, user }) {
    requireApi().addUserToGroup(user, thread, settleOnce(id, () => null));
  },
  remove_from_group(id, { thread, user }) {
    requireApi().removeUserFromGroup(user, thread, settleOnce(id, () => null));
  },
  rename_group(id, { thread, name }) {
    requireApi().setTitle(name, thread, settleOnce(id, () => null));
  },
  handle_message_request(id, { threads, accept }) {
    requireApi().handleMessageRequest(threads, accept, settleOnce(id, () => null));
  },
  export_cookies(id) {
    respondOk(id, exportCookies());
  },
  refresh_tokens(id) {
    requireApi();
    hooks.refresh(ctx).then(
      (outcome) => respondOk(id, outcome),
      (error: unknown) => respondError(id, error),
    );
  },
  test_crash(id) {
    if (!testMode) return respondError(id, "Test operations are disabled");
    respondOk(id, null);
    containErrors = false;
    setTimeout(() => {
      throw new Error("Deliberate crash of the fca Worker (test)");
    }, 0);
  },
  test_uncaught(id) {
    if (!testMode) return respondError(id, "Test operations are disabled");
    setTimeout(() => {
      throw new Error("Deliberate uncaught error in the fca Worker (test)");
    }, 0);
    Promise.reject(new Error("Deliberate unhandled rejection in the fca Worker (test)"));
    respondOk(id, null);
  },
  test_hang(id, { ms }) {
    if (!testMode) return respondError(id, "Test operations are disabled");
    const until = Date.now() + ms;
    while (Date.now() < until) {
      // Busy: this Worker answers nothing meanwhile.
    }
    respondOk(id, null);
  },
};

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  if (request?.kind !== "request") return;
  const handler = handlers[request.op] as (id: number, params: unknown) => void;
  if (typeof handler !== "function") return respondError(request.id, "Unknown operation");
  try {
    handler(request.id, request.params);
  } catch (error) {
    respondError(request.id, error);
  }
};
