/**
 * Turns a user's `<message>` to a contact into typed actions ({@link ParsedMessage}).
 *
 * Reads what XMPP clients send in one-to-one chats: text with XEP-0461 replies (fallback removed),
 * XEP-0066 attachment URLs and XEP-0372 mentions; XEP-0308 corrections; XEP-0424 retractions
 * (version 1 and the older XEP-0422 fastening form); XEP-0444 reactions; XEP-0333 markers;
 * XEP-0184 receipts; XEP-0085 chat states; the XEP-0359 origin-id.
 *
 * Never throws: malformed or absurd input (an empty message, a 5000-character id, 50 reactions,
 * lone surrogates, an encrypted message the gateway cannot read) comes back as a
 * {@link MessageParseError} carrying the stanza error condition and a sentence for the user.
 * It does not decide anything Messenger-specific (one reaction per message, text length): that
 * is the gateway's business, with the same error type available to it.
 *
 * @module
 */

import {
  CHAT_STATES,
  type ChatState,
  type MessageAction,
  type MessageType,
  type ParsedMessage,
} from "../gateway/message_actions.ts";
import { checkCharacters, checkId, parseMessageContent } from "./message_content_parse.ts";
import {
  DEFAULT_MESSAGE_LIMITS,
  type MessageLimits,
  MessageParseError,
} from "./message_parse_error.ts";
import {
  NS_CHAT_MARKERS,
  NS_CHAT_STATES,
  NS_CORRECT,
  NS_EME,
  NS_FASTEN,
  NS_OMEMO,
  NS_OMEMO_LEGACY,
  NS_OPENPGP,
  NS_PGP_LEGACY,
  NS_REACTIONS,
  NS_RECEIPTS,
  NS_RETRACT,
  NS_RETRACT_LEGACY,
  NS_SID,
} from "./namespaces.ts";
import type { Element } from "./xml.ts";

/** The outcome of parsing: the message, or why it is refused. */
export type MessageParseResult =
  | { ok: true; message: ParsedMessage }
  | { ok: false; error: MessageParseError };

/** Parses a user's message; see the module documentation. Never throws. */
export function parseUserMessage(
  stanza: Element,
  limits: Partial<MessageLimits> = {},
): MessageParseResult {
  try {
    return { ok: true, message: parse(stanza, { ...DEFAULT_MESSAGE_LIMITS, ...limits }) };
  } catch (error) {
    if (error instanceof MessageParseError) return { ok: false, error };
    return {
      ok: false,
      error: new MessageParseError("bad-request", "The message could not be read"),
    };
  }
}

function parse(stanza: Element, limits: MessageLimits): ParsedMessage {
  if (stanza.name !== "message") {
    throw new MessageParseError("bad-request", `Expected a message, got a ${stanza.name}`);
  }
  const type = messageType(stanza.attrs.type);
  const id = stanza.attrs.id;
  if (id !== undefined) checkId(id, "The message id", limits);
  const originIdAttr = stanza.getChild("origin-id", NS_SID)?.attrs.id;
  const originId = originIdAttr === undefined
    ? undefined
    : checkId(originIdAttr, "The origin-id", limits);
  const envelope = {
    type,
    ...(id !== undefined ? { id } : {}),
    ...(originId !== undefined ? { originId } : {}),
    receiptRequested: stanza.getChild("request", NS_RECEIPTS) !== undefined,
    markable: stanza.getChild("markable", NS_CHAT_MARKERS) !== undefined,
  };
  if (type === "error") return { ...envelope, actions: [] };

  refuseEncrypted(stanza);
  const actions: MessageAction[] = [];
  const content = contentAction(stanza, limits);
  if (content) actions.push(content);
  actions.push(...markerActions(stanza, limits));
  const state = chatState(stanza);
  if (state) actions.push({ kind: "chat_state", state });

  if (actions.length === 0) {
    throw new MessageParseError(
      "not-acceptable",
      "The message is empty: it has no text, attachment or other content the gateway understands",
    );
  }
  return { ...envelope, actions };
}

/** RFC 6121 §5.2.2: a missing or unknown type is `normal`. */
function messageType(type: string | undefined): MessageType {
  switch (type) {
    case "chat":
    case "groupchat":
    case "headline":
    case "error":
      return type;
    default:
      return "normal";
  }
}

/**
 * The one content action, by precedence: a retraction or a reaction carry a fallback body
 * that must not be sent as text, and a correction is text that replaces.
 */
function contentAction(stanza: Element, limits: MessageLimits): MessageAction | null {
  const retraction = retractionTarget(stanza, limits);
  if (retraction !== null) return { kind: "retraction", target: retraction };

  const reactions = stanza.getChild("reactions", NS_REACTIONS);
  if (reactions) {
    const target = requiredId(reactions, "The reaction", limits);
    return { kind: "reaction", target, emojis: readReactions(reactions, limits) };
  }

  const replace = stanza.getChild("replace", NS_CORRECT);
  if (replace) {
    const target = requiredId(replace, "The correction", limits);
    const content = parseMessageContent(stanza, limits);
    if (content.body === "" && content.attachmentUrls.length === 0) {
      return { kind: "retraction", target };
    }
    return { kind: "correction", target, content };
  }

  const content = parseMessageContent(stanza, limits);
  if (content.body === "" && content.attachmentUrls.length === 0) return null;
  return { kind: "text", content };
}

/** XEP-0424 version 1, or the pre-0.4 form `<apply-to id><retract xmlns=…:0/></apply-to>`. */
function retractionTarget(stanza: Element, limits: MessageLimits): string | null {
  const retract = stanza.getChild("retract", NS_RETRACT);
  if (retract) return requiredId(retract, "The retraction", limits);
  const applyTo = stanza.getChild("apply-to", NS_FASTEN);
  if (applyTo?.getChild("retract", NS_RETRACT_LEGACY)) {
    return requiredId(applyTo, "The retraction", limits);
  }
  return null;
}

function readReactions(reactions: Element, limits: MessageLimits): string[] {
  const emojis: string[] = [];
  for (const reaction of reactions.getChildren("reaction")) {
    const text = reaction.getText().trim();
    if (text === "") continue;
    if (text.length > limits.maxReactionLength) {
      throw new MessageParseError(
        "not-acceptable",
        `A reaction is too long: ${text.length} characters (at most ${limits.maxReactionLength})`,
      );
    }
    checkCharacters(text, "A reaction");
    if (!isEmoji(text)) {
      throw new MessageParseError("not-acceptable", `A reaction must be one emoji, not: ${text}`);
    }
    if (!emojis.includes(text)) emojis.push(text);
  }
  if (emojis.length > limits.maxReactions) {
    throw new MessageParseError(
      "not-acceptable",
      `Too many reactions to one message: ${emojis.length} (at most ${limits.maxReactions})`,
    );
  }
  return emojis;
}

const RGI_EMOJI = /^\p{RGI_Emoji}$/v;
/** Pictographs clients send without the emoji variation selector (❤ for ❤️), or with a skin tone. */
const LOOSE_EMOJI = /^\p{Extended_Pictographic}\uFE0F?[\u{1F3FB}-\u{1F3FF}]?$/u;

/** One emoji (an RGI sequence, or a lone pictograph), which is all XEP-0444 allows. */
function isEmoji(text: string): boolean {
  return RGI_EMOJI.test(text) || LOOSE_EMOJI.test(text);
}

function markerActions(stanza: Element, limits: MessageLimits): MessageAction[] {
  const actions: MessageAction[] = [];
  const displayed = stanza.getChild("displayed", NS_CHAT_MARKERS) ??
    stanza.getChild("acknowledged", NS_CHAT_MARKERS);
  if (displayed) {
    actions.push({ kind: "displayed", target: requiredId(displayed, "The read marker", limits) });
  }
  const received = stanza.getChild("received", NS_RECEIPTS) ??
    stanza.getChild("received", NS_CHAT_MARKERS);
  if (received) {
    actions.push({ kind: "received", target: requiredId(received, "The receipt", limits) });
  }
  return actions;
}

function chatState(stanza: Element): ChatState | undefined {
  for (const child of stanza.getChildElements()) {
    if (child.attrs.xmlns !== NS_CHAT_STATES) continue;
    const state = CHAT_STATES.find((name) => name === child.name);
    if (state) return state;
  }
  return undefined;
}

/**
 * The gateway cannot read end-to-end encrypted messages, and forwarding their fallback body
 * ("I sent you an OMEMO encrypted message…") would be worse than refusing them clearly.
 */
function refuseEncrypted(stanza: Element): void {
  const encrypted = stanza.getChild("encrypted", NS_OMEMO_LEGACY) ??
    stanza.getChild("encrypted", NS_OMEMO) ?? stanza.getChild("openpgp", NS_OPENPGP) ??
    stanza.getChild("x", NS_PGP_LEGACY) ?? stanza.getChild("encryption", NS_EME);
  if (encrypted) {
    throw new MessageParseError(
      "not-acceptable",
      "Encrypted messages cannot be bridged to Messenger: turn off encryption (OMEMO, OpenPGP) " +
        "for this contact",
    );
  }
}

function requiredId(element: Element, what: string, limits: MessageLimits): string {
  const id = element.attrs.id;
  if (id === undefined) {
    throw new MessageParseError("bad-request", `${what} names no message: its id is missing`);
  }
  return checkId(id, `The id in ${what.charAt(0).toLowerCase()}${what.slice(1)}`, limits);
}
