/**
 * Registering (or renewing a registered user's login) as the register command and XEP-0077
 * in-band registration both do it: on top of `Gateway.register`, which only stores anything once
 * Messenger accepted the login, this applies the user's `save_password` preference, turns every
 * failure into a {@link CommandError}, and makes a wrong two-factor code a correctable mistake.
 *
 * @module
 */

import type { Credentials } from "../../messenger/credentials.ts";
import { isMessengerError } from "../../messenger/errors.ts";
import { getUser, updateUser, type UserRecord } from "../../store/user_records.ts";
import { CommandError, type FormValues } from "../command.ts";
import type { RegistrationStep } from "../gateway.ts";
import { preferencesOf } from "../user_preferences.ts";
import type { CommandContext } from "./context.ts";
import { credentialsFrom } from "./credentials_form.ts";
import { asCommandError } from "./failures.ts";

/** A registration in progress, as commands see it. */
export type Registration =
  | { kind: "registered"; name: string }
  | {
    kind: "two_factor_required";
    /** Continues with the code; a wrong code throws `bad_input` and may be sent again. */
    submit(code: string): Promise<Registration>;
    /** Abandons the pending login; nothing is stored. */
    cancel(): void;
  };

/** Throws `forbidden` unless the JID may register (checked before looking at any input). */
export function assertMayRegister(ctx: CommandContext, jid: string): void {
  if (!ctx.gateway.isAllowed(jid)) {
    throw new CommandError(
      "forbidden",
      "This gateway is not open to your address: ask its administrator",
    );
  }
}

/**
 * Logs in with the credentials and registers on success. A user who already keeps a saved
 * password (`save_password`) has it replaced by a new password, and kept when they renew with
 * cookies.
 */
export async function beginRegistration(
  ctx: CommandContext,
  jid: string,
  credentials: Credentials,
): Promise<Registration> {
  assertMayRegister(ctx, jid);
  const existing = await getUser(ctx.kv, jid);
  const savePassword = preferencesOf(existing).save_password && credentials.kind === "password";
  let step: RegistrationStep;
  try {
    step = await ctx.gateway.register(jid, credentials, { savePassword });
  } catch (error) {
    throw asCommandError(error);
  }
  return await follow(ctx, jid, step, existing, credentials);
}

/**
 * One-step registration for XEP-0077: parses the form values and registers; when Messenger asks
 * for a two-factor code, the pending login is cancelled (a one-step form cannot ask for it) and
 * `"two_factor_required"` is returned so the caller can point to the register command.
 */
export async function registerInOneStep(
  ctx: CommandContext,
  jid: string,
  values: FormValues,
): Promise<"registered" | "two_factor_required"> {
  assertMayRegister(ctx, jid);
  const registration = await beginRegistration(ctx, jid, credentialsFrom(values));
  if (registration.kind === "two_factor_required") {
    registration.cancel();
    return "two_factor_required";
  }
  return "registered";
}

async function follow(
  ctx: CommandContext,
  jid: string,
  step: RegistrationStep,
  existing: UserRecord | null,
  credentials: Credentials,
): Promise<Registration> {
  if (step.kind === "registered") {
    if (credentials.kind === "cookies" && existing?.savedLogin) {
      await keepSavedLogin(ctx, jid, existing);
    }
    return { kind: "registered", name: step.name };
  }
  return {
    kind: "two_factor_required",
    submit: async (code) => {
      let next: RegistrationStep;
      try {
        next = await step.submit(code);
      } catch (error) {
        if (isMessengerError(error, "two_factor_failed")) {
          throw new CommandError(
            "bad_input",
            "Code: Messenger did not accept this code; check it (codes expire quickly) and " +
              "send it again",
          );
        }
        throw asCommandError(error);
      }
      return await follow(ctx, jid, next, existing, credentials);
    },
    cancel: () => step.cancel(),
  };
}

/** `Gateway.register` rewrites the record; a cookie renewal must not drop a saved password. */
async function keepSavedLogin(ctx: CommandContext, jid: string, existing: UserRecord) {
  const savedLogin = existing.savedLogin;
  await updateUser(
    ctx.kv,
    jid,
    (record) =>
      preferencesOf(record).save_password && savedLogin && !record.savedLogin
        ? { ...record, savedLogin }
        : record,
  );
}
