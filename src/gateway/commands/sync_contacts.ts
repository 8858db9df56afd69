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
      const { synced, leftOut } = await sessionOf(ctx, caller.jid).syncContacts();
      const left = leftOut === 0 ? "" : ` (${leftOut} you removed from your roster left out: ` +
        "add one back by adding its address in your client)";
      return {
        kind: "result",
        note: `Synchronised ${synced} Messenger contact${synced === 1 ? "" : "s"} with your ` +
          `roster${left}`,
      };
    },
  };
}
