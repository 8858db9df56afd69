/**
 * The fca Worker's hold on fca's HTTP(S) traffic to Facebook, below fca's own code.
 *
 * fca talks HTTPS through the `request` package, which calls `https.request` of Node's `https`
 * module for every `https://…facebook.com/…` URL. Inside the Worker (one account, nothing else)
 * we wrap `https.request` once, for facebook.com / messenger.com / fbcdn.net hosts:
 *
 * - **Headers current clients send.** `x-asbd-id` on every request and `x-fb-lsd` once the LSD
 *   token is known (fca 1.3.10 sends neither). Websocket upgrades (the MQTT connection) are left
 *   alone: browsers do not send these there.
 * - **Test-only rerouting.** With an {@link EndpointOverride}, the request goes over plain HTTP to
 *   the override origin instead, keeping the original `Host` header and path. Everything above the
 *   socket, cookie jar included, still sees `https://www.facebook.com`, so fca's real code runs
 *   unchanged. The MQTT websocket needs no rerouting: its endpoint comes from the home page, which
 *   the fake serves with a `ws://` loopback URL. Only {@link FcaNetwork}'s test options can set an
 *   override; the configuration file cannot reach it.
 *
 * @module
 */

import http from "node:http";
import https from "node:https";
import type { EndpointOverride } from "./protocol.ts";

const FACEBOOK_HOST = /(^|\.)(facebook\.com|messenger\.com|fbcdn\.net)$/i;

/** What the interception adds and where it sends requests. */
export interface HttpInterception {
  /** Extra headers for the next Facebook request (read at each request). */
  headers(): Record<string, string>;
  /** Test-only: where requests really go. */
  override?: EndpointOverride;
}

let installed: HttpInterception | undefined;

/**
 * Wraps `https.request` of this isolate (once; a second call may only repeat the same override).
 * The override origin must be `http://`.
 */
export function installHttpInterception(interception: HttpInterception): void {
  const target = interception.override === undefined
    ? undefined
    : new URL(interception.override.origin);
  if (target !== undefined && target.protocol !== "http:") {
    throw new Error(
      `Endpoint override must be an http:// origin: ${interception.override?.origin}`,
    );
  }
  if (installed !== undefined) {
    if (installed.override?.origin === interception.override?.origin) return;
    throw new Error("The HTTP interception is already installed with another endpoint override");
  }
  installed = interception;
  const original = https.request;
  // deno-lint-ignore no-explicit-any
  const intercepted = function (this: unknown, options: any, ...rest: any[]) {
    const host = typeof options === "object" && options !== null && !(options instanceof URL)
      ? String(options.hostname ?? options.host ?? "")
      : "";
    if (!FACEBOOK_HOST.test(host)) {
      // deno-lint-ignore no-explicit-any
      return (original as any).call(https, options, ...rest);
    }
    const headers: Record<string, unknown> = { ...(options.headers ?? {}) };
    const names = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
    if (!names.has("upgrade")) {
      for (const [name, value] of Object.entries(interception.headers())) {
        if (!names.has(name.toLowerCase())) headers[name] = value;
      }
    }
    if (target === undefined) {
      // deno-lint-ignore no-explicit-any
      return (original as any).call(https, { ...options, headers }, ...rest);
    }
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
    // deno-lint-ignore no-explicit-any
    return (http.request as any)(plain, ...rest);
  };
  // deno-lint-ignore no-explicit-any
  (https as any).request = intercepted;
}
