/**
 * What a user's `<message>` to a contact asks for, as typed values: the output of
 * message_parse.ts and the vocabulary the gateway's message handling is written in.
 *
 * One stanza may carry several things at once (a text, a chat state and a receipt request is
 * the common case), so a parsed message is an envelope with a list of actions in the order they
 * should be applied: the content action first (text, correction, retraction or reaction), then
 * markers, then the chat state.
 *
 * Offsets are UTF-16 (JavaScript and Messenger counting), already converted from XMPP's code
 * points and relative to the body after the reply fallback was removed.
 *
 * @module
 */

/** XEP-0085 chat states. */
export type ChatState = "active" | "composing" | "paused" | "inactive" | "gone";

/** The chat states, for validation and iteration. */
export const CHAT_STATES: readonly ChatState[] = [
  "active",
  "composing",
  "paused",
  "inactive",
  "gone",
];

/** RFC 6121 message types (a missing type means `normal`). */
export type MessageType = "chat" | "normal" | "groupchat" | "headline" | "error";

/** A mention of someone inside a body: their bare JID and where, in UTF-16 units. */
export interface BodyMention {
  jid: string;
  offset: number;
  length: number;
}

/** The message a reply refers to (XEP-0461). */
export interface ReplyTarget {
  /** The replied message's id, as the client knows it. */
  id: string;
  /** The replied message's author, as the client named it (may be a full or bare JID). */
  to?: string;
  /** The fallback quote removed from the body, if any (useful when the id is unknown). */
  fallback?: string;
}

/** The content of a text message or a correction. */
export interface MessageContent {
  /** The text, without the reply fallback and without a body that only repeated the URL. */
  body: string;
  replyTo?: ReplyTarget;
  /** XEP-0066 out-of-band URLs (http or https), in stanza order. */
  attachmentUrls: string[];
  /** XEP-0372 mentions that fall inside `body`. */
  mentions: BodyMention[];
}

/** A new message. */
export interface TextAction {
  kind: "text";
  content: MessageContent;
}

/** XEP-0308: replaces the earlier message `target` (an empty correction parses as a retraction). */
export interface CorrectionAction {
  kind: "correction";
  target: string;
  content: MessageContent;
}

/** XEP-0424: takes back the earlier message `target`. */
export interface RetractionAction {
  kind: "retraction";
  target: string;
}

/** XEP-0444: the user's complete set of reactions to `target` (empty: all removed). */
export interface ReactionAction {
  kind: "reaction";
  target: string;
  emojis: string[];
}

/** XEP-0333 displayed (or acknowledged): the user has read up to `target`. */
export interface DisplayedAction {
  kind: "displayed";
  target: string;
}

/** XEP-0184 receipt or XEP-0333 received marker from the user's client for `target`. */
export interface ReceivedAction {
  kind: "received";
  target: string;
}

/** XEP-0085: the user's typing state changed. */
export interface ChatStateAction {
  kind: "chat_state";
  state: ChatState;
}

/** Everything a user's message can ask the gateway to do. */
export type MessageAction =
  | TextAction
  | CorrectionAction
  | RetractionAction
  | ReactionAction
  | DisplayedAction
  | ReceivedAction
  | ChatStateAction;

/** The `kind` names, for dispatch tables. */
export type MessageActionKind = MessageAction["kind"];

/** A parsed `<message>`: its envelope and what it asks for. */
export interface ParsedMessage {
  type: MessageType;
  /** The stanza's `id` attribute; what later corrections, reactions and replies refer to. */
  id?: string;
  /** XEP-0359 origin-id; some clients refer to messages by it. */
  originId?: string;
  /** XEP-0184: the sender wants a `<received/>` once the message is delivered. */
  receiptRequested: boolean;
  /** XEP-0333: the sender wants chat markers for it. */
  markable: boolean;
  /**
   * In application order. Empty only for `type="error"` messages, which the gateway must
   * never answer (a bounce of a bounce would loop).
   */
  actions: MessageAction[];
}
