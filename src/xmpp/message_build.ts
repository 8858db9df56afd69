/**
 * The one-to-one message stanzas the gateway sends: a contact's message, reaction, retraction,
 * read marker, receipt and chat state, and the error that bounces a user's message.
 *
 * Builders are pure (no clock, no ids invented unless asked): addresses are given, so the same
 * builders make a contact → user stanza and, with the addresses swapped, the user → contact
 * stanza that privileged_carbon.ts wraps to reflect what the user did in the official app.
 *
 * Attachments follow one rule, because clients only show a file inline when the body is its URL
 * and nothing else: a Messenger message becomes its text message first (with the reply and its
 * fallback quote, and the mentions), then one message per attachment (body = URL, XEP-0066 OOB,
 * and its file name, type, size and dimensions as XEP-0447 metadata where known). Attachments
 * that are not files (a location, a link share) get a readable body of their own instead.
 * The first stanza has the message's id; the others {@link attachmentPartId}. A text too long
 * for one stanza under the size cap (stanza_size.ts) is sent as several messages the same way.
 *
 * @module
 */

import { codePointLength, utf16SpanToRange } from "./body_ranges.ts";
import type { BodyMention, ChatState } from "../gateway/message_actions.ts";
import {
  NS_CHAT_MARKERS,
  NS_CHAT_STATES,
  NS_DELAY,
  NS_FALLBACK,
  NS_FASTEN,
  NS_FILE_METADATA,
  NS_HINTS,
  NS_OOB,
  NS_REACTIONS,
  NS_RECEIPTS,
  NS_REFERENCE,
  NS_REPLY,
  NS_RETRACT,
  NS_RETRACT_LEGACY,
  NS_SFS,
  NS_SID,
  NS_URL_DATA,
} from "./namespaces.ts";
import { replyFallbackQuote } from "./reply_fallback.ts";
import type { StanzaError } from "./stanza_error.ts";
import { DEFAULT_MAX_STANZA_BYTES, splitText, textLimitFor, truncateText } from "./stanza_size.ts";
import { type Element, xml } from "./xml.ts";

/** Messages older than this get a XEP-0203 delay stamp by default (slidge's default, 5 min). */
export const DEFAULT_DELAY_THRESHOLD_MS = 5 * 60 * 1000;

/** The body of a retraction, for clients that do not support XEP-0424. */
export const RETRACTION_FALLBACK_TEXT =
  "This person attempted to retract a previous message, but it's unsupported by your client.";

/** Sender and recipient of a stanza. */
export interface Route {
  from: string;
  to: string;
}

/**
 * One attachment as a message: by default its URL is the body (so clients show the file inline)
 * and the XEP-0066 URL, with an optional description (file name, title) and file metadata.
 */
export interface AttachmentLink {
  /** The file's (or page's, or place's) URL; absent for a text-only notice. */
  url?: string;
  /** XEP-0066 `<desc>`: the file name or title. */
  description?: string;
  /** A body other than the bare URL (a location's or link share's readable text). */
  body?: string;
  /** What is known about the file, sent as XEP-0447 metadata next to the URL. */
  file?: FileMetadata;
}

/** XEP-0446 file metadata; every field optional. */
export interface FileMetadata {
  mediaType?: string;
  name?: string;
  /** Bytes. */
  size?: number;
  width?: number;
  height?: number;
  /** XEP-0447 disposition: shown in the conversation, or offered as a download. */
  disposition?: "inline" | "attachment";
}

/** The message being replied to (XEP-0461). */
export interface ReplyReference {
  /** The replied message's id as the recipient's clients know it. */
  id: string;
  /** Its author's JID, as XEP-0461 asks (bare is fine in one-to-one chats). */
  to?: string;
  /** Adds a fallback quote `> author wrote:` for clients without replies. */
  quote?: { author: string; text: string };
}

/** When to stamp a message as delayed: compared with its timestamp. */
export interface DelayPolicy {
  now: number;
  thresholdMs?: number;
  /** The entity that delayed it (the gateway's domain). */
  from?: string;
}

/** One chat message. */
export interface ChatMessageSpec extends Route {
  id: string;
  body: string;
  /** When it was sent (ms since the epoch); with a {@link DelayPolicy}, old ones get `<delay>`. */
  timestamp?: number;
  reply?: ReplyReference;
  /** Mentions with UTF-16 offsets into `body` (Messenger's counting). */
  mentions?: readonly BodyMention[];
  /** Makes it an attachment message: OOB with this URL (the body should be the URL). */
  attachment?: AttachmentLink;
  /** Ask for read markers (XEP-0333); default true. */
  markable?: boolean;
}

/** A Messenger message, which may take several stanzas (see the module's attachment rule). */
export interface ContactMessageSpec extends Route {
  id: string;
  text: string;
  attachments?: readonly AttachmentLink[];
  timestamp?: number;
  reply?: ReplyReference;
  mentions?: readonly BodyMention[];
  /** Ask for read markers (XEP-0333); default true. */
  markable?: boolean;
  /**
   * Texts longer than this (UTF-16 code units) are split into several messages; default: what
   * fits under the default stanza size cap.
   */
  maxTextLength?: number;
}

/** The longest quoted text in a reply's fallback quote (UTF-16 code units); longer is cut. */
export const QUOTE_MAX = 1000;

/** The id of the `index`-th (from 1) extra stanza of a message split for its attachments. */
export function attachmentPartId(messageId: string, index: number): string {
  return `${messageId}#${index}`;
}

/**
 * The stanzas for one Messenger message: the text (if any), then one per attachment. Always at
 * least one stanza (an empty text when there is nothing else); ids are the message id, then
 * {@link attachmentPartId}s. Map every returned id to the Messenger id.
 */
export function buildContactMessages(spec: ContactMessageSpec, delay?: DelayPolicy): Element[] {
  const attachments = spec.attachments ?? [];
  const hasText = spec.text.trim() !== "" || attachments.length === 0;
  const stanzas: Element[] = [];
  const pieces = hasText
    ? splitText(spec.text, spec.maxTextLength ?? textLimitFor(DEFAULT_MAX_STANZA_BYTES))
    : [];
  let offset = 0;
  pieces.forEach((piece, index) => {
    stanzas.push(buildChatMessage({
      from: spec.from,
      to: spec.to,
      id: index === 0 ? spec.id : attachmentPartId(spec.id, stanzas.length),
      body: piece,
      timestamp: spec.timestamp,
      reply: index === 0 ? spec.reply : undefined,
      mentions: mentionsWithin(spec.mentions ?? [], offset, piece.length),
      markable: spec.markable,
    }, delay));
    offset += piece.length;
  });
  attachments.forEach((attachment, index) => {
    const first = !hasText && index === 0;
    stanzas.push(buildChatMessage({
      from: spec.from,
      to: spec.to,
      id: first ? spec.id : attachmentPartId(spec.id, stanzas.length),
      body: attachment.body ?? attachment.url ?? "",
      timestamp: spec.timestamp,
      // The body must stay the bare URL for inline display: the reply goes without its quote.
      reply: first && spec.reply ? { id: spec.reply.id, to: spec.reply.to } : undefined,
      attachment,
      markable: spec.markable,
    }, delay));
  });
  return stanzas;
}

/**
 * A chat message: `markable`, `store` hint, origin-id = id, optional reply with fallback
 * quote (XEP-0461/0428), mentions (XEP-0372), attachment (XEP-0066) and delay (XEP-0203).
 */
export function buildChatMessage(spec: ChatMessageSpec, delay?: DelayPolicy): Element {
  const quote = spec.reply?.quote
    ? replyFallbackQuote(spec.reply.quote.author, truncateText(spec.reply.quote.text, QUOTE_MAX))
    : "";
  const body = quote + spec.body;
  const quoteLength = codePointLength(quote);
  return xml(
    "message",
    { type: "chat", from: spec.from, to: spec.to, id: spec.id },
    xml("body", {}, body),
    spec.reply && xml("reply", { xmlns: NS_REPLY, id: spec.reply.id, to: spec.reply.to }),
    quote !== "" &&
      xml(
        "fallback",
        { xmlns: NS_FALLBACK, for: NS_REPLY },
        xml("body", { start: "0", end: String(quoteLength) }),
      ),
    mentionReferences(spec.body, spec.mentions ?? [], quoteLength),
    spec.attachment?.url !== undefined &&
      xml(
        "x",
        { xmlns: NS_OOB },
        xml("url", {}, spec.attachment.url),
        spec.attachment.description !== undefined &&
          xml("desc", {}, spec.attachment.description),
      ),
    spec.attachment?.url !== undefined && spec.attachment.file &&
      fileSharing(spec.attachment.url, spec.attachment.file),
    spec.markable !== false && xml("markable", { xmlns: NS_CHAT_MARKERS }),
    xml("origin-id", { xmlns: NS_SID, id: spec.id }),
    xml("store", { xmlns: NS_HINTS }),
    delayElement(spec.timestamp, delay),
  );
}

/** XEP-0444: the sender's complete set of reactions to `target` (empty removes them all). */
export function buildReaction(
  spec: Route & { id?: string; target: string; emojis: readonly string[] },
): Element {
  return xml(
    "message",
    { type: "chat", from: spec.from, to: spec.to, id: spec.id ?? crypto.randomUUID() },
    xml(
      "reactions",
      { xmlns: NS_REACTIONS, id: spec.target },
      spec.emojis.map((emoji) => xml("reaction", {}, emoji)),
    ),
    xml("store", { xmlns: NS_HINTS }),
  );
}

/**
 * XEP-0424 version 1 retraction of `target`, with the fallback body and its XEP-0428 marker, a
 * `store` hint (so archives apply it), and the pre-0.4 fastening form for older clients.
 */
export function buildRetraction(spec: Route & { id?: string; target: string }): Element {
  return xml(
    "message",
    { type: "chat", from: spec.from, to: spec.to, id: spec.id ?? crypto.randomUUID() },
    xml("retract", { xmlns: NS_RETRACT, id: spec.target }),
    xml(
      "apply-to",
      { xmlns: NS_FASTEN, id: spec.target },
      xml("retract", { xmlns: NS_RETRACT_LEGACY }),
    ),
    xml("fallback", { xmlns: NS_FALLBACK, for: NS_RETRACT }),
    xml("body", {}, RETRACTION_FALLBACK_TEXT),
    xml("store", { xmlns: NS_HINTS }),
  );
}

/** XEP-0333: the sender has read up to `target`. */
export function buildDisplayedMarker(spec: Route & { id?: string; target: string }): Element {
  return xml(
    "message",
    { type: "chat", from: spec.from, to: spec.to, id: spec.id ?? crypto.randomUUID() },
    xml("displayed", { xmlns: NS_CHAT_MARKERS, id: spec.target }),
  );
}

/** XEP-0184: `target` was delivered (for the gateway: Messenger accepted it). */
export function buildReceipt(spec: Route & { id?: string; target: string }): Element {
  return xml(
    "message",
    { type: "chat", from: spec.from, to: spec.to, id: spec.id ?? crypto.randomUUID() },
    xml("received", { xmlns: NS_RECEIPTS, id: spec.target }),
  );
}

/** XEP-0085 standalone notification (typing…), not worth archiving. */
export function buildChatState(spec: Route & { state: ChatState }): Element {
  return xml(
    "message",
    { type: "chat", from: spec.from, to: spec.to },
    xml(spec.state, { xmlns: NS_CHAT_STATES }),
    xml("no-store", { xmlns: NS_HINTS }),
  );
}

/**
 * Bounces a user's message that could not be delivered: type `error`, from the contact, with the
 * original id (clients mark that message failed) and body, condition and sentence.
 */
export function buildMessageError(
  original: Route & { id?: string; body?: string },
  error: StanzaError,
): Element {
  return xml(
    "message",
    { type: "error", from: original.from, to: original.to, id: original.id },
    original.body !== undefined && xml("body", {}, original.body),
    error.toElement(),
  );
}

/** XEP-0447 stateless file sharing: the file's XEP-0446 metadata and its URL as the source. */
function fileSharing(url: string, file: FileMetadata): Element {
  const size = file.size !== undefined && Number.isSafeInteger(file.size) && file.size >= 0
    ? String(file.size)
    : undefined;
  const dimension = (value: number | undefined) =>
    value !== undefined && Number.isSafeInteger(value) && value > 0 ? String(value) : undefined;
  const width = dimension(file.width);
  const height = dimension(file.height);
  return xml(
    "file-sharing",
    { xmlns: NS_SFS, disposition: file.disposition },
    xml(
      "file",
      { xmlns: NS_FILE_METADATA },
      file.mediaType !== undefined && xml("media-type", {}, file.mediaType),
      file.name !== undefined && xml("name", {}, file.name),
      size !== undefined && xml("size", {}, size),
      width !== undefined && xml("width", {}, width),
      height !== undefined && xml("height", {}, height),
    ),
    xml("sources", {}, xml("url-data", { xmlns: NS_URL_DATA, target: url })),
  );
}

/** The mentions inside `[start, start + length)` of a text, with offsets relative to `start`. */
function mentionsWithin(
  mentions: readonly BodyMention[],
  start: number,
  length: number,
): BodyMention[] {
  return mentions
    .filter((mention) =>
      mention.offset >= start && mention.offset + mention.length <= start + length
    )
    .map((mention) => ({ ...mention, offset: mention.offset - start }));
}

/** XEP-0372 references for the mentions; offsets shifted past the fallback quote. */
function mentionReferences(
  text: string,
  mentions: readonly BodyMention[],
  shift: number,
): Element[] {
  return mentions.flatMap((mention) => {
    const range = utf16SpanToRange(text, mention);
    if (!range || range.end === range.start) return [];
    return [xml("reference", {
      xmlns: NS_REFERENCE,
      type: "mention",
      uri: `xmpp:${encodeURI(mention.jid)}`,
      begin: String(range.start + shift),
      end: String(range.end + shift),
    })];
  });
}

function delayElement(
  timestamp: number | undefined,
  policy: DelayPolicy | undefined,
): Element | null {
  if (timestamp === undefined || !policy) return null;
  if (policy.now - timestamp <= (policy.thresholdMs ?? DEFAULT_DELAY_THRESHOLD_MS)) return null;
  return xml("delay", {
    xmlns: NS_DELAY,
    stamp: new Date(timestamp).toISOString(),
    from: policy.from,
  });
}
