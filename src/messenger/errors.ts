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
  /**
   * Facebook wants the user to confirm something in a browser (a checkpoint); `detail.url` names
   * the page when known, `detail.suspended` marks a suspended or disabled account.
   */
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

/** What the gateway may show the user about a failure, beyond its code. */
export interface MessengerErrorDetail {
  /**
   * For `checkpoint`: the page the user must open in a browser to get the account back. Meant for
   * the user (it is their own account's page), so it is kept out of `message` and logs.
   */
  url?: string;
  /**
   * For `checkpoint`: Facebook said the account is suspended or disabled, which no login gets
   * past (set only when Facebook's answer says so; a plain checkpoint leaves it unset).
   */
  suspended?: boolean;
}

/** A failed Messenger operation. `message` is safe to log but not meant for end users. */
export class MessengerError extends Error {
  override name = "MessengerError";
  /** What the user may be shown beyond the code (empty for most failures). */
  readonly detail: MessengerErrorDetail;
  constructor(
    readonly code: MessengerErrorCode,
    message: string,
    options?: { cause?: unknown; detail?: MessengerErrorDetail },
  ) {
    super(message, options);
    this.detail = options?.detail ?? {};
  }
}

/** True when `error` is a {@link MessengerError}, optionally with one of the given codes. */
export function isMessengerError(
  error: unknown,
  ...codes: MessengerErrorCode[]
): error is MessengerError {
  return error instanceof MessengerError && (codes.length === 0 || codes.includes(error.code));
}
