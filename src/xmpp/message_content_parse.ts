/**
 * Reads the content of a user's text message or correction: the body without its reply
 * fallback, the reply target, XEP-0066 attachment URLs and XEP-0372 mentions.
 *
 * Throws {@link MessageParseError} for malformed or absurd content; message_parse.ts turns that
 * into a result. Best effort where the protocols are loose: unusable fallback ranges fall back
 * to removing a leading `> ` quote, unusable mentions are dropped rather than refused.
 *
 * @module
 */

import { type CodePointRange, cutRanges, isValidRange } from "./body_ranges.ts";
import type { MessageContent, ReplyTarget } from "../gateway/message_actions.ts";
import { type MessageLimits, MessageParseError } from "./message_parse_error.ts";
import { NS_FALLBACK, NS_FALLBACK_LEGACY, NS_OOB, NS_REFERENCE, NS_REPLY } from "./namespaces.ts";
import { leadingQuoteRange } from "./reply_fallback.ts";
import type { Element } from "./xml.ts";

/** Reads a message's content; throws MessageParseError when it is malformed or too big. */
export function parseMessageContent(stanza: Element, limits: MessageLimits): MessageContent {
  const original = readBody(stanza, limits);
  const reply = readReply(stanza, limits);
  const points = Array.from(original);
  const fallbackRanges = reply ? replyFallbackRanges(stanza, original, points.length) : [];
  const cut = cutRanges(original, fallbackRanges);
  let body = cut.text;
  let mentions = readMentions(stanza, limits).flatMap(({ jid, range }) => {
    const span = cut.relocate(range);
    return span && span.length > 0 ? [{ jid, ...span }] : [];
  });
  const attachmentUrls = readAttachmentUrls(stanza, limits);
  if (attachmentUrls.length > 0 && bodyOnlyRepeats(body, attachmentUrls)) {
    body = "";
    mentions = [];
  }
  if (body.trim() === "") {
    body = "";
    mentions = [];
  }
  const replyTo: ReplyTarget | undefined = reply
    ? {
      ...reply,
      ...(fallbackRanges.length > 0
        ? { fallback: fallbackRanges.map((r) => points.slice(r.start, r.end).join("")).join("") }
        : {}),
    }
    : undefined;
  return { body, ...(replyTo ? { replyTo } : {}), attachmentUrls, mentions };
}

/** Checks an id taken from the stanza; `what` names it in the error sentence. */
export function checkId(id: string, what: string, limits: MessageLimits): string {
  if (id === "") throw new MessageParseError("bad-request", `${what} is empty`);
  if (id.length > limits.maxIdLength) {
    throw new MessageParseError(
      "bad-request",
      `${what} is too long: ${id.length} characters (at most ${limits.maxIdLength})`,
    );
  }
  checkCharacters(id, what);
  return id;
}

/** Refuses lone surrogates (XML cannot carry them, but character references can smuggle them). */
export function checkCharacters(text: string, what: string): void {
  if (!text.isWellFormed()) {
    throw new MessageParseError("bad-request", `${what} contains invalid characters`);
  }
}

/** The body: the one without `xml:lang`, else the first; "" when there is none. */
function readBody(stanza: Element, limits: MessageLimits): string {
  const bodies = stanza.getChildren("body").filter(isClientChild);
  const chosen = bodies.find((body) => body.attrs["xml:lang"] === undefined) ?? bodies[0];
  const text = chosen?.getText() ?? "";
  if (text.length > limits.maxBodyLength) {
    throw new MessageParseError(
      "not-acceptable",
      `The message is too long: ${text.length} characters (at most ${limits.maxBodyLength})`,
    );
  }
  checkCharacters(text, "The message");
  return text;
}

function readReply(stanza: Element, limits: MessageLimits): Omit<ReplyTarget, "fallback"> | null {
  const reply = stanza.getChild("reply", NS_REPLY);
  if (!reply) return null;
  const id = reply.attrs.id;
  if (id === undefined) {
    throw new MessageParseError("bad-request", "The reply names no message: its id is missing");
  }
  checkId(id, "The id of the replied message", limits);
  // Informative only (the id is what matters): an unusable author is dropped, not refused.
  const to = reply.attrs.to;
  return to && to.length <= 3071 && to.isWellFormed() ? { id, to } : { id };
}

/**
 * The ranges marked as reply fallback (XEP-0428, either namespace), or a leading quote block
 * when there are none; ranges starting the body also take the blank line after them.
 */
function replyFallbackRanges(stanza: Element, body: string, length: number): CodePointRange[] {
  const ranges: CodePointRange[] = [];
  const fallbacks = [
    ...stanza.getChildren("fallback", NS_FALLBACK),
    ...stanza.getChildren("fallback", NS_FALLBACK_LEGACY),
  ].filter((fallback) => fallback.attrs.for === NS_REPLY);
  for (const fallback of fallbacks) {
    const marked = fallback.getChildren("body");
    if (marked.length === 0) ranges.push({ start: 0, end: length });
    for (const part of marked) {
      const range = { start: toInt(part.attrs.start), end: toInt(part.attrs.end) };
      if (isValidRange(range, length)) ranges.push(range);
    }
  }
  if (ranges.length === 0) {
    const quote = leadingQuoteRange(body);
    return quote ? [quote] : [];
  }
  const points = Array.from(body);
  return ranges.map((range) => {
    if (range.start !== 0) return range;
    let end = range.end;
    while (end < points.length && points[end] === "\n") end++;
    return { start: 0, end };
  });
}

function readMentions(
  stanza: Element,
  limits: MessageLimits,
): { jid: string; range: CodePointRange }[] {
  const found: { jid: string; range: CodePointRange }[] = [];
  for (const reference of stanza.getChildren("reference", NS_REFERENCE)) {
    if (found.length >= limits.maxMentions) break;
    if (reference.attrs.type !== "mention") continue;
    const jid = jidOfUri(reference.attrs.uri);
    const range = { start: toInt(reference.attrs.begin), end: toInt(reference.attrs.end) };
    if (jid && Number.isInteger(range.start) && Number.isInteger(range.end)) {
      found.push({ jid, range });
    }
  }
  return found;
}

/** The bare JID of an `xmpp:` URI (RFC 5122), ignoring a query; null when unusable. */
function jidOfUri(uri: string | undefined): string | null {
  if (!uri?.startsWith("xmpp:") || !uri.isWellFormed()) return null;
  let address = uri.slice("xmpp:".length).split("?")[0].replace(/^\/\//, "");
  try {
    address = decodeURIComponent(address);
  } catch {
    return null;
  }
  // A room occupant is named by a full JID (room/nick, and nicks may hold spaces).
  const slash = address.indexOf("/");
  const bare = slash < 0 ? address : address.slice(0, slash);
  const resource = slash < 0 ? "" : address.slice(slash + 1);
  if (bare === "" || /\s/.test(bare) || bare.length > 3071) return null;
  const control = [...resource].some((char) => char.charCodeAt(0) < 0x20);
  if (resource.length > 1023 || control) return null;
  return resource === "" ? bare : `${bare}/${resource}`;
}

function readAttachmentUrls(stanza: Element, limits: MessageLimits): string[] {
  const urls: string[] = [];
  for (const oob of stanza.getChildren("x", NS_OOB)) {
    const url = oob.getChildText("url")?.trim();
    if (url) urls.push(url);
  }
  if (urls.length > limits.maxAttachmentUrls) {
    throw new MessageParseError(
      "not-acceptable",
      `Too many attachments in one message: ${urls.length} (at most ${limits.maxAttachmentUrls})`,
    );
  }
  for (const url of urls) checkUrl(url, limits);
  return [...new Set(urls)];
}

function checkUrl(url: string, limits: MessageLimits): void {
  if (url.length > limits.maxUrlLength) {
    throw new MessageParseError(
      "bad-request",
      `The attachment address is too long: ${url.length} characters (at most ${limits.maxUrlLength})`,
    );
  }
  checkCharacters(url, "The attachment address");
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    const shown = url.length > 80 ? `${url.slice(0, 80)}…` : url;
    throw new MessageParseError(
      "bad-request",
      `The attachment address is not an http(s) URL: ${shown}`,
    );
  }
}

/** Clients put the URL in the body for clients without OOB; that body is not a caption. */
function bodyOnlyRepeats(body: string, urls: string[]): boolean {
  const words = body.trim().split(/\s+/).filter((word) => word !== "");
  return words.length > 0 && words.every((word) => urls.includes(word));
}

/** Children of the stanza in its own (client) namespace, not some extension's `<body>`. */
function isClientChild(child: Element): boolean {
  const ns = child.attrs.xmlns;
  return ns === undefined || ns === "jabber:client" || ns === "jabber:component:accept";
}

function toInt(value: string | undefined): number {
  return value !== undefined && /^[0-9]{1,9}$/.test(value) ? Number(value) : NaN;
}
