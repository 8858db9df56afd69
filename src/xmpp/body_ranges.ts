/**
 * Positions inside message bodies, converted between the two ways of counting.
 *
 * XMPP counts characters in Unicode code points (XEP-0426), for XEP-0428 fallback ranges and
 * XEP-0372 references; Messenger and JavaScript count UTF-16 code units. An emoji is one code
 * point but two code units, so every offset crossing the border goes through here.
 *
 * @module
 */

/** A part of a body in code points, `end` exclusive (XEP-0426 counting). */
export interface CodePointRange {
  start: number;
  end: number;
}

/** A part of a body in UTF-16 code units (JavaScript string indices). */
export interface Utf16Span {
  offset: number;
  length: number;
}

/** The number of code points of `text`. */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * Converts a UTF-16 span of `text` to a code point range; `null` when it lies outside the
 * text or cuts a surrogate pair in half.
 */
export function utf16SpanToRange(text: string, span: Utf16Span): CodePointRange | null {
  const { offset, length } = span;
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0) {
    return null;
  }
  if (offset + length > text.length) return null;
  if (splitsPair(text, offset) || splitsPair(text, offset + length)) return null;
  const start = codePointLength(text.slice(0, offset));
  return { start, end: start + codePointLength(text.slice(offset, offset + length)) };
}

/** Converts a code point range of `text` to a UTF-16 span; `null` when it lies outside. */
export function rangeToUtf16Span(text: string, range: CodePointRange): Utf16Span | null {
  const points = Array.from(text);
  if (!isValidRange(range, points.length)) return null;
  const offset = points.slice(0, range.start).join("").length;
  return { offset, length: points.slice(range.start, range.end).join("").length };
}

/** True for integer bounds with `0 <= start <= end <= length`. */
export function isValidRange(range: CodePointRange, length: number): boolean {
  return Number.isInteger(range.start) && Number.isInteger(range.end) && range.start >= 0 &&
    range.start <= range.end && range.end <= length;
}

/** The result of cutting ranges out of a body. */
export interface CutBody {
  /** The body without the ranges. */
  text: string;
  /**
   * Where a code point range of the original body ended up in `text`, as a UTF-16 span; `null`
   * when any of it was cut out (or it was out of bounds).
   */
  relocate(range: CodePointRange): Utf16Span | null;
}

/** Removes code point ranges (overlapping or not, in any order; invalid ones ignored). */
export function cutRanges(body: string, ranges: readonly CodePointRange[]): CutBody {
  const points = Array.from(body);
  const cut = new Uint8Array(points.length);
  for (const range of ranges) {
    if (isValidRange(range, points.length)) cut.fill(1, range.start, range.end);
  }
  // newOffset[i]: UTF-16 offset in the result where code point i would be (length + 1 entries).
  const newOffset = new Array<number>(points.length + 1);
  const cutBefore = new Array<number>(points.length + 1);
  let offset = 0;
  let removed = 0;
  let text = "";
  for (let i = 0; i < points.length; i++) {
    newOffset[i] = offset;
    cutBefore[i] = removed;
    if (cut[i]) {
      removed++;
    } else {
      text += points[i];
      offset += points[i].length;
    }
  }
  newOffset[points.length] = offset;
  cutBefore[points.length] = removed;
  return {
    text,
    relocate(range) {
      if (!isValidRange(range, points.length)) return null;
      if (cutBefore[range.end] - cutBefore[range.start] !== 0) return null;
      return {
        offset: newOffset[range.start],
        length: newOffset[range.end] - newOffset[range.start],
      };
    },
  };
}

function splitsPair(text: string, index: number): boolean {
  if (index <= 0 || index >= text.length) return false;
  const before = text.charCodeAt(index - 1);
  const after = text.charCodeAt(index);
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
}
