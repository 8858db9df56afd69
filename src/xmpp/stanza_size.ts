/**
 * How large a stanza is on the wire, and how text is cut so the gateway's stanzas stay under the
 * cap.
 *
 * An XMPP server refuses a component stanza above its limit (Prosody: 512 KiB) by closing the
 * whole stream: every user's traffic then waits for a reconnection, and whatever was in flight
 * is at risk. The gateway therefore never writes a stanza above `component.max_stanza_size`
 * (well under that limit by default): long texts are split into several messages, large answers
 * are replaced by an error, and anything else too large is refused and logged
 * (component_connection.ts).
 *
 * @module
 */

import type { Element } from "./xml.ts";

/** The default cap on a stanza the gateway writes (bytes): half of Prosody's component limit. */
export const DEFAULT_MAX_STANZA_BYTES = 256 * 1024;

/** The UTF-8 size of `text` in bytes, counting stops once past `limit` (when given). */
export function utf8Length(text: string, limit = Infinity): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (isHighSurrogate(unit) && i + 1 < text.length) {
      bytes += 4; // a surrogate pair: one 4-byte code point
      i++;
    } else bytes += 3;
    if (bytes > limit) return bytes;
  }
  return bytes;
}

/**
 * True when `text` takes at most `maxBytes` in UTF-8. A UTF-16 code unit is at most 3 bytes, so
 * the usual small stanza is not walked at all.
 */
export function fitsIn(text: string, maxBytes: number): boolean {
  return text.length * 3 <= maxBytes || utf8Length(text, maxBytes) <= maxBytes;
}

/** The serialized size of a stanza in bytes (exact). */
export function stanzaBytes(stanza: Element): number {
  return utf8Length(stanza.toString());
}

/**
 * Room kept in a stanza for everything but its text (addresses, ids, reply, markers, delay…),
 * in bytes.
 */
const ENVELOPE_BYTES = 16 * 1024;

/**
 * The longest text (UTF-16 code units) whose stanza surely fits in `maxStanzaBytes`: a code unit
 * takes at most 5 bytes once escaped (`&` → `&amp;`).
 */
export function textLimitFor(maxStanzaBytes: number): number {
  return Math.max(1024, Math.floor((maxStanzaBytes - ENVELOPE_BYTES) / 5));
}

/**
 * Cuts `text` into pieces of at most `maxUnits` UTF-16 code units, at a line break or a space
 * near the end of each piece when there is one, never inside a surrogate pair. The pieces joined
 * give the text back (the break stays at the end of its piece).
 */
export function splitText(text: string, maxUnits: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > maxUnits) {
    let cut = maxUnits;
    const window = rest.slice(Math.floor(maxUnits * 0.8), maxUnits);
    const newline = window.lastIndexOf("\n");
    const space = window.lastIndexOf(" ");
    const soft = newline >= 0 ? newline : space;
    if (soft >= 0) cut = Math.floor(maxUnits * 0.8) + soft + 1;
    else if (isHighSurrogate(rest.charCodeAt(cut - 1))) cut--;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  pieces.push(rest);
  return pieces;
}

/** `text` cut to at most `max` code units (never inside a surrogate pair), "…" ending a cut one. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (isHighSurrogate(text.charCodeAt(end - 1))) end--;
  return `${text.slice(0, end)}…`;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}
