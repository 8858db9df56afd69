/**
 * The typed messages between {@link FcaSession} (main side) and the fca Worker that hosts its
 * account (one or several accounts per Worker, each with its own copy of fca).
 *
 * Everything here crosses `postMessage`, so it is plain data: no functions, no class instances.
 * Raw fca objects (events, query results) travel as `unknown` JSON and are narrowed on the main
 * side by the conversion modules; the Worker stays thin glue. Requests and notices name the
 * account they are about by a key the main side chose ({@link AccountKey}); responses are paired
 * with their request by id alone.
 *
 * @module
 */

import type { Cookie } from "../credentials.ts";
import type { ConversationKind } from "../events.ts";

/**
 * One cookie as fca's appState wants it (`key`, not `name`): the same shape as the interface's
 * {@link Cookie}, which was modelled on it.
 */
export type WireCookie = Cookie;

/** Names one account within its Worker (chosen by the main side, unique per Worker). */
export type AccountKey = string;

/** How the Worker logs in. */
export type WireCredentials =
  | { kind: "cookies"; appState: WireCookie[] }
  | { kind: "password"; email: string; password: string };

/** The fca options the adapter controls (the rest are fixed inside the Worker). */
export interface WireLoginOptions {
  selfListen: boolean;
  /** The browser fca claims to be, on every request and the MQTT websocket. */
  userAgent: string;
}

/**
 * Test-only: send fca's HTTP(S) traffic for facebook.com / messenger.com hosts to a loopback
 * origin (e.g. `http://127.0.0.1:4321`). Only {@link FcaNetwork}'s test options can set it.
 */
export interface EndpointOverride {
  origin: string;
}

/** A mention as fca's sendMessage wants it. */
export interface WireMention {
  tag: string;
  id: string;
  fromIndex: number;
}

/** A file to upload, already in memory. */
export interface WireAttachment {
  filename: string;
  contentType: string;
  data: Uint8Array;
}

/** What a successful login step yields. */
export type WireLoginOutcome =
  | { kind: "logged_in"; userId: string; cookies: WireCookie[] }
  | { kind: "two_factor_required" };

/** Every operation the Worker offers: its parameters and its result. */
export interface WorkerOps {
  login: {
    params: {
      credentials: WireCredentials;
      options: WireLoginOptions;
      endpointOverride?: EndpointOverride;
    };
    result: WireLoginOutcome;
  };
  submit_code: { params: { code: string }; result: WireLoginOutcome };
  /** (Re)starts the MQTT listener, forcibly ending the previous connection. */
  listen_start: { params: Record<never, never>; result: null };
  listen_stop: { params: Record<never, never>; result: null };
  send_message: {
    params: {
      thread: string;
      isGroup: boolean;
      text?: string;
      replyTo?: string;
      mentions?: WireMention[];
      attachments?: WireAttachment[];
    };
    result: unknown;
  };
  react: { params: { messageId: string; reaction: string }; result: null };
  unsend: { params: { messageId: string }; result: null };
  mark_read: { params: { thread: string }; result: null };
  typing: { params: { thread: string; typing: boolean; isGroup: boolean }; result: null };
  get_user_info: { params: { users: string[] }; result: unknown };
  get_friends: { params: Record<never, never>; result: unknown };
  get_thread_list: { params: { limit: number }; result: unknown };
  get_thread_info: { params: { thread: string }; result: unknown };
  get_history: { params: { thread: string; count: number; before?: number }; result: unknown };
  search_users: { params: { query: string }; result: unknown };
  create_group: { params: { users: string[]; title: string }; result: unknown };
  add_to_group: { params: { thread: string; user: string }; result: null };
  remove_from_group: { params: { thread: string; user: string }; result: null };
  rename_group: { params: { thread: string; name: string }; result: null };
  set_group_admin: { params: { thread: string; user: string; admin: boolean }; result: null };
  handle_message_request: { params: { threads: string[]; accept: boolean }; result: null };
  export_cookies: { params: Record<never, never>; result: WireCookie[] };
  /**
   * The account leaves the Worker: its listener is ended, fca's timers for it are cleared and
   * it is forgotten (the Worker goes on for its other accounts). Unknown accounts are fine.
   */
  leave: { params: Record<never, never>; result: null };
  /**
   * Answered by the Worker itself at once: after a call timed out, tells a Worker that is only
   * waiting on Facebook from one whose loop is blocked (hung), which is then stopped.
   */
  ping: { params: Record<never, never>; result: null };
  /**
   * Loads the home page again for fresh request tokens (fb_dtsg, LSD). Fails `not_logged_in` when
   * Facebook logged the session out, `checkpoint` when the page is one. Says which tokens it
   * found, never their values.
   */
  refresh_tokens: { params: Record<never, never>; result: { fbDtsg: boolean; lsd: boolean } };
  /** Test-only (refused unless an endpoint override is active): kills the Worker for real. */
  test_crash: { params: Record<never, never>; result: null };
  /** Test-only (refused unless an endpoint override is active): throws and rejects, uncaught. */
  test_uncaught: { params: Record<never, never>; result: null };
  /** Test-only (refused unless an endpoint override is active): blocks the Worker's loop. */
  test_hang: { params: { ms: number }; result: null };
}

/** The name of a Worker operation. */
export type WorkerOp = keyof WorkerOps;

/** A request from the main side about one account; `id` pairs it with its response. */
export type WorkerRequest = {
  [K in WorkerOp]: {
    kind: "request";
    id: number;
    account: AccountKey;
    op: K;
    params: WorkerOps[K]["params"];
  };
}[WorkerOp];

/**
 * An fca error reduced to the fields the error mapping reads. Never holds response bodies or
 * cookies: the Worker drops everything else before posting.
 */
export interface WireError {
  /** fca's `error` field (a sentence such as "Not logged in.", or a numeric Facebook code). */
  error?: string | number;
  errorDescription?: string;
  /** A Node/bluebird error code such as `ENOTFOUND`. */
  code?: string;
  name?: string;
  message?: string;
  statusCode?: number;
  /** For a checkpoint: the page the user must open in a browser. */
  url?: string;
  /** For a checkpoint: Facebook says the account is suspended or disabled. */
  suspended?: boolean;
}

/** Why the Worker posted a log line. */
export type WireLogLevel = "debug" | "info" | "warning" | "error";

/** What the Worker tells about one account (or, for a log line without `account`, itself). */
export type AccountNotice =
  /**
   * A message/event delivered on fca's listener data channel, as JSON; for a message, its raw
   * delta as Facebook sent it (what fca dropped, such as mentions in the 2026 shapes).
   */
  | { kind: "listener_event"; event: unknown; delta?: unknown }
  /** Threads whose kind a raw delta or typing notification named exactly (delta_tap.ts). */
  | { kind: "thread_kinds"; kinds: [thread: string, kind: ConversationKind][] }
  /** Something on fca's listener error channel (`ready`, `stop_listen`, `parse_error`, errors). */
  | { kind: "listener_error"; error: unknown }
  /** The MQTT connection opened, closed, or received a packet (throttled). */
  | { kind: "mqtt"; what: "connected" | "closed" | "traffic" }
  | { kind: "log"; level: WireLogLevel; message: string };

/** A message from the Worker to the main side. */
export type WorkerNotice =
  | { kind: "response"; id: number; ok: true; value: unknown }
  | { kind: "response"; id: number; ok: false; error: WireError }
  | (AccountNotice & { account?: AccountKey });
