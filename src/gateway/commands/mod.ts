/**
 * Every command the gateway offers, in the order `help` and client menus list them: the
 * composition root passes this list to the ad-hoc and chat renderers.
 *
 * @module
 */

import type { Command } from "../command.ts";
import { contactsCommand } from "./contacts.ts";
import type { CommandContext } from "./context.ts";
import { deleteUserCommand } from "./delete_user.ts";
import { findCommand } from "./find.ts";
import { createGroupCommand, groupsCommand, leaveGroupCommand } from "./groups.ts";
import { infoCommand } from "./info.ts";
import { listUsersCommand } from "./list_users.ts";
import { logLevelCommand } from "./log_level.ts";
import { messageRequestsCommand } from "./message_requests.ts";
import { preferencesCommand } from "./preferences.ts";
import { registerCommand } from "./register.ts";
import { reloginCommand } from "./relogin.ts";
import { statisticsCommand } from "./statistics.ts";
import { syncContactsCommand } from "./sync_contacts.ts";
import { unregisterCommand } from "./unregister.ts";

export type { CommandContext, LogLevelControl } from "./context.ts";
export { runtimeLogLevel } from "./log_level.ts";

/** The gateway's commands. */
export function gatewayCommands(ctx: CommandContext): Command[] {
  return [
    registerCommand(ctx),
    infoCommand(ctx),
    contactsCommand(ctx),
    groupsCommand(ctx),
    createGroupCommand(ctx),
    leaveGroupCommand(ctx),
    findCommand(ctx),
    messageRequestsCommand(ctx),
    syncContactsCommand(ctx),
    reloginCommand(ctx),
    preferencesCommand(ctx),
    unregisterCommand(ctx),
    listUsersCommand(ctx),
    deleteUserCommand(ctx),
    logLevelCommand(ctx),
    statisticsCommand(ctx),
  ];
}
