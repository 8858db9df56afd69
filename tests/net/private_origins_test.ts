import assert from "node:assert/strict";
import { privateOrigins } from "../../src/net/private_origins.ts";

Deno.test("links users send never reach the network's file server; Messenger's URLs may", () => {
  const files: { origin?: string } = {};
  const origins = privateOrigins({ networkMedia: () => files.origin, admin: [] });
  assert.equal(origins.fromMessenger("http://127.0.0.1:4000"), false, "no file server yet");
  files.origin = "http://127.0.0.1:4000"; // the file server started
  assert.equal(origins.fromMessenger("http://127.0.0.1:4000"), true);
  assert.equal(origins.fromMessenger("http://127.0.0.1:4001"), false, "exact port");
  assert.equal(origins.fromMessenger("http://localhost:4000"), false, "exact host");
  assert.equal(origins.fromUsers("http://127.0.0.1:4000"), false, "never for users' links");
});

Deno.test("origins the admin lists are allowed for both, nothing else", () => {
  const origins = privateOrigins({
    networkMedia: () => undefined,
    admin: ["http://10.0.0.5:5280"],
  });
  assert.equal(origins.fromUsers("http://10.0.0.5:5280"), true);
  assert.equal(origins.fromMessenger("http://10.0.0.5:5280"), true);
  assert.equal(origins.fromUsers("https://10.0.0.5:5280"), false);
  assert.equal(origins.fromUsers("null"), false);
});
