/**
 * The `info` command (anyone): where the caller stands (registered or not, the login state, the
 * Messenger account, how many contacts) and which gateway this is.
 *
 * @module
 */

import { getUser } from "../../store/user_records.ts";
import type { Command, CommandCaller, ResultStep } from "../command.ts";
import { describeLoginState, whatToDo } from "../login_state.ts";
import { NOT_BRIDGED } from "../what_is_bridged.ts";
import { preferencesOf } from "../user_preferences.ts";
import type { CommandContext } from "./context.ts";
import { summary } from "./preferences.ts";

/** The `info` command. */
export function infoCommand(ctx: CommandContext): Command {
  return {
    node: "info",
    name: "Status and information",
    help: "Show your login state, your Messenger account and what this gateway is",
    access: "anyone",
    async start(caller: CommandCaller): Promise<ResultStep> {
      const { gateway, software } = ctx;
      const rows: { what: string; value: string }[] = [];
      const session = gateway.session(caller.jid);
      let note: string;
      if (!session) {
        note = caller.isAllowed
          ? `You are not registered with ${gateway.settings.name}: run 'register' to log in ` +
            "to Messenger"
          : `You are not registered with ${gateway.settings.name}, and your address is not ` +
            "allowed to register";
      } else {
        const record = await getUser(ctx.kv, caller.jid);
        note = describeLoginState(session.state);
        rows.push({ what: "Login", value: note });
        const todo = whatToDo(session.state);
        if (todo && session.state.status === "needs_reauth") {
          rows.push({ what: "What to do", value: todo });
        }
        const self = session.messenger?.self;
        if (self) {
          rows.push({
            what: "Messenger account",
            value: self.name ? `${self.name} (id ${self.id})` : `id ${self.id}`,
          });
        }
        rows.push({ what: "Contacts", value: String(session.contacts.length) });
        if (record) {
          rows.push(
            { what: "Registered", value: new Date(record.registeredAt).toISOString() },
            { what: "Preferences", value: summary(preferencesOf(record)) },
          );
        }
      }
      rows.push(
        { what: "Not bridged", value: NOT_BRIDGED },
        { what: "Gateway", value: `${software.name} ${software.version}` },
        { what: "Messenger connection", value: gateway.network.name },
      );
      return {
        kind: "result",
        note,
        table: {
          columns: [{ name: "what", label: "What" }, { name: "value", label: "Value" }],
          rows,
        },
      };
    },
  };
}
