/**
 * The `unregister` command: after a confirmation, ends the Messenger session, removes the
 * contacts and the gateway from the user's roster and deletes everything stored about them (the
 * same `Gateway.unregister` as XEP-0077 `<remove/>` and the admin's delete-user).
 *
 * @module
 */

import type { Command, CommandCaller, FormStep } from "../command.ts";
import type { CommandContext } from "./context.ts";
import { sessionOf } from "./failures.ts";

/** The `unregister` command. */
export function unregisterCommand(ctx: CommandContext): Command {
  return {
    node: "unregister",
    name: "Unregister",
    help: "Leave the gateway: log out of Messenger and delete everything it stores about you",
    access: "registered",
    start(caller: CommandCaller): FormStep {
      sessionOf(ctx, caller.jid);
      return {
        kind: "form",
        title: "Unregister",
        instructions: "This logs the gateway out of Messenger, removes your Messenger contacts " +
          "from your roster and deletes everything the gateway stores about you. Your Facebook " +
          "account itself is not affected.",
        final: true,
        fields: [{
          name: "confirm",
          type: "boolean",
          label: "Really unregister",
          required: true,
          value: false,
        }],
        async submit(values) {
          if (values.confirm !== true) {
            return { kind: "result", note: "Nothing changed: you are still registered" };
          }
          const removed = await ctx.gateway.unregister(caller.jid, "user");
          return {
            kind: "result",
            note: removed
              ? "You are unregistered: the gateway logged out of Messenger and deleted " +
                "everything it stored about you"
              : "You were not registered",
          };
        },
      };
    },
  };
}
