/**
 * What a user gives the gateway to log in to Messenger, and the cookies we keep afterwards.
 *
 * Cookie login is the path that works with today's Facebook (see the README); email/password is
 * offered too. Browser cookie exports name the field `name` where fca wants `key`: parsing here
 * accepts both, and a plain `c_user=…; xs=…` header string.
 *
 * @module
 */

import type { Secret } from "../secret.ts";
import { MessengerError } from "./errors.ts";

/** One session cookie, in the shape fca-unofficial's appState uses. */
export interface Cookie {
  key: string;
  value: string;
  domain: string;
  path?: string;
  expires?: string;
  secure?: boolean;
  httpOnly?: boolean;
}

/** How to log in. */
export type Credentials =
  | { kind: "cookies"; cookies: Cookie[] }
  | { kind: "password"; email: string; password: Secret };

const REQUIRED_COOKIES = ["c_user", "xs"];

/**
 * The cookie values that must never be logged. `c_user` is left out: it is the account's public
 * user id, which logs name on purpose (hiding it would turn every line about the user into `***`).
 */
export function secretCookieValues(cookies: readonly { key: string; value: string }[]): string[] {
  return cookies.filter((cookie) => cookie.key !== "c_user").map((cookie) => cookie.value);
}

/**
 * Parses cookies pasted by a user: an appState / browser-export JSON array (`key` or `name`), or
 * a `name=value; name=value` string. Throws a `bad_request` MessengerError whose message names
 * what is wrong but never echoes a cookie value.
 */
export function parseCookies(input: string): Cookie[] {
  const text = input.trim();
  if (text === "") throw new MessengerError("bad_request", "No cookies given");
  let cookies: Cookie[];
  if (text.startsWith("[") || text.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new MessengerError("bad_request", "Cookies look like JSON but do not parse");
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { cookies?: unknown }).cookies;
    if (!Array.isArray(list)) {
      throw new MessengerError("bad_request", "Cookie JSON must be an array of cookies");
    }
    cookies = list.map((entry, index) => cookieFromObject(entry, index));
  } else {
    cookies = text.split(";").map((part) => part.trim()).filter((part) => part !== "").map(
      (part, index) => {
        const eq = part.indexOf("=");
        if (eq <= 0) {
          throw new MessengerError(
            "bad_request",
            `Cookie ${index + 1} is not of the form name=value`,
          );
        }
        return {
          key: part.slice(0, eq).trim(),
          value: part.slice(eq + 1).trim(),
          domain: "facebook.com",
          path: "/",
        };
      },
    );
  }
  const names = new Set(cookies.map((cookie) => cookie.key));
  const missing = REQUIRED_COOKIES.filter((name) => !names.has(name));
  if (missing.length > 0) {
    throw new MessengerError(
      "bad_request",
      `Cookies are missing ${missing.join(" and ")}: export them while logged in to facebook.com`,
    );
  }
  return cookies;
}

function cookieFromObject(entry: unknown, index: number): Cookie {
  if (typeof entry !== "object" || entry === null) {
    throw new MessengerError("bad_request", `Cookie ${index + 1} is not an object`);
  }
  const record = entry as Record<string, unknown>;
  const key = typeof record.key === "string" ? record.key : record.name;
  if (typeof key !== "string" || key === "") {
    throw new MessengerError("bad_request", `Cookie ${index + 1} has no key or name`);
  }
  if (typeof record.value !== "string") {
    throw new MessengerError("bad_request", `Cookie ${key} has no string value`);
  }
  const domain = typeof record.domain === "string" && record.domain !== ""
    ? record.domain.replace(/^\./, "")
    : "facebook.com";
  const cookie: Cookie = { key, value: record.value, domain, path: "/" };
  if (typeof record.path === "string") cookie.path = record.path;
  if (typeof record.expires === "string") cookie.expires = record.expires;
  else if (typeof record.expirationDate === "number") {
    cookie.expires = new Date(record.expirationDate * 1000).toUTCString();
  }
  if (typeof record.secure === "boolean") cookie.secure = record.secure;
  if (typeof record.httpOnly === "boolean") cookie.httpOnly = record.httpOnly;
  return cookie;
}
