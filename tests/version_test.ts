import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { PROGRAM_NAME, VERSION } from "../src/version.ts";

Deno.test("the program version equals the version in deno.json", () => {
  assert.equal(typeof denoJson.version, "string");
  assert.equal(VERSION, denoJson.version);
});

Deno.test("the version is a semantic version and the program name is set", () => {
  assert.match(VERSION, /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/);
  assert.equal(PROGRAM_NAME, "messenger-gateway");
});
