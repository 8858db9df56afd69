/**
 * Finding Messenger users: the `find` command, and the lookups XEP-0055 search and XEP-0100
 * contact addressing use on the XMPP side, so all three find the same people the same way.
 *
 * @module
 */

import { asUserId } from "../../messenger/ids.ts";
import { type Command, type CommandCaller, CommandError, type FormStep } from "../command.ts";
import { type CommandContext, contactJid } from "./context.ts";
import { messengerCall, messengerOf, requireCapability, sessionOf } from "./failures.ts";

/** A Messenger user found by a search, with the JID to write to them. */
export interface FoundUser {
  name: string;
  jid: string;
  isFriend: boolean;
}

/**
 * Searches Messenger users by name with the caller's session. Throws `bad_input` for an empty
 * query, `registration_required` / `unavailable` when the caller cannot search right now.
 */
export async function findUsers(
  ctx: CommandContext,
  jid: string,
  query: string,
): Promise<FoundUser[]> {
  const text = query.trim();
  if (text === "") throw new CommandError("bad_input", "Name: give a name to search for");
  const messenger = messengerOf(ctx, jid);
  const search = requireCapability(messenger, "searchUsers", "search for people");
  const users = await messengerCall(() => search(text));
  // Not every network's search says who is a friend (fca's does not): the friend list does.
  const contacts = sessionOf(ctx, jid);
  return users.map((user) => {
    const card = contacts.contact(user.id);
    return {
      name: user.name,
      jid: contactJid(ctx, user.id),
      isFriend: user.isFriend ?? (card !== undefined && card.isFriend !== false),
    };
  });
}

/**
 * The contact JID for what a user typed (XEP-0100 prompt): a numeric Messenger id maps directly
 * (no login needed); a name is searched, preferring an exact (case-insensitive) match. `null`
 * when nobody matches.
 */
export async function contactJidFor(
  ctx: CommandContext,
  jid: string,
  prompt: string,
): Promise<string | null> {
  const text = prompt.trim();
  if (/^[0-9]{1,25}$/.test(text)) return contactJid(ctx, asUserId(text));
  const found = await findUsers(ctx, jid, text);
  const exact = found.find((user) => user.name.toLowerCase() === text.toLowerCase());
  return (exact ?? found[0])?.jid ?? null;
}

/** The `find` command. */
export function findCommand(ctx: CommandContext): Command {
  return {
    node: "find",
    name: "Find people",
    help: "Search Messenger users by name and get their XMPP addresses",
    access: "registered",
    start(caller: CommandCaller): FormStep {
      messengerOf(ctx, caller.jid);
      return {
        kind: "form",
        title: "Find people on Messenger",
        instructions: "Enter a name (or part of one).",
        final: true,
        fields: [{ name: "query", type: "text-single", label: "Name", required: true }],
        async submit(values) {
          const query = String(values.query ?? "");
          const found = await findUsers(ctx, caller.jid, query);
          if (found.length === 0) {
            return { kind: "result", note: `Nobody on Messenger matches '${query.trim()}'` };
          }
          return {
            kind: "result",
            note: `${found.length} ${found.length === 1 ? "person matches" : "people match"} ` +
              `'${query.trim()}'`,
            table: {
              columns: [
                { name: "name", label: "Name" },
                { name: "jid", label: "XMPP address" },
                { name: "friend", label: "Friend" },
              ],
              rows: found.map((user) => ({
                name: user.name,
                jid: user.jid,
                friend: user.isFriend ? "yes" : "no",
              })),
            },
          };
        },
      };
    },
  };
}
