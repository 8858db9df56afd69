import assert from "node:assert/strict";
import { redactValues, Secret } from "../src/secret.ts";

Deno.test("a Secret shows *** as a string, in JSON and when inspected; reveal gives the value", () => {
  const secret = new Secret("hunter2-xyz");
  assert.equal(String(secret), "***");
  assert.equal(`${secret}`, "***");
  assert.equal(JSON.stringify({ secret }), '{"secret":"***"}');
  assert.equal(Deno.inspect({ secret }), "{ secret: *** }");
  assert.equal(secret.reveal(), "hunter2-xyz");
  const jar = new Secret([{ key: "xs", value: "cookie-value" }]);
  assert.doesNotMatch(JSON.stringify(jar) + Deno.inspect(jar) + String(jar), /cookie-value/);
  assert.equal(jar.reveal()[0].value, "cookie-value");
});

Deno.test("redacting free text: only the values given, longest first, also JSON-escaped", () => {
  assert.equal(
    redactValues("tok1-and-more, tok1, other", ["tok1", "tok1-and-more"]),
    "***, ***, other",
  );
  assert.equal(redactValues('{"p":"pa\\"ss"}', ['pa"ss']), '{"p":"***"}');
  assert.equal(redactValues("abc is fine", ["abc", ""]), "abc is fine", "too short to redact");
});
