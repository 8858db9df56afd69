/**
 * The preferences form, as the last step of registration and as the `preferences` command.
 *
 * Turning `save_password` on needs the password: registration passes the one just used; otherwise
 * the form asks for email and password (only when none is saved yet). The password is not checked
 * against Messenger here: logging in for that would be one more login that can get an account
 * locked; a wrong one shows up at the next re-login, which says so.
 *
 * @module
 */

import { Secret } from "../../secret.ts";
import { getUser } from "../../store/user_records.ts";
import {
  type Command,
  type CommandCaller,
  CommandError,
  type Field,
  type FormStep,
  type FormValues,
  type ResultStep,
} from "../command.ts";
import {
  PREFERENCES,
  type Preferences,
  preferencesOf,
  type SavedLogin,
  savePreferences,
} from "../user_preferences.ts";
import type { CommandContext } from "./context.ts";
import { sessionOf } from "./failures.ts";

/** Options of {@link preferencesStep}. */
export interface PreferencesStepOptions {
  title: string;
  instructions?: string;
  /** The login just used (registration), saved if the user turns `save_password` on. */
  knownLogin?: SavedLogin;
  /** The result once saved. */
  done(preferences: Preferences): ResultStep;
}

/** The preferences form for a registered user, pre-filled with their current settings. */
export async function preferencesStep(
  ctx: CommandContext,
  jid: string,
  options: PreferencesStepOptions,
): Promise<FormStep> {
  const record = await getUser(ctx.kv, jid);
  if (!record) {
    throw new CommandError("registration_required", "You are not registered with this gateway");
  }
  const current = preferencesOf(record);
  const askLogin = !record.savedLogin && !options.knownLogin;
  const fields: Field[] = PREFERENCES.map((definition) => ({
    name: definition.name,
    type: "boolean",
    label: definition.label,
    description: definition.description,
    value: current[definition.name],
  }));
  if (askLogin) {
    fields.push(
      {
        name: "email",
        type: "text-single",
        label: "Email (to keep the password)",
        description: "Only needed to turn on keeping your password: your Facebook email",
        neededWhen: keepsPassword,
      },
      {
        name: "password",
        type: "text-private",
        label: "Password (to keep it)",
        description: "Only needed to turn on keeping your password: your Facebook password",
        neededWhen: keepsPassword,
      },
    );
  }
  return {
    kind: "form",
    title: options.title,
    instructions: options.instructions,
    final: true,
    fields,
    async submit(values) {
      const changes = changedPreferences(values);
      let login = options.knownLogin;
      if (changes.save_password && askLogin) login = loginFrom(values);
      const saved = await savePreferences(ctx.kv, jid, changes, login);
      if (!saved) {
        throw new CommandError("registration_required", "You are not registered any more");
      }
      return options.done(preferencesOf(saved));
    },
  };
}

/** The `preferences` command. */
export function preferencesCommand(ctx: CommandContext): Command {
  return {
    node: "preferences",
    name: "Preferences",
    help: "Change your settings (keeping your password, login notices)",
    access: "registered",
    start: (caller: CommandCaller) => {
      sessionOf(ctx, caller.jid);
      return preferencesStep(ctx, caller.jid, {
        title: "Preferences",
        done: (preferences) => ({ kind: "result", note: summary(preferences) }),
      });
    },
  };
}

/** One sentence saying what the preferences now are. */
export function summary(preferences: Preferences): string {
  return [
    preferences.save_password
      ? "Your Messenger password is kept, so re-login can use it."
      : "Your Messenger password is not kept.",
    preferences.login_notices
      ? "Login problems are explained in a chat message."
      : "Login problems are only shown in the gateway's status.",
  ].join(" ");
}

function keepsPassword(values: FormValues): boolean {
  return values.save_password === true;
}

function changedPreferences(values: FormValues): Partial<Preferences> {
  const changes: Partial<Preferences> = {};
  for (const { name } of PREFERENCES) {
    const value = values[name];
    if (typeof value === "boolean") changes[name] = value;
  }
  return changes;
}

function loginFrom(values: FormValues): SavedLogin {
  const email = typeof values.email === "string" ? values.email.trim() : "";
  const password = typeof values.password === "string" ? values.password : "";
  if (email === "" || password === "") {
    throw new CommandError(
      "bad_input",
      "To keep your password, also give your Facebook email and password",
    );
  }
  return { email, password: new Secret(password) };
}
