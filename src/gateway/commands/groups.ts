/**
 * The `groups` command: the user's Messenger group conversations among their recent threads,
 * with the room JID each one has on the gateway (`<thread id>@<gateway>`).
 *
 * @module
 */

import type { Command, CommandCaller, ResultStep } from "../command.ts";
import { type CommandContext, contactJid } from "./context.ts";
import { messengerCall, messengerOf, requireCapability } from "./failures.ts";

/** How many recent conversations are looked through for groups. */
export const GROUP_SCAN_LIMIT = 100;

/** The `groups` command. */
export function groupsCommand(ctx: CommandContext): Command {
  return {
    node: "groups",
    name: "List groups",
    help: "List your Messenger group conversations and their room addresses",
    access: "registered",
    async start(caller: CommandCaller): Promise<ResultStep> {
      const messenger = messengerOf(ctx, caller.jid);
      const getThreads = requireCapability(messenger, "getThreads", "list your conversations");
      const threads = await messengerCall(() => getThreads(GROUP_SCAN_LIMIT));
      const groups = threads.filter((thread) => thread.isGroup);
      if (groups.length === 0) {
        return {
          kind: "result",
          note: `No group conversations among your last ${GROUP_SCAN_LIMIT} conversations`,
        };
      }
      return {
        kind: "result",
        note: `${groups.length} group conversation${groups.length === 1 ? "" : "s"}`,
        table: {
          columns: [
            { name: "name", label: "Name" },
            { name: "jid", label: "Room address" },
            { name: "members", label: "Members" },
          ],
          rows: groups.map((thread) => ({
            name: thread.name ?? "(no name)",
            jid: contactJid(ctx, thread.id),
            members: String(thread.participants.length),
          })),
        },
      };
    },
  };
}
