/**
 * Login through fca's real code against the fake Facebook: cookies, password, two-factor, and
 * every failure mapped to the right MessengerError code within bounded time, with the Worker
 * freed each time.
 */

import { Secret } from "../../../src/secret.ts";
import assert from "node:assert/strict";
import { isMessengerError } from "../../../src/messenger/errors.ts";
import { FcaNetwork } from "../../../src/messenger/fca/fca_network.ts";
import { WorkerClient } from "../../../src/messenger/fca/worker_client.ts";
import { asThreadId } from "../../../src/messenger/ids.ts";
import { ALICE, FcaTestBed, PAGE_STYLES, SELF } from "./_harness.ts";

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isMessengerError(error), `a MessengerError, got ${error}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

Deno.test("cookie login succeeds and exports each cookie once", async () => {
  const bed = await new FcaTestBed().start();
  try {
    const recorded = await bed.connect({ id: SELF }, { listen: false });
    assert.equal(recorded.session.self.id, SELF);
    const cookies = await recorded.session.exportCookies();
    const keys = cookies.map((cookie) => `${cookie.key}@${cookie.domain}`);
    assert.deepEqual(new Set(keys).size, keys.length, "no duplicates");
    assert.ok(
      cookies.some((cookie) => cookie.key === "xs" && cookie.value === `xs-${SELF}-secret`),
    );
  } finally {
    await bed.close();
  }
});

Deno.test("cookies without c_user fail as auth_failed and free the Worker", async () => {
  const bed = await new FcaTestBed().start();
  try {
    const before = WorkerClient.liveCount;
    const cookies = bed.fake.addAccount({ id: SELF, xs: "valid" }).filter((c) =>
      c.key !== "c_user"
    );
    await rejectsWithCode(bed.network.login({ kind: "cookies", cookies }), "auth_failed");
    assert.equal(WorkerClient.liveCount, before);
  } finally {
    await bed.close();
  }
});

Deno.test("revoked cookies fail as auth_failed, the message holding no cookie value", async () => {
  const bed = await new FcaTestBed().start();
  try {
    const cookies = bed.fake.addAccount({ id: SELF, xs: "revoked-xs-value", expired: true });
    await assert.rejects(bed.network.login({ kind: "cookies", cookies }), (error: unknown) => {
      assert.ok(isMessengerError(error, "auth_failed"));
      assert.ok(!error.message.includes("revoked-xs-value"));
      assert.ok(!error.message.includes(`datr-${SELF}`));
      return true;
    });
  } finally {
    await bed.close();
  }
});

Deno.test("password login succeeds; a wrong password fails as auth_failed", async () => {
  const bed = await new FcaTestBed().start();
  try {
    bed.fake.addAccount({ id: SELF, xs: "pw-xs", email: "me@example.org", password: "right" });
    const credentials = { kind: "password" as const, email: "me@example.org" };
    await rejectsWithCode(
      bed.network.login({ ...credentials, password: new Secret("wrong") }),
      "auth_failed",
    );
    const result = await bed.network.login({ ...credentials, password: new Secret("right") });
    assert.equal(result.kind, "logged_in");
    if (result.kind === "logged_in") assert.equal(result.session.self.id, SELF);
  } finally {
    await bed.close();
  }
});

/** Adds an account with two-factor login to the fake and starts its password login. */
function startTwoFactorLogin(bed: FcaTestBed) {
  bed.fake.addAccount({
    id: SELF,
    xs: "2fa-xs",
    email: "me@example.org",
    password: "right",
    twoFactorCode: "123456",
  });
  return bed.network.login({
    kind: "password",
    email: "me@example.org",
    password: new Secret("right"),
  });
}

for (const style of PAGE_STYLES) {
  Deno.test(`${style} page: two-factor login: a wrong code is refused, then the right one logs in`, async () => {
    const bed = await new FcaTestBed().start({}, { pageStyle: style });
    try {
      const first = await startTwoFactorLogin(bed);
      assert.equal(first.kind, "two_factor_required");
      if (first.kind !== "two_factor_required") return;
      await rejectsWithCode(first.submitCode("000000"), "two_factor_failed");
      const second = await first.submitCode("123456");
      assert.equal(second.kind, "logged_in");
      if (second.kind !== "logged_in") return;
      assert.equal(second.session.self.id, SELF);
      // The session works: its requests carry the home page's tokens.
      await second.session.sendMessage(asThreadId(ALICE), { text: "hi" }, { isGroup: false });
      const send = bed.fake.requestsTo("/messaging/send/").at(-1);
      assert.equal(send?.form.fb_dtsg, bed.fake.tokensOf(SELF).fbDtsg);
    } finally {
      await bed.close();
    }
  });
}

Deno.test("a cancelled two-factor login frees its Worker", async () => {
  const bed = await new FcaTestBed().start();
  try {
    const before = WorkerClient.liveCount;
    const result = await startTwoFactorLogin(bed);
    assert.equal(WorkerClient.liveCount, before + 1);
    if (result.kind !== "two_factor_required") throw new Error("expected 2FA");
    result.cancel();
    assert.equal(WorkerClient.liveCount, before);
    await rejectsWithCode(result.submitCode("123456"), "timeout");
  } finally {
    await bed.close();
  }
});

Deno.test("a login that never answers times out and its Worker is terminated", async () => {
  const bed = await new FcaTestBed().start({ loginTimeoutMs: 1_500 });
  try {
    bed.fake.hangHomePage = true;
    const before = WorkerClient.liveCount;
    const cookies = bed.fake.addAccount({ id: SELF, xs: "xs" });
    const started = Date.now();
    await rejectsWithCode(bed.network.login({ kind: "cookies", cookies }), "timeout");
    assert.ok(Date.now() - started < 5_000);
    assert.equal(WorkerClient.liveCount, before);
  } finally {
    await bed.close();
  }
});

Deno.test("offline (no fake, real hosts unreachable) login fails as network, quickly", async () => {
  const network = new FcaNetwork({ timings: { loginTimeoutMs: 20_000 } });
  try {
    const started = Date.now();
    const cookies = [
      { key: "c_user", value: SELF, domain: "facebook.com" },
      { key: "xs", value: "offline-xs", domain: "facebook.com" },
    ];
    await rejectsWithCode(network.login({ kind: "cookies", cookies }), "network");
    assert.ok(Date.now() - started < 15_000, "well within the login timeout");
  } finally {
    await network.close();
  }
});
