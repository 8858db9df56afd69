/**
 * The group commands: `groups` lists the user's Messenger groups with their room addresses,
 * `create-group` makes a new group (a new room, bookmarked) with contacts from the roster or any
 * Messenger id, and `leave-group` leaves one for good (slidge and mautrix-meta users ask for it:
 * leaving a group was impossible through earlier bridges).
 *
 * @module
 */

import { CommandError } from "../command.ts";
import type { Command, CommandCaller, FormStep, ResultStep } from "../command.ts";
import { asUserId, type ThreadId, type UserId } from "../../messenger/ids.ts";
import { MessageRefused } from "../outgoing_messages.ts";
import { type CommandContext, contactJid } from "./context.ts";
import { messengerCall, messengerOf, requireCapability, sessionOf } from "./failures.ts";
import { userIdOf } from "../contact_ids.ts";

/** The `groups` command. */
export function groupsCommand(ctx: CommandContext): Command {
  return {
    node: "groups",
    name: "List groups",
    help: "List your Messenger groups and their room addresses (join them as group chats)",
    access: "registered",
    async start(caller: CommandCaller): Promise<ResultStep> {
      const rooms = await ctx.rooms.list(sessionOf(ctx, caller.jid));
      if (rooms.length === 0) {
        return {
          kind: "result",
          note: "You are in no Messenger group the gateway knows of (groups are found among " +
            "your recent conversations at each login)",
        };
      }
      return {
        kind: "result",
        note: `${rooms.length} group${rooms.length === 1 ? "" : "s"}: join a room address as a ` +
          "group chat",
        table: {
          columns: [
            { name: "name", label: "Name" },
            { name: "jid", label: "Room address" },
            { name: "members", label: "Members" },
          ],
          rows: rooms.map((room) => ({
            name: room.name ?? "(no name)",
            jid: contactJid(ctx, room.thread),
            members: room.members === undefined ? "?" : String(room.members),
          })),
        },
      };
    },
  };
}

/** The `create-group` command. */
export function createGroupCommand(ctx: CommandContext): Command {
  return {
    node: "create-group",
    name: "Create a group",
    help: "Create a Messenger group with some of your contacts (a new group chat)",
    access: "registered",
    start(caller: CommandCaller): FormStep {
      const session = sessionOf(ctx, caller.jid);
      const messenger = messengerOf(ctx, caller.jid);
      const create = requireCapability(messenger, "createGroup", "create groups");
      return {
        kind: "form",
        title: "Create a Messenger group",
        instructions: "Name the group and choose at least two people: from your contacts, or " +
          "by address (one per line: a contact address, or a Messenger id).",
        final: true,
        fields: [
          { name: "name", type: "text-single", label: "Group name", required: true },
          {
            name: "contacts",
            type: "list-multi",
            label: "Contacts",
            options: session.contacts.map((card) => ({ value: card.id, label: card.name })),
          },
          { name: "others", type: "text-multi", label: "Other people (addresses or ids)" },
        ],
        async submit(values) {
          const name = String(values.name ?? "").trim();
          if (name === "") throw new CommandError("bad_input", "Group name: give the group a name");
          const members = new Set<UserId>();
          for (const id of asList(values.contacts)) members.add(asUserId(id));
          for (const line of asList(values.others).flatMap((text) => text.split(/[\s,]+/))) {
            if (line.trim() === "") continue;
            const id = userIdOf(line.trim().split("@")[0]);
            if (!id) {
              throw new CommandError(
                "bad_input",
                `Other people: ${line.trim()} is not a contact address or a Messenger id`,
              );
            }
            members.add(id);
          }
          if (members.size < 2) {
            throw new CommandError("bad_input", "Contacts: choose at least two people");
          }
          const thread = await messengerCall(() => create([...members], name));
          await ctx.rooms.joined(session, thread);
          return {
            kind: "result",
            note: `Created the group ${name}: its room is ${contactJid(ctx, thread)} ` +
              "(put into your bookmarks where your server allows it)",
          };
        },
      };
    },
  };
}

/** The `leave-group` command. */
export function leaveGroupCommand(ctx: CommandContext): Command {
  return {
    node: "leave-group",
    name: "Leave a group",
    help: "Leave one of your Messenger groups for good",
    access: "registered",
    async start(caller: CommandCaller): Promise<FormStep> {
      const session = sessionOf(ctx, caller.jid);
      const rooms = await ctx.rooms.list(session);
      if (rooms.length === 0) {
        throw new CommandError("not_found", "You are in no Messenger group the gateway knows of");
      }
      return {
        kind: "form",
        title: "Leave a Messenger group",
        instructions: "You leave the group on Messenger too: its members see that you left.",
        final: true,
        fields: [{
          name: "group",
          type: "list-single",
          label: "Group",
          required: true,
          options: rooms.map((room) => ({ value: room.thread, label: room.name ?? room.thread })),
        }],
        async submit(values) {
          const thread = String(values.group ?? "") as ThreadId;
          const room = rooms.find((candidate) => candidate.thread === thread);
          if (!room) throw new CommandError("bad_input", "Group: choose one of your groups");
          try {
            await ctx.rooms.act(session, thread, { kind: "leave" });
          } catch (error) {
            if (error instanceof MessageRefused) {
              throw new CommandError("unavailable", error.failure.text);
            }
            throw error;
          }
          return { kind: "result", note: `You left ${room.name ?? "the group"}` };
        },
      };
    },
  };
}

function asList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === "string" && value !== "") return value.split("\n");
  return [];
}
