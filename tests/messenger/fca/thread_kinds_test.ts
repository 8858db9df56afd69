/** What the session remembers of thread kinds: exact knowledge is never overwritten by a guess. */

import assert from "node:assert/strict";
import { conversationOf } from "../../../src/messenger/fca/convert.ts";
import { ThreadKinds } from "../../../src/messenger/fca/thread_kinds.ts";
import { asUserId } from "../../../src/messenger/ids.ts";

Deno.test("an exact kind survives later guesses; a guess is replaced by an exact kind", () => {
  const kinds = new ThreadKinds();
  kinds.learn("1", "group", true);
  kinds.learn("1", "direct");
  assert.equal(kinds.get("1"), "group");
  assert.equal(kinds.exact("1"), "group");
  kinds.learn("2", "direct");
  assert.equal(kinds.exact("2"), undefined, "a guess is not exact");
  kinds.learn("2", "group", true);
  assert.equal(kinds.exact("2"), "group");
});

Deno.test("the least recently learned thread is forgotten first", () => {
  const kinds = new ThreadKinds(2);
  kinds.learn("1", "group", true);
  kinds.learn("2", "direct");
  kinds.learn("3", "direct");
  assert.equal(kinds.get("1"), undefined);
  assert.equal(kinds.get("3"), "direct");
});

Deno.test("a conversation's exact kind beats what the event suggests", () => {
  const context = {
    selfId: asUserId("1"),
    selfListen: false,
    now: () => 0,
    exactKindOf: (thread: string) => thread === "42" ? "group" as const : undefined,
  };
  // A read receipt's guess (thread named after the reader: 1:1) loses to the thread key.
  assert.deepEqual(conversationOf("42", "42", context, "direct"), { thread: "42", kind: "group" });
  assert.deepEqual(conversationOf("7", "7", context, "direct"), { thread: "7", kind: "direct" });
});
