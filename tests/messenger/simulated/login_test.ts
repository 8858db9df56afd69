import { Secret } from "../../../src/secret.ts";
import assert from "node:assert/strict";
import { isMessengerError } from "../../../src/messenger/errors.ts";
import { assertRejectsWith } from "../_contract.ts";
import { ALICE, CAROL, loginAlice, testNetwork } from "./_world.ts";

const carolPassword = {
  kind: "password",
  email: "carol@example.com",
  password: new Secret("battery staple"),
} as const;

Deno.test("a password login gives a session that is connecting until it listens", async () => {
  const network = testNetwork();
  const session = await loginAlice(network, { listen: false });
  assert.deepEqual(session.self, { id: ALICE, name: "Alice Example" });
  assert.equal(session.state.status, "connecting");
  await session.listen();
  assert.equal(session.state.status, "connected");
  await network.close();
});

Deno.test("the email is matched case-insensitively", async () => {
  const network = testNetwork();
  const result = await network.login({
    kind: "password",
    email: " ALICE@Example.com",
    password: new Secret("correct horse"),
  });
  assert.equal(result.kind, "logged_in");
  await network.close();
});

Deno.test("a wrong password or unknown email is auth_failed without echoing the password", async () => {
  const network = testNetwork();
  for (
    const credentials of [
      { kind: "password", email: "alice@example.com", password: new Secret("Correct horse") },
      { kind: "password", email: "nobody@example.com", password: new Secret("correct horse") },
    ] as const
  ) {
    await assert.rejects(network.login(credentials), (error: unknown) => {
      assert.ok(isMessengerError(error, "auth_failed"));
      assert.ok(!error.message.toLowerCase().includes("horse"), error.message);
      return true;
    });
  }
  await network.close();
});

Deno.test("two-factor: a wrong code is two_factor_failed and the right one can follow", async () => {
  const network = testNetwork();
  const first = await network.login(carolPassword);
  assert.equal(first.kind, "two_factor_required");
  if (first.kind !== "two_factor_required") return;
  await assertRejectsWith(first.submitCode("111111"), "two_factor_failed");
  await assertRejectsWith(first.submitCode("222222"), "two_factor_failed");
  const second = await first.submitCode(" 654321 ");
  assert.equal(second.kind, "logged_in");
  if (second.kind === "logged_in") assert.equal(second.session.self.id, CAROL);
  await assertRejectsWith(first.submitCode("654321"), "bad_request");
  const steps = network.control.operations(CAROL).operations.map((operation) => [
    operation.method === "login" ? operation.via : operation.method,
    operation.error ?? "ok",
  ]);
  assert.deepEqual(steps, [
    ["password", "ok"],
    ["two_factor_code", "two_factor_failed"],
    ["two_factor_code", "two_factor_failed"],
    ["two_factor_code", "ok"],
    ["two_factor_code", "bad_request"],
  ]);
  await network.close();
});

Deno.test("two-factor: a cancelled login cannot be completed", async () => {
  const network = testNetwork();
  const first = await network.login(carolPassword);
  if (first.kind !== "two_factor_required") throw new Error("expected two-factor");
  first.cancel();
  await assertRejectsWith(first.submitCode("654321"), "bad_request");
  await network.close();
});

Deno.test("cookie login works with the world's cookies and skips two-factor", async () => {
  const network = testNetwork();
  const result = await network.login({
    kind: "cookies",
    cookies: [
      { key: "c_user", value: "100002", domain: "facebook.com" },
      { key: "xs", value: "carols-xs", domain: "facebook.com" },
    ],
  });
  assert.equal(result.kind, "logged_in");
  await network.close();
});

Deno.test("cookie login with a wrong xs or an unknown c_user is auth_failed", async () => {
  const network = testNetwork();
  for (const [user, xs] of [["100002", "stolen"], ["999", "carols-xs"], ["100001", ""]]) {
    await assertRejectsWith(
      network.login({
        kind: "cookies",
        cookies: [
          { key: "c_user", value: user, domain: "facebook.com" },
          { key: "xs", value: xs, domain: "facebook.com" },
        ],
      }),
      "auth_failed",
    );
  }
  await network.close();
});

Deno.test("cookies exported by a session still log in on a new network (a gateway restart)", async () => {
  const first = testNetwork();
  const session = await loginAlice(first);
  const cookies = await session.exportCookies();
  await first.close();
  const second = testNetwork();
  const result = await second.login({ kind: "cookies", cookies });
  assert.equal(result.kind, "logged_in");
  await second.close();
});

Deno.test("a checkpointed account is refused with checkpoint, but a wrong password still with auth_failed", async () => {
  const network = testNetwork();
  await assertRejectsWith(
    network.login({
      kind: "password",
      email: "dave@example.com",
      password: new Secret("hunter22"),
    }),
    "checkpoint",
  );
  await assertRejectsWith(
    network.login({ kind: "password", email: "dave@example.com", password: new Secret("hunter2") }),
    "auth_failed",
  );
  await network.close();
});

Deno.test("an injected login failure is thrown once, then login works", async () => {
  const network = testNetwork();
  network.control.addFaults(ALICE, { kind: "fail", method: "login", code: "network" });
  await assertRejectsWith(
    network.login({
      kind: "password",
      email: "alice@example.com",
      password: new Secret("correct horse"),
    }),
    "network",
  );
  const session = await loginAlice(network);
  assert.equal(session.state.status, "connected");
  await network.close();
});

Deno.test("a login slower than timeoutMs is rejected with timeout", async () => {
  const network = testNetwork();
  network.control.addFaults(ALICE, { kind: "latency", method: "login", ms: 5_000, times: 1 });
  const started = performance.now();
  await assertRejectsWith(
    network.login(
      { kind: "password", email: "alice@example.com", password: new Secret("correct horse") },
      { timeoutMs: 20 },
    ),
    "timeout",
  );
  assert.ok(performance.now() - started < 2_000);
  await network.close();
});

Deno.test("login after close is rejected with disconnected", async () => {
  const network = testNetwork();
  await network.close();
  await assertRejectsWith(
    network.login({
      kind: "password",
      email: "alice@example.com",
      password: new Secret("correct horse"),
    }),
    "disconnected",
  );
});

Deno.test("two logins of one account are two sessions with their own numbers", async () => {
  const network = testNetwork();
  const one = await loginAlice(network);
  const two = await loginAlice(network);
  assert.notEqual(one.id, two.id);
  assert.deepEqual(network.control.accounts()[0].sessions, [
    { id: one.id, status: "connected" },
    { id: two.id, status: "connected" },
  ]);
  await one.disconnect();
  assert.deepEqual(network.control.accounts()[0].sessions, [{ id: two.id, status: "connected" }]);
  await network.close();
});
