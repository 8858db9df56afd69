/**
 * Logins are the one thing that gets Facebook accounts locked: the session never stacks logins,
 * never lets a stale login undo a newer one, and only retries passing trouble, a few times.
 */
import { Secret } from "../../src/secret.ts";
import assert from "node:assert/strict";
import { ALICE, BOB, gatewayFixture, PASSWORDS, waitUntil } from "./commands/_fixture.ts";

function logins(f: Awaited<ReturnType<typeof gatewayFixture>>): number {
  return f.network.control.operations("100001").operations.filter((op) => op.method === "login")
    .length;
}

async function expire(f: Awaited<ReturnType<typeof gatewayFixture>>): Promise<void> {
  f.network.control.addFaults("100001", { kind: "expire_session" });
  await waitUntil(() => f.gateway.session(ALICE)?.state.status === "needs_reauth");
}

Deno.test("concurrent re-logins share one Messenger login", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  await expire(f);
  const before = logins(f);
  f.network.control.addFaults("100001", { kind: "latency", method: "login", ms: 100, times: 1 });
  await Promise.all([f.gateway.relogin(ALICE), f.gateway.relogin(ALICE), f.gateway.relogin(ALICE)]);
  assert.equal(logins(f) - before, 1);
  assert.equal(f.gateway.session(ALICE)?.state.status, "connected");
});

Deno.test("a stale login that fails after a newer registration does not undo it", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  await expire(f);
  f.network.control.addFaults("100001", [
    { kind: "latency", method: "login", ms: 300, times: 1 },
    { kind: "fail", method: "login", code: "auth_failed", times: 1 },
  ]);
  const before = f.network.control.faults("100001").length;
  const stale = f.gateway.relogin(ALICE);
  // The stale login has reached Messenger (and taken the faults) before the registration.
  await waitUntil(() => f.network.control.faults("100001").length < before);
  const step = await f.gateway.register(ALICE, {
    kind: "password",
    email: "alice@example.com",
    password: new Secret(PASSWORDS.alice),
  });
  assert.equal(step.kind, "registered");
  await waitUntil(() => f.gateway.session(ALICE)?.state.status === "connected");
  await stale;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(f.gateway.session(ALICE)?.state.status, "connected");
  assert.ok(f.gateway.session(ALICE)?.messenger, "the fresh session was dropped");
});

Deno.test("an unexplained login failure asks the user instead of retrying", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  await expire(f);
  const before = logins(f);
  f.network.control.addFaults("100001", {
    kind: "fail",
    method: "login",
    code: "internal",
    times: 5,
  });
  await f.gateway.relogin(ALICE);
  assert.equal(f.gateway.session(ALICE)?.state.status, "needs_reauth");
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(logins(f) - before, 1, "the gateway retried an unexplained failure");
});

Deno.test("a registration waiting for a code is replaced by a new attempt, never doubled", async () => {
  await using f = await gatewayFixture();
  const credentials = {
    kind: "password" as const,
    email: "bob@example.com",
    password: new Secret(PASSWORDS.bob),
  };
  const first = await f.gateway.register(BOB, credentials);
  assert.equal(first.kind, "two_factor_required");
  // The user closed the dialog after a wrong code and starts again: not blocked.
  if (first.kind === "two_factor_required") {
    await assert.rejects(first.submit("000000"));
  }
  const again = await f.gateway.register(BOB, credentials);
  assert.equal(again.kind, "two_factor_required");
  // The abandoned one can no longer complete, and cancelling it late leaves the new one alone.
  if (first.kind === "two_factor_required") {
    await assert.rejects(first.submit("123456"), /replaced|cancel|ended/i);
    first.cancel();
  }
  assert.ok(again.kind === "two_factor_required");
  const done = await again.submit("123456");
  assert.equal(done.kind, "registered");
  await waitUntil(() => f.gateway.session(BOB)?.state.status === "connected");
});

Deno.test("while a registration is logging in, a second one is refused", async () => {
  await using f = await gatewayFixture();
  f.network.control.addFaults("100002", { kind: "latency", method: "login", ms: 300 });
  const credentials = {
    kind: "password" as const,
    email: "bob@example.com",
    password: new Secret(PASSWORDS.bob),
  };
  const first = f.gateway.register(BOB, credentials);
  await new Promise((resolve) => setTimeout(resolve, 20));
  await assert.rejects(f.gateway.register(BOB, credentials), /already in progress/);
  const step = await first;
  if (step.kind === "two_factor_required") step.cancel();
});
