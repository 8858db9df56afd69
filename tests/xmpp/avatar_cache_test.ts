import assert from "node:assert/strict";
import { asUserId } from "../../src/messenger/ids.ts";
import { AvatarCache, type AvatarHint } from "../../src/xmpp/avatar_cache.ts";
import { ImageFetchError } from "../../src/xmpp/image_fetch.ts";

const ECHO = asUserId("200001");
const BOB = asUserId("200002");

function sha1(text: string): Promise<string> {
  return crypto.subtle.digest("SHA-1", new TextEncoder().encode(text)).then((digest) =>
    Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("")
  );
}

function cache(images: Record<string, string>, options: { maxBytes?: number } = {}) {
  const fetched: string[] = [];
  let now = 0;
  const avatars = new AvatarCache({
    fetch: (url) => {
      fetched.push(url);
      const text = images[url];
      if (text === undefined) return Promise.reject(new ImageFetchError("HTTP 404"));
      return Promise.resolve({ type: "image/png", data: new TextEncoder().encode(text) });
    },
    now: () => now,
    retryAfterMs: 1000,
    ...options,
  });
  const changes: [string, AvatarHint][] = [];
  avatars.onChange((contact, hint) => changes.push([contact, hint]));
  return { avatars, fetched, changes, advance: (ms: number) => (now += ms) };
}

Deno.test("a hint starts one download and reports the hash when it is known", async () => {
  const { avatars, fetched, changes } = cache({ "u1": "echo" });
  assert.deepEqual(avatars.hint(ECHO, undefined), { kind: "none" });
  assert.deepEqual(avatars.hint(ECHO, "u1"), { kind: "pending" });
  assert.deepEqual(avatars.hint(ECHO, "u1"), { kind: "pending" });
  const avatar = await avatars.get(ECHO, "u1");
  assert.equal(avatar?.sha1, await sha1("echo"));
  assert.deepEqual(fetched, ["u1"], "one download for concurrent askers");
  assert.deepEqual(changes, [[ECHO, { kind: "known", sha1: await sha1("echo") }]]);
  assert.deepEqual(avatars.hint(ECHO, "u1"), { kind: "known", sha1: await sha1("echo") });
});

Deno.test("a failed download means no avatar, and is not retried at once", async () => {
  const { avatars, fetched, changes, advance } = cache({});
  assert.equal(await avatars.get(ECHO, "gone"), null);
  assert.deepEqual(changes, [[ECHO, { kind: "none" }]]);
  assert.deepEqual(avatars.hint(ECHO, "gone"), { kind: "none" });
  assert.equal(await avatars.get(ECHO, "gone"), null);
  assert.equal(fetched.length, 1);
  advance(1001);
  assert.equal(await avatars.get(ECHO, "gone"), null);
  assert.equal(fetched.length, 2);
});

Deno.test("a new URL keeps the old hash advertised until the new image is in", async () => {
  const { avatars, changes } = cache({ "u1": "old", "u2": "old", "u3": "new" });
  await avatars.get(ECHO, "u1");
  changes.length = 0;
  assert.deepEqual(avatars.hint(ECHO, "u2"), { kind: "known", sha1: await sha1("old") });
  await avatars.get(ECHO, "u2");
  assert.deepEqual(changes, [], "a rotated URL with the same image changes nothing");
  await avatars.get(ECHO, "u3");
  assert.deepEqual(changes, [[ECHO, { kind: "known", sha1: await sha1("new") }]]);
});

Deno.test("image bytes beyond the budget are evicted, hashes stay, a vCard fetches again", async () => {
  const { avatars, fetched } = cache({ "e": "12345678", "b": "abcdefgh" }, { maxBytes: 10 });
  await avatars.get(ECHO, "e");
  await avatars.get(BOB, "b");
  assert.equal(avatars.heldBytes, 8);
  assert.equal(avatars.hint(ECHO, "e").kind, "known");
  assert.ok(await avatars.get(ECHO, "e"));
  assert.deepEqual(fetched, ["e", "b", "e"]);
});
