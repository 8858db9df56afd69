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
  /**
   * The user must act before anything works: log in again (re-login command, or register with
   * fresh cookies), or first pass Facebook's security check at `url`, or contact Facebook about a
   * suspended account. `cause` says which (after mautrix's bridge states).
   */
  | { status: "needs_reauth"; reason: string; cause?: ReauthCause; url?: string }
  | { status: "logged_out" };

/** Why the user must act. */
export type ReauthCause =
  /** Credentials or cookies refused. */
  | "credentials"
  /** The saved session expired (and one re-login from cookies did not help). */
  | "session_expired"
  /** Facebook asks for a security check in a browser first. */
  | "checkpoint"
  /** Facebook suspended or disabled the account. */
  | "suspended";

/** The status names, for statistics. */
export type LoginStatus = LoginState["status"];

/**
 * What the user can do about a state that needs them (shown once in chat and by `info`), with the
 * checkpoint's page when Facebook named it. Never logged: the URL may hold a token.
 */
export function whatToDo(state: LoginState): string | undefined {
  if (state.status === "failed") return "I will keep trying by myself.";
  if (state.status !== "needs_reauth") return undefined;
  switch (state.cause) {
    case "checkpoint":
      return `Open ${
        state.url ?? "facebook.com"
      } in a browser where you are logged in to Facebook, pass the check, then run 're-login' (or register again with fresh cookies).`;
    case "suspended":
      return "Facebook suspended or disabled this account: nothing works through the gateway " +
        "until Facebook restores it (see facebook.com in a browser). Then register again.";
    default:
      return "Run the 're-login' command (or send 're-login' to me) to log in again.";
  }
}

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
      switch (state.cause) {
        case "checkpoint":
          return "Checkpoint: Facebook asks for a security check in a browser";
        case "suspended":
          return "Account suspended by Facebook";
        default:
          return `Needs re-authentication: ${state.reason}`;
      }
    case "logged_out":
      return "Logged out";
  }
}
