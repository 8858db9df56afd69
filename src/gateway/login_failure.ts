/**
 * Turns Messenger failures into sentences a user can act on, and tells the gateway whether
 * retrying by itself makes sense (never for refused credentials: repeated logins get accounts
 * locked).
 *
 * @module
 */

import { isMessengerError } from "../messenger/errors.ts";

/** What a failure means for the user and for the gateway. */
export interface FailureExplanation {
  /** A sentence for the user. */
  sentence: string;
  /** The credentials themselves were refused: do not retry, ask the user. */
  credentialsRefused: boolean;
  /** Passing trouble (network, rate limit, timeout): a later retry may work. */
  transient: boolean;
}

/** Explains a login or call failure. Never includes the underlying error's text. */
export function explainFailure(error: unknown): FailureExplanation {
  if (!isMessengerError(error)) {
    return {
      sentence: "an unexpected error happened (it was logged)",
      credentialsRefused: false,
      transient: true,
    };
  }
  switch (error.code) {
    case "auth_failed":
      return {
        sentence:
          "Messenger refused these credentials (wrong email or password, or expired cookies)",
        credentialsRefused: true,
        transient: false,
      };
    case "two_factor_failed":
      return {
        sentence: "the two-factor code was wrong",
        credentialsRefused: true,
        transient: false,
      };
    case "checkpoint":
      return {
        sentence: "Facebook has locked the account behind a security check: log in at " +
          "facebook.com in a browser, complete the check, then register again with fresh cookies",
        credentialsRefused: true,
        transient: false,
      };
    case "not_logged_in":
      return {
        sentence: "the Messenger session has expired: log in again (re-login command)",
        credentialsRefused: true,
        transient: false,
      };
    case "rate_limited":
      return {
        sentence: "Messenger asks to slow down; trying again later",
        credentialsRefused: false,
        transient: true,
      };
    case "network":
      return {
        sentence: "Messenger cannot be reached right now",
        credentialsRefused: false,
        transient: true,
      };
    case "timeout":
      return {
        sentence: "Messenger did not answer in time",
        credentialsRefused: false,
        transient: true,
      };
    case "unsupported":
      return {
        sentence: "this is not supported by the Messenger connection",
        credentialsRefused: false,
        transient: false,
      };
    case "bad_request":
      return {
        sentence: `the request was refused: ${error.message}`,
        credentialsRefused: false,
        transient: false,
      };
    case "not_found":
      return {
        sentence: "Messenger does not know that conversation or person",
        credentialsRefused: false,
        transient: false,
      };
    case "disconnected":
      return {
        sentence: "the Messenger session was disconnected",
        credentialsRefused: false,
        transient: true,
      };
    case "internal":
      return {
        sentence: "an unexpected error happened (it was logged)",
        credentialsRefused: false,
        transient: true,
      };
  }
}
