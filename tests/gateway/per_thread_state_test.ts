import assert from "node:assert/strict";
import { PerThreadState } from "../../src/gateway/per_thread_state.ts";
import { asThreadId } from "../../src/messenger/ids.ts";

const A = asThreadId("200001");
const B = asThreadId("200002");

Deno.test("per-thread state is kept per user, bounded, and forgotten per user", () => {
  const state = new PerThreadState<string>(3);
  state.set("alice@x", A, "a1");
  state.set("alice@x", B, "b1");
  state.set("bob@x", A, "bob");
  assert.equal(state.get("alice@x", A), "a1");
  assert.equal(state.get("bob@x", B), undefined);

  state.set("alice@x", A, "a2"); // set again: now the most recent
  state.set("carol@x", A, "c1"); // over the limit: alice's B (set least recently) goes
  assert.equal(state.size, 3);
  assert.equal(state.get("alice@x", B), undefined);
  assert.equal(state.get("alice@x", A), "a2");

  // A user whose JID starts like another's keeps their entries.
  state.set("alice@xy", B, "other");
  state.forgetUser("alice@x");
  assert.equal(state.get("alice@x", A), undefined);
  assert.equal(state.get("alice@xy", B), "other");
  assert.equal(state.get("carol@x", A), "c1");
});
