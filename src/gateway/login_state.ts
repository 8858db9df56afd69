/**
 * Where a user's Messenger login stands, as the gateway shows it to them.
 *
 * @module
 */

/** A user session's login state. */
export type LoginState =
  | { status: "logging_in" }
  | { status: "connected"; name: string }
  /** Temporarily disconnected; retrying by itself. */
  | { status: "reconnecting"; reason: string }
  /** The last login failed for a reason that may pass (network); retried later. */
  | { status: "failed"; reason: string }
  /** Messenger refused the saved session: the user must log in again (re-login command). */
  | { status: "needs_reauth"; reason: string }
  | { status: "logged_out" };

/** The status names, for statistics. */
export type LoginStatus = LoginState["status"];

/** The presence text users see for a state. */
export function describeLoginState(state: LoginState): string {
  switch (state.status) {
    case "logging_in":
      return "Logging in…";
    case "connected":
      return `Connected as ${state.name}`;
    case "reconnecting":
      return `Reconnecting: ${state.reason}`;
    case "failed":
      return `Could not log in: ${state.reason}`;
    case "needs_reauth":
      return `Needs re-authentication: ${state.reason}`;
    case "logged_out":
      return "Logged out";
  }
}
