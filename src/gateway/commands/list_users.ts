/**
 * The admin `list-users` command: every registered user with their login state and since when
 * they are registered.
 *
 * @module
 */

import { listUsers } from "../../store/user_records.ts";
import type { Command, ResultStep } from "../command.ts";
import { describeLoginState } from "../login_state.ts";
import type { CommandContext } from "./context.ts";

/** The `list-users` command. */
export function listUsersCommand(ctx: CommandContext): Command {
  return {
    node: "list-users",
    name: "List registered users",
    help: "List the registered users and their login state (admins)",
    access: "admin",
    async start(): Promise<ResultStep> {
      const users = (await listUsers(ctx.kv)).sort((a, b) => a.jid.localeCompare(b.jid));
      return {
        kind: "result",
        note: `${users.length} registered user${users.length === 1 ? "" : "s"}`,
        table: {
          columns: [
            { name: "jid", label: "JID" },
            { name: "state", label: "State" },
            { name: "since", label: "Registered" },
          ],
          rows: users.map((user) => {
            const session = ctx.gateway.session(user.jid);
            return {
              jid: user.jid,
              state: session ? describeLoginState(session.state) : "No session",
              since: new Date(user.registeredAt).toISOString(),
            };
          }),
        },
      };
    },
  };
}
