import assert from "node:assert/strict";
import { leadingQuoteRange, replyFallbackQuote } from "../../src/xmpp/reply_fallback.ts";

Deno.test("the fallback quote names the author and quotes every line", () => {
  assert.equal(replyFallbackQuote("Bob", "hi"), "> Bob wrote:\n> hi\n");
  assert.equal(replyFallbackQuote("Bob", "a\n\nb"), "> Bob wrote:\n> a\n> \n> b\n");
});

Deno.test("a leading quote block and the blank lines after it form the range", () => {
  assert.deepEqual(leadingQuoteRange("> a\n> b\nreply"), { start: 0, end: 8 });
  assert.deepEqual(leadingQuoteRange("> a\n\n\nreply"), { start: 0, end: 6 });
  assert.deepEqual(leadingQuoteRange(">😀\nreply"), { start: 0, end: 3 }, "in code points");
});

Deno.test("no range without a leading quote, or when the quote is all there is", () => {
  assert.equal(leadingQuoteRange("reply\n> later quote"), null);
  assert.equal(leadingQuoteRange("> only a quote"), null);
  assert.equal(leadingQuoteRange("> quote\n\n  "), null);
  assert.equal(leadingQuoteRange(""), null);
});
