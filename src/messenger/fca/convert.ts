/**
 * fca-unofficial listener events → the normalized {@link RemoteEvent} union.
 *
 * Pure functions over `unknown` JSON (what the Worker posts). Anything unexpected yields `null`
 * and one logged warning, never an exception: a single odd delta must not cost the session.
 * Timestamps become numbers, ids branded strings, mention maps become offsets, and the text of
 * events fca decodes from ClientPayload byte arrays (reactions, replies), which arrives as
 * UTF-8 bytes read as Latin-1, is repaired.
 *
 * @module
 */

import { messengerLog } from "../../log.ts";
import type {
  ConversationKind,
  ConversationRef,
  Mention,
  MessageEvent,
  PresenceEvent,
  RemoteEvent,
  RepliedMessage,
  ThreadImageEvent,
} from "../events.ts";
import { asMessageId, asThreadId, asUserId, type UserId } from "../ids.ts";
import { idText, list, numeric, record, text } from "./_narrow.ts";
import { attachmentFromDelta, attachmentsFromFca } from "./convert_attachment.ts";
import { mentionsFromDelta } from "./delta_mentions.ts";

/** What a conversion needs to know about the session. */
export interface ConversionContext {
  /** The logged-in account, to set `fromSelf`. */
  selfId: UserId;
  /** Whether own messages are wanted (fca's selfListen), for messages rescued from parse errors. */
  selfListen: boolean;
  /** The clock for events fca delivers without a timestamp. */
  now: () => number;
  /**
   * The kind of a thread as Messenger itself named it (a raw delta's thread key, a typing
   * topic, a thread list): beats anything an event suggests.
   */
  exactKindOf?: (thread: string) => ConversationKind | undefined;
  /** The kind of a thread already known to the session (from messages, thread lists, info). */
  kindOf?: (thread: string) => ConversationKind | undefined;
  /**
   * Told when a conversation's kind could not be decided (the account's own act in a thread never
   * seen before): the event says "direct" for now and the session looks the thread up before
   * delivering it.
   */
  undecided?: (thread: string) => void;
}

/**
 * The conversation a thread event happened in. What Messenger named exactly comes first (see
 * {@link ConversionContext.exactKindOf}); then `evidence`, what the event itself suggests (fca's
 * `isGroup`, or an event only groups have); then what the session learned before. Last, fca names
 * a 1:1 thread after the other person, so an act by someone other than the account in a thread
 * not named after them happened in a group.
 */
export function conversationOf(
  thread: string,
  actor: string,
  context: ConversionContext,
  evidence?: ConversationKind,
): ConversationRef {
  let kind = context.exactKindOf?.(thread) ?? evidence ?? context.kindOf?.(thread) ??
    (actor === thread ? "direct" : actor !== context.selfId ? "group" : undefined);
  if (kind === undefined) {
    context.undecided?.(thread);
    kind = "direct";
  }
  return { thread: asThreadId(thread), kind };
}

/**
 * Converts one event from fca's listener data channel, or returns `null` (logged) if unusable.
 * `delta` is a message's raw delta when the Worker kept it: its mentions beat fca's.
 */
export function remoteEventFromFca(
  raw: unknown,
  context: ConversionContext,
  delta?: unknown,
): RemoteEvent | null {
  const event = record(raw);
  const type = text(event?.type);
  if (event === undefined || type === undefined) return reject("an event without a type");
  switch (type) {
    case "message":
      return messageFrom(event, context, false, delta);
    case "message_reply":
      return messageFrom(event, context, true, delta);
    case "message_reaction":
      return reactionFrom(event, context);
    case "message_unsend":
      return unsendFrom(event, context);
    case "event":
      return threadEventFrom(event, context);
    case "change_thread_image":
      return threadImageFrom(event, context);
    case "read_receipt":
      return readReceiptFrom(event, context);
    case "typ":
      return typingFrom(event, context);
    case "presence":
      return presenceFrom(event);
    default:
      messengerLog.debug("Ignored an fca event: {type}", { type });
      return null;
  }
}

/**
 * Rescues the message of an fca `parse_error` (fca drops a whole message when one attachment has
 * a type it does not know): text and metadata come from the raw delta, and each attachment is
 * converted best-effort, unknown ones as `"unknown"`. `null` when the error is not about a
 * NewMessage delta or the delta is unusable.
 */
export function messageFromParseError(
  raw: unknown,
  context: ConversionContext,
): MessageEvent | null {
  const delta = record(record(record(raw)?.res)?.delta);
  if (delta === undefined || delta.class !== "NewMessage") return null;
  const metadata = record(delta.messageMetadata);
  const threadKey = record(metadata?.threadKey);
  const thread = idText(threadKey?.threadFbId) ?? idText(threadKey?.otherUserFbId);
  const id = idText(metadata?.messageId);
  const sender = idText(metadata?.actorFbId);
  if (thread === undefined || id === undefined || sender === undefined) {
    return reject("a NewMessage delta without thread, id or sender");
  }
  const fromSelf = sender === context.selfId;
  if (fromSelf && !context.selfListen) return null;
  const body = text(delta.body) ?? "";
  return {
    type: "message",
    conversation: conversationOf(
      thread,
      sender,
      context,
      idText(threadKey?.threadFbId) !== undefined ? "group" : "direct",
    ),
    actor: asUserId(sender),
    id: asMessageId(id),
    text: body,
    attachments: list(delta.attachments).map(attachmentFromDelta),
    mentions: mentionsFromDelta(delta) ?? [],
    timestamp: numeric(metadata?.timestamp) ?? context.now(),
    fromSelf,
  };
}

/**
 * Undoes UTF-8 bytes decoded as Latin-1 ("â¤" back to "❤"), but only when the text is made of
 * Latin-1 characters, decodes as valid UTF-8 and encodes back to the same bytes; otherwise the
 * text is returned unchanged.
 */
export function repairMisdecodedUtf8(input: string): string {
  let needsRepair = false;
  const bytes = new Uint8Array(input.length);
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    if (code > 0xff) return input;
    if (code >= 0x80) needsRepair = true;
    bytes[i] = code;
  }
  if (!needsRepair) return input;
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return input;
  }
  const again = new TextEncoder().encode(decoded);
  if (again.length !== bytes.length || again.some((byte, i) => byte !== bytes[i])) return input;
  return decoded;
}

/**
 * Turns fca's `{userId: mentionedText}` map into offsets into `body`, searching each text in
 * order (fca loses positions). Texts not found are left out (and logged).
 */
export function mentionsFromFca(body: string, raw: unknown): Mention[] {
  const mentions: Mention[] = [];
  const map = record(raw);
  if (map === undefined) return mentions;
  let cursor = 0;
  for (const [user, value] of Object.entries(map)) {
    const mentioned = text(value);
    if (mentioned === undefined || mentioned === "" || user === "") continue;
    let offset = body.indexOf(mentioned, cursor);
    if (offset < 0) offset = body.indexOf(mentioned);
    if (offset < 0) {
      messengerLog.warn("A mention's text was not found in its message: dropped");
      continue;
    }
    mentions.push({ user: asUserId(user), offset, length: mentioned.length });
    cursor = offset + mentioned.length;
  }
  return mentions.sort((a, b) => a.offset - b.offset);
}

function messageFrom(
  event: Record<string, unknown>,
  context: ConversionContext,
  isReply: boolean,
  delta: unknown,
): MessageEvent | null {
  const thread = idText(event.threadID);
  const id = idText(event.messageID);
  const sender = idText(event.senderID);
  if (thread === undefined || id === undefined || sender === undefined) {
    return reject(`a ${String(event.type)} without threadID, messageID or senderID`);
  }
  // Replies are decoded by fca from a ClientPayload byte array: repair their text.
  const rawBody = text(event.body) ?? "";
  const body = isReply ? repairMisdecodedUtf8(rawBody) : rawBody;
  const mentionMap = isReply ? repairedMentionMap(event.mentions) : event.mentions;
  const { attachments, skipped } = attachmentsFromFca(event.attachments);
  if (skipped > 0) messengerLog.warn("Skipped {skipped} malformed attachment(s)", { skipped });
  const message: MessageEvent = {
    type: "message",
    conversation: conversationOf(thread, sender, context, event.isGroup ? "group" : "direct"),
    actor: asUserId(sender),
    id: asMessageId(id),
    text: body,
    attachments,
    // The raw delta's mentions have exact offsets and every shape; fca's map only the 2020 one.
    mentions: mentionsFromDelta(delta) ?? mentionsFromFca(body, mentionMap),
    timestamp: numeric(event.timestamp) ?? context.now(),
    fromSelf: sender === context.selfId,
  };
  if (isReply) {
    const replyTo = repliedMessageFrom(event);
    if (replyTo !== undefined) message.replyTo = replyTo;
    else messengerLog.warn("A reply without the message it replies to: delivered as a message");
  }
  return message;
}

function repliedMessageFrom(event: Record<string, unknown>): RepliedMessage | undefined {
  const replied = record(event.messageReply);
  const id = idText(replied?.messageID) ??
    // fca leaves the raw delta when it had no replied-to message (and no id to fetch).
    idText(record(record(record(event.delta)?.deltaMessageReply)?.replyToMessageId)?.id);
  if (id === undefined) return undefined;
  const result: RepliedMessage = { id: asMessageId(id) };
  const sender = idText(replied?.senderID);
  if (sender !== undefined) result.actor = asUserId(sender);
  const body = text(replied?.body);
  if (body !== undefined) result.text = repairMisdecodedUtf8(body);
  return result;
}

function repairedMentionMap(raw: unknown): Record<string, string> {
  const repaired: Record<string, string> = {};
  for (const [user, value] of Object.entries(record(raw) ?? {})) {
    if (typeof value === "string") repaired[user] = repairMisdecodedUtf8(value);
  }
  return repaired;
}

function reactionFrom(
  event: Record<string, unknown>,
  context: ConversionContext,
): RemoteEvent | null {
  const thread = idText(event.threadID);
  const messageId = idText(event.messageID);
  const reactor = idText(event.userID);
  if (thread === undefined || messageId === undefined || reactor === undefined) {
    return reject("a message_reaction without threadID, messageID or userID");
  }
  const reaction = text(event.reaction);
  return {
    type: "reaction",
    conversation: conversationOf(thread, reactor, context),
    actor: asUserId(reactor),
    messageId: asMessageId(messageId),
    reaction: reaction === undefined ? "" : repairMisdecodedUtf8(reaction),
    timestamp: numeric(event.timestamp) ?? context.now(),
    fromSelf: reactor === context.selfId,
  };
}

function unsendFrom(
  event: Record<string, unknown>,
  context: ConversionContext,
): RemoteEvent | null {
  const thread = idText(event.threadID);
  const messageId = idText(event.messageID);
  const sender = idText(event.senderID);
  if (thread === undefined || messageId === undefined || sender === undefined) {
    return reject("a message_unsend without threadID, messageID or senderID");
  }
  return {
    type: "unsend",
    conversation: conversationOf(thread, sender, context),
    actor: asUserId(sender),
    messageId: asMessageId(messageId),
    timestamp: numeric(event.deletionTimestamp) ?? numeric(event.timestamp) ?? context.now(),
    fromSelf: sender === context.selfId,
  };
}

function threadEventFrom(event: Record<string, unknown>, context: ConversionContext) {
  const thread = idText(event.threadID);
  const author = idText(event.author);
  const kind = text(event.logMessageType);
  if (thread === undefined || author === undefined || kind === undefined) {
    return reject("an event without threadID, author or logMessageType");
  }
  const data = record(event.logMessageData) ?? {};
  const timestamp = numeric(event.timestamp) ?? context.now();
  // Names, members, admins and pictures change only in groups.
  const common = {
    conversation: conversationOf(thread, author, context, "group"),
    actor: asUserId(author),
    timestamp,
    fromSelf: author === context.selfId,
  };
  switch (kind) {
    case "log:thread-name": {
      const name = text(data.name);
      if (name === undefined) return reject("a thread-name event without a name");
      return { type: "thread_renamed", ...common, name } satisfies RemoteEvent;
    }
    case "log:subscribe": {
      const users: { id: UserId; name?: string }[] = [];
      for (const entry of list(data.addedParticipants)) {
        const fields = record(entry);
        const id = idText(fields?.userFbId);
        if (id === undefined) continue;
        const name = text(fields?.fullName);
        users.push(name === undefined ? { id: asUserId(id) } : { id: asUserId(id), name });
      }
      if (users.length === 0) return reject("a subscribe event without participants");
      return { type: "participants_added", ...common, users } satisfies RemoteEvent;
    }
    case "log:unsubscribe": {
      const user = idText(data.leftParticipantFbId);
      if (user === undefined) return reject("an unsubscribe event without a participant");
      return { type: "participant_left", ...common, user: asUserId(user) } satisfies RemoteEvent;
    }
    case "change_thread_admins": {
      // fca 1.3.10 drops this admin text; the Worker formats it with fca's formatDeltaEvent.
      const user = idText(data.TARGET_ID);
      const admin = ADMIN_EVENTS.get(text(data.ADMIN_EVENT) ?? "");
      if (user === undefined || admin === undefined) {
        return reject("an admin change without TARGET_ID, or with an unknown ADMIN_EVENT");
      }
      return {
        type: "admins_changed",
        ...common,
        user: asUserId(user),
        admin,
      } satisfies RemoteEvent;
    }
    default:
      messengerLog.debug("Ignored a thread event: {kind}", { kind });
      return null;
  }
}

/** What an admin change's `ADMIN_EVENT` says: made an admin, or no longer one. */
const ADMIN_EVENTS = new Map([["add_admin", true], ["remove_admin", false]]);

function threadImageFrom(event: Record<string, unknown>, context: ConversionContext) {
  const thread = idText(event.threadID);
  const author = idText(event.author);
  if (thread === undefined || author === undefined) {
    return reject("a change_thread_image without threadID or author");
  }
  const url = text(record(event.image)?.url);
  const result: ThreadImageEvent = {
    type: "thread_image",
    conversation: conversationOf(thread, author, context, "group"),
    actor: asUserId(author),
    timestamp: numeric(event.timestamp) ?? context.now(),
    fromSelf: author === context.selfId,
  };
  if (url !== undefined && url !== "") result.url = url;
  return result;
}

function readReceiptFrom(event: Record<string, unknown>, context: ConversionContext) {
  const thread = idText(event.threadID);
  const reader = idText(event.reader);
  if (thread === undefined || reader === undefined) {
    return reject("a read_receipt without threadID or reader");
  }
  // fca names a 1:1 thread after the other person, also as the reader of the account's own reads.
  return {
    type: "read_receipt",
    conversation: conversationOf(thread, reader, context, thread === reader ? "direct" : "group"),
    actor: asUserId(reader),
    timestamp: numeric(event.time) ?? context.now(),
    fromSelf: reader === context.selfId,
  } satisfies RemoteEvent;
}

function typingFrom(event: Record<string, unknown>, context: ConversionContext) {
  const thread = idText(event.threadID);
  const user = idText(event.from);
  if (thread === undefined || user === undefined) return reject("a typ without threadID or from");
  // 1:1 typing comes on its own topic, named after the typist; a group's carries the group id.
  return {
    type: "typing",
    conversation: conversationOf(thread, user, context, thread === user ? "direct" : "group"),
    actor: asUserId(user),
    typing: event.isTyping === true,
    timestamp: context.now(),
    fromSelf: user === context.selfId,
  } satisfies RemoteEvent;
}

function presenceFrom(event: Record<string, unknown>) {
  const user = idText(event.userID);
  if (user === undefined) return reject("a presence without userID");
  const result: PresenceEvent = {
    type: "presence",
    actor: asUserId(user),
    // Facebook's presence status: 2 is active, 0 idle/offline.
    online: numeric(event.statuses) === 2,
  };
  const lastActive = numeric(event.timestamp);
  if (lastActive !== undefined && lastActive > 0) result.lastActive = lastActive;
  return result;
}

function reject(what: string): null {
  messengerLog.warn("Dropped an unusable fca event: {what}", { what });
  return null;
}
