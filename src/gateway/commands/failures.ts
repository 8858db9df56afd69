/**
 * How commands fail: Messenger errors and refused registrations as {@link CommandError}s with
 * sentences a user can act on, and the checks most commands start with (registered, logged in,
 * the Messenger connection can do this).
 *
 * The sentences come from `explainFailure`, never from an error's own message, which may hold a
 * URL, a cookie or a stack trace.
 *
 * @module
 */

import { isMessengerError } from "../../messenger/errors.ts";
import {
  type Capability,
  capability,
  hasCapability,
  type MessengerSession,
} from "../../messenger/session.ts";
import { CommandError } from "../command.ts";
import { RegistrationRefused } from "../gateway.ts";
import { StoreWriteError } from "../../store/store_write_error.ts";
import { explainFailure } from "../login_failure.ts";
import { describeLoginState } from "../login_state.ts";
import type { UserSession } from "../user_session.ts";
import type { CommandContext } from "./context.ts";

/**
 * What to throw for a failure: a {@link CommandError} for what the user can understand, the error
 * itself otherwise (the renderers log it and show a generic sentence).
 */
export function asCommandError(error: unknown): unknown {
  if (error instanceof CommandError) return error;
  if (error instanceof RegistrationRefused) return new CommandError("forbidden", error.message);
  // Logged where it happened; the sentence says what was not done.
  if (error instanceof StoreWriteError) return new CommandError("unavailable", error.message);
  if (!isMessengerError(error)) return error;
  const sentence = sentenceCase(explainFailure(error).sentence);
  switch (error.code) {
    case "auth_failed":
    case "checkpoint":
    case "not_logged_in":
    case "two_factor_failed":
      return new CommandError("not_authorized", sentence);
    case "rate_limited":
    case "network":
    case "timeout":
    case "disconnected":
    case "unsupported":
      return new CommandError("unavailable", sentence);
    case "bad_request":
      // explainFailure quotes the error's message here; it is not written for users.
      return new CommandError("bad_input", "Messenger refused the request as invalid");
    case "not_found":
      return new CommandError("not_found", sentence);
    case "internal":
      return error;
  }
}

/** The caller's session; `registration_required` when they have none. */
export function sessionOf(ctx: CommandContext, jid: string): UserSession {
  const session = ctx.gateway.session(jid);
  if (!session) {
    throw new CommandError(
      "registration_required",
      "You are not registered with this gateway: run 'register' first",
    );
  }
  return session;
}

/** The caller's logged-in Messenger session; `unavailable` with the login state otherwise. */
export function messengerOf(ctx: CommandContext, jid: string): MessengerSession {
  const session = sessionOf(ctx, jid);
  const messenger = session.messenger;
  if (!messenger || session.state.status !== "connected") {
    throw new CommandError(
      "unavailable",
      `You are not logged in to Messenger right now (${describeLoginState(session.state)}): ` +
        "run 're-login' to log in again",
    );
  }
  return messenger;
}

/**
 * The capability's method bound to the session; `unavailable` naming what cannot be done (`what`,
 * e.g. "list your conversations") when this Messenger connection lacks it.
 */
export function requireCapability<K extends Capability>(
  messenger: MessengerSession,
  name: K,
  what: string,
): NonNullable<MessengerSession[K]> {
  if (!hasCapability(messenger, name)) {
    throw new CommandError("unavailable", `This Messenger connection cannot ${what}`);
  }
  return capability(messenger, name);
}

/** Runs a Messenger call, turning its failure into a {@link CommandError}. */
export async function messengerCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asCommandError(error);
  }
}

function sentenceCase(sentence: string): string {
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}
