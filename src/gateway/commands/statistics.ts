/**
 * The admin `statistics` command: users, sessions by login state, messages bridged each way,
 * uptime and memory.
 *
 * @module
 */

import type { Command, ResultStep } from "../command.ts";
import type { LoginStatus } from "../login_state.ts";
import type { CommandContext } from "./context.ts";

const STATES: readonly LoginStatus[] = [
  "connected",
  "logging_in",
  "reconnecting",
  "failed",
  "needs_reauth",
  "logged_out",
];

/** The `statistics` command. */
export function statisticsCommand(ctx: CommandContext): Command {
  return {
    node: "statistics",
    name: "Statistics",
    help: "Show users, sessions, bridged messages, uptime and memory (admins)",
    access: "admin",
    start(): ResultStep {
      const stats = ctx.gateway.statistics();
      const now = ctx.now?.() ?? Date.now();
      const rss = ctx.memoryBytes?.() ?? Deno.memoryUsage().rss;
      const rows = [
        { what: "Registered users", value: String(stats.users) },
        ...STATES.map((state) => ({
          what: `Sessions ${state.replace("_", " ")}`,
          value: String(stats.sessionsByState[state] ?? 0),
        })),
        { what: "Messages to Messenger", value: String(stats.messagesToMessenger) },
        { what: "Messages to XMPP", value: String(stats.messagesToXmpp) },
        { what: "Uptime", value: duration(now - stats.startedAt) },
        { what: "Memory (RSS)", value: `${(rss / 1024 / 1024).toFixed(1)} MiB` },
      ];
      return {
        kind: "result",
        note: `${stats.users} user${stats.users === 1 ? "" : "s"}, ` +
          `${stats.sessionsByState.connected ?? 0} connected`,
        table: {
          columns: [{ name: "what", label: "What" }, { name: "value", label: "Value" }],
          rows,
        },
      };
    },
  };
}

/** A duration as "2 d 3 h 4 min 5 s", leaving out leading zero units. */
export function duration(ms: number): string {
  let seconds = Math.max(0, Math.floor(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86_400], ["h", 3_600], ["min", 60]] as const) {
    const count = Math.floor(seconds / size);
    seconds -= count * size;
    if (count > 0 || parts.length > 0) parts.push(`${count} ${unit}`);
  }
  parts.push(`${seconds} s`);
  return parts.join(" ");
}
