/**
 * Facebook's answers that mean "this account cannot go on as it is": a checkpoint (with the page
 * the user must open), a suspended or disabled account, or a session whose tokens were refused.
 *
 * fca-unofficial 1.3.10 turns most of these into misleading failures: a checkpoint page after a
 * cookie login "succeeds" and then every call breaks, a redirect on a POST becomes "status code
 * 302", and 1357004 ("Sorry, something went wrong", what a stale `fb_dtsg` gets) crashes the
 * GraphQL parsers. The fca Worker reads every page and answer fca receives with these pure
 * functions and fails the call with a {@link FacebookProblem} instead, which the error mapping
 * turns into `checkpoint` (with its URL) or `not_logged_in`.
 *
 * What marks a suspension is public knowledge, not verified here (Facebook is unreachable): the
 * `/checkpoint/disabled` path and the page's own words. A checkpoint whose page says neither is
 * reported as a plain checkpoint, never guessed to be a suspension.
 *
 * @module
 */

/** Facebook's error numbers that mean the session's tokens or login are no longer accepted. */
export const SESSION_REFUSED_ERRORS: ReadonlySet<number> = new Set([1357001, 1357004]);

/** A checkpoint, shaped like fca's own error objects (`error`, `errorSummary`). */
export interface CheckpointProblem {
  error: "checkpoint";
  errorSummary: string;
  /** The page the user must open in a browser. */
  url: string;
  /** The page says the account is suspended or disabled (no login can pass it). */
  suspended: boolean;
}

/** A problem with the account: a checkpoint, or a refused session (an error number). */
export type FacebookProblem = CheckpointProblem | { error: number; errorSummary: string };

const CHECKPOINT_PATH = /^\/(?:x\/)?checkpoint(?:\/|$)/;
const DISABLED_PATH = /^\/(?:checkpoint\/disabled|disabled)(?:\/|$)/;
const SUSPENDED_WORDS =
  /We suspended your account|Your account has been (?:suspended|disabled)|account (?:is|was) disabled/i;
/** fca's own marker of a checkpoint page (index.js buildAPI warns on it and goes on). */
const BLOCK_MARKER = /\/checkpoint\/block\/\?next[^"'\s<>]*/;

/** A checkpoint named by a URL (a redirect target, a page's address); undefined otherwise. */
export function problemFromUrl(url: string, page?: string): CheckpointProblem | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url, "https://www.facebook.com/");
  } catch {
    return undefined;
  }
  if (!/(^|\.)facebook\.com$/i.test(parsed.hostname)) return undefined;
  const path = parsed.pathname;
  const disabled = DISABLED_PATH.test(path);
  if (!disabled && !CHECKPOINT_PATH.test(path)) return undefined;
  return checkpoint(parsed.href, disabled || (page !== undefined && SUSPENDED_WORDS.test(page)));
}

/**
 * A checkpoint shown by a page fca loaded (`url` is where the request ended after redirects):
 * by its address, or by fca's old in-page marker. Undefined for an ordinary page.
 */
export function problemFromPage(
  url: string | undefined,
  html: string,
): CheckpointProblem | undefined {
  const byUrl = url === undefined ? undefined : problemFromUrl(url, html);
  if (byUrl !== undefined) return byUrl;
  const marker = BLOCK_MARKER.exec(html)?.[0];
  if (marker === undefined) return undefined;
  return checkpoint(`https://www.facebook.com${marker}`, SUSPENDED_WORDS.test(html));
}

/**
 * A problem told by an API answer: a redirect (status 3xx, or the JSON `redirect` field) to a
 * checkpoint, or one of {@link SESSION_REFUSED_ERRORS}. Undefined for anything else, including
 * answers that are not JSON (fca reports those itself).
 */
export function problemFromAnswer(
  answer: { statusCode?: number; location?: string; body?: string },
): FacebookProblem | undefined {
  const status = answer.statusCode ?? 200;
  if (status >= 300 && status < 400 && answer.location !== undefined) {
    return problemFromUrl(answer.location);
  }
  const body = answer.body ?? "";
  // Cheap tests first: most answers are large and carry neither.
  if (!body.includes('"error":1357') && !body.includes('"redirect"')) return undefined;
  const json = facebookJson(body);
  if (json === undefined) return undefined;
  if (typeof json.error === "number" && SESSION_REFUSED_ERRORS.has(json.error)) {
    const summary = typeof json.errorSummary === "string" ? json.errorSummary : "Not logged in";
    return { error: json.error, errorSummary: summary };
  }
  return typeof json.redirect === "string" ? problemFromUrl(json.redirect) : undefined;
}

function checkpoint(url: string, suspended: boolean): CheckpointProblem {
  return {
    error: "checkpoint",
    errorSummary: suspended
      ? "Facebook suspended or disabled the account (checkpoint)"
      : "Facebook wants the account confirmed in a browser (checkpoint)",
    url,
    suspended,
  };
}

/** One JSON object after Facebook's `for (;;);` guard, or undefined. */
function facebookJson(body: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(body.replace(/^\s*for\s*\(\s*;\s*;\s*\)\s*;\s*/, ""));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
