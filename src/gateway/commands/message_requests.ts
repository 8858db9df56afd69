/**
 * The `message-requests` command: the user's pending Messenger message requests (who, their XMPP
 * address, a preview), each to accept, decline or leave for later.
 *
 * @module
 */

import type { ThreadId } from "../../messenger/ids.ts";
import {
  type Command,
  type CommandCaller,
  CommandError,
  type CommandStep,
  type Field,
  type FormValues,
  type ResultStep,
} from "../command.ts";
import type { PendingRequest } from "../message_requests.ts";
import { type CommandContext, contactJid } from "./context.ts";
import {
  asCommandError,
  messengerCall,
  messengerOf,
  requireCapability,
  sessionOf,
} from "./failures.ts";

/** At most this many requests are offered in one form (the rest after answering these). */
export const MAX_REQUESTS_PER_FORM = 10;

/** Longest preview shown, in characters. */
const PREVIEW_LENGTH = 120;

/** The answers a request can get. */
const CHOICES = [
  { value: "later", label: "Decide later" },
  { value: "accept", label: "Accept" },
  { value: "decline", label: "Decline" },
];

/** The form field name of a request. */
export function requestField(thread: ThreadId): string {
  return `request-${thread}`;
}

/** The `message-requests` command. */
export function messageRequestsCommand(ctx: CommandContext): Command {
  return {
    node: "message-requests",
    name: "Message requests",
    help: "See messages from people who are not your friends, and accept or decline them",
    access: "registered",
    async start(caller: CommandCaller): Promise<CommandStep> {
      const messenger = messengerOf(ctx, caller.jid);
      const handle = requireCapability(
        messenger,
        "handleMessageRequest",
        "accept or decline message requests",
      );
      const pending = await messengerCall(() =>
        ctx.messageRequests.list(sessionOf(ctx, caller.jid), messenger)
      );
      if (pending.length === 0) {
        return { kind: "result", note: "You have no pending message requests" };
      }
      const shown = pending.slice(0, MAX_REQUESTS_PER_FORM);
      const more = pending.length - shown.length;
      return {
        kind: "form",
        title: "Message requests",
        instructions:
          `${pending.length} pending message request${
            pending.length === 1 ? "" : "s"
          }. Accepting moves a conversation to your chats; declining removes it from your ` +
          "requests." + (more > 0 ? ` ${more} more after these.` : ""),
        final: true,
        fields: shown.map((request) => requestQuestion(ctx, request)),
        async submit(values: FormValues): Promise<ResultStep> {
          const accept = shown.filter((r) => values[requestField(r.thread)] === "accept");
          const decline = shown.filter((r) => values[requestField(r.thread)] === "decline");
          const describe = (requests: PendingRequest[]) =>
            requests.map((r) => `${r.name} (${contactJid(ctx, r.thread)})`).join(", ");
          const sentences: string[] = [];
          if (accept.length > 0) {
            const threads = accept.map((r) => r.thread);
            await messengerCall(() => handle(threads, true));
            await ctx.messageRequests.answered(sessionOf(ctx, caller.jid), threads);
            sentences.push(`Accepted: ${describe(accept)}. Write to them at that address.`);
          }
          if (decline.length > 0) {
            const threads = decline.map((r) => r.thread);
            try {
              await handle(threads, false);
            } catch (error) {
              const failure = asCommandError(error);
              if (!(failure instanceof CommandError) || sentences.length === 0) throw failure;
              throw new CommandError(
                failure.kind,
                `${sentences.join(" ")} But declining failed: ${failure.message}`,
              );
            }
            await ctx.messageRequests.answered(sessionOf(ctx, caller.jid), threads);
            sentences.push(`Declined: ${describe(decline)}.`);
          }
          const later = shown.length - accept.length - decline.length + more;
          if (sentences.length === 0) {
            return { kind: "result", note: "Nothing changed: every request is left for later" };
          }
          if (later > 0) {
            sentences.push(`${later} left for later: run 'message-requests' again to see them.`);
          }
          return { kind: "result", note: sentences.join(" ") };
        },
      };
    },
  };
}

function requestQuestion(ctx: CommandContext, request: PendingRequest): Field {
  const who = request.isGroup ? `${request.name} (group)` : request.name;
  return {
    name: requestField(request.thread),
    type: "list-single",
    label: `${who}: ${contactJid(ctx, request.thread)}`,
    description: request.preview === undefined
      ? "No preview of their message"
      : `“${shorten(request.preview)}”`,
    value: "later",
    options: CHOICES,
  };
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const chars = [...flat];
  return chars.length <= PREVIEW_LENGTH ? flat : `${chars.slice(0, PREVIEW_LENGTH - 1).join("")}…`;
}
