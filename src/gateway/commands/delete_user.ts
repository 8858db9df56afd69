/**
 * The admin `delete-user` command: unregisters a user as if they had done it themselves (their
 * Messenger session ends, contacts leave their roster, everything stored about them is deleted).
 *
 * @module
 */

import { type Command, CommandError, type FormStep } from "../command.ts";
import type { CommandContext } from "./context.ts";

/** The `delete-user` command. */
export function deleteUserCommand(ctx: CommandContext): Command {
  return {
    node: "delete-user",
    name: "Delete a user",
    help: "Unregister a user and delete everything stored about them (admins)",
    access: "admin",
    start(): FormStep {
      return {
        kind: "form",
        title: "Delete a user",
        instructions: "The user's Messenger session ends, their Messenger contacts leave their " +
          "roster and everything the gateway stores about them is deleted.",
        final: true,
        fields: [{ name: "jid", type: "jid-single", label: "User's JID", required: true }],
        async submit(values) {
          const jid = String(values.jid ?? "").split("/")[0].toLowerCase();
          if (!(await ctx.gateway.unregister(jid, "admin"))) {
            throw new CommandError("not_found", `${jid} is not registered`);
          }
          return {
            kind: "result",
            note: `Deleted ${jid}: their Messenger session ended and everything stored about ` +
              "them was deleted",
          };
        },
      };
    },
  };
}
