import assert from "node:assert/strict";
import {
  contentTypeFor,
  extensionFor,
  filenameFromUrl,
  hasFileExtension,
  isSpecificType,
  safeFilename,
} from "../../src/net/media_types.ts";

Deno.test("content types and extensions convert both ways", () => {
  assert.equal(contentTypeFor("IMG_1.JPG"), "image/jpeg");
  assert.equal(contentTypeFor("voice.opus"), "audio/ogg");
  assert.equal(contentTypeFor("README"), undefined);
  assert.equal(extensionFor("image/jpeg"), "jpg");
  assert.equal(extensionFor("audio/ogg; codecs=opus"), "ogg");
  assert.equal(extensionFor("application/x-unknown"), undefined);
  assert.ok(hasFileExtension("a.pdf"));
  assert.ok(!hasFileExtension("index.html"));
  assert.ok(isSpecificType("image/png"));
  assert.ok(!isSpecificType("application/octet-stream"));
  assert.ok(!isSpecificType(""));
  assert.ok(!isSpecificType(undefined));
});

Deno.test("file names from URLs are decoded and made safe", () => {
  assert.equal(
    filenameFromUrl("https://upload.example.org/abc/photo%201.jpg?x=1"),
    "photo 1.jpg",
  );
  assert.equal(filenameFromUrl("https://example.org/"), undefined);
  assert.equal(filenameFromUrl("https://example.org/page"), undefined);
  assert.equal(filenameFromUrl("https://example.org/a%2F..%2Fb.png"), "a_.._b.png");
  assert.equal(filenameFromUrl("not a url"), undefined);
});

Deno.test("safe file names have no separators or control characters and a bounded length", () => {
  assert.equal(safeFilename("a/b\\c\u0000d.txt"), "a_b_c_d.txt");
  assert.equal(safeFilename("  ..hidden.png "), "hidden.png");
  assert.equal(safeFilename(""), "");
  const long = safeFilename(`${"x".repeat(300)}.jpeg`);
  assert.equal(Array.from(long).length, 100);
  assert.ok(long.endsWith(".jpeg"));
});
