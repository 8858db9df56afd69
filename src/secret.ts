/**
 * Secrets as a type: a password, the component secret, a cookie jar travel wrapped in
 * {@link Secret}, which shows `***` however it is printed (string, JSON, `Deno.inspect`, a log
 * property), so a log call, an error message or an echoed form cannot leak it by accident. Only
 * the code that needs the value (a login, a handshake, the store) calls {@link Secret.reveal}.
 *
 * There is deliberately no global list of secret strings replaced in every log line: such a list
 * holds whatever users typed as passwords, and would censor those strings wherever they appear
 * (a user choosing a JID as password hid that JID from the admin's log). Free text that may
 * quote a secret — what the fca library says about a login — is redacted where it is produced,
 * with the secrets of that one session ({@link redactValues}).
 *
 * @module
 */

const MASK = "***";

/** A value that is never shown; {@link reveal} gives it to the code that needs it. */
export class Secret<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  /** The value itself: only for the code that uses it (never for messages or logs). */
  reveal(): T {
    return this.#value;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [Symbol.for("Deno.customInspect")](): string {
    return MASK;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return MASK;
  }
}

/** Values shorter than this are not redacted from text: they would garble ordinary words. */
export const MIN_REDACTED_LENGTH = 4;

/**
 * `text` with every occurrence of `values` replaced by `***` (longer values first, so one
 * containing another goes whole); for free text from the one place that knows these values.
 */
export function redactValues(text: string, values: Iterable<string>): string {
  const candidates = [...new Set(values)]
    .filter((value) => value.length >= MIN_REDACTED_LENGTH)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const value of candidates) {
    if (out.includes(value)) out = out.split(value).join(MASK);
    // Also the form the value takes inside JSON (quotes and backslashes escaped).
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value && out.includes(escaped)) out = out.split(escaped).join(MASK);
  }
  return out;
}
