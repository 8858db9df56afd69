/**
 * Test-only: sends fca's Facebook traffic to a loopback fake instead of the real hosts.
 *
 * fca talks HTTPS through the `request` package, which calls `https.request` of Node's `https`
 * module for every `https://…facebook.com/…` URL. Inside the Worker (one account, nothing else)
 * we wrap `https.request`: for facebook.com / messenger.com hosts the request goes over plain
 * HTTP to the override origin, keeping the original `Host` header and path. Everything above the
 * socket, cookie jar included, still sees `https://www.facebook.com`, so fca's real code runs
 * unchanged. The MQTT websocket needs no interception: fca scrapes its endpoint from the home
 * page, which the fake serves with a `ws://` loopback URL.
 *
 * Installed only when the Worker's login request carries an override, which only
 * {@link FcaNetwork}'s test options can set: the configuration file cannot reach it.
 *
 * @module
 */

import http from "node:http";
import https from "node:https";
import type { EndpointOverride } from "./protocol.ts";

const FACEBOOK_HOST = /(^|\.)(facebook\.com|messenger\.com|fbcdn\.net)$/i;

let installed: string | undefined;

/** Routes this isolate's HTTPS requests for Facebook hosts to `override.origin` (http only). */
export function installEndpointOverride(override: EndpointOverride): void {
  const target = new URL(override.origin);
  if (target.protocol !== "http:") {
    throw new Error(`Endpoint override must be an http:// origin: ${override.origin}`);
  }
  if (installed !== undefined) {
    if (installed === target.origin) return;
    throw new Error("Endpoint override already installed with another origin");
  }
  installed = target.origin;
  const original = https.request;
  const port = Number(target.port === "" ? 80 : target.port);
  // deno-lint-ignore no-explicit-any
  const rerouted = function (this: unknown, options: any, ...rest: any[]) {
    const host = typeof options === "object" && options !== null && !(options instanceof URL)
      ? String(options.hostname ?? options.host ?? "")
      : "";
    if (!FACEBOOK_HOST.test(host)) {
      // deno-lint-ignore no-explicit-any
      return (original as any).call(https, options, ...rest);
    }
    const headers = { ...(options.headers ?? {}) };
    if (!Object.keys(headers).some((name) => name.toLowerCase() === "host")) headers.Host = host;
    const plain = {
      ...options,
      protocol: "http:",
      hostname: target.hostname,
      host: target.hostname,
      port,
      agent: undefined,
      headers,
    };
    // deno-lint-ignore no-explicit-any
    return (http.request as any)(plain, ...rest);
  };
  // deno-lint-ignore no-explicit-any
  (https as any).request = rerouted;
}
