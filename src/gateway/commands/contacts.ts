/**
 * The `contacts` command: the Messenger contacts the gateway put into the user's roster, with
 * their JIDs (from the last contact sync; `sync-contacts` fetches them again).
 *
 * @module
 */

import type { Command, CommandCaller, ResultStep } from "../command.ts";
import { describeLoginState } from "../login_state.ts";
import { type CommandContext, contactJid } from "./context.ts";
import { sessionOf } from "./failures.ts";

/** The `contacts` command. */
export function contactsCommand(ctx: CommandContext): Command {
  return {
    node: "contacts",
    name: "List contacts",
    help: "List your Messenger contacts and their XMPP addresses",
    access: "registered",
    start(caller: CommandCaller): ResultStep {
      const session = sessionOf(ctx, caller.jid);
      const contacts = session.contacts.sort((a, b) => a.name.localeCompare(b.name));
      if (contacts.length === 0) {
        return {
          kind: "result",
          note: session.state.status === "connected"
            ? "No Messenger contacts yet: run 'sync-contacts' to fetch them"
            : `No Messenger contacts known yet (${describeLoginState(session.state)})`,
        };
      }
      return {
        kind: "result",
        note: `${contacts.length} Messenger contact${contacts.length === 1 ? "" : "s"}`,
        table: {
          columns: [{ name: "name", label: "Name" }, { name: "jid", label: "XMPP address" }],
          rows: contacts.map((card) => ({ name: card.name, jid: contactJid(ctx, card.id) })),
        },
      };
    },
  };
}
