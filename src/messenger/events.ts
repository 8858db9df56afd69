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
  sender?: UserId;
  text?: string;
}

/** A new message in a thread (a reply when `replyTo` is set). */
export interface MessageEvent {
  type: "message";
  thread: ThreadId;
  isGroup: boolean;
  id: MessageId;
  sender: UserId;
  text: string;
  attachments: Attachment[];
  mentions: Mention[];
  replyTo?: RepliedMessage;
  timestamp: number;
  fromSelf: boolean;
}

/** A reaction set or removed (`reaction` is `""` when removed); one per user per message. */
export interface ReactionEvent {
  type: "reaction";
  thread: ThreadId;
  messageId: MessageId;
  reactor: UserId;
  reaction: string;
  timestamp: number;
  fromSelf: boolean;
}

/** A message was unsent (retracted) by its author. */
export interface UnsendEvent {
  type: "unsend";
  thread: ThreadId;
  messageId: MessageId;
  sender: UserId;
  timestamp: number;
  fromSelf: boolean;
}

/** Someone read a thread up to `timestamp`. */
export interface ReadReceiptEvent {
  type: "read_receipt";
  thread: ThreadId;
  reader: UserId;
  timestamp: number;
  fromSelf: boolean;
}

/** Someone started or stopped typing. */
export interface TypingEvent {
  type: "typing";
  thread: ThreadId;
  user: UserId;
  typing: boolean;
  fromSelf: boolean;
}

/** A contact's online state changed. */
export interface PresenceEvent {
  type: "presence";
  user: UserId;
  online: boolean;
  lastActive?: number;
}

/** A group was renamed. */
export interface ThreadRenamedEvent {
  type: "thread_renamed";
  thread: ThreadId;
  author: UserId;
  name: string;
  timestamp: number;
}

/** Users were added to a group. */
export interface ParticipantsAddedEvent {
  type: "participants_added";
  thread: ThreadId;
  author: UserId;
  users: { id: UserId; name?: string }[];
  timestamp: number;
}

/** A user left (or was removed from) a group; `author` is who did it. */
export interface ParticipantLeftEvent {
  type: "participant_left";
  thread: ThreadId;
  author: UserId;
  user: UserId;
  timestamp: number;
}

/** A group's picture changed (`url` absent when removed). */
export interface ThreadImageEvent {
  type: "thread_image";
  thread: ThreadId;
  author: UserId;
  url?: string;
  timestamp: number;
}

/** The session's connection state changed. */
export interface ConnectionEvent {
  type: "connection";
  state: ConnectionState;
}

/** Everything a Messenger session can tell the gateway. */
export type RemoteEvent =
  | MessageEvent
  | ReactionEvent
  | UnsendEvent
  | ReadReceiptEvent
  | TypingEvent
  | PresenceEvent
  | ThreadRenamedEvent
  | ParticipantsAddedEvent
  | ParticipantLeftEvent
  | ThreadImageEvent
  | ConnectionEvent;

/** The `type` names, for dispatch tables and statistics. */
export type RemoteEventType = RemoteEvent["type"];
