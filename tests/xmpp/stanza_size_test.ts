import assert from "node:assert/strict";
import {
  fitsIn,
  splitText,
  stanzaBytes,
  textLimitFor,
  truncateText,
  utf8Length,
} from "../../src/xmpp/stanza_size.ts";
import { xml } from "../../src/xmpp/xml.ts";

Deno.test("sizes are UTF-8 bytes, as servers count them", () => {
  assert.equal(utf8Length("abc"), 3);
  assert.equal(utf8Length("é"), 2);
  assert.equal(utf8Length("€"), 3);
  assert.equal(utf8Length("😀"), 4);
  assert.equal(utf8Length(new TextDecoder().decode(new Uint8Array(100).fill(0x41))), 100);
  assert.equal(stanzaBytes(xml("body", {}, "a&b")), "<body>a&amp;b</body>".length);
  assert.ok(fitsIn("é".repeat(10), 20));
  assert.ok(!fitsIn("é".repeat(11), 20));
});

Deno.test("a long text is cut at line breaks or spaces, never inside a surrogate pair", () => {
  const text = "word ".repeat(1000);
  const pieces = splitText(text, 300);
  assert.equal(pieces.join(""), text);
  assert.ok(pieces.every((piece) => piece.length <= 300));
  assert.ok(pieces.slice(0, -1).every((piece) => piece.endsWith(" ")));
  const emoji = "😀".repeat(500);
  const cut = splitText(emoji, 301);
  assert.equal(cut.join(""), emoji);
  assert.ok(cut.every((piece) => piece.isWellFormed()));
  assert.deepEqual(splitText("", 10), [""]);
});

Deno.test("a text at the limit for a cap fits in a stanza under that cap, even escaped", () => {
  const cap = 64 * 1024;
  const body = "&".repeat(textLimitFor(cap));
  const stanza = xml(
    "message",
    { to: "a@b", from: "c@d", id: "x".repeat(100) },
    xml("body", {}, body),
  );
  assert.ok(stanzaBytes(stanza) <= cap, `${stanzaBytes(stanza)}`);
});

Deno.test("a truncated text ends with an ellipsis and stays well formed", () => {
  assert.equal(truncateText("short", 10), "short");
  assert.equal(truncateText("abcdefghijkl", 5), "abcd…");
  assert.ok(truncateText("😀".repeat(10), 6).isWellFormed());
});
