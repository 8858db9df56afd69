/**
 * The small explicit connection-state model of a Messenger session (after mautrix bridgev2).
 *
 * The gateway shows it to the user as the gateway's presence and decides from it whether to
 * retry, so the reason is machine-readable and `message` is a sentence safe to show.
 *
 * @module
 */

/** Why a session is not (or no longer) connected. */
export type ConnectionReason =
  /** Credentials were refused. */
  | "auth_failed"
  /** Facebook put the account behind a checkpoint (the state's `url` names it when known). */
  | "checkpoint"
  /** Facebook suspended or disabled the account (a checkpoint no login gets past). */
  | "account_suspended"
  /** The saved session expired and one re-login from cookies did not help. */
  | "session_expired"
  /** The network or Facebook's edge went away. */
  | "network"
  /** The listener went silent and is being restarted. */
  | "stalled"
  /** The user (or admin) ended the session. */
  | "user_logout"
  /** Something the adapter could not classify. */
  | "unknown";

/** Where a session is in its life. */
export type ConnectionState =
  | { status: "connecting" }
  | { status: "connected" }
  /** Temporarily down; the adapter retries by itself. */
  | {
    status: "transient_disconnect";
    reason: ConnectionReason;
    message: string;
    retryInMs?: number;
  }
  /**
   * Down until the user re-authenticates; the adapter will not retry. For a checkpoint, `url` is
   * the page the user must open in a browser first (when Facebook named it).
   */
  | { status: "bad_credentials"; reason: ConnectionReason; message: string; url?: string }
  /** Ended on purpose. */
  | { status: "logged_out"; reason: ConnectionReason; message: string };

/** The status names, for statistics and logs. */
export type ConnectionStatus = ConnectionState["status"];

/** True when the session needs the user to log in again before anything works. */
export function needsReauthentication(state: ConnectionState): boolean {
  return state.status === "bad_credentials";
}
