/**
 * The one error type the Messenger side throws, with a machine-readable code.
 *
 * The gateway turns codes into XMPP error conditions and sentences for the user; it never shows
 * `message` of a lower-level error (which may hold URLs, cookies or stack traces).
 *
 * @module
 */

/** Why a Messenger operation failed, as the gateway needs to know it. */
export type MessengerErrorCode =
  /** Wrong email/password or rejected cookies. */
  | "auth_failed"
  /** The two-factor code was wrong. */
  | "two_factor_failed"
  /** Facebook wants the user to confirm something in a browser (a checkpoint). */
  | "checkpoint"
  /** The session is no longer logged in; re-authentication is needed. */
  | "not_logged_in"
  /** Facebook refused because of too many requests. */
  | "rate_limited"
  /** Facebook could not be reached. */
  | "network"
  /** No answer in time. */
  | "timeout"
  /** This implementation cannot do that. */
  | "unsupported"
  /** The request itself was invalid (unknown thread, empty message…). */
  | "bad_request"
  /** The thing referred to (message, thread, user) does not exist. */
  | "not_found"
  /** The session was disconnected while the call was pending. */
  | "disconnected"
  /** Anything else; details are only logged. */
  | "internal";

/** A failed Messenger operation. `message` is safe to log but not meant for end users. */
export class MessengerError extends Error {
  override name = "MessengerError";
  constructor(
    readonly code: MessengerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `error` is a {@link MessengerError}, optionally with one of the given codes. */
export function isMessengerError(
  error: unknown,
  ...codes: MessengerErrorCode[]
): error is MessengerError {
  return error instanceof MessengerError && (codes.length === 0 || codes.includes(error.code));
}
