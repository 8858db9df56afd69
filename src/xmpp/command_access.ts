/**
 * Who may run which command, as both command renderers (ad-hoc and chat) apply and explain it.
 *
 * Listing and running use the same rule ({@link mayRun}), checked again at every step: knowing a
 * command's node or word is never enough to run it.
 *
 * @module
 */

import { type Command, type CommandCaller, mayRun } from "../gateway/command.ts";

/** The commands `caller` may run, in the order the gateway defines them. */
export function commandsFor(commands: readonly Command[], caller: CommandCaller): Command[] {
  return commands.filter((command) => mayRun(command.access, caller));
}

/** Why `caller` may not run `command`, as a sentence; undefined when they may. */
export function refusal(command: Command, caller: CommandCaller): string | undefined {
  if (mayRun(command.access, caller)) return undefined;
  switch (command.access) {
    case "admin":
      return `Only administrators of the gateway may run '${command.name}'`;
    case "registered":
      return `'${command.name}' is for registered users: register with the gateway first`;
    case "allowed":
      return `'${command.name}' is not available: your address is not allowed to use this gateway`;
    case "unregistered":
      return caller.isRegistered
        ? `'${command.name}' is only for users who have not registered yet`
        : `'${command.name}' is not available: your address is not allowed to use this gateway`;
    case "anyone":
      return undefined;
  }
}
