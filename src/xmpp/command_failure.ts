/**
 * What went wrong in a command step, in the terms both command renderers (ad-hoc and chat) show.
 *
 * A {@link CommandError} carries a sentence written for the user and is shown as is, except the
 * `internal` kind: like any other thrown value, it is logged for the administrator and the user
 * gets a generic sentence, so no stack trace or secret ever reaches a client.
 *
 * @module
 */

import { CommandError, type CommandErrorKind } from "../gateway/command.ts";
import { xmppLog } from "../log.ts";
import { StanzaError, type StanzaErrorCondition } from "./stanza_error.ts";

/** A failed step, ready to show. */
export interface CommandFailure {
  kind: CommandErrorKind;
  /** The sentence for the user. */
  sentence: string;
}

/** What the user reads when a command failed for a reason only the log explains. */
export const GENERIC_COMMAND_FAILURE = "The command failed because of an error in the gateway; " +
  "the administrator can find the details in the log";

/** Classifies what a command's `start` or `submit` threw; logs what the user will not see. */
export function describeCommandFailure(
  error: unknown,
  context: { node: string; jid: string },
): CommandFailure {
  if (error instanceof CommandError && error.kind !== "internal") {
    return { kind: error.kind, sentence: error.message };
  }
  xmppLog.error("Command {node} run by {jid} failed: {error}", {
    node: context.node,
    jid: context.jid,
    error: error instanceof Error
      ? `${error.name}: ${error.message}\n${error.stack ?? ""}`
      : String(error),
  });
  return { kind: "internal", sentence: GENERIC_COMMAND_FAILURE };
}

/** The stanza error condition of each failure kind, shared by every XMPP rendering of a failure. */
export const CONDITION_OF_KIND: Readonly<Record<CommandErrorKind, StanzaErrorCondition>> = {
  bad_input: "bad-request",
  forbidden: "forbidden",
  not_authorized: "not-authorized",
  not_found: "item-not-found",
  registration_required: "registration-required",
  unavailable: "service-unavailable",
  internal: "internal-server-error",
};

/**
 * What a gateway-level operation threw (a {@link CommandError} or anything else), as the stanza
 * error to answer with; `overrides` lets a protocol pick its own condition for a kind (XEP-0077
 * answers `not-allowed` where commands say `forbidden`).
 */
export function failureAsStanzaError(
  error: unknown,
  context: { node: string; jid: string },
  overrides: Partial<Record<CommandErrorKind, StanzaErrorCondition>> = {},
): StanzaError {
  if (error instanceof StanzaError) return error;
  const failure = describeCommandFailure(error, context);
  const condition = overrides[failure.kind] ?? CONDITION_OF_KIND[failure.kind];
  // Passing Messenger trouble: the client may try again later.
  const type = failure.kind === "unavailable" ? "wait" : undefined;
  return new StanzaError(condition, failure.sentence, type);
}
