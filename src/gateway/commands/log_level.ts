/**
 * The admin `log-level` command: changes how much the gateway logs while it runs (until the next
 * restart, which goes back to `log.level` from the configuration).
 *
 * @module
 */

import type { LogLevel } from "../../config/config.ts";
import { configureLogging } from "../../log.ts";
import type { Command, FormStep } from "../command.ts";
import type { CommandContext, LogLevelControl } from "./context.ts";

/** The levels, from the most to the least talkative. */
export const LOG_LEVELS: readonly LogLevel[] = [
  "trace",
  "debug",
  "info",
  "warning",
  "error",
  "fatal",
];

/** The real control: reconfigures the program's logging (stderr or journald). */
export function runtimeLogLevel(initial: LogLevel): LogLevelControl {
  let level = initial;
  return {
    current: () => level,
    set(next) {
      configureLogging(next);
      level = next;
    },
  };
}

/** The `log-level` command. */
export function logLevelCommand(ctx: CommandContext): Command {
  return {
    node: "log-level",
    name: "Change the log level",
    chatName: "log-level",
    help: "Change how much the gateway logs, until it restarts (admins)",
    access: "admin",
    start(): FormStep {
      return {
        kind: "form",
        title: "Log level",
        instructions: "Until the gateway restarts; set log.level in the configuration file to " +
          "keep a level.",
        final: true,
        fields: [{
          name: "level",
          type: "list-single",
          label: "Level",
          required: true,
          value: ctx.logLevel.current(),
          options: LOG_LEVELS.map((level) => ({ value: level })),
        }],
        submit(values) {
          const level = String(values.level) as LogLevel;
          const before = ctx.logLevel.current();
          ctx.logLevel.set(level);
          return {
            kind: "result",
            note: before === level
              ? `The log level stays ${level}`
              : `The log level is now ${level} (was ${before})`,
          };
        },
      };
    },
  };
}
