/**
 * fca-unofficial's many error shapes → one {@link MessengerError} code.
 *
 * fca fails with plain objects (`{error: "Not logged in."}`), Facebook payloads
 * (`{error: 1357001, errorSummary}`), bluebird OperationalErrors with a Node `code`, strings and
 * Errors. The Worker first reduces any of them to a {@link WireError} (dropping response bodies,
 * which can hold cookies or tokens), and the main side maps that to a code here.
 *
 * @module
 */

import { MessengerError, type MessengerErrorCode, type MessengerErrorDetail } from "../errors.ts";
import type { WireError } from "./protocol.ts";

const NETWORK_CODES = new Set([
  "ENOTFOUND",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "ECONNRESET",
  "EAI_AGAIN",
  "ESOCKETTIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "ECONNABORTED",
]);

/** Facebook error numbers that mean "slow down". */
const RATE_LIMIT_NUMBERS = new Set([1390008, 368, 1545010]);
/**
 * Facebook error numbers that refuse what was asked: not a member of the conversation and a 1:1
 * chat has no name (setTitle), not an admin and not a group (changeAdminStatus).
 */
const REFUSAL_NUMBERS = new Set([1545012, 1545003, 1976004, 1357031]);
/** Facebook error numbers that mean the session is gone. */
const NOT_LOGGED_IN_NUMBERS = new Set([1357001, 1357004]);

/**
 * Reduces anything fca may fail with to a {@link WireError}. Runs inside the Worker, before
 * `postMessage`, so that no response body ever leaves it.
 */
export function toWireError(raw: unknown): WireError {
  if (typeof raw === "string") return { error: truncate(raw) };
  if (typeof raw !== "object" || raw === null) return { error: truncate(String(raw)) };
  const record = raw as Record<string, unknown>;
  const wire: WireError = {};
  if (typeof record.error === "string") wire.error = truncate(record.error);
  else if (typeof record.error === "number") wire.error = record.error;
  const description = record.errordesc ?? record.errorDescription ?? record.errorSummary;
  if (typeof description === "string") wire.errorDescription = truncate(description);
  if (typeof record.code === "string") wire.code = record.code;
  else if (typeof record.code === "number") wire.error ??= record.code;
  if (typeof record.name === "string") wire.name = record.name;
  if (typeof record.message === "string") wire.message = truncate(record.message);
  if (typeof record.statusCode === "number") wire.statusCode = record.statusCode;
  // A checkpoint (facebook_problems.ts) names the page the user must open.
  if (typeof record.url === "string" && /^https:\/\//.test(record.url)) wire.url = record.url;
  if (record.suspended === true) wire.suspended = true;
  // bluebird wraps Node errors: the code sits on `cause`.
  const cause = record.cause;
  if (wire.code === undefined && typeof cause === "object" && cause !== null) {
    const causeCode = (cause as Record<string, unknown>).code;
    if (typeof causeCode === "string") wire.code = causeCode;
  }
  return wire;
}

/** The code the gateway acts on for an fca failure. */
export function errorCodeOf(wire: WireError): MessengerErrorCode {
  const text = [wire.error, wire.errorDescription, wire.message].filter((part) =>
    typeof part === "string"
  ).join(" ");
  if (wire.code !== undefined && NETWORK_CODES.has(wire.code)) return "network";
  if (/\b(ENOTFOUND|ECONNREFUSED|ETIMEDOUT|ECONNRESET|EAI_AGAIN)\b/.test(text)) return "network";
  if (typeof wire.error === "number") {
    if (NOT_LOGGED_IN_NUMBERS.has(wire.error)) return "not_logged_in";
    if (RATE_LIMIT_NUMBERS.has(wire.error)) return "rate_limited";
    if (REFUSAL_NUMBERS.has(wire.error)) return "bad_request";
  }
  if (/Invalid 2FA code/i.test(text)) return "two_factor_failed";
  if (/Not logged in/i.test(text)) return "not_logged_in";
  if (/Error retrieving userID|Wrong username\/password/i.test(text)) return "auth_failed";
  if (/checkpoint|might have blocked|login approvals|review recent login/i.test(text)) {
    return "checkpoint";
  }
  if (/rate limit|too many requests|temporarily blocked|1390008/i.test(text)) {
    return "rate_limited";
  }
  if (/Request retry failed|parseAndCheckLogin got status code|socket hang up/i.test(text)) {
    return "network";
  }
  // setTitle and changeAdminStatus turn those refusals into these sentences.
  if (
    /Not member of chat|Cannot set title of single-user chat|Cannot alter admin status: (you are not an admin|this thread is not a group chat)/i
      .test(text)
  ) return "bad_request";
  if (/is not a valid emoji|must be|should be|is not defined|Invalid url/i.test(text)) {
    return "bad_request";
  }
  return "internal";
}

const SENTENCE: Record<MessengerErrorCode, string> = {
  auth_failed: "Facebook did not accept the credentials",
  two_factor_failed: "The two-factor code was refused",
  checkpoint: "Facebook wants the account confirmed in a browser (checkpoint)",
  not_logged_in: "The Messenger session is no longer logged in",
  rate_limited: "Facebook refused: too many requests",
  network: "Facebook could not be reached",
  timeout: "Facebook did not answer in time",
  unsupported: "Not supported by this Messenger connection",
  bad_request: "Facebook refused the request",
  not_found: "Not found on Messenger",
  disconnected: "The Messenger session was disconnected",
  internal: "The Messenger library failed",
};

/**
 * Turns a {@link WireError} into a {@link MessengerError}. The message names the operation and
 * fca's own short error text, passed through `redact` (the session's own secrets, which fca may
 * quote), never a response body.
 */
export function messengerErrorFromWire(
  operation: string,
  wire: WireError,
  redact: (text: string) => string = (text) => text,
): MessengerError {
  const code = errorCodeOf(wire);
  const detail = [wire.code, wire.error, wire.errorDescription ?? wire.message]
    .filter((part) => part !== undefined && part !== "")
    .map(String)
    .join(": ");
  const message = `${SENTENCE[code]}: ${operation}${detail === "" ? "" : ` (${detail})`}`;
  if (code !== "checkpoint") return new MessengerError(code, redact(message));
  const checkpoint: MessengerErrorDetail = {};
  if (wire.url !== undefined) checkpoint.url = wire.url;
  if (wire.suspended === true) checkpoint.suspended = true;
  return new MessengerError(code, redact(message), { detail: checkpoint });
}

/** Maps any raw fca failure (main-side convenience: reduce, then map). */
export function messengerErrorFromFca(
  operation: string,
  raw: unknown,
  redact?: (text: string) => string,
): MessengerError {
  return messengerErrorFromWire(operation, toWireError(raw), redact);
}

function truncate(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
