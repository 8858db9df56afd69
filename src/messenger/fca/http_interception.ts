/**
 * The fca Worker's hold on fca-unofficial's HTTP(S) traffic to Facebook, below fca's own code.
 *
 * fca talks HTTPS through the `request` package (`require("request").defaults(…)` in utils.js),
 * which calls `https.request` of Node's `https` module for every `https://…facebook.com/…` URL.
 *
 * - **Headers current clients send**, per account ({@link requestWithHeaders}): each account's
 *   copy of fca (fca_loader.ts) gets its own `request`, which adds `x-asbd-id` to every Facebook
 *   request and `x-fb-lsd` once that account's LSD token is known (fca 1.3.10 sends neither).
 *   The MQTT websocket does not go through `request`: browsers do not send these there. Once the
 *   account has left the Worker, its `request` refuses to send anything; and a request that
 *   names no cookie jar uses the account's own, never request's global one.
 * - **Test-only rerouting** ({@link installEndpointOverride}), once per Worker: `https.request`
 *   for facebook.com / messenger.com / fbcdn.net hosts goes over plain HTTP to the override
 *   origin instead, keeping the original `Host` header and path. Everything above the socket,
 *   cookie jar included, still sees `https://www.facebook.com`, so fca's real code runs
 *   unchanged. The MQTT websocket needs no rerouting: its endpoint comes from the home page,
 *   which the fake serves with a `ws://` loopback URL. Only {@link FcaNetwork}'s test options can
 *   set an override; the configuration file cannot reach it.
 *
 * @module
 */

import http from "node:http";
import https from "node:https";
import type { EndpointOverride } from "./protocol.ts";

const FACEBOOK_HOST = /(^|\.)(facebook\.com|messenger\.com|fbcdn\.net)$/i;

// deno-lint-ignore no-explicit-any
type Loose = any;

/** One account's hold on its requests. */
export interface AccountRequests {
  /** Extra headers for the account's next Facebook request (read at each request). */
  headers(): Record<string, string>;
  /** False once the account left the Worker: its requests then fail without being sent. */
  open(): boolean;
}

/**
 * The `request` module as one account's copy of fca sees it: the shared module, whose
 * `defaults(…)` adds the account's headers (see the module documentation).
 */
export function requestWithHeaders(shared: Loose, account: AccountRequests): Loose {
  // fca's `defaults({ jar: true })` means request's one global jar when a call names none: the
  // account's own instead, so that no cookie can pass between accounts of a Worker.
  const ownJar = shared.jar();
  const substitute = Object.create(shared);
  substitute.defaults = (options: unknown, requester?: Loose) =>
    shared.defaults(options, (target: Loose, callback: Loose) => {
      if (target.jar === true) target.jar = ownJar;
      if (!account.open()) {
        const error = new Error("The account has left this fca Worker");
        queueMicrotask(() => callback?.(error));
        return undefined;
      }
      if (FACEBOOK_HOST.test(hostOf(target.uri ?? target.url))) {
        const headers: Record<string, unknown> = { ...(target.headers ?? {}) };
        const names = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
        for (const [name, value] of Object.entries(account.headers())) {
          if (!names.has(name.toLowerCase())) headers[name] = value;
        }
        target.headers = headers;
      }
      return (requester ?? shared)(target, callback);
    });
  return substitute;
}

function hostOf(url: unknown): string {
  if (url instanceof URL) return url.hostname;
  if (typeof url === "object" && url !== null) {
    return String((url as { hostname?: unknown }).hostname ?? "");
  }
  try {
    return new URL(String(url ?? "")).hostname;
  } catch {
    return "";
  }
}

let installed: EndpointOverride | undefined;

/**
 * Test-only: wraps `https.request` of this isolate (once; a second call may only repeat the same
 * override). The override origin must be `http://`.
 */
export function installEndpointOverride(override: EndpointOverride): void {
  const target = new URL(override.origin);
  if (target.protocol !== "http:") {
    throw new Error(`Endpoint override must be an http:// origin: ${override.origin}`);
  }
  if (installed !== undefined) {
    if (installed.origin === override.origin) return;
    throw new Error("The HTTP interception is already installed with another endpoint override");
  }
  installed = override;
  const original = https.request;
  const intercepted = function (this: unknown, options: Loose, ...rest: Loose[]) {
    const host = typeof options === "object" && options !== null && !(options instanceof URL)
      ? String(options.hostname ?? options.host ?? "")
      : "";
    if (!FACEBOOK_HOST.test(host)) return (original as Loose).call(https, options, ...rest);
    const headers: Record<string, unknown> = { ...(options.headers ?? {}) };
    const names = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
    if (!names.has("host")) headers.Host = host;
    const plain = {
      ...options,
      protocol: "http:",
      hostname: target.hostname,
      host: target.hostname,
      port: Number(target.port === "" ? 80 : target.port),
      agent: undefined,
      headers,
    };
    return (http.request as Loose)(plain, ...rest);
  };
  (https as Loose).request = intercepted;
}
