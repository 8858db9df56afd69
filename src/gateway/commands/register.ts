/**
 * The `register` command (node `jabber:iq:register`, as slidge and messlidger name it): the
 * credentials form, then the two-factor code when Messenger asks for one (a wrong code is asked
 * again), then the preferences, then a welcome.
 *
 * Access is `allowed`, not `unregistered`: a registered user runs the same command to renew their
 * Messenger login with a new password or fresh cookies (their registration date and preferences
 * are kept). Registration happens once Messenger accepted the login, before the preferences step,
 * so cancelling the preferences leaves a working registration with default preferences; before
 * that point, cancelling or letting the command expire cancels the pending login and stores
 * nothing.
 *
 * @module
 */

import type { Credentials } from "../../messenger/credentials.ts";
import type { Command, CommandCaller, CommandStep, FormStep } from "../command.ts";
import type { SavedLogin } from "../user_preferences.ts";
import type { CommandContext } from "./context.ts";
import {
  CREDENTIAL_FIELDS,
  credentialsFrom,
  REGISTRATION_INSTRUCTIONS,
  REGISTRATION_TITLE,
} from "./credentials_form.ts";
import { preferencesStep, summary } from "./preferences.ts";
import { assertMayRegister, beginRegistration, type Registration } from "./registration.ts";

/** The node XEP-0077 clients and slidge users know the register command by. */
export const REGISTER_NODE = "jabber:iq:register";

/** The `register` command. */
export function registerCommand(ctx: CommandContext): Command {
  return {
    node: REGISTER_NODE,
    name: "Register",
    chatName: "register",
    help: "Register with the gateway, or renew your Messenger login (new password or cookies)",
    access: "allowed",
    start(caller: CommandCaller): FormStep {
      assertMayRegister(ctx, caller.jid);
      return credentialsStep(ctx, caller);
    },
  };
}

function credentialsStep(ctx: CommandContext, caller: CommandCaller): FormStep {
  return {
    kind: "form",
    title: REGISTRATION_TITLE,
    instructions: caller.isRegistered
      ? `You are already registered: this renews your Messenger login. ${REGISTRATION_INSTRUCTIONS}`
      : REGISTRATION_INSTRUCTIONS,
    fields: [...CREDENTIAL_FIELDS],
    async submit(values) {
      const credentials = credentialsFrom(values);
      const registration = await beginRegistration(ctx, caller.jid, credentials);
      return await afterLogin(ctx, caller, registration, loginOf(credentials));
    },
  };
}

async function afterLogin(
  ctx: CommandContext,
  caller: CommandCaller,
  registration: Registration,
  login: SavedLogin | undefined,
): Promise<CommandStep> {
  if (registration.kind === "two_factor_required") {
    return codeStep(ctx, caller, registration, login);
  }
  const name = registration.name;
  return await preferencesStep(ctx, caller.jid, {
    title: "Preferences",
    instructions: `You are logged in to Messenger as ${name}. A few settings:`,
    knownLogin: login,
    done: (preferences) => ({
      kind: "result",
      note: `Registration completed: welcome, ${name}! Your Messenger contacts will appear in ` +
        `your roster. ${summary(preferences)} Send 'help' to the gateway to see what else it ` +
        "can do.",
    }),
  });
}

function codeStep(
  ctx: CommandContext,
  caller: CommandCaller,
  registration: Extract<Registration, { kind: "two_factor_required" }>,
  login: SavedLogin | undefined,
): FormStep {
  return {
    kind: "form",
    title: "Two-factor code",
    instructions: "Messenger sent you a login code (by text message or in your authentication " +
      "app). Enter it to finish logging in.",
    fields: [{ name: "code", type: "text-single", label: "Code", required: true }],
    async submit(values) {
      const next = await registration.submit(String(values.code ?? ""));
      return await afterLogin(ctx, caller, next, login);
    },
    cancel: () => registration.cancel(),
  };
}

function loginOf(credentials: Credentials): SavedLogin | undefined {
  return credentials.kind === "password"
    ? { email: credentials.email, password: credentials.password }
    : undefined;
}
