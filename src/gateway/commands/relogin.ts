/**
 * The `re-login` command: logs in again with the saved Messenger session; when Messenger refuses
 * it and the user chose to keep their password (`save_password`), logs in once with the saved
 * password instead (asking for a two-factor code if Messenger wants one).
 *
 * Never loops: one attempt with the cookies, at most one with the password, then a sentence
 * telling the user what to do (repeated logins get Facebook accounts locked).
 *
 * @module
 */

import { getUser } from "../../store/user_records.ts";
import {
  type Command,
  type CommandCaller,
  CommandError,
  type CommandStep,
  type FormStep,
} from "../command.ts";
import { describeLoginState, type LoginState } from "../login_state.ts";
import { preferencesOf } from "../user_preferences.ts";
import type { CommandContext } from "./context.ts";
import { asCommandError, sessionOf } from "./failures.ts";
import { beginRegistration, type Registration } from "./registration.ts";

/** The `re-login` command. */
export function reloginCommand(ctx: CommandContext): Command {
  return {
    node: "re-login",
    name: "Log in to Messenger again",
    chatName: "re-login",
    help: "Log in to Messenger again with the saved session (or your saved password)",
    access: "registered",
    async start(caller: CommandCaller): Promise<CommandStep> {
      const session = sessionOf(ctx, caller.jid);
      if (session.state.status === "connected") {
        return {
          kind: "result",
          note: `You are already connected to Messenger as ${session.state.name}: nothing to do`,
        };
      }
      try {
        await ctx.gateway.relogin(caller.jid);
      } catch (error) {
        throw asCommandError(error);
      }
      // Read again: the login changed it (TypeScript still narrows it from the check above).
      const state = session.state as LoginState;
      switch (state.status) {
        case "connected":
          return { kind: "result", note: `Logged in to Messenger again as ${state.name}` };
        case "logging_in":
        case "reconnecting":
          return { kind: "result", note: `${describeLoginState(state)} (it continues by itself)` };
        case "failed":
          throw new CommandError(
            "unavailable",
            `${describeLoginState(state)}; the gateway keeps trying by itself`,
          );
        case "logged_out":
        case "needs_reauth":
          break;
      }
      const record = await getUser(ctx.kv, caller.jid);
      const saved = record?.savedLogin;
      if (!saved || !preferencesOf(record).save_password) {
        throw new CommandError(
          "not_authorized",
          `${describeLoginState(state)}. Run 'register' again with your password or fresh ` +
            "cookies (or turn on keeping your password in 'preferences' for next time)",
        );
      }
      let registration: Registration;
      try {
        registration = await beginRegistration(ctx, caller.jid, { kind: "password", ...saved });
      } catch (error) {
        throw savedPasswordRefused(error);
      }
      return afterPasswordLogin(registration);
    },
  };
}

function afterPasswordLogin(registration: Registration): CommandStep {
  if (registration.kind === "registered") {
    return {
      kind: "result",
      note: "Messenger refused the saved session, so the gateway logged in with your saved " +
        `password: connected as ${registration.name}`,
    };
  }
  const step: FormStep = {
    kind: "form",
    title: "Two-factor code",
    instructions: "The saved session was refused; logging in with your saved password needs " +
      "the code Messenger just sent you.",
    final: true,
    fields: [{ name: "code", type: "text-single", label: "Code", required: true }],
    async submit(values) {
      return afterPasswordLogin(await registration.submit(String(values.code ?? "")));
    },
    cancel: () => registration.cancel(),
  };
  return step;
}

function savedPasswordRefused(error: unknown): unknown {
  if (error instanceof CommandError && error.kind === "not_authorized") {
    return new CommandError(
      "not_authorized",
      `The saved session and then your saved password were refused: ${error.message}. Run ` +
        "'register' again with your current password or fresh cookies",
    );
  }
  return error;
}
