/**
 * The `sync-contacts` command: fetches the user's Messenger friends again and puts them into
 * their roster (the same sync a login does).
 *
 * @module
 */

import type { Command, CommandCaller, ResultStep } from "../command.ts";
import type { CommandContext } from "./context.ts";
import { messengerOf, requireCapability, sessionOf } from "./failures.ts";

/** The `sync-contacts` command. */
export function syncContactsCommand(ctx: CommandContext): Command {
  return {
    node: "sync-contacts",
    name: "Synchronise contacts",
    help: "Fetch your Messenger friends again and update your roster",
    access: "registered",
    async start(caller: CommandCaller): Promise<ResultStep> {
      const messenger = messengerOf(ctx, caller.jid);
      requireCapability(messenger, "getFriends", "list your friends");
      const count = await sessionOf(ctx, caller.jid).syncContacts();
      return {
        kind: "result",
        note: `Synchronised ${count} Messenger contact${count === 1 ? "" : "s"} with your roster`,
      };
    },
  };
}
