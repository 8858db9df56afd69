import assert from "node:assert/strict";
import {
  codePointLength,
  cutRanges,
  isValidRange,
  rangeToUtf16Span,
  utf16SpanToRange,
} from "../../src/xmpp/body_ranges.ts";

Deno.test("code points count an emoji once where UTF-16 counts it twice", () => {
  assert.equal(codePointLength("a😀b"), 3);
  assert.equal("a😀b".length, 4);
  assert.equal(codePointLength(""), 0);
});

Deno.test("UTF-16 spans and code point ranges convert both ways", () => {
  const text = "😀 hi @Bob 👋";
  const span = { offset: text.indexOf("@Bob"), length: 4 };
  const range = utf16SpanToRange(text, span);
  assert.deepEqual(range, { start: 5, end: 9 });
  assert.deepEqual(rangeToUtf16Span(text, range!), span);
});

Deno.test("spans outside the text or cutting a surrogate pair convert to null", () => {
  assert.equal(utf16SpanToRange("abc", { offset: 2, length: 5 }), null);
  assert.equal(utf16SpanToRange("abc", { offset: -1, length: 1 }), null);
  assert.equal(utf16SpanToRange("abc", { offset: 0.5, length: 1 }), null);
  assert.equal(utf16SpanToRange("a😀", { offset: 2, length: 1 }), null);
  assert.equal(rangeToUtf16Span("abc", { start: 2, end: 4 }), null);
  assert.equal(rangeToUtf16Span("abc", { start: 2, end: 1 }), null);
});

Deno.test("isValidRange wants integers with 0 <= start <= end <= length", () => {
  assert.ok(isValidRange({ start: 0, end: 0 }, 0));
  assert.ok(isValidRange({ start: 1, end: 3 }, 3));
  assert.ok(!isValidRange({ start: NaN, end: 3 }, 3));
  assert.ok(!isValidRange({ start: 2, end: 1 }, 3));
});

Deno.test("cutRanges removes overlapping ranges in any order and ignores invalid ones", () => {
  const cut = cutRanges("0123456789", [
    { start: 6, end: 8 },
    { start: 0, end: 2 },
    { start: 1, end: 3 },
    { start: 9, end: 20 },
  ]);
  assert.equal(cut.text, "34589");
});

Deno.test("cutRanges relocates kept ranges into the new text and drops cut ones", () => {
  const body = "> 😀 wrote\nhey @Ann 👋";
  const cut = cutRanges(body, [{ start: 0, end: 10 }]);
  assert.equal(cut.text, "hey @Ann 👋");
  const ann = body.indexOf("@Ann");
  const range = utf16SpanToRange(body, { offset: ann, length: 4 })!;
  assert.deepEqual(cut.relocate(range), { offset: 4, length: 4 });
  assert.equal(cut.relocate({ start: 2, end: 12 }), null, "overlaps the cut part");
  assert.equal(cut.relocate({ start: 0, end: 99 }), null, "out of bounds");
  assert.deepEqual(cut.relocate({ start: 19, end: 20 }), { offset: 9, length: 2 }, "an emoji");
});
