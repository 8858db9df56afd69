/**
 * Normalized events coming from Messenger, as a discriminated union on `type`.
 *
 * Both implementations (the fca adapter and the simulated network) emit exactly these shapes;
 * the gateway never sees fca's raw objects. Timestamps are numbers (ms since the epoch), text is
 * valid UTF-8, and `fromSelf` marks what the account itself did elsewhere (the official app), so
 * the gateway can reflect it to the user's XMPP clients.
 *
 * @module
 */

import type { ConnectionState } from "./connection_state.ts";
import type { MessageId, ThreadId, UserId } from "./ids.ts";

/** What kind of file or object an attachment is. */
export type AttachmentKind =
  | "photo"
  | "gif"
  | "video"
  | "audio"
  | "file"
  | "sticker"
  | "share"
  | "location"
  | "unknown";

/** An incoming attachment. `url` may expire: the gateway re-uploads when configured to. */
export interface Attachment {
  kind: AttachmentKind;
  url?: string;
  filename?: string;
  contentType?: string;
  /** Bytes, when known. */
  size?: number;
  width?: number;
  height?: number;
  /** For audio: recorded as a voice message. */
  isVoice?: boolean;
  /** For shares: the page title and description. */
  title?: string;
  description?: string;
  /** For locations. */
  latitude?: number;
  longitude?: number;
}

/** A mention of a user inside a text, by UTF-16 offset and length. */
export interface Mention {
  user: UserId;
  offset: number;
  length: number;
}

/** The message a reply refers to, with what is known of it for a fallback quote. */
export interface RepliedMessage {
  id: MessageId;
  /** Who wrote the replied message, when known. */
  actor?: UserId;
  text?: string;
}

/**
 * Which kind of conversation a thread is. Both are `<digits>@<component>` on the XMPP side, so
 * every event says which one it happened in: a group's events must never reach the user as if a
 * contact named after the group existed.
 */
export type ConversationKind = "direct" | "group";

/**
 * The conversation an event happened in (after mautrix bridgev2's `PortalKey`): the thread id and
 * its kind. For a direct chat the thread id is the other person's user id.
 */
export interface ConversationRef {
  thread: ThreadId;
  kind: ConversationKind;
}

/**
 * What every event inside a conversation carries: where it happened, who did it (`actor`, the one
 * name for the sender, reactor, reader, typist or author), when, and whether the account itself
 * did it elsewhere (`fromSelf`: the official app).
 */
export interface ConversationEventBase {
  conversation: ConversationRef;
  actor: UserId;
  /** ms since the epoch; the receive time where Messenger gives none. */
  timestamp: number;
  fromSelf: boolean;
}

/** A new message in a conversation (a reply when `replyTo` is set). */
export interface MessageEvent extends ConversationEventBase {
  type: "message";
  id: MessageId;
  text: string;
  attachments: Attachment[];
  mentions: Mention[];
  replyTo?: RepliedMessage;
}

/** A reaction set or removed (`reaction` is `""` when removed); one per user per message. */
export interface ReactionEvent extends ConversationEventBase {
  type: "reaction";
  messageId: MessageId;
  reaction: string;
}

/** A message was unsent (retracted) by its author, the actor. */
export interface UnsendEvent extends ConversationEventBase {
  type: "unsend";
  messageId: MessageId;
}

/** The actor read the conversation up to `timestamp`. */
export interface ReadReceiptEvent extends ConversationEventBase {
  type: "read_receipt";
}

/** The actor started or stopped typing. */
export interface TypingEvent extends ConversationEventBase {
  type: "typing";
  typing: boolean;
}

/** The actor renamed a group (`name` is `""` when the name was removed). */
export interface ThreadRenamedEvent extends ConversationEventBase {
  type: "thread_renamed";
  name: string;
}

/** The actor added users to a group. */
export interface ParticipantsAddedEvent extends ConversationEventBase {
  type: "participants_added";
  users: { id: UserId; name?: string }[];
}

/** `user` left a group (the actor is `user`) or was removed from it by the actor. */
export interface ParticipantLeftEvent extends ConversationEventBase {
  type: "participant_left";
  user: UserId;
}

/** The actor changed a group's picture (`url` absent when removed). */
export interface ThreadImageEvent extends ConversationEventBase {
  type: "thread_image";
  url?: string;
}

/**
 * The actor made `user` a group admin (`admin: true`) or took that role away (`false`); the
 * room shows admins as owners.
 */
export interface AdminsChangedEvent extends ConversationEventBase {
  type: "admins_changed";
  user: UserId;
  admin: boolean;
}

/** A contact's online state changed (not tied to a conversation). */
export interface PresenceEvent {
  type: "presence";
  actor: UserId;
  online: boolean;
  lastActive?: number;
}

/** The session's connection state changed. */
export interface ConnectionEvent {
  type: "connection";
  state: ConnectionState;
}

/** Every event that happens inside a conversation. */
export type ConversationEvent =
  | MessageEvent
  | ReactionEvent
  | UnsendEvent
  | ReadReceiptEvent
  | TypingEvent
  | ThreadRenamedEvent
  | ParticipantsAddedEvent
  | ParticipantLeftEvent
  | ThreadImageEvent
  | AdminsChangedEvent;

/** Everything a Messenger session can tell the gateway. */
export type RemoteEvent = ConversationEvent | PresenceEvent | ConnectionEvent;

/** The `type` names, for dispatch tables and statistics. */
export type RemoteEventType = RemoteEvent["type"];

/** True for the events that happen inside a conversation (and so carry one). */
export function isConversationEvent(event: RemoteEvent): event is ConversationEvent {
  return "conversation" in event;
}
